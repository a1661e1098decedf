"""What the tests asked of a submission's functions, recorded for the test suite when it asks.

    RNNCOURSE_RECORD_CALLS=1 rnncourse grade LAB SUBMISSIONS --out BOOK

keeps, beside each submission's result, BOOK/calls/<its result's file name>.pickle: every call a
test made through a proxy (proxies.py) to one of the notebook's functions (a def at its top level,
not a lambda or a closure another function returned) with plain data in and plain data out
(values.is_data: tensors, arrays, numbers, strings, None, and lists, tuples and dicts of those),
as a pickled list of dicts:

    question    the question whose test made the call     hidden    whether that test case is hidden
    function    the function's name in the notebook       args, kwargs, result    copies, as sent and received
    rules       checks.active_rules() for the call: ("by_hand",), ("refusing", [(module, qualname)]),
                ("refusing_package", [(module, qualname) of the allowed functions])

The suite's grading contract records the solution's calls this way, and a test replays them
against the package's own functions (tests/helpers/walk.py), to find the worked versions that no
refusal covers. Nothing is recorded without the variable: the grading path then only looks at a
module global per call. Docker grading records nothing.
"""

import contextlib
import contextvars
import os
import pickle
import shutil
from pathlib import Path

ENV = "RNNCOURSE_RECORD_CALLS"
FILE = "calls.pickle"       # in a grading process's work folder, until `rnncourse grade` keeps it
FOLDER = "calls"            # in the gradebook folder

_calls = None               # the list being recorded, in a grading process that records
_names = {}                 # a proxy's handle number -> the notebook function's name
_case = contextvars.ContextVar("rnncourse_recorded_case", default=(None, None))


def start():
    """Record this grading process's calls if the environment asks for it."""
    global _calls
    _calls = [] if os.environ.get(ENV) else None
    _names.clear()


def recording():
    return _calls is not None


@contextlib.contextmanager
def case(question, hidden):
    """The calls inside are made by a test case of `question`."""
    if _calls is None:
        yield
        return
    token = _case.set((question, hidden))
    try:
        yield
    finally:
        _case.reset(token)


def copy(value):
    """A copy of plain data that later changes to `value` leave alone."""
    import copy as copying

    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        return value.detach().clone().requires_grad_(value.requires_grad)
    if isinstance(value, np.ndarray):
        return value.copy()
    if type(value) in (list, tuple):
        return type(value)(copy(v) for v in value)
    if type(value) is dict:
        return {k: copy(v) for k, v in value.items()}
    return copying.deepcopy(value)


def before(proxy, args, kwargs):
    """What to keep of a call about to be made (None if it is not to be recorded)."""
    from ..kernel import checks, values

    if object.__getattribute__(proxy, "_type_name") != "builtins.function" \
            or not values.is_data(list(args)) or not values.is_data(dict(kwargs)):
        return None
    return {"args": copy(tuple(args)), "kwargs": copy(dict(kwargs)), "rules": checks.active_rules()}


def after(proxy, call, result):
    """Record the call `before` kept, now that it returned `result`."""
    from ..kernel import values

    if call is None or not values.is_data(result):
        return
    number = object.__getattribute__(proxy, "_number")
    if number not in _names:
        try:
            _names[number] = str(proxy.__qualname__)
        except Exception:
            _names[number] = ""
    if not _names[number].isidentifier():       # a lambda or a closure a function returned: no name of the notebook's
        return
    question, hidden = _case.get()
    _calls.append({"question": question, "hidden": hidden, "function": _names[number], **call,
                   "result": copy(result)})


def save(work):
    """Write what was recorded into the grading process's folder `work`."""
    if _calls is not None:
        (Path(work) / FILE).write_bytes(pickle.dumps(_calls, protocol=pickle.HIGHEST_PROTOCOL))


def path(gradebook, submission):
    """Where a gradebook folder keeps the recorded calls of a submission."""
    from .gradebook import result_file_name

    return Path(gradebook) / FOLDER / (Path(result_file_name(submission)).stem + ".pickle")


def keep(work, gradebook, submission):
    """Move a submission's recorded calls from its grading folder into the gradebook (when recording:
    a submission graded without any leaves none, and an older recording goes)."""
    if not os.environ.get(ENV):
        return
    target = path(gradebook, submission)
    target.parent.mkdir(exist_ok=True)
    recorded = Path(work) / FILE
    if recorded.is_file():
        shutil.move(recorded, target)
    else:
        target.unlink(missing_ok=True)


def load(path):
    """The recorded calls of a file that `keep` wrote (the suite's own file, written by grading: a
    pickle, read only by the suite)."""
    return pickle.loads(Path(path).read_bytes())
