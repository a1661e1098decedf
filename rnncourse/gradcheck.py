"""Numerical gradients by central differences, to check hand-written backward passes.

Works on NumPy arrays and torch tensors alike: the parameter is perturbed in place, one element
at a time, and put back exactly as it was.
"""

import numpy as np


def numerical_gradient(f, x, eps=1e-5):
    """d f / d x by central differences.

    f: a function of no arguments returning a scalar; it must read x (which is perturbed in place).
    x: the parameter, an array or tensor of any shape (use float64 for tight checks).
    Returns an array (NumPy for NumPy input, torch otherwise) of x's shape.
    """
    values = x if isinstance(x, np.ndarray) else x.data   # .data: in-place edits of a leaf that requires grad
    grad = values.copy() if isinstance(x, np.ndarray) else values.clone()
    for index in np.ndindex(*values.shape):   # by index, so transposed and strided views work too
        original = values[index].item()
        values[index] = original + eps
        f_plus = float(f())
        values[index] = original - eps
        f_minus = float(f())
        values[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """max |a - b| / max(|a| + |b|, tiny): near 0 when two gradients agree; scale-free."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def check_gradient(f, x, analytic, eps=1e-5, tolerance=1e-6):
    """Compare an analytic gradient with the numerical one; raise AssertionError naming the worst element.

    Returns the relative error when it is within tolerance.
    """
    numeric = np.asarray(numerical_gradient(f, x, eps))
    analytic = np.asarray(analytic.detach().cpu() if hasattr(analytic, "detach") else analytic)
    if analytic.shape != numeric.shape:
        raise AssertionError(f"gradient shape {analytic.shape} differs from the parameter's {numeric.shape}")
    error = relative_error(analytic, numeric)
    if error > tolerance:
        diff = np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-12)
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        raise AssertionError(f"gradient check failed: relative error {error:.2e} > {tolerance:.0e}; "
                             f"worst at index {tuple(int(i) for i in worst)}: "
                             f"analytic {analytic[worst]:.6g}, numerical {numeric[worst]:.6g}")
    return error
