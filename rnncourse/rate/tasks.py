"""spikeRNN's three cognitive tasks, generated a batch of trials at a time, and a registry of tasks.

Times are in steps of 5 ms. A task makes trials (inputs u (B, Nin, T), labels (B,), targets z
(B, T)) and says which network outputs o (B, T-1) count as correct; o[:, i] is read one step
after z[:, i] (spikeRNN's one-step offset), and the evaluation windows index o, as spikeRNN's do.

    Go-NoGo   T=200. Go (p=0.5): u[0, 50:75] = 1, label 1, z[75:] = 1. NoGo: u = 0, label 0, z = 0.
              Correct: Go if max o[75:] > 0.7; NoGo if max |o[75:]| < 0.3.
    XOR       T=300. u[0, 50:100] = +-1, u[1, 110:160] = +-1 (each sign p=0.5); label +1 ('same')
              when the signs agree, -1 ('diff') otherwise; z[170:270] = label.
              Correct over o[200:]: 'same' if max > 0.7, 'diff' if min < -0.7.
    Mante     T=500. Each of u[0], u[1] is N(0,1) noise + 0.5 or - 0.5 (p=0.5) over 50:250; the
              context u[2] = 1 (cue modality 1) or u[3] = 1 (modality 2) for the whole trial;
              label = the sign of the cued modality; z[250:] = label.
              Correct over o[-200:]: +1 if max > 0.7, -1 if min < -0.7.

A new task is one small frozen dataclass: its settings as fields, a class-level name and n_inputs,
`trials()`, `scored_outputs` and `correct()`, and @register_task. get_task("name", **settings)
builds one by name; every number above is a setting (spikeRNN hard-codes XOR's window start, 200).
"""

from dataclasses import dataclass, fields
from typing import ClassVar, NamedTuple

import numpy as np
import torch


class Trials(NamedTuple):
    """A batch of trials: u (B, n_inputs, T) inputs, labels (B,), z (B, T) targets (float32)."""
    u: torch.Tensor
    labels: torch.Tensor
    z: torch.Tensor


@dataclass(frozen=True, kw_only=True)
class Task:
    """What every task shares. amp_threshold: spikeRNN's eval_amp_threh (0.7). Training may stop
    only at a trial index tr > stop_after_trial (-1: at any evaluation)."""
    name: ClassVar[str]
    n_inputs: ClassVar[int]
    T: int
    stim_on: int
    stim_dur: int
    amp_threshold: float = 0.7
    stop_after_trial: int = -1

    def trials(self, batch, generator=None, device=None):
        """`batch` fresh random Trials drawn from `generator` (a CPU torch.Generator), put on `device`."""
        raise NotImplementedError

    @property
    def scored_outputs(self):
        """The slice of o (B, T-1) that the correctness rule reads."""
        raise NotImplementedError

    def correct(self, o, labels):
        """o (B, T-1) outputs, labels (B,) -> (B,) bool: which trials the network got right."""
        raise NotImplementedError

    def condition_names(self, trials):
        """One name per trial of a Trials batch, grouping trials that should look alike (plots)."""
        return [f"label {v:g}" for v in trials.labels.tolist()]

    def mat_labels(self, labels):
        """labels (B,) (array or CPU tensor) as spikeRNN saves eval_labels: a float array."""
        return np.asarray(labels, dtype=np.float64).ravel()

    def labels_from_mat(self, values):
        """Inverse of mat_labels, from what scipy.io.loadmat returns -> (B,) float tensor."""
        return torch.as_tensor(np.asarray(values, dtype=np.float64).ravel(), dtype=torch.float32)

    def settings(self):
        """The task's settings as a dict (field name -> value)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _signed_window_correct(window, labels, threshold):
    """+1 trials are right if the window's max exceeds threshold, -1 trials if its min is below -threshold."""
    return torch.where(labels > 0, window.amax(1) > threshold, window.amin(1) < -threshold)


def _coin(batch, generator, p=0.5):
    """(B,) bool, True with probability p: spikeRNN's `np.random.rand() <= p`."""
    return torch.rand(batch, generator=generator) <= p


TASKS = {}


def register_task(cls):
    """Class decorator: make a Task subclass available to get_task (and the command line) by its name."""
    TASKS[cls.name] = cls
    return cls


def as_task(task):
    """`task` itself if it is a Task, else the task of that name (get_task)."""
    return task if isinstance(task, Task) else get_task(task)


def get_task(name, **settings):
    """The task called `name` (case-insensitive, e.g. 'go-nogo', 'xor', 'mante') with its default
    settings, some replaced by keyword, e.g. get_task('go-nogo', stim_dur=50)."""
    key = str(name).lower()
    if key not in TASKS:
        raise ValueError(f"Unknown task {name!r}: use one of {', '.join(sorted(TASKS))}.")
    allowed = {f.name for f in fields(TASKS[key])}
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise ValueError(f"Task {key!r} has no setting {', '.join(unknown)}; its settings are "
                         f"{', '.join(sorted(allowed))}.")
    return TASKS[key](**settings)


@register_task
@dataclass(frozen=True, kw_only=True)
class GoNoGo(Task):
    """Respond (output 1) after an input pulse, stay at 0 without one. nogo_threshold: the largest
    |o| a NoGo trial may show."""
    name: ClassVar[str] = "go-nogo"
    n_inputs: ClassVar[int] = 1
    T: int = 200
    stim_on: int = 50
    stim_dur: int = 25
    nogo_threshold: float = 0.3
    stop_after_trial: int = 1500   # spikeRNN: "to ensure that the trained rate model is stable"

    def trials(self, batch, generator=None, device=None):
        go = _coin(batch, generator)
        u = torch.zeros(batch, 1, self.T)
        u[go, 0, self.stim_on:self.stim_on + self.stim_dur] = 1
        z = torch.zeros(batch, self.T)
        z[go, self.stim_on + self.stim_dur:] = 1
        return Trials(u.to(device), go.float().to(device), z.to(device))

    @property
    def scored_outputs(self):
        return slice(self.stim_on + self.stim_dur, None)

    def correct(self, o, labels):
        window = o[:, self.scored_outputs]
        return torch.where(labels == 1, window.amax(1) > self.amp_threshold,
                           window.abs().amax(1) < self.nogo_threshold)

    def condition_names(self, trials):
        return ["Go" if v == 1 else "NoGo" for v in trials.labels.tolist()]


@register_task
@dataclass(frozen=True, kw_only=True)
class XOR(Task):
    """Delayed match / non-match ("temporal XOR"): two +-1 pulses `delay` apart; answer +1 if their
    signs agree, -1 if not, for response_dur steps starting response_delay after the second pulse.
    eval_start: first output index scored (spikeRNN hard-codes 200)."""
    name: ClassVar[str] = "xor"
    n_inputs: ClassVar[int] = 2
    T: int = 300
    stim_on: int = 50
    stim_dur: int = 50
    delay: int = 10
    response_delay: int = 10
    response_dur: int = 100
    eval_start: int = 200

    def trials(self, batch, generator=None, device=None):
        signs = torch.where(torch.rand(batch, 2, generator=generator) < 0.5, 1.0, -1.0)
        first = slice(self.stim_on, self.stim_on + self.stim_dur)
        second_on = self.stim_on + self.stim_dur + self.delay
        second = slice(second_on, second_on + self.stim_dur)
        u = torch.zeros(batch, 2, self.T)
        u[:, 0, first] = signs[:, :1]
        u[:, 1, second] = signs[:, 1:]
        labels = signs[:, 0] * signs[:, 1]
        answer_on = second_on + self.stim_dur + self.response_delay
        z = torch.zeros(batch, self.T)
        z[:, answer_on:answer_on + self.response_dur] = labels[:, None]
        return Trials(u.to(device), labels.to(device), z.to(device))

    @property
    def scored_outputs(self):
        return slice(self.eval_start, None)

    def correct(self, o, labels):
        return _signed_window_correct(o[:, self.scored_outputs], labels, self.amp_threshold)

    def condition_names(self, trials):
        signs = trials.u.amax(2) + trials.u.amin(2)   # the sign of each pulse, (B, 2)
        return [f"{a:+g} {b:+g} ({'same' if a == b else 'diff'})" for a, b in signs.tolist()]

    def mat_labels(self, labels):
        return ["same" if v > 0 else "diff" for v in np.asarray(labels).ravel()]

    def labels_from_mat(self, values):
        return torch.tensor([1.0 if str(name).strip() == "same" else -1.0 for name in np.ravel(values)])


@register_task
@dataclass(frozen=True, kw_only=True)
class Mante(Task):
    """Context-dependent integration (Mante et al. 2013): two noisy modalities, each with mean
    +offset or -offset; a context input says which one to report; answer its sign.
    eval_last: the number of final outputs scored."""
    name: ClassVar[str] = "mante"
    n_inputs: ClassVar[int] = 4
    T: int = 500
    stim_on: int = 50
    stim_dur: int = 200
    offset: float = 0.5
    eval_last: int = 200

    def trials(self, batch, generator=None, device=None):
        signs = torch.stack([torch.where(_coin(batch, generator), 1.0, -1.0) for _ in range(2)], 1)
        cue_first = _coin(batch, generator)
        return self.trials_with(self.offset * signs, cue_first, generator, device)

    def trials_with(self, offsets, cue_first, generator=None, device=None):
        """Trials with chosen evidence: offsets (B, 2), the means of the two noisy channels (N(0, 1)
        noise + offset over the stimulus); cue_first (B,) bool, True where the context asks for
        channel 1. labels (B,): the sign of the cued channel's offset (0 where it is 0)."""
        offsets = torch.as_tensor(offsets, dtype=torch.float32).reshape(-1, 2)
        cue_first = torch.as_tensor(cue_first, dtype=torch.bool).reshape(-1)
        batch = len(offsets)
        u = torch.zeros(batch, 4, self.T)
        noise = torch.randn(batch, 2, self.stim_dur, generator=generator)
        u[:, :2, self.stim_on:self.stim_on + self.stim_dur] = noise + offsets[:, :, None]
        u[:, 2] = cue_first[:, None].float()
        u[:, 3] = (~cue_first)[:, None].float()
        labels = torch.sign(torch.where(cue_first, offsets[:, 0], offsets[:, 1]))
        z = torch.zeros(batch, self.T)
        z[:, self.stim_on + self.stim_dur:] = labels[:, None]
        return Trials(u.to(device), labels.to(device), z.to(device))

    @property
    def scored_outputs(self):
        return slice(self.T - 1 - self.eval_last, None)   # the last eval_last of the T-1 outputs

    def correct(self, o, labels):
        return _signed_window_correct(o[:, self.scored_outputs], labels, self.amp_threshold)

    def condition_names(self, trials):
        context = torch.where(trials.u[:, 2, 0] == 1, 1, 2).tolist()
        return [f"context {c}, answer {v:+g}" for c, v in zip(context, trials.labels.tolist())]
