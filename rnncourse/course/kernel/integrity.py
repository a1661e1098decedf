"""What a submission must leave alone in its kernel, and whether it did: the test machinery.

Grading does not depend on it: the kernel's answers are checked in the grader whatever the kernel
runs. But a submission that replaces Otter's test runner, a comparison function or the course's
own checks is trying to change its grade, and the TA should hear of it. watch() records the
objects below when the kernel starts; changed() names those that were replaced since, or whose
code was (best effort: a kernel that tampers can also lie about it).
"""

import importlib
import inspect

WATCHED = {
    "otter.test_files.exception_test": ("ExceptionTestFile.run", "ExceptionTestFile._generate_error_message",
                                        "test_case.call_func", "test_case.__call__"),
    "otter.test_files.abstract_test": ("TestFile.score", "TestFile.grade", "TestFile.passed_all"),
    "otter.check.notebook": ("Notebook.check",),
    "torch": ("allclose", "equal", "isclose", "testing.assert_close"),
    "numpy": ("allclose", "array_equal", "isclose", "testing.assert_allclose", "testing.assert_array_equal"),
    "math": ("isclose",),
    "rnncourse.course.kernel.checks": ("by_hand", "refusing", "unchanged", "python_steps", "replay", "probe"),
    "rnncourse.course.kernel.rules": ("by_hand", "refusing", "python_steps"),
    "rnncourse.course.kernel.server": ("Server.serve", "Server.op_call", "Server.op_cells", "Server.op_steps",
                                       "applied", "after_call", "state"),
    "rnncourse.course.kernel.wire": ("Encoder.encode", "send_frame", "dumps_reply"),
}

_recorded = {}


def _lookup(module, path):
    """The object at `path` in `module`, as stored (a class's attribute without its descriptor
    run: Otter's methods are wrappers made anew at each access)."""
    obj = importlib.import_module(module)
    for part in path.split("."):
        obj = inspect.getattr_static(obj, part)
    return obj


def _fingerprint(obj):
    """The object and, for a function or a property, the code it runs."""
    target = getattr(obj, "fget", obj)
    return obj, getattr(target, "__code__", None)


def watch():
    """Record what the watched names are now (call before any submission code runs)."""
    for module, paths in WATCHED.items():
        for path in paths:
            try:
                _recorded[f"{module}.{path}"] = _fingerprint(_lookup(module, path))
            except (ImportError, AttributeError):
                pass


def changed():
    """The watched names that now name another object, or whose code changed."""
    found = []
    for name, (obj, code) in _recorded.items():
        module = next(m for m in WATCHED if name.startswith(m + "."))
        try:
            now, now_code = _fingerprint(_lookup(module, name[len(module) + 1:]))
        except (ImportError, AttributeError):
            found.append(f"{name} was removed")
            continue
        if now is not obj:
            found.append(f"{name} was replaced")
        elif now_code is not code:
            found.append(f"the code of {name} was replaced")
    return found
