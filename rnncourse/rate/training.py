"""Training a rate network by backpropagation through time, with spikeRNN's schedule and stopping rule.

spikeRNN trains on ONE fresh random trial per Adam update (TF1's Adam, learning rate 0.01; see
rnncourse.rate.optimizer), evaluates after the trials tr = 1, 101, 201, ... (0-based) on 100 fresh
trials, and stops at the first evaluation with mean loss < 7, accuracy > 0.95 and, for Go-NoGo,
tr > 1500; otherwise it runs all n_trials.

`train` does the same with `batch_size` trials per update:
- batch_size=1 is the faithful mode: spikeRNN update for update (one trial, its own noise).
- the default, DEFAULT_BATCH_SIZE, averages the per-trial losses of a few trials per update. The
  bookkeeping stays in spikeRNN's units: n_trials counts trials, `losses` holds one value per
  trial, evaluation follows the update whose trials include tr = 1, 101, 201, ..., and the stopping
  rule reads the index of the last trial used. Go-NoGo (N=200) needs about 150-190 updates
  whatever the batch size, and may stop only after trial 1500, so a batch of 8 reaches the
  criterion in about the fewest trials and the fewest updates together.

Two things differ from spikeRNN on purpose (its evaluation defects):
- when the trials run out between evaluations, the network is evaluated once more, so the saved
  eval_* fields describe the saved network, not one up to 99 updates older;
- training with fewer than 2 trials (spikeRNN then saves results it never computed) still ends
  with an evaluation.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from rnncourse.rate.evaluation import (
    ACCURACY_THRESHOLD,
    EVAL_EVERY,
    EVAL_TRIALS,
    LOSS_THRESHOLD,
    criterion_met,
    evaluate,
    make_generators,
)
from rnncourse.rate.losses import trial_losses
from rnncourse.rate.optimizer import TFAdam

DEFAULT_BATCH_SIZE = 8
LEARNING_RATE = 0.01


@dataclass
class TrialRecord:
    """One trial as spikeRNN keeps it: u (Nin, T), target (T,), x and r (T, N), o (T-1,), NumPy."""
    u: np.ndarray
    target: np.ndarray
    x: np.ndarray
    r: np.ndarray
    o: np.ndarray


@dataclass
class TrainingResult:
    """What training leaves besides the trained model.

    losses (n_trials,): the loss of every training trial, zeros after the last one run.
    evaluations: every Evaluation in order (the last one scores the returned network).
    tr: 0-based index of the last trial run; success: whether the stopping rule was met.
    initial: the trial run before training (spikeRNN's x0, r0), with w0 (relu'd w), w_in0 and
    taus_gaus0 as NumPy arrays. last_trial: the last training trial (before its update).
    seconds: wall time of the training loop; batch_size, loss_fn and seed: how it was trained.
    model: the trained RateRNN (the network that was passed in, trained in place).
    """
    losses: np.ndarray
    evaluations: list
    tr: int
    success: bool
    initial: TrialRecord
    w0: np.ndarray
    w_in0: np.ndarray
    taus_gaus0: np.ndarray
    last_trial: TrialRecord
    seconds: float
    batch_size: int
    loss_fn: str
    seed: int
    model: object = None

    @property
    def last_evaluation(self):
        return self.evaluations[-1]

    @property
    def eval_history(self):
        """(k, 3) rows [trial, loss, accuracy], one per evaluation."""
        return np.array([[e.trial, e.loss, e.accuracy] for e in self.evaluations], dtype=np.float64).reshape(-1, 3)


def _record(trials, run):
    """TrialRecord of the last trial of a batch (Trials and the RateRun computed on it)."""
    def numpy(t, dtype=np.float32):
        return t[-1].detach().cpu().numpy().astype(dtype)
    return TrialRecord(u=numpy(trials.u, np.float64), target=numpy(trials.z, np.float64),
                       x=numpy(run.x), r=numpy(run.r), o=numpy(run.o))


def trainable_parameters(model):
    """The parameters Adam updates: w, w_out, b_out, and taus_gaus when two taus are given."""
    return [p for p in model.parameters() if p.requires_grad]


def train_step(model, optimizer, trials, noise=None, loss_fn="l2", generator=None):
    """One update on a batch of Trials: forward (noise given or drawn from `generator`), the mean of
    the per-trial losses, backward, optimizer step. Returns (per-trial losses (B,), the RateRun),
    both computed before the update, as spikeRNN fetches them."""
    run = model(trials.u, noise, generator)
    losses = trial_losses(run.o, trials.z, loss_fn)
    optimizer.zero_grad(set_to_none=True)
    losses.mean().backward()
    optimizer.step()
    return losses.detach(), run


@contextmanager
def torch_threads(threads):
    """Run the block with `threads` torch CPU threads (None: as they are), then restore the setting."""
    before = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_training_arguments(models, task, n_trials, batch_size, loss_fn):
    """Raise a ValueError for the first argument that training cannot use, before any work."""
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials={n_trials!r}: train on at least one trial.")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: use a positive integer (1 = spikeRNN's one trial per update).")
    for model in models:
        if model.n_inputs != task.n_inputs:
            raise ValueError(f"The network has {model.n_inputs} input channel(s) but task {task.name!r} gives "
                             f"{task.n_inputs}: build it with RateRNN(N, {task.n_inputs}, ...).")
    trial_losses(torch.zeros(1, 1), torch.zeros(1, 2), loss_fn)   # an unknown loss_fn fails here, not mid-run


@torch.no_grad()
def initial_look(model, task, generators):
    """spikeRNN's look at the untrained network: one trial run (a TrialRecord), then w0 (relu'd w),
    w_in0 and taus_gaus0 as NumPy arrays. Draws from `generators` as training's first step."""
    first = task.trials(1, generators.trials, model.device)
    initial = _record(first, model(first.u, generator=generators.noise))
    return (initial, model.rectified_weights().cpu().numpy().copy(), model.w_in.cpu().numpy().copy(),
            model.taus_gaus.detach().cpu().numpy().copy())


def evaluates_after(done, size, eval_every=EVAL_EVERY):
    """Whether the update that used trials done-size .. done-1 is followed by an evaluation: one of
    them is tr = 1, 1 + eval_every, 1 + 2 eval_every, ... (spikeRNN's (tr - 1) % 100 == 0)."""
    return any((k - 1) % eval_every == 0 for k in range(done - size, done))


def train(model, task, n_trials, *, batch_size=DEFAULT_BATCH_SIZE, loss_fn="l2", learning_rate=LEARNING_RATE,
          seed=None, generators=None, progress=True, threads=1, eval_every=EVAL_EVERY, eval_trials=EVAL_TRIALS,
          loss_threshold=LOSS_THRESHOLD, accuracy_threshold=ACCURACY_THRESHOLD):
    """Train `model` on `task` for at most `n_trials` trials, `batch_size` trials per Adam update;
    stop early by spikeRNN's rule. Randomness: `generators` (see make_generators) or a pair seeded
    with `seed`. progress: show a tqdm bar with the last evaluation's loss and accuracy.
    threads: torch CPU threads while training, restored afterwards (None: leave torch's setting).
    One is fastest for a few hundred units: each step is too small to share, and a second thread
    spin-waits, many times slower, whenever another program holds a core.
    Many networks at once: rnncourse.rate.many.train_many.

    Returns a TrainingResult; `model` is trained in place.
    """
    check_training_arguments([model], task, n_trials, batch_size, loss_fn)
    if generators is None:
        generators = make_generators(seed, model.device)
    optimizer = TFAdam(trainable_parameters(model), lr=learning_rate)
    bar = tqdm(total=n_trials, unit="trial", desc=f"{task.name} N={model.N}", disable=not progress)
    with torch_threads(threads):
        initial, w0, w_in0, taus_gaus0 = initial_look(model, task, generators)

    losses = np.zeros(n_trials)
    evaluations, success, done = [], False, 0
    start = time.perf_counter()
    with torch_threads(threads):
        while done < n_trials and not success:
            size = min(batch_size, n_trials - done)
            trials = task.trials(size, generators.trials, model.device)
            batch_losses, run = train_step(model, optimizer, trials, loss_fn=loss_fn, generator=generators.noise)
            losses[done:done + size] = batch_losses.cpu().numpy()
            done += size
            bar.update(size)
            if evaluates_after(done, size, eval_every):
                evaluations.append(evaluate(model, task, eval_trials, loss_fn, generators=generators, trial=done - 1))
                success = criterion_met(task, done - 1, evaluations[-1], loss_threshold, accuracy_threshold)
                bar.set_postfix(loss=f"{evaluations[-1].loss:.2f}", acc=f"{evaluations[-1].accuracy:.2f}")
        if not evaluations or evaluations[-1].trial != done - 1:
            evaluations.append(evaluate(model, task, eval_trials, loss_fn, generators=generators, trial=done - 1))
    seconds = time.perf_counter() - start
    bar.close()
    return TrainingResult(losses=losses, evaluations=evaluations, tr=done - 1, success=success,
                          initial=initial, w0=w0, w_in0=w_in0, taus_gaus0=taus_gaus0,
                          last_trial=_record(trials, run), seconds=seconds, batch_size=batch_size,
                          loss_fn=loss_fn, seed=generators.seed, model=model)
