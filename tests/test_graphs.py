"""Computation-graph drawing: named nodes, rendered files, and the graceful path without Graphviz."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from rnncourse.graphs import NAMED_NODE_COLOR, build_graph, draw_graph
from rnncourse.rnn import rnn_step

REPO_ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
requires_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's `dot` program is not installed")

NODE = re.compile(r'^\s*(\d+) \[label="?(.*?)"?(?: fillcolor=(\w+))?\]$', re.MULTILINE | re.DOTALL)
EDGE = re.compile(r"^\s*(\d+) -> (\d+)", re.MULTILINE)


def lab_graph():
    """The lab's two RNN steps, with parameters that require grad: (outputs, names)."""
    U = torch.tensor([[-0.3, 0.6], [0.2, 0.1]], requires_grad=True)
    V = torch.tensor([[0.4, 0.4], [0.9, -0.7]], requires_grad=True)
    W = torch.tensor([[0.2, 0.1], [-0.2, 0.5]], requires_grad=True)
    x1, x2, h0 = torch.tensor([0.0, 1.0]), torch.tensor([0.3, 0.4]), torch.zeros(2)
    h1, o1 = rnn_step(x1, h0, U, V, W)
    h2, o2 = rnn_step(x2, h1, U, V, W)
    return {"o1": o1, "o2": o2}, {"U": U, "V": V, "W": W, "h1": h1, "h2": h2}


def parse(source):
    """Node id -> (first label line, fill colour), with later declarations overriding earlier ones,
    as in DOT; and the set of ids that take part in an edge."""
    nodes = {}
    for node_id, label, color in NODE.findall(source):
        nodes[node_id] = (label.split("\n")[0].strip(), color)
    edges = EDGE.findall(source)
    return nodes, {i for edge in edges for i in edge}


def test_build_graph_names_leaves_outputs_and_intermediates():
    """Every name the user gives (U, V, W, h1, h2, o1, o2) labels a node of the graph."""
    outputs, names = lab_graph()
    dot = build_graph(outputs, names)
    labels = {label for label, _ in parse(dot.source)[0].values()}
    assert {"U", "V", "W", "h1", "h2", "o1", "o2"} <= labels


def test_named_intermediates_sit_on_their_operation_nodes():
    """h1, h2, o1, o2 label the operation that made them, a node connected into the graph, not a loose box."""
    outputs, names = lab_graph()
    dot = build_graph(outputs, names)
    nodes, in_edges = parse(dot.source)
    for name, tensor in {**names, **outputs}.items():
        if tensor.grad_fn is None:
            continue
        node_id = str(id(tensor.grad_fn))
        assert nodes[node_id] == (name, NAMED_NODE_COLOR)
        assert node_id in in_edges
        assert f"{name}\n{type(tensor.grad_fn).__name__}" in dot.source


def test_h1_feeds_both_o1_and_h2():
    """The graph shows h1 reused: its node has an edge into the o1 branch and into the h2 branch."""
    outputs, names = lab_graph()
    dot = build_graph(outputs, names)
    h1_id = str(id(names["h1"].grad_fn))
    successors = [dst for src, dst in EDGE.findall(dot.source) if src == h1_id]
    assert len(successors) == 2


def test_build_graph_without_names_still_names_outputs():
    """With names omitted, outputs keep their names and leaves are not given any."""
    outputs, _ = lab_graph()
    dot = build_graph(outputs)
    labels = {label for label, _ in parse(dot.source)[0].values()}
    assert {"o1", "o2"} <= labels
    assert not {"U", "V", "W", "h1", "h2"} & labels


@requires_dot
def test_draw_graph_writes_png_and_source(tmp_path):
    """draw_graph renders a real PNG at path.png, keeps the DOT source at path.gv, and returns the graph."""
    outputs, names = lab_graph()
    path = tmp_path / "sub" / "rnn_graph"
    dot = draw_graph(outputs, names, path=str(path))
    assert dot is not None
    png = Path(f"{path}.png").read_bytes()
    assert png[:8] == PNG_MAGIC and len(png) > 100
    source = Path(f"{path}.gv").read_text()
    assert source.lstrip().startswith("digraph") and source == dot.source
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["rnn_graph.gv", "rnn_graph.png"]


@requires_dot
def test_draw_graph_other_format(tmp_path):
    """fmt='svg' writes an SVG file that names the nodes."""
    outputs, names = lab_graph()
    path = tmp_path / "g"
    assert draw_graph(outputs, names, path=str(path), fmt="svg") is not None
    svg = Path(f"{path}.svg").read_text()
    assert "<svg" in svg and ">h1<" in svg and ">U<" in svg


def test_draw_graph_without_dot_prints_one_line_and_keeps_source(tmp_path):
    """Without `dot` on PATH, draw_graph prints one line naming `dot` and the .gv file, returns None,
    keeps the DOT source, and the program goes on (exit 0)."""
    empty_bin = tmp_path / "empty_bin"
    empty_bin.mkdir()
    path = tmp_path / "graph"
    script = textwrap.dedent(f"""
        import torch
        from rnncourse.graphs import draw_graph, dot_available
        assert not dot_available()
        U = torch.ones(2, 2, requires_grad=True)
        h1 = torch.relu(U @ torch.ones(2))
        result = draw_graph({{"o1": h1.sum()}}, {{"U": U, "h1": h1}}, path={str(path)!r})
        print("RESULT", repr(result))
    """)
    env = {**os.environ, "PATH": str(empty_bin), "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "RESULT None"
    message = lines[:-1]
    assert len(message) == 1
    assert "`dot`" in message[0] and f"{path}.gv" in message[0]
    source = Path(f"{path}.gv").read_text()
    assert "digraph" in source and "h1" in source and "U" in source
    assert not Path(f"{path}.png").exists()
