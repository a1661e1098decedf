"""The first-bit recall task (lab 11): one bit to hold across a delay filled with noise.

Bengio, Simard and Frasconi (1994) showed why gradient descent struggles with long-term
dependencies on a "latching" problem: the class of a sequence is decided by its first inputs, and
what follows is noise. This is a variant with a marker channel, so that the network knows which
bit to keep. A sequence of `delay + 1` steps has two input channels:

    channel 0, the value    step 0: the bit to remember, as -1 (bit 0) or +1 (bit 1);
                            steps 1 to delay: random signs, -1 or +1 with probability 1/2 each,
                            which say nothing about the target
    channel 1, the marker   1 at step 0, 0 at every later step

The target is the class of the bit read at step 0 (0 or 1), to be given after the last step, so
the network must carry it over `delay` steps of noise. Guessing scores an accuracy of 1/2.
"""

import torch

CHANCE = 0.5        # the accuracy of a guess: the two classes are equally likely


def recall_batch(batch_size, delay, generator=None, device=None, dtype=torch.float32):
    """A batch of the task: x (batch_size, delay + 1, 2) of `dtype`, y (batch_size,) int64 in {0, 1}.

    x[:, 0] = (2 y - 1, 1): the bit to remember and the marker; x[:, t] for t >= 1 = (a random
    sign, 0). delay >= 0 (delay 0: the bit is read at the last step itself). generator: a CPU
    torch.Generator (None: torch's global one); the draws are made on the CPU, so a seed gives the
    same batch on every device, and then moved to `device`.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size}: a batch needs at least one sequence.")
    if delay < 0:
        raise ValueError(f"delay={delay}: the delay counts steps after the bit, so it is 0 or more.")
    y = torch.randint(0, 2, (batch_size,), generator=generator)
    signs = torch.randint(0, 2, (batch_size, delay + 1), generator=generator) * 2 - 1
    x = torch.zeros(batch_size, delay + 1, 2, dtype=dtype)
    x[:, :, 0] = signs.to(dtype)
    x[:, 0, 0] = (2 * y - 1).to(dtype)
    x[:, 0, 1] = 1
    return x.to(device), y.to(device)


def random_delay(low, high, generator=None):
    """A delay drawn uniformly from low, low + 1, ..., high (a Python int)."""
    if not 0 <= low <= high:
        raise ValueError(f"delays from {low} to {high}: need 0 <= low <= high.")
    return int(torch.randint(low, high + 1, (1,), generator=generator))


def accuracy(model, delay, n=1000, seed=0):
    """The fraction of n fresh sequences of the given delay whose first bit `model` gets right.

    model: maps x (n, delay + 1, 2) to class scores (n, 2); it runs on the device of its first
    parameter (the CPU if it has none), without gradients. seed: the sequences are
    recall_batch(n, delay) from torch.Generator().manual_seed(seed), the same for every model.
    """
    parameter = next(iter(model.parameters()), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    dtype = parameter.dtype if parameter is not None else torch.float32
    x, y = recall_batch(n, delay, torch.Generator().manual_seed(seed), device=device, dtype=dtype)
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).double().mean().item()


def accuracy_by_delay(model, delays, n=1000, seed=0):
    """[accuracy(model, d, n, seed + d) for d in delays]: a list of floats, one per delay."""
    return [accuracy(model, d, n, seed + d) for d in delays]
