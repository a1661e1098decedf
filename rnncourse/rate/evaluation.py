"""Scoring a rate network as spikeRNN does: 100 fresh trials, noise on, no update; and its stopping rule.

spikeRNN evaluates inside its training loop only. Its stand-alone eval_tf is marked "NEED TO BE
UPDATED" and fails on most settings (a KeyError on 'delay' for Go-NoGo and Mante, an IndexError
with one fixed tau, np.bool removed from NumPy, the sigmoid hard-coded whatever --act was), and its
in-loop code stores each output, a list of (1, 1) arrays, into a row of eval_os, which modern
NumPy rejects. `evaluate` here is the in-loop evaluation made stand-alone: the same trials, noise,
loss and correctness rules, for any task, activation and time constants, on the model as given.
"""

import secrets
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from rnncourse.rate.losses import trial_losses

#: spikeRNN's training_params: evaluate every EVAL_EVERY trials on EVAL_TRIALS fresh trials; stop
#: when the mean loss is below LOSS_THRESHOLD and the accuracy above ACCURACY_THRESHOLD.
EVAL_EVERY = 100
EVAL_TRIALS = 100
LOSS_THRESHOLD = 7.0
ACCURACY_THRESHOLD = 0.95


class Generators(NamedTuple):
    """trials: a CPU torch.Generator for task trials; noise: one on the model's device for state
    noise; seed: the seed both came from."""
    trials: torch.Generator
    noise: torch.Generator
    seed: int


def make_generators(seed, device):
    """Generators for `seed` (fresh entropy when None): trials on the CPU seeded with seed + 1, noise
    on `device` with seed + 2, so that neither repeats the stream of RateRNN(..., seed=seed)."""
    if seed is None:
        seed = secrets.randbits(62)
    device = torch.device(device)
    return Generators(torch.Generator().manual_seed(seed + 1), torch.Generator(device).manual_seed(seed + 2), seed)


@dataclass
class Evaluation:
    """One evaluation. loss: mean per-trial loss (spikeRNN's eval_loss_mean); accuracy: fraction
    correct (eval_perf_mean); losses (n,), correct (n,) bool, outputs (n, T-1) (eval_os) and
    labels (n,) per trial, as NumPy arrays; trial: index of the last training trial before it
    (None outside training)."""
    loss: float
    accuracy: float
    losses: np.ndarray
    correct: np.ndarray
    outputs: np.ndarray
    labels: np.ndarray
    trial: int = None

    def __str__(self):
        right = int(self.correct.sum())
        return f"accuracy {self.accuracy:.2f} ({right}/{len(self.correct)} trials correct), mean loss {self.loss:.3f}"


@torch.no_grad()
def evaluate(model, task, n_trials=EVAL_TRIALS, loss_fn="l2", *, seed=None, generators=None, trial=None):
    """Run `n_trials` fresh trials of `task` through `model` (noise on, no update) and score them,
    EVAL_TRIALS at a time so that memory stays bounded however many are asked for.

    Randomness comes from `generators` (see make_generators) or else from a new pair seeded with
    `seed`. Returns an Evaluation.
    """
    if model.n_inputs != task.n_inputs:
        raise ValueError(f"The network has {model.n_inputs} input channel(s) but task {task.name!r} "
                         f"gives {task.n_inputs}: evaluate it on the task it was trained for.")
    if generators is None:
        generators = make_generators(seed, model.device)
    parts = []
    for start in range(0, n_trials, EVAL_TRIALS):
        trials = task.trials(min(EVAL_TRIALS, n_trials - start), generators.trials, model.device)
        parts.append(score_part(task, trials, model(trials.u, generator=generators.noise).o, loss_fn))
    return scored(parts, trial)


def score_part(task, trials, o, loss_fn):
    """One batch of evaluation trials scored: [losses (B,), correct (B,), o (B, T-1), labels (B,)]."""
    return [trial_losses(o, trials.z, loss_fn), task.correct(o, trials.labels), o, trials.labels]


def scored(parts, trial=None):
    """The Evaluation of the batches that score_part scored, in order."""
    losses, correct, outputs, labels = (torch.cat(column).cpu().numpy() for column in zip(*parts))
    return Evaluation(loss=float(losses.astype(np.float64).mean()), accuracy=float(correct.mean()),
                      losses=losses, correct=correct, outputs=outputs, labels=labels, trial=trial)


def criterion_met(task, trial, evaluation, loss_threshold=LOSS_THRESHOLD, accuracy_threshold=ACCURACY_THRESHOLD):
    """spikeRNN's stopping rule after the evaluation at 0-based trial index `trial`: mean loss below
    7 and accuracy strictly above 0.95 (at least 96 of 100 right), and trial > task.stop_after_trial
    (1500 for Go-NoGo, so its earliest stop is at the evaluation after trial 1501)."""
    return (evaluation.loss < loss_threshold and evaluation.accuracy > accuracy_threshold
            and trial > task.stop_after_trial)
