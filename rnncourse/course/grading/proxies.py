"""The grader's view of a grading kernel: a session over the wire, and proxies of the kernel's objects.

A hidden test is an ordinary function of the names it checks (`def test_x(forward_step, U)`). The
grader calls it with proxies: `forward_step` is a Proxy whose call sends its arguments to the
kernel (kernel/server.py), runs the student's function there under the rules the test set
(checks.by_hand, checks.refusing), and brings back the result as plain data (tensors, arrays,
numbers) or as another proxy. So the test's own inputs, references, comparisons and scoring stay
in the grader; the submission's code runs only in the kernel, and what it sends back is decoded
without being executed (values.Decoder).

Arguments travel by value. After a call the kernel sends back what the call left in each of them
(mirror.py): a tensor changed in place, a list appended to, a model trained, an optimizer stepped,
all show in the test's own objects as if the function had run here, so unchanged() and tests of
in-place updates work unchanged.
"""

import builtins
import re

from ..kernel import checks, values, wire
from . import recording
from .mirror import mirror


class RemoteError(Exception):
    """Base of the exceptions a call into the kernel re-raises here (each also a subclass of the
    built-in type the kernel's exception derives from, named as the kernel named it)."""


class Session:
    """One grading kernel, seen from the grader: requests sent, replies decoded, errors re-raised.

    deadline: time.monotonic() after which every request fails (KernelGone).
    """

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline
        self.proxies = {}           # handle number -> Proxy: the same kernel object, the same proxy

    def request(self, *request):
        def handle_of(obj):
            if isinstance(obj, Proxy):
                if object.__getattribute__(obj, "_session") is not self:
                    raise ValueError("a proxy of another kernel")
                return object.__getattribute__(obj, "_number")
            return None

        wire.send_frame(self.sock, wire.dumps_request(request, handle_of))
        header, blobs = wire.loads_reply(wire.recv_frame(self.sock, self.deadline))
        if "error" in header:
            raise remote_error(header["error"])
        if "value" not in header:
            raise wire.ProtocolError("a reply with neither a value nor an error")
        return header["value"], blobs

    def decode(self, node, blobs):
        return values.Decoder(blobs, self.proxy).decode(node)

    def ask(self, *request):
        """The decoded value of a request whose reply is one value."""
        node, blobs = self.request(*request)
        return self.decode(node, blobs)

    def proxy(self, number, type_name, callable_):
        if number not in self.proxies:
            self.proxies[number] = (CallableProxy if callable_ else Proxy)._make(self, number, type_name)
        return self.proxies[number]

    def run_cells(self, sources):
        """Run the notebook's code cells in the kernel; [None, or (error type, message)] per cell."""
        outcomes = self.ask("cells", list(sources))
        if not isinstance(outcomes, list) or len(outcomes) != len(sources):
            raise wire.ProtocolError("the cells' outcomes do not match the cells")
        return [None if o is None else tuple(o) for o in outcomes]

    def namespace(self):
        """The notebook's globals (a Proxy of the kernel's dict): the `env` of Otter's tests."""
        return self.ask("namespace")

    def call(self, op, target, args, kwargs):
        """A call into the kernel (op "call" or "steps"); the arguments mirror what it did to them."""
        node, blobs = self.request(op, target, list(args), dict(kwargs), checks.active_rules())
        if not isinstance(node, dict) or "value" not in node or "after" not in node:
            raise wire.ProtocolError("a call's reply without its value")
        after = node["after"]
        states, named = after.get("args"), after.get("kwargs")
        if not isinstance(states, list) or len(states) != len(args) or not isinstance(named, dict) \
                or set(named) != set(kwargs):
            raise wire.ProtocolError("a call's reply that does not match its arguments")
        for arg, state in zip(args, states):
            mirror(arg, state, lambda n: self.decode(n, blobs))
        for name, state in named.items():
            mirror(kwargs[name], state, lambda n: self.decode(n, blobs))
        return node, blobs


def remote_error(error):
    """The exception to raise here for the kernel's error description."""
    if not isinstance(error, dict) or not all(isinstance(error.get(k), str) for k in ("type", "base", "message")):
        return wire.ProtocolError("an error reply of the wrong form")
    base = getattr(builtins, error["base"], None)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = RuntimeError
    name = re.sub(r"\W", "", error["type"])[:80] or base.__name__
    return type(name, (base, RemoteError), {"__module__": "kernel"})(error["message"][:wire.MESSAGE_LIMIT])


class Proxy:
    """A kernel object, seen from the grader: attributes, items, iteration and its type's name.

    isinstance() sees the class the kernel names, when it is one the grader knows from torch or
    NumPy (isinstance(model.rnn, torch.nn.RNN)); the kernel could lie about it, which only passes a
    type check, never a value.
    """

    _kernel_proxy = True

    @classmethod
    def _make(cls, session, number, type_name):
        proxy = object.__new__(cls)
        for name, value in (("_session", session), ("_number", number), ("_type_name", type_name)):
            object.__setattr__(proxy, name, value)
        return proxy

    def _ask(self, *request):
        return object.__getattribute__(self, "_session").ask(*request)

    def __getattr__(self, name):
        return self._ask("getattr", self, name)

    def __setattr__(self, name, value):
        self._ask("setattr", self, name, value)

    def __getitem__(self, key):
        return self._ask("getitem", self, key)

    def __setitem__(self, key, value):
        self._ask("setitem", self, key, value)

    def __len__(self):
        return self._ask("len", self)

    def __contains__(self, item):
        return self._ask("contains", self, item)

    def __bool__(self):
        return self._ask("bool", self)

    def __iter__(self):
        return self._ask("iter", self)

    def __next__(self):
        return self._ask("next", self)

    def __repr__(self):
        return self._ask("repr", self)

    def get(self, key, default=None):
        """dict.get for a proxy of a mapping (Otter's tests ask their environment this way)."""
        try:
            return self[key]
        except KeyError:
            return default

    @property
    def __class__(self):
        return known_class(object.__getattribute__(self, "_type_name")) or type(self)

    def _kernel_replay(self, names, inputs, drop):
        return self._ask("replay", list(names), dict(inputs), list(drop), checks.active_rules())

    def _kernel_probe(self, function, args):
        node, blobs = object.__getattribute__(self, "_session").request("probe", function, list(args),
                                                                        checks.active_rules())
        return object.__getattribute__(self, "_session").decode(node, blobs)


class CallableProxy(Proxy):
    """A kernel object that can be called: a function, a class, a module, a bound method."""

    def __call__(self, *args, **kwargs):
        return self._kernel_call("call", args, kwargs)[0]

    def _kernel_steps(self, args, kwargs):
        value, node = self._kernel_call("steps", args, kwargs)
        if type(node.get("lines")) is not int:
            raise wire.ProtocolError("a line count that is not a number")
        return value, node["lines"]

    def _kernel_call(self, op, args, kwargs):
        session = object.__getattribute__(self, "_session")
        kept = recording.before(self, args, kwargs) if recording.recording() else None
        node, blobs = session.call(op, self, args, kwargs)
        value = session.decode(node["value"], blobs)
        if kept is not None:
            recording.after(self, kept, value)
        return value, node


KNOWN_MODULES = ("torch", "numpy", "builtins", "collections", "rnncourse")


def known_class(type_name):
    """The grader's own class named `type_name` ("torch.nn.modules.rnn.RNN"), from a known package."""
    import importlib

    module, _, qualname = type_name.rpartition(".")
    if module.split(".")[0] not in KNOWN_MODULES:
        return None
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError):
        return None
    return obj if isinstance(obj, type) else None
