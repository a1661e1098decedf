"""Trained rate networks as .mat files in spikeRNN's layout, written and read with scipy.io.

The fields and shapes (as scipy.io.loadmat returns them; MATLAB sees the same) are spikeRNN's, so
its analysis recipes work unchanged: final_w = w @ m (times som_m), taus_sig =
sigmoid(taus_gaus) * (taus[1] - taus[0]) + taus[0], plotting eval_os, and its MATLAB LIF
conversion, which reads w, m, som_m, w_in, w_out, inh, exc, N, taus, taus_gaus and taus_gaus0.

    N, som_N (1, 1)   w, w0, m, som_m (N, N)   w_in, w_in0 (N, Nin)   w_out (1, N)   b_out (1, 1)
    inh, exc (N, 1) logical   taus (1, 1) or (1, 2)   taus_gaus, taus_gaus0 (N, 1)   activation
    x0, r0, x, r (T, N, 1)   u (Nin, T)   o (T-1, 1, 1)   target (1, T)   losses (1, n_trials)
    eval_os (100, T-1)   eval_labels (1, 100), or 'same'/'diff' strings for XOR
    eval_perf_mean, eval_loss_mean, tr (1, 1)

w is saved after relu under Dale's principle, as spikeRNN does; w, w_out, b_out and taus_gaus are
the values after the last update, the network the last evaluation scored (spikeRNN's w is the one
its last training trial ran with, one update older). Files written here add fields
spikeRNN's readers ignore: the task and its settings (task, task_T, task_stim_on, ...), apply_dale,
P_inh, P_rec, gain, w_dist, loss_fn, batch_size, seed, training_success and eval_history (one row
[trial, loss, accuracy] per evaluation). spikeRNN's own files lack them: load_mat then takes the task
from the number of inputs (1 go-nogo, 2 xor, 4 mante) and apply_dale from w (no negative entry).
Unlike spikeRNN's load_net, load_mat restores the time constants.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from rnncourse.rate.model import RateRNN
from rnncourse.rate.tasks import get_task

TASK_BY_INPUTS = {1: "go-nogo", 2: "xor", 4: "mante"}

#: Fields a network needs, with their shapes in terms of N, Nin and the number of taus.
NETWORK_FIELDS = {
    "N": (1, 1), "som_N": (1, 1), "w": ("N", "N"), "m": ("N", "N"), "som_m": ("N", "N"),
    "w_in": ("N", "Nin"), "w_out": (1, "N"), "b_out": (1, 1), "inh": ("N", 1), "exc": ("N", 1),
    "taus": (1, "taus"), "taus_gaus": ("N", 1), "activation": (1,),
}
#: The record of a training run: checked when present (T from the file, n_eval from eval_os).
RECORD_FIELDS = {
    "w0": ("N", "N"), "w_in0": ("N", "Nin"), "taus_gaus0": ("N", 1),
    "x0": ("T", "N", 1), "r0": ("T", "N", 1), "x": ("T", "N", 1), "r": ("T", "N", 1),
    "u": ("Nin", "T"), "o": ("T-1", 1, 1), "target": (1, "T"), "losses": (1, "n_trials"),
    "eval_os": ("n_eval", "T-1"), "eval_perf_mean": (1, 1), "eval_loss_mean": (1, 1), "tr": (1, 1),
}


def mat_path(output_dir, task, N, taus, activation, P_rec=0.2, apply_dale=True, when=None, seed=None):
    """spikeRNN's file path: <output_dir>/models/<task>/[NoDale/]P_rec_<P_rec>_Taus_<min>_<max>/
    Task_<task>_N_<N>_Taus_<min>_<max>_Act_<activation>_<YYYY_MM_DD_HHMMSS>.mat ('Tau_<tau>' for one
    fixed tau). Numbers print as Python floats do (4 -> '4.0'); `when` defaults to now.
    seed: adds 'seed_<seed>_' before the time stamp (--n_networks writes one file per seed)."""
    taus = [float(t) for t in (taus if isinstance(taus, (list, tuple)) else [taus])]
    tau_part = f"Taus_{taus[0]}_{taus[1]}" if len(taus) == 2 else f"Tau_{taus[0]}"
    folder = Path(output_dir, "models", task.lower(), *([] if apply_dale else ["NoDale"]),
                  f"P_rec_{float(P_rec)}_{tau_part}")
    stamp = (when or datetime.datetime.now()).strftime("%Y_%m_%d_%H%M%S")
    seed_part = "" if seed is None else f"seed_{seed}_"
    return folder / f"Task_{task.lower()}_N_{N}_{tau_part}_Act_{activation}_{seed_part}{stamp}.mat"


def _column(a, dtype=np.float32):
    """(T, N) -> (T, N, 1): spikeRNN's list of [N, 1] columns."""
    return np.asarray(a, dtype=dtype)[..., None]


def network_fields(model):
    """The fields that describe `model` (spikeRNN's names and shapes, before savemat)."""
    inh = model.inh.cpu().numpy()[:, None]
    return {
        "N": model.N, "som_N": model.som_N,
        "w": model.rectified_weights().detach().cpu().numpy().astype(np.float32),
        "m": model.m.cpu().numpy().astype(np.float32), "som_m": model.som_m.cpu().numpy().astype(np.float32),
        "w_in": model.w_in.cpu().numpy().astype(np.float32),
        "w_out": model.w_out.detach().cpu().numpy().astype(np.float32),
        "b_out": np.float32(model.b_out.item()), "inh": inh, "exc": ~inh,
        "taus": list(model.taus), "taus_gaus": model.taus_gaus.detach().cpu().numpy().astype(np.float32),
        "activation": model.activation,
        "apply_dale": model.apply_dale, "P_inh": model.P_inh, "P_rec": model.P_rec, "gain": model.gain,
        "w_dist": model.w_dist,
    }


def training_fields(task, result):
    """The fields spikeRNN keeps about a training run (a TrainingResult), plus eval_history."""
    last, first, evaluation = result.last_trial, result.initial, result.last_evaluation
    return {
        "x0": _column(first.x), "r0": _column(first.r), "w0": result.w0.astype(np.float32),
        "w_in0": result.w_in0.astype(np.float32), "taus_gaus0": result.taus_gaus0.astype(np.float32),
        "u": last.u, "o": last.o.astype(np.float32).reshape(-1, 1, 1), "target": last.target,
        "x": _column(last.x), "r": _column(last.r),
        "losses": result.losses, "tr": result.tr,
        "eval_perf_mean": np.array([evaluation.accuracy]), "eval_loss_mean": np.array([evaluation.loss]),
        "eval_os": evaluation.outputs.astype(np.float64), "eval_labels": task.mat_labels(evaluation.labels),
        "eval_history": result.eval_history, "training_success": result.success,
        "loss_fn": result.loss_fn, "batch_size": result.batch_size, "seed": result.seed,
    }


def save_mat(path, model, task, result=None):
    """Write `model` (and the TrainingResult of its training, when given) for `task` to `path` in
    spikeRNN's layout with scipy.io.savemat. Creates missing folders; never overwrites: if `path`
    exists, '_1', '_2', ... is added before '.mat'. Returns the path written."""
    path = Path(path)
    if path.suffix != ".mat":
        raise ValueError(f"{path}: a spikeRNN model file must end in '.mat'.")
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate, k = path, 0
    while candidate.exists():
        k += 1
        candidate = path.with_name(f"{path.stem}_{k}.mat")
    values = network_fields(model)
    values["task"] = task.name
    values.update({f"task_{name}": value for name, value in task.settings().items()})
    if result is not None:
        values.update(training_fields(task, result))
    scipy.io.savemat(candidate, values)
    return candidate


@dataclass
class SavedModel:
    """A .mat file read back. model: the RateRNN; task: the Task it was trained for; loss_fn;
    fields: every array in the file by name (as loadmat returns it); path."""
    model: RateRNN
    task: object
    loss_fn: str
    fields: dict
    path: Path

    @property
    def losses(self):
        """(n_trials,) training loss per trial, or an empty array when the file has none."""
        return self.fields["losses"].ravel() if "losses" in self.fields else np.zeros(0)

    @property
    def tr(self):
        return int(self.fields["tr"].item()) if "tr" in self.fields else None

    @property
    def eval_labels(self):
        """(n_eval,) labels of the trials in eval_os, as the task's numbers (XOR: +1 same, -1 diff)."""
        return self.task.labels_from_mat(self.fields["eval_labels"]).numpy() if "eval_labels" in self.fields \
            else np.zeros(0)

    @property
    def eval_history(self):
        """(k, 3) rows [trial, loss, accuracy]: every evaluation in our files, the last one in spikeRNN's."""
        if "eval_history" in self.fields:
            return self.fields["eval_history"].reshape(-1, 3)
        if {"tr", "eval_loss_mean", "eval_perf_mean"} <= set(self.fields):
            return np.array([[self.tr, self.fields["eval_loss_mean"].item(), self.fields["eval_perf_mean"].item()]])
        return np.zeros((0, 3))


def _text(value):
    return str(np.asarray(value).ravel()[0]).strip()


def task_name(fields):
    """The task of a model file's fields: its `task` field (ours), else the one its number of
    inputs implies (spikeRNN's files); None when neither tells."""
    return _text(fields["task"]) if "task" in fields else TASK_BY_INPUTS.get(np.shape(fields["w_in"])[1])


def _expected(spec, sizes):
    """A shape spec such as ('N', 'Nin') made concrete with `sizes`; None where a size is unknown."""
    return tuple(sizes.get(s) if isinstance(s, str) else s for s in spec)


def _check_fields(path, data):
    """Raise one ValueError naming every missing or misshapen field of a spikeRNN model file."""
    missing = [name for name in NETWORK_FIELDS if name not in data]
    if missing:
        raise ValueError(f"{path}: missing field(s) {', '.join(missing)}; a spikeRNN rate model file needs "
                         f"{', '.join(NETWORK_FIELDS)} (written by spikeRNN's main.py or rnncourse.rate).")
    sizes = {"N": int(np.asarray(data["N"]).ravel()[0]), "Nin": np.shape(data["w_in"])[-1],
             "taus": np.shape(data["taus"])[-1]}
    if "x" in data and np.ndim(data["x"]) == 3:
        sizes["T"] = np.shape(data["x"])[0]
    elif "eval_os" in data and np.ndim(data["eval_os"]) == 2:
        sizes["T"] = np.shape(data["eval_os"])[1] + 1
    if "T" in sizes:
        sizes["T-1"] = sizes["T"] - 1
    problems = []
    for name, spec in {**NETWORK_FIELDS, **{k: v for k, v in RECORD_FIELDS.items() if k in data}}.items():
        want, got = _expected(spec, sizes), np.shape(data[name])
        if len(got) != len(want) or any(w is not None and w != g for w, g in zip(want, got)):
            shown = "(" + ", ".join(str(s) if isinstance(s, int) else f"{s}={sizes.get(s, '?')}" for s in spec) + ")"
            problems.append(f"{name} has shape {got}, expected {shown}")
    if sizes["taus"] not in (1, 2):
        problems.append(f"taus holds {sizes['taus']} values, expected 1 (fixed tau) or 2 (tau_min, tau_max)")
    if problems:
        raise ValueError(f"{path}: misshapen field(s): " + "; ".join(problems) + ".")
    inh = np.asarray(data["inh"]).ravel() == 1
    if not np.array_equal(np.asarray(data["exc"]).ravel() == 1, ~inh):
        raise ValueError(f"{path}: fields exc and inh disagree: each unit must be exactly one of the two.")
    if not np.array_equal(np.asarray(data["m"]), np.diag(np.where(inh, -1.0, 1.0))):
        raise ValueError(f"{path}: field m is not the Dale mask of inh (identity with -1 for inhibitory units).")


def load_mat(path, device="cpu", task=None):
    """Read a model file written by spikeRNN or by save_mat into a SavedModel on `device`.

    task: a Task or task name to use instead of the one in (or inferred from) the file.
    Raises FileNotFoundError, or ValueError naming each missing or misshapen field.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; pass the .mat written by training "
                                "(models/<task>/.../Task_*.mat under the output directory).")
    try:
        data = scipy.io.loadmat(path)
    except Exception as error:   # scipy raises several types for a file that is not a .mat
        raise ValueError(f"{path}: not a readable MATLAB .mat file ({error}).") from error
    data = {k: v for k, v in data.items() if not k.startswith("__")}
    _check_fields(path, data)

    n_inputs = data["w_in"].shape[1]
    w = data["w"].astype(np.float32)
    apply_dale = bool(data["apply_dale"].item()) if "apply_dale" in data else not (w < 0).any()
    if task is None:
        name = task_name(data)
        if name is None:
            raise ValueError(f"{path}: a network with {n_inputs} inputs matches no spikeRNN task; "
                             "pass task=... to load_mat.")
        settings = {k[len("task_"):]: v.item() for k, v in data.items() if k.startswith("task_")}
        task = get_task(name, **settings)
    elif isinstance(task, str):
        task = get_task(task)
    if task.n_inputs != n_inputs:
        raise ValueError(f"{path}: the network has {n_inputs} input(s) but task {task.name!r} gives {task.n_inputs}.")

    inh = data["inh"].ravel() == 1
    optional = {name: float(data[name].item()) for name in ("P_rec", "gain") if name in data}
    if "w_dist" in data:
        optional["w_dist"] = _text(data["w_dist"])
    model = RateRNN.from_arrays(
        w=w, w_in=data["w_in"], w_out=data["w_out"], b_out=data["b_out"].item(), taus_gaus=data["taus_gaus"],
        inh=inh, m=data["m"], som_m=data["som_m"], taus=tuple(data["taus"].ravel().tolist()),
        activation=_text(data["activation"]), apply_dale=apply_dale, som_N=int(data["som_N"].item()),
        P_inh=float(data["P_inh"].item()) if "P_inh" in data else float(inh.mean()), **optional, device=device)
    loss_fn = _text(data["loss_fn"]) if "loss_fn" in data else "l2"
    return SavedModel(model=model, task=task, loss_fn=loss_fn, fields=data, path=path)
