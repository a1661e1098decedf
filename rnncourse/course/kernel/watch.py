"""Watching one call from inside the kernel: every Python function it runs (a profiler) and every
torch operation (a torch function mode).

A rule (rules.py) hands the watch its checks. A check that finds a forbidden route records it and
raises ShortcutError on the spot; because it was recorded, the verdict stands even if the answer
catches the error. When the call returns, the watch makes sure it is still in place (the profiler
set, its torch mode on the stack) along with whatever else the rule asks (`intact`): an answer that
took a check away fails as if it had taken the route the check guards.
"""

import contextlib
import dis
import sys
import sysconfig
from pathlib import Path

import torch
from torch.overrides import TorchFunctionMode


class ShortcutError(AssertionError):
    """A question's rule was broken: the answer took a route the question forbids, or removed a check."""


def library_folders():
    """Where Python, its installed packages and rnncourse live: code from there is not the notebook's."""
    paths = sysconfig.get_paths()
    folders = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    folders |= {sys.prefix, sys.base_prefix, str(Path(torch.__file__).parent), str(Path(__file__).parents[2])}
    return tuple(str(Path(f).resolve()) for f in folders)


def is_notebook_code(code, libraries):
    name = code.co_filename
    return not (name.startswith(libraries) or name.startswith("<frozen"))


# How one compiler may write what another writes otherwise: left out or read as the same.
UNCOUNTED_OPS = {"CACHE", "PRECALL", "PUSH_NULL", "RESUME", "NOP", "EXTENDED_ARG", "COPY_FREE_VARS", "MAKE_CELL",
                 "KW_NAMES"}
SAME_OPS = {"LOAD_METHOD": "LOAD_ATTR", "CALL_METHOD": "CALL", "CALL_FUNCTION": "CALL", "CALL_FUNCTION_KW": "CALL"}
JUMPS = set(dis.hasjrel) | set(dis.hasjabs)


def fingerprint(code):
    """What makes two code objects the same function, whatever their name, file, line numbers or
    the compiler that wrote them: the operations in order with the names and constants they use
    (nested code by its own fingerprint; jump targets left out, as they move with the code's size),
    and the docstring. The docstring is what tells a copy from an answer that, following the same
    formulas with the lab's names, compiles to the same operations."""
    ops = []
    for op in dis.get_instructions(code):
        if op.opname in UNCOUNTED_OPS:
            continue
        if op.opcode in JUMPS:
            argument = None
        elif hasattr(op.argval, "co_code"):
            argument = fingerprint(op.argval)
        else:
            argument = repr(op.argval)
        ops.append((SAME_OPS.get(op.opname, op.opname), argument))
    doc = code.co_consts[0] if code.co_consts and isinstance(code.co_consts[0], str) else None
    return tuple(ops), code.co_argcount, code.co_kwonlyargcount, doc


class _Mode(TorchFunctionMode):
    def __init__(self, check):
        super().__init__()
        self.check = check

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        self.check(func, args, kwargs, None)
        result = func(*args, **kwargs)
        self.check(func, args, kwargs, result)
        return result


def _function_modes():
    return [torch._C._get_function_stack_at(i) for i in range(torch._C._len_torch_function_stack())]


@contextlib.contextmanager
def watching(what, on_call=None, on_torch=None, intact=(), on_builtin=None):
    """A context that runs `on_call(frame)` for every Python function called inside it (its new frame),
    `on_builtin(function)` for every built-in function that notebook code calls (before it runs),
    and `on_torch(func, args, kwargs, result)` for every torch operation (before it runs, with
    result None, and after); each returns None or a problem (text). `intact`: callables returning
    a problem or None, checked on the way out. `what` names the rule in messages. Yields a
    `refuse(problem)` that rules' own stand-ins call."""
    violations = []

    def refuse(problem):
        violations.append(problem)
        raise ShortcutError(problem)

    previous = sys.getprofile()
    profiling = on_call is not None or on_builtin is not None
    libraries = library_folders()

    def profiler(frame, event, arg):
        if previous is not None:
            previous(frame, event, arg)
        if violations:
            return
        problem = None
        if event == "call" and on_call is not None:
            problem = on_call(frame)
        elif event == "c_call" and on_builtin is not None and is_notebook_code(frame.f_code, libraries):
            problem = on_builtin(arg)
        if problem:
            refuse(problem)

    def torch_check(func, args, kwargs, result):
        problem = on_torch(func, args, kwargs, result)
        if problem and not violations:
            refuse(problem)

    mode = _Mode(torch_check) if on_torch is not None else None
    if profiling:
        sys.setprofile(profiler)
    if mode is not None:
        mode.__enter__()
    failure = None
    try:
        yield refuse
    except BaseException as error:          # judged below: a recorded violation outranks it
        failure = error
    finally:
        undone = []
        if profiling and sys.getprofile() is not profiler:
            undone.append("the profiler was replaced")
        if mode is not None:
            modes = _function_modes()
            if modes and modes[-1] is mode:
                mode.__exit__(None, None, None)
            else:
                undone.append("its torch mode was taken off the stack")
                if mode in modes:
                    for _ in modes:
                        torch._C._pop_torch_function_stack()
                    for other in modes:
                        if other is not mode:
                            torch._C._push_on_torch_function_stack(other)
        if profiling:
            sys.setprofile(previous)
        undone += [problem for problem in (check() for check in intact) if problem]
    if violations:
        raise ShortcutError(violations[0]) from failure
    if undone:
        raise ShortcutError(f"this answer switched off the checks of {what} ({'; '.join(undone)}): "
                            "answers must leave them alone")
    if failure is not None:
        raise failure
