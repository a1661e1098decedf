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

import math

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


def _new_states(like, shape, stacked):
    """An uninitialised tensor of `shape` on like's device and dtype. stacked (shape (K, ...)):
    each network's slice starts on a 64-byte boundary, as a tensor of its own does. Why: MKL rounds
    a small product differently when its output (or a transposed operand) is not 16-byte aligned
    (seen with (1, 30) and (3, 30) outputs), so network k's slice must sit where network k's own
    tensor would, or train_many drifts from train. Each slice is padded to a multiple of 16
    numbers; torch's CPU allocator aligns the start to 64 bytes."""
    if not stacked:
        return like.new_empty(shape)
    size = math.prod(shape[1:])
    padded = -(-size // 16) * 16
    return like.new_empty(shape[0], padded)[:, :size].view(shape)


def _aligned_copy(A):
    """A stack A (K, R, C) copied into _new_states storage, each slice keeping its layout (row- or
    column-major: MKL takes a transposed operand by another path)."""
    if A.transpose(1, 2).is_contiguous():
        return _aligned_copy(A.transpose(1, 2)).transpose(1, 2)
    return _new_states(A, A.shape, stacked=True).copy_(A)


def _batched_products(t):
    """Whether stacked products run as one batched call (torch.baddbmm): everywhere but on the CPU,
    where each network's own addmm keeps train_many bit-identical to train."""
    return t.device.type != "cpu"


def _stacked_add_product_(out, a, b):
    """out += a @ b in place for stacks (K, B, N) @ (K, N, N). On the CPU one addmm_ per network,
    the very call the network alone makes, so the numbers are identical (a batched product gains
    nothing there, and torch.baddbmm rounds some small shapes differently from addmm); elsewhere
    one baddbmm_."""
    if _batched_products(out):
        return out.baddbmm_(a, b)
    for out_k, a_k, b_k in zip(out, a, b):
        out_k.addmm_(a_k, b_k)
    return out


def _stacked_add_product(c, a, b, out):
    """out = c + a @ b for stacks, as _stacked_add_product_ (torch.addmm per network on the CPU)."""
    if _batched_products(out):
        return torch.baddbmm(c, a, b, out=out)
    for c_k, a_k, b_k, out_k in zip(c, a, b, out):
        torch.addmm(c_k, a_k, b_k, out=out_k)
    return out


class LeakyRecurrence(torch.autograd.Function):
    """x, r = LeakyRecurrence.apply(x0, drive, keep, A, activation), for one network or a stack of K.

    One network: x0 (B, N) initial state; drive (T-1, B, N); keep (N,); A (N, N); returns every
    state x and rate r, each (T, B, N), time first.
    K networks at once (train_many): x0 (K, B, N); drive (K, T-1, B, N); keep (K, 1, N);
    A (K, N, N); returns x, r (K, T, B, N). On the CPU, network k's slice is computed with the same
    operations on the same memory layout, alignment included (_new_states), as that network alone
    (one addmm per network and step), so it gives the same numbers bit for bit; on a GPU each step
    is one batched product (bmm), the same up to the order of the sums inside it.
    activation: a name as in `activate`.
    """

    @staticmethod
    def forward(ctx, x0, drive, keep, A, activation):
        stacked = A.dim() == 3
        time = 1 if stacked else 0
        shape = list(drive.shape)
        shape[time] += 1
        x, r = _new_states(drive, shape, stacked), _new_states(drive, shape, stacked)
        xs, rs, drives = x.unbind(time), r.unbind(time), drive.unbind(time)   # views made once, not per step
        xs[0].copy_(x0)
        activate(xs[0], activation, out=rs[0])
        if stacked:
            A = _aligned_copy(A)
        add_product = _stacked_add_product_ if stacked else torch.Tensor.addmm_
        for t in range(len(drives)):
            torch.addcmul(drives[t], keep, xs[t], out=xs[t + 1])
            add_product(xs[t + 1], rs[t], A)
            activate(xs[t + 1], activation, out=rs[t + 1])
        ctx.activation = activation
        ctx.save_for_backward(x, r, keep, A)
        return x, r

    @staticmethod
    def backward(ctx, grad_x, grad_r):
        x, r, keep, A = ctx.saved_tensors
        stacked = A.dim() == 3
        time = 1 if stacked else 0
        slope = activation_slope(x, r, ctx.activation)
        A_T = A.transpose(-2, -1)
        G = _new_states(x, x.shape, stacked)
        Gs, gxs, grs, slopes = (t.unbind(time) for t in (G, grad_x, grad_r, slope))
        Gs[-1].copy_(gxs[-1] + slopes[-1] * grs[-1])
        through_rates = _new_states(x, Gs[0].shape, stacked)
        add_product = _stacked_add_product if stacked else torch.addmm
        for t in range(len(Gs) - 2, -1, -1):
            add_product(grs[t], Gs[t + 1], A_T, out=through_rates)
            torch.addcmul(gxs[t], keep, Gs[t + 1], out=Gs[t])
            Gs[t].addcmul_(slopes[t], through_rates)
        need = ctx.needs_input_grad
        n = x.shape[-1]
        if stacked:
            later, earlier_x, earlier_r = G[:, 1:], x[:, :-1], r[:, :-1]
            grad_keep = torch.stack([(g * e).sum((0, 1)) for g, e in zip(later, earlier_x)]).unsqueeze(1) \
                if need[2] else None
            if not need[3]:
                grad_A = None
            elif _batched_products(A):
                grad_A = earlier_r.reshape(len(A), -1, n).transpose(1, 2) @ later.reshape(len(A), -1, n)
            else:   # as each network alone computes it
                grad_A = torch.stack([e.reshape(-1, n).T @ g.reshape(-1, n) for e, g in zip(earlier_r, later)])
            return G[:, 0], later, grad_keep, grad_A, None
        later = G[1:]
        grad_keep = (later * x[:-1]).sum((0, 1)) if need[2] else None
        grad_A = r[:-1].reshape(-1, n).T @ later.reshape(-1, n) if need[3] else None
        return G[0], later, grad_keep, grad_A, None
