"""Pictures of a converted network: spike raster, outputs against the targets, accuracy against s.

Each function returns a matplotlib Figure made without pyplot, as rnncourse.rate.plots does: the
value of a notebook cell shows as a PNG, and a script saves it with fig.savefig(path).
"""

import numpy as np

from rnncourse.rate.plots import NotebookFigure
from rnncourse.spiking.evaluation import THRESHOLD, WINDOW_FROM


def _figure(width, height):
    return NotebookFigure(figsize=(width, height))


def plot_raster(run, inh, title="spikes", first_step=9):
    """Spike raster of one trial recorded with record=True: excitatory units red (bottom), inhibitory
    blue (top), from `first_step` on, time in seconds."""
    spk = run.spk.cpu().numpy()
    order = np.concatenate([np.flatnonzero(~inh), np.flatnonzero(inh)])
    fig = _figure(8, 4)
    ax = fig.add_subplot()
    for row, unit in enumerate(order):
        steps = np.flatnonzero(spk[unit, first_step:]) + first_step
        ax.plot((steps + 1) * run.dt, np.full(len(steps), row), "|", ms=3,
                color="tab:blue" if inh[unit] else "tab:red")
    ax.set_xlim(0, run.T)
    ax.set_ylim(-1, len(order))
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"unit ({(~inh).sum()} excitatory, then {inh.sum()} inhibitory)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_outputs(task, runs, names):
    """out(t) of one trial per condition (runs: Runs of single trials; names: their conditions), with
    the correctness window and thresholds."""
    fig = _figure(8, 3.5)
    ax = fig.add_subplot()
    for run, name in zip(runs, names):
        out = run.out.cpu().numpy()
        ax.plot((np.arange(len(out)) + 1) * run.dt, out, lw=1, label=name)
    ax.axvline(WINDOW_FROM[task], color="grey", ls=":", lw=1, label="scored from here")
    for level in (THRESHOLD, -THRESHOLD if task != "go-nogo" else 0.3):
        ax.axhline(level, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("network output")
    ax.set_title(f"{task}: spiking network output")
    ax.legend(fontsize=8)
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
