"""The lab-01 RNN: rnn_step and rnn_unroll against hand computations and plain NumPy loops."""

import numpy as np
import pytest
import torch

from rnncourse.rnn import relu, rnn_step, rnn_unroll

from helpers.markers import requires_cuda

# The numbers of CS187 lab 2-2.
U_LAB = [[-0.3, 0.6], [0.2, 0.1]]
V_LAB = [[0.4, 0.4], [0.9, -0.7]]
W_LAB = [[0.2, 0.1], [-0.2, 0.5]]
X1_LAB = [0.0, 1.0]
X2_LAB = [0.3, 0.4]



def matvec(M, v):
    """M v with scalar Python loops (M a list of rows)."""
    return [sum(M[i][j] * v[j] for j in range(len(v))) for i in range(len(M))]


def hand_step(x, h_prev, U, V, W, sigma=lambda z: max(0.0, z)):
    """One RNN step in plain Python: h = sigma(U x + V h_prev), o = W h."""
    ux, vh = matvec(U, x), matvec(V, h_prev)
    h = [sigma(ux[i] + vh[i]) for i in range(len(ux))]
    return h, matvec(W, h)


def numpy_unroll(xs, h0, U, V, W, sigma):
    """rnn_unroll written as an explicit NumPy loop over time."""
    hs, os = [h0], []
    for x in xs:
        h = sigma(U @ x + V @ hs[-1])
        hs.append(h)
        os.append(W @ h)
    return np.stack(hs), np.stack(os)


def lab_tensors(dtype=torch.float32, device="cpu"):
    def t(v):
        return torch.tensor(v, dtype=dtype, device=device)
    return t(U_LAB), t(V_LAB), t(W_LAB), t(X1_LAB), t(X2_LAB), torch.zeros(2, dtype=dtype, device=device)


def test_relu_zeroes_negatives_and_keeps_positives():
    """relu is max(0, x) elementwise."""
    x = torch.tensor([-2.0, -0.0, 0.0, 0.5, 3.0])
    assert relu(x).tolist() == [0.0, 0.0, 0.0, 0.5, 3.0]


def test_rnn_step_on_lab_numbers_matches_hand_computation():
    """Two steps on the CS187 lab numbers give the h and o a student computes by hand."""
    U, V, W, x1, x2, h0 = lab_tensors(torch.float64)
    h1, o1 = rnn_step(x1, h0, U, V, W)
    h2, o2 = rnn_step(x2, h1, U, V, W)

    eh1, eo1 = hand_step(X1_LAB, [0.0, 0.0], U_LAB, V_LAB, W_LAB)
    eh2, eo2 = hand_step(X2_LAB, eh1, U_LAB, V_LAB, W_LAB)
    for got, want in [(h1, eh1), (o1, eo1), (h2, eh2), (o2, eo2)]:
        assert got.tolist() == pytest.approx(want, abs=1e-12)
    # The worked answers of the lab, for a reader checking by eye.
    assert h1.tolist() == pytest.approx([0.6, 0.1])
    assert o1.tolist() == pytest.approx([0.13, -0.07])
    assert h2.tolist() == pytest.approx([0.43, 0.57])
    assert o2.tolist() == pytest.approx([0.143, 0.199])


def test_rnn_step_applies_relu_to_negative_preactivations():
    """A negative pre-activation is clipped to 0 in h and so contributes nothing to o."""
    U = [[1.0, -2.0], [0.5, 0.5]]
    V = [[0.0, 0.0], [0.0, 0.0]]
    W = [[3.0, 1.0]]
    x = [0.0, 1.0]  # U x = [-2, 0.5]: the first unit is negative
    h, o = rnn_step(torch.tensor(x), torch.zeros(2), torch.tensor(U), torch.tensor(V), torch.tensor(W))
    eh, eo = hand_step(x, [0.0, 0.0], U, V, W)
    assert eh == [0.0, 0.5]
    assert h.tolist() == pytest.approx(eh)
    assert o.tolist() == pytest.approx(eo)


def test_rnn_step_uses_the_given_sigma():
    """A custom sigma (tanh) replaces ReLU in the hidden state."""
    g = torch.Generator().manual_seed(1)
    U, V, W = (torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(3, 3, generator=g, dtype=torch.float64),
               torch.randn(4, 3, generator=g, dtype=torch.float64))
    x, h_prev = torch.randn(2, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
    h, o = rnn_step(x, h_prev, U, V, W, sigma=torch.tanh)
    eh, eo = hand_step(x.tolist(), h_prev.tolist(), U.tolist(), V.tolist(), W.tolist(), sigma=np.tanh)
    assert h.tolist() == pytest.approx(eh, abs=1e-12)
    assert o.tolist() == pytest.approx(eo, abs=1e-12)


@pytest.mark.parametrize("N,I,H,O", [(1, 1, 1, 1), (5, 3, 4, 2), (7, 6, 5, 8)])
def test_rnn_unroll_matches_numpy_loop(N, I, H, O):
    """rnn_unroll returns h_0..h_N and o_1..o_N equal to a plain NumPy loop, for random sizes."""
    rng = np.random.default_rng(100 + N)
    U, V, W = rng.normal(size=(H, I)), rng.normal(size=(H, H)) * 0.5, rng.normal(size=(O, H))
    xs, h0 = rng.normal(size=(N, I)), rng.normal(size=H)
    want_hs, want_os = numpy_unroll(xs, h0, U, V, W, lambda z: np.maximum(z, 0))

    hs, os = rnn_unroll(*(torch.from_numpy(a) for a in (xs, h0, U, V, W)))
    assert hs.shape == (N + 1, H) and os.shape == (N, O)
    np.testing.assert_allclose(hs.numpy(), want_hs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(os.numpy(), want_os, rtol=1e-12, atol=1e-12)
    assert torch.equal(hs[0], torch.from_numpy(h0))  # h_0 is passed through unchanged


def test_rnn_unroll_on_lab_numbers_equals_two_steps():
    """Unrolling the lab's two inputs gives the same h and o as two rnn_step calls by hand."""
    U, V, W, x1, x2, h0 = lab_tensors(torch.float64)
    hs, os = rnn_unroll(torch.stack([x1, x2]), h0, U, V, W)
    eh1, eo1 = hand_step(X1_LAB, [0.0, 0.0], U_LAB, V_LAB, W_LAB)
    eh2, eo2 = hand_step(X2_LAB, eh1, U_LAB, V_LAB, W_LAB)
    assert hs.tolist() == [pytest.approx(v, abs=1e-12) for v in ([0.0, 0.0], eh1, eh2)]
    assert os.tolist() == [pytest.approx(v, abs=1e-12) for v in (eo1, eo2)]


def test_rnn_step_batched_rows_equal_per_row_calls():
    """A (B, I) batch gives, row by row, exactly what single-example calls give."""
    g = torch.Generator().manual_seed(2)
    B, I, H, O = 6, 3, 4, 5
    U, V, W = torch.randn(H, I, generator=g), torch.randn(H, H, generator=g), torch.randn(O, H, generator=g)
    x, h_prev = torch.randn(B, I, generator=g), torch.randn(B, H, generator=g)
    h, o = rnn_step(x, h_prev, U, V, W)
    assert h.shape == (B, H) and o.shape == (B, O)
    for b in range(B):
        hb, ob = rnn_step(x[b], h_prev[b], U, V, W)
        torch.testing.assert_close(h[b], hb)
        torch.testing.assert_close(o[b], ob)
        eh, eo = hand_step(x[b].tolist(), h_prev[b].tolist(), U.tolist(), V.tolist(), W.tolist())
        assert h[b].tolist() == pytest.approx(eh, abs=1e-5)
        assert o[b].tolist() == pytest.approx(eo, abs=1e-5)


def test_rnn_unroll_batched_sequences_equal_numpy_per_sequence():
    """An (N, B, I) batch of sequences unrolls each sequence as if it were alone."""
    rng = np.random.default_rng(3)
    N, B, I, H, O = 4, 3, 2, 3, 2
    U, V, W = rng.normal(size=(H, I)), rng.normal(size=(H, H)), rng.normal(size=(O, H))
    xs, h0 = rng.normal(size=(N, B, I)), rng.normal(size=(B, H))
    hs, os = rnn_unroll(*(torch.from_numpy(a) for a in (xs, h0, U, V, W)))
    assert hs.shape == (N + 1, B, H) and os.shape == (N, B, O)
    for b in range(B):
        want_hs, want_os = numpy_unroll(xs[:, b], h0[b], U, V, W, lambda z: np.maximum(z, 0))
        np.testing.assert_allclose(hs[:, b].numpy(), want_hs, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(os[:, b].numpy(), want_os, rtol=1e-12, atol=1e-12)


def test_float64_is_kept_and_exact():
    """float64 inputs give float64 outputs, equal to the hand computation to 1e-15."""
    U, V, W, x1, x2, h0 = lab_tensors(torch.float64)
    hs, os = rnn_unroll(torch.stack([x1, x2]), h0, U, V, W)
    assert hs.dtype == torch.float64 and os.dtype == torch.float64
    eh1, eo1 = hand_step(X1_LAB, [0.0, 0.0], U_LAB, V_LAB, W_LAB)
    eh2, eo2 = hand_step(X2_LAB, eh1, U_LAB, V_LAB, W_LAB)
    np.testing.assert_allclose(hs.numpy(), np.array([[0.0, 0.0], eh1, eh2]), rtol=0, atol=1e-15)
    np.testing.assert_allclose(os.numpy(), np.array([eo1, eo2]), rtol=0, atol=1e-15)


def test_gradients_flow_to_parameters():
    """Backpropagating through rnn_unroll gives the parameter gradients of a NumPy finite difference."""
    rng = np.random.default_rng(4)
    U0, V0, W0 = rng.normal(size=(3, 2)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(2, 3))
    xs, h0 = rng.normal(size=(3, 2)), rng.normal(size=3)

    U = torch.tensor(U0, requires_grad=True)
    _, os = rnn_unroll(torch.from_numpy(xs), torch.from_numpy(h0), U, torch.from_numpy(V0), torch.from_numpy(W0))
    os.sum().backward()

    def loss(Um):
        return numpy_unroll(xs, h0, Um, V0, W0, lambda z: np.maximum(z, 0))[1].sum()

    eps, numeric = 1e-6, np.zeros_like(U0)
    for i in np.ndindex(U0.shape):
        up, down = U0.copy(), U0.copy()
        up[i] += eps
        down[i] -= eps
        numeric[i] = (loss(up) - loss(down)) / (2 * eps)
    np.testing.assert_allclose(U.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


@requires_cuda
def test_rnn_on_cuda_gives_the_cpu_numbers():
    """On a CUDA device the lab numbers come out the same, and the results stay on that device."""
    U, V, W, x1, x2, h0 = lab_tensors(torch.float64, device="cuda")
    hs, os = rnn_unroll(torch.stack([x1, x2]), h0, U, V, W)
    assert hs.device.type == "cuda" and os.device.type == "cuda"
    eh1, eo1 = hand_step(X1_LAB, [0.0, 0.0], U_LAB, V_LAB, W_LAB)
    eh2, eo2 = hand_step(X2_LAB, eh1, U_LAB, V_LAB, W_LAB)
    np.testing.assert_allclose(hs.cpu().numpy(), np.array([[0.0, 0.0], eh1, eh2]), atol=1e-12)
    np.testing.assert_allclose(os.cpu().numpy(), np.array([eo1, eo2]), atol=1e-12)
