"""Scoring a converted network as a spiking network, and the scaling-factor grid search.

Trials are the rate tasks' own (rnncourse.rate.tasks) with one more column, a copy of the last, so
that a trial of T rate steps lasts exactly T·5 ms as a LIF simulation of 100·T steps. A trial is
correct by spikeRNN's grid-search rule (docs/reference/spiking.md section 9), read from a time in seconds on:

    go-nogo  from 0.5 s   Go: max out > 0.7      NoGo: max out < 0.3 (the signed max)
    xor      from 1.0 s   label +1: max out > 0.7    label -1: min out < -0.7
    mante    from 1.3 s   the same as xor
"""

from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.rate.tasks import get_task
from rnncourse.spiking.simulate import DT, simulate

WINDOW_FROM = {"go-nogo": 0.5, "xor": 1.0, "mante": 1.3}       # seconds
THRESHOLD = 0.7
NOGO_BELOW = 0.3
SCALING_FACTORS = tuple(range(20, 80, 5))       # spikeRNN's grid: 20, 25, ..., 75
GRID_TRIALS = 100


def spiking_trials(task_name, n_trials, generator):
    """(u (B, Nin, T+1), labels (B,)): the rate task's trials with the last column repeated."""
    trials = get_task(task_name).trials(n_trials, generator=generator)
    u = trials.u.double()
    return torch.cat([u, u[..., -1:]], dim=-1).numpy(), trials.labels.numpy()


def correct(task_name, out, labels, dt=DT):
    """(B,) bool: which trials the spiking network got right, from out (B, nt)."""
    window = out[:, round(WINDOW_FROM[task_name] / dt) - 1:]
    labels = torch.as_tensor(labels)
    high, low = window.max(dim=1).values, window.min(dim=1).values
    if task_name == "go-nogo":
        return torch.where(labels > 0, high > THRESHOLD, high < NOGO_BELOW)
    return torch.where(labels > 0, high > THRESHOLD, low < -THRESHOLD)


@dataclass
class SpikingEvaluation:
    scaling_factors: np.ndarray     # (K,)
    accuracy: np.ndarray            # (K,) fraction correct per scaling factor
    n_trials: int

    @property
    def best(self):
        """The scaling factor of highest accuracy, the smallest on ties (spikeRNN's choice)."""
        return float(self.scaling_factors[int(np.argmax(self.accuracy))])


def evaluate(net, scaling_factors, n_trials=GRID_TRIALS, *, task=None, seed=0, batch_size=400, downsample=1,
             dtype=torch.float32, device="cpu", engine="auto", threads=1, progress=None):
    """Accuracy of `net` as a spiking network at each scaling factor, over n_trials fresh trials per
    factor (fresh trials, noise and initial voltages for every factor, as spikeRNN does). All
    (factor, trial) pairs run as one batch, `batch_size` rows at a time; progress(done, total).
    downsample d > 1 simulates with steps d times longer (faster, not spikeRNN's search: d = 1).
    engine and threads (trials simulated at once by the compiled engine): as simulate's."""
    task = task or net.task
    if task not in WINDOW_FROM:
        raise ValueError(f"no spiking rule for task {task!r}: it is one of {', '.join(WINDOW_FROM)}")
    factors = np.atleast_1d(np.asarray(scaling_factors, dtype=np.float64))
    if not (factors > 0).all():
        raise ValueError(f"scaling factors must be positive (W = w / s); got {factors.tolist()}")
    generator = torch.Generator().manual_seed(seed)
    u, labels = spiking_trials(task, len(factors) * n_trials, generator)
    s = np.repeat(factors, n_trials)
    right = np.zeros(len(s), bool)
    for start in range(0, len(s), batch_size):
        rows = slice(start, start + batch_size)
        run = simulate(net, u[rows], s[rows], downsample=downsample, generator=generator, dtype=dtype,
                       device=device, engine=engine, threads=threads)
        right[rows] = correct(task, run.out.cpu(), labels[rows], run.dt).numpy()
        if progress:
            progress(min(start + batch_size, len(s)), len(s))
    return SpikingEvaluation(factors, right.reshape(len(factors), n_trials).mean(axis=1), n_trials)
