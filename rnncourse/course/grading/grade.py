"""`rnncourse grade`: grade a batch of submissions of one lab, in parallel, each in a sandbox.

The steps, one module each: submissions.py finds and checks the files (a file that cannot be
graded gets the status "invalid" without running anything); the engine (engine.py, a fresh
process) grades the rest in parallel grading processes (processes.py), each running its
submission in a sandboxed kernel and the lab's tests outside it (grader.py); docker.py hands them
to containers instead (--docker); and gradebook.py keeps a Result (result.py) per submission the
moment it is graded, so a rerun of the same command grades only what is missing or changed. The
lab must be built (`rnncourse build`): the command line builds it first when its zip is missing.
"""

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from ..authoring.build import autograder_zip
from ..authoring.labs import select_labs
from ..files import shown
from . import recording
from .docker import run_in_docker
from .engine import notebook_imports
from .errors import GradeError
from .gradebook import Gradebook
from .processes import MARKER_ENV
from .result import Result
from .sandbox import Sandbox, problem, readable_paths
from .submissions import GradingJob, Invalid, autograder_digest, find_submissions, prepare

DEFAULT_TIMEOUT = 300          # seconds per submission; a lab notebook runs in about a minute
UNSAFE = ("warning: --unsafe: submissions run WITHOUT a sandbox, as you: their code can read and change "
          "your files and reach the network. Their scores are still computed outside their kernels.")

def prepare_all(submissions, scratch, lab_name, on_outcome):
    """A GradingJob per gradable submission, each in its own folder under `scratch`; the others get
    their outcome ("invalid") at once."""
    jobs = []
    for i, s in enumerate(submissions):
        work = scratch / f"{i:05d}"
        try:
            jobs.append(GradingJob(s, prepare(s, work, lab_name), work))
        except Invalid as e:
            on_outcome(GradingJob(s, s.path, work), Result("invalid", str(e)))
        except Exception as e:     # a damaged zip, an unreadable file: still a row, never a crash
            on_outcome(GradingJob(s, s.path, work), Result("invalid", f"could not be read ({type(e).__name__}: {e})"))
    return jobs


def grade(root, lab_spec, paths, *, out=None, jobs=None, timeout=DEFAULT_TIMEOUT, force=False,
          docker=False, sandbox=None, log=print):
    """Grade the submissions in `paths` for lab `lab_spec` (built) into the gradebook folder `out`.

    jobs: submissions graded at once (default: one per core). sandbox: what each submission's
    kernel may use (a sandbox.Sandbox, default Sandbox(); mode "none" for --unsafe). Returns the
    Gradebook (closed). Raises GradeError, GradebookError or LabError with a message for the user,
    KeyboardInterrupt after stopping everything on Ctrl-C.
    """
    from tqdm import tqdm

    jobs = jobs or os.cpu_count() or 1
    if jobs < 1 or timeout <= 0:
        raise GradeError("--jobs must be at least 1 and --timeout above 0 seconds.")
    if not hasattr(os, "fork"):
        raise GradeError("rnncourse grade runs on Linux and macOS; on Windows, run it in WSL.")
    sandbox = Sandbox(**{**asdict(sandbox or Sandbox()), "readable": readable_paths()})
    if not docker:
        check_sandbox(sandbox, log)
    root = Path(root).resolve()     # each grading process works in a folder of its own
    (lab,) = select_labs(root, [lab_spec])
    out = Path(out or f"grades-{lab.name}")
    submissions = find_submissions(paths)
    book = Gradebook.open(out, lab)
    try:
        zip_path = autograder_zip(root, lab)
        if not zip_path.is_file():
            raise GradeError(f"lab {lab.name} is not built (no dist/{lab.name}/autograder.zip): run "
                             f"`rnncourse build {lab.name}` first.")
        digest = autograder_digest(zip_path)
        todo = [s for s in submissions if force or not book.is_current(s.name, s.sha256, digest, timeout)]
        how = "in Docker" if docker else f"{jobs} at a time"
        log(f"{lab.name}: {len(submissions)} submissions, {len(submissions) - len(todo)} already graded in "
            f"{shown(out)}, {len(todo)} to grade" + (f" ({how}, timeout {timeout:g} s)" if todo else ""))
        with tempfile.TemporaryDirectory(prefix="rnncourse-grade-") as scratch, \
                tqdm(total=len(todo), unit="submission", desc=lab.name, disable=not todo) as bar:

            def keep(job, outcome):
                s = job.submission
                book.record(outcome.but(submission=s.name, source=str(s.path.resolve()), sha256=s.sha256,
                                        autograder=digest, timeout=timeout, engine="docker" if docker else "local",
                                        possible=lab.points if outcome.possible is None else outcome.possible))
                recording.keep(job.work, out, s.name)
                bar.update()
                bar.set_postfix_str(f"last: {s.name} {outcome.status}")

            graded = prepare_all(todo, Path(scratch), lab.name, keep)
            if graded and docker:
                run_in_docker(graded, zip_path, lab=lab, parallel=jobs, timeout=timeout, on_outcome=keep,
                              network=sandbox.network)
            elif graded:
                student = zip_path.parent / "student" / f"{lab.name}.ipynb"
                run_engine(graded, zip_path, modules=notebook_imports(student) if student.is_file() else [],
                           parallel=jobs, timeout=timeout, marker=str(out.resolve()), sandbox=sandbox,
                           on_outcome=keep, log_folder=Path(scratch))
        book.finish()
        return book
    finally:
        book.close()


def check_sandbox(sandbox, log):
    """Refuse to start where the machine does not let kernels into their sandbox (say why)."""
    if sandbox.mode == "none":
        log(UNSAFE)
        return
    why = problem(sandbox)
    if why:
        raise GradeError(f"submissions cannot be graded in a sandbox on this machine: {why}. Grade as root, or enable "
                         "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu "
                         "kernel.apparmor_restrict_unprivileged_userns=0), or grade with --docker; --unsafe grades "
                         "without a sandbox.")


def run_engine(jobs, zip_path, *, modules, parallel, timeout, marker, sandbox, on_outcome, log_folder):
    """Grade `jobs` in the engine (engine.py, a process of its own); on_outcome(job, Result) as each ends."""
    batch = {"autograder_zip": str(zip_path), "parallel": parallel, "timeout": timeout, "marker": marker,
             "modules": modules, "sandbox": asdict(sandbox),
             "jobs": [{"index": i, "prepared": str(j.prepared), "work": str(j.work)} for i, j in enumerate(jobs)]}
    log = open(log_folder / "engine.log", "w")      # noqa: SIM115 (open while the engine runs)
    # In a folder of its own: `python -m` puts the current folder first on the module path.
    engine = subprocess.Popen([sys.executable, "-m", "rnncourse.course.grading.engine"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=log, text=True, cwd=log_folder,
                              env={**os.environ, MARKER_ENV: marker})
    try:
        engine.stdin.write(json.dumps(batch))
        engine.stdin.close()
        for line in engine.stdout:
            report = json.loads(line)
            on_outcome(jobs[report["index"]], Result.from_dict(report["result"]))
        if engine.wait() != 0:
            raise GradeError(f"the grading engine stopped (exit code {engine.returncode}): "
                             + (log_folder / "engine.log").read_text(errors="replace")[-1500:])
    finally:
        if engine.poll() is None:
            engine.terminate()          # it stops every grading tree, then ends
            engine.wait()
        log.close()
