"""Figures of a rate network and its training, with matplotlib.

Each function returns a matplotlib Figure and also saves it when `path` is given. The figures are
made without pyplot, so nothing piles up in a script or shows twice in a notebook; in Jupyter or
Colab, end a cell with the call (or `display(fig)`) to see it. Time is shown in ms (one step = 5 ms).
"""

import io

import numpy as np
import torch
from matplotlib.figure import Figure

from rnncourse.rate.evaluation import ACCURACY_THRESHOLD, LOSS_THRESHOLD, make_generators

MS_PER_STEP = 5.0


class NotebookFigure(Figure):
    """A matplotlib Figure that Jupyter shows as a PNG when it is the value of a cell, whatever the
    backend (a Figure made without pyplot otherwise shows as text)."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _numpy(a):
    return a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)


@torch.no_grad()
def plot_trials(model, task, n_per_condition=3, seed=0, path=None):
    """Example trials of `task` run through `model` (noise on), one column per condition
    (Go / NoGo; the four XOR sign pairs; Mante's context and answer): the inputs on top; below,
    n_per_condition outputs with the target (dashed) and the outputs the rule scores (shaded)."""
    generators = make_generators(seed, model.device)
    trials = task.trials(max(40, 10 * n_per_condition), generators.trials, model.device)
    o = model(trials.u, generator=generators.noise).o.cpu().numpy()
    names = task.condition_names(trials)
    conditions = sorted(set(names))
    fig = NotebookFigure(figsize=(3.2 * len(conditions), 4.4))
    axes = fig.subplots(2, len(conditions), sharex=True, sharey="row", squeeze=False,
                        gridspec_kw={"height_ratios": [1, 2]})
    times = np.arange(task.T) * MS_PER_STEP
    scored = times[1:][task.scored_outputs]   # o[:, i] is read at step i + 1
    for column, condition in enumerate(conditions):
        chosen = [i for i, name in enumerate(names) if name == condition][:n_per_condition]
        top, bottom = axes[0, column], axes[1, column]
        for channel in range(task.n_inputs):
            top.plot(times, trials.u[chosen[0], channel].cpu().numpy(), lw=1, label=f"u[{channel}]")
        bottom.axvspan(scored[0], scored[-1], color="0.9", label="scored")
        for i in chosen:
            bottom.plot(times[1:], o[i], lw=1.2)
        bottom.plot(times, trials.z[chosen[0]].cpu().numpy(), "k--", lw=1, label="target z")
        top.set_title(condition, fontsize=10)
        bottom.set_xlabel("time (ms)")
    axes[0, 0].set_ylabel("input u")
    axes[1, 0].set_ylabel("output o")
    axes[1, 0].legend(loc="best", fontsize=8)
    if task.n_inputs > 1:
        axes[0, -1].legend(loc="upper right", fontsize=7)
    return _finish(fig, path)


def plot_training(result, path=None):
    """Loss and accuracy over training. `result`: a TrainingResult or a SavedModel (anything with
    losses (n_trials,), eval_history (k, 3) rows [trial, loss, accuracy] and tr)."""
    history = np.asarray(result.eval_history).reshape(-1, 3)
    losses = np.asarray(result.losses)[: (result.tr + 1) if result.tr is not None else None]
    fig = NotebookFigure(figsize=(7, 5))
    loss_ax, accuracy_ax = fig.subplots(2, 1, sharex=True)
    loss_ax.plot(np.arange(len(losses)), losses, color="0.8", lw=0.6, label="training trial")
    if len(losses) >= 100:
        running = np.convolve(losses, np.ones(100) / 100, mode="valid")
        loss_ax.plot(np.arange(99, len(losses)), running, color="0.3", lw=1, label="mean of last 100 trials")
    loss_ax.plot(history[:, 0], history[:, 1], "o-", ms=3, label="evaluation (mean of 100)")
    loss_ax.axhline(LOSS_THRESHOLD, color="tab:red", ls=":", label=f"stop below {LOSS_THRESHOLD:g}")
    loss_ax.set_ylabel("loss")
    loss_ax.legend(fontsize=8)
    accuracy_ax.plot(history[:, 0], history[:, 2], "o-", ms=3, color="tab:green")
    accuracy_ax.axhline(ACCURACY_THRESHOLD, color="tab:red", ls=":", label=f"stop above {ACCURACY_THRESHOLD:g}")
    accuracy_ax.set_ylim(-0.02, 1.02)
    accuracy_ax.set_ylabel("accuracy")
    accuracy_ax.set_xlabel("trial")
    accuracy_ax.legend(fontsize=8, loc="lower right")
    return _finish(fig, path)


def plot_weights(model, path=None):
    """The signed effective weights W_eff = (relu(w) @ m) * som_m, units ordered excitatory first;
    row i, column j is the weight from unit j to unit i (red excitatory, blue inhibitory)."""
    w_eff = _numpy(model.effective_weights())
    order = np.argsort(_numpy(model.inh), kind="stable")
    n_exc = int((~_numpy(model.inh)).sum())
    limit = float(np.abs(w_eff).max()) or 1.0
    fig = NotebookFigure(figsize=(5.6, 4.8))
    ax = fig.subplots()
    image = ax.imshow(w_eff[np.ix_(order, order)], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    if 0 < n_exc < model.N:
        for line in (ax.axhline, ax.axvline):
            line(n_exc - 0.5, color="k", lw=0.6)
    ax.set_xlabel(f"from unit (presynaptic): {n_exc} E, then {model.N - n_exc} I")
    ax.set_ylabel("to unit (postsynaptic)")
    ax.set_title("effective weights W_eff")
    fig.colorbar(image, ax=ax, shrink=0.85)
    return _finish(fig, path)


def plot_taus(model, path=None, taus_gaus0=None):
    """Histogram of the per-unit time constants in ms, with the allowed range; taus_gaus0 (N, 1),
    e.g. a TrainingResult's, adds the values before training."""
    def in_ms(taus_gaus):
        if len(model.taus) == 1:
            return np.full(model.N, model.taus[0] * MS_PER_STEP)
        low, high = model.taus
        return (1 / (1 + np.exp(-np.ravel(taus_gaus))) * (high - low) + low) * MS_PER_STEP
    fig = NotebookFigure(figsize=(5.6, 3.6))
    ax = fig.subplots()
    bins = np.linspace(min(model.taus) * MS_PER_STEP, max(model.taus) * MS_PER_STEP + 1e-9, 21) \
        if len(model.taus) == 2 else 10
    if taus_gaus0 is not None:
        ax.hist(in_ms(_numpy(taus_gaus0)), bins=bins, color="0.75", label="before training")
    trained = _numpy(model.time_constants()) * MS_PER_STEP
    ax.hist(trained, bins=bins, histtype="step", lw=2, color="tab:blue",
            label=f"trained: {trained.mean():.1f} +- {trained.std():.1f} ms")
    for tau in model.taus:
        ax.axvline(tau * MS_PER_STEP, color="tab:red", ls=":")
    ax.set_xlabel("synaptic time constant tau (ms)")
    ax.set_ylabel("units")
    ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_eigenvalues(model, path=None, initial_w=None):
    """Eigenvalues of W_eff in the complex plane, with the unit circle; initial_w, the saved w0 (N, N)
    (relu'd initial w), adds the spectrum before training (w0 @ m * som_m)."""
    def spectrum(w_eff):
        return np.linalg.eigvals(np.asarray(w_eff, dtype=np.float64))
    fig = NotebookFigure(figsize=(5, 5))
    ax = fig.subplots()
    if initial_w is not None:
        initial = spectrum(_numpy(initial_w) @ _numpy(model.m) * _numpy(model.som_m))
        ax.plot(initial.real, initial.imag, ".", color="0.6", ms=4, label="before training")
    trained = spectrum(_numpy(model.effective_weights()))
    ax.plot(trained.real, trained.imag, ".", color="tab:blue", ms=4, label="trained")
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 200))
    ax.plot(circle.real, circle.imag, "k:", lw=1, label="unit circle")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Re(lambda)")
    ax.set_ylabel("Im(lambda)")
    ax.set_title("eigenvalues of W_eff")
    ax.legend(fontsize=8)
    return _finish(fig, path)
