"""Gradescope's side: the autograder zip runs this grading, not Otter's in-kernel one.

    python -m rnncourse.course.grading.gradescope [--root /autograder]

Gradescope unpacks the autograder zip into /autograder/source, puts the student's files into
/autograder/submission and runs /autograder/run_autograder, which the build points here
(authoring/build.py). The one notebook (or grader.submit() zip) in submission/ is graded as
`rnncourse grade` grades it (grader.py: a sandboxed kernel runs it, the tests run in this process)
and /autograder/results/results.json is written for Gradescope: per question its score, the
public tests' output and how many hidden tests passed; results/rnncourse.json keeps the Result
itself, which `rnncourse grade --docker` reads back (docker.py).

Gradescope runs each submission in a container of its own, as root. Inside it, the kernel gets
namespaces where the container allows them, and otherwise (Docker's defaults forbid them) a user id
of its own, the limits, and a tests folder only root may read (sandbox mode "uid").
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from . import grader
from .engine import notebook_imports, preload
from .result import Result
from .sandbox import Sandbox, problem, readable_paths
from .submissions import Invalid, Submission, prepare

TIMEOUT = 1800          # seconds: Gradescope's own limit is set per assignment; this one stops runaways


def results_json(result, questions):
    """Gradescope's results.json for a Result: a test per question (public output, hidden counts)."""
    if not result.graded:
        return {"score": 0, "output": f"Not graded ({result.status}): {result.message}",
                "tests": [{"name": q, "score": 0, "max_score": points, "visibility": "visible"}
                          for q, points in questions.items()]}
    tests = []
    for question, points in questions.items():
        passed, total = result.hidden.get(question, [0, 0])
        hidden = f"hidden tests: {passed} of {total} passed" if total else ""
        output = f"{result.public.get(question, '').strip()}\n{hidden}".strip()
        tests.append({"name": question, "score": result.scores.get(question, 0), "max_score": points,
                      "output": output, "visibility": "visible"})
    return {"score": result.total, "tests": tests}


def sandbox_here():
    """The strongest sandbox this container allows: namespaces, else (as root) a user id of its own."""
    sandbox = Sandbox(readable=readable_paths())
    if problem(sandbox) is None:
        return sandbox
    if os.geteuid() != 0:
        return Sandbox(mode="none", readable=sandbox.readable)
    # The kernel's user must reach this Python (installed under /root, which only root may enter):
    # let others pass through the folders above it (a throwaway container's, not a TA's machine).
    for prefix in {Path(sys.prefix), Path(sys.base_prefix)}:
        for folder in prefix.parents:
            os.chmod(folder, os.stat(folder).st_mode | 0o011)
    return Sandbox(mode="uid", readable=sandbox.readable)


def grade_here(root):
    """Grade the submission under `root` (Gradescope's /autograder); returns (Result, questions)."""
    root = Path(root)
    config = json.loads((root / "source" / "otter_config.json").read_text())
    lab = config["assignment_name"]
    tests = root / "source" / "tests"
    os.chmod(tests, 0o700)              # a kernel without namespaces runs as another user: not for it
    from otter.test_files.exception_test import ExceptionTestFile  # the points, from the test files
    questions = {p.stem: ExceptionTestFile.from_file(str(p)).possible for p in sorted(tests.glob("*.py"))}
    files = [p for p in sorted((root / "submission").iterdir()) if p.suffix in (".ipynb", ".zip")]
    if len(files) != 1:
        return Result("invalid", f"hand in one notebook (.ipynb) or the zip grader.submit() writes; found "
                      f"{', '.join(p.name for p in files) or 'none'}"), questions
    work = Path(tempfile.mkdtemp(prefix="rnncourse-gradescope-"))
    try:
        prepared = prepare(Submission(files[0].name, files[0], ""), work / "submission", lab)
    except Invalid as e:
        return Result("invalid", str(e)), questions
    sandbox = sandbox_here()
    student = root / "source" / f"{lab}.ipynb"
    preload(notebook_imports(student) if student.is_file() else ())
    result = grader.grade(prepared, tests, work, sandbox, time.monotonic() + TIMEOUT)
    return result, questions


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/autograder", help="Gradescope's autograder folder")
    root = Path(parser.parse_args(argv).root)
    result, questions = grade_here(root)
    (root / "results").mkdir(exist_ok=True)
    (root / "results" / "results.json").write_text(json.dumps(results_json(result, questions), indent=1))
    (root / "results" / "rnncourse.json").write_text(result.to_json())       # what `rnncourse grade --docker` reads
    print(f"{result.status}: {result.total} / {sum(questions.values()):g} {result.message}".strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
