"""rnncourse.rate.plots: each figure shows the numbers it claims to (read back from the artists)."""

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from rnncourse.rate import plots
from rnncourse.rate.evaluation import make_generators
from rnncourse.rate.model import RateRNN
from rnncourse.rate.tasks import get_task
from rnncourse.rate.training import train

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def model():
    return RateRNN(30, 1, P_inh=0.3, som_N=2, seed=0)


def test_weights_figure_shows_signed_effective_weights_e_first(model, tmp_path):
    fig = plots.plot_weights(model, path=tmp_path / "w.png")
    assert isinstance(fig, Figure)
    shown = fig.axes[0].images[0].get_array()
    inh = model.inh.numpy()
    order = np.r_[np.flatnonzero(~inh), np.flatnonzero(inh)]
    w = model.w.detach().numpy()
    expected = (np.maximum(w, 0) @ model.m.numpy()) * model.som_m.numpy()
    np.testing.assert_allclose(shown, expected[np.ix_(order, order)], rtol=1e-6)
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_tau_figure_reports_time_constants_in_ms(model):
    fig = plots.plot_taus(model, taus_gaus0=model.taus_gaus.detach())
    taus_ms = (1 / (1 + np.exp(-model.taus_gaus.detach().numpy().ravel())) * 16 + 4) * 5
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"trained: {taus_ms.mean():.1f} +- {taus_ms.std():.1f} ms" in labels
    before = fig.axes[0].containers[0]   # the bars of the values before training
    assert sum(p.get_height() for p in before) == 30
    assert [line.get_xdata()[0] for line in fig.axes[0].lines] == [20.0, 100.0]


def test_eigenvalue_figure_plots_the_spectrum_of_w_eff(model):
    fig = plots.plot_eigenvalues(model, initial_w=np.maximum(model.w.detach().numpy(), 0))
    lines = {line.get_label(): line for line in fig.axes[0].lines}
    w = model.w.detach().numpy().astype(np.float64)
    expected = np.linalg.eigvals((np.maximum(w, 0) @ model.m.numpy()) * model.som_m.numpy())
    got = lines["trained"].get_xdata() + 1j * lines["trained"].get_ydata()
    np.testing.assert_allclose(np.sort_complex(got), np.sort_complex(expected), atol=1e-6)
    np.testing.assert_allclose(np.sort_complex(lines["before training"].get_xdata()
                                               + 1j * lines["before training"].get_ydata()),
                               np.sort_complex(expected), atol=1e-6)


def test_training_figure_plots_losses_and_evaluations():
    task = get_task("go-nogo", T=30, stim_on=5, stim_dur=5)
    result = train(RateRNN(8, 1, seed=0), task, 120, seed=0, progress=False, eval_trials=5)
    fig = plots.plot_training(result)
    loss_ax, accuracy_ax = fig.axes
    trial_line, running_line, eval_line = loss_ax.lines[:3]
    np.testing.assert_array_equal(trial_line.get_ydata(), result.losses)
    np.testing.assert_allclose(running_line.get_ydata(), [result.losses[k - 99:k + 1].mean() for k in range(99, 120)])
    np.testing.assert_array_equal(eval_line.get_xdata(), [e.trial for e in result.evaluations])
    np.testing.assert_array_equal(eval_line.get_ydata(), [e.loss for e in result.evaluations])
    np.testing.assert_array_equal(accuracy_ax.lines[0].get_ydata(), [e.accuracy for e in result.evaluations])
    assert loss_ax.lines[3].get_ydata()[0] == 7 and accuracy_ax.lines[1].get_ydata()[0] == 0.95


@pytest.mark.parametrize("name, conditions", [
    ("go-nogo", ["Go", "NoGo"]),
    ("xor", ["+1 +1 (same)", "+1 -1 (diff)", "-1 +1 (diff)", "-1 -1 (same)"]),
    ("mante", ["context 1, answer +1", "context 1, answer -1", "context 2, answer +1", "context 2, answer -1"]),
])
def test_trial_figure_has_one_column_per_condition_with_the_model_outputs(name, conditions):
    task = get_task(name)
    net = RateRNN(10, task.n_inputs, seed=1)
    fig = plots.plot_trials(net, task, n_per_condition=2, seed=4)
    bottoms = [ax for ax in fig.axes if ax.get_xlabel() == "time (ms)"]
    tops = [ax for ax in fig.axes if ax not in bottoms]
    assert [ax.get_title() for ax in tops] == conditions
    g = make_generators(4, "cpu")
    trials = task.trials(40, g.trials)
    with torch.no_grad():
        o = net(trials.u, generator=g.noise).o.numpy()
    names = task.condition_names(trials)
    for ax, condition in zip(bottoms, conditions):
        first = names.index(condition)
        np.testing.assert_allclose(ax.lines[0].get_ydata(), o[first], rtol=1e-6)
        np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, task.T) * 5.0)
        np.testing.assert_array_equal(ax.lines[-1].get_ydata(), trials.z[first].numpy())
        assert len(ax.lines) == 3   # two trials and the target
