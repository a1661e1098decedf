"""rnncourse.rate losses, optimiser, evaluation, stopping rule and training loop: values against hand
computations and against spikeRNN's one-trial-per-update loop replayed with plain autograd."""

import math

import numpy as np
import pytest
import torch

from rnncourse.rate.evaluation import Evaluation, criterion_met, evaluate, make_generators
from rnncourse.rate.losses import trial_losses
from rnncourse.rate.model import RateRNN, draw_noise
from rnncourse.rate.optimizer import TFAdam
from rnncourse.rate.tasks import get_task
from rnncourse.rate.training import train, train_step, trainable_parameters

from helpers.rate import spikernn_trial_loss

SHORT_GO_NOGO = dict(T=30, stim_on=5, stim_dur=5)   # the same task, shorter, for quick loops


pytestmark = pytest.mark.usefixtures("one_thread")


# ---------------------------------------------------------------- losses

def test_l2_and_l1_losses_against_hand_computation():
    """l2 = sqrt(sum_i (o[i] - z[i])^2), l1 = sum_i |o[i] - z[i]|, i = 0..T-2: z[T-1] is never used."""
    o = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    z = torch.tensor([[1.0, 1.0, 1.0, 100.0], [3.0, 4.0, 0.0, -7.0]])
    # trial 0: errors -0.5, -2, 1 -> squares 0.25 + 4 + 1 = 5.25; trial 1: errors -3, -4, 0 -> 25
    assert trial_losses(o, z, "l2").tolist() == pytest.approx([math.sqrt(5.25), 5.0])
    assert trial_losses(o, z, "l1").tolist() == pytest.approx([3.5, 7.0])
    with pytest.raises(ValueError, match="loss_fn '12'.*'l2'"):
        trial_losses(o, z, "12")


# ---------------------------------------------------------------- optimiser

def test_tf_adam_follows_tensorflow_1_update_rule():
    """Two steps of TFAdam == TF1's formula by hand: lr_t = lr sqrt(1-b2^t)/(1-b1^t), eps outside."""
    p = torch.tensor([1.0, -2.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = TFAdam([p], lr=0.01)
    expected, m, v = p.detach().numpy().copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate([np.array([0.5, -1.0, 0.0]), np.array([2.0, 0.1, 0.0])], start=1):
        p.grad = torch.tensor(g)
        optimizer.step()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        expected = expected - 0.01 * math.sqrt(1 - 0.999**t) / (1 - 0.9**t) * m / (np.sqrt(v) + 1e-8)
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    assert p[2].item() == 0.0, "a parameter whose gradient is always 0 never moves (Dale's zeros)"
    optimizer.zero_grad()
    assert p.grad is None


# ---------------------------------------------------------------- stopping rule

@pytest.mark.parametrize("task_name, trial, loss, accuracy, stop", [
    ("go-nogo", 1501, 6.99, 0.96, True),
    ("go-nogo", 1500, 6.99, 0.96, False),   # Go-NoGo: only after trial 1500
    ("go-nogo", 1601, 7.00, 1.00, False),   # loss must be strictly below 7
    ("go-nogo", 1601, 3.00, 0.95, False),   # accuracy strictly above 0.95: 95/100 is not enough
    ("xor", 1, 6.0, 0.97, True),            # XOR and Mante may stop at their first evaluation
    ("mante", 101, 8.0, 1.0, False),
])
def test_stopping_rule(task_name, trial, loss, accuracy, stop):
    evaluation = Evaluation(loss=loss, accuracy=accuracy, losses=None, correct=None, outputs=None, labels=None)
    assert criterion_met(get_task(task_name), trial, evaluation) is stop


# ---------------------------------------------------------------- evaluation

def test_evaluate_scores_fresh_trials_with_the_task_rule_and_loss():
    """evaluate == running the same trials and noise by hand, then the task's rule and l2 loss."""
    task = get_task("go-nogo", **SHORT_GO_NOGO)
    model = RateRNN(20, 1, seed=0)
    with torch.no_grad():
        model.w_out.mul_(200)   # outputs big enough for some trials to be right and some wrong
    evaluation = evaluate(model, task, 50, seed=5)
    g = make_generators(5, "cpu")
    trials = task.trials(50, g.trials)
    o = model(trials.u, model.draw_noise(50, task.T, g.noise)).o.detach()
    window = o[:, 10:].numpy()
    labels = trials.labels.numpy()
    right = np.where(labels == 1, window.max(1) > 0.7, np.abs(window).max(1) < 0.3)
    errors = o.numpy() - trials.z[:, :-1].numpy()
    np.testing.assert_array_equal(evaluation.correct, right)
    assert 0 < right.sum() < 50
    assert evaluation.accuracy == pytest.approx(right.mean())
    assert evaluation.loss == pytest.approx(np.sqrt((errors**2).sum(1)).mean(), rel=1e-6)
    np.testing.assert_allclose(evaluation.outputs, o.numpy())


# ---------------------------------------------------------------- the training loop

def test_faithful_training_is_spikernn_update_for_update():
    """train(batch_size=1) on 3 trials == spikeRNN's loop replayed here: each trial's loss by plain
    autograd through the per-step loop, TF1 Adam (lr 0.01) by hand, the same trials and noise (the
    evaluation after trial 1 draws its own), float64."""
    task = get_task("go-nogo", **SHORT_GO_NOGO)
    model = RateRNN(12, 1, seed=3).double()
    reference = RateRNN(12, 1, seed=3).double()
    result = train(model, task, 3, batch_size=1, seed=7, progress=False, eval_trials=10)

    g = make_generators(7, "cpu")
    task.trials(1, g.trials)                       # the look at the untrained network
    draw_noise(1, task.T, 12, g.noise, dtype=torch.float64)
    params = trainable_parameters(reference)
    m = [torch.zeros_like(p) for p in params]
    v = [torch.zeros_like(p) for p in params]
    for tr in range(3):
        trials = task.trials(1, g.trials)
        noise = draw_noise(1, task.T, 12, g.noise, dtype=torch.float64)
        loss = spikernn_trial_loss(reference, trials.u[0].double(), trials.z[0].double(), noise.x0[0], noise.steps[0])
        assert result.losses[tr] == pytest.approx(loss.item(), rel=1e-12), f"trial {tr}"
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            step = 0.01 * math.sqrt(1 - 0.999 ** (tr + 1)) / (1 - 0.9 ** (tr + 1))
            for p, g_p, m_p, v_p in zip(params, grads, m, v):
                m_p.copy_(0.9 * m_p + 0.1 * g_p)
                v_p.copy_(0.999 * v_p + 0.001 * g_p * g_p)
                p.sub_(step * m_p / (v_p.sqrt() + 1e-8))
        if tr == 1:                                # evaluation after trial 1: 10 trials and their noise
            task.trials(10, g.trials)
            draw_noise(10, task.T, 12, g.noise, dtype=torch.float64)
    for name, p in reference.named_parameters():
        np.testing.assert_allclose(getattr(model, name).detach().numpy(), p.detach().numpy(), rtol=1e-10,
                                   atol=1e-14, err_msg=name)
    np.testing.assert_allclose(result.last_trial.u, trials.u[0].numpy())


def test_batched_update_averages_the_trial_losses():
    """One batched update == the gradient of the mean of per-trial losses, each trial as spikeRNN's loop."""
    task = get_task("go-nogo", **SHORT_GO_NOGO)
    model = RateRNN(10, 1, seed=4).double()
    g = torch.Generator().manual_seed(0)
    trials = task.trials(3, g)
    noise = draw_noise(3, task.T, 10, g, dtype=torch.float64)
    reference = RateRNN(10, 1, seed=4).double()
    loss = sum(spikernn_trial_loss(reference, trials.u[b].double(), trials.z[b].double(), noise.x0[b],
                                   noise.steps[b]) for b in range(3)) / 3
    loss.backward()
    captured = {}

    class Capture(TFAdam):
        def step(self):
            captured.update({id(p): p.grad.clone() for p in self.params})
            super().step()
    optimizer = Capture(trainable_parameters(model), lr=0.01)
    losses, _ = train_step(model, optimizer, trials._replace(u=trials.u.double(), z=trials.z.double()), noise)
    assert losses.mean().item() == pytest.approx(loss.item(), rel=1e-12)
    for p, q in zip(trainable_parameters(model), trainable_parameters(reference)):
        np.testing.assert_allclose(captured[id(p)].numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("batch_size, expected", [(1, [1, 101, 201, 249]), (8, [7, 103, 207, 249])])
def test_evaluations_follow_spikernn_schedule_in_trials(batch_size, expected):
    """Evaluation after the update that used trial tr = 1, 101, 201, ... (0-based), whatever the
    batch size, and once more at the end when the trials run out between evaluations."""
    task = get_task("go-nogo", **SHORT_GO_NOGO)
    torch.set_num_threads(2)
    result = train(RateRNN(8, 1, seed=0), task, 250, batch_size=batch_size, seed=0, progress=False, eval_trials=5)
    assert torch.get_num_threads() == 2, "train restores torch's thread setting"
    torch.set_num_threads(1)
    assert [e.trial for e in result.evaluations] == expected
    assert result.tr == 249 and not result.success and (result.losses > 0).all()
    np.testing.assert_array_equal(result.eval_history[:, 0], expected)


def test_trained_go_nogo_network_passes_its_evaluation():
    """Go-NoGo, N=100, default batches: training stops by spikeRNN's rule (after trial 1500, loss < 7,
    accuracy > 0.95), losses after the stop are 0, and the network also does well on fresh trials."""
    task = get_task("go-nogo")
    model = RateRNN(100, 1, seed=0)
    result = train(model, task, 5000, seed=0, progress=False)
    assert result.success and 1500 < result.tr < 5000
    last = result.last_evaluation
    assert last.trial == result.tr and last.loss < 7 and last.accuracy > 0.95
    assert (result.losses[result.tr + 1:] == 0).all() and (result.losses[:result.tr + 1] > 0).all()
    fresh = evaluate(model, task, 200, seed=1234)
    assert fresh.accuracy >= 0.9 and fresh.loss < 7
    window, go = fresh.outputs[:, 75:], fresh.labels == 1
    assert np.where(go, window.max(1) > 0.7, np.abs(window).max(1) < 0.3).mean() == pytest.approx(fresh.accuracy)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_training_on_cuda_matches_the_cpu_loss_for_the_same_trials_and_noise():
    """One update on CUDA gives the CPU's per-trial losses and parameters (same trials and noise)."""
    task = get_task("go-nogo")
    results = {}
    for device in ("cpu", "cuda"):
        model = RateRNN(50, 1, seed=0, device=device)
        g = torch.Generator().manual_seed(1)
        trials = task.trials(4, g)
        noise = draw_noise(4, task.T, 50, g)
        losses, _ = train_step(model, TFAdam(trainable_parameters(model), lr=0.01),
                               trials._replace(u=trials.u.to(device), z=trials.z.to(device)),
                               noise._replace(x0=noise.x0.to(device), steps=noise.steps.to(device)))
        results[device] = losses.cpu().numpy(), model.w.detach().cpu().numpy()
    np.testing.assert_allclose(results["cuda"][0], results["cpu"][0], rtol=1e-4)
    np.testing.assert_allclose(results["cuda"][1], results["cpu"][1], atol=1e-5)


def test_training_arguments_are_checked_before_any_work():
    task = get_task("go-nogo")
    model = RateRNN(10, 1, seed=0)
    with pytest.raises(ValueError, match="n_trials=0"):
        train(model, task, 0)
    with pytest.raises(ValueError, match="batch_size=0"):
        train(model, task, 10, batch_size=0)
    with pytest.raises(ValueError, match="loss_fn 'l3'"):
        train(model, task, 10, loss_fn="l3")
    with pytest.raises(ValueError, match="RateRNN\\(N, 2"):
        train(model, get_task("xor"), 10)
