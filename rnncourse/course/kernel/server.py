"""The kernel's side of grading: run a submission's cells, then answer the grader's questions.

The grader (rnncourse/course/grading/proxies.py) never runs a submission's code itself. It starts a
kernel process in a sandbox and talks to it over a socket (wire.py): first "run these cells", in an
IPython shell as a notebook runs them, then questions that its tests ask: the value of a name, an
attribute, a call of a function with these arguments (under the rules of checks.py the test
asked for), an item, the next value of an iterator. Values go back as plain data; anything else
stays here and goes back as a handle, which later questions name.

Nothing here decides a score: whatever this process answers, the grader compares it with its own
reference values. A submission that rewrites this module only changes what it answers.
"""

import contextlib
import inspect
import os
import sys
import traceback

from . import checks, integrity, values, wire


class Server:
    """The request loop over `sock`, with the notebook's namespace in an IPython shell."""

    def __init__(self, sock):
        self.sock = sock
        self.objects, self.numbers = {}, {}       # handle number -> object, id(object) -> handle number
        self.shell = None

    # ------------------------------------------------------------ handles

    def handle(self, obj):
        """The handle node of `obj`, numbered once for as long as this kernel lives."""
        number = self.numbers.get(id(obj))
        if number is None:
            number = len(self.objects)
            self.objects[number], self.numbers[id(obj)] = obj, number
        kind = type(obj)
        return {"h": {"id": number, "type": f"{kind.__module__}.{kind.__qualname__}", "call": callable(obj)}}

    def resolve(self, number):
        try:
            return self.objects[number]
        except (KeyError, TypeError):
            raise LookupError(f"no kernel object {number!r}") from None

    # ------------------------------------------------------------ the loop

    def serve(self):
        while True:
            try:
                request = wire.loads_request(wire.recv_frame(self.sock), self.resolve)
            except wire.KernelGone:
                return
            encoder = values.Encoder(self.handle)
            try:
                header = {"value": getattr(self, f"op_{request[0]}")(encoder, *request[1:])}
            except BaseException as error:         # anything the submission raises, SystemExit included
                encoder = values.Encoder(self.handle)
                header = {"error": describe(error)}
            header["blobs"] = [len(b) for b in encoder.blobs]
            wire.send_frame(self.sock, wire.dumps_reply(header, encoder.blobs))

    # ------------------------------------------------------------ operations

    def op_cells(self, encoder, sources):
        """Run the notebook's code cells in order, errors allowed; [None or [error type, message]]."""
        self.shell = self.shell or make_shell()
        outcomes = []
        for source in sources:
            result = self.shell.run_cell(source, store_history=True)
            error = result.error_before_exec or result.error_in_exec
            outcomes.append(None if error is None else [type(error).__name__, bounded(error)])
        return encoder.encode(outcomes)

    def op_namespace(self, encoder):
        return self.handle(self.shell.user_ns)

    def op_getattr(self, encoder, obj, name):
        return encoder.encode(getattr(obj, name))

    def op_setattr(self, encoder, obj, name, value):
        setattr(obj, name, value)
        return None

    def op_call(self, encoder, function, args, kwargs, rules):
        before = Contents(args, kwargs)
        with applied(rules):
            value = function(*args, **kwargs)
        return {"value": encoder.encode(value), "after": before.after(encoder)}

    def op_steps(self, encoder, function, args, kwargs, rules):
        """The call under checks.python_steps: its value and how many lines of notebook code ran."""
        before = Contents(args, kwargs)
        with applied(rules):
            value, lines = checks.python_steps(function, *args, **kwargs)
        return {"value": encoder.encode(value), "lines": lines, "after": before.after(encoder)}

    def op_getitem(self, encoder, obj, key):
        return encoder.encode(obj[key])

    def op_setitem(self, encoder, obj, key, value):
        obj[key] = value
        return None

    def op_len(self, encoder, obj):
        return len(obj)

    def op_contains(self, encoder, obj, item):
        return bool(item in obj)

    def op_bool(self, encoder, obj):
        return bool(obj)

    def op_iter(self, encoder, obj):
        return self.handle(iter(obj))

    def op_next(self, encoder, obj):
        return encoder.encode(next(obj))

    def op_repr(self, encoder, obj):
        return bounded(repr(obj))

    def op_replay(self, encoder, names, inputs, drop, rules):
        """checks.replay in this kernel: the namespace the answer cell ran in, as a handle."""
        with applied(rules):
            return self.handle(checks.replay(self.shell.user_ns, names, drop=drop, **inputs))

    def op_integrity(self, encoder):
        """The parts of the test machinery the submission replaced (integrity.py)."""
        return encoder.encode(integrity.changed())

    def op_probe(self, encoder, function, args, rules):
        """A test's own function run here: function(the notebook's namespace, *args)."""
        with applied(rules):
            return encoder.encode(function(self.shell.user_ns, *args))


def make_shell():
    """An IPython shell that keeps the cells it runs in In and _ih (tests read them), in memory."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    return InteractiveShell.instance(config=Config({"HistoryManager": {"enabled": False}}))


@contextlib.contextmanager
def applied(rules):
    """The checks the test asked for around a call: ("by_hand",), ("refusing", [(module, name)]) and
    ("refusing_package", [(module, name) allowed])."""
    with contextlib.ExitStack() as stack:
        for rule in rules:
            if rule[0] == "by_hand":
                stack.enter_context(checks.by_hand())
            elif rule[0] == "refusing":
                stack.enter_context(checks.refusing(*[find(module, name) for module, name in rule[1]]))
            elif rule[0] == "refusing_package":
                stack.enter_context(checks.refusing_package(*[find(module, name) for module, name in rule[1]]))
        yield


def find(module, qualname):
    """The object `qualname` of `module`, as this kernel has it."""
    import importlib

    obj = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


class Contents:
    """What a call's arguments hold before the call (the identity of each list item, dict value
    and attribute, kept alive), so that after it their states (state()) tell what the call changed
    in place from what it put in place of another object."""

    DEPTH = 4

    def __init__(self, args, kwargs):
        self.args, self.kwargs, self.kept = args, kwargs, []
        self.before = ([self.identities(a) for a in args], {k: self.identities(v) for k, v in kwargs.items()})

    def identities(self, value, depth=0):
        children = children_of(value) if depth < self.DEPTH else None
        if children is None:
            return None
        self.kept.extend(children.values())
        return {key: (id(child), self.identities(child, depth + 1)) for key, child in children.items()}

    def after(self, encoder):
        """[state of each positional argument], {state of each named one}, now."""
        args, kwargs = self.before
        return {"args": [state(encoder, a, ids) for a, ids in zip(self.args, args)],
                "kwargs": {k: state(encoder, v, kwargs[k]) for k, v in self.kwargs.items()}}


def children_of(value):
    """{key: child} of a list or tuple (by index), a dict (by key, keys that are data) or an object
    (by attribute); None for a value whose state is its data (a tensor, an array, a number)."""
    torch = sys.modules.get("torch")
    if isinstance(value, (list, tuple)):
        return dict(enumerate(value))
    if type(value) is dict:
        return {k: v for k, v in value.items() if values.is_data(k)}
    if torch is not None and isinstance(value, (torch.Tensor, torch.nn.Module, torch.optim.Optimizer, torch.Generator)):
        return None
    if inspect.isroutine(value) or inspect.isclass(value) or inspect.ismodule(value) or values.is_data(value):
        return None
    return dict(vars(value)) if hasattr(value, "__dict__") else None


def state(encoder, value, identities):
    """A node for what `value` (an argument, or something it holds) holds now, for the grader to
    copy into what it sent: data as data; a module or an optimizer as its state_dict (and the
    parameters' gradients), a generator as its state; a container or an object as the states of
    what it holds, where each child still the object it was before the call is described in turn
    and one the call put in its place is sent whole ("new"). None: nothing to send."""
    torch = sys.modules.get("torch")
    if torch is not None:
        if isinstance(value, torch.nn.Module):
            grads = {name: p.grad for name, p in value.named_parameters() if p.grad is not None}
            return {"module": {"state": data_only(encoder, dict(value.state_dict())),
                               "grads": data_only(encoder, grads)}}
        if isinstance(value, torch.optim.Optimizer):
            return {"optimizer": data_only(encoder, value.state_dict())}
        if isinstance(value, torch.Generator):
            return {"generator": encoder.encode(value.get_state())}
    children = children_of(value)
    if children is None:
        node = data_only(encoder, value)
        return None if node is None else {"data": node}
    identities = identities or {}
    states = []
    for key, child in children.items():
        was = identities.get(key)
        if was is not None and was[0] == id(child):
            inner = state(encoder, child, was[1])
        else:
            node = data_only(encoder, child)
            inner = None if node is None else {"new": node}
        states.append([encoder.encode(key), inner])
    kind = "items" if isinstance(value, (list, tuple)) else "entries" if type(value) is dict else "object"
    return {kind: states}


def data_only(encoder, value):
    """The node of `value` if it is all data (no handle inside), else None."""
    probe = values.Encoder(_not_data)
    try:
        probe.encode(value)
    except _NotData:
        return None
    return encoder.encode(value)


class _NotData(Exception):
    pass


def _not_data(obj):
    raise _NotData


def describe(error):
    """An exception as the grader re-raises it: its type, the nearest built-in type, its message."""
    base = next(k for k in type(error).__mro__ if k.__module__ == "builtins" and issubclass(k, BaseException))
    if base in (SystemExit, KeyboardInterrupt, GeneratorExit, BaseException):
        base = RuntimeError
    return {"type": type(error).__name__[:80], "base": base.__name__, "message": bounded(error)}


def bounded(error):
    text = str(error) if not isinstance(error, str) else error
    return text if len(text) <= wire.MESSAGE_LIMIT else text[:wire.MESSAGE_LIMIT] + " ..."


def main(fd):
    """Serve on the socket with file descriptor `fd` (the kernel's end of the wire)."""
    import socket

    sock = socket.socket(fileno=fd)
    try:
        integrity.watch()
        Server(sock).serve()
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        os._exit(0)


__all__ = ["Server", "main"]
