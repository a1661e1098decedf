"""How the labs' tests look at the way an answer was computed, and not only at its values.

Every requirement checked here is stated in the lab's text where it applies:

    with by_hand(): ...            inside, autograd (backward, torch.autograd.grad, torch.func),
                                   torch's recurrent modules (nn.RNN, nn.GRUCell, ...) and their
                                   kernels (torch._VF.gru_cell, ...) raise ShortcutError: for
                                   questions that ask for a gradient or a step worked out by hand
    unchanged(f, *args)            f(*args), failing if f changed a tensor or array it was given
    python_steps(f, *args)         (f(*args), how many lines of notebook code ran): a Python loop
                                   over the input shows as a count that grows with its length
    replay(env, names, **inputs)   the notebook's cell that computes `names` run again on other
                                   inputs: for answers written as lines in a cell, not a function
    with refusing(f, ...): ...     inside, the functions f raise AssertionError: rnncourse holds
                                   worked versions of some answers, for later labs, and a library
                                   may do what a question asks (torch.nn.utils.clip_grad_norm_)
    probe(env, function, *args)    function(the notebook's namespace, *args), run where the answer
                                   runs: for what a test must look at inside the kernel (a graph)
    graph_gradients(env, name, args, wrt)   the notebook's function called, and the gradients through
                                   the graph it built, for answers that must stay differentiable
    close(got, want, message)      got as float64 (from a tensor, an array, a list or a number),
                                   failing with `message` and the largest difference unless it has
                                   want's shape and values within the tolerance

A test runs in one of two places. In a student's notebook (grader.check) it runs beside the
answers and every check acts here (rules.py). When a submission is graded, it runs in the
grader, which never runs a submission's code: the answers' names are proxies of objects in the
grading kernel (rnncourse/course/grading/proxies.py), the rules travel with each call and act
in the kernel, and unchanged() compares the arguments here, where the answer cannot see it.
"""

import ast
import contextlib
import contextvars
import inspect

import numpy as np
import torch

from . import rules
from .rules import ShortcutError

# The rules around the calls a test makes, when its answers are proxies: the kernel applies them.
_RULES = contextvars.ContextVar("rnncourse_rules", default=())
_IN_GRADER = False      # set in a grading process: nothing of a submission runs here, so rules act there


def in_grader(grader=True):
    """Mark this process as a grader (rules then travel with the calls and act in the kernel only),
    or, in a kernel forked from a grader, as not one."""
    global _IN_GRADER
    _IN_GRADER = grader


def _remote(obj):
    """Whether `obj` is a grader's proxy of an object in a grading kernel."""
    return getattr(type(obj), "_kernel_proxy", False)


def active_rules():
    """The rules of the enclosing by_hand() and refusing() blocks, as the kernel applies them."""
    return _RULES.get()


@contextlib.contextmanager
def _rule(rule, here):
    """`rule` for the calls inside the block: sent with each call to a kernel, and applied here by
    the context `here()` unless this process is a grader."""
    token = _RULES.set(_RULES.get() + (rule,))
    try:
        with contextlib.nullcontext() if _IN_GRADER else here():
            yield
    finally:
        _RULES.reset(token)


def by_hand():
    """A context in which autograd and torch's recurrent modules raise ShortcutError (rules.by_hand)."""
    return _rule(("by_hand",), rules.by_hand)


def refusing(*functions):
    """A context in which each of `functions` (of rnncourse, or a library's) raises an AssertionError
    (rules.refusing)."""
    names = [(f.__module__, f.__qualname__) for f in (getattr(f, "__func__", f) for f in functions)]
    return _rule(("refusing", names), lambda: rules.refusing(*functions))


def python_steps(call, *args, **kwargs):
    """(call(*args, **kwargs), lines): how many lines of notebook code ran during the call, counting
    each pass through a loop or comprehension again (rules.python_steps)."""
    if _remote(call):
        return call._kernel_steps(args, kwargs)
    return rules.python_steps(call, *args, **kwargs)


def probe(env, function, *args):
    """function(the notebook's namespace, *args), run where the notebook runs: in the grading kernel
    when `env` is a proxy (function and args travel there; what it returns must be data)."""
    if _remote(env):
        return env._kernel_probe(function, args)
    return function(env, *args)


def graph_gradients(env, name, args, wrt, weights=None):
    """(output, gradients): the notebook's function `name` called on `args`, and the gradients of
    sum(weights * output) (weights default to ones) with respect to args[i] for each i in `wrt`,
    taken through the graph the function itself built (None for an argument it does not use),
    where the notebook runs. For questions whose answer must stay differentiable."""
    return probe(env, _graph_gradients, name, list(args), list(wrt), weights)


def _graph_gradients(namespace, name, args, wrt, weights):
    args = [a.detach().clone().requires_grad_() if i in wrt else a for i, a in enumerate(args)]
    output = namespace[name](*args)
    if not isinstance(output, torch.Tensor) or not output.requires_grad:
        return output, [None] * len(wrt)
    total = (output * (torch.ones_like(output) if weights is None else weights.to(output.dtype))).sum()
    grads = torch.autograd.grad(total, [args[i] for i in wrt], allow_unused=True)
    return output.detach(), [None if g is None else g.detach() for g in grads]


def numbers(value, message="the answer"):
    """`value` (a torch tensor, a NumPy array, a list or tuple of numbers, a number) as a float64
    tensor, detached; AssertionError naming `message` if it holds no numbers."""
    try:
        if isinstance(value, torch.Tensor):
            return value.detach().cpu().to(torch.float64)
        return torch.as_tensor(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError, RuntimeError) as e:
        raise AssertionError(f"{message} should be numbers (a tensor, an array or a number), not "
                             f"{type(value).__name__} ({e})") from None


def close(got, want, message, rtol=1e-5, atol=1e-8, scale=None):
    """`got` as float64 (numbers()), failing with `message` unless it has the shape of `want` and
    every value within atol + rtol * |want| of it (torch.allclose), or within atol + rtol * scale
    when `scale` (an array like want: the size of the terms each value adds up) sets the tolerance
    of its rounding errors. NaN passes only where want is NaN; a one-element answer where one
    number is asked counts as that number. The message ends with the shapes, or with the largest
    difference and where it is."""
    got, want = numbers(got, message), numbers(want)
    if want.dim() == 0 and got.numel() == 1:
        got = got.reshape(())
    if got.shape != want.shape:
        raise AssertionError(f"{message}: shape {tuple(got.shape)}, expected {tuple(want.shape)}")
    allowed = atol + rtol * (want.abs() if scale is None else numbers(scale).abs())
    error = torch.where(torch.isnan(got) & torch.isnan(want), 0.0, (got - want).abs()).nan_to_num(float("inf"))
    off = error > allowed
    if bool(off.any()):
        flat = int((error - allowed).flatten().argmax())
        where = f" (at index {tuple(int(i) for i in np.unravel_index(flat, tuple(want.shape)))}, " \
                f"{int(off.sum())} of {want.numel()} off)" if want.dim() else ""
        raise AssertionError(f"{message}: {got.flatten()[flat].item():.12g} where {want.flatten()[flat].item():.12g} "
                             f"is right{where}")
    return got


_UNTRACKED = object()     # an argument unchanged() does not look into (a model, a generator)


def _snapshot(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple, dict)):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return (type(value), {k: _snapshot(v) for k, v in items})
    if value is None or isinstance(value, (bool, int, float, complex, str, np.number)):
        return value
    return _UNTRACKED


def _same(before, after):
    if before is _UNTRACKED:
        return True
    if isinstance(before, torch.Tensor):
        return isinstance(after, torch.Tensor) and before.shape == after.shape and \
            bool(torch.equal(before, after.detach()))
    if isinstance(before, np.ndarray):
        return isinstance(after, np.ndarray) and before.shape == after.shape and \
            bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc"))
    if isinstance(before, tuple) and len(before) == 2 and isinstance(before[0], type):
        kind, items = before
        if not isinstance(after, kind) or len(after) != len(items):
            return False
        now = after.items() if isinstance(after, dict) else enumerate(after)
        return all(k in items and _same(items[k], v) for k, v in now)
    return before == after or (before != before and after != after)     # NaN stays NaN


def unchanged(call, *args, **kwargs):
    """Return call(*args, **kwargs); fail (AssertionError) if the call changed, in place, any tensor,
    array, list, tuple or dict among its arguments (at any depth), naming the argument."""
    try:
        bound = inspect.signature(call).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        bound = {**{f"argument {i + 1}": a for i, a in enumerate(args)}, **kwargs}
    before = {name: _snapshot(value) for name, value in bound.items()}
    result = call(*args, **kwargs)
    for name, value in bound.items():
        if not _same(before[name], value):
            raise AssertionError(f"{getattr(call, '__name__', 'the function')} changed its argument {name} in "
                                 "place: leave the inputs as they are and compute new tensors (use x.clone() "
                                 "or x.copy() first if you need a working copy)")
    return result


def _binds(source, names):
    """Whether the cell `source` assigns every one of `names` at its top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    bound = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets:
            for name in ast.walk(target) if target is not None else ():
                if isinstance(name, ast.Name):
                    bound.add(name.id)
    return set(names) <= bound


def replay(env, names, drop=(), **inputs):
    """Run again the last cell of the notebook that assigns all of `names`, with `inputs` in place of
    the notebook's own values; return the namespace it ran in (a copy: the notebook is untouched).

    env: the notebook's globals, as Otter gives them to a test that takes `env`; its input history
    (IPython's `In`) holds the cells as they ran. drop: names whose assignments at the top of the
    cell are left out, for inputs the cell itself defines (the given numbers of an exercise).
    """
    if _remote(env):
        return env._kernel_replay(names, inputs, tuple(drop))
    for source in reversed(env.get("In") or []):
        if _binds(source, names):
            break
    else:
        raise AssertionError(f"no cell computes {', '.join(names)}: compute them in the answer cell, as asked")
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not _assigns_only(node, set(drop))]
    namespace = {**env, **inputs}
    exec(compile(tree, "<the answer cell, run again on other inputs>", "exec"), namespace)
    return namespace


def _assigns_only(node, names):
    """Whether `node` (a statement) assigns nothing but some of `names`."""
    if not names or not isinstance(node, (ast.Assign, ast.AnnAssign)):
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return all(isinstance(t, ast.Name) and t.id in names for t in targets)


__all__ = ["ShortcutError", "by_hand", "close", "graph_gradients", "numbers", "probe", "python_steps", "refusing",
           "replay", "unchanged"]
