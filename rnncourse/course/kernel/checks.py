"""How the labs' tests look at the way an answer was computed, and not only at its values.

Every requirement checked here is stated in the lab's text where it applies:

    with by_hand(): ...            inside, autograd (backward, torch.autograd.grad, torch.func) and
                                   torch's recurrent modules (nn.RNN, nn.RNNCell, ...) raise
                                   ShortcutError: for questions that ask for a gradient or a step
                                   worked out by hand
    unchanged(f, *args)            f(*args), failing if f changed a tensor or array it was given
    python_steps(f, *args)         (f(*args), how many lines of notebook code ran): a Python loop
                                   over the input shows as a count that grows with its length
    replay(env, names, **inputs)   the notebook's cell that computes `names` run again on other
                                   inputs: for answers written as lines in a cell, not a function
    with refusing(f, ...): ...     inside, the course package's own functions f raise AssertionError:
                                   rnncourse holds worked versions of some answers, for later labs
"""

import ast
import contextlib
import inspect
import sys
import sysconfig
from pathlib import Path

import numpy as np
import torch


class ShortcutError(AssertionError):
    """Raised inside by_hand() when an answer hands the work to autograd or a recurrent module."""


class _NoEngine:
    """Stands in for torch's autograd engine: any backward pass stops here, the rest goes through."""

    def __init__(self, engine):
        self._engine = engine

    def run_backward(self, *args, **kwargs):
        raise ShortcutError("this answer called autograd (backward(), torch.autograd.grad or torch.func): the "
                            "question asks for the derivative worked out by hand, with the formulas of the text")

    def __getattr__(self, name):
        return getattr(self._engine, name)


def _no_module(name):
    def forward(self, *args, **kwargs):
        raise ShortcutError(f"this answer ran torch's {name}: the question asks for the step written out by "
                            "hand, with matrix products and the nonlinearity of the text")
    return forward


RECURRENT_MODULES = (torch.nn.RNNBase, torch.nn.RNNCellBase)


@contextlib.contextmanager
def by_hand():
    """A context in which autograd and torch's recurrent modules raise ShortcutError.

    Autograd is stopped at its engine, so no alias of backward or grad gets past it; the modules
    (nn.RNN, nn.LSTM, nn.GRU and their cells) are stopped in their forward methods.
    """
    variable = torch.autograd.variable.Variable
    engine = variable._execution_engine
    forwards = {cls: cls.__dict__["forward"] for cls in _recurrent_classes()}
    variable._execution_engine = _NoEngine(engine)
    for cls in forwards:
        cls.forward = _no_module(f"nn.{cls.__name__}")
    try:
        yield
    finally:
        variable._execution_engine = engine
        for cls, forward in forwards.items():
            cls.forward = forward


def _recurrent_classes():
    found, todo = [], list(RECURRENT_MODULES)
    while todo:
        cls = todo.pop()
        if "forward" in cls.__dict__:
            found.append(cls)
        todo += cls.__subclasses__()
    return found


@contextlib.contextmanager
def refusing(*functions):
    """A context in which each of `functions` (functions or methods of rnncourse) raises an
    AssertionError, however it was imported: an answer must not hand its question to the package's
    worked version. (The stand-in runs in the function's own module, so it raises a built-in error.)"""
    def refuse(*args, **kwargs):
        raise AssertionError("this answer calls the course package's own worked version; write it yourself")
    kept = {}
    for function in functions:
        function = getattr(function, "__func__", function)
        if function.__code__.co_freevars:
            raise ValueError(f"refusing() cannot stand in for {function.__qualname__}, a closure")
        kept[function] = function.__code__
        function.__code__ = refuse.__code__.replace(co_name=function.__name__)
    try:
        yield
    finally:
        for function, code in kept.items():
            function.__code__ = code


_UNTRACKED = object()     # an argument unchanged() does not look into (a model, a generator)


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return (type(value), {k: _snapshot(v) for k, v in items})
    if value is None or isinstance(value, (bool, int, float, complex, str, np.number)):
        return value
    return _UNTRACKED


def _same(before, after):
    if before is _UNTRACKED:
        return True
    if isinstance(before, torch.Tensor):
        return isinstance(after, torch.Tensor) and before.shape == after.shape and \
            bool(torch.equal(before, after.detach()))
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and \
            bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, tuple) and len(before) == 2 and isinstance(before[0], type):
        kind, items = before
        if not isinstance(after, kind) or len(after) != len(items):
            return False
        now = after.items() if isinstance(after, dict) else enumerate(after)
        return all(k in items and _same(items[k], v) for k, v in now)
    return before == after or (before != before and after != after)     # NaN stays NaN


def unchanged(call, *args, **kwargs):
    """Return call(*args, **kwargs); fail (AssertionError) if the call changed, in place, any tensor,
    array, list, tuple or dict among its arguments (at any depth), naming the argument."""
    try:
        bound = inspect.signature(call).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {**{f"argument {i + 1}": a for i, a in enumerate(args)}, **kwargs}
    before = {name: _snapshot(value) for name, value in bound.items()}
    result = call(*args, **kwargs)
    for name, value in bound.items():
        if not _same(before[name], value):
            raise AssertionError(f"{getattr(call, '__name__', 'the function')} changed its argument {name} in "
                                 "place: leave the inputs as they are and compute new tensors (use x.clone() "
                                 "or x.copy() first if you need a working copy)")
    return result


def _library_folders():
    paths = sysconfig.get_paths()
    folders = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    folders |= {sys.prefix, sys.base_prefix, str(Path(torch.__file__).parent), str(Path(__file__).parent)}
    return tuple(str(Path(f).resolve()) for f in folders)


def python_steps(call, *args, **kwargs):
    """(call(*args, **kwargs), lines): how many lines of code outside Python, its libraries and
    rnncourse ran during the call, counting each pass through a loop or comprehension again."""
    libraries = _library_folders()
    lines = 0

    def trace(frame, event, arg):
        nonlocal lines
        filename = frame.f_code.co_filename
        if filename.startswith(libraries) or filename.startswith("<frozen"):
            return None
        if event == "line":
            lines += 1
        return trace

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        result = call(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return result, lines


def _binds(source, names):
    """Whether the cell `source` assigns every one of `names` at its top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    bound = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for name in ast.walk(target) if target is not None else ():
                if isinstance(name, ast.Name):
                    bound.add(name.id)
    return set(names) <= bound


def replay(env, names, **inputs):
    """Run again the last cell of the notebook that assigns all of `names`, with `inputs` in place of
    the notebook's own values; return the namespace it ran in (a copy: the notebook is untouched).

    env: the notebook's globals, as Otter gives them to a test that takes `env`; its input history
    (IPython's `In`) holds the cells as they ran.
    """
    for source in reversed(env.get("In") or []):
        if _binds(source, names):
            break
    else:
        raise AssertionError(f"no cell computes {', '.join(names)}: compute them in the answer cell, as asked")
    namespace = {**env, **inputs}
    exec(compile(source, "<the answer cell, run again on other inputs>", "exec"), namespace)
    return namespace


__all__ = ["ShortcutError", "by_hand", "python_steps", "refusing", "replay", "unchanged"]
