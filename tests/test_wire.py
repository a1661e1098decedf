"""The wire between a grader and a grading kernel (kernel/wire.py, kernel/values.py) and what the
grader makes of what comes back (grading/proxies.py, grading/judge.py): values round-trip as data,
anything malformed is a ProtocolError, errors come back as the kernel raised them, and a message
for a student never carries a hidden test's text."""

import json

import numpy as np
import pytest
import torch

from rnncourse.course.grading import judge
from rnncourse.course.grading.proxies import RemoteError, remote_error
from rnncourse.course.kernel import values, wire


def round_trip(value):
    encoder = values.Encoder(lambda obj: {"h": {"id": 7, "type": "builtins.function", "call": True}})
    node = encoder.encode(value)
    payload = wire.dumps_reply({"value": node, "blobs": [len(b) for b in encoder.blobs]}, encoder.blobs)
    header, blobs = wire.loads_reply(payload)
    handles = []
    decoder = values.Decoder(blobs, lambda *handle: handles.append(handle) or ("proxy", *handle))
    return decoder.decode(header["value"]), handles


def test_data_comes_back_as_it_was_sent():
    leaf = torch.tensor([1.5, -2.0], requires_grad=True)
    leaf.grad = torch.tensor([0.25, 4.0])
    value = {"floats": [0.1, float("inf"), -0.0], "nan": float("nan"), "int": 2**70, "text": "é", "bytes": b"\x00\xff",
             "complex": 1 - 2j, "tuple": (None, True, ...), "range": range(2, 9, 3), "slice": slice(1, None, 2),
             "f64": torch.arange(6, dtype=torch.float64).reshape(2, 3),
             "bf16": torch.tensor([1.5], dtype=torch.bfloat16),
             "bool": torch.tensor([True, False]), "scalar": torch.tensor(3), "leaf": leaf, "size": torch.Size([2, 3]),
             "dtype": torch.float32, "array": np.arange(4, dtype=np.int16), "words": np.array(["a", "bc"]),
             "npfloat": np.float32(0.5), "npdtype": np.dtype("<f8")}
    back, handles = round_trip(value)
    assert handles == []
    assert back["floats"] == [0.1, float("inf"), -0.0] and back["nan"] != back["nan"] and back["int"] == 2**70
    assert back["text"] == "é" and back["bytes"] == b"\x00\xff" and back["complex"] == 1 - 2j
    assert back["tuple"] == (None, True, ...) and back["range"] == range(2, 9, 3) and back["slice"] == slice(1, None, 2)
    for name in ("f64", "bf16", "bool", "scalar"):
        assert back[name].dtype == value[name].dtype and torch.equal(back[name], value[name]), name
    assert back["leaf"].requires_grad and torch.equal(back["leaf"].grad, leaf.grad)
    assert back["size"] == torch.Size([2, 3]) and back["dtype"] is torch.float32
    assert back["array"].dtype == np.int16 and np.array_equal(back["array"], value["array"])
    assert back["words"].tolist() == ["a", "bc"] and back["npfloat"] == np.float32(0.5)
    assert back["npdtype"] == np.dtype("<f8")


def test_what_is_not_data_comes_back_as_a_handle():
    for live in (print, {"f": len}, [torch.zeros(1), print]):
        back, handles = round_trip(live)
        assert len(handles) == 1 and back[0] == "proxy", f"{live!r} stays in the kernel"
    back, handles = round_trip([torch.zeros(1), (2, "x")])
    assert handles == [] and torch.equal(back[0], torch.zeros(1)) and back[1] == (2, "x")


@pytest.mark.parametrize("payload", [
    b"\x00\x00\x00\x05{nope",                                                  # not JSON
    b"\x00\x00\x00\x02[]",                                                     # no header object
    wire.dumps_reply({"value": {"zz": 1}, "blobs": []}, []),                   # an unknown tag
    wire.dumps_reply({"value": {"T": {"dtype": "float32", "shape": [3], "blob": 0, "grad": False}}, "blobs": [4]},
                     [b"\x00" * 4]),                                           # bytes that do not fill the shape
    wire.dumps_reply({"value": {"A": {"dtype": "|O", "shape": [1], "blob": 0}}, "blobs": [8]}, [b"\x00" * 8]),
    wire.dumps_reply({"value": {"T": {"dtype": "object", "shape": [], "blob": 0}}, "blobs": [8]}, [b"\x00" * 8]),
    wire.dumps_reply({"value": {"b": 3}, "blobs": []}, []),                    # a blob that is not there
    wire.dumps_reply({"value": {"d": [[{"l": []}, 1]]}, "blobs": []}, []),     # an unhashable key
    wire.dumps_reply({"value": {"f": "1e309" * 20}, "blobs": []}, []),         # a float that is no repr
    json.dumps({"value": 1, "blobs": [5]}).encode(),                           # blobs that do not add up
])
def test_anything_the_kernel_never_sends_is_a_protocol_error(payload):
    with pytest.raises(wire.ProtocolError):
        header, blobs = wire.loads_reply(payload)
        values.Decoder(blobs, lambda *handle: pytest.fail("no handle here")).decode(header["value"])


def test_deep_nesting_is_refused():
    node = 1
    for _ in range(values.MAX_DEPTH + 5):
        node = {"l": [node]}
    with pytest.raises(wire.ProtocolError, match="nested deeper"):
        values.Decoder([], None).decode(node)


def test_errors_come_back_as_the_kernel_raised_them():
    error = remote_error({"type": "ShortcutError", "base": "AssertionError", "message": "no autograd here"})
    assert isinstance(error, AssertionError) and isinstance(error, RemoteError)
    assert type(error).__name__ == "ShortcutError" and str(error) == "no autograd here"
    assert isinstance(remote_error({"type": "StopIteration", "base": "StopIteration", "message": ""}), StopIteration)
    odd = remote_error({"type": "Bad Name;", "base": "__import__", "message": "x" * 5000})
    assert isinstance(odd, RuntimeError) and type(odd).__name__ == "BadName" and len(str(odd)) == wire.MESSAGE_LIMIT
    assert isinstance(remote_error({"type": 1}), wire.ProtocolError)


def test_a_students_message_never_carries_a_hidden_test():
    secrets = ["assert got == want, f'the third hidden case {x}'", "test_forward_values"]
    message = ("ValueError: from the disk:\n    assert got == want, f'the third hidden case {x}'\n"
               " in test_forward_values")
    scrubbed = judge.scrub(message, secrets)
    assert all(secret not in scrubbed for secret in secrets) and judge.REMOVED in scrubbed
    assert len(judge.scrub("x" * 10_000, secrets)) <= judge.PUBLIC_LIMIT + 4
