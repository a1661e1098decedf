"""Reproducible seeding and device choice."""

import random

import numpy as np
import pytest
import torch

import rnncourse.device as device_module
from rnncourse.device import pick_device
from rnncourse.seeding import seed_everything


def draws():
    """One draw from each generator a lab touches: torch, NumPy's global one, and Python's random."""
    return (torch.rand(5).tolist(), torch.randn(2, 2).tolist(), np.random.rand(5).tolist(),
            np.random.randint(0, 1000, size=3).tolist(), [random.random() for _ in range(3)])


def test_same_seed_repeats_every_generator():
    """Seeding twice with the same value gives identical torch, NumPy and random draws."""
    seed_everything(1234)
    first = draws()
    seed_everything(1234)
    assert draws() == first


def test_seed_matches_each_library_own_seeding():
    """seed_everything(s) leaves each generator where its own seed(s) would: draws equal the library's."""
    seed_everything(7)
    got = draws()
    torch.manual_seed(7)
    np.random.seed(7)
    random.seed(7)
    assert got == draws()


def test_different_seeds_differ():
    """Two different seeds give different draws from each generator."""
    seed_everything(1)
    a = draws()
    seed_everything(2)
    b = draws()
    for x, y in zip(a, b):
        assert x != y


def test_returned_generator_reproduces():
    """The returned torch.Generator is seeded with the value: reseeding gives the same draws, as does a fresh
    generator seeded by hand."""
    g1 = seed_everything(99)
    first = torch.rand(4, generator=g1).tolist()
    g2 = seed_everything(99)
    assert torch.rand(4, generator=g2).tolist() == first
    assert torch.rand(4, generator=torch.Generator().manual_seed(99)).tolist() == first
    assert g2.initial_seed() == 99


def test_returned_generator_is_independent_of_global_state():
    """Drawing from the global torch generator does not shift the returned generator's sequence."""
    g = seed_everything(5)
    torch.rand(100)
    assert torch.rand(3, generator=g).tolist() == torch.rand(3, generator=torch.Generator().manual_seed(5)).tolist()


def test_pick_device_cpu():
    """Asking for 'cpu' (or a torch.device('cpu')) gives the CPU."""
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.skipif(device_module.mps_available(), reason="MPS present: 'auto' may pick it")
def test_pick_device_auto_real_machine():
    """'auto' gives cuda when CUDA is present, else cpu (on a machine without MPS)."""
    expected = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    assert pick_device("auto") == expected
    assert pick_device() == expected


def test_pick_device_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    """'auto' takes cuda over mps over cpu, whatever this machine has."""
    cases = [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")]
    for cuda, mps, expected in cases:
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        monkeypatch.setattr(device_module, "mps_available", lambda mps=mps: mps)
        assert pick_device("auto") == torch.device(expected)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_pick_device_cuda_missing_raises_value_error():
    """Asking for 'cuda' without CUDA raises a ValueError that says what is present and suggests 'auto'."""
    with pytest.raises(ValueError) as info:
        pick_device("cuda")
    message = str(info.value)
    assert "'cuda'" in message and "not available" in message
    assert "found: cpu" in message and "auto" in message


def test_pick_device_mps_missing_raises_value_error(monkeypatch):
    """Asking for 'mps' where there is none raises a ValueError listing what is there."""
    monkeypatch.setattr(device_module, "mps_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(ValueError, match=r"'mps' is not available.*found: cpu, cuda"):
        pick_device("mps")


def test_pick_device_cuda_index_out_of_range(monkeypatch):
    """'cuda:1' on a one-GPU machine raises a ValueError giving the number of devices; 'cuda:0' is fine."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert pick_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(ValueError, match=r"'cuda:1' does not exist.*1 CUDA device"):
        pick_device("cuda:1")


@pytest.mark.parametrize("name", ["tpu", "gpu", "", "meta", "xla"])
def test_pick_device_unknown_string_raises_value_error(name):
    """An unknown or unsupported device string raises a ValueError naming the allowed choices."""
    with pytest.raises(ValueError) as info:
        pick_device(name)
    message = str(info.value)
    assert repr(name) in message
    for choice in ("'auto'", "'cpu'", "'cuda'", "'mps'"):
        assert choice in message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_pick_device_cuda_present():
    """With CUDA present, 'cuda' and 'cuda:0' are accepted and tensors can be put there."""
    assert pick_device("cuda").type == "cuda"
    assert torch.ones(2, device=pick_device("cuda:0")).sum().item() == 2.0
