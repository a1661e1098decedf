"""Many rate networks trained at once: K independent networks in one batched computation.

Each network keeps everything it would have alone: its seed, masks and initial weights (its own
RateRNN), its Adam state (its own TFAdam), and its own trial and noise generators, drawn from in
the same order as `train` draws from them. Only the training runs' recurrence, the 2 x (T-1)
small matrix products per update that dominate the time, runs for all networks together: their
terms are stacked to (K, ...) tensors and LeakyRecurrence runs them (one torch.baddbmm per step on
a GPU). The rest (inputs, readout, loss, Adam, scoring) is each network's own code on its own slice,
so network k's numbers are those of `train` with the same seed: tests/test_rate_many.py checks that
they are equal bit for bit on the CPU (weights, losses, evaluations, stopping trial) with batches of
8, 3 and 1. On a GPU the batched products may round differently from single ones.

On a CPU this saves little time: per network, the recurrence's matrix products take as long
batched as alone (the products are most of an update), so the gain is the per-operation overhead
only; what pays there is `threads`, which keeps both cores of a laptop busy.

The stopping rule is applied to each network on its own: a network that meets it is finished then
(its TrainingResult made, `on_done` called, e.g. to save it) and leaves the batch, so later
updates cost less. On the CPU, `threads` splits the networks into that many groups, each trained
in its own thread with one-threaded torch operations (torch's own threads spin-wait whenever
another program holds a core); the groups are independent, so the split changes no result.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from tqdm.auto import tqdm

from rnncourse.rate.evaluation import (
    ACCURACY_THRESHOLD,
    EVAL_EVERY,
    EVAL_TRIALS,
    LOSS_THRESHOLD,
    Generators,
    criterion_met,
    evaluate,
    make_generators,
    score_part,
    scored,
)
from rnncourse.rate.losses import trial_losses
from rnncourse.rate.model import RateRun
from rnncourse.rate.optimizer import TFAdam
from rnncourse.rate.recurrence import LeakyRecurrence
from rnncourse.rate.training import (
    DEFAULT_BATCH_SIZE,
    LEARNING_RATE,
    TrainingResult,
    _record,
    check_training_arguments,
    evaluates_after,
    initial_look,
    torch_threads,
    trainable_parameters,
)

#: At most this many trials (networks x trials each) per stacked evaluation run on a GPU, to bound
#: memory: 400 trials of Go-NoGo at N=200 hold a few hundred MB (states, rates, drive, noise).
EVAL_ROWS = 400


def stacked_run(models, inputs, noises):
    """Run each network of `models` on its own trials, the recurrence for all of them at once.

    models: K RateRNNs alike in N, activation, device and dtype; inputs: K tensors u (B, n_inputs,
    T), the same B and T for all; noises: K StateNoise (x0 (B, N), steps (B, T-1, N)).
    Returns K RateRuns, network k's x, r (B, T, N) and o (B, T-1), as models[k](inputs[k], noises[k]).
    """
    terms = [model.recurrence_terms(u, noise) for model, u, noise in zip(models, inputs, noises)]
    x0, drive, keep, M = (torch.stack(column) for column in zip(*terms))
    x, r = LeakyRecurrence.apply(x0, drive, keep.unsqueeze(1), M.transpose(1, 2), models[0].activation)
    # unbind, not x[k]: one backward node for all K slices, not K full-size zero tensors
    return [RateRun(x_k.transpose(0, 1), r_k.transpose(0, 1), model.readout(r_k))
            for x_k, r_k, model in zip(x.unbind(0), r.unbind(0), models)]


@torch.no_grad()
def evaluate_many(models, task, generators, n_trials=EVAL_TRIALS, loss_fn="l2", trial=None, stacked=None):
    """evaluate() for each network with its own Generators (a list, one per model). Returns K
    Evaluations, each equal to evaluate(models[k], ..., generators=generators[k]).

    stacked=None: on the CPU that is what it does, network after network: 100 trials already make
    products big enough to use a core well, and stacking networks only copies more memory
    (four networks per run measured 30-50% slower, and a higher peak of memory). Elsewhere (or with
    stacked=True) the forward runs are stacked, EVAL_ROWS trials at a time, so that a GPU gets work
    enough per step.
    """
    if stacked is None:
        stacked = models[0].device.type != "cpu"
    if not stacked:
        return [evaluate(m, task, n_trials, loss_fn, generators=g, trial=trial) for m, g in zip(models, generators)]
    parts = [[] for _ in models]
    for start in range(0, n_trials, EVAL_TRIALS):
        size = min(EVAL_TRIALS, n_trials - start)
        group = max(1, EVAL_ROWS // size)
        for first in range(0, len(models), group):
            # Each network draws from its own generators, so drawing group by group changes no
            # number and keeps memory from growing with K.
            chosen, chosen_generators = models[first:first + group], generators[first:first + group]
            trials = [task.trials(size, g.trials, m.device) for m, g in zip(chosen, chosen_generators)]
            noises = [m.draw_noise(size, t.u.shape[-1], g.noise) for m, t, g in zip(chosen, trials, chosen_generators)]
            runs = stacked_run(chosen, [t.u for t in trials], noises)
            for k, t, run in zip(range(first, first + group), trials, runs):
                parts[k].append(score_part(task, t, run.o, loss_fn))
    return [scored(p, trial) for p in parts]


def _check_alike(models):
    first = models[0]
    for k, model in enumerate(models[1:], start=1):
        for what, a, b in (("N", first.N, model.N), ("activation", first.activation, model.activation),
                           ("device", first.device, model.device), ("dtype", first.w.dtype, model.w.dtype)):
            if a != b:
                raise ValueError(f"train_many trains networks alike in N, activation, device and dtype: network "
                                 f"{k} has {what} {b!r}, network 0 {a!r}.")
        if model is first or any(model is other for other in models[:k]):
            raise ValueError(f"network {k} appears twice in models: pass K distinct RateRNNs.")


class _Progress:
    """One tqdm bar over K x n_trials network-trials, shared by the worker threads; a network that
    stops early counts its unused trials as done. Postfix: met=<stopped by the rule>/K."""

    def __init__(self, total_networks, n_trials, description, enabled):
        self.lock = threading.Lock()
        self.networks, self.n_trials, self.met = total_networks, n_trials, 0
        self.bar = tqdm(total=total_networks * n_trials, unit="trial", desc=description, disable=not enabled)
        self.bar.set_postfix_str(f"met=0/{total_networks}")

    def advance(self, trials):
        with self.lock:
            self.bar.update(trials)

    def finished(self, result, on_done, index):
        with self.lock:
            self.met += result.success
            self.bar.update(self.n_trials - 1 - result.tr)
            self.bar.set_postfix_str(f"met={self.met}/{self.networks}, last stop at trial {result.tr}")
            if on_done is not None:
                on_done(index, result)

    def close(self):
        self.bar.close()


def _train_group(indices, models, generators, task, n_trials, settings, progress, on_done):
    """Train models[k] for k in `indices` together; returns {k: TrainingResult}."""
    batch_size, loss_fn = settings["batch_size"], settings["loss_fn"]
    optimizers = {k: TFAdam(trainable_parameters(models[k]), lr=settings["learning_rate"]) for k in indices}
    looks = {k: initial_look(models[k], task, generators[k]) for k in indices}
    losses = {k: np.zeros(n_trials) for k in indices}
    evaluations = {k: [] for k in indices}
    results, active, done = {}, list(indices), 0
    start = time.perf_counter()

    def finish(k, success, trials, run):
        initial, w0, w_in0, taus_gaus0 = looks.pop(k)
        results[k] = TrainingResult(
            losses=losses[k], evaluations=evaluations[k], tr=done - 1, success=success, initial=initial, w0=w0,
            w_in0=w_in0, taus_gaus0=taus_gaus0, last_trial=_record(trials, run),
            seconds=time.perf_counter() - start, batch_size=batch_size, loss_fn=loss_fn,
            seed=generators[k].seed, model=models[k])
        progress.finished(results[k], on_done, k)

    def evaluate_active(trials, runs):
        found = evaluate_many([models[k] for k in active], task, [generators[k] for k in active],
                              settings["eval_trials"], loss_fn, trial=done - 1)
        for k, evaluation in zip(list(active), found):
            evaluations[k].append(evaluation)
            if criterion_met(task, done - 1, evaluation, settings["loss_threshold"], settings["accuracy_threshold"]):
                position = active.index(k)
                finish(k, True, trials[position], runs[position])
                del active[position], trials[position], runs[position]

    while done < n_trials and active:
        size = min(batch_size, n_trials - done)
        chosen = [models[k] for k in active]
        trials = [task.trials(size, generators[k].trials, models[k].device) for k in active]
        noises = [m.draw_noise(size, t.u.shape[-1], generators[k].noise) for k, m, t in zip(active, chosen, trials)]
        runs = stacked_run(chosen, [t.u for t in trials], noises)
        batch_losses = [trial_losses(run.o, t.z, loss_fn) for run, t in zip(runs, trials)]
        for k in active:
            optimizers[k].zero_grad(set_to_none=True)
        torch.stack([b.mean() for b in batch_losses]).sum().backward()   # each network's own mean loss
        for k, b in zip(active, batch_losses):
            optimizers[k].step()
            losses[k][done:done + size] = b.detach().cpu().numpy()
        done += size
        progress.advance(size * len(active))
        if evaluates_after(done, size, settings["eval_every"]):
            evaluate_active(trials, runs)
    if active:   # trials ran out: score the networks as they are, as train does
        stale = [k for k in active if not evaluations[k] or evaluations[k][-1].trial != done - 1]
        if stale:
            found = evaluate_many([models[k] for k in stale], task, [generators[k] for k in stale],
                                  settings["eval_trials"], loss_fn, trial=done - 1)
            for k, evaluation in zip(stale, found):
                evaluations[k].append(evaluation)
        for position, k in enumerate(active):
            finish(k, False, trials[position], runs[position])
    return results


def train_many(models, task, n_trials, *, seeds=None, generators=None, batch_size=DEFAULT_BATCH_SIZE,
               loss_fn="l2", learning_rate=LEARNING_RATE, progress=True, threads=1, on_done=None,
               eval_every=EVAL_EVERY, eval_trials=EVAL_TRIALS, loss_threshold=LOSS_THRESHOLD,
               accuracy_threshold=ACCURACY_THRESHOLD):
    """Train K independent networks on `task` at once, each exactly as train() would alone.

    models: K distinct RateRNNs alike in N, activation, device and dtype (each trained in place), or
    a callable seed -> RateRNN, called once per seed (then `seeds` is required), e.g.
    ``lambda s: RateRNN(200, 1, seed=s)``.
    seeds: K ints, network k's randomness as train(..., seed=seeds[k]) (None in the list: fresh
    entropy); or generators: K Generators from make_generators. Neither: fresh seeds.
    batch_size, loss_fn, learning_rate, eval_every, eval_trials, loss_threshold,
    accuracy_threshold: as in train, the same for every network.
    threads (CPU only; default 1): split the networks into this many groups trained side by side,
    one thread each, every torch operation one-threaded; restored afterwards. On CUDA one group.
    on_done: called as on_done(k, result) when network k stops (the rule met, or the trials run
    out), in the thread that trained it, one call at a time: e.g. save it then.
    progress: a tqdm bar over all networks' trials with met=<networks that met the rule>/K.

    Returns K TrainingResults in the order of `models`, each with .model its trained network,
    .tr its last trial and .success whether it met the rule.
    """
    if callable(models) and not isinstance(models, torch.nn.Module):
        if seeds is None:
            raise ValueError("train_many(make_model, ...) needs seeds=[...]: one network is built per seed.")
        seeds = [make_generators(s, "cpu").seed for s in seeds]   # fix fresh seeds now, for the model and data
        models = [models(s) for s in seeds]
    models = list(models)
    if not models:
        raise ValueError("train_many needs at least one network (K >= 1); got none.")
    _check_alike(models)
    check_training_arguments(models, task, n_trials, batch_size, loss_fn)
    if generators is not None and seeds is not None:
        raise ValueError("Pass seeds or generators to train_many, not both.")
    if generators is None:
        seeds = [None] * len(models) if seeds is None else list(seeds)
        if len(seeds) != len(models):
            raise ValueError(f"{len(seeds)} seeds for {len(models)} networks: give one seed per network.")
        generators = [make_generators(s, model.device) for s, model in zip(seeds, models)]
    generators = list(generators)
    if len(generators) != len(models) or not all(isinstance(g, Generators) for g in generators):
        raise ValueError(f"generators: give one make_generators(...) pair per network ({len(models)}).")
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads={threads!r}: use a positive integer.")

    groups = min(threads, len(models)) if models[0].device.type == "cpu" else 1
    indices = [list(range(len(models)))[g::groups] for g in range(groups)]
    settings = dict(batch_size=batch_size, loss_fn=loss_fn, learning_rate=learning_rate, eval_every=eval_every,
                    eval_trials=eval_trials, loss_threshold=loss_threshold, accuracy_threshold=accuracy_threshold)
    bar = _Progress(len(models), n_trials, f"{task.name} N={models[0].N} x{len(models)}", progress)
    results = {}
    try:
        with torch_threads(1 if models[0].device.type == "cpu" else None):
            if groups == 1:
                results.update(_train_group(indices[0], models, generators, task, n_trials, settings, bar, on_done))
            else:
                with ThreadPoolExecutor(groups) as pool:
                    futures = [pool.submit(_train_group, group, models, generators, task, n_trials, settings,
                                           bar, on_done) for group in indices]
                    for future in futures:
                        results.update(future.result())
    finally:
        bar.close()
    return [results[k] for k in range(len(models))]
