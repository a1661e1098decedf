"""What a trained rate network does inside: population trajectories, fixed points, psychometric
curves and lesions. Each analysis is a function returning plain NumPy results; rnncourse.rate.plots
draws each one (plot_pca, plot_fixed_points, plot_psychometric, plot_lesion).

    trajectories     condition-averaged rates and their principal components
    fixed_points     states where the noise-free dynamics stop, with their stability
    psychometric     Mante: choices against the evidence of each channel, in each context
    lesion           a copy of the network with some units silenced; compare_lesions re-evaluates

Time is in steps (one step = 5 ms). Computations run on the model's device; randomness comes from
explicit seeds, through rnncourse.rate.evaluation.make_generators, so that a seed gives the same
trials and noise as evaluate(..., seed=seed).

The fixed points are those of the continuous dynamics without noise, the flow

    dx/dt = F(x) = (-x + W_eff phi(x) + w_in u) / tau        (per step; tau per unit, in steps)

that the network's Euler steps discretise (x[t] = x[t-1] + DeltaT F(x[t-1]) + noise, DeltaT = 1).
Its Jacobian is J = diag(1/tau) (-I + W_eff diag(phi'(x))), and a fixed point is stable when every
eigenvalue of J has a negative real part. (The Euler map's Jacobian is I + DeltaT J, with
eigenvalues 1 + DeltaT lambda; as tau >= 4 steps here, the two rules agree for the eigenvalues a
trained network has, but the flow's is the one stated and used.)
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch

from rnncourse.rate.evaluation import EVAL_TRIALS, evaluate, make_generators
from rnncourse.rate.recurrence import activate, activation_slope
from rnncourse.rate.tasks import Mante, Task, get_task

# ---------------------------------------------------------------- trajectories and PCA


@dataclass
class Trajectories:
    """Condition-averaged rates of a network on a task, and their principal components.

    conditions: the C condition names (task.condition_names), sorted; counts (C,) trials in each.
    rates (C, T, N): mean rate of each unit at each step over the trials of each condition.
    mean (N,): the mean of `rates` over conditions and steps, which the PCA subtracts.
    components (k, N): the first k principal axes, orthonormal rows, each signed so that its
    largest loading is positive. explained (k,): the fraction of the variance of `rates` (over
    conditions and steps, all N dimensions) along each axis. projections (C, T, k): the rates
    on those axes, (rates - mean) @ components.T.
    """
    conditions: list
    counts: np.ndarray
    rates: np.ndarray
    mean: np.ndarray
    components: np.ndarray
    explained: np.ndarray
    projections: np.ndarray

    def project(self, rates):
        """Rates (..., N) (e.g. single trials' r, NumPy or tensor) on the principal axes -> (..., k)."""
        rates = rates.detach().cpu().numpy() if isinstance(rates, torch.Tensor) else np.asarray(rates)
        return (rates - self.mean) @ self.components.T


def _task(task):
    """A Task from a Task or a task name."""
    return task if isinstance(task, Task) else get_task(task)


@torch.no_grad()
def trajectories(model, task, n_trials=200, n_components=3, *, seed=0):
    """Run `n_trials` fresh trials of `task` (a Task or its name) through `model`, noise on as in
    evaluate, average the rates r (T, N) over the trials of each condition (Go / NoGo; XOR's four
    sign pairs; Mante's context and correct answer) and find the principal components of those
    averages. Returns Trajectories; every condition that came up in the trials is in it."""
    task = _task(task)
    if model.n_inputs != task.n_inputs:
        raise ValueError(f"The network has {model.n_inputs} input channel(s) but task {task.name!r} gives "
                         f"{task.n_inputs}: analyse it on the task it was trained for.")
    if not 1 <= n_components <= model.N:
        raise ValueError(f"n_components={n_components!r}: use 1 to N={model.N}.")
    generators = make_generators(seed, model.device)
    sums, counts = {}, {}
    for start in range(0, n_trials, EVAL_TRIALS):   # in chunks, so memory stays bounded
        trials = task.trials(min(EVAL_TRIALS, n_trials - start), generators.trials, model.device)
        r = model(trials.u, generator=generators.noise).r.double()
        for i, name in enumerate(task.condition_names(trials)):
            sums[name] = sums.get(name, 0) + r[i]
            counts[name] = counts.get(name, 0) + 1
    conditions = sorted(sums)
    rates = torch.stack([sums[c] / counts[c] for c in conditions]).cpu().numpy()
    mean = rates.reshape(-1, model.N).mean(0)
    centred = rates.reshape(-1, model.N) - mean
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    axes = axes[:n_components]
    axes *= np.sign(axes[np.arange(len(axes)), np.abs(axes).argmax(1)])[:, None]   # a fixed sign for each axis
    explained = variance[:n_components] / variance.sum() if variance.sum() > 0 else np.zeros(len(axes))
    return Trajectories(conditions=conditions, counts=np.array([counts[c] for c in conditions]),
                        rates=rates, mean=mean, components=axes, explained=explained,
                        projections=((rates - mean) @ axes.T))


# ---------------------------------------------------------------- fixed points


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


# ---------------------------------------------------------------- psychometric curves


@dataclass
class Psychometric:
    """Choices of a Mante network over a grid of evidence.

    offsets (K,): the channel means swept, on each channel. n_trials: trials per cell.
    plus, minus (2, K, K): for context c (index c - 1), channel-1 offset offsets[i] and channel-2
    offset offsets[j], the fraction of trials whose output counts as the answer +1 (task.correct
    with label +1), and as -1. A trial may count as neither (or, rarely, both).
    """
    offsets: np.ndarray
    n_trials: int
    plus: np.ndarray
    minus: np.ndarray

    def choices(self, context, channel):
        """(K,) fraction of +1 answers in `context` (1 or 2) against the offset of `channel` (1 or 2),
        averaged over the other channel's offsets. The cued channel (channel == context) should
        sweep it from 0 to 1; the other should leave it flat."""
        plus = self.plus[context - 1]
        return plus.mean(1) if channel == 1 else plus.mean(0)

    def accuracy(self, context):
        """(K,) fraction correct in `context` against the cued channel's offset (the +1 answers
        for a positive offset, the -1 answers for a negative one; NaN at 0, where no answer is
        correct), averaged over the other channel's offsets."""
        plus = self.plus[context - 1] if context == 1 else self.plus[context - 1].T
        minus = self.minus[context - 1] if context == 1 else self.minus[context - 1].T
        right = np.where(self.offsets[:, None] > 0, plus, minus).mean(1)
        return np.where(self.offsets == 0, np.nan, right)


@torch.no_grad()
def psychometric(model, task="mante", offsets=(-0.5, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2, 0.5), n_trials=20,
                 *, seed=0):
    """Run `n_trials` Mante trials for each context (2) and each pair of channel offsets
    (offsets x offsets, the task's usual +-offset among them or not) and count the answers.
    task: the Mante task (or 'mante') whose timing and scoring to use. Returns Psychometric."""
    task = _task(task)
    if not isinstance(task, Mante):
        raise ValueError(f"Psychometric curves need the Mante task (evidence on two channels); got {task.name!r}.")
    if model.n_inputs != task.n_inputs:
        raise ValueError(f"The network has {model.n_inputs} input channel(s); the Mante task gives 4.")
    offsets = np.asarray(offsets, dtype=np.float64).reshape(-1)
    if len(offsets) == 0 or n_trials < 1:
        raise ValueError("Give at least one offset and n_trials >= 1.")
    K = len(offsets)
    grid = torch.cartesian_prod(torch.arange(2) + 1, torch.arange(K), torch.arange(K))   # (2 K K, 3)
    cells = grid.repeat_interleave(n_trials, 0)
    generators = make_generators(seed, model.device)
    answers = []
    for start in range(0, len(cells), EVAL_TRIALS):
        part = cells[start:start + EVAL_TRIALS]
        trials = task.trials_with(np.stack([offsets[part[:, 1].numpy()], offsets[part[:, 2].numpy()]], 1),
                                  part[:, 0] == 1, generators.trials, model.device)
        o = model(trials.u, generator=generators.noise).o
        ones = torch.ones(len(o), device=model.device)
        answers.append(torch.stack([task.correct(o, ones), task.correct(o, -ones)], 1).cpu())
    counts = torch.cat(answers).double().reshape(2, K, K, n_trials, 2).mean(3).numpy()
    return Psychometric(offsets=offsets, n_trials=n_trials, plus=counts[..., 0], minus=counts[..., 1])


# ---------------------------------------------------------------- lesions


def lesion_units(model, which, *, seed=None):
    """The units to silence, as an (N,) bool mask on the CPU. `which`:
    'inhibitory' or 'excitatory'; a float in (0, 1]: that fraction of all units (rounded, at least
    one) chosen at random with `seed`; an (N,) bool mask; or a sequence of unit indices."""
    if isinstance(which, str):
        if which not in ("inhibitory", "excitatory"):
            raise ValueError(f"which={which!r}: use 'inhibitory', 'excitatory', a fraction, a mask or indices.")
        mask = (model.inh if which == "inhibitory" else model.exc).cpu().clone()
    elif isinstance(which, float):
        if not 0 < which <= 1:
            raise ValueError(f"which={which!r}: a fraction of the units must lie in (0, 1].")
        count = max(1, round(which * model.N))
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        mask = torch.zeros(model.N, dtype=torch.bool)
        mask[torch.randperm(model.N, generator=generator)[:count]] = True
    else:
        which = torch.as_tensor(np.asarray(which)).cpu()
        if which.dtype == torch.bool:
            if which.shape != (model.N,):
                raise ValueError(f"The mask has shape {tuple(which.shape)}; expected ({model.N},), one per unit.")
            mask = which.clone()
        else:
            if which.numel() and not (int(which.min()) >= 0 and int(which.max()) < model.N):
                raise ValueError(f"Unit indices must lie in 0..{model.N - 1}; got {which.tolist()}.")
            mask = torch.zeros(model.N, dtype=torch.bool)
            mask[which.long().reshape(-1)] = True
    if not mask.any():
        raise ValueError(f"which={which!r} names no unit of this network: nothing to silence.")
    return mask


def lesion(model, which, *, seed=None):
    """A copy of `model` with the units `which` names (see lesion_units) silenced; `model` itself
    is left as it is.

    Silencing sets the outgoing weights of those units to 0: their columns of w (so of W_eff, and
    the Dale relu keeps them 0) and their entries of w_out. Their rates then reach no other unit
    and not the output, as if clamped to 0. (Clamping the state instead cannot do that with the
    sigmoid, whose rate is never 0; the silenced units still have states and rates in a RateRun,
    which nothing reads.)
    """
    mask = lesion_units(model, which, seed=seed).to(model.device)
    lesioned = copy.deepcopy(model)
    with torch.no_grad():
        lesioned.w[:, mask] = 0
        lesioned.w_out[:, mask] = 0
    return lesioned


def compare_lesions(model, task, lesions, n_trials=100, *, seed=0, loss_fn="l2"):
    """Evaluate `model` and its lesioned copies on the same trials and noise (evaluate with `seed`).

    lesions: {name: which} with `which` as lesion_units takes (e.g. {'all inhibitory': 'inhibitory',
    '20% at random': 0.2}); random fractions are drawn with `seed`. Returns {'intact': Evaluation,
    name: Evaluation, ...} in that order."""
    task = _task(task)
    results = {"intact": evaluate(model, task, n_trials, loss_fn, seed=seed)}
    for name, which in lesions.items():
        results[name] = evaluate(lesion(model, which, seed=seed), task, n_trials, loss_fn, seed=seed)
    return results
