"""Shared fixtures: the course built once per test run, and grading through Otter.

The build runs on a copy of solutions/ in a temporary course root, so the checkout's labs/ is
never touched and can be compared with what the build makes now.
"""

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from rnncourse.course.build import build
from rnncourse.course.labs import select_labs

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
# RNNCOURSE_LABS="02 bigram" narrows the contract tests to some labs while writing them.
LABS = select_labs(REPO, os.environ.get("RNNCOURSE_LABS", "").split())


@pytest.fixture(scope="module")
def one_thread():
    """Small tensors: one torch thread is faster, and far faster when other processes share the cores."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass
class BuiltCourse:
    root: Path
    labs: dict          # name -> Lab

    def autograder_zip(self, lab):
        return self.root / "dist" / lab / "autograder.zip"

    def solved_notebook(self, lab):
        """Otter's autograder notebook: the student notebook with the solutions filled in."""
        return self.root / "dist" / lab / "autograder" / f"{lab}.ipynb"

    def student_notebook(self, lab):
        return self.root / "labs" / f"{lab}.ipynb"


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """Every lab in solutions/, built once for the whole run."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(REPO / "solutions", root / "solutions")
    build(root, [lab.name for lab in LABS], log=lambda *_: None)
    return BuiltCourse(root, {lab.name: lab for lab in LABS})


def grade_many(jobs, workdir):
    """Grade [(notebook, zip)] with Otter; a list of {question: (score, possible)} or {"error": ...}."""
    jobs_file, results_file = Path(workdir) / "jobs.json", Path(workdir) / "results.json"
    jobs_file.write_text(json.dumps([[str(nb), str(z)] for nb, z in jobs]))
    subprocess.run([sys.executable, str(TESTS / "grade_worker.py"), str(jobs_file), str(results_file)],
                   check=True, cwd=workdir)
    return json.loads(results_file.read_text())


def answer_cell_index(nb, question):
    """(answer cell, last cell of the question): the code cell just before `grader.check(question)`
    and that check cell, or, for a question with hidden tests only, the cell Otter tags with it."""
    for i, cell in enumerate(nb.cells):
        if question in cell.metadata.get("otter", {}).get("tests", []):
            return i, i
        if cell.cell_type == "code" and cell.source.strip() == f'grader.check("{question}")':
            return max(j for j in range(i) if nb.cells[j].cell_type == "code"), i
    raise LookupError(f"no answer cell for question {question!r}")


def with_answer(notebook, question, code, out):
    """Copy `notebook` to `out` with the answer to `question` replaced by `code`.

    The copy stops after that question: a wrong answer is judged on its own question only, and
    a lab's later (possibly long) training cells need not run again for every fixture.
    """
    nb = nbformat.read(notebook, as_version=4)
    answer, last = answer_cell_index(nb, question)
    nb.cells[answer].source = code
    nb.cells = nb.cells[:last + 1]
    nbformat.write(nb, out)
    return out
