"""Numerical gradients and gradient checks, for NumPy arrays and torch tensors."""

import re

import numpy as np
import pytest
import torch

from rnncourse.gradcheck import check_gradient, numerical_gradient, relative_error

A_NP = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 4.0]])  # a fixed non-symmetric "data" matrix


def test_numerical_gradient_numpy_quadratic():
    """For f(x) = sum(x**2) the numerical gradient of a NumPy array is 2x."""
    x = np.random.default_rng(0).normal(size=(3, 4))
    grad = numerical_gradient(lambda: np.sum(x ** 2), x)
    assert isinstance(grad, np.ndarray) and grad.shape == x.shape
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_numpy_matrix_function():
    """For f(M) = sum(tanh(A^T M)) the numerical gradient equals A (1 - tanh^2(A^T M))."""
    rng = np.random.default_rng(1)
    M = rng.normal(size=(2, 4))

    def f():
        return np.sum(np.tanh(A_NP.T @ M))

    analytic = A_NP @ (1 - np.tanh(A_NP.T @ M) ** 2)
    np.testing.assert_allclose(numerical_gradient(f, M), analytic, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_torch_float64_matches_autograd():
    """For a torch float64 tensor the numerical gradient matches autograd and comes back as a tensor."""
    torch.manual_seed(0)
    x = torch.randn(3, 3, dtype=torch.float64)
    y = torch.randn(3, dtype=torch.float64)

    def f():
        return (torch.sin(x) @ y).pow(2).sum()

    grad = numerical_gradient(f, x)
    assert isinstance(grad, torch.Tensor) and grad.dtype == torch.float64 and grad.shape == x.shape
    xr = x.clone().requires_grad_(True)
    (torch.sin(xr) @ y).pow(2).sum().backward()
    torch.testing.assert_close(grad, xr.grad, rtol=1e-7, atol=1e-9)


def test_numerical_gradient_torch_parameter_requiring_grad():
    """A parameter with requires_grad=True can be checked directly: d/dW sum(W x) = outer(1, x)."""
    W = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    with torch.no_grad():
        grad = numerical_gradient(lambda: (W @ x).sum(), W)
    expected = torch.outer(torch.ones(2, dtype=torch.float64), x)
    torch.testing.assert_close(grad, expected, rtol=1e-8, atol=1e-10)


def test_numerical_gradient_restores_numpy_parameter_exactly():
    """After the check the NumPy parameter holds exactly its original bits."""
    x = np.random.default_rng(2).normal(size=(4, 3)) * 1e3 + 1 / 3
    before = x.copy()
    numerical_gradient(lambda: np.sum(np.sin(x)), x, eps=1e-3)
    assert np.array_equal(x, before) and x.tobytes() == before.tobytes()


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_numerical_gradient_restores_torch_parameter_exactly(dtype):
    """After the check the torch parameter holds exactly its original values, in float64 and float32."""
    torch.manual_seed(3)
    x = torch.randn(5, 2, dtype=dtype) * 1e3 + 1 / 3
    before = x.clone()
    numerical_gradient(lambda: torch.sin(x).sum(), x, eps=1e-3)
    assert torch.equal(x, before)


def test_numerical_gradient_perturbs_one_element_at_a_time():
    """f sees x changed in exactly one element, by +eps then -eps, in every call."""
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    original, eps, seen = x.copy(), 1e-3, []

    def f():
        seen.append(x - original)
        return 0.0

    numerical_gradient(f, x, eps=eps)
    assert len(seen) == 2 * x.size
    for call, delta in enumerate(seen):
        element, sign = divmod(call, 2)
        expected = np.zeros(x.size)
        expected[element] = eps if sign == 0 else -eps
        np.testing.assert_allclose(delta.reshape(-1), expected, atol=1e-12)


def test_check_gradient_passes_for_correct_gradient():
    """A correct analytic gradient passes and the returned relative error is tiny."""
    M = np.random.default_rng(4).normal(size=(2, 4))
    analytic = A_NP @ (1 - np.tanh(A_NP.T @ M) ** 2)
    error = check_gradient(lambda: np.sum(np.tanh(A_NP.T @ M)), M, analytic)
    assert 0 <= error < 1e-6
    assert error == pytest.approx(relative_error(analytic, numerical_gradient(lambda: np.sum(np.tanh(A_NP.T @ M)), M)))


def test_check_gradient_accepts_torch_analytic_gradient():
    """An autograd gradient (a tensor that requires grad history) is accepted as the analytic one."""
    torch.manual_seed(5)
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    loss = (x ** 3).sum()
    (analytic,) = torch.autograd.grad(loss, x)
    with torch.no_grad():
        assert check_gradient(lambda: (x ** 3).sum(), x, analytic) < 1e-6


def test_check_gradient_names_worst_index_of_transposed_gradient():
    """A transposed gradient of a non-symmetric function fails, naming the element that is most wrong."""
    # f(X) = sum(B * X) has gradient B. B is symmetric except B[1, 2] = 7 vs B[2, 1] = -1, so B^T is
    # wrong only at (1, 2) and (2, 1); the first of the two in row-major order is reported.
    B = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, 7.0], [3.0, -1.0, 1.0]])
    X = np.zeros((3, 3))
    with pytest.raises(AssertionError) as info:
        check_gradient(lambda: np.sum(B * X), X, B.T)
    message = str(info.value)
    assert "relative error 1.00e+00" in message
    assert "worst at index (1, 2)" in message
    assert re.search(r"analytic -1\b", message) and re.search(r"numerical 7\b", message)


def test_check_gradient_rejects_wrong_shape():
    """A gradient of the wrong shape fails with both shapes in the message."""
    X = np.zeros((2, 3))
    with pytest.raises(AssertionError, match=r"\(3, 2\).*\(2, 3\)"):
        check_gradient(lambda: np.sum(X), X, np.ones((3, 2)))


def test_check_gradient_respects_tolerance():
    """A 1% error fails at the default tolerance but passes when the user loosens it."""
    X = np.array([1.0, 2.0])
    wrong = 2 * X * 1.01  # gradient of sum(X**2), off by 1%
    with pytest.raises(AssertionError, match="relative error"):
        check_gradient(lambda: np.sum(X ** 2), X, wrong)
    error = check_gradient(lambda: np.sum(X ** 2), X, wrong, tolerance=1e-2)
    assert error == pytest.approx(0.01 / 2.01, rel=1e-5)


def test_relative_error_values():
    """relative_error is max |a-b| / (|a|+|b|): 0 for equal inputs, 1 for opposite signs, scale-free."""
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert relative_error([1.0], [-1.0]) == 1.0
    assert relative_error([1.0, 3.0], [1.0, 1.0]) == pytest.approx(0.5)
    assert relative_error([1.0], [0.0]) == 1.0
    assert relative_error([3e-9], [1e-9]) == pytest.approx(relative_error([3e9], [1e9])) == pytest.approx(0.5)
    assert relative_error(torch.tensor([2.0, 4.0]), np.array([2.0, 5.0])) == pytest.approx(1 / 9)


def test_numerical_gradient_of_a_transposed_view():
    """A non-contiguous NumPy view (x.T) is perturbed in place, so its gradient is right, not zero."""
    x = np.random.default_rng(5).standard_normal((3, 4))
    view = x.T
    weights = np.arange(12.0).reshape(4, 3)
    grad = numerical_gradient(lambda: float((view ** 2 * weights).sum()), view)
    np.testing.assert_allclose(grad, 2 * view * weights, rtol=1e-7, atol=1e-8)
