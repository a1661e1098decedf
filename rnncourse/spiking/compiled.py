"""The LIF steps compiled with numba: one trial per call, its state in L1 cache, trials on threads.

The array steps (arrays.py) make a dozen passes over (B, N) arrays per step, each a call into NumPy
or torch; here one trial's whole state is a few N-vectors, and each step is a few short loops over
the units, most of which the compiler turns into SIMD instructions. The noise is drawn inside the
step from the trial's own generator, so nothing of size nt is stored. The calls release the GIL:
`threads` Python threads run trials side by side, one per core.

The arithmetic is the array steps' own, operation for operation and in the same order
(docs/reference/spiking.md section 5: float64 reproduces the reference bit for bit; float32 rounds
as NumPy's float32 does),
so every scalar that meets the state is passed in the state's dtype (numba would widen a float32
expression with a float64 constant to float64), and division keeps NumPy's rules (error_model).
The one sum whose order differs is the readout, sum_i r_i·w_out_i, here in four partial sums in
float64 (a BLAS dot in the array steps): out agrees to rounding, and it never feeds back.

numba compiles `trial_steps` on its first call with a float32 or a float64 state (once per dtype,
a few seconds) and caches the machine code: beside this file, or in the user's cache folder, or,
where neither can be written, in a private temporary folder (compiled again in each process there).
"""

import tempfile
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np
import torch

from rnncourse.spiking.simulate import BIAS, FIRST_COUNTED, RECORDINGS, T_REF, TM, V_PEAK, V_RESET, V_TH
from rnncourse.spiking.streams import NOISE_SD


def jit(function):
    """numba.njit for these steps: released GIL, NumPy's division rules, cached where numba can write."""
    try:
        return numba.njit(nogil=True, cache=True, error_model="numpy")(function)
    except RuntimeError:        # numba found no writable cache folder (a read-only install, no home)
        numba.config.CACHE_DIR = tempfile.mkdtemp(prefix="rnncourse-numba-")
        return numba.njit(nogil=True, cache=True, error_model="numpy")(function)


@jit
def first_active_step(tlast, k, dt64, t_ref):
    """The first step from k on at whose end t = dt·(k+1) > tlast + t_ref, by that float comparison
    (t grows with k, so a unit is active exactly from this step until it spikes again)."""
    while not dt64 * (k + 1) > tlast + t_ref:
        k += 1
    return k


@jit
def trial_steps(v, W_t, i_ext, columns, a_d, den, inv_den, w_out, scale, kick, noise, noise_gen, noise_sd, coins,
                stim_on, stim_off, dt, dt64, tm, bias, v_th, v_peak, v_reset, a_r, tr_positive, t_ref,
                first_counted, out, counts, counted, record, rec_ipsc, rec_rs, rec_hs, rec_spk, rec_v):
    """Simulate one trial for len(out) steps (docs/reference/spiking.md section 5), in place.

    State dtype F (float32 or float64) for v (N,) mV (in: v0; out: the last voltage), the current,
    synapses and readout; spike times (tlast) in float64. Inputs, all F unless said:
      W_t (N, N)         W_t[j] = the unscaled synapses from unit j onto every unit
      i_ext (C, N)       w_in·u per stimulus column, mV; columns (nt,) int: the column of each step
      a_d, den, inv_den (N,)   exp(-dt/td); tr·td (tr > 0) or td (tr = 0), s; 1/den
      w_out (N,), scale = 1/s, kick (N,) mV (the stimulated units' ±0.5, else 0)
      noise (nt, N) float64 mV injected, or (0, 0): then noise_sd · noise_gen.standard_normal(), N a step
      coins (stim_off - stim_on,) float64: one per step of the stimulation window
      dt (F) and dt64 (float64) s, tm s, bias, v_th, v_peak, v_reset mV, a_r = exp(-dt/tr),
      tr_positive (double- or single-exponential synapses), t_ref s (float64), first_counted step
    Outputs: out (nt,) F, counts and counted (N,) int64 (spikes in all steps, from first_counted
    on); with record, rec_* (N, nt) F: x before each step, r, h, spikes, v after it (30 at spikes).
    """
    N, nt = v.shape[0], out.shape[0]
    injected = noise.shape[0] > 0
    x, h, r, hr = np.zeros_like(v), np.zeros_like(v), np.zeros_like(v), np.zeros_like(v)
    J, noise_k = np.zeros_like(v), np.empty_like(v)
    tlast = np.zeros(N)
    active_from = np.full(N, first_active_step(0.0, 0, dt64, t_ref), np.int32)
    spiking = np.empty(N, np.int64)
    partial = np.zeros(4)
    for k in range(nt):
        t = dt64 * (k + 1)
        column = columns[k]
        if injected:
            noise_k[:] = noise[k]
        else:
            for i in range(N):
                noise_k[i] = noise_sd * noise_gen.standard_normal()
        if record:
            rec_ipsc[:, k] = x
        # Steps 2-4 as one loop without branches (the compiler makes it SIMD): every unit's update is
        # computed, and kept where the unit is not refractory; the others only get the noise.
        for i in range(N):
            moved = v[i] + dt * (-v[i] + (x[i] + bias + i_ext[column, i])) / tm
            v[i] = (moved if k >= active_from[i] else v[i]) + noise_k[i]
        if stim_on <= k < stim_off and coins[k - stim_on] < 0.5:
            for i in range(N):
                v[i] = v[i] + kick[i]
        n_spiking = 0
        for i in range(N):
            if v[i] >= v_th:
                spiking[n_spiking] = i
                n_spiking += 1
        if n_spiking:                           # J = W S: the spiking units' rows, in unit order
            J[:] = 0
            for n in range(n_spiking):
                j = spiking[n]
                for i in range(N):
                    J[i] += W_t[j, i]
                tlast[j] = tlast[j] + (t - tlast[j])
                active_from[j] = first_active_step(tlast[j], k + 1, dt64, t_ref)
            for i in range(N):
                J[i] = J[i] * scale
        # Step 9, each right-hand side with the values from before the step (x before h, r before
        # hr); a spike's 1/den joins after the decay, as the array steps add S/den to the decayed
        # value. One array updated per loop: few enough operands for the compiler to make it SIMD.
        if tr_positive:
            for i in range(N):
                x[i] = a_d[i] * x[i] + dt * h[i]
            if n_spiking:
                for i in range(N):
                    h[i] = a_r * h[i] + J[i] / den[i]
            else:
                for i in range(N):
                    h[i] = a_r * h[i]
            for i in range(N):
                r[i] = a_d[i] * r[i] + dt * hr[i]
            for i in range(N):
                hr[i] = a_r * hr[i]
            for n in range(n_spiking):
                hr[spiking[n]] += inv_den[spiking[n]]
        else:
            if n_spiking:
                for i in range(N):
                    x[i] = a_d[i] * x[i] + J[i] / den[i]
            else:
                for i in range(N):
                    x[i] = a_d[i] * x[i]
            for i in range(N):
                r[i] = a_d[i] * r[i]
            for n in range(n_spiking):
                r[spiking[n]] += inv_den[spiking[n]]
        # The readout in four partial sums (one running sum would wait on every addition).
        partial[:] = 0.0
        for i in range(0, N - 3, 4):
            for lane in range(4):
                partial[lane] += r[i + lane] * w_out[i + lane]
        for i in range(N - N % 4, N):
            partial[0] += r[i] * w_out[i]
        out[k] = ((partial[0] + partial[1]) + (partial[2] + partial[3])) * scale
        for n in range(n_spiking):              # steps 10-12 for the units that spiked
            j = spiking[n]
            counts[j] += 1
            if k >= first_counted:
                counted[j] += 1
            v[j] = v[j] + (v_peak - v[j])
        if record:
            rec_rs[:, k], rec_hs[:, k], rec_v[:, k] = r, h, v
            for n in range(n_spiking):
                rec_spk[spiking[n], k] = 1
        for n in range(n_spiking):
            j = spiking[n]
            v[j] = v[j] + (v_reset - v[j])


def run(trials, dtype, record, threads):
    """Simulate a prepared batch (simulate.Trials) with a `dtype` (torch.float32 or float64) state,
    `threads` trials at a time. Returns NumPy arrays by name: out (B, nt), spike_counts and counted
    (B, N); with `record` the (B, N, nt) recordings REC, spk, rs, IPSC, hs."""
    F = np.float64 if dtype == torch.float64 else np.float32
    net, stim, streams = trials.net, trials.stim, trials.streams
    B, N, nt, tr, dt = trials.B, net.N, trials.nt, trials.tr, trials.dt
    td = net.td.astype(F)
    den = F(tr) * td if tr > 0 else td
    shared = dict(W_t=np.ascontiguousarray(net.w.T, F), columns=trials.columns, a_d=trials.a_d.astype(F), den=den,
                  inv_den=F(1) / den, w_out=net.w_out.astype(F), kick=trials.kick.astype(F), noise_sd=NOISE_SD,
                  stim_on=stim.on if stim else 0, stim_off=stim.off if stim else 0, dt=F(dt), dt64=dt, tm=F(TM),
                  bias=F(BIAS), v_th=F(V_TH), v_peak=F(V_PEAK), v_reset=F(V_RESET), a_r=F(trials.a_r),
                  tr_positive=tr > 0, t_ref=T_REF, first_counted=FIRST_COUNTED, record=record)
    v = np.array(streams.v0, F, order="C")          # a copy: the steps change v in place, v0 is the caller's
    i_ext = np.ascontiguousarray(trials.i_ext, F)   # numba compiles once per layout: C order throughout
    coins = streams.coins(stim.on, stim.off) if stim else np.zeros((0, B))
    out = np.zeros((B, nt), F)
    counts, counted = np.zeros((B, N), np.int64), np.zeros((B, N), np.int64)
    rec = {name: np.zeros((B, N, nt) if record else (B, 0, 0), F) for name in RECORDINGS}
    unused_generator, no_noise = np.random.default_rng(0), np.zeros((0, 0))

    def one(b):
        given = streams.noise_given is not None
        trial_steps(v[b], i_ext=i_ext[b], scale=F(trials.scale[b]),
                    noise=np.ascontiguousarray(streams.noise_given[:, b]) if given else no_noise,
                    noise_gen=unused_generator if given else streams.noise_generators[b],
                    coins=np.ascontiguousarray(coins[:, b]), out=out[b], counts=counts[b], counted=counted[b],
                    rec_ipsc=rec["IPSC"][b], rec_rs=rec["rs"][b], rec_hs=rec["hs"][b], rec_spk=rec["spk"][b],
                    rec_v=rec["REC"][b], **shared)

    if threads <= 1 or B == 1:
        for b in range(B):
            one(b)
    else:
        with ThreadPoolExecutor(min(threads, B)) as pool:
            futures = [pool.submit(one, b) for b in range(B)]
            try:
                for future in futures:
                    future.result()
            except BaseException:       # Ctrl-C or an error: the trials not started yet are dropped
                for future in futures:
                    future.cancel()
                raise
    return {"out": out, "spike_counts": counts.astype(F), "counted": counted.astype(F),
            **(rec if record else {})}
