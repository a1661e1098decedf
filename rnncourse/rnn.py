"""The vanilla (Elman) RNN of lab 01, without biases, in the notation of CS187 lab 2-2.

    h_t = sigma(U x_t + V h_{t-1})      hidden state
    o_t = W h_t                         output score

Shapes: x_t (..., I), h_t (..., H), o_t (..., O); U (H, I), V (H, H), W (O, H).
A leading batch dimension is allowed everywhere; tensors may live on any device.
"""

import torch


def relu(x):
    """ReLU(x) = max(0, x), elementwise."""
    return torch.clamp(x, min=0)


def rnn_step(x, h_prev, U, V, W, sigma=relu):
    """One forward step. x (..., I), h_prev (..., H) -> (h (..., H), o (..., O))."""
    h = sigma(x @ U.T + h_prev @ V.T)
    o = h @ W.T
    return h, o


def rnn_unroll(xs, h0, U, V, W, sigma=relu):
    """Run the RNN over a sequence.

    xs: (N, ..., I) inputs x_1..x_N;  h0: (..., H).
    Returns hs (N + 1, ..., H) holding h_0..h_N, and os (N, ..., O) holding o_1..o_N.
    """
    hs, os = [h0], []
    for x in xs:
        h, o = rnn_step(x, hs[-1], U, V, W, sigma)
        hs.append(h)
        os.append(o)
    return torch.stack(hs), torch.stack(os)
