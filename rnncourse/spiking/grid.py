"""spikeRNN's scaling-factor grid search over model files, its results appended to each .mat.

For each model: accuracy as a spiking network at s = 20, 25, ..., 75 over 100 fresh trials each;
then three fields join the file, every other field kept as it was (as MATLAB's save -append):
opt_scaling_factor (1, 1), the best s (the smallest on ties); all_perfs (12, 1), the accuracies;
scaling_factors (1, 12). While a file is searched it holds opt_scaling_factor = NaN, so a second
search of the same folder skips it; a file that has the field is skipped unless force=True.
"""

import os
from pathlib import Path

import numpy as np
import scipy.io

from rnncourse.spiking.evaluation import GRID_TRIALS, SCALING_FACTORS, evaluate
from rnncourse.spiking.network import LIFNetwork


def model_files(path):
    """The .mat files at `path`: the file itself, or every .mat under the folder, sorted."""
    path = Path(path)
    if path.is_file():
        return [path]
    if path.is_dir():
        return sorted(path.rglob("*.mat"))
    raise FileNotFoundError(f"{path}: no such file or folder of model .mat files")


def read_fields(path):
    return {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}


def append_fields(path, new):
    """Write `new` fields into the .mat at `path`, every other field kept; atomically."""
    fields = {**read_fields(path), **new}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    scipy.io.savemat(tmp, fields, do_compression=True)
    os.replace(tmp, path)


def grid_search(path, *, force=False, n_trials=GRID_TRIALS, scaling_factors=SCALING_FACTORS, **options):
    """Search one model file; returns its SpikingEvaluation, or None when it was skipped (done, or
    being searched). options go to evaluation.evaluate (seed, dtype, device, progress, ...)."""
    path = Path(path)
    before = read_fields(path)
    if "opt_scaling_factor" in before and not force:
        return None
    net = LIFNetwork.load(path)
    append_fields(path, {"opt_scaling_factor": np.array([[np.nan]])})
    try:
        result = evaluate(net, scaling_factors, n_trials, **options)
    except BaseException:
        scipy.io.savemat(path, before, do_compression=True)        # the file as it was found
        raise
    append_fields(path, {"opt_scaling_factor": np.array([[result.best]]),
                         "all_perfs": result.accuracy.reshape(-1, 1),
                         "scaling_factors": result.scaling_factors.reshape(1, -1)})
    return result


def table(result):
    """The accuracies as a two-column text table, the best s marked."""
    lines = ["     s  accuracy"]
    for s, acc in zip(result.scaling_factors, result.accuracy):
        lines.append(f"{s:6g}  {acc:8.2f}" + ("  <- best" if s == result.best else ""))
    return "\n".join(lines)
