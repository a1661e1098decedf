"""The LIF network of spikeRNN's conversion, simulated step by step for a batch of trials at once.

Every trial has its own input, scaling factor, initial voltages and noise; the weight matrix is
shared and each trial's recurrent input is divided by its own s. The update follows the reference
algorithm step for step (docs/reference/spiking.md, section 5), so that in float64 with injected
random streams a trial reproduces the reference numbers exactly, on every engine. float32 (for
searches) keeps the spike times in float64: refractoriness is a float comparison.

Engines (`engine=`), the same steps in the same order of floating-point operations:
    compiled  numba, one trial per call, `threads` trials at a time (compiled.py)
    numpy     whole-batch NumPy operations (arrays.py)
    torch     the same in torch (arrays.py): a GPU's; it runs on the CPU too
"auto" (pick_engine) is torch off the CPU; on the CPU compiled where numba can be imported, except
for simulations too short to pay for loading it, and numpy otherwise. All draw the same random
streams (streams.py): a seed gives the same spikes on each, and outputs to rounding.

Units: seconds and mV. A stimulus u has one column per rate step (5 ms); LIF steps are 0.05 ms
(times `downsample`), 100 per column, and step k ends at t = dt·(k+1).
"""

import importlib
from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.spiking.streams import Streams

DT = 0.00005            # s, one LIF step at downsample 1
TM = 0.010              # s, membrane time constant
V_TH, V_RESET, V_PEAK = -40.0, -65.0, 30.0      # mV
T_REF = 0.002           # s, absolute refractory period
TR = 0.002              # s, synaptic rise time (0: single-exponential synapses)
BIAS = -40.0            # mV, equal to the threshold
STIM_KICK = 0.5         # mV per step, with probability 1/2, while an optogenetic-style window is on
FIRST_COUNTED = 9       # all_fr counts spikes from this step on (spikeRNN's 10th sample)
RECORDINGS = ("REC", "spk", "rs", "IPSC", "hs")
ENGINES = ("compiled", "numpy", "torch")
# "auto" takes the compiled engine from this many trial-steps on (2.5 trials of 1 s): below it the
# NumPy steps take less than the half second that importing numba and loading the compiled code
# take once per process.
COMPILED_FROM = 50_000


@dataclass
class Stimulation:
    """Optogenetic-style stimulation: in steps on <= k < off, one coin per trial and step; below 0.5,
    v of every listed unit moves by +0.5 mV ("exc") or -0.5 mV ("inh"). 0-based steps and units."""
    mode: str
    on: int
    off: int
    units: tuple

    @classmethod
    def make(cls, stims, n_units):
        """From None or {"mode": ..., "dur": [on, off), "units": [...]}; ValueError naming what is wrong."""
        if stims is None or stims.get("mode", "none") == "none":
            return None
        mode = stims["mode"]
        if mode not in ("exc", "inh"):
            raise ValueError(f"stims mode {mode!r}: use 'none', 'exc' (depolarising) or 'inh' (hyperpolarising)")
        dur = stims.get("dur")
        if dur is None or len(dur) != 2 or not 0 <= dur[0] < dur[1]:
            raise ValueError(f"stims {mode!r} needs dur = [on, off), 0-based LIF steps with on < off; got {dur!r}")
        units = tuple(int(u) for u in stims.get("units", ()))
        if not units or min(units) < 0 or max(units) >= n_units:
            raise ValueError(f"stims units must be 0-based indices of the {n_units} units; got {list(units)!r}")
        return cls(mode, int(dur[0]), int(dur[1]), units)


@dataclass
class Run:
    """What a simulation returns, every array with the batch first. out (B, nt) always; the (B, N, nt)
    recordings only when asked: REC (voltage after each step, 30 at spikes), spk, rs (filtered
    spikes, Hz), IPSC (x before each step), hs."""
    out: torch.Tensor
    spike_counts: torch.Tensor      # (B, N) spikes over the whole trial
    all_fr: torch.Tensor            # (B, N) Hz, spikes from step 9 on / T
    dt: float
    nt: int
    T: float
    td: np.ndarray
    td0: np.ndarray | None
    REC: torch.Tensor | None = None
    spk: torch.Tensor | None = None
    rs: torch.Tensor | None = None
    IPSC: torch.Tensor | None = None
    hs: torch.Tensor | None = None


def input_columns(nt, n_columns):
    """The stimulus column each step reads: round((k+1)/100), at most the last column."""
    return np.minimum((np.arange(nt) + 51) // 100, n_columns - 1)


@dataclass
class Trials:
    """A batch made ready for an engine: what every engine reads, in float64."""
    net: object             # LIFNetwork
    B: int
    nt: int
    dt: float               # s
    tr: float               # s
    columns: np.ndarray     # (nt,) int: the stimulus column of each step
    i_ext: np.ndarray       # (B, C, N) mV: w_in·u per trial and column (not scaled by s)
    scale: np.ndarray       # (B,) 1/s
    a_d: np.ndarray         # (N,) exp(-dt/td)
    a_r: float              # exp(-dt/tr), 0 for single-exponential synapses
    stim: Stimulation | None
    kick: np.ndarray        # (N,) mV: +-STIM_KICK on the stimulated units, 0 elsewhere
    streams: Streams


def compiled_engine():
    """The module of the compiled engine, or None where numba cannot be imported (missing, or its
    LLVM library failing to load: OSError, or MemoryError under a grading memory limit)."""
    try:
        return importlib.import_module("rnncourse.spiking.compiled")
    except (ImportError, OSError, MemoryError):
        return None


def pick_engine(engine, device, trial_steps):
    """The engine that runs `trial_steps` (trials × steps) on `device`. "auto": torch off the CPU; on
    the CPU the compiled engine where numba is present and the work pays for loading it, else
    numpy. A named engine is checked (ValueError naming the problem and the fix)."""
    on_cpu = torch.device(device).type == "cpu"
    if engine == "auto":
        if not on_cpu:
            return "torch"
        return "compiled" if trial_steps >= COMPILED_FROM and compiled_engine() else "numpy"
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r}: use 'auto' or one of {', '.join(ENGINES)}")
    if engine != "torch" and not on_cpu:
        raise ValueError(f"engine {engine!r} runs on the CPU only; on {device} use engine='torch' (or 'auto')")
    if engine == "compiled" and compiled_engine() is None:
        raise ValueError("engine 'compiled' needs numba (pip install numba); engine='numpy' runs without it")
    return engine


def simulate(net, u, scaling_factor, *, downsample=1, stims=None, tr=TR, v0=None, noise=None, coins=None,
             record=False, generator=None, dtype=torch.float64, device="cpu", engine="auto", threads=1):
    """Simulate LIFNetwork `net` on a batch of trials.

    u (B, Nin, C) stimuli, one column per rate step (or (Nin, C): one trial, and every output then
    has no batch dimension); scaling_factor: s, one for all trials or (B,). Random streams, drawn
    trial by trial from keys that `generator` (a torch.Generator on the CPU) gives (streams.py),
    unless given: v0 (B, N) mV, noise (nt, B, N) mV (row k added at step k), coins (nt, B) (read
    only inside the stimulation window). For one trial they are (N,), (nt, N) and (nt,), as the
    reference numbers give them. `engine` and `threads` (the compiled engine's trials at a time):
    see the module's docstring. Returns a Run of torch tensors (on `device` for the torch engine).
    """
    single = np.ndim(u) == 2
    u = np.asarray(u, dtype=np.float64)
    u = (u[None] if single else u)[..., ::downsample]
    B, n_in, C = u.shape
    if n_in != net.w_in.shape[1]:
        raise ValueError(f"u has {n_in} input channel(s), the network takes {net.w_in.shape[1]}")
    dt, nt, N = DT * downsample, 100 * (C - 1), net.N
    name = pick_engine(engine, device, B * nt)
    stim = Stimulation.make(stims, N)
    kick = np.zeros(N)
    if stim:
        kick[list(stim.units)] = STIM_KICK if stim.mode == "exc" else -STIM_KICK
    s = np.broadcast_to(np.asarray(scaling_factor, dtype=np.float64), (B,))
    streams = Streams(generator, B, N, nt, v0, noise, coins, stimulated=stim is not None)
    trials = Trials(net=net, B=B, nt=nt, dt=dt, tr=tr, columns=input_columns(nt, C),
                    i_ext=np.einsum("bic,ni->bcn", u, net.w_in), scale=1 / s, a_d=np.exp(-dt / net.td),
                    a_r=float(np.exp(-dt / tr)) if tr > 0 else 0.0, stim=stim, kick=kick, streams=streams)
    if name == "compiled":
        arrays = compiled_engine().run(trials, dtype, record, threads)
    else:
        from rnncourse.spiking import arrays as array_steps
        arrays = array_steps.run(trials, dtype, record, device, library=name)
    tensors = {k: torch.from_numpy(a) if isinstance(a, np.ndarray) else a for k, a in arrays.items()}
    T = nt * dt
    run = Run(out=tensors["out"], spike_counts=tensors["spike_counts"], all_fr=tensors["counted"] / T, dt=dt, nt=nt,
              T=T, td=net.td, td0=net.td0, **{k: tensors[k] for k in RECORDINGS if k in tensors})
    if single:
        for k in ("out", "spike_counts", "all_fr", *(RECORDINGS if record else ())):
            setattr(run, k, getattr(run, k)[0])
    return run
