"""The wire between a grader and the kernel that runs a submission: frames, requests and replies.

Requests go from the grader to the kernel as pickles (cloudpickle, so a test may hand the kernel a
function of its own): the kernel is the one that must not be trusted, and it is the kernel that
unpickles them. Replies go the other way as plain data only (values.py: a JSON tree of values
and the raw bytes of tensors and arrays), which the grader decodes without running anything.
Everything else the kernel holds (functions, classes, models, generators) crosses as a handle, a
number the grader sends back to ask about that object. A reply that does not follow the format
is a ProtocolError: the kernel's own server never sends one, so it means the submission tampered
with the wire.

    frame      8-byte big-endian length, then the payload
    reply      4-byte length of the JSON header, the header, then the blobs its "blobs" list sizes
"""

import json
import pickle
import socket
import struct
import time

FRAME = struct.Struct(">Q")
HEADER = struct.Struct(">I")
MAX_FRAME = 2**31                  # bytes: a reply past this is refused
MESSAGE_LIMIT = 2000               # characters of an error message the kernel sends and the grader keeps


class ProtocolError(Exception):
    """A frame or a reply that the kernel's server never sends: the wire was tampered with."""


class KernelGone(Exception):
    """The kernel closed the wire, or did not answer in time (KernelTimeout)."""


class KernelTimeout(KernelGone):
    """The kernel did not answer before the deadline."""


# ------------------------------------------------------------------ frames

def send_frame(sock, payload):
    sock.sendall(FRAME.pack(len(payload)) + payload)


def recv_frame(sock, deadline=None):
    """The next frame's payload; KernelGone on end of file or past `deadline` (time.monotonic)."""
    (size,) = FRAME.unpack(_recv_exactly(sock, FRAME.size, deadline))
    if size > MAX_FRAME:
        raise ProtocolError(f"a frame of {size} bytes, more than the {MAX_FRAME} allowed")
    return _recv_exactly(sock, size, deadline)


def _recv_exactly(sock, size, deadline):
    chunks, left = [], size
    while left:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise KernelTimeout("the kernel did not answer in time")
            sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(left, 1 << 20))
        except TimeoutError:
            raise KernelTimeout("the kernel did not answer in time") from None
        except OSError as e:
            raise KernelGone(f"the wire to the kernel broke ({e})") from None
        if not chunk:
            raise KernelGone("the kernel closed the wire")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def socket_pair():
    """(grader end, kernel end) of a new wire."""
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)


# ------------------------------------------------------------------ requests (grader -> kernel)

def dumps_request(request, handle_of):
    """Pickle `request`; `handle_of(obj)` returns a handle number for the grader's proxies of kernel
    objects (they travel as references) and None for everything else."""
    import io

    import cloudpickle

    class Pickler(cloudpickle.Pickler):
        def persistent_id(self, obj):
            number = handle_of(obj)
            return None if number is None else ("handle", number)

        def reducer_override(self, obj):
            torch = _torch()
            if torch is not None and isinstance(obj, torch.Generator):
                return _rebuild_generator, (str(obj.device), obj.get_state())
            if torch is not None and isinstance(obj, torch.Tensor) and obj.is_leaf and obj.grad is not None:
                # pickle leaves a tensor's gradient behind; an optimizer step in the kernel needs it
                return _rebuild_with_gradient, (isinstance(obj, torch.nn.Parameter), obj.detach(), obj.requires_grad,
                                                obj.grad.detach())
            return super().reducer_override(obj)

    out = io.BytesIO()
    Pickler(out, protocol=pickle.HIGHEST_PROTOCOL).dump(request)
    return out.getvalue()


def loads_request(data, resolve):
    """The kernel's side: unpickle a request, each handle reference replaced by `resolve(number)`."""
    import io

    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid):
            return resolve(pid[1])

    return Unpickler(io.BytesIO(data)).load()


def _rebuild_generator(device, state):
    torch = _torch()
    generator = torch.Generator(device=device)
    generator.set_state(state)
    return generator


def _rebuild_with_gradient(parameter, data, requires_grad, gradient):
    torch = _torch()
    tensor = torch.nn.Parameter(data, requires_grad) if parameter else data.requires_grad_(requires_grad)
    tensor.grad = gradient
    return tensor


def _torch():
    import sys

    return sys.modules.get("torch")


# ------------------------------------------------------------------ replies (kernel -> grader)

def dumps_reply(header, blobs):
    text = json.dumps(header, allow_nan=False).encode()
    return HEADER.pack(len(text)) + text + b"".join(blobs)


def loads_reply(payload):
    """(header, blobs) of a reply; ProtocolError if it is not one."""
    try:
        (size,) = HEADER.unpack_from(payload)
        header = json.loads(payload[HEADER.size:HEADER.size + size])
    except (struct.error, ValueError, UnicodeDecodeError) as e:
        raise ProtocolError(f"a reply that is not JSON ({e})") from None
    if not isinstance(header, dict) or not isinstance(header.get("blobs", []), list):
        raise ProtocolError("a reply without its header")
    blobs, at = [], HEADER.size + size
    for length in header.get("blobs", []):
        if type(length) is not int or length < 0 or at + length > len(payload):
            raise ProtocolError("a reply whose blobs do not add up")
        blobs.append(payload[at:at + length])
        at += length
    if at != len(payload):
        raise ProtocolError("a reply with bytes after its last blob")
    return header, blobs


