"""The echo data of lab 06: generateData and batches against plain loops over the series."""

import numpy as np
import pytest

from rnncourse import echo
from rnncourse.echo import batches, generateData


def flat_series(seed, total_series_length):
    """The input bits generateData draws for `seed`, as one long series."""
    return np.random.default_rng(seed).choice(2, total_series_length, p=[0.5, 0.5])


@pytest.mark.parametrize("total_series_length, echo_step, batch_size",
                         [(60, 3, 5), (36, 3, 3), (12, 0, 4), (50000, 3, 5)])
def test_generate_data_is_the_series_and_its_echo_cut_into_rows(total_series_length, echo_step, batch_size):
    """Row r, column c holds step r * n_columns + c of the series; y repeats x echo_step steps later."""
    seed = 61 + total_series_length
    x, y = generateData(np.random.default_rng(seed), total_series_length, echo_step, batch_size)
    series = flat_series(seed, total_series_length)
    n_columns = total_series_length // batch_size
    assert x.shape == y.shape == (batch_size, n_columns)
    for t in range(total_series_length):
        r, c = divmod(t, n_columns)
        assert x[r, c] == series[t], f"x[{r}, {c}] should be step {t} of the series"
        want = series[t - echo_step] if t >= echo_step else 0
        assert y[r, c] == want, f"y[{r}, {c}] (step {t}) should echo step {t - echo_step}"


def test_generate_data_uses_the_tutorial_constants_by_default():
    """Defaults: 50000 steps, 5 rows of 10000, an echo 3 steps late, fair coin flips."""
    x, y = generateData(0)
    assert (echo.total_series_length, echo.truncated_backprop_length, echo.state_size, echo.num_classes,
            echo.echo_step, echo.batch_size, echo.num_batches) == (50000, 15, 4, 2, 3, 5, 666)
    assert x.shape == (5, 10000)
    assert set(np.unique(x)) == {0, 1}
    assert abs(x.mean() - 0.5) < 0.01  # 50000 fair bits: the standard deviation of the mean is 0.0022
    # The first row starts with echo_step zeros; every later row starts with the last bits of the row before.
    assert y[0, :3].tolist() == [0, 0, 0]
    for r in range(1, 5):
        assert y[r, :3].tolist() == x[r - 1, -3:].tolist()


def test_generate_data_repeats_under_a_seed():
    """An int seed and a Generator with that seed give the same data; another seed gives other data."""
    x1, y1 = generateData(7)
    x2, y2 = generateData(np.random.default_rng(7))
    x3, _ = generateData(8)
    assert np.array_equal(x1, x2) and np.array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("kwargs, words", [
    ({"total_series_length": 52, "batch_size": 5}, "multiple of batch_size"),
    ({"total_series_length": 10, "echo_step": 10, "batch_size": 5}, "echo_step"),
])
def test_generate_data_rejects_sizes_that_do_not_fit(kwargs, words):
    with pytest.raises(ValueError, match=words):
        generateData(0, **kwargs)


def test_batches_are_the_windows_of_the_tutorial_loop():
    """batches yields x[:, i*L:(i+1)*L] for i = 0 .. n_columns // L - 1, with y alike."""
    x, y = generateData(3, total_series_length=100, echo_step=3, batch_size=4)  # 25 columns: 3 windows of 7, 4 left out
    windows = list(batches(x, y, 7))
    assert len(windows) == 3
    for i, (batchX, batchY) in enumerate(windows):
        assert batchX.shape == batchY.shape == (4, 7)
        for r in range(4):
            for c in range(7):
                assert batchX[r, c] == x[r, 7 * i + c] and batchY[r, c] == y[r, 7 * i + c]


def test_batches_cover_an_epoch_of_the_tutorial():
    x, y = generateData(4)
    windows = list(batches(x, y))
    assert len(windows) == echo.num_batches
    assert np.array_equal(np.concatenate([w[0] for w in windows], axis=1), x[:, :echo.num_batches * 15])


def test_batches_reject_mismatched_arrays():
    x, y = generateData(5, total_series_length=20, batch_size=5)
    with pytest.raises(ValueError, match="same|shape"):
        next(batches(x, y[:, :2], 2))
    with pytest.raises(ValueError, match="at least 1"):
        next(batches(x, y, 0))
