"""The LIF network of spikeRNN's conversion, simulated step by step for a batch of trials at once.

Every trial is a row of a (B, N) state, with its own input, scaling factor, initial voltages and
noise; the weight matrix is shared and each row's recurrent input is divided by its own s. The
update follows the reference algorithm step for step (spec: spiking-reference.md, section 3), so
that in float64 with injected random streams a trial reproduces the reference numbers exactly.
float32 (for searches) keeps the spike times in float64: refractoriness is a float comparison.

Units: seconds and mV. A stimulus u has one column per rate step (5 ms); LIF steps are 0.05 ms
(times `downsample`), 100 per column, and step k ends at t = dt·(k+1).
"""

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
CHUNK = 2_000_000       # noise values drawn at once (a (nt, B, N) array would not fit for a large batch)


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


def simulate(net, u, scaling_factor, *, downsample=1, stims=None, tr=TR, v0=None, noise=None, coins=None,
             record=False, generator=None, dtype=torch.float64, device="cpu"):
    """Simulate LIFNetwork `net` on a batch of trials.

    u (B, Nin, C) stimuli, one column per rate step (or (Nin, C): one trial, and every output then
    has no batch dimension); scaling_factor: s, one for all trials or (B,). Random streams, drawn
    from `generator` (a torch.Generator on the CPU) unless given: v0 (B, N) mV, noise (nt, B, N) mV
    (row k added at step k), coins (nt, B) (used only inside the stimulation window). For one trial
    they are (N,), (nt, N) and (nt,), as the reference numbers give them. Returns a Run of torch
    tensors on `device`.

    On the CPU the steps run in NumPy, whose small operations cost a microsecond where torch's cost
    several (a trial is 20,000 steps), and the recurrent input gathers only the spiking units'
    columns (a few per step); on a GPU they run in torch with a dense product.
    """
    single = np.ndim(u) == 2
    u = np.asarray(u, dtype=np.float64)
    u = (u[None] if single else u)[..., ::downsample]
    B, n_in, C = u.shape
    if n_in != net.w_in.shape[1]:
        raise ValueError(f"u has {n_in} input channel(s), the network takes {net.w_in.shape[1]}")
    dt, nt, N = DT * downsample, 100 * (C - 1), net.N
    stim = Stimulation.make(stims, N)
    xp = Arrays(device, dtype)
    s = np.broadcast_to(np.asarray(scaling_factor, dtype=np.float64), (B,))
    scale = xp.array((1 / s)[:, None])
    W_t = xp.array(net.w.T)                       # row j: the synapses from unit j onto every unit
    w_out, td = xp.array(net.w_out), xp.array(net.td)
    i_ext = xp.array(np.einsum("bic,ni->cbn", u, net.w_in))        # (C, B, N), not scaled by s
    columns = input_columns(nt, C)
    streams = Streams(generator, B, N, nt, v0, noise, coins, stimulated=stim is not None)
    v = xp.array(streams.v0)
    a_d = xp.array(np.exp(-dt / net.td))
    a_r = float(np.exp(-dt / tr)) if tr > 0 else 0.0
    x, h, r, hr, counts, counted = (xp.zeros((B, N)) for _ in range(6))
    tlast = np.zeros((B, N)) if xp.numpy else torch.zeros(B, N, dtype=torch.float64, device=device)
    out = xp.zeros((B, nt))
    rec = {name: xp.zeros((B, N, nt)) for name in ("REC", "spk", "rs", "IPSC", "hs")} if record else {}
    if stim:
        kick = np.zeros(N)
        kick[list(stim.units)] = STIM_KICK if stim.mode == "exc" else -STIM_KICK
        kick = xp.array(kick)
        kicked = xp.array(streams.coins(stim.on, stim.off) < 0.5)        # (off - on, B): 1 or 0
    steps = max(1, CHUNK // (B * N))
    for k in range(nt):
        if k % steps == 0:
            chunk = xp.array(streams.noise_chunk(k, steps))
        t = dt * (k + 1)
        if record:
            rec["IPSC"][:, :, k] = x
        current = x + BIAS + i_ext[columns[k]]
        active = xp.float(t > tlast + T_REF)
        v = v + dt * active * (-v + current) / TM + chunk[k % steps]
        if stim and stim.on <= k < stim.off:
            v = v + kicked[k - stim.on][:, None] * kick
        fired_mask = v >= V_TH
        fired = bool(fired_mask.any())
        spikes = xp.float(fired_mask)
        if fired:
            J = xp.recurrent(fired_mask, spikes, W_t) * scale
            tlast = tlast + (t - tlast) * (fired_mask if xp.numpy else fired_mask.double())
        if tr > 0:
            x, h = a_d * x + dt * h, (a_r * h + J / (tr * td)) if fired else a_r * h
            r, hr = a_d * r + dt * hr, a_r * hr + spikes / (tr * td)
        else:
            x = (a_d * x + J / td) if fired else a_d * x
            r = a_d * r + spikes / td
        out[:, k] = (r @ w_out) * scale[:, 0]
        if fired:
            counts += spikes
            if k >= FIRST_COUNTED:
                counted += spikes
            v = v + (V_PEAK - v) * spikes
        if record:
            rec["rs"][:, :, k], rec["hs"][:, :, k], rec["spk"][:, :, k], rec["REC"][:, :, k] = r, h, spikes, v
        if fired:
            v = v + (V_RESET - v) * spikes
    T = nt * dt
    run = Run(out=xp.torch(out), spike_counts=xp.torch(counts), all_fr=xp.torch(counted / T), dt=dt, nt=nt, T=T,
              td=net.td, td0=net.td0, **{name: xp.torch(a) for name, a in rec.items()})
    if single:
        for name in ("out", "spike_counts", "all_fr", *rec):
            setattr(run, name, getattr(run, name)[0])
    return run


class Arrays:
    """The array library the steps run in: NumPy on the CPU, torch on another device; the loop's
    arithmetic reads the same in both."""

    def __init__(self, device, dtype):
        self.device = torch.device(device)
        self.numpy = self.device.type == "cpu"
        self.dtype = dtype
        self.np_dtype = np.float64 if dtype == torch.float64 else np.float32

    def array(self, a):
        if self.numpy:
            return np.asarray(a, dtype=self.np_dtype)        # no copy when it is one already
        return torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device).to(self.dtype)

    def zeros(self, shape):
        if self.numpy:
            return np.zeros(shape, self.np_dtype)
        return torch.zeros(shape, dtype=self.dtype, device=self.device)

    def float(self, mask):
        return mask.astype(self.np_dtype) if self.numpy else mask.to(self.dtype)

    def recurrent(self, mask, spikes, W_t):
        """(B, N): for each trial the sum of the rows of W_t of its spiking units."""
        if not self.numpy:
            return spikes @ W_t
        rows, units = np.nonzero(mask)
        J = np.zeros(spikes.shape, self.np_dtype)
        np.add.at(J, rows, W_t[units])
        return J

    def torch(self, a):
        return torch.from_numpy(a) if self.numpy else a
