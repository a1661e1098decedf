"""Mante psychometric curves: choices against the evidence of each channel, in each context."""

from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.rate.evaluation import EVAL_TRIALS, make_generators
from rnncourse.rate.tasks import Mante, as_task


@dataclass
class Psychometric:
    """Choices of a Mante network over a grid of evidence.

    offsets (K,): the channel means swept, on each channel. n_trials: trials per cell.
    plus, minus (2, K, K): for context c (index c - 1), channel-1 offset offsets[i] and channel-2
    offset offsets[j], the fraction of trials whose output counts as the answer +1 (task.correct
    with label +1), and as -1. A trial may count as neither (or, rarely, both).
    """
    offsets: np.ndarray
    n_trials: int
    plus: np.ndarray
    minus: np.ndarray

    def choices(self, context, channel):
        """(K,) fraction of +1 answers in `context` (1 or 2) against the offset of `channel` (1 or 2),
        averaged over the other channel's offsets. The cued channel (channel == context) should
        sweep it from 0 to 1; the other should leave it flat."""
        plus = self.plus[context - 1]
        return plus.mean(1) if channel == 1 else plus.mean(0)

    def accuracy(self, context):
        """(K,) fraction correct in `context` against the cued channel's offset (the +1 answers
        for a positive offset, the -1 answers for a negative one; NaN at 0, where no answer is
        correct), averaged over the other channel's offsets."""
        plus = self.plus[context - 1] if context == 1 else self.plus[context - 1].T
        minus = self.minus[context - 1] if context == 1 else self.minus[context - 1].T
        right = np.where(self.offsets[:, None] > 0, plus, minus).mean(1)
        return np.where(self.offsets == 0, np.nan, right)


@torch.no_grad()
def psychometric(model, task="mante", offsets=(-0.5, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2, 0.5), n_trials=20,
                 *, seed=0):
    """Run `n_trials` Mante trials for each context (2) and each pair of channel offsets
    (offsets x offsets, the task's usual +-offset among them or not) and count the answers.
    task: the Mante task (or 'mante') whose timing and scoring to use. Returns Psychometric."""
    task = as_task(task)
    if not isinstance(task, Mante):
        raise ValueError(f"Psychometric curves need the Mante task (evidence on two channels); got {task.name!r}.")
    if model.n_inputs != task.n_inputs:
        raise ValueError(f"The network has {model.n_inputs} input channel(s); the Mante task gives 4.")
    offsets = np.asarray(offsets, dtype=np.float64).reshape(-1)
    if len(offsets) == 0 or n_trials < 1:
        raise ValueError("Give at least one offset and n_trials >= 1.")
    K = len(offsets)
    grid = torch.cartesian_prod(torch.arange(2) + 1, torch.arange(K), torch.arange(K))   # (2 K K, 3)
    cells = grid.repeat_interleave(n_trials, 0)
    generators = make_generators(seed, model.device)
    answers = []
    for start in range(0, len(cells), EVAL_TRIALS):
        part = cells[start:start + EVAL_TRIALS]
        trials = task.trials_with(np.stack([offsets[part[:, 1].numpy()], offsets[part[:, 2].numpy()]], 1),
                                  part[:, 0] == 1, generators.trials, model.device)
        o = model(trials.u, generator=generators.noise).o
        ones = torch.ones(len(o), device=model.device)
        answers.append(torch.stack([task.correct(o, ones), task.correct(o, -ones)], 1).cpu())
    counts = torch.cat(answers).double().reshape(2, K, K, n_trials, 2).mean(3).numpy()
    return Psychometric(offsets=offsets, n_trials=n_trials, plus=counts[..., 0], minus=counts[..., 1])
