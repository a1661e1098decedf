"""Lesions: copies of a network with units silenced, scored on the same trials and noise."""

import copy

import numpy as np
import torch

from rnncourse.rate.evaluation import evaluate
from rnncourse.rate.tasks import as_task


def lesion_units(model, which, *, seed=None):
    """The units to silence, as an (N,) bool mask on the CPU. `which`:
    'inhibitory' or 'excitatory'; a float in (0, 1]: that fraction of all units (rounded, at least
    one) chosen at random with `seed`; an (N,) bool mask; or a sequence of unit indices."""
    if isinstance(which, str):
        if which not in ("inhibitory", "excitatory"):
            raise ValueError(f"which={which!r}: use 'inhibitory', 'excitatory', a fraction, a mask or indices.")
        mask = (model.inh if which == "inhibitory" else model.exc).cpu().clone()
    elif isinstance(which, float):
        if not 0 < which <= 1:
            raise ValueError(f"which={which!r}: a fraction of the units must lie in (0, 1].")
        count = max(1, round(which * model.N))
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        mask = torch.zeros(model.N, dtype=torch.bool)
        mask[torch.randperm(model.N, generator=generator)[:count]] = True
    else:
        which = torch.as_tensor(np.asarray(which)).cpu()
        if which.dtype == torch.bool:
            if which.shape != (model.N,):
                raise ValueError(f"The mask has shape {tuple(which.shape)}; expected ({model.N},), one per unit.")
            mask = which.clone()
        else:
            if which.numel() and not (int(which.min()) >= 0 and int(which.max()) < model.N):
                raise ValueError(f"Unit indices must lie in 0..{model.N - 1}; got {which.tolist()}.")
            mask = torch.zeros(model.N, dtype=torch.bool)
            mask[which.long().reshape(-1)] = True
    if not mask.any():
        raise ValueError(f"which={which!r} names no unit of this network: nothing to silence.")
    return mask


def lesion(model, which, *, seed=None):
    """A copy of `model` with the units `which` names (see lesion_units) silenced; `model` itself
    is left as it is.

    Silencing sets the outgoing weights of those units to 0: their columns of w (so of W_eff, and
    the Dale relu keeps them 0) and their entries of w_out. Their rates then reach no other unit
    and not the output, as if clamped to 0. (Clamping the state instead cannot do that with the
    sigmoid, whose rate is never 0; the silenced units still have states and rates in a RateRun,
    which nothing reads.)
    """
    mask = lesion_units(model, which, seed=seed).to(model.device)
    lesioned = copy.deepcopy(model)
    with torch.no_grad():
        lesioned.w[:, mask] = 0
        lesioned.w_out[:, mask] = 0
    return lesioned


def compare_lesions(model, task, lesions, n_trials=100, *, seed=0, loss_fn="l2"):
    """Evaluate `model` and its lesioned copies on the same trials and noise (evaluate with `seed`).

    lesions: {name: which} with `which` as lesion_units takes (e.g. {'all inhibitory': 'inhibitory',
    '20% at random': 0.2}); random fractions are drawn with `seed`. Returns {'intact': Evaluation,
    name: Evaluation, ...} in that order."""
    task = as_task(task)
    results = {"intact": evaluate(model, task, n_trials, loss_fn, seed=seed)}
    for name, which in lesions.items():
        results[name] = evaluate(lesion(model, which, seed=seed), task, n_trials, loss_fn, seed=seed)
    return results
