"""The continuous rate RNN of Kim, Li & Sejnowski (PNAS 2019), spikeRNN's FR_RNN_dale, in PyTorch.

    tau * dx/dt = -x + W_eff r + w_in u + noise        r = phi(x)        o = w_out r + b_out

discretised with Euler steps of DeltaT = 1 step (5 ms), exactly as spikeRNN does:

    x[t] = (1 - DeltaT/tau) x[t-1] + (DeltaT/tau) (W_eff r[t-1] + w_in u[t-1]) + N(0, 0.1^2)
    o[t-1] = w_out r[t] + b_out          for t = 1 .. T-1  (no output at t = 0)

Units are excitatory or inhibitory (each inhibitory with probability P_inh). Under Dale's principle
the trained matrix `w` only counts through its positive part, and the sign comes from the
presynaptic unit: W_eff = (relu(w) @ m) * som_m, with m = diag(+1 for E, -1 for I) flipping the
columns of inhibitory units, and som_m cutting every inhibitory input to the first som_N
inhibitory ("SOM") units. Entries of w that start at exactly 0 get zero gradient through relu, so
the initial sparsity (connection probability P_rec) is kept for ever.

Shapes follow spikeRNN with a batch dimension in front: inputs u (B, Nin, T), states x and rates
r (B, T, N), outputs o (B, T-1). Parameters keep spikeRNN's names: w (N, N), w_in (N, Nin, fixed),
w_out (1, N), b_out (scalar), taus_gaus (N, 1). Time constants are in steps.
"""

import math
from typing import NamedTuple

import torch
from torch import nn

from rnncourse.device import pick_device
from rnncourse.rate.recurrence import ACTIVATIONS, LeakyRecurrence, unknown_activation

WEIGHT_DISTRIBUTIONS = ("gaus", "gamma")

#: Standard deviations of the initial state x[0] and of the noise added to x at every step.
INITIAL_STATE_SD = 0.01
STATE_NOISE_SD = 0.1


class StateNoise(NamedTuple):
    """The randomness of one forward run: x0 (B, N), SD 0.01, and steps (B, T-1, N), SD 0.1,
    where steps[:, t-1] is added to x[t]."""
    x0: torch.Tensor
    steps: torch.Tensor


class RateRun(NamedTuple):
    """What a forward run returns: x, r (B, T, N) states and rates; o (B, T-1) outputs, o[:, t-1]
    read from r[:, t]."""
    x: torch.Tensor
    r: torch.Tensor
    o: torch.Tensor


def draw_noise(batch, T, N, generator=None, device=None, dtype=torch.float32):
    """Fresh StateNoise for `batch` trials of T steps and N units, drawn from `generator`
    (a torch.Generator on `device`; torch's global one when None)."""
    x0 = torch.randn(batch, N, generator=generator, device=device, dtype=dtype) * INITIAL_STATE_SD
    steps = torch.randn(batch, T - 1, N, generator=generator, device=device, dtype=dtype) * STATE_NOISE_SD
    return StateNoise(x0, steps)


def _check_settings(N, n_inputs, P_inh, P_rec, som_N, w_dist, taus, activation):
    """Raise a ValueError naming the first argument that spikeRNN's model cannot use."""
    if not isinstance(N, int) or N < 1:
        raise ValueError(f"N={N!r}: the number of units must be a positive integer.")
    if not isinstance(n_inputs, int) or n_inputs < 1:
        raise ValueError(f"n_inputs={n_inputs!r}: the number of input channels must be a positive integer.")
    for name, p in (("P_inh", P_inh), ("P_rec", P_rec)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name}={p!r}: a probability must lie in [0, 1].")
    if not isinstance(som_N, int) or som_N < 0:
        raise ValueError(f"som_N={som_N!r}: the number of SOM units must be an integer >= 0.")
    if w_dist not in WEIGHT_DISTRIBUTIONS:
        raise ValueError(f"w_dist={w_dist!r}: use 'gaus' or 'gamma'.")
    if activation not in ACTIVATIONS:
        raise unknown_activation(activation)
    check_taus(taus)


def check_taus(taus, name="taus"):
    """Raise a ValueError unless `taus` is one positive time constant or (tau_min, tau_max), in steps."""
    if len(taus) not in (1, 2) or min(taus) <= 0:
        raise ValueError(f"{name} takes one positive number (a fixed time constant) or two (MIN MAX: "
                         f"tau_min, tau_max), in steps of 5 ms, e.g. 4 20; got {list(taus)}")
    if len(taus) == 2 and taus[0] > taus[1]:
        raise ValueError(f"{name} MIN MAX: MIN {taus[0]} exceeds MAX {taus[1]} (tau_min must not exceed tau_max)")


class RateRNN(nn.Module):
    """spikeRNN's rate network, for a batch of trials at a time.

    N units, n_inputs input channels (go-nogo 1, xor 2, mante 4). P_inh: probability that a unit
    is inhibitory (a Bernoulli draw per unit, so the count varies). P_rec: connection probability
    of the initial w, self-connections included. w_dist 'gaus': nonzero w ~ N(0, 1) * gain /
    sqrt(N * P_rec); 'gamma': Gamma(shape 2, scale 0.003), no gain. apply_dale: |w| at the start,
    relu(w) and the sign mask in every forward run; without it every unit is excitatory and w is
    used as it is. som_N: the first som_N inhibitory units receive no inhibitory input.
    taus: (tau_min, tau_max) in steps for trainable per-unit time constants
    tau = sigmoid(taus_gaus) * (tau_max - tau_min) + tau_min, or (tau,) for one fixed value.
    activation: 'sigmoid' (the paper's), 'clipped_relu' or 'softplus'.

    Initial values are drawn from `generator` (a CPU torch.Generator; torch's global one when
    None) or from a fresh one seeded with `seed`, so the same seed gives the same network on every
    device; the module is then moved to `device` ('auto', 'cpu', 'cuda', 'mps').
    """

    def __init__(self, N, n_inputs, *, P_inh=0.2, P_rec=0.2, som_N=0, w_dist="gaus", gain=1.5,
                 apply_dale=True, taus=(4.0, 20.0), activation="sigmoid", DeltaT=1.0,
                 seed=None, generator=None, device="cpu"):
        super().__init__()
        self._configure(N, n_inputs, P_inh, P_rec, som_N, w_dist, gain, apply_dale, taus, activation, DeltaT)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(seed)
        self._install(**self._draw(generator), device=device)

    @classmethod
    def from_arrays(cls, *, w, w_in, w_out, b_out, taus_gaus, inh, m, som_m, taus, activation, apply_dale,
                    som_N, P_inh, P_rec=0.2, gain=1.5, w_dist="gaus", DeltaT=1.0, device="cpu"):
        """A network with the given parameters and masks (tensors or arrays, spikeRNN's shapes), as
        a saved model is rebuilt: nothing is drawn at random."""
        model = cls.__new__(cls)
        nn.Module.__init__(model)
        def as_float(a):    # a copy in row-major order (scipy reads .mat arrays column-major)
            return torch.as_tensor(a, dtype=torch.float32).clone(memory_format=torch.contiguous_format)

        w_in = as_float(w_in)
        model._configure(w_in.shape[0], w_in.shape[1], P_inh, P_rec, som_N, w_dist, gain, apply_dale, taus,
                         activation, DeltaT)
        model._install(w=as_float(w), w_in=w_in, w_out=as_float(w_out).reshape(1, -1),
                       b_out=float(b_out), taus_gaus=as_float(taus_gaus).reshape(-1, 1),
                       inh=torch.as_tensor(inh).reshape(-1).bool(), m=as_float(m), som_m=as_float(som_m),
                       device=device)
        return model

    def _configure(self, N, n_inputs, P_inh, P_rec, som_N, w_dist, gain, apply_dale, taus, activation, DeltaT):
        taus = tuple(float(t) for t in (taus if isinstance(taus, (tuple, list)) else (taus,)))
        _check_settings(N, n_inputs, P_inh, P_rec, som_N, w_dist, taus, activation)
        self.N, self.n_inputs = N, n_inputs
        self.P_inh, self.P_rec, self.som_N, self.w_dist, self.gain = P_inh, P_rec, som_N, w_dist, gain
        self.apply_dale, self.taus, self.activation, self.DeltaT = bool(apply_dale), taus, activation, DeltaT

    def _draw(self, g):
        """spikeRNN's initial parameters and masks, drawn from the CPU generator `g` (global when None)."""
        N, n_inputs, P_rec = self.N, self.n_inputs, self.P_rec
        # Same order as spikeRNN: input and output weights first, then units, then w.
        w_in = torch.randn(N, n_inputs, generator=g)
        w_out = torch.randn(1, N, generator=g) / 100
        inh = torch.rand(N, generator=g) < self.P_inh if self.apply_dale else torch.zeros(N, dtype=torch.bool)
        inh_index = torch.nonzero(inh).flatten()
        if self.som_N > len(inh_index):
            raise ValueError(f"som_N={self.som_N} but only {len(inh_index)} of the {N} units came out "
                             "inhibitory: lower som_N or raise P_inh (or N).")
        connected = torch.rand(N, N, generator=g) < P_rec
        w = torch.zeros(N, N)
        count = int(connected.sum())
        if self.w_dist == "gaus":
            w[connected] = torch.randn(count, generator=g) * (self.gain / math.sqrt(N * P_rec))
        else:   # Gamma(2, theta) is theta times the sum of two unit exponentials, -log(U1) - log(U2)
            uniforms = 1 - torch.rand(2, count, generator=g)   # in (0, 1]
            w[connected] = -torch.log(uniforms.prod(0)) * 0.003
        if self.apply_dale:
            w = w.abs()
        som_m = torch.ones(N, N)
        som_m[inh_index[:self.som_N].unsqueeze(1), inh_index.unsqueeze(0)] = 0
        taus_gaus = torch.randn(N, 1, generator=g)
        return dict(w=w, w_in=w_in, w_out=w_out, b_out=0.0, taus_gaus=taus_gaus, inh=inh,
                    m=torch.diag(1.0 - 2.0 * inh.float()), som_m=som_m)

    def _install(self, *, w, w_in, w_out, b_out, taus_gaus, inh, m, som_m, device):
        self.w = nn.Parameter(w)
        self.w_out = nn.Parameter(w_out)
        self.b_out = nn.Parameter(torch.tensor(float(b_out)))
        # Trained only with two taus; with one it is kept (and saved) as spikeRNN does, unused.
        self.taus_gaus = nn.Parameter(taus_gaus, requires_grad=len(self.taus) == 2)
        self.register_buffer("w_in", w_in)
        self.register_buffer("inh", inh)
        self.register_buffer("m", m)
        self.register_buffer("som_m", som_m)
        self.to(pick_device(device))

    @property
    def device(self):
        return self.w.device

    @property
    def exc(self):
        """(N,) bool, True for excitatory units."""
        return ~self.inh

    @property
    def som_inh(self):
        """Indices of the SOM units: the first som_N inhibitory units."""
        return torch.nonzero(self.inh).flatten()[: self.som_N]

    def rectified_weights(self):
        """relu(w) under Dale's principle, w otherwise (N, N): what spikeRNN saves as 'w'."""
        return torch.relu(self.w) if self.apply_dale else self.w

    def effective_weights(self):
        """W_eff = (relu(w) @ m) * som_m (N, N), W_eff[i, j] the signed weight from unit j to unit i.

        m is diagonal, so the product only flips the sign of the inhibitory columns; that is how
        it is computed here. (spikeRNN's display() multiplies w and m elementwise instead, which
        keeps only the diagonal, so the weight percentages it prints are wrong.)
        """
        return self.rectified_weights() * torch.diagonal(self.m) * self.som_m

    def time_constants(self):
        """(N,) per-unit time constants in steps (x 5 ms), each in (tau_min, tau_max) or the fixed tau."""
        if len(self.taus) == 1:
            return torch.full((self.N,), self.taus[0], device=self.device, dtype=self.w.dtype)
        tau_min, tau_max = self.taus
        return torch.sigmoid(self.taus_gaus.flatten()) * (tau_max - tau_min) + tau_min

    def draw_noise(self, batch, T, generator=None):
        """StateNoise for `batch` trials of T steps on this model's device and dtype."""
        return draw_noise(batch, T, self.N, generator, self.device, self.w.dtype)

    def forward(self, u, noise=None, generator=None):
        """Run B trials. u (B, n_inputs, T); noise a StateNoise (drawn from `generator` when None).

        Returns RateRun(x (B, T, N), r (B, T, N), o (B, T-1)).
        """
        x0, drive, keep, M = self.recurrence_terms(u, noise, generator)
        x, r = LeakyRecurrence.apply(x0, drive, keep, M.T, self.activation)
        return RateRun(x.transpose(0, 1), r.transpose(0, 1), self.readout(r))

    def recurrence_terms(self, u, noise=None, generator=None):
        """What LeakyRecurrence needs for B trials (u and noise as in forward): x0 (B, N), drive
        (T-1, B, N), keep = 1 - DeltaT/tau (N,) and M = W_eff * (DeltaT/tau)[:, None] (N, N), whose
        transpose is the recurrence's A. train_many stacks these over networks."""
        if u.dim() != 3 or u.shape[1] != self.n_inputs:
            raise ValueError(f"u has shape {tuple(u.shape)}; expected (batch, {self.n_inputs}, T) for "
                             f"this network's {self.n_inputs} input channel(s).")
        batch, _, T = u.shape
        if noise is None:
            noise = self.draw_noise(batch, T, generator)
        u = u.to(device=self.device, dtype=self.w.dtype)
        leak = self.DeltaT / self.time_constants()                         # (N,)
        M = self.effective_weights() * leak[:, None]                       # r @ M.T = leak * (W_eff r)
        inputs = u[:, :, :-1].permute(2, 0, 1) @ self.w_in.T                  # (T-1, B, N): w_in u[t-1]
        drive = torch.addcmul(noise.steps.transpose(0, 1), inputs, leak)
        return noise.x0, drive, 1 - leak, M

    def readout(self, r):
        """r (T, B, N), time first -> o (B, T-1): o[:, t-1] = w_out r[t] + b_out."""
        return ((r[1:] @ self.w_out.T).squeeze(-1) + self.b_out).T

    def extra_repr(self):
        taus = f"taus={self.taus[0]:g}..{self.taus[1]:g} steps (trained)" if len(self.taus) == 2 \
            else f"tau={self.taus[0]:g} steps (fixed)"
        return (f"N={self.N} ({int(self.exc.sum())} E / {int(self.inh.sum())} I, som_N={self.som_N}), "
                f"inputs={self.n_inputs}, apply_dale={self.apply_dale}, {taus}, activation={self.activation}")
