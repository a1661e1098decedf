"""The rules a test may put around a call, as they act inside the kernel that runs the answer.

    by_hand()               for work the text asks to be done by hand: no automatic differentiation
                            of any kind, no complex-step trick, no symbolic or numerical
                            differentiation library, no recurrent module or kernel of torch
    python_steps(f, *args)  (f(*args), steps): the lines of notebook code and the torch operations
                            run, so that a loop over the input shows as a count that grows with it

Each rule closes a class of routes, not a list of names: by_hand runs the call with autograd off
and a torch function mode that refuses any operation made with it switched back on (reverse mode,
however reached: backward, torch.autograd, torch.func, a new engine), any dual tensor (forward
mode) and any complex tensor, and a profiler that refuses the differentiation libraries' code and
notebook code that holds complex numbers (Python, NumPy, cmath). Routes are recorded as they are
taken, and every rule checks on the way out that its stand-ins are still in place (watch.py).

A test asks for the rules through checks.py, which applies them here when the answer runs in this
process, and sends them along with the call when it runs in a grading kernel (server.py).
"""

import contextlib
import re
import sys
import threading
from pathlib import Path

import torch

from .watch import ShortcutError, is_notebook_code, library_folders, watching

__all__ = ["ShortcutError", "by_hand", "python_steps"]

BY_HAND = ("the question asks for it worked out by hand, with the formulas of the text")
# torch functions that differentiate, and the kernels torch's recurrent modules run (torch._VF.gru_cell,
# torch.lstm_cell, torch.ops.aten.gru.input, the fused, cuDNN and quantized ones), by name however reached
DIFFERENTIATING_TORCH = {"backward", "_make_dual", "_unpack_dual", "make_dual", "unpack_dual"}
RECURRENT_KERNELS = re.compile(r"^_?(thnn_fused_)?(gru|lstm|rnn_tanh|rnn_relu)(_cell)?$|^_?(cudnn|miopen|mkldnn)_rnn"
                               r"|^quantized_(gru|lstm|rnn_tanh|rnn_relu)_cell$|^_lstm_mps$")
# packages and modules whose code differentiates, symbolically, numerically or automatically
DIFFERENTIATION_CODE = ("sympy", "numdifftools", "autograd", "jax", "findiff", "scipy/differentiate",
                        "scipy/optimize/_numdiff.py", "torch/autograd/functional.py", "torch/autograd/forward_ad.py",
                        "torch/autograd/gradcheck.py", "torch/func", "torch/_functorch")
# built-in functions that differentiate, switch autograd on, or take a check away, when notebook code calls them
REFUSED_BUILTINS = {"run_backward", "_set_grad_enabled", "_set_fwd_grad_enabled", "_enter_dual_level", "_make_dual",
                    "_unpack_dual", "_pop_torch_function_stack", "_pop_mode", "setprofile"}
COMPLEX_NAMES = {"complex", "cmath", "imag", "complex64", "complex128", "complex256", "complex_", "cfloat",
                 "cdouble", "csingle", "clongdouble", "view_as_complex", "polar", "iscomplex"}
RECURRENT_MODULES = (torch.nn.RNNBase, torch.nn.RNNCellBase)
_ENGINE = torch._C._ImperativeEngine      # restored from here, never from what the answer could reach


def _site_folders():
    return [str(Path(p).resolve()) for p in sys.path if p and Path(p).is_dir() and "-packages" in p]


def _differentiation_folders():
    roots = _site_folders()
    return tuple(f"{root}/{part}" + ("" if part.endswith(".py") else "/") for root in roots
                 for part in DIFFERENTIATION_CODE)


def complex_in_code(code, seen=None):
    """Why the code object (or code nested in it) works with complex numbers, or None."""
    seen = set() if seen is None else seen
    if id(code) in seen:
        return None
    seen.add(id(code))
    for const in code.co_consts:
        if isinstance(const, complex):
            return f"the complex number {const!r}"
        if isinstance(const, str) and const in COMPLEX_NAMES:
            return f"'{const}'"
        if hasattr(const, "co_code"):
            found = complex_in_code(const, seen)
            if found:
                return found
    names = COMPLEX_NAMES.intersection(code.co_names)
    return f"'{sorted(names)[0]}'" if names else None


def _tensors(value):
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _recurrent_classes():
    found, todo = [], list(RECURRENT_MODULES)
    while todo:
        cls = todo.pop()
        if "forward" in cls.__dict__:
            found.append(cls)
        todo += cls.__subclasses__()
    return found


@contextlib.contextmanager
def _replaced(replacements):
    """Set obj.name = value for each (obj, name, value), and put the originals back after."""
    originals = [(obj, name, obj.__dict__[name]) for obj, name, _ in replacements]
    for obj, name, value in replacements:
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, value in originals:
            setattr(obj, name, value)


@contextlib.contextmanager
def by_hand():
    """A context in which any automatic differentiation, complex arithmetic, differentiation library
    or recurrent module or kernel of torch fails the answer with ShortcutError."""
    libraries, maths = library_folders(), _differentiation_folders()
    scanned = {}

    def on_call(frame):
        code = frame.f_code
        if code.co_filename.startswith(maths):
            return f"this answer differentiated with a library ({Path(code.co_filename).name}): {BY_HAND}"
        if is_notebook_code(code, libraries):
            if code not in scanned:
                scanned[code] = complex_in_code(code)
            if scanned[code]:
                return f"this answer works with complex numbers ({scanned[code]}), a complex-step derivative: {BY_HAND}"
        return None

    def on_torch(func, args, kwargs, result):
        name = getattr(func, "__name__", "").split(".")[0]       # torch.ops overloads: gru_cell.default
        if torch.is_grad_enabled():
            return f"this answer switched autograd back on ({name}): {BY_HAND}"
        if name in DIFFERENTIATING_TORCH:
            return f"this answer ran torch's {name}: {BY_HAND}"
        if RECURRENT_KERNELS.search(name):
            return f"this answer ran torch's {name} kernel: {BY_HAND}"
        if any(t.is_complex() for t in _tensors((args, kwargs, result))):
            return f"this answer computed with complex tensors ({name}), a complex-step derivative: {BY_HAND}"
        return None

    def on_builtin(function):
        name = getattr(function, "__name__", "")
        return f"this answer called {name}, which autograd or the checks need: {BY_HAND}" \
            if name in REFUSED_BUILTINS else None

    box = {}        # the watch's refuse(), once it is on

    def refused(message):
        def stand_in(*args, **kwargs):
            box["refuse"](message)
        return stand_in

    autograd = refused(f"this answer called autograd (backward, torch.autograd.grad, torch.func): {BY_HAND}")

    class NoEngine:      # holds nothing: the real engine is made anew afterwards, not kept here
        run_backward = queue_callback = is_checkpoint_valid = staticmethod(autograd)

    replacements = [(torch._C, "_ImperativeEngine", autograd),
                    (sys.modules["torch.autograd.variable"], "ImperativeEngine", autograd),
                    (threading.Thread, "start", refused(f"this answer started a thread: {BY_HAND}"))]
    replacements += [(cls, "forward", refused(f"this answer ran torch's nn.{cls.__name__}: {BY_HAND}"))
                     for cls in _recurrent_classes()]
    variable, engine = torch.autograd.Variable, NoEngine()

    def patches_in_place():
        moved = [name for obj, name, value in replacements if obj.__dict__.get(name) is not value]
        moved += ["the autograd engine"] if variable.__dict__.get("_execution_engine") is not engine else []
        return f"{', '.join(moved)} put back" if moved else None

    def autograd_off():
        return "autograd switched back on" if torch.is_grad_enabled() else None

    variable._execution_engine = engine
    try:
        with torch.no_grad(), _replaced(replacements), watching("by_hand", on_call, on_torch,
                                                                [patches_in_place, autograd_off], on_builtin) as refuse:
            box["refuse"] = refuse
            yield
    finally:
        variable._execution_engine = _ENGINE()


def python_steps(call, *args, **kwargs):
    """(call(*args, **kwargs), steps): the lines of notebook code run during the call, each pass
    through a loop or comprehension counted again, plus the torch operations called. A loop hidden
    from the line counter (in map, over C functions) still shows in the torch operations; a removed
    or replaced line counter, or a thread started, fails the answer."""
    libraries = library_folders()
    lines = 0

    def trace(frame, event, arg):
        nonlocal lines
        if not is_notebook_code(frame.f_code, libraries):
            return None
        if event == "line":
            lines += 1
        return trace

    operations = 0

    def count(func, args, kwargs, result):
        nonlocal operations
        operations += result is None        # once per operation (before it runs)
        return None

    def refuse_thread(*args, **kwargs):
        raise ShortcutError("this answer started a thread: the work must show in this one")

    def counter_kept(function):
        name = getattr(function, "__name__", "")
        off = name in {"settrace", "_pop_torch_function_stack"}
        return "this answer switched off the line counter" if off else None

    def tracer_in_place():
        return "the line counter was replaced" if sys.gettrace() is not trace else None

    previous = sys.gettrace()
    sys.settrace(trace)
    try:
        with _replaced([(threading.Thread, "start", refuse_thread)]), \
                watching("python_steps", on_torch=count, intact=[tracer_in_place], on_builtin=counter_kept):
            result = call(*args, **kwargs)
    finally:
        sys.settrace(previous)
    return result, lines + operations
