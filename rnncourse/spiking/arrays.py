"""The LIF steps as whole-batch array operations: NumPy on the CPU, torch on a GPU.

Every trial is a row of a (B, N) state; each step is a dozen operations on those arrays, written
once for both libraries (the Arrays class). This is the engine of a GPU, and of a CPU where numba is
missing (compiled.py is faster there). On the CPU the recurrent input gathers only the spiking
units' rows of W (a few per step); on a GPU it is a dense product. The noise comes from the
trials' streams in chunks of steps (a (nt, B, N) array would not fit for a large batch).
"""

import numpy as np
import torch

from rnncourse.spiking.simulate import BIAS, FIRST_COUNTED, RECORDINGS, T_REF, TM, V_PEAK, V_RESET, V_TH

CHUNK = 2_000_000        # noise values drawn at once


def run(trials, dtype, record, device, library):
    """Simulate a prepared batch (simulate.Trials) with a `dtype` state on `device`, in `library`
    ("numpy": the CPU only; "torch": any device). Returns arrays by name: out (B, nt), spike_counts
    and counted (B, N); with `record` the (B, N, nt) recordings REC, spk, rs, IPSC, hs."""
    xp = Arrays(device, dtype, numpy=library == "numpy")
    net, stim, streams = trials.net, trials.stim, trials.streams
    B, N, nt, tr, dt = trials.B, net.N, trials.nt, trials.tr, trials.dt
    scale = xp.array(trials.scale[:, None])
    W_t = xp.array(net.w.T)                       # row j: the synapses from unit j onto every unit
    w_out, td = xp.array(net.w_out), xp.array(net.td)
    i_ext = xp.array(trials.i_ext.transpose(1, 0, 2))        # (C, B, N)
    columns = trials.columns
    v = xp.array(streams.v0)
    a_d, a_r = xp.array(trials.a_d), trials.a_r
    x, h, r, hr, counts, counted = (xp.zeros((B, N)) for _ in range(6))
    tlast = np.zeros((B, N)) if xp.numpy else torch.zeros(B, N, dtype=torch.float64, device=device)
    out = xp.zeros((B, nt))
    rec = {name: xp.zeros((B, N, nt)) for name in RECORDINGS} if record else {}
    if stim:
        kick = xp.array(trials.kick)
        kicked = xp.array(streams.coins(stim.on, stim.off) < 0.5)        # (off - on, B): 1 or 0
    steps = max(1, CHUNK // (B * N))
    for k in range(nt):
        if k % steps == 0:
            noise = xp.array(streams.noise_chunk(k, steps))
        t = dt * (k + 1)
        if record:
            rec["IPSC"][:, :, k] = x
        current = x + BIAS + i_ext[columns[k]]
        active = xp.float(t > tlast + T_REF)
        v = v + dt * active * (-v + current) / TM + noise[k % steps]
        if stim and stim.on <= k < stim.off:
            v = v + kicked[k - stim.on][:, None] * kick
        fired_mask = v >= V_TH
        fired = bool(fired_mask.any())
        spikes = xp.float(fired_mask)
        if fired:
            J = xp.recurrent(fired_mask, spikes, W_t) * scale
            tlast = tlast + (t - tlast) * (fired_mask if xp.numpy else fired_mask.double())
        if tr > 0:
            x, h = a_d * x + dt * h, (a_r * h + J / (tr * td)) if fired else a_r * h
            r, hr = a_d * r + dt * hr, a_r * hr + spikes / (tr * td)
        else:
            x = (a_d * x + J / td) if fired else a_d * x
            r = a_d * r + spikes / td
        out[:, k] = (r @ w_out) * scale[:, 0]
        if fired:
            counts += spikes
            if k >= FIRST_COUNTED:
                counted += spikes
            v = v + (V_PEAK - v) * spikes
        if record:
            rec["rs"][:, :, k], rec["hs"][:, :, k], rec["spk"][:, :, k], rec["REC"][:, :, k] = r, h, spikes, v
        if fired:
            v = v + (V_RESET - v) * spikes
    return {"out": out, "spike_counts": counts, "counted": counted, **rec}


class Arrays:
    """The array library the steps run in, NumPy (numpy=True, on the CPU) or torch (on `device`);
    the loop's arithmetic reads the same in both."""

    def __init__(self, device, dtype, numpy):
        self.device = torch.device(device)
        self.numpy = numpy
        self.dtype = dtype
        self.np_dtype = np.float64 if dtype == torch.float64 else np.float32

    def array(self, a):
        if self.numpy:
            return np.asarray(a, dtype=self.np_dtype)        # no copy when it is one already
        return torch.as_tensor(np.asarray(a, dtype=np.float64), device=self.device).to(self.dtype)

    def zeros(self, shape):
        if self.numpy:
            return np.zeros(shape, self.np_dtype)
        return torch.zeros(shape, dtype=self.dtype, device=self.device)

    def float(self, mask):
        return mask.astype(self.np_dtype) if self.numpy else mask.to(self.dtype)

    def recurrent(self, mask, spikes, W_t):
        """(B, N): for each trial the sum of the rows of W_t of its spiking units."""
        if not self.numpy:
            return spikes @ W_t
        rows, units = np.nonzero(mask)
        J = np.zeros(spikes.shape, self.np_dtype)
        np.add.at(J, rows, W_t[units])
        return J
