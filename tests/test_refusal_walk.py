"""The refusal walk (helpers/walk.py) finds a planted worked version, and what refuses it, without
the contract: recorded calls of a notebook function computing bigram sequence probabilities, which
rnncourse.bigram.sequence_probability reproduces."""

import itertools

import torch

import rnncourse.bigram as course
from rnncourse.course.kernel import checks

from helpers.walk import candidates, same, unrefused, walk

TABLE = torch.tensor([[0.8, 0.2], [0.4, 0.6]])


def by_hand(text):
    seq = torch.zeros(len(text), 2)
    seq[range(len(text)), ["ab".index(c) for c in text]] = 1.0
    want = torch.tensor(1.0)
    for previous, current in itertools.pairwise(text):
        want = want * TABLE["ab".index(previous), "ab".index(current)]
    return seq, want


def recorded(rules=(), hidden=True, wrong=False):
    """Calls as grading records them (grading/recording.py), made under `rules`."""
    calls = []
    for text in ("abba", "aaab", "babbbabbb"):
        seq, want = by_hand(text)
        calls.append({"question": "bigram", "hidden": hidden, "function": "sequence_probability",
                      "args": (seq, TABLE.clone()), "kwargs": {}, "rules": rules,
                      "result": want * 2 if wrong and text == "babbbabbb" else want})
    return calls


def rules_of(context):
    """The rules a test's `with` block sends along with its calls (checks.active_rules())."""
    with context:
        return checks.active_rules()


def found(calls):
    return [(question, function, callable_) for question, function, callable_, *_ in unrefused(walk(calls))]


def test_the_walk_is_not_vacuous():
    callables, failed = candidates()
    assert failed == [], f"modules of the package that could not be imported: {failed}"
    names = {c.name for c in callables}
    assert {"rnncourse.bigram.sequence_probability", "rnncourse.rnn.rnn_step",
            "rnncourse.numpy_rnn.rmsprop_nesterov_step"} <= names
    assert not any(name.startswith(("rnncourse.course", "rnncourse.lab_tests")) for name in names)
    report = walk(recorded())
    assert report.calls == 3 and report.callables_tried > 10, report


def test_an_unrefused_worked_version_is_reported():
    assert found(recorded()) == [("bigram", "sequence_probability", "rnncourse.bigram.sequence_probability")]


def test_a_refused_worked_version_is_not():
    assert found(recorded(rules_of(checks.refusing(course.sequence_probability)))) == []
    assert found(recorded(rules_of(checks.refusing_package()))) == []
    assert found(recorded(rules_of(checks.refusing_package(course.one_hot_sequence)))) == []


def test_what_the_question_allows_is_not_refused():
    allowed = rules_of(checks.refusing_package(course.sequence_probability))
    assert found(recorded(allowed)) == [("bigram", "sequence_probability", "rnncourse.bigram.sequence_probability")]


def test_a_function_that_misses_one_call_or_public_calls_are_left_alone():
    assert found(recorded(wrong=True)) == []
    assert found(recorded(hidden=False)) == []


def test_answers_compare_by_structure_and_value():
    assert same((torch.tensor([1.0, 2.0]), [3]), [torch.tensor([1.0, 2.0]).numpy(), (3.0,)])
    assert not same((torch.tensor([1.0, 2.0]),), (torch.tensor([1.0, 2.0 + 1e-5]),))
    assert not same(torch.tensor(1.0), [torch.tensor(1.0)])
    assert not same(True, 1) and not same("1", 1)
    assert same({"a": 1.0}, {"a": torch.tensor(1.0)}) and not same({"a": 1.0}, {"b": 1.0})
