"""The grading contract (course design, items 1-8), enforced for every lab found in solutions/.

A new lab is covered by adding its master notebook and tests/mutants/<lab>.yml; no test code.
"""

import json
import os
import shutil
import sys

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

from conftest import LABS, REPO, TESTS, grade_many, with_answer
from rnncourse.course.build import normalise_student_notebook
from rnncourse.course.leaks import find_leaks

LAB_NAMES = [lab.name for lab in LABS]


def load_mutants(lab):
    path = TESTS / "mutants" / f"{lab}.yml"
    assert path.is_file(), f"lab {lab} has no wrong-answer fixtures: add {path.relative_to(REPO)}"
    return yaml.safe_load(path.read_text()) or {}


@pytest.fixture(scope="session")
def grades(built, tmp_path_factory):
    """Every submission the contract needs, graded in one parallel batch.

    Per lab: the solution twice, the blank student notebook, and each wrong answer.
    """
    work = tmp_path_factory.mktemp("grading")
    jobs, keys = [], []
    for name in built.labs:
        ag = built.autograder_zip(name)
        for key, nb in [("solution", built.solved_notebook(name)), ("solution again", built.solved_notebook(name)),
                        ("blank", built.student_notebook(name))]:
            jobs.append((nb, ag)); keys.append((name, key))
        for question, wrongs in load_mutants(name).items():
            for k, wrong in enumerate(wrongs):
                nb = with_answer(built.solved_notebook(name), question, wrong["code"], work / f"{name}-{question}-{k}.ipynb")
                jobs.append((nb, ag)); keys.append((name, ("mutant", question, k)))
    return dict(zip(keys, grade_many(jobs, work)))


def scores(result):
    assert "error" not in result, f"Otter could not grade it: {result.get('error')}"
    return result["scores"]


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_solution_scores_full_marks(built, grades, lab):
    """1. The solution earns every point of every autograded question."""
    got = scores(grades[(lab, "solution")])
    assert set(got) == {q.name for q in built.labs[lab].autograded}
    for question, (score, possible) in got.items():
        assert score == possible > 0, f"{lab}/{question}: solution scores {score}/{possible}"


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_blank_student_notebook_scores_zero(grades, lab):
    """2. The untouched student notebook earns nothing."""
    for question, (score, possible) in scores(grades[(lab, "blank")]).items():
        assert score == 0, f"{lab}/{question}: the blank notebook scores {score}/{possible}"


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_wrong_answers_lose_points(built, grades, lab):
    """3 and 8. Two or more plausible wrong answers per autograded question, each scoring below full."""
    mutants = load_mutants(lab)
    for question in built.labs[lab].autograded:
        assert len(mutants.get(question.name, [])) >= 2, \
            f"{lab}/{question.name}: needs at least two wrong-answer fixtures in tests/mutants/{lab}.yml"
    for question, wrongs in mutants.items():
        for k, wrong in enumerate(wrongs):
            score, possible = scores(grades[(lab, ("mutant", question, k))])[question]
            assert score < possible, f"{lab}/{question}: the wrong answer '{wrong['why']}' earns full marks"


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_grading_is_deterministic(grades, lab):
    """7. The same submission graded twice scores the same on every question."""
    assert scores(grades[(lab, "solution")]) == scores(grades[(lab, "solution again")])


def student_texts(lab_name, root):
    texts = {f"labs/{lab_name}.ipynb": (root / "labs" / f"{lab_name}.ipynb").read_text()}
    for test in sorted((root / "rnncourse" / "lab_tests" / lab_name).glob("*.py")):
        texts[str(test.relative_to(root))] = test.read_text()
    return texts


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_nothing_secret_reaches_students(lab):
    """4. No solution line and no hidden test in labs/ or in the public tests the package ships."""
    master = REPO / "solutions" / f"{lab}.ipynb"
    assert find_leaks(master, student_texts(lab, REPO)) == []
    nb = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    assert not [i for i, c in enumerate(nb.cells) if c.get("outputs")], "student notebooks ship without outputs"


def test_leak_check_finds_a_planted_leak(built):
    """4. The leak check is not vacuous: a solution line and a hidden test pasted into a copy are found."""
    lab = LAB_NAMES[0]
    master = REPO / "solutions" / f"{lab}.ipynb"
    solved = built.solved_notebook(lab).read_text()
    hidden = (built.root / "dist" / lab / "autograder" / "tests")
    texts = {"solved": solved, "hidden": "\n".join(p.read_text() for p in hidden.glob("*.py"))}
    findings = find_leaks(master, texts)
    assert any(f.startswith("solved: solution code") for f in findings)
    assert any(f.startswith("hidden: hidden test") for f in findings)


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_labs_match_a_fresh_build(built, lab):
    """5. labs/ and the shipped public tests are what the build makes from solutions/ today."""
    fresh = normalise_student_notebook(built.root / "dist" / lab / "student" / f"{lab}.ipynb")
    committed = (REPO / "labs" / f"{lab}.ipynb").read_text()
    assert committed == fresh, f"labs/{lab}.ipynb is stale: run `rnncourse build {lab}` and commit the result"
    built_tests = {p.name: p.read_text() for p in (built.root / "rnncourse" / "lab_tests" / lab).glob("*.py")}
    shipped = {p.name: p.read_text() for p in (REPO / "rnncourse" / "lab_tests" / lab).glob("*.py")}
    assert shipped == built_tests, f"rnncourse/lab_tests/{lab} is stale: run `rnncourse build {lab}`"


@pytest.mark.skipif(bool(os.environ.get("RNNCOURSE_LABS")), reason="checks all labs; RNNCOURSE_LABS narrows the run")
def test_no_student_notebook_without_a_master():
    """5. Every notebook in labs/ comes from a master in solutions/ (a removed lab leaves nothing behind)."""
    assert sorted(p.stem for p in (REPO / "labs").glob("*.ipynb")) == sorted(LAB_NAMES)
    assert sorted(p.name for p in (REPO / "rnncourse" / "lab_tests").iterdir() if p.is_dir()) == sorted(LAB_NAMES)


@pytest.fixture(scope="session")
def colab_kernel(tmp_path_factory):
    """A kernelspec whose shell is google.colab._shell.Shell, so Otter takes its Colab path for real."""
    spec_root = tmp_path_factory.mktemp("jupyter")
    spec = spec_root / "kernels" / "fake-colab"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.kernel_class=colab_kernel.ColabKernel"],
        "display_name": "Python 3 (Colab simulated)", "language": "python",
        "env": {"PYTHONPATH": str(TESTS / "colab")},
    }))
    os.environ["JUPYTER_PATH"] = str(spec_root)
    return "fake-colab"


def run_alone(notebook, folder, kernel):
    """Execute a copy of `notebook`, alone in `folder`, top to bottom; return the executed notebook."""
    folder.mkdir()
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, kernel_name=kernel, timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def cell_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", "") or "".join(out.get("data", {}).get("text/plain", "")))
        if out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "\n".join(parts)


def check_cells(nb):
    return {c.source.split('"')[1]: cell_text(c) for c in nb.cells
            if c.cell_type == "code" and c.source.startswith("grader.check(")}


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_student_notebook_runs_alone_in_simulated_colab(built, colab_kernel, tmp_path, lab):
    """6. In an empty folder under a Colab shell, a finished notebook runs top to bottom and every
    check passes; the blank one runs too and its checks answer with failures, not crashes."""
    solved = run_alone(built.solved_notebook(lab), tmp_path / "solved", colab_kernel)
    errors = [(i, cell_text(c)) for i, c in enumerate(solved.cells)
              if any(o.output_type == "error" for o in c.get("outputs", []))]
    assert errors == [], f"cells raised in Colab: {errors}"
    checks = check_cells(solved)
    assert set(checks) == {q.name for q in built.labs[lab].autograded if q.has_tests}
    for question, text in checks.items():
        assert "passed" in text.lower(), f"{question}: check did not pass in Colab:\n{text}"
    submit = next(c for c in solved.cells if c.cell_type == "code" and c.source == "grader.submit()")
    assert "In Colab" in cell_text(submit), "grader.submit() did not take the Colab path"

    blank = run_alone(built.student_notebook(lab), tmp_path / "blank", colab_kernel)
    assert not any(o.output_type == "error" for o in blank.cells[0].get("outputs", [])), "the set-up cell failed"
    for question, text in check_cells(blank).items():
        assert "failed" in text.lower() or "0.0" in text, f"{question}: blank check gave no verdict:\n{text}"
        assert "Error" not in text.split("\n")[0], f"{question}: the check itself crashed:\n{text}"


@pytest.mark.parametrize("lab", LAB_NAMES)
def test_finished_notebook_hands_in_a_zip_that_grades_full(built, tmp_path, lab):
    """6. In plain Jupyter, grader.submit() writes a zip that Otter grades at full marks (student to TA)."""
    folder = tmp_path / "student"
    folder.mkdir()
    notebook = folder / f"{lab}.ipynb"
    shutil.copy(built.solved_notebook(lab), notebook)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(folder)}}).execute()
    handed_in = sorted(folder.glob(f"{lab}_*.zip"))
    assert len(handed_in) == 1, f"grader.submit() should write one zip, found {[p.name for p in handed_in]}"
    for question, (score, possible) in scores(grade_many([(handed_in[0], built.autograder_zip(lab))], tmp_path)[0]).items():
        assert score == possible, f"{lab}/{question}: the handed-in zip scores {score}/{possible}"
