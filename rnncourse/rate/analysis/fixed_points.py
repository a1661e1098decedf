"""Fixed points of the noise-free flow and their stability (rnncourse.rate.analysis says which flow)."""

from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.rate.evaluation import make_generators
from rnncourse.rate.recurrence import activate, activation_slope


def _as_input(model, u, dtype):
    """A constant input u (n_inputs,) (list, array or tensor) as a tensor on the model's device."""
    u = torch.as_tensor(u, dtype=dtype).to(model.device).reshape(-1)
    if u.numel() != model.n_inputs:
        raise ValueError(f"u has {u.numel()} value(s); this network takes {model.n_inputs} input channel(s) "
                         f"(one constant value each).")
    return u


def velocity(model, x, u):
    """F(x) = (-x + W_eff phi(x) + w_in u) / tau, the noise-free rate of change of the state per step.

    x (B, N) states; u (n_inputs,) a constant input. Returns (B, N), in x's dtype (use float64
    for fixed points: the weights are converted to it)."""
    u = _as_input(model, u, x.dtype)
    w_eff = model.effective_weights().detach().to(x.dtype)
    tau = model.time_constants().detach().to(x.dtype)
    drive = activate(x, model.activation) @ w_eff.T + model.w_in.to(x.dtype) @ u
    return (drive - x) / tau


def speed(model, x, u):
    """q(x) = |F(x)|^2 / 2 (B,), in (state units per step)^2: Sussillo & Barak's (2013) measure of
    how fast the dynamics move at x; 0 exactly at a fixed point."""
    return 0.5 * (velocity(model, x, u) ** 2).sum(-1)


def jacobian(model, x):
    """J (B, N, N) of the flow at the states x (B, N): J[b, i, j] = dF_i/dx_j
    = (-delta_ij + W_eff[i, j] phi'(x_j)) / tau_i, per step. (It does not depend on the input.)"""
    w_eff = model.effective_weights().detach().to(x.dtype)
    tau = model.time_constants().detach().to(x.dtype)
    slope = activation_slope(x, activate(x, model.activation), model.activation)
    eye = torch.eye(model.N, dtype=x.dtype, device=x.device)
    return (w_eff * slope[:, None, :] - eye) / tau[:, None]


@dataclass
class FixedPoints:
    """The distinct fixed points found for one constant input u.

    u (n_inputs,): the input. points (K, N): the states x*, slowest first; rates (K, N) phi(x*).
    speeds (K,): q(x*) = |F(x*)|^2 / 2 in (state units per step)^2. counts (K,): how many of the
    initial states ended at each point. eigenvalues (K, N) complex: of the flow's Jacobian at each
    point, in 1/step, sorted by real part, largest first. stable (K,) bool: all real parts < 0.
    """
    u: np.ndarray
    points: np.ndarray
    rates: np.ndarray
    speeds: np.ndarray
    counts: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray


@torch.no_grad()
def _visited_states(model, u, n, duration, generators):
    """n states (n, N) float64 that the noisy network visits under the constant input u: each from
    its own trial of `duration` steps, at a random step of it."""
    run = model(u.to(model.w.dtype).expand(n, -1)[:, :, None].expand(-1, -1, duration).contiguous(),
                generator=generators.noise)
    steps = torch.randint(duration, (n,), generator=generators.trials).to(model.device)
    return run.x[torch.arange(n, device=model.device), steps].double()


def _descend(model, x, u, steps, learning_rate):
    """Minimise the speed q from every row of x (K, N) at once with Adam; returns the final states.

    Summing q over the rows keeps the minimisations independent: row k's gradient is dq_k/dx_k."""
    x = x.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=learning_rate)
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        speed(model, x, u).sum().backward()
        optimizer.step()
    return x.detach()


@torch.no_grad()
def _polish(model, x, u, iterations):
    """Newton's method on F(x) = 0 from each row of x, keeping a step only where it lowers the speed:
    Adam stalls at about its learning rate from a minimum, Newton then converges quadratically
    to a true fixed point, and a slow point (q > 0 at a minimum) is left where Adam put it."""
    for _ in range(iterations):
        step, info = torch.linalg.solve_ex(jacobian(model, x), velocity(model, x, u))
        trial = x - step
        better = (info == 0) & (speed(model, trial, u) < speed(model, x, u))
        x = torch.where(better[:, None], trial, x)
    return x


def _distinct(points, speeds, merge_distance):
    """Indices of the distinct points (slowest first) and, for each, how many points lie within
    merge_distance of it (greedily: each point joins the slowest kept point near enough)."""
    kept, counts = [], []
    for i in np.argsort(speeds, kind="stable"):
        near = [j for j, k in enumerate(kept) if np.linalg.norm(points[i] - points[k]) < merge_distance]
        if near:
            counts[near[0]] += 1
        else:
            kept.append(i)
            counts.append(1)
    return np.array(kept, dtype=int), np.array(counts, dtype=int)


def fixed_points(model, u, *, initial=None, n_initial=64, steps=1000, learning_rate=0.01, newton_steps=20,
                 max_speed=1e-10, merge_distance=1e-3, duration=200, seed=0):
    """The fixed points of the noise-free flow for the constant input u (n_inputs,), found by
    minimising the speed q(x) = |F(x)|^2 / 2 from many states at once (Adam for `steps` steps at
    `learning_rate`, then up to `newton_steps` Newton steps), in float64.

    initial (K, N): the states to start from; by default n_initial states the noisy network visits
    under u (each from its own trial of `duration` steps, at a random step), drawn with `seed`.
    The points that end with q <= max_speed ((state units per step)^2) are kept and merged when
    closer than merge_distance (state units). Returns FixedPoints (K may be 0); raise max_speed
    to keep slow points too.
    """
    u = _as_input(model, u, torch.float64)
    if initial is None:
        if n_initial < 1:
            raise ValueError(f"n_initial={n_initial!r}: start from at least one state.")
        x = _visited_states(model, u, n_initial, duration, make_generators(seed, model.device))
    else:
        x = torch.as_tensor(initial).to(device=model.device, dtype=torch.float64)
        if x.dim() != 2 or x.shape[1] != model.N or len(x) == 0:
            raise ValueError(f"initial has shape {tuple(x.shape)}; expected (K, {model.N}) states, K >= 1.")
    x = _polish(model, _descend(model, x, u, steps, learning_rate), u, newton_steps)
    speeds = speed(model, x, u).cpu().numpy()
    points = x.cpu().numpy()
    slow = speeds <= max_speed
    keep, counts = _distinct(points[slow], speeds[slow], merge_distance)
    points, speeds = points[slow][keep], speeds[slow][keep]
    x = torch.as_tensor(points, device=model.device)
    with torch.no_grad():
        J = jacobian(model, x).cpu()
    eigenvalues = torch.linalg.eigvals(J).numpy().reshape(len(points), model.N)
    eigenvalues = np.take_along_axis(eigenvalues, np.argsort(-eigenvalues.real, axis=1, kind="stable"), 1)
    return FixedPoints(u=u.cpu().numpy(), points=points, rates=activate(x, model.activation).cpu().numpy(),
                       speeds=speeds, counts=counts, eigenvalues=eigenvalues,
                       stable=(eigenvalues.real < 0).all(1))
