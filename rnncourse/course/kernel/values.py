"""Values on the wire (wire.py): what the kernel sends as data, encoded so that the grader decodes
it without running anything.

A value is a JSON tree: None, booleans, strings and ints as themselves, everything else a tagged
object (one key): "f" float (its repr), "c" complex, "b" bytes (a blob), "l" list, "t" tuple, "d"
dict (a list of [key, value] pairs), "T" torch tensor (its bytes in a blob, and its gradient),
"A" NumPy array, "N" NumPy scalar, "S" torch.Size, "D" torch dtype, "nd" NumPy dtype, "dev"
torch device, "sl" slice, "r" range, "e" Ellipsis, "h" handle (a kernel object that is not data,
or a container that holds one). The Encoder runs in the kernel; the Decoder, in the grader,
checks every node as it goes and raises ProtocolError at the first that the Encoder never makes.
"""

import math

from .wire import ProtocolError

MAX_DEPTH = 40                     # nesting of containers in one value
TORCH_DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8", "int16",
                "int32", "int64", "uint8", "bool")
ARRAY_KINDS = "biufcUS"            # NumPy dtype kinds sent as data: bool, ints, floats, complex, text


def _torch():
    import sys

    return sys.modules.get("torch")


class Encoder:
    """Turns kernel values into JSON nodes and blobs; `handle(obj)` numbers what is not data."""

    def __init__(self, handle):
        self.handle, self.blobs = handle, []

    def blob(self, data):
        self.blobs.append(bytes(data))
        return len(self.blobs) - 1

    def encode(self, value, depth=0):
        import numpy as np

        torch = _torch()
        if depth > MAX_DEPTH:
            return self.handle(value)
        if value is None or isinstance(value, (bool, str)):
            return value
        if type(value) is int:
            return value
        if type(value) is float:
            return {"f": repr(value)}
        if type(value) is complex:
            return {"c": [repr(value.real), repr(value.imag)]}
        if type(value) is bytes:
            return {"b": self.blob(value)}
        if value is Ellipsis:
            return {"e": 0}
        if type(value) in (list, tuple, dict) and not is_data(value, depth):
            return self.handle(value)       # a container of live objects (a namespace, a module list)
        if type(value) in (list, tuple):
            return {"l" if type(value) is list else "t": [self.encode(v, depth + 1) for v in value]}
        if type(value) is dict:
            return {"d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if type(value) is slice:
            return {"sl": [self.encode(x, depth + 1) for x in (value.start, value.stop, value.step)]}
        if type(value) is range:
            return {"r": [value.start, value.stop, value.step]}
        if torch is not None:
            if isinstance(value, torch.Tensor) and str(value.dtype).removeprefix("torch.") in TORCH_DTYPES \
                    and value.layout == torch.strided and not value.is_quantized:
                return self._tensor(value)
            if type(value) is torch.Size:
                return {"S": [int(n) for n in value]}
            if isinstance(value, torch.dtype):
                return {"D": str(value).removeprefix("torch.")}
            if isinstance(value, torch.device):
                return {"dev": str(value)}
        if isinstance(value, np.ndarray) and value.dtype.kind in ARRAY_KINDS:
            array = np.ascontiguousarray(value)
            return {"A": {"dtype": array.dtype.str, "shape": list(array.shape), "blob": self.blob(array.tobytes())}}
        if isinstance(value, np.generic) and value.dtype.kind in ARRAY_KINDS:
            return {"N": {"dtype": value.dtype.str, "blob": self.blob(value.tobytes())}}
        if isinstance(value, np.dtype) and value.kind in ARRAY_KINDS:
            return {"nd": value.str}
        return self.handle(value)

    def _tensor(self, value, with_gradient=True):
        torch = _torch()
        data = torch.Tensor.detach(value).to("cpu").contiguous()
        raw = data.view(torch.uint8) if data.dim() else data.reshape(1).view(torch.uint8)
        node = {"dtype": str(data.dtype).removeprefix("torch."), "shape": list(data.shape),
                "grad": bool(value.requires_grad), "blob": self.blob(raw.numpy().tobytes())}
        gradient = value.grad if with_gradient and value.is_leaf else None
        if isinstance(gradient, torch.Tensor) and gradient.layout == torch.strided:
            node["gradient"] = self._tensor(gradient, with_gradient=False)["T"]
        return {"T": node}


def is_data(value, depth=0):
    """Whether `value` is plain data all through: what the Encoder sends by value, not as a handle."""
    import numpy as np

    torch = _torch()
    if depth > MAX_DEPTH:
        return False
    if value is None or value is Ellipsis or type(value) in (bool, str, int, float, complex, bytes, range, slice):
        return True
    if type(value) in (list, tuple):
        return all(is_data(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(is_data(k, depth + 1) and is_data(v, depth + 1) for k, v in value.items())
    if torch is not None and isinstance(value, torch.Tensor):
        return str(value.dtype).removeprefix("torch.") in TORCH_DTYPES and value.layout == torch.strided \
            and not value.is_quantized
    if torch is not None and (isinstance(value, (torch.dtype, torch.device)) or type(value) is torch.Size):
        return True
    return isinstance(value, (np.ndarray, np.generic, np.dtype)) and \
        (value.kind if isinstance(value, np.dtype) else value.dtype.kind) in ARRAY_KINDS


class Decoder:
    """The grader's side: JSON nodes and blobs back into values, checking every node as it goes.

    `handle(number, type_name, callable)` makes the grader's proxy of a kernel object.
    """

    def __init__(self, blobs, handle):
        self.blobs, self.handle = blobs, handle

    def decode(self, node, depth=0):
        if depth > MAX_DEPTH + 1:
            raise ProtocolError("a value nested deeper than the kernel sends")
        if node is None or isinstance(node, (bool, str)):
            return node
        if type(node) is int:
            return node
        if type(node) is not dict or len(node) != 1:
            raise ProtocolError(f"a value node of the wrong form: {str(node)[:80]}")
        ((tag, body),) = node.items()
        decode = getattr(self, f"_{_TAGS.get(tag, 'unknown')}")
        try:
            return decode(body, depth)
        except ProtocolError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError, RuntimeError) as e:
            raise ProtocolError(f"a malformed {tag!r} node ({type(e).__name__}: {e})") from None

    def _unknown(self, body, depth):
        raise ProtocolError("a value node with an unknown tag")

    def _float(self, body, depth):
        return _float(body)

    def _complex(self, body, depth):
        real, imag = body
        return complex(_float(real), _float(imag))

    def _bytes(self, body, depth):
        return bytes(self._blob(body))

    def _list(self, body, depth):
        return [self.decode(v, depth + 1) for v in _list(body)]

    def _tuple(self, body, depth):
        return tuple(self.decode(v, depth + 1) for v in _list(body))

    def _dict(self, body, depth):
        out = {}
        for pair in _list(body):
            key, value = _list(pair)
            out[self.decode(key, depth + 1)] = self.decode(value, depth + 1)     # TypeError if unhashable
        return out

    def _slice(self, body, depth):
        start, stop, step = (self.decode(x, depth + 1) for x in _list(body))
        return slice(start, stop, step)

    def _range(self, body, depth):
        start, stop, step = (_int(x) for x in _list(body))
        return range(start, stop, step)

    def _ellipsis(self, body, depth):
        return Ellipsis

    def _tensor(self, body, depth):
        import torch

        dtype_name = body["dtype"]
        if dtype_name not in TORCH_DTYPES:
            raise ProtocolError(f"a tensor of dtype {dtype_name!r}")
        dtype, shape = getattr(torch, dtype_name), [_int(n) for n in _list(body["shape"])]
        raw, count = self._blob(body["blob"]), math.prod(shape)
        if len(raw) != count * torch.empty((), dtype=dtype).element_size():
            raise ProtocolError("a tensor whose bytes do not match its shape")
        if not count:
            tensor = torch.empty(shape, dtype=dtype)
        else:
            tensor = torch.frombuffer(bytearray(raw), dtype=dtype).reshape(shape)
        if body.get("grad") is True and tensor.is_floating_point():
            tensor.requires_grad_()
            if "gradient" in body:
                gradient = self._tensor({k: v for k, v in body["gradient"].items() if k != "gradient"}, depth)
                if gradient.shape != tensor.shape:
                    raise ProtocolError("a gradient of another shape than its tensor")
                tensor.grad = gradient.to(tensor.dtype)
        return tensor

    def _array(self, body, depth):
        import numpy as np

        dtype = _array_dtype(body["dtype"])
        shape = [_int(n) for n in _list(body["shape"])]
        raw = self._blob(body["blob"])
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise ProtocolError("an array whose bytes do not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()

    def _scalar(self, body, depth):
        import numpy as np

        dtype = _array_dtype(body["dtype"])
        raw = self._blob(body["blob"])
        if len(raw) != dtype.itemsize:
            raise ProtocolError("a NumPy scalar of the wrong size")
        return np.frombuffer(raw, dtype=dtype)[0]

    def _size(self, body, depth):
        import torch

        return torch.Size([_int(n) for n in _list(body)])

    def _torch_dtype(self, body, depth):
        import torch

        if body not in TORCH_DTYPES:
            raise ProtocolError(f"a torch dtype {body!r}")
        return getattr(torch, body)

    def _numpy_dtype(self, body, depth):
        return _array_dtype(body)

    def _device(self, body, depth):
        import torch

        if not isinstance(body, str) or len(body) > 32:
            raise ProtocolError("a device that is not a short name")
        return torch.device(body)

    def _handle(self, body, depth):
        number, type_name, callable_ = body["id"], body["type"], body["call"]
        if type(number) is not int or not isinstance(type_name, str) or type(callable_) is not bool:
            raise ProtocolError("a handle of the wrong form")
        return self.handle(number, type_name[:200], callable_)

    def _blob(self, index):
        if type(index) is not int or not 0 <= index < len(self.blobs):
            raise ProtocolError("a reference to a blob that is not there")
        return self.blobs[index]


_TAGS = {"f": "float", "c": "complex", "b": "bytes", "l": "list", "t": "tuple", "d": "dict", "sl": "slice",
         "r": "range", "e": "ellipsis", "T": "tensor", "A": "array", "N": "scalar", "S": "size", "D": "torch_dtype",
         "nd": "numpy_dtype", "dev": "device", "h": "handle"}


def _float(text):
    if not isinstance(text, str) or len(text) > 40:
        raise ProtocolError("a float that is not its repr")
    return float(text)


def _int(value):
    if type(value) is not int:
        raise ProtocolError("an int that is not one")
    return value


def _list(value):
    if type(value) is not list:
        raise ProtocolError("a list that is not one")
    return value


def _array_dtype(text):
    import numpy as np

    if not isinstance(text, str) or len(text) > 8:
        raise ProtocolError("a NumPy dtype that is not a short code")
    dtype = np.dtype(text)
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise ProtocolError(f"an array of dtype {text!r}")
    return dtype
