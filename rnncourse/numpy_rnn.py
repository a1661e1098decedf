"""Binary addition with a non-linear RNN in plain NumPy (lab 05), after Roelants' tutorial, part 2.

Two 6-bit numbers are read one bit pair per time step, least significant bit first, and the RNN
writes their 7-bit sum one bit per step. Shapes, with N samples and K time steps (sequence_len):
    X  (N, K, 2)      the two input bits at each step
    T  (N, K, 1)      the target bit of the sum at each step
    S  (N, K + 1, H)  the H recurrent states, S[:, 0] being the initial state S0
    Y  (N, K, 1)      the predicted probability that each output bit is 1

Each layer has forward(...) and backward(...); backward returns the gradients of the cost with
respect to the layer's inputs and parameters, given the gradient at its output. The network's
parameters can be walked element by element with RnnBinaryAdder.get_params_iter(), in the order
of getParamGrads(), which is how the optimiser, rmsprop_nesterov_step, updates them in place.
"""

import itertools

import numpy as np


def create_dataset(nb_samples, sequence_len, rng=None):
    """nb_samples random additions of two (sequence_len - 1)-bit numbers, least significant bit first.

    rng: a np.random.Generator, or a seed for one (None draws a fresh seed).
    Returns X (nb_samples, sequence_len, 2) and T (nb_samples, sequence_len, 1), float arrays of 0s
    and 1s: X[i, k] holds bit k of the two numbers (their last bit is always 0, padding them to the
    length of their sum), T[i, k] bit k of the sum.
    """
    if not isinstance(nb_samples, (int, np.integer)) or nb_samples < 1:
        raise ValueError(f"create_dataset: nb_samples must be a positive integer, not {nb_samples!r}")
    if not isinstance(sequence_len, (int, np.integer)) or sequence_len < 2:
        raise ValueError(f"create_dataset: sequence_len must be an integer >= 2 (one bit for the numbers, "
                         f"one for the carry), not {sequence_len!r}")
    rng = np.random.default_rng(rng)
    max_int = 2 ** (sequence_len - 1)       # the numbers have sequence_len - 1 bits; their sum one more
    numbers = rng.integers(0, max_int, size=(nb_samples, 2))
    X = to_bits(numbers, sequence_len)                               # (N, 2, K)
    T = to_bits(numbers.sum(axis=1, keepdims=True), sequence_len)    # (N, 1, K)
    return X.transpose(0, 2, 1).astype(float), T.transpose(0, 2, 1).astype(float)


def to_bits(numbers, sequence_len):
    """Non-negative integers (any shape) -> their bits, least significant first, on a new last axis."""
    return (np.asarray(numbers)[..., None] >> np.arange(sequence_len)) & 1


def from_bits(bits):
    """Bits on the last axis, least significant first -> the integers they stand for."""
    bits = np.rint(np.asarray(bits)).astype(np.int64)
    return bits @ (2 ** np.arange(bits.shape[-1]))


def format_sample(x1, x2, t, y=None):
    """One addition written out as in the tutorial: the bits least significant first, then the value.

    x1, x2: (K,) input bits; t, y: (K,) or (K, 1) target and predicted bits. Returns the text.
    """
    def digits(bits):
        return "".join(str(int(b)) for b in np.rint(np.ravel(bits)))

    lines = [f"x1:   {digits(x1)}   {from_bits(np.ravel(x1)):2d}",
             f"x2: + {digits(x2)}   {from_bits(np.ravel(x2)):2d}",
             f"      {'-' * len(digits(x1))}   --",
             f"t:  = {digits(t)}   {from_bits(np.ravel(t)):2d}"]
    if y is not None:
        lines.append(f"y:  = {digits(y)}")
    return "\n".join(lines)


class TensorLinear:
    """Y = X W + b applied along the last axis of a tensor X of any order.

    n_in, n_out: sizes of the last axis of X and Y; tensor_order: the number of axes of X (2 for a
    batch of vectors, 3 for a batch of sequences). W (n_in, n_out) and b (n_out,) may be given;
    otherwise W is drawn uniformly from +-sqrt(6 / (n_in + n_out)) (Glorot) and b is zero.
    """

    def __init__(self, n_in, n_out, tensor_order, W=None, b=None, rng=None):
        a = np.sqrt(6.0 / (n_in + n_out))
        self.W = np.random.default_rng(rng).uniform(-a, a, (n_in, n_out)) if W is None else W
        self.b = np.zeros(n_out) if b is None else b
        if self.W.shape != (n_in, n_out) or self.b.shape != (n_out,):
            raise ValueError(f"TensorLinear: W must have shape {(n_in, n_out)} and b {(n_out,)}, "
                             f"not {self.W.shape} and {self.b.shape}")
        self.bpAxes = tuple(range(tensor_order - 1))   # every axis but the last: summed over in backward

    def forward(self, X):
        """X (..., n_in) -> Y (..., n_out)."""
        return np.tensordot(X, self.W, axes=((-1), (0))) + self.b

    def backward(self, X, gY):
        """Given X (..., n_in) and dcost/dY (..., n_out): (gX (..., n_in), gW (n_in, n_out), gB (n_out,))."""
        # W and b act at every sample and time step, so their gradients add up over all those axes.
        gW = np.tensordot(X, gY, axes=(self.bpAxes, self.bpAxes))
        gB = np.sum(gY, axis=self.bpAxes)
        gX = np.tensordot(gY, self.W.T, axes=((-1), (0)))
        return gX, gW, gB


class LogisticClassifier:
    """The logistic function at the output, with the cross-entropy cost averaged over samples and steps."""

    def forward(self, X):
        """Logits X (N, K, 1) -> probabilities Y (N, K, 1)."""
        return 1 / (1 + np.exp(-X))

    def backward(self, Y, T):
        """dcost/dX at the logits, given the probabilities Y and targets T, both (N, K, 1)."""
        # The logistic's slope Y (1 - Y) cancels the cross-entropy's 1 / (Y (1 - Y)), leaving Y - T.
        return (Y - T) / (Y.shape[0] * Y.shape[1])

    def cost(self, Y, T):
        """Mean cross-entropy over the N samples and K steps; 1e-99 keeps log finite when Y is 0 or 1."""
        return -np.sum(T * np.log(Y + 1e-99) + (1 - T) * np.log(1 - Y + 1e-99)) / (Y.shape[0] * Y.shape[1])


class TanH:
    """The hyperbolic tangent, elementwise."""

    def forward(self, X):
        return np.tanh(X)

    def backward(self, Y, output_grad):
        """dcost/dX from the layer's output Y = tanh(X) and dcost/dY (same shapes)."""
        return (1.0 - Y ** 2) * output_grad


class RecurrentStateUpdate:
    """One step of the recurrence: S_{k+1} = tanh(Z_k + S_k W + b), Z_k the transformed input.

    W (H, H) and b (H,) are the shared arrays of RecurrentStateUnfold, not copies.
    """

    def __init__(self, nbStates, W, b):
        self.linear = TensorLinear(nbStates, nbStates, 2, W, b)
        self.tanh = TanH()

    def forward(self, Xk, Sk):
        """Xk (N, H) input at step k, Sk (N, H) state k -> state k + 1 (N, H)."""
        return self.tanh.forward(Xk + self.linear.forward(Sk))

    def backward(self, Sk0, Sk1, output_grad):
        """Given states k (Sk0) and k + 1 (Sk1) and dcost/dS_{k+1}, all (N, H):
        (gZ = dcost/dXk (N, H), gSk0 = dcost/dS_k (N, H), gW (H, H), gB (H,))."""
        gZ = self.tanh.backward(Sk1, output_grad)
        gSk0, gW, gB = self.linear.backward(Sk0, gZ)
        return gZ, gSk0, gW, gB


class RecurrentStateUnfold:
    """The recurrent layer unfolded over nbTimesteps steps, with a learned initial state S0 (H,)."""

    def __init__(self, nbStates, nbTimesteps, rng=None):
        a = np.sqrt(6.0 / (nbStates * 2))
        self.W = np.random.default_rng(rng).uniform(-a, a, (nbStates, nbStates))
        self.b = np.zeros(self.W.shape[0])
        self.S0 = np.zeros(nbStates)
        self.nbTimesteps = nbTimesteps
        self.stateUpdate = RecurrentStateUpdate(nbStates, self.W, self.b)

    def forward(self, X):
        """Transformed inputs X (N, K, H) -> states S (N, K + 1, H), S[:, 0] = S0."""
        S = np.zeros((X.shape[0], X.shape[1] + 1, self.W.shape[0]))
        S[:, 0, :] = self.S0
        for k in range(self.nbTimesteps):
            S[:, k + 1, :] = self.stateUpdate.forward(X[:, k, :], S[:, k, :])
        return S

    def backward(self, X, S, gY):
        """Backpropagation through time.

        X (N, K, H) the inputs, S (N, K + 1, H) the states from forward, gY (N, K, H) dcost/dS[:, 1:]
        coming from the outputs. Returns (gZ (N, K, H) dcost/dX, gWSum (H, H), gBSum (H,), gS0 (H,)).
        """
        gSk = np.zeros_like(gY[:, self.nbTimesteps - 1, :])
        gZ = np.zeros_like(X)
        gWSum = np.zeros_like(self.W)
        gBSum = np.zeros_like(self.b)
        for k in range(self.nbTimesteps - 1, -1, -1):
            # State k + 1 feeds the output at step k and the next state: both gradients arrive here.
            gSk = gSk + gY[:, k, :]
            gZ[:, k, :], gSk, gW, gB = self.stateUpdate.backward(S[:, k, :], S[:, k + 1, :], gSk)
            gWSum += gW     # W and b are shared by every step
            gBSum += gB
        gS0 = np.sum(gSk, axis=0)   # one S0 for all samples
        return gZ, gWSum, gBSum, gS0


class RnnBinaryAdder:
    """Input layer, unfolded tanh recurrence, output layer and logistic classifier.

    nb_of_inputs (2), nb_of_outputs (1), nb_of_states (H) and sequence_len (K) fix the shapes;
    rng (a Generator or a seed) draws the initial weights.
    """

    def __init__(self, nb_of_inputs, nb_of_outputs, nb_of_states, sequence_len, rng=None):
        rng = np.random.default_rng(rng)
        self.tensorInput = TensorLinear(nb_of_inputs, nb_of_states, 3, rng=rng)
        self.rnnUnfold = RecurrentStateUnfold(nb_of_states, sequence_len, rng=rng)
        self.tensorOutput = TensorLinear(nb_of_states, nb_of_outputs, 3, rng=rng)
        self.classifier = LogisticClassifier()

    def forward(self, X):
        """X (N, K, 2) -> (recIn (N, K, H), S (N, K + 1, H), Z (N, K, 1) logits, Y (N, K, 1) probabilities)."""
        recIn = self.tensorInput.forward(X)
        S = self.rnnUnfold.forward(recIn)
        Z = self.tensorOutput.forward(S[:, 1:, :])   # the outputs read states 1..K, not S0
        Y = self.classifier.forward(Z)
        return recIn, S, Z, Y

    def backward(self, X, Y, recIn, S, T):
        """Gradients of the cost, from forward's results and the targets T (N, K, 1):
        (gWout, gBout, gWrec, gBrec, gWin, gBin, gS0), each shaped like its parameter."""
        gZ = self.classifier.backward(Y, T)
        gRecOut, gWout, gBout = self.tensorOutput.backward(S[:, 1:, :], gZ)
        gRnnIn, gWrec, gBrec, gS0 = self.rnnUnfold.backward(recIn, S, gRecOut)
        _, gWin, gBin = self.tensorInput.backward(X, gRnnIn)
        return gWout, gBout, gWrec, gBrec, gWin, gBin, gS0

    def getOutput(self, X):
        """The probabilities Y (N, K, 1) that each output bit is 1."""
        return self.forward(X)[-1]

    def getBinaryOutput(self, X):
        """The predicted bits (N, K, 1), as floats 0.0 and 1.0."""
        return np.around(self.getOutput(X))

    def getParamGrads(self, X, T):
        """The gradient of every parameter element, as a list in the order of get_params_iter."""
        recIn, S, _, Y = self.forward(X)
        gWout, gBout, gWrec, gBrec, gWin, gBin, gS0 = self.backward(X, Y, recIn, S, T)
        return list(itertools.chain(*(np.nditer(g) for g in (gS0, gWin, gBin, gWrec, gBrec, gWout, gBout))))

    def cost(self, Y, T):
        return self.classifier.cost(Y, T)

    def get_params_iter(self):
        """Every parameter element as a writable 0-d view, in the order of getParamGrads:
        S0, input W and b, recurrent W and b, output W and b. `P += x` on one changes the network."""
        return itertools.chain(*(np.nditer(p, op_flags=["readwrite"]) for p in (
            self.rnnUnfold.S0, self.tensorInput.W, self.tensorInput.b,
            self.rnnUnfold.W, self.rnnUnfold.b, self.tensorOutput.W, self.tensorOutput.b)))


def minibatches(X, T, mb_size):
    """(X_mb, T_mb) for consecutive blocks of mb_size samples, in order; a last, shorter block is left out.

    Minibatch mb holds samples mb * mb_size up to (mb + 1) * mb_size.
    """
    if not isinstance(mb_size, (int, np.integer)) or not 1 <= mb_size <= len(X):
        raise ValueError(f"minibatches: mb_size must be an integer from 1 to the number of samples "
                         f"({len(X)}), not {mb_size!r}")
    if len(T) != len(X):
        raise ValueError(f"minibatches: X has {len(X)} samples but T has {len(T)}")
    for mb in range(len(X) // mb_size):
        yield X[mb * mb_size:(mb + 1) * mb_size], T[mb * mb_size:(mb + 1) * mb_size]


def rmsprop_nesterov_step(model, X_mb, T_mb, maSquare, Vs,
                          learning_rate=0.05, momentum_term=0.80, lmbd=0.5, eps=1e-6):
    """One update of every parameter of `model` by Rmsprop with Nesterov momentum, in place.

    model: has get_params_iter() and getParamGrads(X_mb, T_mb), like RnnBinaryAdder.
    maSquare, Vs: lists with one number per parameter element (start them at 0.0), the moving
    average of the squared gradient and the velocity; updated in place. Per element:
        first step along the damped velocity:  P += momentum_term * V
        gradient g there;  MA = lmbd MA + (1 - lmbd) g^2;  step = learning_rate g / sqrt(MA + eps)
        V = momentum_term * V - step;  P -= step   (so P has moved by the new V in all)
    Defaults are the tutorial's hyper-parameters.
    """
    V_tmp = [v * momentum_term for v in Vs]
    for pIdx, P in enumerate(model.get_params_iter()):
        P += V_tmp[pIdx]
    # Nesterov: the gradient where the momentum is about to carry the parameters, not where they were.
    backprop_grads = model.getParamGrads(X_mb, T_mb)
    for pIdx, P in enumerate(model.get_params_iter()):
        maSquare[pIdx] = lmbd * maSquare[pIdx] + (1 - lmbd) * backprop_grads[pIdx] ** 2
        pGradNorm = learning_rate * backprop_grads[pIdx] / np.sqrt(maSquare[pIdx] + eps)
        Vs[pIdx] = V_tmp[pIdx] - pGradNorm
        P -= pGradNorm
