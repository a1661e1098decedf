"""The grading contract (docs/reference/grading-contract.md, items 1-12), enforced for every lab found in solutions/

A new lab is covered by its master notebook, tests/mutants/<lab>.yml (plausible wrong answers)
and tests/alternatives/<lab>.yml (correct answers written differently): no test code. The
`contract` fixture (helpers/contract.py) makes every submission from what the build wrote. Per lab
the submissions are the blank student notebook and the zip that grader.submit() hands in when the
solved notebook runs in (simulated) Colab, graded with `rnncourse grade`, the TAs' code path; and
per autograded question its stub (the solution's answers as zeros of the same type and shape), its
wrong answers and its correct variants, each spliced into the solved notebook in place of the
answer and cut after the question. Those are graded as `rnncourse grade` grades a notebook, by
helpers/forked_grading.py: the cells they share with the solved notebook run once per lab, and each
submission's own cells in a fork. Each notebook that a student would run is run once.
"""

import re
import shutil
import time
from pathlib import Path

import nbformat

from rnncourse.course.authoring.build import normalise_student_notebook
from rnncourse.course.authoring.leaks import find_leaks
from rnncourse.course.grading import recording

from helpers.forked_grading import question_of
from helpers.notebooks import cell_text, check_cells, has_error, submit_text
from helpers.walk import unrefused, walk

REPO = Path(__file__).resolve().parents[1]
MIN_WRONG_ANSWERS = 3           # per autograded question (contract item 3)
MIN_CORRECT_VARIANTS = 1        # per autograded question (item 10)


def test_solution_scores_full_marks(contract, lab):
    """1 and 7. The solved notebook, run as a student runs it in Colab and handed in as the zip that
    grader.submit() wrote there, earns every point of every autograded question."""
    graded = contract[lab]
    got = graded.scores("handin.zip")
    assert set(got) == {q.name for q in graded.lab.autograded}
    for question in graded.lab.autograded:
        assert got[question.name] == question.points > 0, (f"{lab}/{question.name}: the solution scores "
            f"{got[question.name]}/{question.points}: {graded.why_failed('handin.zip', question.name)}")


def test_blank_student_notebook_scores_zero(contract, lab):
    """2. The untouched student notebook earns nothing."""
    for question, score in contract[lab].scores("blank.ipynb").items():
        assert score == 0, f"{lab}/{question}: the blank notebook scores {score}"


def test_wrong_answers_lose_at_least_half_their_points(contract, lab):
    """3, 8 and 11. Three or more plausible wrong answers per autograded question (tests/mutants),
    each scoring at most half of that question's points."""
    graded = contract[lab]
    for question in graded.lab.autograded:
        count = len(graded.mutants.get(question.name, []))
        assert count >= MIN_WRONG_ANSWERS, (f"{lab}/{question.name}: {count} wrong-answer fixtures in "
                                            f"tests/mutants/{lab}.yml, needs {MIN_WRONG_ANSWERS}")
    unknown = set(graded.mutants) - {q.name for q in graded.lab.autograded}
    assert not unknown, f"tests/mutants/{lab}.yml names questions the lab does not grade: {sorted(unknown)}"
    too_kind = []
    for question in graded.lab.autograded:
        for k, wrong in enumerate(graded.mutants[question.name]):
            score = graded.scores(f"mutant-{question.name}-{k}.ipynb")[question.name]
            if score > question.points / 2:
                too_kind.append(f"{question.name} [{k}] '{wrong['why']}' scores {score:g}/{question.points:g}")
    assert not too_kind, f"{lab}: wrong answers keep more than half their points:\n" + "\n".join(too_kind)


def test_stubs_score_nothing(contract, lab):
    """8 and 9. A stub made from the solution (every answer zeros, or a function returning zeros,
    of the solution's type and shape) earns no point: type and shape checks carry none."""
    graded = contract[lab]
    earning = [f"{q.name} scores {graded.scores(f'stub-{q.name}.ipynb')[q.name]:g}/{q.points:g}"
               for q in graded.lab.autograded if graded.scores(f"stub-{q.name}.ipynb")[q.name] > 0]
    assert not earning, f"{lab}: stubs earn points:\n" + "\n".join(earning)


def test_correct_variants_keep_full_marks(contract, lab):
    """10. At least one correct answer written another way per autograded question (tests/alternatives),
    each scoring full marks."""
    graded = contract[lab]
    for question in graded.lab.autograded:
        count = len(graded.alternatives.get(question.name, []))
        assert count >= MIN_CORRECT_VARIANTS, \
            f"{lab}/{question.name}: no correct variant in tests/alternatives/{lab}.yml"
    unknown = set(graded.alternatives) - {q.name for q in graded.lab.autograded}
    assert not unknown, f"tests/alternatives/{lab}.yml names questions the lab does not grade: {sorted(unknown)}"
    short = []
    for question in graded.lab.autograded:
        for k, right in enumerate(graded.alternatives[question.name]):
            name = f"alternative-{question.name}-{k}.ipynb"
            score = graded.scores(name)[question.name]
            if score != question.points:
                short.append(f"{question.name} [{k}] '{right['why']}' scores {score:g}/{question.points:g}: "
                             f"{graded.why_failed(name, question.name)}")
    assert not short, f"{lab}: correct variants lose points:\n" + "\n".join(short)


def student_texts(lab_name, root):
    texts = {f"labs/{lab_name}.ipynb": (root / "labs" / f"{lab_name}.ipynb").read_text()}
    for test in sorted((root / "rnncourse" / "lab_tests" / lab_name).glob("*.py")):
        texts[str(test.relative_to(root))] = test.read_text()
    return texts


def test_nothing_secret_reaches_students(lab):
    """4. No solution line and no hidden test in labs/ or in the public tests the package ships."""
    master = REPO / "solutions" / f"{lab}.ipynb"
    assert find_leaks(master, student_texts(lab, REPO)) == []
    nb = nbformat.read(REPO / "labs" / f"{lab}.ipynb", as_version=4)
    assert not [i for i, c in enumerate(nb.cells) if c.get("outputs")], "student notebooks ship without outputs"


def test_leak_check_finds_a_planted_leak(built):
    """4. The leak check is not vacuous: a solution line and a hidden test pasted into a copy are found."""
    lab = next(iter(built.labs))
    master = REPO / "solutions" / f"{lab}.ipynb"
    solved = built.solved_notebook(lab).read_text()
    hidden = (built.root / "dist" / lab / "autograder" / "tests")
    texts = {"solved": solved, "hidden": "\n".join(p.read_text() for p in hidden.glob("*.py"))}
    findings = find_leaks(master, texts)
    assert any(f.startswith("solved: solution code") for f in findings)
    assert any(f.startswith("hidden: hidden test") for f in findings)


def test_labs_match_a_fresh_build(built, lab):
    """5. labs/ and the shipped public tests are what the build makes from solutions/ today."""
    fresh = normalise_student_notebook(built.root / "dist" / lab / "student" / f"{lab}.ipynb")
    committed = (REPO / "labs" / f"{lab}.ipynb").read_text()
    assert committed == fresh, f"labs/{lab}.ipynb is stale: run `rnncourse build {lab}` and commit the result"
    built_tests = {p.name: p.read_text() for p in (built.root / "rnncourse" / "lab_tests" / lab).glob("*.py")}
    shipped = {p.name: p.read_text() for p in (REPO / "rnncourse" / "lab_tests" / lab).glob("*.py")}
    assert shipped == built_tests, f"rnncourse/lab_tests/{lab} is stale: run `rnncourse build {lab}`"


def test_no_student_notebook_without_a_master():
    """5. Every notebook in labs/ comes from a master in solutions/ (a removed lab leaves nothing behind)."""
    masters = sorted(p.stem for p in (REPO / "solutions").glob("*.ipynb"))
    assert sorted(p.stem for p in (REPO / "labs").glob("*.ipynb")) == masters
    assert sorted(p.name for p in (REPO / "rnncourse" / "lab_tests").iterdir() if p.is_dir()) == masters


def test_student_notebook_runs_alone_in_simulated_colab(contract, lab):
    """6. In an empty folder under a Colab shell, a finished notebook runs top to bottom, every
    check passes, and grader.submit() runs the public checks, writes the zip and starts its
    download; the blank notebook's checks answer with failures, not crashes."""
    graded = contract[lab]
    solved = graded.colab_run
    errors = [(i, cell_text(c)) for i, c in enumerate(solved.cells) if has_error(c)]
    assert errors == [], f"cells raised in Colab: {errors}"
    checks = check_cells(solved)
    assert set(checks) == {q.name for q in graded.lab.autograded if q.has_tests}
    for question, text in checks.items():
        assert "passed" in text.lower(), f"{question}: check did not pass in Colab:\n{text}"
    submit = submit_text(solved)
    assert re.search(r"Public checks: (\d+) of \1 questions pass\.", submit), submit
    assert re.search(rf"Wrote ({lab}_[0-9T_]+\.zip): hand in this file\.\n+.*download started: \1", submit), submit

    # The blank notebook's checks, as its grading ran them (the same tests on the same cells as in
    # a student's kernel): each answers with a failure, not a crash of the check itself.
    blank = graded.results["blank.ipynb"].public
    for question in checks:
        text = blank.get(question, "")
        assert "failed" in text.lower(), f"{question}: blank check gave no verdict:\n{text}"
        assert "Error" not in text.split("\n")[0], f"{question}: the check itself crashed:\n{text}"


def test_cut_submissions_grade_as_rnncourse_grade_grades_them(contract, built, tmp_path):
    """forked_grading.py scores a cut submission's question as `rnncourse grade` does: a wrong
    answer, a correct variant and the stub of each question of the first lab, graded again the TAs'
    way. (The forked grading runs only the tests of the question a cut submission answers.)"""
    from rnncourse.course.grading.grade import grade

    lab = next(iter(built.labs))
    graded = contract[lab]
    cut = built.contract_grading.scratch / "cut" / lab
    chosen = tmp_path / "submissions"
    chosen.mkdir()
    for question in graded.lab.autograded:
        for name in (f"mutant-{question.name}-0", f"alternative-{question.name}-0", f"stub-{question.name}"):
            shutil.copy(cut / f"{name}.ipynb", chosen)
    book = grade(built.root, lab, [chosen], out=tmp_path / "grades", jobs=2, log=lambda *_: None)
    by_otter = book.results
    assert len(by_otter) == 3 * len(graded.lab.autograded)
    for name, result in by_otter.items():
        assert result.graded, f"{name}: {result.message}"
        question = question_of(name)
        assert graded.scores(name) == {question: result.scores[question]}, name


def test_package_answers_are_refused(contract, built, lab, note):
    """Issue 24, item 2: the refusals derived, not picked. Every call a hidden test made of the
    solution's functions (recorded as the contract graded it) is replayed on each of the package's
    public callables (helpers/walk.py); one that gives the same answer on every such call must be
    refused for each of them, by refusing_package (and not among the allowed) or by refusing."""
    calls = recording.path(built.contract_grading.grades / f"{lab}-handin", "handin.zip")
    assert calls.is_file(), f"{lab}: the solution's calls were not recorded ({calls}); clear .pytest_cache/d/rnncourse"
    start = time.monotonic()
    report = walk(recording.load(calls))
    note(f"{lab}: the refusal walk replayed {report.calls} hidden calls on {report.callables_tried} of the "
         f"package's {report.callables} public callables ({report.tried} calls, {time.monotonic() - start:.1f} s)")
    found = unrefused(report)
    assert not found, f"{lab}: the package's own functions give answers no refusal covers:\n" + "\n".join(
        f"{question}: {function} is reproduced by {callable_} on {count} hidden call(s) where it is not refused"
        f"{elsewhere}: add refusing_package(...) around the call in the hidden test of {question}, or "
        f"refusing({callable_})" for question, function, callable_, count, elsewhere in found)
