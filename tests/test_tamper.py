"""The grading contract, item 13: a submission is hostile until graded.

Lab 01 with every answer replaced by its stub (zeros of the solution's shapes: worth 0 on its
own), plus one extra cell that attacks the grading: Otter's test runner patched (plainly, and
with names built from pieces), comparison functions patched, test files rewritten wherever they
can be found, a forged result written into every folder it can reach and the processes above it
killed, files planted in the working folders of every process it can see, the hidden tests'
text fished for and raised through a function the public tests call, the wire to the grader
written with garbage. All are graded in one batch with the solved notebook and the plain stubs,
through `rnncourse grade`, and the Otter patch also through the autograder zip's Gradescope entry.

Each attack scores no more than the plain stubs (it ends as graded, error or tampered); the
neighbours are graded as if alone; the course's files are byte-identical afterwards; no
feedback holds a line of a hidden test.
"""

import ast
import csv
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from rnncourse.course.authoring.answers import answer_cell, names_under_test, stub_answer

from helpers.cache import REPO

LAB = "01-forward"
MARKER = "rnncourse-tamper"

ATTACKS = {
    "otter-runner-patched": '''
from otter.test_files.abstract_test import TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile
def _run(self, global_environment):
    self.test_case_results = [TestCaseResult(test_case=c, message="passed", passed=True) for c in self.test_cases]
ExceptionTestFile.run = _run
''',
    "otter-runner-patched-by-pieces": '''
import importlib
_m = importlib.import_module("otter." + "test_" + "files." + "exception" + "_test")
_r = importlib.import_module("otter.test_files." + "abstract_test")
_cls = getattr(_m, "Exception" + "TestFile")
setattr(_cls, "r" + "un", lambda self, env: setattr(self, "test_case_" + "results",
        [getattr(_r, "TestCase" + "Result")(test_case=c, message="ok", passed=True) for c in self.test_cases]))
''',
    "comparisons-patched": '''
import math, numpy, torch
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.Tensor.__eq__ = lambda *a, **k: True
numpy.allclose = lambda *a, **k: True
math.isclose = lambda *a, **k: True
''',
    "test-files-rewritten": '''
import os
for top in ["/", os.getcwd(), os.path.expanduser("~")]:
    for folder, _, files in os.walk(top):
        if folder.startswith(("/proc", "/sys", "/dev")):
            continue
        for name in files:
            if name.endswith(".py") and os.path.basename(folder) == "tests":
                try:
                    with open(os.path.join(folder, name), "w") as f:
                        f.write("OK_FORMAT = False\\nname = 'x'\\npoints = 99\\n")
                except OSError:
                    pass
''',
    "forged-result-and-kills": '''
import json, os, signal
forged = json.dumps({"status": "graded", "total": 99, "possible": 5, "scores": {"forward": 99}})
for top in [os.getcwd(), "/tmp", os.path.expanduser("~")]:
    folder = top
    for _ in range(6):
        for name in ("outcome.json", "result.json", "results.json"):
            try:
                open(os.path.join(folder, name), "w").write(forged)
            except OSError:
                pass
        folder = os.path.dirname(folder)
for pid in [os.getppid()] + [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
try:
    os.killpg(0, signal.SIGKILL)
except OSError:
    pass
''',
    "writes-outside": '''
import os
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            open(os.path.join("/proc", entry, "cwd", "MARKER.txt"), "w").write("planted")
        except OSError:
            pass
for folder in ("/tmp", os.path.expanduser("~"), "/work", "/root", "/var/tmp"):
    try:
        open(os.path.join(folder, "MARKER.txt"), "w").write("planted")
    except OSError:
        pass
''',
    "hidden-text-raised": '''
import gc, os
found = []
for obj in gc.get_objects():
    if isinstance(obj, str) and "def test_" in obj:
        found.append(obj)
for folder, _, files in os.walk("/"):
    if folder.startswith(("/proc", "/sys", "/dev")):
        continue
    for name in files:
        if name.endswith(".py") and os.path.basename(folder) == "tests":
            try:
                found.append(open(os.path.join(folder, name)).read())
            except OSError:
                pass
def forward_step(*args, **kwargs):
    raise ValueError("\\n".join(found) or "nothing found")
''',
    "wire-garbage": '''
import os
for fd in range(3, 64):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
            os.write(fd, b"\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x10garbage-garbage!")
    except OSError:
        pass
''',
}


def stubbed(solved, blank, built):
    """The solved notebook with every autograded answer replaced by its stub."""
    nb = nbformat.from_dict(solved)
    for question in built.labs[LAB].autograded:
        names = names_under_test(built.tests_file(LAB, question.name))
        index = answer_cell(nb, question.name)[0]
        nb.cells[index].source = stub_answer(solved, blank, question.name, names)
    return nb


def tree_digest(folder):
    """sha256 of every file under `folder` (names and contents), for 'byte-identical' checks."""
    h = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and ".pytest_cache" not in path.parts:
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def hidden_lines(zip_path):
    """The source lines (12+ characters) of lab 01's hidden tests, from its autograder zip."""
    lines = set()
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                source = zf.read(name).decode()
                for node in ast.walk(ast.parse(source)):
                    if isinstance(node, ast.FunctionDef) and any(
                            isinstance(d, ast.Call) and any(k.arg == "hidden" and getattr(k.value, "value", False)
                                                            for k in d.keywords) for d in node.decorator_list):
                        lines |= {l.strip() for l in ast.get_source_segment(source, node).splitlines()
                                  if len(l.strip()) >= 12}
    return lines


@pytest.fixture(scope="module")
def tamper(built, tmp_path_factory):
    """The batch graded once: {submission: row}, the gradebook folder, digests before and after."""
    base = tmp_path_factory.mktemp("tamper")
    solved = nbformat.read(built.solved_notebook(LAB), as_version=4)
    blank = nbformat.read(built.student_notebook(LAB), as_version=4)
    stubs = stubbed(solved, blank, built)
    subs = base / "submissions"
    subs.mkdir()
    nbformat.write(solved, subs / "solved.ipynb")
    nbformat.write(stubs, subs / "stubs.ipynb")
    for name, attack in ATTACKS.items():
        nb = nbformat.from_dict(stubs)
        nb.cells.append(nbformat.v4.new_code_cell(attack.replace("MARKER", MARKER)))
        nbformat.write(nb, subs / f"{name}.ipynb")
    watched = {"course": built.root, "package": REPO / "rnncourse", "submissions": subs}
    before = {name: tree_digest(folder) for name, folder in watched.items()}
    out = base / "grades"
    done = subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "grade", LAB, str(subs), "--out", str(out),
                           "--jobs", "2", "--timeout", "120"], cwd=built.root, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    after = {name: tree_digest(folder) for name, folder in watched.items()}
    with open(out / "grades.csv", newline="") as f:
        rows = {row["submission"].removesuffix(".ipynb"): row for row in csv.DictReader(f)}
    return rows, out, before, after, subs


def test_no_attack_scores_more_than_the_plain_stubs(tamper):
    rows, *_ = tamper
    assert rows["stubs"]["status"] == "graded" and float(rows["stubs"]["total"]) == 0
    for name in ATTACKS:
        row = rows[name]
        assert row["status"] in ("graded", "error", "tampered"), (name, row)
        assert float(row["total"] or 0) <= float(rows["stubs"]["total"]), f"{name} raised its score: {row}"


def test_the_neighbours_are_graded_as_if_alone(tamper, built):
    rows, *_ = tamper
    assert len(rows) == len(ATTACKS) + 2, "every submission has its row"
    assert rows["solved"]["status"] == "graded" and float(rows["solved"]["total"]) == built.labs[LAB].points


def test_tampering_that_can_be_seen_is_reported(tamper):
    rows, *_ = tamper
    for name in ("otter-runner-patched", "otter-runner-patched-by-pieces", "comparisons-patched", "wire-garbage"):
        assert rows[name]["status"] == "tampered", (name, rows[name])


def test_the_course_and_the_other_files_are_untouched(tamper):
    _, out, before, after, _ = tamper
    assert after == before, "a submission changed files outside its sandbox"
    places = (Path("/tmp"), Path.home(), Path("/work"), REPO, REPO.parent)
    planted = [p for p in places if (p / f"{MARKER}.txt").exists()]
    assert planted == [], f"files planted in {planted}"
    assert not list(Path(out).rglob(f"{MARKER}*")) and not list(Path(out).rglob("outcome.json"))


def test_no_feedback_holds_a_hidden_test(tamper, built):
    _, out, *_ = tamper
    secrets = hidden_lines(built.autograder_zip(LAB))
    assert secrets, "lab 01 has hidden tests"
    for path in (Path(out) / "feedback").iterdir():
        text = path.read_text()
        quoted = [line for line in secrets if line in text]
        assert not quoted, f"{path.name} quotes hidden tests: {quoted[:3]}"


def test_the_gradescope_entry_grades_the_otter_patch_as_tampered(tamper, built, tmp_path):
    """The autograder zip's run_autograder (Gradescope) runs this grading: the Otter patch that
    gets full marks through Otter's own in-kernel grading gets nothing here."""
    _, _, _, _, subs = tamper
    source, submission = tmp_path / "autograder" / "source", tmp_path / "autograder" / "submission"
    submission.mkdir(parents=True)
    with zipfile.ZipFile(built.autograder_zip(LAB)) as zf:
        zf.extractall(source)
    (submission / "otter-runner-patched.ipynb").write_bytes((subs / "otter-runner-patched.ipynb").read_bytes())
    done = subprocess.run([sys.executable, "-m", "rnncourse.course.grading.gradescope", "--root",
                           str(tmp_path / "autograder")], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((tmp_path / "autograder" / "results" / "results.json").read_text())
    assert results["score"] == 0 and "tampered" in results["output"], results
