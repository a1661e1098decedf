"""Lab 11's classifiers, cells and figures, against the gates written out and a backward pass by hand."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from rnncourse.gated import Classifier, as_cell, moving_average, plot_curves, plot_grad_norms, plot_sequences, unroll
from rnncourse.recall import recall_batch

from helpers.markers import requires_cuda


def layer_by_formula(kind, layer, x):
    """The states of a one-layer torch layer over x (N, T, I), gates written out (torch's order:
    r, z, n for the GRU; i, f, g, o for the LSTM), in float64: a list of (N, H) tensors."""
    w_ih, w_hh = layer.weight_ih_l0.detach().double(), layer.weight_hh_l0.detach().double()
    b_ih, b_hh = layer.bias_ih_l0.detach().double(), layer.bias_hh_l0.detach().double()
    H = layer.hidden_size
    h = torch.zeros(x.shape[0], H, dtype=torch.float64)
    c = torch.zeros_like(h)
    states = []
    for t in range(x.shape[1]):
        gi, gh = x[:, t].double() @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        if kind == "rnn":
            h = torch.tanh(gi + gh)
        elif kind == "gru":
            r = torch.sigmoid(gi[:, :H] + gh[:, :H])
            z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
            n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
            h = (1 - z) * n + z * h
        else:
            i, f, g, o = (gi + gh).split(H, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        states.append(h)
    return states


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_classifier_reads_out_the_last_state_and_unrolled_agrees(kind):
    torch.manual_seed(11)
    model = Classifier(kind, 5)
    x, _ = recall_batch(4, 6, torch.Generator().manual_seed(12))
    states = layer_by_formula(kind, model.rnn, x)
    want = states[-1] @ model.readout.weight.detach().double().T + model.readout.bias.detach().double()
    got = model(x)
    assert got.shape == (4, 2)
    assert torch.allclose(got.double(), want, atol=1e-6)
    scores, unrolled = model.unrolled(x)
    assert torch.allclose(scores.double(), want, atol=1e-6)
    assert len(unrolled) == 7, "delay 6: seven steps"
    hs = [s[0] for s in unrolled] if kind == "lstm" else unrolled
    for got_h, want_h in zip(hs, states):
        assert got_h.shape == (4, 5) and torch.allclose(got_h.double(), want_h, atol=1e-6)


def test_as_cell_shares_the_layer_parameters():
    for kind in ("rnn", "gru", "lstm"):
        layer = Classifier(kind, 3).rnn
        cell = as_cell(layer)
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            assert getattr(cell, name) is getattr(layer, f"{name}_l0"), f"{kind}: {name} is a copy"
    relu = nn.RNN(2, 3, nonlinearity="relu", batch_first=True)
    assert as_cell(relu).nonlinearity == "relu"
    for bad in (nn.GRU(2, 3, num_layers=2), nn.LSTM(2, 3, bidirectional=True), nn.LSTM(2, 3, proj_size=2)):
        with pytest.raises(ValueError):
            as_cell(bad)
    with pytest.raises(TypeError):
        as_cell(nn.GRUCell(2, 3))


def test_unrolled_states_are_graph_nodes_whose_gradients_are_backpropagation_through_time():
    """dL/dh_k from autograd through unroll() equals the backward recursion of a tanh RNN written
    out: g_T = dL/dh_T from the readout, g_k = (g_(k+1) * (1 - h_(k+1)^2)) @ W_hh."""
    torch.manual_seed(13)
    model = Classifier("rnn", 4).double()
    x, y = recall_batch(3, 5, torch.Generator().manual_seed(14), dtype=torch.float64)
    scores, states = model.unrolled(x)
    loss = nn.functional.cross_entropy(scores, y)
    grads = torch.autograd.grad(loss, states)
    p = torch.softmax(scores.detach(), dim=1)
    g = (p - nn.functional.one_hot(y, 2).double()) / 3 @ model.readout.weight.detach()
    w_hh = model.rnn.weight_hh_l0.detach()
    for k in reversed(range(len(states))):
        assert torch.allclose(grads[k], g, atol=1e-12), f"step {k + 1}"
        g = (g * (1 - states[k].detach() ** 2)) @ w_hh


def test_unroll_refuses_a_sequence_without_steps():
    with pytest.raises(ValueError, match="T >= 1"):
        unroll(nn.GRUCell(2, 3), torch.zeros(4, 0, 2))


def test_moving_average_and_the_figures_hold_their_data():
    values = np.array([4.0, 2.0, 6.0, 0.0, 8.0])
    assert moving_average(values, 2).tolist() == [3.0, 4.0, 3.0, 4.0]
    assert moving_average(values, 1).tolist() == values.tolist()
    assert moving_average(values, 99).tolist() == [4.0]
    ax = Figure().subplots()
    plot_curves(ax, values, window=2, label="loss")
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == [1, 2, 3, 4] and line.get_ydata().tolist() == [3.0, 4.0, 3.0, 4.0]
    ax = Figure().subplots()
    plot_grad_norms(ax, torch.tensor([1e-3, 1e-2, 1e-1]), label="rnn")
    (line,) = ax.get_lines()
    assert line.get_xdata().tolist() == [1, 2, 3] and np.allclose(line.get_ydata(), [1e-3, 1e-2, 1e-1])
    assert ax.get_yscale() == "log"
    ax = Figure().subplots()
    x, y = recall_batch(8, 4, torch.Generator().manual_seed(15))
    plot_sequences(ax, x, y, rows=3)
    assert np.array_equal(ax.get_images()[0].get_array(), x[:3, :, 0].numpy())
    assert [t.get_text() for t in ax.texts] == [f" y = {int(v)}" for v in y[:3]]


@requires_cuda
def test_the_classifier_and_unroll_run_the_same_on_cuda():
    torch.manual_seed(16)
    model = Classifier("lstm", 4)
    x, _ = recall_batch(3, 5, torch.Generator().manual_seed(17))
    want = model(x)
    gpu = Classifier("lstm", 4, device="cuda")
    gpu.load_state_dict(model.state_dict())
    assert next(gpu.parameters()).device.type == "cuda"
    assert torch.allclose(gpu(x.cuda()).cpu(), want, atol=1e-5)
    assert torch.allclose(gpu.unrolled(x.cuda())[0].cpu(), want, atol=1e-5)
