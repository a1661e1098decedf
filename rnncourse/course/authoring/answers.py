"""A question's answer inside a built notebook: where it is, and notebooks with another answer there.

The demo and the grading contract make submissions from the solved notebook (Otter's autograder
copy of a lab, every answer filled in) by changing one answer cell:

    with_answer(solved, question, code)   that cell's code replaced, the notebook cut after the
                                          question (a wrong answer is judged on its own question,
                                          and later training cells need not run for it)
    stub_answer(solved, blank, ...)       the solution's answers replaced by zeros (stubs.py)
"""

import ast
from pathlib import Path

import nbformat


def answer_cell(nb, question):
    """(index of the answer cell, index of the question's last cell) of `question` in `nb`.

    The answer cell is the code cell just before the `grader.check("question")` cell, which ends
    the question; for a question with hidden tests only, it is the cell Otter tags with it.
    """
    for i, cell in enumerate(nb.cells):
        if question in cell.metadata.get("otter", {}).get("tests", []):
            return i, i
        if cell.cell_type == "code" and cell.source.strip() == f'grader.check("{question}")':
            return max(j for j in range(i) if nb.cells[j].cell_type == "code"), i
    raise LookupError(f"no answer cell for question {question!r}")


def with_answer(nb, question, code, cut=True):
    """A copy of notebook `nb` with the answer to `question` replaced by `code` (and, if `cut`, no
    cell after the question)."""
    nb = nbformat.from_dict(nb)
    answer, last = answer_cell(nb, question)
    nb.cells[answer].source = code
    if cut:
        nb.cells = nb.cells[:last + 1]
    return nb


def names_under_test(tests_file):
    """The names that the test functions in `tests_file` (a question's Otter test file) take."""
    names = []
    for node in ast.parse(Path(tests_file).read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            names += [a.arg for a in node.args.args]
    return list(dict.fromkeys(names))


def methods_to_write(source):
    """{class: [method, ...]} of the methods holding a `...` (a line or a value to fill in) in a
    student's answer cell."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            methods = [m.name for m in node.body if isinstance(m, ast.FunctionDef) and _has_ellipsis(m)]
            if methods:
                found[node.name] = methods
    return found


def _has_ellipsis(function):
    return any(isinstance(n, ast.Constant) and n.value is Ellipsis for n in ast.walk(function))


def stub_answer(solved, blank, question, names):
    """The code of the stub answer to `question`: the solution's answer cell run, then every name in
    `names` (what its tests read) that the cell bound or changed replaced by its zero twin.

    solved, blank: the solved and the student notebook (nbformat nodes).
    """
    solution = solved.cells[answer_cell(solved, question)[0]].source
    methods = methods_to_write(blank.cells[answer_cell(blank, question)[0]].source)
    return (f"# A stub made from the solution: what question {question} asks for, as zeros of its type and shape.\n"
            "from rnncourse.course.kernel.stubs import Stubs as _Stubs\n"
            f"_stubs = _Stubs(globals(), {names!r}, {methods!r})\n"
            f"{solution}\n"
            "_stubs.replace()\n"
            "del _Stubs, _stubs\n")
