"""Choose where torch code runs: the best device present, or the one asked for; and how many CPU
cores this process may use."""

import os

import torch


def mps_available():
    backend = getattr(torch.backends, "mps", None)
    return backend is not None and backend.is_available()


def pick_device(preference="auto"):
    """'auto' -> cuda if present, else mps, else cpu; 'cpu', 'cuda', 'cuda:1', 'mps' as asked.

    Asking for a device that is not there raises a ValueError that says what is present.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": mps_available()}
    try:
        device = torch.device(preference)
    except RuntimeError:  # torch's own message lists every backend it knows, not what we accept
        device = None
    if device is None or device.type not in present:
        raise ValueError(f"Unknown device {preference!r}: use 'auto', 'cpu', 'cuda' or 'mps'.")
    if not present[device.type]:
        found = ", ".join(k for k, ok in present.items() if ok)
        raise ValueError(f"Device {preference!r} is not available on this machine (found: {found}). "
                         "Use device='auto' to take the best one present.")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"Device {preference!r} does not exist: this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s).")
    return device


def usable_cores():
    """The CPU cores this process may run on (its affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
