"""rnncourse.rate.many: K networks trained at once == each trained alone by train() with its seed,
bit for bit on the CPU; per-network stopping; threads; argument errors; the --n_networks command."""

import re

import numpy as np
import pytest
import scipy.io
import torch

from rnncourse.device import usable_cores
from rnncourse.rate import recurrence
from rnncourse.rate.cli import main
from rnncourse.rate.evaluation import evaluate, make_generators
from rnncourse.rate.many import evaluate_many, train_many
from rnncourse.rate.matfile import load_mat
from rnncourse.rate.model import RateRNN
from rnncourse.rate.recurrence import LeakyRecurrence
from rnncourse.rate.tasks import get_task
from rnncourse.rate.training import train

pytestmark = pytest.mark.usefixtures("one_thread")

# A short Go-NoGo that may stop at any evaluation, and a low bar, so that networks stop at
# different trials (seeds 2 and 3 early, 0 and 1 never) within a few hundred trials.
TASK = get_task("go-nogo", T=30, stim_on=5, stim_dur=5, stop_after_trial=-1)
RULE = dict(eval_every=50, eval_trials=20, accuracy_threshold=0.6, loss_threshold=100.0)


def assert_same_training(alone, together):
    """Two TrainingResults of the same network: equal stop, losses, evaluations, records, weights."""
    assert (together.tr, together.success, together.seed) == (alone.tr, alone.success, alone.seed)
    np.testing.assert_array_equal(together.losses, alone.losses)
    assert len(together.evaluations) == len(alone.evaluations)
    for a, b in zip(alone.evaluations, together.evaluations):
        assert (a.trial, a.loss, a.accuracy) == (b.trial, b.loss, b.accuracy)
        np.testing.assert_array_equal(a.outputs, b.outputs)
    for name in ("u", "target", "x", "r", "o"):
        np.testing.assert_array_equal(getattr(together.last_trial, name), getattr(alone.last_trial, name))
        np.testing.assert_array_equal(getattr(together.initial, name), getattr(alone.initial, name))
    np.testing.assert_array_equal(together.w0, alone.w0)
    for (name, p), q in zip(alone.model.named_parameters(), together.model.parameters()):
        assert torch.equal(p, q), f"seed {alone.seed}: {name} differs"


def test_many_networks_at_once_equal_each_trained_alone_bit_for_bit():
    """4 networks (N=32, default batches) with train_many == train() one by one with the same seeds:
    the same stopping trial (two stop early at different trials, two run out), losses, evaluation
    outputs, last trial and final weights, all exactly equal in float32."""
    seeds = [0, 1, 2, 3]
    alone = [train(RateRNN(32, 1, seed=s), TASK, 400, seed=s, progress=False, **RULE) for s in seeds]
    models = [RateRNN(32, 1, seed=s) for s in seeds]
    together = train_many(models, TASK, 400, seeds=seeds, progress=False, **RULE)
    assert [r.model for r in together] == models, "each result holds its network, trained in place"
    stops = [r.tr for r in alone]
    assert stops[0] == stops[1] == 399 and len(set(stops)) == 3 and sum(r.success for r in alone) == 2
    for a, b in zip(alone, together):
        assert_same_training(a, b)


@pytest.mark.parametrize("task, settings, batch_size", [
    (get_task("xor", T=40, stim_on=5, stim_dur=8, delay=4, response_delay=3, response_dur=10, eval_start=25),
     dict(activation="softplus", taus=(7.0,), apply_dale=False), 8),
    (get_task("mante", T=40, stim_on=5, stim_dur=20, eval_last=10), dict(activation="clipped_relu", som_N=1), 3),
])
def test_other_tasks_activations_and_batch_sizes_are_equal_too(task, settings, batch_size):
    seeds = [5, 9]
    alone = [train(RateRNN(24, task.n_inputs, seed=s, **settings), task, 60, seed=s, batch_size=batch_size,
                   progress=False, eval_trials=10) for s in seeds]
    together = train_many(lambda s: RateRNN(24, task.n_inputs, seed=s, **settings), task, 60, seeds=seeds,
                          batch_size=batch_size, progress=False, eval_trials=10)
    for a, b in zip(alone, together):
        assert_same_training(a, b)


@pytest.mark.parametrize("N", [30, 25])
def test_one_trial_per_update_is_equal_too(N):
    """batch_size=1 (spikeRNN's faithful mode): a (1, N) state is not 64 bytes long, so network k's
    slice of a stacked tensor can start where a tensor of its own would not, and MKL rounds small
    products differently into an output that is not 16-byte aligned. N=30: seed 1 drifted from
    train at trial 37 when the backward's buffer was not padded; N=25 (T*B*N odd) the forward."""
    seeds = [0, 1, 2]
    alone = [train(RateRNN(N, 1, seed=s), TASK, 120, seed=s, batch_size=1, progress=False, **RULE) for s in seeds]
    together = train_many(lambda s: RateRNN(N, 1, seed=s), TASK, 120, seeds=seeds, batch_size=1,
                          progress=False, **RULE)
    for a, b in zip(alone, together):
        assert_same_training(a, b)


@pytest.mark.parametrize("batched", [False, True], ids=["cpu-per-network", "gpu-batched"])
def test_stacked_recurrence_equals_each_network_run_alone(monkeypatch, batched):
    """LeakyRecurrence over a stack of K=3 networks (float64; A transposed, as stacked_run passes
    it; a (3, 25) state, so slices are not 64 bytes long): the states, rates and all four gradients
    equal each network's own run. Exactly, with the CPU's one addmm per network; to rounding, with
    the one baddbmm per step that a GPU runs, forced here on the CPU so that its code is tested."""
    monkeypatch.setattr(recurrence, "_batched_products", lambda t: batched)
    g = torch.Generator().manual_seed(4)
    def draw(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    K, T, B, N = 3, 12, 3, 25
    x0, drive, keep, M = draw(K, B, N), draw(K, T - 1, B, N), draw(K, 1, N).sigmoid(), draw(K, N, N) / 5
    grad_x, grad_r = draw(K, T, B, N), draw(K, T, B, N)
    stacked = [t.clone().requires_grad_() for t in (x0, drive, keep, M)]
    x, r = LeakyRecurrence.apply(*stacked[:3], stacked[3].transpose(1, 2), "sigmoid")
    torch.autograd.backward((x, r), (grad_x, grad_r))
    same = torch.equal if not batched else lambda a, b: torch.allclose(a, b, rtol=1e-12, atol=1e-12)
    for k in range(K):
        own = [t.clone().requires_grad_() for t in (x0[k], drive[k], keep[k, 0], M[k])]
        x_k, r_k = LeakyRecurrence.apply(*own[:3], own[3].T, "sigmoid")
        torch.autograd.backward((x_k, r_k), (grad_x[k], grad_r[k]))
        assert same(x_k, x[k]) and same(r_k, r[k])
        for name, alone, together in zip(("x0", "drive", "keep", "M"), own, stacked):
            assert same(alone.grad, together.grad[k].reshape(alone.shape)), f"network {k}: gradient of {name}"


def test_stacked_evaluation_a_gpu_runs_scores_as_each_network_alone():
    """evaluate_many stacks networks' runs on a GPU; forced here on the CPU, 150 trials (a chunk
    of 100 in groups of 4 networks, one of 50 in groups of 8) give each network's evaluate()."""
    seeds = range(5)
    models = [RateRNN(32, 1, seed=s) for s in seeds]
    stacked = evaluate_many(models, TASK, [make_generators(s, "cpu") for s in seeds], 150, trial=7, stacked=True)
    for model, s, together in zip(models, seeds, stacked):
        alone = evaluate(model, TASK, 150, generators=make_generators(s, "cpu"), trial=7)
        assert (together.trial, together.loss, together.accuracy) == (alone.trial, alone.loss, alone.accuracy)
        np.testing.assert_array_equal(together.outputs, alone.outputs)
        np.testing.assert_array_equal(together.labels, alone.labels)


def test_threads_split_the_networks_without_changing_any_result():
    """threads=2 trains two groups side by side; float64 networks; generators= instead of seeds."""
    seeds = [0, 2, 3]
    one = train_many([RateRNN(32, 1, seed=s).double() for s in seeds], TASK, 200,
                     generators=[make_generators(s, "cpu") for s in seeds], progress=False, **RULE)
    two = train_many(lambda s: RateRNN(32, 1, seed=s).double(), TASK, 200, seeds=seeds, threads=2,
                     progress=False, **RULE)
    assert torch.get_num_threads() == 1, "torch's thread setting is restored"
    for a, b in zip(one, two):
        assert_same_training(a, b)


def test_each_finished_network_is_reported_once_as_it_stops():
    reported = []
    results = train_many(lambda s: RateRNN(32, 1, seed=s), TASK, 400, seeds=[3, 0, 2], progress=False,
                         on_done=lambda k, result: reported.append((k, result.tr, result.model.w.clone())), **RULE)
    assert [k for k, *_ in reported] == [0, 2, 1], "the earliest stop first"
    for k, tr, w in reported:
        assert tr == results[k].tr
        assert torch.equal(w, results[k].model.w), "a stopped network is not updated any more"


def test_train_many_arguments_are_checked_before_any_work():
    make = lambda s: RateRNN(8, 1, seed=s)
    with pytest.raises(ValueError, match="at least one network"):
        train_many([], TASK, 10)
    with pytest.raises(ValueError, match="needs seeds"):
        train_many(make, TASK, 10)
    with pytest.raises(ValueError, match="2 seeds for 3 networks"):
        train_many([make(0), make(1), make(2)], TASK, 10, seeds=[0, 1])
    with pytest.raises(ValueError, match="not both"):
        train_many([make(0)], TASK, 10, seeds=[0], generators=[make_generators(0, "cpu")])
    with pytest.raises(ValueError, match="network 1 has N 9"):
        train_many([make(0), RateRNN(9, 1, seed=1)], TASK, 10, seeds=[0, 1])
    model = make(0)
    with pytest.raises(ValueError, match="appears twice"):
        train_many([model, model], TASK, 10, seeds=[0, 1])
    with pytest.raises(ValueError, match="n_trials=0"):
        train_many(make, TASK, 0, seeds=[0])
    with pytest.raises(ValueError, match="RateRNN\\(N, 2"):
        train_many(make, get_task("xor"), 10, seeds=[0])
    with pytest.raises(ValueError, match="threads=0"):
        train_many(make, TASK, 10, seeds=[0], threads=0)


def test_n_networks_writes_one_file_per_seed_and_eval_scores_each(tmp_path, capsys):
    args = ["--mode", "train", "--n_trials", "20", "--N", "16", "--task", "go-nogo", "--decay_taus", "4", "20",
            "--output_dir", str(tmp_path), "--seed", "7", "--n_networks", "3"]
    assert main(args) == 0
    files = sorted((tmp_path / "models" / "go-nogo" / "P_rec_0.2_Taus_4.0_20.0").iterdir())
    names = [f.name for f in files]
    assert [re.fullmatch(r"Task_go-nogo_N_16_Taus_4\.0_20\.0_Act_sigmoid_seed_(\d+)_\d{4}_\d{2}_\d{2}_\d{6}\.mat",
                         n).group(1) for n in names] == ["10", "13", "7"], "seeds three apart: no two share a stream"
    alone = train(RateRNN(16, 1, seed=10), get_task("go-nogo"), 20, seed=10, progress=False)
    data = scipy.io.loadmat(files[0])
    assert data["seed"].item() == 10 and data["tr"].item() == 19
    np.testing.assert_array_equal(data["w"], alone.model.rectified_weights().detach().numpy())
    printed = capsys.readouterr().out
    assert "0 of 3 networks reached the stopping criterion" in printed
    cores = min(3, usable_cores())   # the default --threads: one group per core, at most K
    assert (f"{cores} groups side by side" in printed) == (cores > 1)
    assert main(["--mode", "eval", "--model", *map(str, files), "--n_trials", "20", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("go-nogo: accuracy") == 3 and all(str(f) in printed for f in files)
    assert load_mat(files[2]).model.N == 16
