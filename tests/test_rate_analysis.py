"""rnncourse.rate.analysis and its figures: known answers (a hand-built two-unit system, a network
that always reports channel 1), values against independent NumPy computations, and what trained
networks must show (Go and NoGo apart on PC1, lesions that hurt, psychometric curves that rise)."""

import numpy as np
import pytest
import torch

from rnncourse.rate import analysis, plots
from rnncourse.rate.evaluation import evaluate, make_generators
from rnncourse.rate.matfile import load_mat
from rnncourse.rate.model import RateRNN
from rnncourse.rate.pretrained import pretrained_path
from rnncourse.rate.tasks import get_task
from rnncourse.rate.training import train

from helpers.markers import requires_cuda
from helpers.rate import numpy_arrays, numpy_phi

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def go_nogo():
    """The shipped Go-NoGo network (lab 08's: N=100, trained to spikeRNN's stopping rule)."""
    return load_mat(pretrained_path("go-nogo")).model


def winner_take_all(taus=(2.0,), taus_gaus=(0.0, 0.0)):
    """Two inhibitory units that inhibit each other (W_eff = [[0, -2], [-2, 0]]), clipped-relu rates,
    both driven by w_in u. With u = 3, tau dx/dt = -x + W_eff relu(x) + 3 has, by hand:
      both active (0 < x < 20):  x = 3 - 2 x_other       -> (1, 1), J tau = -I + W_eff: eigenvalues 1, -3
      one active, one silent:    x_a = 3, x_b = 3 - 2*3 -> (3, -3) and (-3, 3), J triangular, stable
      both silent: x = 3 > 0 contradicts it; a saturated unit (x > 20) would need x = 3: none."""
    return RateRNN.from_arrays(w=[[0.0, 2.0], [2.0, 0.0]], w_in=[[1.0], [1.0]], w_out=[[1.0, -1.0]], b_out=0.0,
                               taus_gaus=list(taus_gaus), inh=[True, True], m=-np.eye(2), som_m=np.ones((2, 2)),
                               taus=taus, activation="clipped_relu", apply_dale=True, som_N=0, P_inh=1.0)


GRID = np.stack(np.meshgrid(np.linspace(-5, 5, 7), np.linspace(-5, 5, 7)), -1).reshape(-1, 2)


# ---------------------------------------------------------------- fixed points


def test_two_unit_winner_take_all_has_two_attractors_and_a_saddle():
    net = winner_take_all()
    found = analysis.fixed_points(net, [3.0], initial=GRID, steps=200)
    order = np.lexsort(found.points.T[::-1])
    np.testing.assert_allclose(found.points[order], [[-3, 3], [1, 1], [3, -3]], atol=1e-9)
    np.testing.assert_array_equal(found.stable[order], [True, False, True])
    assert found.speeds.max() < 1e-20
    assert found.counts.sum() <= len(GRID) and (found.counts >= 1).all()
    np.testing.assert_allclose(found.rates[order], [[0, 3], [1, 1], [3, 0]], atol=1e-9)
    # tau = 2 steps: the saddle's eigenvalues are (-1 +- 2) / 2, each attractor's -1/2 twice
    np.testing.assert_allclose(found.eigenvalues[order], [[-0.5, -0.5], [0.5, -1.5], [-0.5, -0.5]], atol=1e-9)


def test_eigenvalues_scale_with_each_units_time_constant():
    """With tau = (tau1, tau2) the flow's Jacobian is diag(1/tau) (-I + W_eff D): at the saddle
    trace -(1/tau1 + 1/tau2), determinant -3/(tau1 tau2); at (3, -3) eigenvalues -1/tau1, -1/tau2."""
    net = winner_take_all(taus=(2.0, 8.0), taus_gaus=(-1.0, 1.0))
    tau1, tau2 = net.time_constants().tolist()
    assert tau1 < tau2
    found = analysis.fixed_points(net, [3.0], initial=GRID, steps=200)
    by_point = {tuple(np.round(p).astype(int)): k for k, p in enumerate(found.points)}
    assert set(by_point) == {(1, 1), (3, -3), (-3, 3)}, "the time constants do not move fixed points"
    trace, det = -(1 / tau1 + 1 / tau2), -3 / (tau1 * tau2)
    root = np.sqrt(trace**2 - 4 * det)
    np.testing.assert_allclose(found.eigenvalues[by_point[1, 1]], [(trace + root) / 2, (trace - root) / 2], rtol=1e-9)
    np.testing.assert_allclose(found.eigenvalues[by_point[3, -3]], [-1 / tau2, -1 / tau1], rtol=1e-9)   # largest first
    np.testing.assert_allclose(found.eigenvalues[by_point[-3, 3]], [-1 / tau2, -1 / tau1], rtol=1e-9)


def test_without_drive_the_only_fixed_point_is_the_origin_and_stable():
    """u = 0: x = W_eff relu(x) forces x <= 0 for both units, so relu(x) = 0 and x = 0."""
    found = analysis.fixed_points(winner_take_all(), [0.0], initial=GRID, steps=200)
    np.testing.assert_allclose(found.points, [[0, 0]], atol=1e-9)
    assert found.counts.tolist() == [len(GRID)] and found.stable.tolist() == [True]


@pytest.mark.parametrize("activation", ["sigmoid", "clipped_relu", "softplus"])
def test_velocity_is_the_noise_free_euler_step_and_jacobian_its_derivative(activation):
    net = RateRNN(12, 2, P_rec=0.5, som_N=1, P_inh=0.4, activation=activation, seed=3)
    u = torch.tensor([0.7, -1.2])
    x = torch.randn(5, 12, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 2
    # the model's own first Euler step without noise, from x, is x + DeltaT F(x) (DeltaT = 1)
    still = net.draw_noise(5, 2)._replace(x0=x.float(), steps=torch.zeros(5, 1, 12))
    with torch.no_grad():
        run = net(u[None, :, None].expand(5, 2, 2), still)
    np.testing.assert_allclose(run.x[:, 1].numpy(), (x + analysis.velocity(net, x, u)).numpy(), atol=1e-5)
    J = analysis.jacobian(net, x)
    eps = 1e-6
    for j in range(12):
        step = torch.zeros(12, dtype=torch.float64)
        step[j] = eps
        column = (analysis.velocity(net, x + step, u) - analysis.velocity(net, x - step, u)) / (2 * eps)
        np.testing.assert_allclose(J[:, :, j].numpy(), column.numpy(), atol=1e-7)
    q = analysis.speed(net, x, u)
    np.testing.assert_allclose(q.numpy(), 0.5 * (analysis.velocity(net, x, u) ** 2).sum(1).numpy())


def test_fixed_points_of_a_trained_network_are_still_and_their_stability_matches_the_spectrum(go_nogo):
    found = analysis.fixed_points(go_nogo, [0.0], n_initial=16, steps=200, seed=1)
    assert len(found.points) >= 1 and found.counts.sum() <= 16
    x = torch.as_tensor(found.points)
    assert analysis.speed(go_nogo, x, [0.0]).max() <= 1e-10
    expected = np.linalg.eigvals(analysis.jacobian(go_nogo, x).numpy())
    for k in range(len(found.points)):
        np.testing.assert_allclose(np.sort_complex(found.eigenvalues[k]), np.sort_complex(expected[k]), atol=1e-10)
        assert found.stable[k] == (expected[k].real.max() < 0)
    np.testing.assert_allclose(found.rates, 1 / (1 + np.exp(-found.points)), rtol=1e-12)


def test_fixed_point_arguments_are_checked():
    net = winner_take_all()
    with pytest.raises(ValueError, match="u has 2 value.*1 input channel"):
        analysis.fixed_points(net, [1.0, 2.0])
    with pytest.raises(ValueError, match=r"initial has shape \(4, 3\).*\(K, 2\)"):
        analysis.fixed_points(net, [1.0], initial=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="n_initial=0"):
        analysis.fixed_points(net, [1.0], n_initial=0)


# ---------------------------------------------------------------- trajectories and PCA


def test_trajectories_average_each_condition_and_pca_matches_the_covariance(go_nogo):
    task = get_task("go-nogo")
    traj = analysis.trajectories(go_nogo, task, n_trials=60, n_components=3, seed=5)
    # the same trials and noise, averaged here by label
    generators = make_generators(5, "cpu")
    trials = task.trials(60, generators.trials)
    with torch.no_grad():
        r = go_nogo(trials.u, generator=generators.noise).r.double().numpy()
    go = trials.labels.numpy() == 1
    assert traj.conditions == ["Go", "NoGo"] and traj.counts.tolist() == [go.sum(), (~go).sum()]
    np.testing.assert_allclose(traj.rates, np.stack([r[go].mean(0), r[~go].mean(0)]), atol=1e-6)
    stacked = traj.rates.reshape(-1, 100).astype(np.float64)
    variances, vectors = np.linalg.eigh(np.cov(stacked.T, bias=True))
    variances, vectors = variances[::-1], vectors[:, ::-1]
    np.testing.assert_allclose(traj.explained, variances[:3] / variances.sum(), rtol=1e-4)
    np.testing.assert_allclose(np.abs(traj.components @ vectors[:, :3]), np.eye(3), atol=1e-4)
    np.testing.assert_allclose(traj.components @ traj.components.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(traj.projections, (traj.rates - stacked.mean(0)) @ traj.components.T, atol=1e-5)


def test_pc1_separates_single_go_and_nogo_trials(go_nogo):
    task = get_task("go-nogo")
    traj = analysis.trajectories(go_nogo, task, n_trials=100, seed=0)
    assert traj.explained[0] > 0.3
    generators = make_generators(11, "cpu")   # fresh trials, not those the PCs came from
    trials = task.trials(100, generators.trials)
    with torch.no_grad():
        r = go_nogo(trials.u, generator=generators.noise).r
    window = slice(task.stim_on + task.stim_dur, task.stim_on + task.stim_dur + 50)   # 250 ms after the pulse
    pc1 = traj.project(r[:, window]).mean(1)[:, 0]
    go = trials.labels.numpy() == 1
    middle = (pc1[go].mean() + pc1[~go].mean()) / 2
    predicted = (pc1 > middle) == (pc1[go].mean() > middle)
    assert (predicted == go).mean() >= 0.95
    assert abs(pc1[go].mean() - pc1[~go].mean()) > 3 * max(pc1[go].std(), pc1[~go].std())


@pytest.mark.parametrize("name, conditions", [
    ("xor", ["+1 +1 (same)", "+1 -1 (diff)", "-1 +1 (diff)", "-1 -1 (same)"]),
    ("mante", ["context 1, answer +1", "context 1, answer -1", "context 2, answer +1", "context 2, answer -1"]),
])
def test_trajectories_have_every_condition_of_the_task(name, conditions):
    task = get_task(name, T=60, stim_on=5, stim_dur=10)
    traj = analysis.trajectories(RateRNN(10, task.n_inputs, seed=0), task, n_trials=40, n_components=2, seed=0)
    assert traj.conditions == conditions and traj.counts.sum() == 40
    assert traj.rates.shape == (4, 60, 10) and traj.projections.shape == (4, 60, 2)
    assert 0 < traj.explained.sum() <= 1


def test_trajectories_refuse_a_task_of_another_shape():
    with pytest.raises(ValueError, match="1 input channel.*'mante' gives 4"):
        analysis.trajectories(RateRNN(5, 1, seed=0), "mante")
    with pytest.raises(ValueError, match="Unknown task 'stroop'"):
        analysis.trajectories(RateRNN(5, 1, seed=0), "stroop")


# ---------------------------------------------------------------- lesions


def numpy_silenced_run(arrays, u, x0, noise_steps, silenced):
    """spikeRNN's loop for one trial (as test_rate_model.numpy_run) with the rates of the `silenced`
    units forced to 0 wherever they are read: by the other units and by the output."""
    w = np.maximum(arrays["w"], 0) @ arrays["m"] * arrays["som_m"]
    low, high = arrays["taus"]
    tau = 1 / (1 + np.exp(-arrays["taus_gaus"][:, 0])) * (high - low) + low
    x = x0.copy()
    outputs = []
    for t in range(1, u.shape[1]):
        r = numpy_phi(x, arrays["activation"]) * ~silenced
        x = (1 - 1 / tau) * x + (1 / tau) * (w @ r + arrays["w_in"] @ u[:, t - 1]) + noise_steps[t - 1]
        outputs.append(arrays["w_out"][0] @ (numpy_phi(x, arrays["activation"]) * ~silenced) + arrays["b_out"])
    return np.array(outputs)


def test_a_lesioned_copy_runs_as_if_the_silenced_rates_were_zero():
    net = RateRNN(20, 2, P_inh=0.3, som_N=1, seed=2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    silenced = analysis.lesion_units(net, [0, 3, 7, 11])
    lesioned = analysis.lesion(net, [0, 3, 7, 11])
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), f"lesion changed the original model's {k}"
    u = torch.randn(1, 2, 30, generator=torch.Generator().manual_seed(1))
    noise = net.draw_noise(1, 30, torch.Generator().manual_seed(2))
    with torch.no_grad():
        o = lesioned(u, noise).o[0].numpy()
    expected = numpy_silenced_run(numpy_arrays(net), u[0].double().numpy(), noise.x0[0].double().numpy(),
                                  noise.steps[0].double().numpy(), silenced.numpy())
    np.testing.assert_allclose(o, expected, atol=1e-5)


def test_lesion_units_names_the_units_asked_for():
    net = RateRNN(50, 1, P_inh=0.3, seed=0)
    assert torch.equal(analysis.lesion_units(net, "inhibitory"), net.inh)
    assert torch.equal(analysis.lesion_units(net, "excitatory"), ~net.inh)
    random = analysis.lesion_units(net, 0.2, seed=4)
    assert random.sum() == 10 and torch.equal(random, analysis.lesion_units(net, 0.2, seed=4))
    assert not torch.equal(random, analysis.lesion_units(net, 0.2, seed=5))
    mask = torch.zeros(50, dtype=torch.bool)
    mask[[1, 2]] = True
    assert torch.equal(analysis.lesion_units(net, mask.numpy()), mask)
    assert torch.equal(analysis.lesion_units(net, [1, 2]), mask)


@pytest.mark.parametrize("which, words", [
    ("pyramidal", "'inhibitory', 'excitatory', a fraction"),
    (1.5, r"fraction of the units must lie in \(0, 1\]"),
    (np.zeros(50, dtype=bool), "names no unit"),
    (np.ones(49, dtype=bool), r"mask has shape \(49,\); expected \(50,\)"),
    ([3, 50], r"indices must lie in 0\.\.49"),
    ([], "names no unit"),
])
def test_lesion_units_refuses_bad_requests(which, words):
    with pytest.raises(ValueError, match=words):
        analysis.lesion_units(RateRNN(50, 1, seed=0), which)


def test_without_dale_there_is_no_inhibitory_unit_to_silence():
    with pytest.raises(ValueError, match="names no unit"):
        analysis.lesion(RateRNN(10, 1, apply_dale=False, seed=0), "inhibitory")


def test_silencing_every_inhibitory_unit_breaks_go_nogo(go_nogo):
    task = get_task("go-nogo")
    results = analysis.compare_lesions(go_nogo, task, {"all inhibitory": "inhibitory", "two units": [0, 1]},
                                       n_trials=100, seed=3)
    assert list(results) == ["intact", "all inhibitory", "two units"]
    intact = evaluate(go_nogo, task, 100, seed=3)
    np.testing.assert_array_equal(results["intact"].outputs, intact.outputs)
    np.testing.assert_array_equal(results["intact"].labels, results["all inhibitory"].labels)   # same trials
    assert intact.accuracy >= 0.9
    assert results["all inhibitory"].accuracy <= intact.accuracy - 0.3
    assert np.abs(results["all inhibitory"].outputs - intact.outputs).mean() > 0.05


# ---------------------------------------------------------------- psychometric curves


SHORT_MANTE = dict(T=100, stim_on=0, stim_dur=100, eval_last=50)


def test_mante_trials_carry_the_offsets_and_context_asked_for():
    task = get_task("mante", T=400, stim_on=50, stim_dur=300)
    offsets = np.array([[0.5, -0.2], [0.0, 0.3], [-1.0, 0.0]])
    trials = task.trials_with(offsets, [True, False, False], torch.Generator().manual_seed(0))
    stimulus = trials.u[:, :2, 50:350]
    np.testing.assert_allclose(stimulus.mean(2).numpy(), offsets, atol=4 / np.sqrt(300))
    np.testing.assert_allclose(stimulus.std(2).numpy(), 1, atol=0.15)
    assert (trials.u[:, :2, :50] == 0).all() and (trials.u[:, :2, 350:] == 0).all()
    assert trials.u[:, 2, 0].tolist() == [1, 0, 0] and trials.u[:, 3, -1].tolist() == [0, 1, 1]
    assert trials.labels.tolist() == [1, 1, 0]
    assert trials.z[:, 350:].mean(1).tolist() == [1, 1, 0] and (trials.z[:, :350] == 0).all()


def channel_one_reporter():
    """A hand-built network that reports the sign of channel 1 whatever the context: two units with
    tau = 20 steps follow +10 and -10 times channel 1 (clipped relu), o = r1 - r2."""
    return RateRNN.from_arrays(w=np.zeros((2, 2)), w_in=[[10.0, 0, 0, 0], [-10.0, 0, 0, 0]], w_out=[[1.0, -1.0]],
                               b_out=0.0, taus_gaus=[0.0, 0.0], inh=[False, False], m=np.eye(2),
                               som_m=np.ones((2, 2)), taus=(20.0,), activation="clipped_relu", apply_dale=False,
                               som_N=0, P_inh=0.0)


def test_psychometric_axes_follow_context_and_channel():
    result = analysis.psychometric(channel_one_reporter(), get_task("mante", **SHORT_MANTE), offsets=(-1, 1),
                                   n_trials=8, seed=0)
    # plus[context - 1, i, j]: channel-1 offset offsets[i], channel-2 offset offsets[j]
    np.testing.assert_array_equal(result.plus, [[[0, 0], [1, 1]]] * 2)
    np.testing.assert_array_equal(result.minus, [[[1, 1], [0, 0]]] * 2)
    np.testing.assert_array_equal(result.choices(1, 1), [0, 1])
    np.testing.assert_array_equal(result.choices(1, 2), [0.5, 0.5])
    np.testing.assert_array_equal(result.choices(2, 1), [0, 1])
    np.testing.assert_array_equal(result.accuracy(1), [1, 1])
    np.testing.assert_array_equal(result.accuracy(2), [0.5, 0.5])


def test_psychometric_needs_the_mante_task():
    with pytest.raises(ValueError, match="need the Mante task.*'go-nogo'"):
        analysis.psychometric(RateRNN(5, 1, seed=0), "go-nogo")
    assert np.isnan(analysis.psychometric(channel_one_reporter(), get_task("mante", **SHORT_MANTE), offsets=(0, 1),
                                          n_trials=1).accuracy(1)[0])


@pytest.mark.slow
def test_psychometric_curve_of_a_trained_mante_network_rises_with_evidence():
    """A shorter Mante task (T=150, 80-step stimulus), N=60: about 4,000 trials, 5 s of training."""
    task = get_task("mante", T=150, stim_on=20, stim_dur=80, eval_last=50)
    net = RateRNN(60, 4, seed=2)
    assert train(net, task, 20000, seed=2, progress=False).success
    result = analysis.psychometric(net, task, n_trials=10, seed=0)
    for context in (1, 2):
        cued, ignored = result.choices(context, context), result.choices(context, 3 - context)
        assert cued[0] < 0.1 and cued[-1] > 0.9
        assert (np.diff(cued) > -0.1).all(), f"context {context}: {cued}"
        assert np.ptp(cued) > np.ptp(ignored) + 0.3
        accuracy = result.accuracy(context)
        assert min(accuracy[0], accuracy[-1]) > max(accuracy[3], accuracy[5]) + 0.2   # +-0.5 against +-0.05


# ---------------------------------------------------------------- figures


def test_pca_figure_shows_the_projections_and_variance(go_nogo, tmp_path):
    traj = analysis.trajectories(go_nogo, "go-nogo", n_trials=40, seed=0)
    fig = plots.plot_pca(traj, path=tmp_path / "pca.png")
    plane, time_ax, variance_ax = fig.axes
    paths = [line for line in plane.lines if line.get_label() in traj.conditions]
    for line, projection in zip(paths, traj.projections):
        np.testing.assert_allclose(line.get_xdata(), projection[:, 0])
        np.testing.assert_allclose(line.get_ydata(), projection[:, 1])
    np.testing.assert_allclose(time_ax.lines[0].get_xdata()[:3], [0, 5, 10])   # ms
    np.testing.assert_allclose([bar.get_height() for bar in variance_ax.patches], traj.explained)
    assert plane.get_xlabel() == f"PC1 ({100 * traj.explained[0]:.0f}% var.)"
    assert (tmp_path / "pca.png").read_bytes()[:4] == b"\x89PNG"


def test_fixed_point_figure_fills_stable_points_and_plots_each_spectrum():
    found = analysis.fixed_points(winner_take_all(), [3.0], initial=GRID, steps=200)
    fig = plots.plot_fixed_points(found)
    plane, spectrum = fig.axes
    faces = [line.get_markerfacecolor() for line in plane.lines]
    assert [face == "w" for face in faces] == [not s for s in found.stable]
    for line, eigenvalues in zip(spectrum.lines, found.eigenvalues):
        np.testing.assert_allclose(line.get_xdata(), eigenvalues.real)
    assert isinstance(fig._repr_png_(), bytes)


def test_psychometric_and_lesion_figures_show_their_numbers(go_nogo):
    result = analysis.psychometric(channel_one_reporter(), get_task("mante", **SHORT_MANTE), offsets=(-1, 0, 1),
                                   n_trials=2)
    fig = plots.plot_psychometric(result)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), result.choices(1, 1))
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), result.choices(2, 2))
    np.testing.assert_allclose(fig.axes[2].lines[1].get_ydata(), result.accuracy(2))
    results = analysis.compare_lesions(go_nogo, "go-nogo", {"inhibitory": "inhibitory"}, n_trials=20)
    fig = plots.plot_lesion(results)
    assert [bar.get_height() for bar in fig.axes[0].patches] == [r.accuracy for r in results.values()]
    go = results["intact"].labels == 1
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), results["intact"].outputs[go].mean(0))


@requires_cuda
def test_fixed_points_on_cuda_match_cpu():
    net = RateRNN(30, 1, seed=0)
    start = torch.randn(8, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    cpu = analysis.fixed_points(net, [0.5], initial=start, steps=100)
    cuda = analysis.fixed_points(net.to("cuda"), [0.5], initial=start, steps=100)
    np.testing.assert_allclose(cuda.points, cpu.points, atol=1e-6)
    np.testing.assert_array_equal(cuda.stable, cpu.stable)
