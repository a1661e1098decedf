"""Pictures of a converted network: spike raster, outputs against the targets, accuracy against s.

Each function returns a matplotlib Figure made without pyplot, as rnncourse.rate.plots does: the
value of a notebook cell shows as a PNG, and a script saves it with fig.savefig(path).
"""

import numpy as np

from rnncourse.rate.plots import NotebookFigure
from rnncourse.spiking.evaluation import THRESHOLD, WINDOW_FROM


def _figure(width, height):
    return NotebookFigure(figsize=(width, height))


def plot_raster(run, inh, title="spikes", first_step=9, order=None, pulse=None, pulse_label="input pulse"):
    """Spike raster of one trial recorded with record=True: excitatory units red, inhibitory blue,
    from `first_step` on, time in seconds. order: the units from the bottom row up (default: the
    excitatory units, then the inhibitory ones, each in index order), e.g. sorted by readout
    weight; pulse: (start, end) in seconds, shaded (the task's input) and named pulse_label."""
    spk = run.spk.cpu().numpy()
    order = np.concatenate([np.flatnonzero(~inh), np.flatnonzero(inh)]) if order is None else np.asarray(order)
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    if pulse is not None:
        ax.axvspan(*pulse, color="gold", alpha=0.25, lw=0, label=pulse_label)
    for row, unit in enumerate(order):
        steps = np.flatnonzero(spk[unit, first_step:]) + first_step
        ax.plot((steps + 1) * run.dt, np.full(len(steps), row), "|", ms=3,
                color="tab:blue" if inh[unit] else "tab:red")
    ax.set_xlim(0, run.T)
    ax.set_ylim(-1, len(order))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"unit ({(~inh[order]).sum()} excitatory, {inh[order].sum()} inhibitory)")
    if pulse is not None:
        ax.legend(loc="upper right", fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_outputs(task, runs, names, separate=False):
    """out(t) of one trial per condition (runs: Runs of single trials; names: their conditions), with
    the correctness window and thresholds. separate: one panel per run, each with its own output
    range, for runs whose outputs differ in size (several scaling factors)."""
    fig = _figure(8, 2.2 * len(runs) if separate else 3.5)
    axes = fig.subplots(len(runs), 1, sharex=True, squeeze=False)[:, 0] if separate else [fig.add_subplot()] * len(runs)
    for ax, run, name, colour in zip(axes, runs, names, [f"C{i}" for i in range(len(runs))]):
        out = run.out.cpu().numpy().reshape(-1)
        ax.plot((np.arange(len(out)) + 1) * run.dt, out, lw=1, label=name, color=colour)
    for ax in axes[:len(runs) if separate else 1]:
        ax.axvline(WINDOW_FROM[task], color="grey", ls=":", lw=1, label="scored from here")
        for level in (THRESHOLD, -THRESHOLD if task != "go-nogo" else 0.3):
            ax.axhline(level, color="grey", ls="--", lw=0.8)
        ax.set_ylabel("network output")
        ax.legend(fontsize=8, loc="upper right")
    axes[-1].set_xlabel("time (s)")
    axes[0].set_title(f"{task}: spiking network output")
    fig.tight_layout()
    return fig


def plot_accuracy(result, title="accuracy against the scaling factor"):
    """Accuracy (SpikingEvaluation) against s, the best marked."""
    fig = _figure(5, 3.5)
    ax = fig.add_subplot()
    ax.plot(result.scaling_factors, result.accuracy, "o-")
    ax.axvline(result.best, color="grey", ls=":", label=f"best s = {result.best:g}")
    ax.set_xlabel("scaling factor s (W = w / s)")
    ax.set_ylabel(f"accuracy ({result.n_trials} trials each)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig
