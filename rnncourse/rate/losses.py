"""spikeRNN's per-trial losses, with its one-step offset between outputs and targets.

o[:, i] is the output read from r[:, i+1] but it is compared with z[:, i], for i = 0 .. T-2, so
the network is trained one step early and z[:, T-1] is never used (as in spikeRNN's loss_op).

    'l2': sqrt(sum_i (o[i] - z[i])^2)   the root of the SUMMED squared error: no division by T,
                                        although the paper calls it a root mean squared error
    'l1': sum_i |o[i] - z[i]|
"""

#: The per-trial losses, by spikeRNN's names (--loss_fn); the first is its default.
LOSS_FUNCTIONS = ("l2", "l1")


def trial_losses(o, z, loss_fn="l2"):
    """o (B, T-1) outputs, z (B, T) targets -> (B,) one loss per trial ('l2' or 'l1')."""
    error = o - z[:, : o.shape[1]]
    if loss_fn == "l2":
        return error.square().sum(1).sqrt()
    if loss_fn == "l1":
        return error.abs().sum(1)
    raise ValueError(f"Unknown loss_fn {loss_fn!r}: use one of {', '.join(map(repr, LOSS_FUNCTIONS))} "
                     f"({LOSS_FUNCTIONS[0]!r} is spikeRNN's default).")
