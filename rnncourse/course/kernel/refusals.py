"""Refusing the course package's worked versions of answers, by code rather than by name.

    refusing(f, ...)            the functions f (the package's, or a library's) and any copy of
                                their code fail the answer
    refusing_package(g, ...)    notebook code may call none of the package's teaching code but g, ...

A copy is found by its code's fingerprint (watch.fingerprint), so types.FunctionType on the code,
exec of the source or a second import of the module are refused as the original is; a call is
refused whatever it is named or called on, a stand-in object included. Both rules act through
the watch (watch.py), so catching the error does not help and undoing them fails the answer.
"""

import contextlib
import inspect
import sys
from pathlib import Path

from .watch import fingerprint, is_notebook_code, library_folders, watching

__all__ = ["refusing", "refusing_package"]


def _shape(code):
    return code.co_argcount, code.co_kwonlyargcount, frozenset(code.co_names)



def _refusal(function):
    """What refusing `function` says: the course package's worked version, or a library's."""
    if function.__module__.split(".")[0] == "rnncourse":
        return f"this answer calls the course package's own worked version ({function.__qualname__}): write it yourself"
    return (f"this answer calls {function.__module__}.{function.__qualname__}, which does what the question "
            "asks you to write yourself")


def _stand_in(function):
    """Code for `function` that raises an AssertionError saying what was refused (it runs in the
    function's own module, so it raises a built-in error)."""
    namespace = {}
    exec(f"def refuse(*args, **kwargs):\n    raise AssertionError({_refusal(function)!r})", namespace)
    return namespace["refuse"].__code__.replace(co_name=function.__name__)


@contextlib.contextmanager
def refusing(*functions):
    """A context in which each of `functions` (of rnncourse, or of a library such as
    torch.nn.utils.clip_grad_norm_; a functools.wraps wrapper is followed to what it wraps) fails
    the answer, and so does any function whose code is a copy of one of them (types.FunctionType on
    its code, exec of its source, a second import of its module), whatever it is called and
    whatever object it is called on."""
    originals = [inspect.unwrap(getattr(f, "__func__", f)) for f in functions]
    for function in originals:
        if function.__code__.co_freevars:
            raise ValueError(f"refusing() cannot stand in for {function.__qualname__}, a closure")
    refused = {fingerprint(f.__code__): f for f in originals}
    seen = {}
    shapes = {_shape(f.__code__) for f in originals}      # a cheap first look, before the full fingerprint

    def on_call(frame):
        code = frame.f_code
        if code not in seen:
            seen[code] = refused.get(fingerprint(code)) if _shape(code) in shapes else None
        return _refusal(seen[code]) if seen[code] else None

    codes = {f: f.__code__ for f in originals}
    stand_ins = {f: _stand_in(f) for f in originals}
    for function in originals:
        function.__code__ = stand_ins[function]

    def codes_in_place():
        moved = [f.__qualname__ for f in originals if f.__code__ is not stand_ins[f]]
        return f"{', '.join(moved)} put back" if moved else None

    try:
        with watching("refusing", on_call, intact=[codes_in_place]):
            yield
    finally:
        for function, code in codes.items():
            function.__code__ = code


PACKAGE = Path(__file__).resolve().parents[2]                          # rnncourse/
TOOLING = (str(PACKAGE / "course"), str(PACKAGE / "lab_tests"))        # the course's machinery, not its teaching code


def _teaching_code(filename):
    return filename.startswith(str(PACKAGE)) and not filename.startswith(TOOLING)


_PACKAGE_CODE = {"modules": 0, "table": {}}    # fingerprints of the teaching code loaded so far, by shape


def _package_fingerprints():
    """{shape: {fingerprint: function}} of every function of rnncourse's teaching code in the modules
    loaded now (a copy of a function needs its module loaded, or its file read and run, which loads
    nothing: that copy's code still comes from a file of the package)."""
    if len(sys.modules) != _PACKAGE_CODE["modules"]:
        _PACKAGE_CODE["modules"] = len(sys.modules)
        for name, module in list(sys.modules.items()):
            if not name.startswith("rnncourse.") or not _teaching_code(getattr(module, "__file__", None) or ""):
                continue
            for value in list(vars(module).values()):
                for function in [value, *vars(value).values()] if isinstance(value, type) else [value]:
                    function = inspect.unwrap(getattr(function, "__func__", function))
                    code = getattr(function, "__code__", None)
                    if code is not None and _teaching_code(code.co_filename):
                        _PACKAGE_CODE["table"].setdefault(_shape(code), {})[fingerprint(code)] = function
    return _PACKAGE_CODE["table"]


@contextlib.contextmanager
def refusing_package(*allowed):
    """A context in which notebook code may call none of the course package's teaching code
    (rnncourse outside rnncourse.course) but the `allowed` functions, directly, through a torch
    module's call, on a stand-in object or as a copy of its code: every worked version the package
    holds of any question is refused at once, without naming it. What an allowed function calls
    in turn is its own business."""
    allowed_codes = {inspect.unwrap(getattr(f, "__func__", f)).__code__ for f in allowed}
    libraries = library_folders()
    seen = {}

    def entered_from_notebook(frame):
        """Whether the nearest caller that is the package's or the notebook's is the notebook's."""
        caller = frame.f_back
        while caller is not None:
            name = caller.f_code.co_filename
            if _teaching_code(name):
                return False
            if is_notebook_code(caller.f_code, libraries):
                return True
            caller = caller.f_back
        return False

    def on_call(frame):
        code = frame.f_code
        if code in allowed_codes:
            return None
        if _teaching_code(code.co_filename):
            return (f"this answer calls the course package's {code.co_qualname}: write the question's answer "
                    "yourself") if entered_from_notebook(frame) else None
        if is_notebook_code(code, libraries):
            if code not in seen:
                package = _package_fingerprints()
                seen[code] = package[_shape(code)].get(fingerprint(code)) if _shape(code) in package else None
            if seen[code] is not None:
                return (f"this answer runs a copy of the course package's {seen[code].__qualname__}: write the "
                        "question's answer yourself")
        return None

    with watching("refusing_package", on_call):
        yield
