"""Seed every random number generator a lab touches, so a run repeats exactly."""

import random

import numpy as np
import torch


def seed_everything(seed):
    """Seed Python's random, NumPy's global generator and torch (CPU and every CUDA device).

    Returns a torch.Generator seeded with the same value, for code that prefers an explicit one.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds CUDA devices
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
