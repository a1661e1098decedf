"""The NumPy binary-addition RNN (lab 05): data set, layers, optimiser, and a training run that learns.

Every backward pass is checked against central differences (rnncourse.gradcheck); the data set
against a plain loop over binary strings; the optimiser against the update rule written out on
whole arrays.
"""

import itertools

import numpy as np
import pytest

from rnncourse.gradcheck import check_gradient
from rnncourse.numpy_rnn import (
    LogisticClassifier,
    RecurrentStateUnfold,
    RecurrentStateUpdate,
    RnnBinaryAdder,
    TanH,
    TensorLinear,
    create_dataset,
    format_sample,
    from_bits,
    minibatches,
    rmsprop_nesterov_step,
    to_bits,
)


def lsb_first(number, width):
    """The bits of `number`, least significant first, from Python's binary formatting."""
    return [int(b) for b in reversed(format(number, f"0{width}b"))]


# --- data set -------------------------------------------------------------------------------

def test_create_dataset_matches_a_plain_loop():
    """Every row of X holds two numbers below 2**(K-1), every row of T their sum, bits least significant first."""
    X, T = create_dataset(300, 7, rng=5)
    assert X.shape == (300, 7, 2) and T.shape == (300, 7, 1)
    for i in range(300):
        x1 = sum(int(b) << k for k, b in enumerate(X[i, :, 0]))
        x2 = sum(int(b) << k for k, b in enumerate(X[i, :, 1]))
        assert 0 <= x1 < 64 and 0 <= x2 < 64
        assert X[i, :, 0].tolist() == lsb_first(x1, 7) and X[i, :, 1].tolist() == lsb_first(x2, 7)
        assert T[i, :, 0].tolist() == lsb_first(x1 + x2, 7)


def test_create_dataset_covers_the_range_and_repeats_under_a_seed():
    X, T = create_dataset(2000, 7, rng=np.random.default_rng(1))
    numbers = from_bits(X.transpose(0, 2, 1))                       # (2000, 2)
    assert numbers.min() == 0 and numbers.max() == 63               # randint's upper bound is exclusive
    assert set(np.unique(X)) == {0.0, 1.0} and (X[:, -1, :] == 0).all()   # the padding bit
    X2, T2 = create_dataset(2000, 7, rng=np.random.default_rng(1))
    assert np.array_equal(X, X2) and np.array_equal(T, T2)
    assert not np.array_equal(X, create_dataset(2000, 7, rng=2)[0])


@pytest.mark.parametrize("args, word", [((0, 7), "nb_samples"), ((10, 1), "sequence_len"), ((2.5, 7), "nb_samples")])
def test_create_dataset_rejects_bad_sizes(args, word):
    with pytest.raises(ValueError, match=word):
        create_dataset(*args)


def test_bits_round_trip():
    numbers = np.arange(128)
    bits = to_bits(numbers, 7)
    assert [bits[n].tolist() for n in (1, 6, 64)] == [lsb_first(1, 7), lsb_first(6, 7), lsb_first(64, 7)]
    assert np.array_equal(from_bits(bits), numbers)


def test_format_sample_writes_the_tutorials_example():
    """37 + 43 = 80, as printed in the tutorial."""
    x1, x2, t = lsb_first(37, 7), lsb_first(43, 7), np.array(lsb_first(80, 7))[:, None]
    assert format_sample(x1, x2, t) == ("x1:   1010010   37\n"
                                        "x2: + 1101010   43\n"
                                        "      -------   --\n"
                                        "t:  = 0000101   80")
    assert format_sample(x1, x2, t, t).endswith("\ny:  = 0000101")


# --- layers: each backward against numerical gradients --------------------------------------

@pytest.mark.parametrize("shape", [(5, 3), (4, 6, 3), (2, 3, 4, 3)])
def test_tensor_linear_forward_and_backward(shape):
    rng = np.random.default_rng(len(shape))
    n_in, n_out = shape[-1], 4
    layer = TensorLinear(n_in, n_out, len(shape), rng=rng)
    layer.b[:] = rng.normal(size=n_out)
    X = rng.normal(size=shape)
    G = rng.normal(size=shape[:-1] + (n_out,))        # dcost/dY for cost = sum(Y * G)
    Y = layer.forward(X)
    flat = X.reshape(-1, n_in)
    want = np.array([[sum(row[k] * layer.W[k, j] for k in range(n_in)) + layer.b[j] for j in range(n_out)]
                     for row in flat])
    np.testing.assert_allclose(Y.reshape(-1, n_out), want, rtol=1e-12)

    gX, gW, gB = layer.backward(X, G)

    def cost():
        return np.sum(layer.forward(X) * G)

    check_gradient(cost, X, gX)
    check_gradient(cost, layer.W, gW)
    check_gradient(cost, layer.b, gB)


def test_tensor_linear_glorot_range_and_shape_errors():
    layer = TensorLinear(2, 3, 3, rng=0)
    bound = np.sqrt(6.0 / 5)
    assert layer.W.shape == (2, 3) and np.all(np.abs(layer.W) <= bound) and np.all(layer.b == 0)
    with pytest.raises(ValueError, match=r"W must have shape \(2, 3\)"):
        TensorLinear(2, 3, 3, W=np.zeros((3, 2)))


def test_logistic_classifier_cost_and_gradient_at_the_logits():
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(6, 5, 1))
    T = (rng.random((6, 5, 1)) < 0.5).astype(float)
    clf = LogisticClassifier()
    Y = clf.forward(Z)
    np.testing.assert_allclose(Y, [[[1 / (1 + np.exp(-z[0]))] for z in row] for row in Z], rtol=1e-12)
    want = -np.mean([np.log(y) if t else np.log(1 - y) for y, t in zip(Y.ravel(), T.ravel())])
    assert clf.cost(Y, T) == pytest.approx(want, rel=1e-12)
    # backward(Y, T) is the gradient of the cost at the logits Z, through the logistic function.
    check_gradient(lambda: clf.cost(clf.forward(Z), T), Z, clf.backward(Y, T))


def test_tanh_backward():
    rng = np.random.default_rng(4)
    X, G = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    tanh = TanH()
    check_gradient(lambda: np.sum(tanh.forward(X) * G), X, tanh.backward(tanh.forward(X), G))


def test_recurrent_state_update_backward():
    rng = np.random.default_rng(5)
    H, N = 3, 4
    W, b = rng.normal(size=(H, H)), rng.normal(size=H)
    update = RecurrentStateUpdate(H, W, b)
    Xk, Sk, G = rng.normal(size=(N, H)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    Sk1 = update.forward(Xk, Sk)
    np.testing.assert_allclose(Sk1, np.tanh(Xk + Sk @ W + b), rtol=1e-12)
    gZ, gSk0, gW, gB = update.backward(Sk, Sk1, G)

    def cost():
        return np.sum(update.forward(Xk, Sk) * G)

    check_gradient(cost, Xk, gZ)
    check_gradient(cost, Sk, gSk0)
    check_gradient(cost, W, gW)          # the layer works on the very arrays it was given
    check_gradient(cost, b, gB)


@pytest.mark.parametrize("N, K, H", [(5, 7, 3), (2, 1, 4), (3, 9, 2)])
def test_recurrent_state_unfold_forward_and_backward(N, K, H):
    rng = np.random.default_rng(N * 100 + K * 10 + H)
    unfold = RecurrentStateUnfold(H, K, rng=rng)
    unfold.b[:] = rng.normal(size=H)       # in place: the state update shares these arrays
    unfold.S0[:] = rng.normal(size=H)
    X, G = rng.normal(size=(N, K, H)), rng.normal(size=(N, K, H))
    S = unfold.forward(X)
    state = np.tile(unfold.S0, (N, 1))
    for k in range(K):      # the recurrence written out
        state = np.tanh(X[:, k] + state @ unfold.W + unfold.b)
        np.testing.assert_allclose(S[:, k + 1], state, rtol=1e-12)
    gZ, gW, gB, gS0 = unfold.backward(X, S, G)

    def cost():
        return np.sum(unfold.forward(X)[:, 1:] * G)

    for param, grad in [(X, gZ), (unfold.W, gW), (unfold.b, gB), (unfold.S0, gS0)]:
        check_gradient(cost, param, grad)


def test_network_gradients_match_numerical_ones_element_by_element():
    """The tutorial's own check: perturb each element that get_params_iter yields, compare with getParamGrads."""
    X, T = create_dataset(40, 7, rng=11)
    RNN = RnnBinaryAdder(2, 1, 3, 7, rng=12)
    backprop_grads = RNN.getParamGrads(X, T)
    eps = 1e-6
    count = 0
    for p_idx, param in enumerate(RNN.get_params_iter()):
        param += eps
        plus_cost = RNN.cost(RNN.getOutput(X), T)
        param -= 2 * eps
        min_cost = RNN.cost(RNN.getOutput(X), T)
        param += eps
        assert (plus_cost - min_cost) / (2 * eps) == pytest.approx(float(backprop_grads[p_idx]), rel=1e-5, abs=1e-9)
        count += 1
    assert count == len(backprop_grads) == 3 + 2 * 3 + 3 + 3 * 3 + 3 + 3 + 1


def test_network_backward_matches_numerical_gradients_per_array():
    X, T = create_dataset(30, 7, rng=21)
    RNN = RnnBinaryAdder(2, 1, 4, 7, rng=22)
    RNN.rnnUnfold.S0[:] = np.random.default_rng(23).normal(size=4)
    recIn, S, _, Y = RNN.forward(X)
    gWout, gBout, gWrec, gBrec, gWin, gBin, gS0 = RNN.backward(X, Y, recIn, S, T)

    def cost():
        return RNN.cost(RNN.getOutput(X), T)

    pairs = [(RNN.tensorOutput.W, gWout), (RNN.tensorOutput.b, gBout), (RNN.rnnUnfold.W, gWrec),
             (RNN.rnnUnfold.b, gBrec), (RNN.tensorInput.W, gWin), (RNN.tensorInput.b, gBin), (RNN.rnnUnfold.S0, gS0)]
    for param, grad in pairs:
        check_gradient(cost, param, grad, tolerance=1e-5)


def test_network_outputs_and_parameter_order():
    X, _ = create_dataset(8, 7, rng=31)
    RNN = RnnBinaryAdder(2, 1, 3, 7, rng=32)
    Y = RNN.getOutput(X)
    assert Y.shape == (8, 7, 1) and np.all((Y > 0) & (Y < 1))
    np.testing.assert_array_equal(RNN.getBinaryOutput(X), (Y > 0.5).astype(float))
    # get_params_iter walks S0, input W, b, recurrent W, b, output W, b, and writes through.
    arrays = [RNN.rnnUnfold.S0, RNN.tensorInput.W, RNN.tensorInput.b, RNN.rnnUnfold.W, RNN.rnnUnfold.b,
              RNN.tensorOutput.W, RNN.tensorOutput.b]
    assert [float(p) for p in RNN.get_params_iter()] == [float(v) for a in arrays for v in a.ravel()]
    for P in RNN.get_params_iter():
        P += 1.0
    assert RNN.rnnUnfold.S0.tolist() == [1.0, 1.0, 1.0]
    assert RNN.rnnUnfold.stateUpdate.linear.W is RNN.rnnUnfold.W, "the state update must share the recurrent weights"


def test_network_is_reproducible_under_a_seed():
    a, b = RnnBinaryAdder(2, 1, 3, 7, rng=5), RnnBinaryAdder(2, 1, 3, 7, rng=5)
    assert [float(p) for p in a.get_params_iter()] == [float(p) for p in b.get_params_iter()]


# --- minibatches and the optimiser ----------------------------------------------------------

def test_minibatches_are_consecutive_blocks_in_order():
    X = np.arange(23 * 2).reshape(23, 2)
    T = -np.arange(23)
    batches = list(minibatches(X, T, 5))
    assert len(batches) == 4                       # 23 // 5; the last 3 samples are left out
    for mb, (X_mb, T_mb) in enumerate(batches):
        rows = [5 * mb + i for i in range(5)]
        assert X_mb.tolist() == [X[r].tolist() for r in rows] and T_mb.tolist() == [T[r] for r in rows]
    seen = np.concatenate([T_mb for _, T_mb in minibatches(np.zeros((2000, 1)), np.arange(2000), 100)])
    assert seen.tolist() == list(range(2000))      # every sample once, unlike the tutorial's X[mb:mb + mb_size]


@pytest.mark.parametrize("mb_size, T_len, word", [(0, 10, "mb_size"), (11, 10, "mb_size"), (2.0, 10, "mb_size"),
                                                  (2, 9, "T has 9")])
def test_minibatches_reject_bad_arguments(mb_size, T_len, word):
    with pytest.raises(ValueError, match=word):
        next(minibatches(np.zeros((10, 2)), np.zeros(T_len), mb_size))


class Quartic:
    """A stand-in model: cost sum(c * (theta - X)^4) over two parameter arrays, with the RnnBinaryAdder interface."""

    def __init__(self, rng):
        self.A, self.B = rng.normal(size=3), rng.normal(size=(2, 2))
        self.c = rng.uniform(0.5, 2.0, size=7)

    def get_params_iter(self):
        return itertools.chain(np.nditer(self.A, op_flags=["readwrite"]), np.nditer(self.B, op_flags=["readwrite"]))

    def flat(self):
        return np.concatenate([self.A.ravel(), self.B.ravel()])

    def gradient(self, theta, X):
        return 4 * self.c * (theta - X) ** 3

    def getParamGrads(self, X, T):
        return list(self.gradient(self.flat(), X))


def test_rmsprop_nesterov_step_follows_the_update_rule():
    rng = np.random.default_rng(41)
    model = Quartic(rng)
    theta, V, MA = model.flat(), np.zeros(7), np.zeros(7)
    maSquare, Vs = [0.0] * 7, [0.0] * 7
    hyper = dict(learning_rate=0.03, momentum_term=0.7, lmbd=0.6, eps=1e-6)
    for _ in range(6):
        X_mb = rng.normal(size=7)
        rmsprop_nesterov_step(model, X_mb, None, maSquare, Vs, **hyper)
        # the rule on whole arrays: look ahead along the damped velocity, take the gradient there
        ahead = theta + hyper["momentum_term"] * V
        g = model.gradient(ahead, X_mb)
        MA = hyper["lmbd"] * MA + (1 - hyper["lmbd"]) * g ** 2
        step = hyper["learning_rate"] * g / np.sqrt(MA + hyper["eps"])
        V = hyper["momentum_term"] * V - step
        theta = theta + V
        np.testing.assert_allclose(model.flat(), theta, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.array(Vs, dtype=float), V, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.array(maSquare, dtype=float), MA, rtol=1e-12, atol=1e-14)


def test_training_learns_binary_addition():
    """The lab's run: 2000 samples, the tutorial's hyper-parameters, seed 83; every 6-bit sum right in 20 epochs."""
    X_train, T_train = create_dataset(2000, 7, rng=np.random.default_rng(1))
    RNN = RnnBinaryAdder(2, 1, 3, 7, rng=83)
    n = sum(1 for _ in RNN.get_params_iter())
    maSquare, Vs = [0.0] * n, [0.0] * n
    first_cost = RNN.cost(RNN.getOutput(X_train), T_train)
    for _ in range(20):
        for X_mb, T_mb in minibatches(X_train, T_train, 100):
            rmsprop_nesterov_step(RNN, X_mb, T_mb, maSquare, Vs)
    pairs = np.array([(a, b) for a in range(64) for b in range(64)])
    X_all = to_bits(pairs, 7).transpose(0, 2, 1).astype(float)
    sums = from_bits(RNN.getBinaryOutput(X_all)[:, :, 0])
    assert np.array_equal(sums, pairs.sum(axis=1)), f"{np.sum(sums != pairs.sum(axis=1))} of 4096 sums wrong"
    assert RNN.cost(RNN.getOutput(X_train), T_train) < 0.01 * first_cost
