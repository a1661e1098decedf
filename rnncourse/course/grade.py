"""`rnncourse grade`: grade a batch of submissions with Otter, in parallel, without Docker.

Submissions are .ipynb notebooks and the zips that `grader.export()` writes, given as files or
folders. Each is first read here: a file that Otter could not grade (not a notebook, empty, broken
JSON, a zip without a notebook, a notebook of another lab) gets the status "invalid" and a message
saying why, without running anything.

Process model. This process imports Otter once (a few seconds), then forks one grading process
per submission, at most `jobs` at a time, so no grading pays for the import again. A grading
process starts a session of its own, works in a temporary folder of its own (a copy of the
submission, Otter's files, the kernel's connection file, TMPDIR: nothing is written beside the
submissions or in the checkout) and calls otter.api.grade_submission, which runs the notebook in
a Jupyter kernel and the tests against it. On Linux it also adopts any process the notebook
orphans and dies with this process. A submission that runs past `timeout` seconds is stopped
with its whole tree: the grading process, the kernel (which Jupyter starts in a session of its
own) and everything the notebook started, by process group. Ctrl-C stops every running tree the
same way. Results go to the gradebook (gradebook.py) as each submission finishes, so a rerun of
the same command grades only what is missing.

Each notebook is graded under the `python3` kernel whatever its metadata names (as Otter's
containers and Gradescope do), and each grading process gets cpu_count / jobs threads for math
libraries, so that parallel grading does not oversubscribe the cores.

`--docker` hands the same batch to `otter grade` (one container per submission) instead.
"""

import hashlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from .build import build
from .gradebook import MARKER, Gradebook, shown, write_atomic
from .labs import select_labs

DEFAULT_TIMEOUT = 300          # seconds per submission; a lab notebook runs in about a minute
SUBMISSION_TYPES = (".ipynb", ".zip")
POLL = 0.05                    # seconds between looks at the running grading processes
MARKER_ENV = "RNNCOURSE_GRADING"   # set in every grading process and its kernel: the gradebook folder
# Otter's API and what it imports only when it grades (its runner, the notebook preprocessor), psutil.
PRELOAD = ("otter.api", "otter.run.run_autograder.runners.python_runner", "otter.execute.preprocessor", "psutil")


class GradeError(Exception):
    """The batch cannot start (no submissions, bad arguments, no Docker); the message says what to do."""


class Invalid(Exception):
    """A submission Otter cannot grade; the message is written into its row."""


@dataclass
class Submission:
    name: str       # its path relative to the folder given (or its file name): the gradebook's key
    path: Path
    sha256: str


@dataclass
class Task:
    submission: Submission
    prepared: Path  # the copy that is graded, inside `work`
    work: Path


# ---------------------------------------------------------------- finding and checking submissions

def find_submissions(paths):
    """Every file under `paths` (files, or folders searched recursively), sorted by name.

    Hidden files and folders (.DS_Store, .ipynb_checkpoints) and gradebook folders (holding a
    gradebook.json) are skipped. Raises GradeError for a path that does not exist, for two
    different files with the same name, and when nothing is found.
    """
    found = {}
    for given in map(Path, paths):
        if not given.exists():
            raise GradeError(f"{given}: no such file or folder. Give files or folders of submissions.")
        if given.is_file():
            candidates = [(given.name, given)]
        else:
            gradebooks = [m.parent for m in given.rglob(MARKER)]
            candidates = [(str(p.relative_to(given)), p) for p in sorted(given.rglob("*"))
                          if p.is_file() and not any(part.startswith(".") or part == "__MACOSX"
                                                     for part in p.relative_to(given).parts)
                          and not any(p.is_relative_to(g) for g in gradebooks)]
        for name, path in candidates:
            if name in found and found[name].resolve() != path.resolve():
                raise GradeError(f"two submissions are named {name!r}: {found[name]} and {path}. "
                                 "Rename one, or grade them into different --out folders.")
            found[name] = path
    if not found:
        raise GradeError(f"no submissions found in {', '.join(map(str, paths))}: give .ipynb notebooks or "
                         "the zips that grader.export() writes, or folders holding them.")
    return [Submission(name, path, hashlib.sha256(path.read_bytes()).hexdigest())
            for name, path in sorted(found.items())]


def read_notebook(data, where, lab_name):
    """The notebook in `data` (bytes) as a dict, checked to be a notebook of lab `lab_name`."""
    import nbformat

    if not data.strip():
        raise Invalid(f"{where} is empty")
    try:
        nb = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise Invalid(f"{where} is not valid JSON ({e}): it is probably cut short, or not a notebook; "
                      "download the .ipynb again") from None
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8-sig"), as_version=4))
    except Exception as e:
        raise Invalid(f"{where} is JSON but not a Jupyter notebook ({str(e).splitlines()[0][:120]})") from None
    assignment = (nb.get("metadata", {}).get("otter") or {}).get("assignment_name")
    if assignment is None:
        raise Invalid(f"{where} has no Otter assignment name in its metadata, so it was not made from "
                      f"labs/{lab_name}.ipynb: hand in the lab's own notebook")
    if assignment != lab_name:
        raise Invalid(f"{where} is a notebook of lab {assignment}, not {lab_name}")
    return nb


def zip_notebook(path, lab_name):
    """(member name, notebook dict) of the one notebook at the top of a grader.export() zip."""
    if not zipfile.is_zipfile(path):
        raise Invalid("not a readable zip file")
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.endswith(".ipynb") and not n.startswith("__MACOSX/")]
        top = [n for n in names if "/" not in n]
        if not top:
            inside = f" (only inside folders: {', '.join(names[:3])})" if names else ""
            raise Invalid(f"the zip holds no notebook at its top level{inside}; Otter grades the .ipynb "
                          "that grader.export() puts there")
        if len(top) > 1:
            raise Invalid(f"the zip holds {len(top)} notebooks ({', '.join(top[:4])}); Otter grades one")
        return top[0], read_notebook(zf.read(top[0]), f"the notebook {top[0]} in the zip", lab_name)


def with_python3_kernel(nb):
    """`nb` as JSON text, run by the python3 kernel (containers and Gradescope force it too)."""
    nb.setdefault("metadata", {}).setdefault("kernelspec", {}).update(
        name="python3", display_name="Python 3", language="python")
    return json.dumps(nb, ensure_ascii=False)


def prepare(submission, work, lab_name):
    """Check a submission and copy it into `work` to be graded; returns the copy. Raises Invalid."""
    path = submission.path
    suffix = path.suffix.lower()
    if suffix not in SUBMISSION_TYPES:
        raise Invalid(f"not a notebook: {path.name} is neither an .ipynb nor a zip from grader.export()")
    if path.stat().st_size == 0:
        raise Invalid("empty file")
    work.mkdir(parents=True)
    copy = work / f"submission{suffix}"
    if suffix == ".ipynb":
        copy.write_text(with_python3_kernel(read_notebook(path.read_bytes(), "the file", lab_name)), encoding="utf-8")
        return copy
    member, nb = zip_notebook(path, lab_name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, with_python3_kernel(nb) if info.filename == member else data)
    return copy


def autograder_digest(autograder_zip):
    """A digest of what the autograder zip holds (its timestamps left out): a rebuilt, unchanged lab
    keeps its digest, so its grades are kept; changed tests change it, so submissions are regraded."""
    h = hashlib.sha256()
    with zipfile.ZipFile(autograder_zip) as zf:
        for name in sorted(zf.namelist()):
            h.update(name.encode() + b"\0" + zf.read(name) + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------- grading in forked processes

def preload_otter():
    """Import what grading uses, once, here: every forked grading process inherits it."""
    for module in PRELOAD:
        importlib.import_module(module)


def grade_with_otter(prepared, autograder_zip):
    """Grade one prepared submission in this process; an outcome dict (see gradebook.py)."""
    from nbclient.exceptions import DeadKernelError
    from otter.api import grade_submission

    try:
        results = grade_submission(str(prepared), str(autograder_zip), quiet=True)
    except DeadKernelError:
        return {"status": "error", "message": "the kernel died while running the notebook (a cell ended "
                "Python, e.g. os._exit, or it crashed or ran out of memory)"}
    if results.has_catastrophic_failure():
        return {"status": "error", "message": explain_missing_results(results)}
    return {"status": "graded", "total": results.total, "possible": results.possible,
            "scores": {q: tf.score for q, tf in results.results.items()},
            "public": {q: tf.summary(public_only=True) for q, tf in results.results.items()}}


def explain_missing_results(results):
    """Why Otter has no results: its last cell (which collects them) failed, usually after os.chdir."""
    reason = f"Otter could not collect the results ({type(results.catastrophic_error).__name__}: " \
             f"{results.catastrophic_error})"
    cells = getattr(results, "notebook", None)
    errors = [o for o in (cells.cells[-1].get("outputs", []) if cells and cells.cells else [])
              if o.get("output_type") == "error"]
    if errors:
        reason += f"; its final cell failed with {errors[0]['ename']}: {errors[0]['evalue']}"
        if errors[0]["ename"] == "FileNotFoundError" and "tests" in errors[0]["evalue"]:
            reason += (" (the notebook changed the working directory with os.chdir and did not change "
                       "back; Otter needs it unchanged, here and on Gradescope)")
    return reason


def _linux_tie_to_parent():
    """Die when the batch process dies, and adopt processes the notebook orphans (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig, pr_set_child_subreaper = 1, 36
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    libc.prctl(pr_set_child_subreaper, 1, 0, 0, 0)


def _grading_process(task, autograder_zip, marker, threads, parent):
    """The body of a forked grading process: grade, write work/outcome.json, clean up, exit."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _linux_tie_to_parent()
        if os.getppid() != parent:          # the batch died before the tie was made
            os._exit(1)
        work = task.work
        log = os.open(work / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(work)
        tempfile.tempdir = str(work)
        os.environ.update({"TMPDIR": str(work), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
                           MARKER_ENV: marker})
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ.setdefault(var, str(threads))
        try:
            outcome = grade_with_otter(task.prepared, autograder_zip)
        except Exception as e:
            outcome = {"status": "error", "message": f"Otter failed: {type(e).__name__}: {e}"}
        write_atomic(work / "outcome.json", json.dumps(outcome))
        stop_descendants(os.getpid())
        code = 0
    finally:
        os._exit(code)


def _process_groups(pids):
    groups = set()
    for pid in pids:
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            pass
    return groups - {os.getpgrp()}       # never our own group


def _signal_all(pids, sig):
    for group in _process_groups(pids):
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop_descendants(pid, include_self=False):
    """SIGKILL every descendant of `pid` (and `pid` itself if asked) with their process groups.

    All are stopped (SIGSTOP) first and listed again, so none can start new processes in between.
    """
    import psutil

    def tree():
        try:
            root = psutil.Process(pid)
            return [p.pid for p in root.children(recursive=True)] + ([pid] if include_self else [])
        except psutil.NoSuchProcess:
            return [pid] if include_self else []

    first = tree()
    _signal_all(first, signal.SIGSTOP)
    _signal_all(sorted(set(first) | set(tree())), signal.SIGKILL)


def stop_tree(pid):
    """Stop a grading process with its kernel and everything the notebook started; reap it."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return                  # reaped already: its pid may be someone else's by now
    if not done:
        stop_descendants(pid, include_self=True)
        os.waitpid(pid, 0)


def _outcome_after_exit(task, wait_status):
    path = task.work / "outcome.json"
    if path.is_file():
        return json.loads(path.read_text())
    log = task.work / "log.txt"
    tail = log.read_text(errors="replace")[-300:].strip() if log.is_file() else ""
    how = (f"killed by signal {os.WTERMSIG(wait_status)}" if os.WIFSIGNALED(wait_status)
           else f"exit code {os.WEXITSTATUS(wait_status)}")
    return {"status": "error", "message": f"the grading process ended without a result ({how})"
            + (f"; its last output: {tail}" if tail else "")}


def run_in_processes(tasks, autograder_zip, *, jobs, timeout, marker, on_outcome):
    """Grade `tasks`, `jobs` at a time, each in a forked process; call on_outcome(task, outcome) as each ends.

    On Ctrl-C (or SIGTERM) every running grading tree is stopped, then KeyboardInterrupt goes on up.
    """
    threads = max(1, (os.cpu_count() or 1) // jobs)
    queue, running = deque(tasks), {}
    previous_term = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while queue or running:
            while queue and len(running) < jobs:
                task = queue.popleft()
                sys.stdout.flush()
                sys.stderr.flush()
                parent = os.getpid()
                pid = os.fork()
                if pid == 0:
                    _grading_process(task, autograder_zip, marker, threads, parent)
                running[pid] = (task, time.monotonic())
            time.sleep(POLL)
            for pid, (task, started) in list(running.items()):
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                seconds = time.monotonic() - started
                if done:
                    outcome = _outcome_after_exit(task, wait_status)
                elif seconds > timeout:
                    stop_tree(pid)
                    outcome = {"status": "timeout", "message": f"did not finish within {timeout:g} s (an endless "
                               "loop, or a slow notebook: the same command with a larger --timeout grades it "
                               "again); its kernel and everything it started were stopped"}
                else:
                    continue
                del running[pid]
                on_outcome(task, {**outcome, "seconds": round(seconds, 2)})
    finally:
        for pid in running:
            stop_tree(pid)
        signal.signal(signal.SIGTERM, previous_term)


# ---------------------------------------------------------------- grading with Docker (otter grade)

def docker_available():
    """(usable, why not): whether a Docker engine answers `docker info`."""
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    lines = (result.stderr or result.stdout).strip().splitlines()
    return result.returncode == 0, (lines[-1] if lines else f"exit code {result.returncode}")


def read_final_grades(csv_path, questions):
    """Otter Grade's final_grades.csv as {file: outcome}; its first row holds the points possible."""
    import csv

    outcomes = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["file"] == "points-per-question":
                continue
            status = row["grading_status"]
            if status == "Completed":
                outcomes[row["file"]] = {"status": "graded", "total": float(row["total_points_earned"]),
                                         "scores": {q: float(row[q]) for q in questions if row.get(q, "") != ""},
                                         "public": {}}
            else:
                kind = "timeout" if "timed out" in status else "error"
                outcomes[row["file"]] = {"status": kind, "message": f"otter grade: {status}"}
    return outcomes


def run_in_docker(tasks, autograder_zip, *, lab, jobs, timeout, scratch, on_outcome):
    """Grade `tasks` with `otter grade` (Docker), one run per file type; call on_outcome for each task."""
    usable, why = docker_available()
    if not usable:
        raise GradeError(f"--docker needs a running Docker engine, and `docker info` failed ({why}). "
                         "Start Docker, or grade without --docker.")
    questions = [q.name for q in lab.autograded]
    for suffix in SUBMISSION_TYPES:
        batch = [t for t in tasks if t.prepared.suffix == suffix]
        if not batch:
            continue
        staged, out = scratch / f"docker-{suffix[1:]}", scratch / f"docker-{suffix[1:]}-out"
        staged.mkdir()
        out.mkdir()
        # Otter names rows by file name: stage each submission under a unique one.
        names = {}
        for i, task in enumerate(batch):
            names[f"s{i:05d}{suffix}"] = task
            shutil.copy(task.prepared, staged / f"s{i:05d}{suffix}")
        started = time.monotonic()
        command = [sys.executable, "-m", "otter", "grade", "-n", lab.name, "-a", str(autograder_zip),
                   "-o", str(out), "--containers", str(jobs), "--timeout", str(int(timeout)),
                   "--ext", suffix[1:], str(staged)]
        result = subprocess.run(command)
        grades = out / "final_grades.csv"
        if result.returncode != 0 or not grades.is_file():
            raise GradeError(f"otter grade failed (exit code {result.returncode}); its output is above.")
        outcomes = read_final_grades(grades, questions)
        seconds = round((time.monotonic() - started) / len(batch), 2)
        for file, task in names.items():
            outcome = outcomes.get(file, {"status": "error", "message": "otter grade returned no row for it"})
            on_outcome(task, {**outcome, "seconds": seconds})


# ---------------------------------------------------------------- the command

def autograder_zip_for(root, lab, log=print):
    """dist/<lab>/autograder.zip, built first if missing."""
    path = Path(root) / "dist" / lab.name / "autograder.zip"
    if not path.is_file():
        log(f"{path.relative_to(root)} is missing: building lab {lab.name} first.")
        build(root, [lab.name], log=log)
    elif lab.master.stat().st_mtime > path.stat().st_mtime:
        log(f"note: {lab.master.name} changed after {path.relative_to(root)} was built; "
            f"run `rnncourse build {lab.name}` to grade with the new version.")
    return path


def prepare_all(submissions, scratch, lab_name, on_outcome):
    """A Task per gradable submission, each in its own folder under `scratch`; the others get their
    outcome ("invalid") at once."""
    tasks = []
    for i, s in enumerate(submissions):
        work = scratch / f"{i:05d}"
        try:
            tasks.append(Task(s, prepare(s, work, lab_name), work))
        except Invalid as e:
            on_outcome(Task(s, s.path, work), {"status": "invalid", "message": str(e)})
        except Exception as e:     # a damaged zip, an unreadable file: still a row, never a crash
            on_outcome(Task(s, s.path, work), {"status": "invalid",
                                               "message": f"could not be read ({type(e).__name__}: {e})"})
    return tasks


def grade(root, lab_spec, paths, *, out=None, jobs=None, timeout=DEFAULT_TIMEOUT, force=False,
          docker=False, log=print):
    """Grade the submissions in `paths` for lab `lab_spec` into the gradebook folder `out`.

    Returns the Gradebook (closed). Raises GradeError, GradebookError or LabError with a message
    for the user, KeyboardInterrupt after stopping everything on Ctrl-C.
    """
    from tqdm import tqdm

    jobs = jobs or os.cpu_count() or 1
    if jobs < 1 or timeout <= 0:
        raise GradeError("--jobs must be at least 1 and --timeout above 0 seconds.")
    if not hasattr(os, "fork"):
        raise GradeError("rnncourse grade runs on Linux and macOS; on Windows, run it in WSL.")
    (lab,) = select_labs(root, [lab_spec])
    out = Path(out or f"grades-{lab.name}")
    submissions = find_submissions(paths)
    book = Gradebook.open(out, lab)
    try:
        autograder_zip = autograder_zip_for(root, lab, log)
        digest = autograder_digest(autograder_zip)
        todo = [s for s in submissions if force or not book.is_current(s.name, s.sha256, digest, timeout)]
        how = "in Docker" if docker else f"{jobs} at a time"
        log(f"{lab.name}: {len(submissions)} submissions, {len(submissions) - len(todo)} already graded in "
            f"{shown(out)}, {len(todo)} to grade" + (f" ({how}, timeout {timeout:g} s)" if todo else ""))
        tqdm.monitor_interval = 0      # no monitor thread in a process that forks
        with tempfile.TemporaryDirectory(prefix="rnncourse-grade-") as scratch, \
                tqdm(total=len(todo), unit="submission", desc=lab.name, disable=not todo) as bar:

            def keep(task, outcome):
                s = task.submission
                book.record({"submission": s.name, "source": str(s.path.resolve()), "sha256": s.sha256,
                             "autograder": digest, "total": None, "possible": lab.points, "scores": {},
                             "public": {}, "message": "", "seconds": 0.0, "timeout": timeout,
                             "engine": "docker" if docker else "local", **outcome})
                bar.update()
                bar.set_postfix_str(f"last: {s.name} {outcome['status']}")

            tasks = prepare_all(todo, Path(scratch), lab.name, keep)
            if tasks and docker:
                run_in_docker(tasks, autograder_zip, lab=lab, jobs=jobs, timeout=timeout, scratch=Path(scratch),
                              on_outcome=keep)
            elif tasks:
                preload_otter()
                run_in_processes(tasks, autograder_zip, jobs=jobs, timeout=timeout,
                                 marker=str(out.resolve()), on_outcome=keep)
        book.finish()
        return book
    finally:
        book.close()
