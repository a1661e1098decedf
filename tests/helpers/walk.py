"""The refusals a lab needs, derived: the package's public callables replayed on the calls the hidden
tests made of the solution (grading/recording.py), each that reproduces an answer checked to be
refused for that call.

    candidates()            the package's public callables (cached): every module under rnncourse but
                            rnncourse.course, rnncourse.lab_tests and __main__ modules; each public
                            function defined there, the static and class methods of its public
                            classes, and their instance methods (tried where the first argument is
                            an instance of the class)
    walk(calls)             Walk: per hidden call, the callables whose signature binds its arguments
                            are called on copies of them, and those that give the recorded result
                            (same structure, numbers within rtol 1e-6) on every call of the
                            function are kept, refused or not
    unrefused(report)       what the walk found that no refusal covers, one line per notebook
                            function and callable
"""

import contextlib
import functools
import importlib
import inspect
import io
import os
import pkgutil
import signal
import tempfile
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

import rnncourse
from rnncourse.course.grading.recording import copy
from rnncourse.course.kernel.checks import close

TOOLING = ("rnncourse.course", "rnncourse.lab_tests")     # the course's machinery: refusing_package leaves it
LIMIT = 2.0                 # seconds a callable may run on one call's inputs
RTOL = 1e-6


@dataclass(frozen=True)
class Candidate:
    name: str               # rnncourse.bigram.sequence_probability, rnncourse.rate.model.RateRNN.forward
    call: object            # what is called: the function, or a class method bound to its class
    signature: inspect.Signature
    owner: type | None      # for an instance method: the class its first argument must be an instance of
    code: object            # the function itself, its wrappers and bound methods undone (what refusals name)


@dataclass
class Match:
    question: str
    function: str           # the notebook's function
    candidate: str          # the package's callable that gives its answer
    refused: bool           # refused for that call (refusing_package without it among the allowed, or refusing)


@dataclass
class Walk:
    matches: list = field(default_factory=list)     # a Match per (hidden call, callable reproducing its result)
    calls: int = 0          # the hidden calls walked
    tried: int = 0          # (call, callable) pairs whose signature binds, called
    callables: int = 0      # the package's public callables
    callables_tried: int = 0    # of those, the ones called on at least one call


def _own(value, module):
    return getattr(value, "__module__", None) == module.__name__


def _candidates_of(module):
    for name, value in sorted(vars(module).items()):
        if name.startswith("_"):
            continue
        if inspect.isfunction(value) and _own(value, module):
            yield f"{module.__name__}.{name}", value, None
        elif inspect.isclass(value) and _own(value, module):
            for method, attribute in sorted(vars(value).items()):
                if method.startswith("_"):
                    continue
                qualified = f"{module.__name__}.{name}.{method}"
                if isinstance(attribute, staticmethod):
                    yield qualified, attribute.__func__, None
                elif isinstance(attribute, classmethod):
                    yield qualified, getattr(value, method), None
                elif inspect.isfunction(attribute):
                    yield qualified, attribute, value


@functools.cache
def candidates():
    """([Candidate], [modules that failed to import, with why]), walked once per run."""
    os.environ.setdefault("MPLBACKEND", "agg")
    found, failed = [], []
    names = [m.name for m in pkgutil.walk_packages(rnncourse.__path__, "rnncourse.",
                                                   onerror=lambda name: failed.append(name))
             if not m.name.startswith(TOOLING) and m.name.rpartition(".")[2] != "__main__"]
    for name in names:          # not rnncourse itself: its one function, start_lab, is the door to the tooling
        try:
            module = importlib.import_module(name)
        except Exception as error:
            failed.append(f"{name} ({type(error).__name__}: {error})")
            continue
        for qualified, function, owner in _candidates_of(module):
            try:
                signature = inspect.signature(function)
            except (TypeError, ValueError):
                continue
            code = inspect.unwrap(getattr(function, "__func__", function))
            found.append(Candidate(qualified, function, signature, owner, code))
    return found, failed


class _Slow(BaseException):
    """A callable past LIMIT seconds (a BaseException, so that its own `except Exception` lets it go)."""


def _on_alarm(signum, frame):
    raise _Slow()


def _numeric(value):
    if isinstance(value, np.generic):
        return value.dtype.kind != "b"
    return isinstance(value, (torch.Tensor, np.ndarray, int, float)) and not isinstance(value, bool)


def informative(value):
    """Whether a result says something a coincidence would hardly repeat: numbers, text; not None,
    True or an empty container."""
    if isinstance(value, (list, tuple)):
        return any(informative(v) for v in value)
    if isinstance(value, dict):
        return any(informative(v) for v in value.values())
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return value.size != 0 if isinstance(value, np.ndarray) else value.numel() != 0
    return _numeric(value) or (isinstance(value, str) and value != "")


def same(got, want):
    """Whether `got` is the answer `want`: the same structure (a list for a tuple will do, a tensor
    for an array or a number), numbers within RTOL (checks.close)."""
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(map(same, got, want))
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same(got[k], want[k]) for k in want)
    if _numeric(want):
        if not _numeric(got):
            return False
        try:
            close(got, want, "", rtol=RTOL)
        except (AssertionError, RuntimeError, TypeError, ValueError):
            return False
        return True
    return type(got) is type(want) and got == want


def _resolve(module, qualname):
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        return inspect.unwrap(getattr(obj, "__func__", obj))
    except (ImportError, AttributeError, ValueError):
        return None


def refused(candidate, rules):
    """Whether the rules of a call (checks.active_rules()) refuse `candidate` for it."""
    code = candidate.code
    names = {(code.__module__, code.__qualname__)}
    for rule in rules:
        kind, listed = rule[0], [tuple(n) for n in (rule[1] if len(rule) > 1 else [])]
        named = bool(names & set(listed)) or any(_resolve(*n) is code for n in listed)
        if (kind == "refusing_package" and not named) or (kind == "refusing" and named):
            return True
    return False


@contextlib.contextmanager
def _sheltered():
    """Callables run in a folder of their own, silent, warnings off, figures closed after, and the
    torch and NumPy state they may change put back."""
    here, threads, dtype = os.getcwd(), torch.get_num_threads(), torch.get_default_dtype()
    grad, streams = torch.is_grad_enabled(), (torch.get_rng_state(), np.random.get_state())
    old = signal.signal(signal.SIGALRM, _on_alarm)
    with tempfile.TemporaryDirectory(prefix="walk-") as folder, warnings.catch_warnings(), \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        os.chdir(folder)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, old)
            os.chdir(here)
            torch.set_num_threads(threads)
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
            torch.set_rng_state(streams[0])
            np.random.set_state(streams[1])


def _close_figures():
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def attempt(candidate, args, kwargs):
    """(whether it ran, its result): `candidate` called on copies of the arguments, seeded, within LIMIT."""
    args, kwargs = copy(tuple(args)), copy(dict(kwargs))
    torch.manual_seed(0)
    np.random.seed(0)
    signal.setitimer(signal.ITIMER_REAL, LIMIT)
    try:
        return True, candidate.call(*args, **kwargs)
    except (Exception, SystemExit, _Slow):
        return False, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _close_figures()


def binds(candidate, args, kwargs):
    if candidate.owner is not None and not (args and isinstance(args[0], candidate.owner)):
        return False
    try:
        candidate.signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _binding(found, args, kwargs, cache):
    """The callables of `found` whose signature binds a call of this form (how many arguments, which
    keywords, the first argument's type), worked out once per form."""
    form = (len(args), tuple(sorted(kwargs)), type(args[0]) if args else None)
    if form not in cache:
        cache[form] = [candidate for candidate in found if binds(candidate, args, kwargs)]
    return cache[form]


def walk(calls, found=None):
    """The Walk of the recorded `calls` over the callables `found` (default: candidates()).

    Per notebook function of a question, its hidden calls with an informative result are replayed
    in order on every callable that binds their arguments; a callable that fails one (another
    result, an error, past LIMIT) is out for that function, as the test would fail an answer
    that used it. Those left reproduce the answer: a Match per call, refused or not.
    """
    found = candidates()[0] if found is None else found
    report = Walk(callables=len(found))
    groups = {}
    for call in calls:
        if call["hidden"] and informative(call["result"]):
            groups.setdefault((call["question"], call["function"]), []).append(call)
    tried, forms = set(), {}
    with _sheltered():
        for (question, function), group in groups.items():
            report.calls += len(group)
            out, kept = set(), {}
            for call in group:
                for candidate in _binding(found, call["args"], call["kwargs"], forms):
                    if candidate.name in out:
                        continue
                    tried.add(candidate.name)
                    report.tried += 1
                    ran, got = attempt(candidate, call["args"], call["kwargs"])
                    if ran and same(got, call["result"]):
                        kept.setdefault(candidate.name, []).append(
                            Match(question, function, candidate.name, refused(candidate, call["rules"])))
                    else:
                        out.add(candidate.name)
                        kept.pop(candidate.name, None)
            report.matches += [match for matches in kept.values() for match in matches]
    report.callables_tried = len(tried)
    return report


def unrefused(report):
    """[(question, function, callable, calls where it is not refused, note)] sorted: the note says
    whether the callable is refused on other calls of the question (enough for an all-or-nothing
    question, though not for the check)."""
    found = {}
    for match in report.matches:
        found.setdefault((match.question, match.function, match.candidate), []).append(match.refused)
    return [(*key, refusals.count(False), " (refused on its other calls)" if any(refusals) else "")
            for key, refusals in sorted(found.items()) if not all(refusals)]
