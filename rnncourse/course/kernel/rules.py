"""The rules a test may put around a call, as they act inside the kernel that runs the answer.

    by_hand()               autograd, torch's recurrent modules and their kernels raise ShortcutError
    refusing(f, ...)        the functions f (the course package's own, or a library's) raise AssertionError
    python_steps(f, *args)  (f(*args), lines of notebook code run): a Python loop shows as a count
                            that grows with the input

A test asks for them through checks.py, which applies them here when the answer runs in this
process, and sends them along with the call when it runs in a grading kernel (server.py).
"""

import contextlib
import inspect
import re
import sys
import sysconfig
from pathlib import Path

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
# The kernels those modules call (torch._VF.gru_cell, torch.lstm_cell, torch.ops.aten.gru, the fused
# CUDA and cuDNN ones, ...), by name, however they are reached.
RECURRENT_KERNELS = re.compile(r"^_?(thnn_fused_)?(gru|lstm|rnn_tanh|rnn_relu)(_cell)?$|^_?(cudnn|miopen|mkldnn)_rnn"
                               r"|^quantized_(gru|lstm|rnn_tanh|rnn_relu)_cell$|^_lstm_mps$")


class _NoRecurrentKernels(torch.overrides.TorchFunctionMode):
    """Every torch function goes through, except the recurrent kernels, which raise ShortcutError."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "").split(".")[0]
        if RECURRENT_KERNELS.search(name):
            raise ShortcutError(f"this answer ran torch's {name} kernel: the question asks for the step written out "
                                "by hand, with matrix products and the nonlinearities of the text")
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def by_hand():
    """A context in which autograd and torch's recurrent modules raise ShortcutError.

    Autograd is stopped at its engine, so no alias of backward or grad gets past it; the modules
    (nn.RNN, nn.LSTM, nn.GRU and their cells) are stopped in their forward methods, and the kernels
    they run (torch._VF.gru_cell and the like, under any of torch's names) as they are called.
    """
    variable = torch.autograd.variable.Variable
    engine = variable._execution_engine
    forwards = {cls: cls.__dict__["forward"] for cls in _recurrent_classes()}
    variable._execution_engine = _NoEngine(engine)
    for cls in forwards:
        cls.forward = _no_module(f"nn.{cls.__name__}")
    try:
        with _NoRecurrentKernels():
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


def _refusal(function):
    """The code of a stand-in for `function` that raises an AssertionError saying what was refused."""
    if function.__module__.split(".")[0] == "rnncourse":
        message = "this answer calls the course package's own worked version; write it yourself"
    else:
        message = (f"this answer calls {function.__module__}.{function.__qualname__}, which does what the question "
                   "asks you to write yourself")
    namespace = {}
    exec(f"def refuse(*args, **kwargs):\n    raise AssertionError({message!r})", namespace)
    return namespace["refuse"].__code__.replace(co_name=function.__name__)


@contextlib.contextmanager
def refusing(*functions):
    """A context in which each of `functions` (functions or methods of rnncourse, or of a library
    such as torch.nn.utils.clip_grad_norm_) raises an AssertionError, however it was imported: an
    answer must not hand its question to a worked version. A wrapper made with functools.wraps is
    followed to the function it wraps. (The stand-in runs in the function's own module, so it
    raises a built-in error.)"""
    kept = {}
    for function in functions:
        function = inspect.unwrap(getattr(function, "__func__", function))
        if function.__code__.co_freevars:
            raise ValueError(f"refusing() cannot stand in for {function.__qualname__}, a closure")
        kept[function] = function.__code__
        function.__code__ = _refusal(function)
    try:
        yield
    finally:
        for function, code in kept.items():
            function.__code__ = code


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
