"""Condition-averaged rates of a trained network and their principal components."""

from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.rate.evaluation import EVAL_TRIALS, make_generators
from rnncourse.rate.tasks import as_task


@dataclass
class Trajectories:
    """Condition-averaged rates of a network on a task, and their principal components.

    conditions: the C condition names (task.condition_names), sorted; counts (C,) trials in each.
    rates (C, T, N): mean rate of each unit at each step over the trials of each condition.
    mean (N,): the mean of `rates` over conditions and steps, which the PCA subtracts.
    components (k, N): the first k principal axes, orthonormal rows, each signed so that its
    largest loading is positive. explained (k,): the fraction of the variance of `rates` (over
    conditions and steps, all N dimensions) along each axis. projections (C, T, k): the rates
    on those axes, (rates - mean) @ components.T.
    """
    conditions: list
    counts: np.ndarray
    rates: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray
    projections: np.ndarray

    def project(self, rates):
        """Rates (..., N) (e.g. single trials' r, NumPy or tensor) on the principal axes -> (..., k)."""
        rates = rates.detach().cpu().numpy() if isinstance(rates, torch.Tensor) else np.asarray(rates)
        return (rates - self.mean) @ self.components.T


@torch.no_grad()
def trajectories(model, task, n_trials=200, n_components=3, *, seed=0):
    """Run `n_trials` fresh trials of `task` (a Task or its name) through `model`, noise on as in
    evaluate, average the rates r (T, N) over the trials of each condition (Go / NoGo; XOR's four
    sign pairs; Mante's context and correct answer) and find the principal components of those
    averages. Returns Trajectories; every condition that came up in the trials is in it."""
    task = as_task(task)
    if model.n_inputs != task.n_inputs:
        raise ValueError(f"The network has {model.n_inputs} input channel(s) but task {task.name!r} gives "
                         f"{task.n_inputs}: analyse it on the task it was trained for.")
    if not 1 <= n_components <= model.N:
        raise ValueError(f"n_components={n_components!r}: use 1 to N={model.N}.")
    generators = make_generators(seed, model.device)
    sums, counts = {}, {}
    for start in range(0, n_trials, EVAL_TRIALS):   # in chunks, so memory stays bounded
        trials = task.trials(min(EVAL_TRIALS, n_trials - start), generators.trials, model.device)
        r = model(trials.u, generator=generators.noise).r.double()
        for i, name in enumerate(task.condition_names(trials)):
            sums[name] = sums.get(name, 0) + r[i]
            counts[name] = counts.get(name, 0) + 1
    conditions = sorted(sums)
    rates = torch.stack([sums[c] / counts[c] for c in conditions]).cpu().numpy()
    mean = rates.reshape(-1, model.N).mean(0)
    centred = rates.reshape(-1, model.N) - mean
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    axes = axes[:n_components]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])[:, None]   # a fixed sign for each axis
    explained = variance[:n_components] / variance.sum() if variance.sum() > 0 else np.zeros(len(axes))
    return Trajectories(conditions=conditions, counts=np.array([counts[c] for c in conditions]),
                        rates=rates, mean=mean, components=axes, explained=explained,
                        projections=((rates - mean) @ axes.T))
