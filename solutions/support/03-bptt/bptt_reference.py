"""What lab 03's hidden tests of dL/dU hold an answer to: the exact derivative, the cases it is
tried on, and the check itself (one copy for the four questions, lengths 1, 2, 3 and N).

The loss is L = sum over t of (W h_t - x_(t+1))^2 with h_t = relu(U x_t + V h_(t-1)), all scalars.
This file goes into the autograder zip only (the build's support files), never to students.
"""

import random


def exact(U, V, W, x, h0):
    """(dL/dU, the size of the terms it adds up, the pre-activations): dL/dU carried forward in time,
    s being dh_t/dU; the size sets the tolerance of its rounding errors."""
    h, s, size, grad, scale, pre = h0, 0.0, 0.0, 0.0, 0.0, []
    for t in range(len(x) - 1):
        a = U * x[t] + V * h
        on = 1.0 if a > 0 else 0.0
        s, size, h = on * (x[t] + V * s), on * (abs(x[t]) + abs(V) * size), max(0.0, a)
        grad += 2 * (W * h - x[t + 1]) * W * s
        scale += 2 * (abs(W * h) + abs(x[t + 1])) * abs(W) * size
        pre.append(a)
    return grad, scale, pre


def cases(seed, given, lengths, n_random, n_kinks):
    """(U, V, W, x, h0) cases, for sequences of `lengths` in turn: the `given` ones; n_random random
    ones (a third with |V| near 1: long memories, where the chains matter); and n_kinks with a
    pre-activation of +-1e-9 at one step, where the formula is exact and a difference quotient
    steps across the kink of ReLU (each step of each length, both signs)."""
    rng = random.Random(seed)
    out = list(given)
    for case in range(n_random):
        N = lengths[case % len(lengths)]
        U, V, W, h0 = (rng.uniform(-1, 1) for _ in range(4))
        if case % 3 == 0:
            V = rng.choice([-1, 1]) * rng.uniform(0.8, 1.3)
        out.append((U, V, W, [rng.uniform(-1, 1) for _ in range(N + 1)], h0))
    for case in range(n_kinks):
        N = lengths[case % len(lengths)]
        U = rng.choice([-1, 1]) * rng.uniform(0.3, 1)       # |U| away from 0: x[step] below stays finite
        V, W, h0 = rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(0, 1)
        x = [rng.uniform(-1, 1) for _ in range(N + 1)]
        step, h = (case // len(lengths)) % N, h0
        for t in range(step):
            h = max(0.0, U * x[t] + V * h)
        sign = 1 if case < n_kinks // 2 else -1
        x[step] = (sign * 1e-9 - V * h) / U
        out.append((U, V, W, x, h0))
    return out


def check_by_hand(function, name, tried, hint):
    """`function(U, V, W, x, h0)` (the student's) against the exact derivative on every case of
    `tried`, by hand (every differentiating route refused: autograd in any mode, complex numbers,
    differentiation libraries) and with none of the course package's code (its worked versions, in
    any form), to 1e-11 of the size of its terms; x left as it was."""
    from rnncourse.course.kernel.checks import by_hand, refusing_package

    for U, V, W, x, h0 in tried:
        want, scale, pre = exact(U, V, W, x, h0)
        given = list(x)
        with by_hand(), refusing_package():
            got = float(function(U, V, W, given, h0))
        assert abs(got - want) <= 1e-11 * scale, \
            (f"{name} gives {got:.12g}, the exact derivative is {want:.12g} for U={U!r}, V={V!r}, W={W!r}, "
             f"x={x!r}, h0={h0!r} (pre-activations {[float(f'{a:.3g}') for a in pre]}): {hint}")
        assert given == x, f"{name} changed the list x it was given, to {given!r}: leave it as it is (make a new list)"
