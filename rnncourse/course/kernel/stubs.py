"""Stub answers, run inside a notebook: the solution's answers turned into zeros of the same type and shape.

The grading contract (tests/test_grading_contract.py) hands in, for every question, the solved
notebook with that question's answer cell wrapped like this (see answers.stub_answer):

    _stubs = Stubs(globals(), names, methods)   # what the question's tests read, before the cell
    <the solution's answer cell>
    _stubs.replace()

replace() turns every name the cell bound or changed into its zero twin (zeros_like): a tensor
into zeros of its shape and dtype, a list into as many zeros, an object into a copy whose arrays
are zero, a function into one that returns zeros shaped like what the solution would return for
the same arguments (run on copies, so it changes nothing; a generator yields zeros), a class into
one whose methods that the student writes (`methods`) do the same. Such a stub passes every check of types and shapes,
even on fresh inputs, and nothing else: it must score 0.
"""

import copy
import functools
import math
import types

_MISSING = object()


def safe_copy(value):
    """A deep copy of `value`, or `value` itself where it cannot be copied (a module, a lock)."""
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


def zeros_like(value):
    """A value of the same type and shape as `value`, all zeros (False, "", zero arrays, ...)."""
    import numpy as np

    torch = _torch()
    if value is None or isinstance(value, type):
        return value
    if isinstance(value, (bool, np.bool_)):
        return type(value)(False)
    if isinstance(value, (int, float, complex, np.number)):
        return type(value)(0)
    if isinstance(value, str):
        return ""
    if torch is not None and isinstance(value, torch.Tensor):
        return torch.zeros_like(value)
    if isinstance(value, np.ndarray):
        return np.zeros_like(value)
    if isinstance(value, list):
        return [zeros_like(v) for v in value]
    if isinstance(value, tuple):
        items = [zeros_like(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else type(value)(items)
    if isinstance(value, dict):
        return type(value)((k, zeros_like(v)) for k, v in value.items())
    if _is_function(value):
        return zero_function(value)
    if isinstance(value, types.GeneratorType):     # what a generator function yields, as zeros
        return iter([zeros_like(v) for v in value])
    clone = safe_copy(value)        # an object (a model, a layer): the same object, its arrays zeroed
    if clone is not value:
        _zero_in_place(clone, set())
    return clone


def zero_function(solution):
    """A function that returns zeros shaped like `solution(*args)`, computed on copies of the args."""
    @functools.wraps(solution)
    def stub(*args, **kwargs):
        return zeros_like(solution(*safe_copy(args), **safe_copy(kwargs)))
    return stub


def zero_class(solution, methods):
    """A subclass of `solution` whose `methods` return zeros shaped like the solution's results."""
    def zero_method(name):
        original = getattr(solution, name)

        @functools.wraps(original)
        def stub(self, *args, **kwargs):
            return zeros_like(original(safe_copy(self), *safe_copy(args), **safe_copy(kwargs)))
        return stub
    return type(solution.__name__, (solution,), {name: zero_method(name) for name in methods})


class Stubs:
    """Remembers the values of `names` in the notebook's globals, then replaces those the cell changed."""

    def __init__(self, namespace, names, methods=None):
        self.namespace, self.methods = namespace, methods or {}
        self.before = {n: (namespace.get(n, _MISSING), safe_copy(namespace.get(n, _MISSING))) for n in names}

    def replace(self):
        for name, (original, snapshot) in self.before.items():
            now = self.namespace.get(name, _MISSING)
            if now is _MISSING or (now is original and same(now, snapshot)):
                continue
            if isinstance(now, type):
                if self.methods.get(name):
                    self.namespace[name] = zero_class(now, self.methods[name])
            else:
                self.namespace[name] = zeros_like(now)


def same(a, b):
    """Whether two values are equal as data (tensors, arrays, containers, objects by their attributes)."""
    import numpy as np

    torch = _torch()
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if torch is not None and isinstance(a, torch.Tensor):
        return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a.detach().cpu(), b.detach().cpu()))
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if hasattr(a, "__dict__") and not _is_function(a):
        if torch is not None and isinstance(a, torch.nn.Module):
            return same(a.state_dict(), b.state_dict())
        return same(vars(a), vars(b))
    try:
        return bool(a == b)
    except Exception:
        return False


def _zero_in_place(obj, seen):
    """Set every array and tensor reachable from `obj` through attributes and containers to zero."""
    import numpy as np

    torch = _torch()
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if torch is not None and isinstance(obj, torch.Tensor):
        with torch.no_grad():
            obj.zero_()
    elif isinstance(obj, np.ndarray):
        if obj.flags.writeable:
            obj[...] = 0
    elif isinstance(obj, (list, tuple, set)):
        for item in obj:
            _zero_in_place(item, seen)
    elif isinstance(obj, dict):
        for item in obj.values():
            _zero_in_place(item, seen)
    elif torch is not None and isinstance(obj, torch.nn.Module):
        for tensor in [*obj.parameters(), *obj.buffers()]:
            _zero_in_place(tensor, seen)
    elif hasattr(obj, "__dict__") and not _is_function(obj) and not isinstance(obj, type):
        for item in vars(obj).values():
            _zero_in_place(item, seen)


def _is_function(value):
    return isinstance(value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType, functools.partial))


def _torch():
    import sys

    return sys.modules.get("torch")
