"""What a call into the kernel did to its arguments, made to show in the test's own objects.

Arguments travel to the kernel by value (a copy). After the call the kernel describes what each
holds now (kernel/server.py's state()); mirror() makes the test's object match: data copied in
place, a module's or an optimizer's state loaded (with the parameters' gradients), and in a
list, a dict or an object each child mirrored in turn, or replaced where the call put another
object in its place. So `unchanged()` sees an in-place change, and a test of an in-place update
sees whether its own tensors were updated or swapped for new ones.
"""

from ..kernel import values, wire


def mirror(arg, state, decode):
    """Make `arg` (what the test sent) hold what the kernel's copy of it holds after the call
    (kernel/server.py's state()): data copied in place, a module's or an optimizer's state loaded,
    and in a list, dict or object each child mirrored in turn, or replaced where the call put
    another object in its place (so the test sees both what changed and what was swapped)."""
    if state is None:
        return
    if not isinstance(state, dict) or len(state) != 1:
        raise wire.ProtocolError("an argument's state of the wrong form")
    ((kind, node),) = state.items()
    import torch

    if kind == "data":
        copy_into(arg, decode(node))
    elif kind == "module" and isinstance(arg, torch.nn.Module) and isinstance(node, dict):
        if node.get("state") is not None:
            arg.load_state_dict(decode(node["state"]), strict=False)
        gradients = decode(node["grads"]) if node.get("grads") is not None else {}
        for name, parameter in arg.named_parameters():
            gradient = gradients.get(name)
            parameter.grad = gradient.to(parameter.dtype) if isinstance(gradient, torch.Tensor) \
                and gradient.shape == parameter.shape else None
    elif kind == "optimizer" and isinstance(arg, torch.optim.Optimizer) and node is not None:
        arg.load_state_dict(decode(node))
    elif kind == "generator" and isinstance(arg, torch.Generator):
        arg.set_state(decode(node))
    elif kind in ("items", "entries", "object") and isinstance(node, list):
        mirror_children(arg, kind, node, decode)
    elif kind not in ("module", "optimizer", "generator", "items", "entries", "object"):
        raise wire.ProtocolError(f"an argument's state of kind {kind!r}")


def mirror_children(arg, kind, children, decode):
    """The children of a list ("items"), a dict ("entries") or an object's attributes ("object")."""
    if kind == "items" and isinstance(arg, list):
        length = len(children)
        for key_node, child in children:
            index = decode(key_node)
            if not (isinstance(index, int) and 0 <= index < length):
                raise wire.ProtocolError("a list item out of its list")
            if isinstance(child, dict) and set(child) == {"new"}:
                value = decode(child["new"])
                arg[index:index + 1] = [value] if index < len(arg) else []
                if index >= len(arg):
                    arg.append(value)
            elif index < len(arg):
                mirror(arg[index], child, decode)
        del arg[length:]
    elif kind == "items" and isinstance(arg, tuple):
        for key_node, child in children:
            index = decode(key_node)
            if isinstance(index, int) and 0 <= index < len(arg) and not (isinstance(child, dict) and "new" in child):
                mirror(arg[index], child, decode)
    elif kind == "entries" and isinstance(arg, dict):
        keys = set()
        for key_node, child in children:
            key = decode(key_node)
            keys.add(key)
            if isinstance(child, dict) and set(child) == {"new"}:
                arg[key] = decode(child["new"])
            elif key in arg:
                mirror(arg[key], child, decode)
        for key in [k for k in arg if values.is_data(k) and k not in keys]:
            del arg[key]
    elif kind == "object" and hasattr(arg, "__dict__"):
        own = vars(arg)
        for key_node, child in children:
            name = decode(key_node)
            if not isinstance(name, str) or name not in own:      # only what the test's object holds
                continue
            if isinstance(child, dict) and set(child) == {"new"}:
                setattr(arg, name, decode(child["new"]))
            else:
                mirror(own[name], child, decode)


def copy_into(target, value):
    """Make the tensor or array `target` hold `value` in place (and a tensor its gradient)."""
    import numpy as np
    import torch

    if isinstance(target, torch.Tensor) and isinstance(value, torch.Tensor):
        with torch.no_grad():
            if target.shape == value.shape and target.dtype == value.dtype:
                target.copy_(value)
            else:
                target.data = value
        if target.is_leaf and target.requires_grad:
            target.grad = value.grad
    elif isinstance(target, np.ndarray) and isinstance(value, np.ndarray) and target.flags.writeable \
            and target.shape == value.shape:
        target[...] = value
