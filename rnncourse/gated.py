"""Recurrent classifiers for lab 11 (plain, GRU, LSTM), and what the lab needs to look inside them.

    Classifier(kind, hidden_size)   one batch-first nn.RNN, nn.GRU or nn.LSTM layer and a linear
                                    readout of its last state: x (N, T, I) -> class scores (N, C)
    as_cell(layer)                  the nn.RNNCell, nn.GRUCell or nn.LSTMCell that shares the
                                    parameters of a one-layer nn.RNN, nn.GRU or nn.LSTM
    unroll(cell, x)                 a cell run step by step: every state h_1 .. h_T (an LSTM's
                                    (h_t, c_t)) kept as its own node of the autograd graph
    plot_sequences, plot_grad_norms, plot_curves
                                    the lab's figures, each drawn into a matplotlib Axes

torch's layers return the states of every step in one tensor, computed inside the layer: the
gradient with respect to that tensor is only the part that flows straight into it, not the part
that comes back through the later steps. To measure dL/dh_k, the derivative through everything
that follows step k, the states must be nodes of the graph themselves: hence unroll().
"""

import numpy as np
import torch
from torch import nn

LAYERS = {"rnn": (nn.RNN, nn.RNNCell), "gru": (nn.GRU, nn.GRUCell), "lstm": (nn.LSTM, nn.LSTMCell)}


class Classifier(nn.Module):
    """One recurrent layer of `kind` ("rnn": tanh, "gru", "lstm"), batch first, and a linear readout
    of its state after the last step: forward(x (N, T, input_size)) -> scores (N, classes).

    The layer is `self.rnn` (torch's own initialisation), the readout `self.readout`. Pass
    `device` (or call .to(device) later) to run it elsewhere than the CPU.
    """

    def __init__(self, kind, hidden_size, input_size=2, classes=2, device=None):
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"kind={kind!r}: choose one of {', '.join(LAYERS)}.")
        self.kind = kind
        self.rnn = LAYERS[kind][0](input_size, hidden_size, batch_first=True, device=device)
        self.readout = nn.Linear(hidden_size, classes, device=device)

    def forward(self, x):
        outputs, _ = self.rnn(x)
        return self.readout(outputs[:, -1])

    def unrolled(self, x):
        """(scores (N, classes), states): the same scores as forward(x), computed by unroll() with
        as_cell(self.rnn), so that every state is a node of the graph (see unroll)."""
        states = unroll(as_cell(self.rnn), x)
        last = states[-1][0] if self.kind == "lstm" else states[-1]
        return self.readout(last), states


def as_cell(layer):
    """The cell of a one-layer, one-directional nn.RNN, nn.GRU or nn.LSTM, sharing its parameters.

    cell.weight_ih is layer.weight_ih_l0 (the same Parameter, not a copy), and so on for
    weight_hh, bias_ih and bias_hh: a gradient through the cell lands in the layer's .grad.
    """
    classes = [pair for pair in LAYERS.values() if type(layer) is pair[0]]
    if not classes:
        raise TypeError(f"as_cell takes an nn.RNN, nn.GRU or nn.LSTM, not {type(layer).__name__}.")
    (layer_class, cell_class), = classes
    if layer.num_layers != 1 or layer.bidirectional or getattr(layer, "proj_size", 0):
        raise ValueError("as_cell needs a layer of one direction, one layer and no projection.")
    options = {"nonlinearity": layer.nonlinearity} if layer_class is nn.RNN else {}
    weight = layer.weight_ih_l0
    cell = cell_class(layer.input_size, layer.hidden_size, bias=layer.bias, device=weight.device,
                      dtype=weight.dtype, **options)
    for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if layer.bias else ()):
        setattr(cell, name, getattr(layer, f"{name}_l0"))
    return cell


def unroll(cell, x, state=None):
    """Run `cell` over x (N, T, I), step by step, from `state` (default: zeros).

    Returns a list of T states, state t being the one after reading x[:, t]: tensors (N, H) for
    nn.RNNCell and nn.GRUCell, tuples (h_t, c_t) of two (N, H) tensors for nn.LSTMCell. Each is the
    very tensor the next step reads, so torch.autograd.grad(loss, [h_1, ..., h_T]) gives dL/dh_k
    through every later step. Batch first, like the layers; T >= 1.
    """
    if x.dim() != 3 or x.shape[1] < 1:
        raise ValueError(f"x has shape {tuple(x.shape)}: unroll needs (N, T, I) with T >= 1.")
    states = []
    for t in range(x.shape[1]):
        state = cell(x[:, t], state)
        states.append(state)
    return states


def _numpy(values):
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def plot_sequences(ax, x, y, rows=6):
    """The first `rows` sequences of a recall batch as an image: x (N, T, 2), y (N,).

    Each row is a sequence, each column a step; the colour is channel 0 (-1 blue, +1 red) and a
    black dot marks the marker (channel 1). The target class is written at the right.
    """
    x = _numpy(x)[:rows]
    ax.imshow(x[:, :, 0], cmap="coolwarm", vmin=-1.5, vmax=1.5, aspect="auto", interpolation="nearest")
    marked = np.argwhere(x[:, :, 1] > 0.5)
    ax.plot(marked[:, 1], marked[:, 0], "k.", markersize=6)
    for row, target in enumerate(_numpy(y)[:rows]):
        ax.text(x.shape[1] - 0.3, row, f" y = {int(target)}", va="center", ha="left", fontsize=9)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("step t")
    ax.set_ylabel("sequence")
    ax.set_yticks(range(len(x)))
    return ax


def plot_grad_norms(ax, norms, label=None, **style):
    """Gradient norms against the step k they belong to, k = 1 .. T, on a log scale.

    norms: T numbers (a tensor, an array or a list), norms[k - 1] = ||dL/dh_k||. Extra keyword
    arguments go to ax.semilogy (colour, line style).
    """
    norms = _numpy(norms)
    ax.semilogy(np.arange(1, len(norms) + 1), norms, label=label, **style)
    ax.set_xlabel("step k")
    ax.set_ylabel(r"$\|\partial L / \partial h_k\|$")
    return ax


def moving_average(values, window):
    """The mean of each run of `window` consecutive values (len(values) - window + 1 of them)."""
    values = _numpy(values)
    window = max(1, min(int(window), len(values)))
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


def plot_curves(ax, values, label=None, window=1, **style):
    """A training curve: values[s] at step s, smoothed by a moving average over `window` steps
    (drawn at the last step of each window). Extra keyword arguments go to ax.plot."""
    smooth = moving_average(values, window)
    ax.plot(np.arange(len(smooth)) + (len(_numpy(values)) - len(smooth)), smooth, label=label, **style)
    ax.set_xlabel("training step")
    return ax
