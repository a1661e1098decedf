"""A trained rate network, read as spikeRNN's LIF conversion reads it (float64, rectified under Dale).

    w      (N, N)   w̃·m ⊙ som_m: the recurrent weights before scaling (W = w / s)
    w_in   (N, Nin) input weights (not scaled)
    w_out  (N,)     readout weights (out = w_out·r / s; b_out is not used)
    td     (N,)     synaptic decay times in seconds, from the trained time constants
    td0    (N,)     the same from the initial ones (reported only, never simulated)
    inh    (N,)     inhibitory units
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from rnncourse.rate.matfile import task_name

RATE_STEP = 0.005       # seconds per rate step: td = tau (in rate steps) * 5 ms


@dataclass
class LIFNetwork:
    w: np.ndarray
    w_in: np.ndarray
    w_out: np.ndarray
    td: np.ndarray
    td0: np.ndarray | None
    inh: np.ndarray
    task: str | None = None         # "go-nogo", "xor", "mante" when the file says or implies it
    path: Path | None = None

    @property
    def N(self):
        return self.w.shape[0]

    @classmethod
    def load(cls, source, use_initial_weights=False):
        """From a .mat path, a rnncourse.rate SavedModel, or a dict of its fields (as loadmat gives)."""
        if isinstance(source, (str, Path)):
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such model file (a rate .mat from training).")
            fields = {k: v for k, v in scipy.io.loadmat(path).items() if not k.startswith("__")}
        elif hasattr(source, "fields"):
            path, fields = getattr(source, "path", None), source.fields
        else:
            path, fields = None, source
        return cls.from_fields(fields, use_initial_weights, path)

    @classmethod
    def from_fields(cls, fields, use_initial_weights=False, path=None):
        where = f"{path}: " if path else ""
        needed = ["w", "m", "som_m", "w_in", "w_out", "taus", "taus_gaus", "inh"] + \
            (["w0"] if use_initial_weights else [])
        missing = [name for name in needed if name not in fields]
        if missing:
            why = " (use_initial_weights needs w0)" if "w0" in missing else ""
            raise ValueError(f"{where}the model lacks {', '.join(missing)}{why}: convert a file written by "
                             "rnncourse.rate or spikeRNN")
        f64 = {k: np.asarray(v, dtype=np.float64) for k, v in fields.items()
               if k in ("w", "w0", "m", "som_m", "w_in", "w_out", "taus", "taus_gaus", "taus_gaus0")}
        m = f64["m"]
        dale = bool(np.asarray(fields["apply_dale"]).item()) if "apply_dale" in fields else bool((np.diag(m) < 0).any())
        w = f64["w0" if use_initial_weights else "w"]
        if dale:
            w = np.maximum(w, 0.0)      # port-trained files keep negative entries the rate network never used
        taus = f64["taus"].ravel()

        def decay_times(gaus):
            if len(taus) == 1:
                return np.full(m.shape[0], taus[0] * RATE_STEP)
            return (1 / (1 + np.exp(-gaus.ravel())) * (taus[1] - taus[0]) + taus[0]) * RATE_STEP

        return cls(w=(w @ m) * f64["som_m"], w_in=f64["w_in"], w_out=f64["w_out"].ravel(),
                   td=decay_times(f64["taus_gaus"]),
                   td0=decay_times(f64["taus_gaus0"]) if "taus_gaus0" in f64 else None,
                   inh=np.asarray(fields["inh"]).ravel() == 1, task=task_name(fields), path=path)

    def scaled_weights(self, scaling_factor):
        """W (N, N) = w / s: the synapse from unit j onto unit i, in mV·s per spike."""
        return self.w / scaling_factor
