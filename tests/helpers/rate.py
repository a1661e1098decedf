"""spikeRNN's rate model written out in NumPy, literally (construct_tf: one [N, 1] column per
step), for the rate tests to check the package against."""

import numpy as np
import torch

from rnncourse.rate.recurrence import activate


def numpy_phi(x, activation):
    if activation == "sigmoid":
        return 1 / (1 + np.exp(-x))
    if activation == "clipped_relu":
        return np.clip(np.maximum(x, 0), 0, 20)
    return np.clip(np.log1p(np.exp(x)), 0, 20)


def numpy_arrays(model):
    """The model's arrays as float64 NumPy, spikeRNN's shapes."""
    def a(t):
        return t.detach().cpu().double().numpy()
    return dict(w=a(model.w), m=a(model.m), som_m=a(model.som_m), w_in=a(model.w_in), w_out=a(model.w_out),
                b_out=float(model.b_out.detach()), taus_gaus=a(model.taus_gaus), taus=model.taus,
                activation=model.activation, apply_dale=model.apply_dale)


def numpy_run(arrays, u, x0, noise_steps):
    """spikeRNN's forward pass for ONE trial, step by step with [N, 1] columns, in float64.

    u (Nin, T), x0 (N,), noise_steps (T-1, N). Returns x (N, T), r (N, T), o (T-1,).
    W_eff = (relu(w) @ m) * som_m is rebuilt at every step as in construct_tf.
    """
    w = np.maximum(arrays["w"], 0) if arrays["apply_dale"] else arrays["w"]
    taus = arrays["taus"]
    if len(taus) == 2:
        tau = 1 / (1 + np.exp(-arrays["taus_gaus"])) * (taus[1] - taus[0]) + taus[0]   # (N, 1)
    else:
        tau = taus[0]
    N, T = w.shape[0], u.shape[1]
    x, r, o = np.zeros((N, T)), np.zeros((N, T)), np.zeros(T - 1)
    x[:, 0] = x0
    r[:, 0] = numpy_phi(x0, arrays["activation"])
    for t in range(1, T):
        ww = (w @ arrays["m"]) * arrays["som_m"]
        previous = x[:, t - 1:t]
        nxt = (1 - 1 / tau) * previous + (1 / tau) * (ww @ r[:, t - 1:t] + arrays["w_in"] @ u[:, t - 1:t]) \
            + noise_steps[t - 1][:, None]
        x[:, t] = nxt[:, 0]
        r[:, t] = numpy_phi(x[:, t], arrays["activation"])
        o[t - 1] = (arrays["w_out"] @ r[:, t:t + 1]).item() + arrays["b_out"]
    return x, r, o


def spikernn_trial_loss(model, u, z, x0, noise_steps, loss_fn="l2"):
    """spikeRNN's loss of one trial with plain torch autograd: u (Nin, T), z (T,), x0 (N,),
    noise_steps (T-1, N). Column vectors, W_eff rebuilt every step, o[i] compared with z[i]."""
    w = torch.relu(model.w) if model.apply_dale else model.w
    if len(model.taus) == 2:
        tau = torch.sigmoid(model.taus_gaus) * (model.taus[1] - model.taus[0]) + model.taus[0]
    else:
        tau = model.taus[0]
    x = x0[:, None]
    r = activate(x, model.activation)
    total = 0.0
    for t in range(1, u.shape[1]):
        ww = (w @ model.m) * model.som_m
        x = (1 - 1 / tau) * x + (1 / tau) * (ww @ r + model.w_in @ u[:, t - 1:t]) + noise_steps[t - 1][:, None]
        r = activate(x, model.activation)
        o = model.w_out @ r + model.b_out
        total = total + ((o - z[t - 1]) ** 2 if loss_fn == "l2" else (o - z[t - 1]).abs())
    return total.sqrt().squeeze() if loss_fn == "l2" else total.squeeze()


# ---------------------------------------------------------------- initialisation, masks, signs
