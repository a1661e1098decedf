"""The echo task of Hallström's tutorial (lab 06): a random binary series and its delayed copy.

The target repeats the input echo_step steps later, y[t] = x[t - echo_step], and is 0 for the first
echo_step steps, which have nothing to echo. Both series are cut into batch_size rows of equal
length, so row r continues where row r - 1 ends; a training batch is a window of
truncated_backprop_length columns, slid from left to right.

The constants keep the tutorial's names and values.
"""

import numpy as np

num_epochs = 100
total_series_length = 50000
truncated_backprop_length = 15
state_size = 4
num_classes = 2
echo_step = 3
batch_size = 5
num_batches = total_series_length // batch_size // truncated_backprop_length


def generateData(rng=None, total_series_length=total_series_length, echo_step=echo_step, batch_size=batch_size):
    """One epoch of echo data, the tutorial's generateData with an explicit random generator.

    rng: a numpy Generator or an int seed (None: fresh entropy). Each input bit is 0 or 1 with
    probability 1/2.
    Returns x, y: int arrays (batch_size, total_series_length // batch_size), the series read row
    by row, with y the echo of x: y.ravel()[t] == x.ravel()[t - echo_step] for t >= echo_step, else 0.
    """
    if total_series_length % batch_size:
        raise ValueError(f"total_series_length={total_series_length} does not split into batch_size={batch_size} "
                         "rows of equal length: choose a multiple of batch_size.")
    if not 0 <= echo_step < total_series_length:
        raise ValueError(f"echo_step={echo_step} must lie in [0, total_series_length={total_series_length}).")
    rng = np.random.default_rng(rng)
    x = rng.choice(2, total_series_length, p=[0.5, 0.5])
    y = np.roll(x, echo_step)
    y[0:echo_step] = 0  # np.roll wrapped the end of the series round to the start: nothing to echo there
    return x.reshape((batch_size, -1)), y.reshape((batch_size, -1))


def batches(x, y, truncated_backprop_length=truncated_backprop_length):
    """Yield the windows (batchX, batchY) of one epoch, left to right, as the tutorial slices them.

    x, y: arrays (batch_size, n_columns). Each window is (batch_size, truncated_backprop_length);
    n_columns // truncated_backprop_length windows in all, a shorter remainder is left out.
    """
    if x.shape != y.shape:
        raise ValueError(f"x has shape {x.shape} but y has shape {y.shape}: pass the pair that generateData returned.")
    if truncated_backprop_length < 1:
        raise ValueError(f"truncated_backprop_length={truncated_backprop_length} must be at least 1.")
    for batch_idx in range(x.shape[1] // truncated_backprop_length):
        start_idx = batch_idx * truncated_backprop_length
        end_idx = start_idx + truncated_backprop_length
        yield x[:, start_idx:end_idx], y[:, start_idx:end_idx]
