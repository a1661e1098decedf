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


def _pc_label(trajectories, i):
    return f"PC{i + 1} ({100 * trajectories.explained[i]:.0f}% var.)"


def plot_pca(trajectories, path=None):
    """Condition-averaged trajectories on their principal axes (a Trajectories from
    rnncourse.rate.analysis.trajectories): PC1 against PC2 (circle: start, square: end); PC1 over
    time; and the fraction of variance each axis explains, with the running total."""
    projections, conditions = trajectories.projections, trajectories.conditions
    fig = NotebookFigure(figsize=(13, 4))
    plane, time_ax, variance_ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.4, 0.8]})
    times = np.arange(projections.shape[1]) * MS_PER_STEP
    second = 1 if projections.shape[2] > 1 else 0
    for condition, path_c in zip(conditions, projections):
        line, = plane.plot(path_c[:, 0], path_c[:, second], lw=1.5, label=condition)
        plane.plot(path_c[0, 0], path_c[0, second], "o", color=line.get_color())
        plane.plot(path_c[-1, 0], path_c[-1, second], "s", color=line.get_color())
        time_ax.plot(times, path_c[:, 0], lw=1.5, color=line.get_color(), label=condition)
    plane.set_xlabel(_pc_label(trajectories, 0))
    plane.set_ylabel(_pc_label(trajectories, second))
    plane.legend(fontsize=8)
    time_ax.set_xlabel("time (ms)")
    time_ax.set_ylabel(_pc_label(trajectories, 0))
    components = np.arange(1, len(trajectories.explained) + 1)
    variance_ax.bar(components, trajectories.explained, color="tab:blue", label="each")
    variance_ax.plot(components, np.cumsum(trajectories.explained), "ko-", ms=4, label="cumulative")
    variance_ax.set_ylim(0, 1.02)
    variance_ax.set_xticks(components)
    variance_ax.set_xlabel("principal component")
    variance_ax.set_ylabel("fraction of variance")
    variance_ax.legend(fontsize=8)
    return _finish(fig, path)


def plot_fixed_points(fixed_points, trajectories=None, path=None):
    """Fixed points (a FixedPoints from rnncourse.rate.analysis.fixed_points): their rates on the
    first two principal axes of `trajectories` (drawn too) when given, else of the points' own
    rates (filled: stable, open: unstable); and the eigenvalues of the flow's Jacobian at each
    point, in 1/step, with the line Re = 0 that stability must stay left of."""
    rates = fixed_points.rates
    if trajectories is not None:
        mean, axes = trajectories.mean, trajectories.components[:2]
    else:
        mean = rates.mean(0) if len(rates) else np.zeros(rates.shape[1])
        axes = np.zeros((0, rates.shape[1]))
        if len(rates) > 1:
            axes = np.linalg.svd(rates - mean, full_matrices=False)[2][:2]
    axes = np.vstack([axes, np.zeros((2 - len(axes), rates.shape[1]))])   # too few points: flat axes
    fig = NotebookFigure(figsize=(10, 4.4))
    plane, spectrum = fig.subplots(1, 2)
    if trajectories is not None:
        for condition, rates_c in zip(trajectories.conditions, trajectories.rates):
            shown = (rates_c - mean) @ axes.T
            plane.plot(shown[:, 0], shown[:, 1], lw=1, alpha=0.6, label=condition)
        plane.set_xlabel(_pc_label(trajectories, 0))
        plane.set_ylabel(_pc_label(trajectories, 1) if len(trajectories.explained) > 1 else "")
    else:
        plane.set_xlabel("PC1 of the fixed points' rates")
        plane.set_ylabel("PC2 of the fixed points' rates")
    points = (rates - mean) @ axes.T
    for k, (point, stable) in enumerate(zip(points, fixed_points.stable)):
        kind = "stable" if stable else "unstable"
        plane.plot(point[0], point[1], "o", ms=9, mec="k", mfc="k" if stable else "w",
                   label=f"x*{k + 1}: {kind} ({fixed_points.counts[k]} starts)")
        eigenvalues = fixed_points.eigenvalues[k]
        spectrum.plot(eigenvalues.real, eigenvalues.imag, ".", ms=5, label=f"x*{k + 1} ({kind})")
    spectrum.axvline(0, color="tab:red", ls=":", lw=1)
    spectrum.set_xlabel("Re(lambda) (1/step)")
    spectrum.set_ylabel("Im(lambda) (1/step)")
    spectrum.set_title("eigenvalues of the Jacobian of the flow")
    plane.set_title(f"fixed points for u = {np.array2string(fixed_points.u, precision=2)}")
    plane.legend(fontsize=7)
    if len(points):
        spectrum.legend(fontsize=7)
    return _finish(fig, path)


def plot_psychometric(psychometric, path=None):
    """Mante choices (a Psychometric from rnncourse.rate.analysis.psychometric): in each context,
    the fraction of +1 answers against the offset of the cued channel (solid) and of the other
    (dashed); and the accuracy against the cued channel's offset, in both contexts."""
    offsets = psychometric.offsets
    fig = NotebookFigure(figsize=(12, 3.8))
    axes = fig.subplots(1, 3)
    for context, ax in zip((1, 2), axes[:2]):
        for channel in (1, 2):
            cued = channel == context
            ax.plot(offsets, psychometric.choices(context, channel), "o-" if cued else "s--", ms=4,
                    label=f"channel {channel} ({'cued' if cued else 'ignored'})")
        ax.set_title(f"context {context}: report channel {context}")
        ax.set_xlabel("channel offset (evidence)")
        ax.set_ylabel("fraction of +1 answers")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize=8)
    for context in (1, 2):
        axes[2].plot(offsets, psychometric.accuracy(context), "o-", ms=4, label=f"context {context}")
    axes[2].set_ylim(-0.02, 1.02)
    axes[2].set_xlabel("offset of the cued channel")
    axes[2].set_ylabel("accuracy")
    axes[2].set_title(f"{psychometric.n_trials} trials per point")
    axes[2].legend(fontsize=8)
    return _finish(fig, path)


def plot_lesion(evaluations, path=None):
    """Lesion results ({name: Evaluation}, e.g. rnncourse.rate.analysis.compare_lesions): the
    accuracy of each network, and its mean output over time for each label (one colour per
    network, one line style per label)."""
    names = list(evaluations)
    fig = NotebookFigure(figsize=(11, 4))
    bars, outputs = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2]})
    bars.bar(range(len(names)), [evaluations[n].accuracy for n in names], color=[f"C{i}" for i in range(len(names))])
    bars.set_xticks(range(len(names)))
    bars.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    bars.set_ylim(0, 1.02)
    bars.set_ylabel("accuracy")
    styles = ["-", "--", ":", "-."]
    for i, name in enumerate(names):
        result = evaluations[name]
        times = np.arange(1, result.outputs.shape[1] + 1) * MS_PER_STEP   # o[:, i] is read at step i + 1
        for j, label in enumerate(np.unique(result.labels)):
            outputs.plot(times, result.outputs[result.labels == label].mean(0), color=f"C{i}",
                         ls=styles[j % len(styles)], lw=1.3, label=f"{name}, label {label:g}")
    outputs.set_xlabel("time (ms)")
    outputs.set_ylabel("mean output o")
    outputs.legend(fontsize=7, ncol=2)
    return _finish(fig, path)
