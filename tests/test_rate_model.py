"""rnncourse.rate.model and .recurrence: initialisation, masks, time constants, the forward run
against spikeRNN's loop re-written in NumPy (helpers/rate.py), and the hand-written backward pass
against autograd."""

import math

import numpy as np
import pytest
import torch

from rnncourse.rate.model import RateRNN, StateNoise, draw_noise
from rnncourse.rate.recurrence import LeakyRecurrence

from helpers.markers import requires_cuda
from helpers.rate import numpy_arrays, numpy_run, spikernn_trial_loss

ACTIVATIONS = ["sigmoid", "clipped_relu", "softplus"]


pytestmark = pytest.mark.usefixtures("one_thread")


def test_units_are_inhibitory_by_independent_bernoulli_draws():
    """About P_inh of the units are inhibitory, the count varies with the seed, exc is the rest."""
    counts = [int(RateRNN(1000, 1, P_inh=0.2, seed=s).inh.sum()) for s in range(3)]
    assert all(abs(c - 200) < 4 * math.sqrt(1000 * 0.2 * 0.8) for c in counts), counts
    assert len(set(counts)) > 1, "the number of inhibitory units should vary between seeds"
    model = RateRNN(50, 1, seed=0)
    assert torch.equal(model.exc, ~model.inh)
    assert not RateRNN(50, 1, apply_dale=False, seed=0).inh.any(), "without Dale no unit is inhibitory"


def test_dale_mask_and_som_mask_match_spikernn():
    """m = identity with -1 for inhibitory units; som_m zeroes every inhibitory input of the first
    som_N inhibitory units (themselves included) and nothing else."""
    model = RateRNN(60, 1, P_inh=0.3, som_N=4, seed=1)
    inh = model.inh.numpy()
    assert np.array_equal(model.m.numpy(), np.diag(np.where(inh, -1.0, 1.0)))
    som = np.flatnonzero(inh)[:4]
    assert model.som_inh.tolist() == som.tolist()
    expected = np.ones((60, 60))
    for i in som:
        expected[i, inh] = 0
    assert np.array_equal(model.som_m.numpy(), expected)


def test_effective_weights_are_relu_w_times_m_times_som_mask_with_dale_signs():
    """W_eff = (relu(w) @ m) * som_m as a true matrix product; columns of E units are >= 0, of I units <= 0."""
    model = RateRNN(40, 2, P_inh=0.3, som_N=2, seed=2)
    with torch.no_grad():
        model.w[0, :5] = -1.0   # trained entries may go negative: they must count as 0
    a = numpy_arrays(model)
    expected = (np.maximum(a["w"], 0) @ a["m"]) * a["som_m"]
    got = model.effective_weights().detach().double().numpy()
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-7)
    inh = model.inh.numpy()
    assert (got[:, ~inh] >= 0).all() and (got[:, inh] <= 0).all()
    assert (got[:, inh] < 0).any()


def test_initial_w_is_sparse_half_normal_with_gain_scaling():
    """P_rec of the entries are nonzero (diagonal included); with Dale they are |N(0, gain^2/(N P_rec))|."""
    N, P_rec, gain = 400, 0.2, 1.5
    w = RateRNN(N, 1, P_rec=P_rec, gain=gain, seed=3).w.detach().numpy()
    nonzero = w[w != 0]
    assert abs(nonzero.size / N**2 - P_rec) < 0.01
    assert (nonzero > 0).all()
    sd = gain / math.sqrt(N * P_rec)
    assert np.sqrt(np.mean(nonzero**2)) == pytest.approx(sd, rel=0.03)
    assert np.mean(nonzero) == pytest.approx(sd * math.sqrt(2 / math.pi), rel=0.03)   # half-normal mean
    no_dale = RateRNN(N, 1, apply_dale=False, seed=3).w.detach().numpy()
    assert (no_dale < 0).any() and np.sqrt(np.mean(no_dale[no_dale != 0] ** 2)) == pytest.approx(sd, rel=0.03)


def test_gamma_initialisation_has_shape_2_scale_0_003():
    """'gamma': nonzero w ~ Gamma(2, 0.003): mean 0.006, variance 2 * 0.003^2, no gain."""
    w = RateRNN(400, 1, w_dist="gamma", gain=9.0, seed=4).w.detach().double().numpy()
    nonzero = w[w != 0]
    assert nonzero.mean() == pytest.approx(0.006, rel=0.03)
    assert nonzero.var() == pytest.approx(2 * 0.003**2, rel=0.08)


def test_input_and_output_weights_and_taus_gaus_are_initialised_as_spikernn():
    """w_in ~ N(0, 1) fixed; w_out ~ N(0, 0.01^2); b_out = 0; taus_gaus ~ N(0, 1) (N, 1)."""
    model = RateRNN(500, 4, seed=5)
    assert model.w_in.shape == (500, 4) and not isinstance(model.w_in, torch.nn.Parameter)
    assert model.w_in.std().item() == pytest.approx(1.0, rel=0.05)
    assert model.w_out.shape == (1, 500) and model.w_out.std().item() == pytest.approx(0.01, rel=0.1)
    assert model.b_out.item() == 0.0 and model.b_out.shape == ()
    assert model.taus_gaus.shape == (500, 1) and model.taus_gaus.std().item() == pytest.approx(1.0, rel=0.1)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {"w", "w_out", "b_out", "taus_gaus"}


def test_same_seed_same_network_and_generator_is_used():
    """A seed fixes every initial value; a different seed changes them."""
    a, b, c = RateRNN(30, 1, seed=7), RateRNN(30, 1, seed=7), RateRNN(30, 1, seed=8)
    for name, value in a.state_dict().items():
        assert torch.equal(value, b.state_dict()[name]), name
    assert not torch.equal(a.w, c.w)
    d = RateRNN(30, 1, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a.w, d.w)


# ---------------------------------------------------------------- time constants

def test_time_constants_stay_inside_the_range_and_follow_the_sigmoid():
    """tau = sigmoid(taus_gaus) (tau_max - tau_min) + tau_min lies in [tau_min, tau_max] for any
    taus_gaus (float32 rounds the extremes onto the ends); one tau gives a fixed, untrained value."""
    model = RateRNN(6, 1, taus=(4, 20), seed=0)
    values = torch.tensor([[-60.0], [-3.0], [0.0], [0.5], [3.0], [60.0]])
    with torch.no_grad():
        model.taus_gaus.copy_(values)
    tau = model.time_constants().detach().numpy()
    expected = 1 / (1 + np.exp(-values.numpy().ravel().astype(np.float64))) * 16 + 4
    np.testing.assert_allclose(tau, expected, rtol=1e-6)
    assert (tau >= 4).all() and (tau <= 20).all() and tau[2] == pytest.approx(12.0)
    assert 4 < tau[1] < tau[4] < 20
    fixed = RateRNN(6, 1, taus=(7,), seed=0)
    assert fixed.time_constants().tolist() == [7.0] * 6
    assert not fixed.taus_gaus.requires_grad


# ---------------------------------------------------------------- forward run

@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("taus", [(4.0, 20.0), (7.0,)])
def test_forward_equals_spikernn_loop_in_numpy_with_the_same_noise(activation, taus):
    """Batched forward run == spikeRNN's step-by-step loop (NumPy, float64) for each trial,
    given the same x0 and per-step noise: x, r and o, with o[t-1] read from r[t]."""
    model = RateRNN(25, 2, P_inh=0.3, som_N=2, taus=taus, activation=activation, seed=11).double()
    g = torch.Generator().manual_seed(12)
    u = torch.randn(3, 2, 30, generator=g, dtype=torch.float64)
    noise = draw_noise(3, 30, 25, g, dtype=torch.float64)
    run = model(u, noise)
    a = numpy_arrays(model)
    for b in range(3):
        x, r, o = numpy_run(a, u[b].numpy(), noise.x0[b].numpy(), noise.steps[b].numpy())
        np.testing.assert_allclose(run.x[b].detach().numpy(), x.T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(run.r[b].detach().numpy(), r.T, rtol=0, atol=1e-10)
        np.testing.assert_allclose(run.o[b].detach().numpy(), o, rtol=0, atol=1e-10)


def test_output_is_read_one_step_after_the_state_it_follows():
    """o has T-1 entries: o[:, t-1] = w_out r[:, t] + b_out; r[:, 0] = phi(x0) gives no output."""
    model = RateRNN(10, 1, seed=3)
    with torch.no_grad():
        model.b_out.fill_(0.25)
    run = model(torch.zeros(2, 1, 12), generator=torch.Generator().manual_seed(0))
    assert run.o.shape == (2, 11) and run.x.shape == (2, 12, 10)
    expected = run.r[:, 1:] @ model.w_out[0] + 0.25
    np.testing.assert_allclose(run.o.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(torch.sigmoid(run.x[:, 0]).detach().numpy(), run.r[:, 0].detach().numpy())


def test_state_noise_has_spikernn_scales_and_is_redrawn_every_run():
    """x0 ~ N(0, 0.01^2), per-step noise ~ N(0, 0.1^2); two runs of the same input differ."""
    noise = draw_noise(50, 101, 40, torch.Generator().manual_seed(0))
    assert noise.x0.shape == (50, 40) and noise.steps.shape == (50, 100, 40)
    assert noise.x0.std().item() == pytest.approx(0.01, rel=0.05)
    assert noise.steps.std().item() == pytest.approx(0.1, rel=0.01)
    model = RateRNN(20, 1, seed=0)
    g = torch.Generator().manual_seed(1)
    u = torch.zeros(1, 1, 50)
    assert not torch.equal(model(u, generator=g).o, model(u, generator=g).o)


# ---------------------------------------------------------------- backward pass

@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_hand_written_bptt_passes_gradcheck(activation):
    """LeakyRecurrence's backward == finite differences (torch.autograd.gradcheck, float64)."""
    g = torch.Generator().manual_seed(0)
    x0 = (torch.randn(2, 4, generator=g, dtype=torch.float64) + 1.0).requires_grad_()
    drive = (torch.randn(5, 2, 4, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    keep = torch.rand(4, generator=g, dtype=torch.float64).requires_grad_()
    A = (torch.randn(4, 4, generator=g, dtype=torch.float64) * 0.3).requires_grad_()

    def both(*args):
        return LeakyRecurrence.apply(*args, activation)
    assert torch.autograd.gradcheck(both, (x0, drive, keep, A), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("taus", [(4.0, 20.0), (7.0,)])
def test_model_gradients_equal_autograd_through_spikernn_loop(activation, taus):
    """d(mean trial loss)/d(w, w_out, b_out, taus_gaus) of the batched model == autograd through
    spikeRNN's per-step loop, trial by trial, with the same noise (float64)."""
    model = RateRNN(15, 1, P_inh=0.3, som_N=1, taus=taus, activation=activation, seed=21).double()
    with torch.no_grad():
        model.w_out.mul_(30)   # a readout large enough for every gradient to be far from 0
    g = torch.Generator().manual_seed(22)
    u = torch.randn(2, 1, 20, generator=g, dtype=torch.float64)
    z = torch.randn(2, 20, generator=g, dtype=torch.float64)
    noise = draw_noise(2, 20, 15, g, dtype=torch.float64)
    params = [p for p in model.parameters() if p.requires_grad]

    run = model(u, noise)
    loss = (run.o - z[:, :19]).square().sum(1).sqrt().mean()
    ours = torch.autograd.grad(loss, params)
    reference = sum(spikernn_trial_loss(model, u[b], z[b], noise.x0[b], noise.steps[b]) for b in range(2)) / 2
    expected = torch.autograd.grad(reference, params)
    for got, want in zip(ours, expected):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-9, atol=1e-12)
        assert want.abs().max() > 0


def test_relu_keeps_the_sparsity_and_signs_under_dale_through_training():
    """Entries of w that start at exactly 0 get zero gradient through relu, so after Adam steps they
    are still 0, and W_eff keeps its signs; without Dale the zeros start to move."""
    from rnncourse.rate.optimizer import TFAdam
    from rnncourse.rate.tasks import get_task
    from rnncourse.rate.training import train_step, trainable_parameters
    task = get_task("go-nogo")
    for dale in (True, False):
        model = RateRNN(30, 1, apply_dale=dale, seed=9)
        zeros = model.w.detach() == 0
        optimizer = TFAdam(trainable_parameters(model), lr=0.01)
        g = torch.Generator().manual_seed(0)
        for _ in range(5):
            train_step(model, optimizer, task.trials(4, g), generator=g)
        if dale:
            assert (model.w.detach()[zeros] == 0).all()
            w_eff = model.effective_weights().detach()
            assert (w_eff[zeros] == 0).all()
            assert (w_eff[:, model.exc] >= 0).all() and (w_eff[:, model.inh] <= 0).all()
        else:
            assert (model.w.detach()[zeros] != 0).any()


# ---------------------------------------------------------------- errors and devices

@pytest.mark.parametrize("kwargs, words", [
    (dict(N=0), "N=0"), (dict(P_inh=1.5), "P_inh"), (dict(P_rec=-0.1), "P_rec"),
    (dict(w_dist="uniform"), "w_dist"), (dict(activation="tanh"), "activation"),
    (dict(taus=(20, 4)), "tau_min"), (dict(taus=(1, 2, 3)), "taus"), (dict(taus=(0,)), "taus"),
    (dict(som_N=-1), "som_N"), (dict(som_N=50, P_inh=0.1), "som_N=50"),
])
def test_bad_settings_raise_errors_naming_the_argument(kwargs, words):
    settings = dict(N=40, n_inputs=1, seed=0)
    settings.update(kwargs)
    with pytest.raises(ValueError, match=words):
        RateRNN(settings.pop("N"), settings.pop("n_inputs"), **settings)


def test_input_of_the_wrong_shape_is_refused():
    model = RateRNN(10, 2, seed=0)
    with pytest.raises(ValueError, match=r"expected \(batch, 2, T\)"):
        model(torch.zeros(1, 1, 20))


@requires_cuda
def test_cuda_forward_matches_cpu():
    """The same network and noise give the same outputs on CUDA as on the CPU."""
    cpu = RateRNN(50, 1, seed=0)
    cuda = RateRNN(50, 1, seed=0, device="cuda")
    noise = draw_noise(4, 40, 50, torch.Generator().manual_seed(1))
    u = torch.rand(4, 1, 40)
    expected = cpu(u, noise).o
    got = cuda(u.cuda(), StateNoise(noise.x0.cuda(), noise.steps.cuda())).o
    np.testing.assert_allclose(got.cpu().detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
