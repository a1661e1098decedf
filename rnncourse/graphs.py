"""Computation graphs of torch expressions, drawn with torchviz and named with the lab's variables.

draw_graph({"o1": o1, "o2": o2}, {"U": U, "V": V, "W": W, "h1": h1, ...}) draws how the outputs
are computed: leaves (parameters and inputs) and the intermediate tensors named in `names` carry
those names. It renders a PNG beside the DOT source and returns the graph, which Jupyter shows
inline. Without Graphviz's `dot` program it says so in one line, keeps the DOT source, and
returns None, so a notebook never breaks over a missing binary.
"""

import shutil
from pathlib import Path

import graphviz
from torchviz import make_dot

NAMED_NODE_COLOR = "khaki"
INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
                "conda: conda install -c conda-forge graphviz)")


def build_graph(outputs, names=None):
    """The graphviz.Digraph of `outputs` (a dict name -> tensor), nodes named from outputs and names.

    names: dict name -> tensor for leaves (which must require grad to appear) and intermediates.
    """
    named = dict(names or {})
    named.update(outputs)
    dot = make_dot(tuple(outputs.values()), params=named)
    # torchviz names leaves and roots only; label the operation that made each named intermediate,
    # so the reader sees where h1, o1, ... sit in the graph. Re-declaring a DOT node updates it.
    for name, tensor in named.items():
        if tensor.grad_fn is not None:
            op = type(tensor.grad_fn).__name__
            dot.node(str(id(tensor.grad_fn)), f"{name}\n{op}", fillcolor=NAMED_NODE_COLOR)
    return dot


def dot_available():
    """True when Graphviz's `dot` program is on PATH."""
    return shutil.which("dot") is not None


def draw_graph(outputs, names=None, path="computation_graph", fmt="png"):
    """Draw the graph of `outputs` to `path`.<fmt> (the DOT source goes to `path`.gv).

    Returns the graphviz.Digraph (shown inline in Jupyter) or None when `dot` is missing.
    """
    dot = build_graph(outputs, names)
    source = Path(f"{path}.gv")
    source.parent.mkdir(parents=True, exist_ok=True)
    dot.save(source)
    if not dot_available():
        print(f"Graph not drawn: Graphviz's `dot` program is missing; its source is in {source}. "
              f"To see it, {INSTALL_HINT}.")
        return None
    try:
        dot.render(outfile=f"{path}.{fmt}", format=fmt)
    except graphviz.ExecutableNotFound:  # on PATH but not runnable
        print(f"Graph not drawn: Graphviz's `dot` program did not run; its source is in {source}. "
              f"To see it, {INSTALL_HINT}.")
        return None
    return dot
