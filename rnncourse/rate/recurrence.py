"""The leaky rate recurrence run over a whole trial, with its backward pass written out by hand.

One Euler step of the rate RNN (the seed's eq. 2, DeltaT = 1 step), for B trials at once:

    x[t+1] = keep * x[t] + r[t] @ A + drive[t]        r[t] = phi(x[t])

where keep = 1 - DeltaT/tau (N,), A = (W_eff * (DeltaT/tau)[:, None]).T (N, N) so that
r @ A = (DeltaT/tau) * (W_eff r), and drive[t] = (DeltaT/tau) * (w_in u[t]) + noise[t+1] (B, N):
everything that does not depend on the state is folded in before the loop, which then costs three
tensor operations per step.

Why by hand: autograd would record those operations at every one of the T steps, and on a CPU
that bookkeeping, not the arithmetic, is most of the time of a small network. Backpropagation
through time (the seed's section 6.1) needs only the stored states:

    G[t] = dL/dx[t] = gX[t] + keep * G[t+1] + phi'(x[t]) * (gR[t] + G[t+1] @ A.T)

run from the last step back to the first; the gradients of keep, A and drive are then sums over
all steps and trials, taken in one operation each. tests/test_rate_model.py checks this against
autograd (torch.autograd.gradcheck, float64) for every activation.
"""

import torch

#: Ceiling of the clipped activations, as in spikeRNN (tf.clip_by_value(..., 0, 20)).
RATE_CEILING = 20.0
#: The activation functions phi, by spikeRNN's names (--act).
ACTIVATIONS = ("sigmoid", "clipped_relu", "softplus")


def unknown_activation(activation):
    """The error for an activation name that is not one of ACTIVATIONS."""
    return ValueError(f"activation={activation!r}: use one of {', '.join(map(repr, ACTIVATIONS))}.")


def activate(x, activation, out=None):
    """phi(x) for 'sigmoid', 'clipped_relu' (min(max(x, 0), 20)) or 'softplus' (min(log(1 + e^x), 20)).

    x: any shape; returns the same shape (written into `out` when given).
    """
    if activation == "sigmoid":
        return torch.sigmoid(x, out=out)
    if activation == "clipped_relu":
        return torch.clamp(x, 0.0, RATE_CEILING, out=out)
    if activation == "softplus":
        return torch.clamp(torch.nn.functional.softplus(x), max=RATE_CEILING, out=out)
    raise unknown_activation(activation)


def activation_slope(x, r, activation):
    """phi'(x) given x and r = phi(x) (same shape). At the kinks of the clipped functions the
    slope is taken as 0, as TensorFlow's relu and clip gradients do."""
    if activation == "sigmoid":
        return r * (1 - r)
    if activation == "clipped_relu":
        return ((x > 0) & (x < RATE_CEILING)).to(x.dtype)
    if activation == "softplus":
        return torch.sigmoid(x) * (r < RATE_CEILING).to(x.dtype)
    raise unknown_activation(activation)


class LeakyRecurrence(torch.autograd.Function):
    """x (T, B, N), r (T, B, N) = LeakyRecurrence.apply(x0, drive, keep, A, activation).

    x0 (B, N) initial state; drive (T-1, B, N); keep (N,); A (N, N); activation a name as in
    `activate`. Returns every state x[0..T-1] and rate r[0..T-1], time first.
    """

    @staticmethod
    def forward(ctx, x0, drive, keep, A, activation):
        steps, batch, n = drive.shape
        x = drive.new_empty((steps + 1, batch, n))
        r = torch.empty_like(x)
        x[0] = x0
        activate(x[0], activation, out=r[0])
        xs, rs, drives = x.unbind(0), r.unbind(0), drive.unbind(0)   # views made once, not per step
        for t in range(steps):
            torch.addcmul(drives[t], keep, xs[t], out=xs[t + 1])
            xs[t + 1].addmm_(rs[t], A)
            activate(xs[t + 1], activation, out=rs[t + 1])
        ctx.activation = activation
        ctx.save_for_backward(x, r, keep, A)
        return x, r

    @staticmethod
    def backward(ctx, grad_x, grad_r):
        x, r, keep, A = ctx.saved_tensors
        slope = activation_slope(x, r, ctx.activation)
        A_T = A.T
        G = torch.empty_like(x)
        G[-1] = grad_x[-1] + slope[-1] * grad_r[-1]
        Gs, gxs, grs, slopes = G.unbind(0), grad_x.unbind(0), grad_r.unbind(0), slope.unbind(0)
        through_rates = torch.empty_like(G[0])
        for t in range(x.shape[0] - 2, -1, -1):
            torch.addmm(grs[t], Gs[t + 1], A_T, out=through_rates)
            torch.addcmul(gxs[t], keep, Gs[t + 1], out=Gs[t])
            Gs[t].addcmul_(slopes[t], through_rates)
        later = G[1:]
        need = ctx.needs_input_grad
        grad_keep = (later * x[:-1]).sum((0, 1)) if need[2] else None
        grad_A = r[:-1].reshape(-1, r.shape[-1]).T @ later.reshape(-1, r.shape[-1]) if need[3] else None
        return G[0], later, grad_keep, grad_A, None
