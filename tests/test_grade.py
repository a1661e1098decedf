"""`rnncourse grade` and `rnncourse demo`: scores, bad submissions, resume, isolation, CLI errors.

Everything grades lab 01 in the course that conftest builds once per run (`built`). The demo
submissions (correct, partly wrong, blank, broken) are checked against the grading contract's
known values; each bad submission below is a few lines, generated here.
"""

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import nbformat
import psutil
import pytest
import yaml

from rnncourse.course.authoring.labs import find_labs, select_labs
from rnncourse.course.authoring.settings import CourseSettings, otter_requirement
from rnncourse.course.grading.docker import docker_available, read_result
from rnncourse.course.grading.engine import MARKER_ENV
from rnncourse.course.grading.grade import grade
from rnncourse.course.grading.gradebook import Gradebook
from rnncourse.course.grading.grader import KERNEL_NAME
from rnncourse.course.grading.result import Result

from helpers.command import rnncourse as in_process

LAB = "01-forward"


def rnncourse(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "rnncourse.course.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True)


def read_grades(folder):
    with open(folder / "grades.csv", newline="") as f:
        return list(csv.DictReader(f))


def shell_env(tmp):
    """The environment of a TA's shell with TMPDIR=tmp. Without the torch cache folder that torch
    names in this process's environment once something here imports torch._dynamo: the command
    must not leave one in TMPDIR either way."""
    env = dict(os.environ, TMPDIR=str(tmp))
    env.pop("TORCHINDUCTOR_CACHE_DIR", None)
    return env


def tree(folder):
    """{relative path: bytes} of every file under `folder`."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def processes_marked(out, tmp=None):
    """Processes started for grading into `out`: those whose environment carries its path (what the
    notebooks start), and, given the TMPDIR `tmp` of the command, every fork of it (the grading
    processes and their kernels, which keep the environment the command started with)."""
    found = []
    for p in psutil.process_iter():
        try:
            env = p.environ()
            if env.get(MARKER_ENV) == str(out.resolve()) or (tmp and env.get("TMPDIR") == str(tmp)):
                found.append(p)
        except (psutil.Error, OSError):
            pass
    return [p for p in found if p.pid != os.getpid()]


def is_kernel(p):
    """A grading kernel (grader.py names its process so)."""
    try:
        return p.name() == KERNEL_NAME
    except psutil.Error:
        return False


def wait_until(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting {seconds} s for {what}")


def notebook(*sources, lab=LAB, kernel="python3"):
    """A small notebook of `lab` (None: no Otter metadata) with one code cell per source."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    if lab:
        nb.metadata["otter"] = {"assignment_name": lab}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(nb)


@pytest.fixture(scope="module")
def lab01(built):
    (lab,) = select_labs(built.root, [LAB])
    return lab


@pytest.fixture(scope="module")
def ta_dir(built):
    """An empty working folder inside the built course, where a TA would run the commands."""
    folder = built.root / "ta"
    folder.mkdir(exist_ok=True)
    return folder


# ---------------------------------------------------------------- the demo: scores of known submissions

def test_demo_rows_have_the_contract_scores(demo_run, lab01):
    """Correct: full marks on every question; partly wrong: loses exactly its blanked question;
    blank: 0 everywhere; broken: invalid. Columns and order as documented."""
    _, grades = demo_run
    rows = {row["submission"]: row for row in read_grades(grades)}
    questions = [q.name for q in lab01.autograded]
    with open(grades / "grades.csv", newline="") as f:
        assert next(csv.reader(f)) == ["submission", "status", "total", "possible", *questions, "message"]
    assert list(rows) == sorted(rows) == ["blank.ipynb", "broken.ipynb", "correct.ipynb", "partly-wrong.ipynb"]
    blanked = lab01.autograded[-1]
    expected = {
        "correct.ipynb": {q.name: q.points for q in lab01.autograded},
        "partly-wrong.ipynb": {q.name: (0 if q is blanked else q.points) for q in lab01.autograded},
        "blank.ipynb": {q.name: 0 for q in lab01.autograded},
    }
    for name, scores in expected.items():
        row = rows[name]
        assert (row["status"], row["message"]) == ("graded", ""), row
        assert {q: float(row[q]) for q in questions} == scores, name
        assert float(row["total"]) == pytest.approx(sum(scores.values()))
        assert float(row["possible"]) == lab01.points
    broken = rows["broken.ipynb"]
    assert broken["status"] == "invalid" and "not valid JSON" in broken["message"]
    assert broken["total"] == "" and all(broken[q] == "" for q in questions)


def test_demo_prints_gradebook_and_summary_with_the_right_means(demo_run, lab01):
    """The printed summary counts statuses and averages each question over graded rows."""
    result, grades = demo_run
    graded = [row for row in read_grades(grades) if row["status"] == "graded"]
    assert "graded 3, timeout 0, error 0, invalid 1" in result.stdout
    total_mean = sum(float(r["total"]) for r in graded) / len(graded)
    assert f"mean total of graded: {total_mean:.2f} / {lab01.points:g}" in result.stdout
    for q in lab01.autograded:
        mean = sum(float(r[q.name]) for r in graded) / len(graded)
        assert re.search(rf"{q.name}\s+mean {mean:.2f} / {q.points:g}", result.stdout), q.name
    assert re.search(r"correct\.ipynb\s+graded\s+" + f"{lab01.points:g}", result.stdout)
    assert (grades / "totals.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def hidden_tests(autograder_zip):
    """{function name: its lines that no public test has} for the hidden tests in the autograder zip."""
    cases = {}
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                text = zf.read(name).decode()
                for match in re.finditer(r"hidden=(True|False)\)\ndef (\w+)\(.*?\n((?:    .*\n?)+)", text):
                    lines = {l.strip() for l in match.group(3).splitlines() if len(l.strip()) > 12}
                    cases[match.group(2)] = (match.group(1) == "True", lines)
    public = set().union(*(lines for hidden, lines in cases.values() if not hidden))
    return {name: lines - public for name, (hidden, lines) in cases.items() if hidden}


def hidden_count(autograder_zip, question):
    with zipfile.ZipFile(autograder_zip) as zf:
        return zf.read(f"tests/{question}.py").decode().count("hidden=True")


def section(feedback, question):
    """The lines of a feedback file about one question."""
    lines = feedback.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{question}: "))
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("    ")), len(lines))
    return "\n".join(lines[start:end])


def test_feedback_shows_scores_and_public_tests_but_no_hidden_test(demo_run, built, lab01):
    _, grades = demo_run
    hidden = hidden_tests(built.autograder_zip(LAB))
    assert hidden, "lab 01 has hidden tests"
    for name in ["correct.ipynb", "partly-wrong.ipynb", "blank.ipynb", "broken.ipynb"]:
        text = (grades / "feedback" / f"{name}.txt").read_text()
        for function, lines in hidden.items():
            assert function not in text, f"{name}: feedback names hidden test {function}"
            assert not [l for l in lines if l in text], f"{name}: feedback quotes hidden test {function}"
    blanked = lab01.autograded[-1]
    wrong = (grades / "feedback" / "partly-wrong.ipynb.txt").read_text()
    assert f"Score: {lab01.points - blanked.points:g} / {lab01.points:g}" in wrong
    assert f"{blanked.name}: 0 / {blanked.points:g}" in wrong and "Test case failed" in wrong
    # The TA's copy of the result keeps why the blanked question failed (the feedback, checked above,
    # never quotes a hidden test).
    result = Result.from_json(next((grades / "results").glob("partly-wrong.ipynb-*.json")).read_text())
    assert set(result.failures) == {blanked.name} and all(result.failures[blanked.name])
    # How many hidden tests passed, per question, without saying which.
    correct = (grades / "feedback" / "correct.ipynb.txt").read_text()
    for q in lab01.autograded:
        count = hidden_count(built.autograder_zip(LAB), q.name)
        assert f"hidden tests: {count} of {count} passed" in section(correct, q.name)
        if q is blanked:
            assert f"hidden tests: 0 of {count} passed" in section(wrong, q.name)
    assert "not valid JSON" in (grades / "feedback" / "broken.ipynb.txt").read_text()


# ---------------------------------------------------------------- bad submissions, isolation

BAD = {
    # name: (status, words in the message)
    "notes.txt": ("invalid", "not a notebook"),
    "empty.ipynb": ("invalid", "empty file"),
    "corrupt.ipynb": ("invalid", "not valid JSON"),
    "list.ipynb": ("invalid", "not a Jupyter notebook"),
    "nonotebook.zip": ("invalid", "holds no notebook"),
    "other-lab.ipynb": ("invalid", "notebook of lab 02-bigram, not 01-forward"),
    "no-name.ipynb": ("invalid", "no Otter assignment name"),
    "dies.ipynb": ("error", "kernel died"),
    "loops.ipynb": ("timeout", "did not finish within 10 s"),
    "wanders.ipynb": ("graded", ""),
    "loud.zip": ("graded", ""),
}


def write_bad_submissions(folder):
    folder.mkdir()
    (folder / "notes.txt").write_text("my answers are in the notebook")
    (folder / "empty.ipynb").write_text("")
    (folder / "corrupt.ipynb").write_text(notebook("x = 1")[:40])
    (folder / "list.ipynb").write_text("[1, 2]")
    with zipfile.ZipFile(folder / "nonotebook.zip", "w") as z:
        z.writestr("answers.txt", "42")
    (folder / "other-lab.ipynb").write_text(notebook("x = 1", lab="02-bigram"))
    (folder / "no-name.ipynb").write_text(notebook("x = 1", lab=None))
    (folder / "dies.ipynb").write_text(notebook("import os\nos._exit(3)"))
    (folder / "loops.ipynb").write_text(notebook("while True:\n    pass"))
    # A grader.export()-style zip whose notebook names a kernel that does not exist here, and
    # prints 2 MB: graded under python3 like Gradescope does, scoring 0.
    with zipfile.ZipFile(folder / "loud.zip", "w") as z:
        z.writestr("loud.ipynb", notebook("print('x' * 2_000_000)", kernel="my-laptop-venv"))
    # Writes files, starts background processes (one in a session of its own), leaves its folder:
    # all of it inside its sandbox, so it is graded as any other notebook.
    (folder / "wanders.ipynb").write_text(notebook(
        "import os, subprocess\nopen('grades.csv', 'w').write('forged')\n"
        "subprocess.Popen(['sleep', '600'], start_new_session=True)\nsubprocess.Popen(['sleep', '601'])\n"
        "os.chdir('..')\nos.chdir('..')\nopen('escaped.txt', 'w').write('x')"))


@pytest.fixture(scope="module")
def bad_run(built, ta_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("bad")
    subs, out, tmp = base / "submissions", base / "grades", base / "tmp"
    write_bad_submissions(subs)
    tmp.mkdir()
    before = {"subs": tree(subs), "cwd": tree(ta_dir)}
    result = rnncourse("grade", "1", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "10",
                       cwd=ta_dir, env=shell_env(tmp))
    assert result.returncode == 0, result.stderr
    return {"result": result, "subs": subs, "out": out, "tmp": tmp, "before": before}


def test_every_bad_submission_gets_a_row_and_its_reason(bad_run, lab01):
    rows = {row["submission"]: row for row in read_grades(bad_run["out"])}
    assert sorted(rows) == sorted(BAD)
    for name, (status, words) in BAD.items():
        assert rows[name]["status"] == status, (name, rows[name])
        assert words in rows[name]["message"], (name, rows[name]["message"])
        assert (bad_run["out"] / "feedback" / f"{name}.txt").is_file()
    assert [rows["loud.zip"][q.name] for q in lab01.autograded] == ["0"] * len(lab01.autograded)
    assert "graded 2, timeout 1, error 1, invalid 7, tampered 0" in bad_run["result"].stdout


def test_grading_writes_nothing_beside_the_submissions_and_leaves_nothing_running(bad_run, ta_dir):
    """Notebooks that write files and change directory touch neither the submissions, the TA's
    folder nor the gradebook; the temporary folders are gone; no kernel or process they started is left."""
    assert tree(bad_run["subs"]) == bad_run["before"]["subs"]
    assert tree(ta_dir) == bad_run["before"]["cwd"]
    assert list(bad_run["tmp"].iterdir()) == []
    assert sorted(p.name for p in bad_run["out"].iterdir()) == \
        ["feedback", "gradebook.json", "grades.csv", "results", "totals.png"]
    assert processes_marked(bad_run["out"], bad_run["tmp"]) == []


def test_rerun_grades_only_what_is_missing_or_changed(bad_run, tmp_path, ta_dir):
    """A result lost (as after a kill) or a submission handed in again is graded; nothing else is,
    and no row is duplicated."""
    subs, out = tmp_path / "submissions", tmp_path / "grades"
    shutil.copytree(bad_run["subs"], subs)
    shutil.copytree(bad_run["out"], out)
    (subs / "notes.txt").write_text("a changed file")
    lost = next((out / "results").glob("dies.ipynb-*.json"))
    lost.unlink()
    kept = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "results").glob("*.json")
            if not p.name.startswith("notes.txt")}
    result = rnncourse("grade", "1", str(subs), "--out", str(out), "--jobs", "2", "--timeout", "10", cwd=ta_dir)
    assert result.returncode == 0, result.stderr
    assert f"{len(BAD)} submissions, {len(BAD) - 2} already graded in {out}, 2 to grade" in result.stdout
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in (out / "results").glob("*.json")
            if p.name in kept} == kept
    rows = read_grades(out)
    assert sorted(r["submission"] for r in rows) == sorted(BAD)
    assert {r["submission"]: r["status"] for r in rows}["dies.ipynb"] == "error"


def grade_here(built, subs, out, **options):
    """rnncourse grade in this process (for batches that run no notebook); the lines it logs."""
    lines = []
    grade(built.root, "1", [subs], out=out, log=lines.append, **options)
    return "\n".join(lines)


def test_grade_from_python_takes_a_relative_course_root(built, tmp_path, monkeypatch):
    """grade() called from Python with a course root relative to the current folder: each grading
    process works in a folder of its own, so the autograder is found by its absolute path."""
    subs = tmp_path / "submissions"
    subs.mkdir()
    shutil.copy(built.solved_notebook("01-forward"), subs / "solved.ipynb")
    monkeypatch.chdir(built.root.parent)
    grade(built.root.name, "1", [subs], out=tmp_path / "grades", jobs=1, log=lambda *_: None)
    (row,) = read_grades(tmp_path / "grades")
    assert (row["status"], float(row["total"])) == ("graded", built.labs["01-forward"].points), row


def test_force_grades_everything_again(built, tmp_path):
    """--force grades all again. The gradebook may sit inside the submissions folder: it is no submission."""
    subs = tmp_path / "submissions"
    out = subs / "grades"
    subs.mkdir()
    (subs / "notes.txt").write_text("not a notebook")
    (subs / "empty.ipynb").write_text("")
    assert "2 submissions, 0 already graded in" in grade_here(built, subs, out)
    assert "2 submissions, 2 already graded in" in grade_here(built, subs, out)
    assert "2 submissions, 0 already graded in" in grade_here(built, subs, out, force=True)
    assert len(read_grades(out)) == 2


def test_a_timeout_is_graded_again_only_under_a_longer_limit(lab01, tmp_path):
    book = Gradebook.open(tmp_path, lab01)
    book.record(Result("timeout", "too slow", possible=lab01.points, seconds=10.0, submission="loops.ipynb",
                       source="x", sha256="s", autograder="a", timeout=10.0))
    assert book.is_current("loops.ipynb", "s", "a", timeout=10.0)
    assert book.is_current("loops.ipynb", "s", "a", timeout=5.0)
    assert not book.is_current("loops.ipynb", "s", "a", timeout=20.0)
    assert not book.is_current("loops.ipynb", "changed", "a", timeout=10.0)
    assert not book.is_current("loops.ipynb", "s", "rebuilt", timeout=10.0)
    book.close()


# ---------------------------------------------------------------- interrupted runs

def start_grading(subs, out, ta_dir, tmp, timeout):
    # SIGINT back to its default: a shell may start this test run with it ignored.
    return subprocess.Popen([sys.executable, "-m", "rnncourse.course.cli", "grade", "1", str(subs), "--out",
                             str(out), "--jobs", "2", "--timeout", str(timeout)], cwd=ta_dir,
                            env=shell_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@pytest.fixture
def endless(tmp_path):
    """Submissions: an endless loop and a text file (graded at once as invalid)."""
    subs, tmp = tmp_path / "submissions", tmp_path / "tmp"
    subs.mkdir()
    tmp.mkdir()
    (subs / "loops.ipynb").write_text(notebook("while True:\n    pass"))
    (subs / "notes.txt").write_text("not a notebook")
    return subs, tmp_path / "grades", tmp


def test_ctrl_c_stops_every_process_and_the_same_command_finishes(built, ta_dir, endless):
    subs, out, tmp = endless
    run = start_grading(subs, out, ta_dir, tmp, timeout=300)
    try:
        wait_until(lambda: any(is_kernel(p) for p in processes_marked(out, tmp)), 90,
                   "the kernel of loops.ipynb to start")
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        run.kill()
    assert run.returncode == 130 and "run the same command again" in stderr
    wait_until(lambda: not processes_marked(out, tmp), 10, "the kernel to be stopped")
    assert list(tmp.iterdir()) == []
    assert [r["submission"] for r in read_grades(out)] == ["notes.txt"]

    result = rnncourse("grade", "1", str(subs), "--out", str(out), "--timeout", "3", cwd=ta_dir)
    assert "2 submissions, 1 already graded" in result.stdout and "1 to grade" in result.stdout
    statuses = {r["submission"]: r["status"] for r in read_grades(out)}
    assert statuses == {"loops.ipynb": "timeout", "notes.txt": "invalid"}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="grading processes die with the batch on Linux only")
def test_sigkill_of_the_command_takes_its_grading_processes_along(built, ta_dir, endless):
    subs, out, tmp = endless
    run = start_grading(subs, out, ta_dir, tmp, timeout=300)
    try:
        wait_until(lambda: any(is_kernel(p) for p in processes_marked(out, tmp)), 90,
                   "the kernel of loops.ipynb to start")
    finally:
        run.kill()
        run.communicate()
    wait_until(lambda: not processes_marked(out, tmp), 15, "the kernel to stop after its grader was killed")
    assert [p.name.split("-")[0] for p in (out / "results").iterdir()] == ["notes.txt"]


# ---------------------------------------------------------------- errors, Gradescope, Docker

def run_cli(cwd, *args):
    """(exit code, stderr) of `rnncourse ARGS` run in `cwd`, in this process."""
    result = in_process(*args, cwd=cwd)
    return result.returncode, result.stderr


def test_clear_errors(built, ta_dir, tmp_path):
    subs = tmp_path / "submissions"
    subs.mkdir()
    (subs / ".DS_Store").write_text("hidden files are not submissions")
    code, err = run_cli(ta_dir, "grade", "99", str(subs))
    assert code == 1 and "Unknown lab '99'" in err and LAB in err
    code, err = run_cli(ta_dir, "grade", "1", str(subs))
    assert code == 1 and "no submissions found" in err
    code, err = run_cli(ta_dir, "grade", "1", str(tmp_path / "missing"))
    assert code == 1 and "no such file or folder" in err

    (subs / "a.ipynb").write_text("{}")
    other = next(l for l in find_labs(built.root) if l.name != LAB)
    Gradebook.open(tmp_path / "other", other).close()
    code, err = run_cli(ta_dir, "grade", "1", str(subs), "--out", str(tmp_path / "other"))
    assert code == 1 and f"holds the grades of lab {other.name}, not {LAB}" in err
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "thesis.tex").write_text("")
    code, err = run_cli(ta_dir, "grade", "1", str(subs), "--out", str(tmp_path / "busy"))
    assert code == 1 and "not a gradebook folder" in err
    assert not (ta_dir / f"grades-{LAB}").exists()


def test_gradescope_zip_holds_what_gradescope_runs(built, lab01):
    """The build's autograder.zip: Gradescope's entry running rnncourse's grading (not Otter's),
    an environment that installs the course package and the Otter that requirements.txt pins,
    the config of this lab, and each question's tests with hidden ones."""
    with zipfile.ZipFile(built.autograder_zip(LAB)) as zf:
        names = set(zf.namelist())
        assert {"run_autograder", "run_rnncourse.py", "setup.sh", "environment.yml", "otter_config.json"} <= names
        assert "run_otter.py" not in names
        assert zf.read("run_autograder").decode().strip().endswith("python /autograder/source/run_rnncourse.py")
        assert b"rnncourse.course.grading.gradescope" in zf.read("run_rnncourse.py")
        env = yaml.safe_load(zf.read("environment.yml"))
        pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
        assert CourseSettings.read(built.root).package_source in pip
        pinned = otter_requirement().split("==")[1]            # the release requirements.txt pins
        assert any(re.fullmatch(rf"otter-grader(\[[\w,]+\])?=={re.escape(pinned)}", p) for p in pip), pip
        assert json.loads(zf.read("otter_config.json"))["assignment_name"] == LAB
        for q in lab01.autograded:
            assert f"tests/{q.name}.py" in names
        assert "hidden=True" in "".join(zf.read(n).decode() for n in names if n.startswith("tests/"))


def test_gradescope_entry_grades_as_rnncourse_grade(built, demo_run, lab01, tmp_path):
    """The zip's entry, run as Gradescope runs it (its files under autograder/source, the student's
    in autograder/submission): results.json has each question's score, public output and hidden
    counts, the same scores as `rnncourse grade`; rnncourse.json holds the Result itself."""
    _, local = demo_run
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(built.autograder_zip(LAB)) as zf:
        zf.extractall(root / "source")
    shutil.copy(built.root / "dist" / "demo" / LAB / "submissions" / "partly-wrong.ipynb", root / "submission")
    done = subprocess.run([sys.executable, "-m", "rnncourse.course.grading.gradescope", "--root", str(root)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    want = next(r for r in read_grades(local) if r["submission"] == "partly-wrong.ipynb")
    assert {t["name"]: t["score"] for t in results["tests"]} == {q.name: float(want[q.name]) for q in lab01.autograded}
    assert all("hidden tests:" in t["output"] for t in results["tests"])
    assert read_result((root / "results" / "rnncourse.json").read_text()).total == float(want["total"])


def test_a_containers_result_is_read_as_json_and_nothing_else():
    """What a container leaves is a Result in JSON (docker.py); anything else is no result."""
    result = Result("graded", total=4.0, possible=5.0, scores={"forward": 2.0}, public={"forward": "all passed"},
                    hidden={"forward": [3, 3]})
    assert read_result(result.to_json()) == result
    assert read_result("\x80\x04garbage").status == "tampered"
    assert read_result('{"status": "graded", "total": 99, "unknown": 1}').total == 99      # unknown keys left out
    assert read_result('{"status": "owned"}').status == "tampered"


@pytest.mark.docker
def test_docker_grades_into_the_same_gradebook(built, demo_run, tmp_path):
    usable, why = docker_available()
    if not usable:
        pytest.skip(f"Docker is not usable here (`docker info`: {why})")
    _, local = demo_run
    subs = built.root / "dist" / "demo" / LAB / "submissions"
    result = rnncourse("grade", "1", str(subs), "--out", str(tmp_path / "docker"), "--docker", cwd=built.root)
    assert result.returncode == 0, result.stderr
    drop = ("message",)
    assert [{k: v for k, v in r.items() if k not in drop} for r in read_grades(tmp_path / "docker")] == \
        [{k: v for k, v in r.items() if k not in drop} for r in read_grades(local)]
    # The feedback too: the public tests' output and the hidden counts come back from the container.
    for path in (local / "feedback").glob("*.ipynb.txt"):
        assert (tmp_path / "docker" / "feedback" / path.name).read_text() == path.read_text()
