"""rnncourse.course.answers and .stubs: answer cells found and replaced, and stubs made from a solution.

A stub must look like the solution in every type and shape (so that only value checks can tell),
change nothing it is given, and leave alone what the answer cell did not produce.
"""

import nbformat
import numpy as np
import pytest
import torch

from rnncourse.course.authoring.answers import answer_cell, methods_to_write, names_under_test, stub_answer, with_answer
from rnncourse.course.kernel.stubs import zeros_like


def notebook(*cells):
    """A notebook from (kind, source) pairs; kind "code", "markdown", or "tagged:<question>"."""
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        if kind.startswith("tagged:"):
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["otter"] = {"tests": [kind.split(":")[1]]}
        else:
            cell = getattr(nbformat.v4, f"new_{kind}_cell")(source)
        nb.cells.append(cell)
    return nb


SOLVED = notebook(("code", "import torch"), ("markdown", "Question one"), ("code", "y = 2 * x"),
                  ("code", 'grader.check("one")'), ("code", "z = y + 1"), ("tagged:two", "w = z * 3"),
                  ("code", "print(w)"))


def test_answer_cells_are_found_before_their_check_or_by_their_tag():
    assert answer_cell(SOLVED, "one") == (2, 3)
    assert answer_cell(SOLVED, "two") == (5, 5)
    with pytest.raises(LookupError, match="three"):
        answer_cell(SOLVED, "three")


def test_with_answer_replaces_one_cell_and_cuts_after_the_question():
    cut = with_answer(SOLVED, "one", "y = 3 * x")
    assert [c.source for c in cut.cells] == ["import torch", "Question one", "y = 3 * x", 'grader.check("one")']
    whole = with_answer(SOLVED, "two", "w = 0", cut=False)
    assert len(whole.cells) == len(SOLVED.cells) and whole.cells[5].source == "w = 0"
    assert SOLVED.cells[2].source == "y = 2 * x", "the original notebook is not changed"


def test_the_names_tests_take_are_read_from_otters_test_file(tmp_path):
    path = tmp_path / "q.py"
    path.write_text("from otter.test_files import test_case\n\n@test_case(points=None, hidden=False)\n"
                    "def test_a(h1, o1):\n    pass\n\n@test_case(points=None, hidden=True)\n"
                    "def test_b(o1, env, U):\n    pass\n")
    assert names_under_test(path) == ["h1", "o1", "env", "U"]


def test_methods_to_write_are_those_with_a_blank():
    source = ("class Layer:\n    def __init__(self):\n        self.W = 1\n"
              "    def forward(self, x):\n        return x\n"
              "    def backward(self, x, g):\n        gW = ...\n        return gW\n"
              "    def step(self):\n        ...\n")
    assert methods_to_write(source) == {"Layer": ["backward", "step"]}


def run_stub(solution, blank, names, namespace):
    solved = notebook(("code", solution), ("code", 'grader.check("q")'))
    student = notebook(("code", blank), ("code", 'grader.check("q")'))
    exec(stub_answer(solved, student, "q", names), namespace)
    return namespace


def test_stub_values_have_the_solutions_types_and_shapes_and_are_zero():
    given = torch.ones(3)
    namespace = run_stub("h = torch.relu(x) + 1\nn = 4\nflag = True\nitems = [x, 2.5]\ngiven = given",
                         "h = ...\nn = ...\nflag = ...\nitems = ...\ngiven = given",
                         ["h", "n", "flag", "items", "given", "x", "env"],
                         {"torch": torch, "x": torch.ones(3), "given": given})
    assert torch.equal(namespace["h"], torch.zeros(3)) and namespace["h"].dtype == torch.float32
    assert namespace["n"] == 0 and namespace["flag"] is False
    assert torch.equal(namespace["items"][0], torch.zeros(3)) and namespace["items"][1] == 0.0
    assert namespace["given"] is given and torch.equal(given, torch.ones(3)), "names the cell did not change stay"
    assert torch.equal(namespace["x"], torch.ones(3))


def test_stub_functions_return_zeros_shaped_like_the_solution_and_change_nothing():
    solution = "def step(x, state):\n    state += 1\n    return torch.tanh(x @ state), [x.sum()]\n"
    namespace = run_stub(solution, "def step(x, state):\n    ...\n", ["step"], {"torch": torch})
    x, state = torch.randn(5, 3), torch.randn(3, 2)
    before = state.clone()
    out, extra = namespace["step"](x, state)
    assert out.shape == (5, 2) and torch.equal(out, torch.zeros(5, 2)) and extra == [torch.zeros(())]
    assert torch.equal(state, before), "the solution ran on copies"


def test_stub_classes_zero_only_the_methods_the_student_writes():
    solution = ("class Layer:\n    def __init__(self, n):\n        self.W = np.ones((n, n))\n"
                "    def forward(self, x):\n        return x @ self.W\n"
                "    def backward(self, x, g):\n        return g @ self.W.T, x.T @ g\n")
    blank = solution.replace("return g @ self.W.T, x.T @ g", "gX = ...\n        return gX, ...")
    namespace = run_stub(solution, blank, ["Layer"], {"np": np})
    layer = namespace["Layer"](3)
    x, g = np.ones((2, 3)), np.ones((2, 3))
    assert np.array_equal(layer.forward(x), np.full((2, 3), 3.0)), "given methods keep working"
    gX, gW = layer.backward(x, g)
    assert gX.shape == (2, 3) and gW.shape == (3, 3) and not gX.any() and not gW.any()


def test_zeros_like_keeps_containers_objects_and_generators():
    class Model:
        def __init__(self):
            self.W, self.layers = np.ones(2), [torch.ones(2, requires_grad=True)]
            self.n = 3
    model = Model()
    zero = zeros_like(model)
    assert zero is not model and not zero.W.any() and not zero.layers[0].any() and zero.n == 3
    assert model.W.all(), "the original keeps its values"
    assert list(zeros_like(x for x in [torch.ones(2), torch.ones(3)]))[1].shape == (3,)
    assert zeros_like((1, np.float64(2.5))) == (0, 0.0) and zeros_like({"a": 2}) == {"a": 0}
    module = zeros_like(torch.nn.Linear(3, 2))
    assert not module.weight.any() and module(torch.ones(1, 3)).shape == (1, 2)
