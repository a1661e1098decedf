"""rnncourse.rate.tasks: inputs, labels, targets and correctness rules against the numbers of
spikeRNN's main.py / model.py (docs/reference/rate-model.md, section 6), and the registry."""

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
import torch

from rnncourse.rate.tasks import TASKS, XOR, GoNoGo, Mante, Task, Trials, get_task, register_task


def draw(task, n=400, seed=0):
    return task.trials(n, torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- Go-NoGo

def test_go_nogo_inputs_and_targets():
    """T=200; Go: u[0, 50:75] = 1 (125 ms pulse) and z[75:] = 1; NoGo: u = 0, z = 0; p(Go) = 0.5."""
    trials = draw(GoNoGo())
    u, labels, z = trials.u.numpy(), trials.labels.numpy(), trials.z.numpy()
    assert u.shape == (400, 1, 200) and z.shape == (400, 200) and set(labels.tolist()) == {0.0, 1.0}
    go = labels == 1
    pulse = np.zeros(200)
    pulse[50:75] = 1
    target = np.zeros(200)
    target[75:] = 1
    assert (u[go, 0] == pulse).all() and (u[~go] == 0).all()
    assert (z[go] == target).all() and (z[~go] == 0).all()
    assert abs(go.mean() - 0.5) < 0.1


def test_go_nogo_longer_pulse_is_one_setting():
    """The seed's exercise: a longer Go pulse is get_task('go-nogo', stim_dur=50): u[50:100], z[100:]."""
    trials = draw(get_task("go-nogo", stim_dur=50), 50)
    go = trials.labels == 1
    assert (trials.u[go, 0, 50:100] == 1).all() and (trials.u[go, 0, 100:] == 0).all()
    assert (trials.z[go, 100:] == 1).all() and (trials.z[go, :100] == 0).all()


def test_go_nogo_correctness_rule():
    """Go is right when max o[75:] > 0.7; NoGo when max |o[75:]| < 0.3; o[:75] is not scored."""
    task = GoNoGo()
    o = torch.zeros(6, 199)
    o[0, 120] = 0.71   # Go, high enough
    o[1, 120] = 0.69   # Go, too low
    o[2, 74] = 5.0     # Go: a peak before the window does not count
    o[3, 100] = 0.29   # NoGo, quiet enough
    o[4, 150] = -0.31  # NoGo: |o| too large
    o[5, 74] = 5.0     # NoGo: outside the window
    labels = torch.tensor([1.0, 1, 1, 0, 0, 0])
    assert task.correct(o, labels).tolist() == [True, False, False, True, False, True]
    assert task.scored_outputs == slice(75, None)


# ---------------------------------------------------------------- XOR

def test_xor_inputs_labels_and_targets():
    """T=300; u[0, 50:100] and u[1, 110:160] are +-1; label +1 ('same') iff the signs agree;
    z[170:270] = label and 0 elsewhere (also 270..299); all four sign pairs occur."""
    trials = draw(XOR())
    u, labels, z = trials.u.numpy(), trials.labels.numpy(), trials.z.numpy()
    assert u.shape == (400, 2, 300)
    first, second = u[:, 0, 50], u[:, 1, 110]
    assert set(first.tolist()) == {-1.0, 1.0} and set(second.tolist()) == {-1.0, 1.0}
    assert (u[:, 0, 50:100] == first[:, None]).all() and (u[:, 1, 110:160] == second[:, None]).all()
    assert (u[:, 0, :50] == 0).all() and (u[:, 0, 100:] == 0).all()
    assert (u[:, 1, :110] == 0).all() and (u[:, 1, 160:] == 0).all()
    assert (labels == first * second).all()
    assert (z[:, 170:270] == labels[:, None]).all()
    assert (z[:, :170] == 0).all() and (z[:, 270:] == 0).all()
    assert len({(a, b) for a, b in zip(first, second)}) == 4


def test_xor_correctness_rule_scores_outputs_200_on():
    """'same' right when max o[200:] > 0.7, 'diff' when min o[200:] < -0.7 (spikeRNN's hard-coded 200)."""
    task = XOR()
    o = torch.zeros(5, 299)
    o[0, 200] = 0.8
    o[1, 199] = 0.8    # before the window
    o[2, 298] = -0.75
    o[3, 250] = 0.9    # 'diff' needs a negative excursion
    o[4, 230] = -0.69
    labels = torch.tensor([1.0, 1, -1, -1, -1])
    assert task.correct(o, labels).tolist() == [True, False, True, False, False]
    assert task.mat_labels(labels) == ["same", "same", "diff", "diff", "diff"]
    assert task.labels_from_mat(np.array(["same", "diff"])).tolist() == [1.0, -1.0]


# ---------------------------------------------------------------- Mante

def test_mante_inputs_labels_and_targets():
    """T=500; u[0], u[1] = N(0,1) + offset (+-0.5) over 50:250 and 0 elsewhere; exactly one of the
    context rows u[2], u[3] is 1 for the whole trial; label = the cued modality's sign; z[250:] = label."""
    trials = draw(Mante())
    u, labels, z = trials.u.numpy(), trials.labels.numpy(), trials.z.numpy()
    assert u.shape == (400, 4, 500)
    assert (u[:, :2, :50] == 0).all() and (u[:, :2, 250:] == 0).all()
    means = u[:, :2, 50:250].mean(2)   # offset +- 0.5, noise SD of a mean of 200: 0.07
    signs = np.sign(means)
    assert (np.abs(np.abs(means) - 0.5) < 0.3).all()
    residual = u[:, :2, 50:250] - 0.5 * signs[:, :, None]
    assert residual.std() == pytest.approx(1.0, rel=0.02)
    context = u[:, 2:, :]
    assert ((context == 0) | (context == 1)).all() and (context.sum(1) == 1).all()
    assert (context == context[:, :, :1]).all(), "context is constant over the trial"
    cue_first = u[:, 2, 0] == 1
    assert (labels == np.where(cue_first, signs[:, 0], signs[:, 1])).all()
    assert (z[:, 250:] == labels[:, None]).all() and (z[:, :250] == 0).all()
    assert 0.35 < cue_first.mean() < 0.65


def test_mante_correctness_rule_scores_the_last_200_outputs():
    """+1 right when max o[-200:] > 0.7, -1 when min o[-200:] < -0.7: o[299] counts, o[298] not."""
    task = Mante()
    o = torch.zeros(4, 499)
    o[0, 299] = 0.8
    o[1, 298] = 0.8
    o[2, 498] = -0.8
    o[3, 400] = -0.6
    labels = torch.tensor([1.0, 1, -1, -1])
    assert task.correct(o, labels).tolist() == [True, False, True, False]
    assert task.scored_outputs == slice(299, None)


def test_trials_are_reproducible_from_the_generator_and_go_to_the_device():
    a, b = draw(Mante(), 5, seed=3), draw(Mante(), 5, seed=3)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.u, draw(Mante(), 5, seed=4).u)
    assert a.u.dtype == torch.float32 and a.z.dtype == torch.float32


# ---------------------------------------------------------------- registry

def test_get_task_by_name_case_insensitive_with_settings():
    assert isinstance(get_task("Go-NoGo"), GoNoGo) and isinstance(get_task("XOR"), XOR)
    assert get_task("mante", stim_dur=100).stim_dur == 100
    assert set(TASKS) >= {"go-nogo", "xor", "mante"}
    assert get_task("go-nogo").stop_after_trial == 1500 and get_task("xor").stop_after_trial == -1


def test_get_task_errors_name_the_problem():
    with pytest.raises(ValueError, match="Unknown task 'sine'.*go-nogo"):
        get_task("sine")
    with pytest.raises(ValueError, match="no setting delay.*stim_dur"):
        get_task("go-nogo", delay=10)


def test_a_new_task_is_one_small_definition():
    """A registered dataclass with trials/scored_outputs/correct works with get_task, a model and evaluate."""
    from rnncourse.rate.evaluation import evaluate
    from rnncourse.rate.model import RateRNN

    @register_task
    @dataclass(frozen=True, kw_only=True)
    class Hold(Task):
        """Output +1 after a pulse, always."""
        name: ClassVar[str] = "hold-test"
        n_inputs: ClassVar[int] = 1
        T: int = 40
        stim_on: int = 5
        stim_dur: int = 5

        def trials(self, batch, generator=None, device=None):
            u = torch.zeros(batch, 1, self.T)
            u[:, 0, self.stim_on:self.stim_on + self.stim_dur] = 1
            z = torch.zeros(batch, self.T)
            z[:, self.stim_on + self.stim_dur:] = 1
            return Trials(u.to(device), torch.ones(batch, device=device), z.to(device))

        @property
        def scored_outputs(self):
            return slice(self.stim_on + self.stim_dur, None)

        def correct(self, o, labels):
            return o[:, self.scored_outputs].amax(1) > self.amp_threshold

    try:
        task = get_task("hold-test", T=30)
        evaluation = evaluate(RateRNN(10, 1, seed=0), task, 7, seed=0)
        assert evaluation.outputs.shape == (7, 29)
        assert evaluation.accuracy == 0.0   # an untrained readout (SD 0.01) never reaches 0.7
    finally:
        del TASKS["hold-test"]
