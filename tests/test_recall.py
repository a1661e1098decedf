"""The first-bit recall task (lab 11): each sequence read entry by entry against its definition."""

import math

import pytest
import torch
from torch import nn

from rnncourse.recall import CHANCE, accuracy, accuracy_by_delay, random_delay, recall_batch

from helpers.markers import requires_cuda


class ReadsStep(nn.Module):
    """Class scores from channel 0 at one step: (-v, v), so the class is 1 exactly where v > 0."""

    def __init__(self, step):
        super().__init__()
        self.step = step
        self.unused = nn.Parameter(torch.zeros(1))     # so that accuracy() finds a device and dtype

    def forward(self, x):
        v = x[:, self.step, 0]
        return torch.stack([-v, v], dim=1)


def test_each_sequence_holds_the_bit_the_marker_and_noise():
    x, y = recall_batch(50, 7, torch.Generator().manual_seed(1))
    assert x.shape == (50, 8, 2) and x.dtype == torch.float32
    assert y.shape == (50,) and y.dtype == torch.int64
    for n in range(50):
        bit = int(y[n])
        assert bit in (0, 1)
        assert x[n, 0, 0].item() == (1.0 if bit == 1 else -1.0), "step 0 carries the bit as -1 or +1"
        assert x[n, 0, 1].item() == 1.0, "the marker is on at step 0"
        for t in range(1, 8):
            assert x[n, t, 0].item() in (-1.0, 1.0), "the noise is a sign"
            assert x[n, t, 1].item() == 0.0, "the marker is off after step 0"


def test_the_bits_and_the_noise_are_fair_coins():
    x, y = recall_batch(4000, 20, torch.Generator().manual_seed(2))
    # Each mean is of 4000 (80000) fair +-1 draws: its standard deviation is 1/sqrt(4000) (1/sqrt(80000)).
    assert abs((2 * y - 1).double().mean().item()) < 4 / math.sqrt(4000)
    assert abs(x[:, 1:, 0].double().mean().item()) < 4 / math.sqrt(80000)
    # and the noise says nothing about the bit: its correlation with it is near 0
    corr = ((2 * y - 1)[:, None].double() * x[:, 1:, 0].double()).mean().item()
    assert abs(corr) < 4 / math.sqrt(80000)


def test_a_seed_gives_the_same_batch_and_delay_zero_is_one_step():
    a = recall_batch(6, 3, torch.Generator().manual_seed(5))
    b = recall_batch(6, 3, torch.Generator().manual_seed(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    x, y = recall_batch(3, 0, torch.Generator().manual_seed(6), dtype=torch.float64)
    assert x.shape == (3, 1, 2) and x.dtype == torch.float64
    assert torch.equal(x[:, 0, 0], (2 * y - 1).double()) and torch.equal(x[:, 0, 1], torch.ones(3, dtype=torch.float64))


@pytest.mark.parametrize("size, delay", [(0, 3), (4, -1)])
def test_bad_sizes_are_refused(size, delay):
    with pytest.raises(ValueError, match="batch_size|delay"):
        recall_batch(size, delay)


def test_random_delay_covers_its_range_and_nothing_else():
    g = torch.Generator().manual_seed(3)
    seen = {random_delay(10, 14, g) for _ in range(300)}
    assert seen == {10, 11, 12, 13, 14}
    assert random_delay(4, 4, g) == 4
    with pytest.raises(ValueError):
        random_delay(5, 4)


def test_accuracy_counts_right_answers_on_the_seeded_batch():
    assert accuracy(ReadsStep(0), 12, n=300) == 1.0, "reading the bit itself is always right"
    # Reading the last noise sign is right where it happens to equal the bit: count those directly.
    x, y = recall_batch(300, 12, torch.Generator().manual_seed(0))
    want = sum(int(x[n, -1, 0] > 0) == int(y[n]) for n in range(300)) / 300
    assert accuracy(ReadsStep(-1), 12, n=300) == pytest.approx(want)
    assert abs(want - CHANCE) < 0.15
    got = accuracy_by_delay(ReadsStep(-1), [3, 8], n=200, seed=10)
    for delay, value in zip([3, 8], got):
        assert value == accuracy(ReadsStep(-1), delay, n=200, seed=10 + delay)


@requires_cuda
def test_the_batch_and_the_accuracy_are_the_same_on_cuda():
    cpu = recall_batch(20, 5, torch.Generator().manual_seed(4))
    gpu = recall_batch(20, 5, torch.Generator().manual_seed(4), device="cuda")
    assert gpu[0].device.type == "cuda" and torch.equal(gpu[0].cpu(), cpu[0]) and torch.equal(gpu[1].cpu(), cpu[1])
    assert accuracy(ReadsStep(-1).to("cuda"), 9, n=100) == accuracy(ReadsStep(-1), 9, n=100)
