"""The random streams of a simulation: initial voltages, voltage noise and stimulation coins.

Either injected (the reference checks: v0, noise and coins given as arrays), or drawn trial by trial:
each trial gets a key from the caller's torch.Generator, and its three streams are NumPy generators
seeded with (key, 1), (key, 2) and (key, 3), as the reference seeds its streams with (seed, 1),
(seed, 2) and (seed, 3). Within a trial the draws come in a fixed order:

    v0      N uniforms, -65 + 95·U[0, 1) mV, unit 0 first
    noise   N standard normals per step, unit 0 first, times NOISE_SD: N(0, 0.1²) mV
    coins   one uniform per step inside the stimulation window, none outside it

so every engine (simulate.ENGINES) draws the same numbers: the compiled steps draw each step's
noise inside their loop from the trial's generator (numba reproduces NumPy's generators value for
value), the array steps take chunks of steps at once. A trial's numbers depend only on its key,
never on the batch it runs in, the number of threads or the dtype.
"""

import numpy as np
import torch

V0_LOW, V0_HIGH = -65.0, 30.0       # mV, initial voltages uniform on [low, high)
NOISE_SD = 0.1                      # mV added to v at every step
KEY_HIGH = 2 ** 62                  # keys are uniform on [0, KEY_HIGH)


class Streams:
    """v0 (B, N) mV, always; then either the injected noise (nt, B, N) and coins (nt, B), or each
    trial's noise and coin generators (`noise_generators`, `coin_generators`: B each)."""

    def __init__(self, generator, B, N, nt, v0=None, noise=None, coins=None, stimulated=False):
        self.B, self.N, self.nt = B, N, nt
        self.noise_given = np.asarray(noise, np.float64).reshape(nt, B, N) if noise is not None else None
        self.coins_given = np.asarray(coins, np.float64).reshape(nt, B) if coins is not None else None
        draw_coins = stimulated and coins is None
        if v0 is None or noise is None or draw_coins:
            keys = torch.randint(KEY_HIGH, (B,), generator=generator).tolist()
        if v0 is None:
            v0 = np.stack([V0_LOW + (V0_HIGH - V0_LOW) * np.random.default_rng([key, 1]).random(N) for key in keys])
        self.v0 = np.asarray(v0, np.float64).reshape(B, N)
        self.noise_generators = None if noise is not None else [np.random.default_rng([key, 2]) for key in keys]
        self.coin_generators = [np.random.default_rng([key, 3]) for key in keys] if draw_coins else None

    def noise_chunk(self, k, steps):
        """(steps, B, N) mV (fewer at the end): the noise of steps k, k+1, ...; drawn chunks must be
        asked for in order."""
        steps = min(steps, self.nt - k)
        if self.noise_given is not None:
            return self.noise_given[k:k + steps]
        chunk = np.empty((steps, self.B, self.N))
        for b, gen in enumerate(self.noise_generators):
            chunk[:, b] = NOISE_SD * gen.standard_normal((steps, self.N))
        return chunk

    def coins(self, on, off):
        """(off - on, B): the coins of steps on <= k < off (the stimulation window, asked for once)."""
        if self.coins_given is not None:
            return self.coins_given[on:off]
        return np.stack([gen.random(off - on) for gen in self.coin_generators], axis=1)
