"""`rnncourse grade`: grade a batch of submissions of one lab with Otter, in parallel, without Docker.

The steps, one module each: submissions.py finds and checks the files (a file Otter could not
grade gets the status "invalid" without running anything), processes.py grades the rest in forked
processes with warm kernels (warm_kernel.py), docker.py hands them to `otter grade` instead
(--docker), and gradebook.py keeps a Result (result.py) per submission the moment it is graded, so
a rerun of the same command grades only what is missing or changed. The lab must be built
(`rnncourse build`): the command line builds it first when its autograder zip is missing.

Each notebook is graded under the `python3` kernel whatever its metadata names, as Otter's
containers and Gradescope do.
"""

import ast
import os
import tempfile
from pathlib import Path

import nbformat

from ..authoring.build import autograder_zip
from ..authoring.labs import select_labs
from ..files import shown
from .docker import run_in_docker
from .errors import GradeError
from .gradebook import Gradebook
from .limits import NO_LIMITS, network_namespace_problem
from .processes import preload, run_in_processes
from .result import Result
from .submissions import GradingJob, Invalid, autograder_digest, find_submissions, prepare

DEFAULT_TIMEOUT = 300          # seconds per submission; a lab notebook runs in about a minute



def notebook_imports(notebook):
    """The modules a notebook's code cells import (top level of each cell), in order, once each."""
    names = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:         # IPython magics and the like: not ours to import
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return list(dict.fromkeys(names))


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
          docker=False, limits=NO_LIMITS, log=print):
    """Grade the submissions in `paths` for lab `lab_spec` (built) into the gradebook folder `out`.

    jobs: submissions graded at once (default: one per core). limits: memory and network limits on
    each submission (limits.py). Returns the Gradebook (closed). Raises GradeError, GradebookError
    or LabError with a message for the user, KeyboardInterrupt after stopping everything on Ctrl-C.
    """
    from tqdm import tqdm

    jobs = jobs or os.cpu_count() or 1
    if jobs < 1 or timeout <= 0:
        raise GradeError("--jobs must be at least 1 and --timeout above 0 seconds.")
    if not hasattr(os, "fork"):
        raise GradeError("rnncourse grade runs on Linux and macOS; on Windows, run it in WSL.")
    if docker and limits.memory:
        raise GradeError("--memory limits local grading; with --docker, each container runs on its own.")
    if limits.no_network and not docker and (problem := network_namespace_problem()):
        raise GradeError(f"--no-network cannot cut submissions off the network here: {problem}. Run as root, "
                         "enable unprivileged user namespaces, or grade with --docker.")
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
        tqdm.monitor_interval = 0      # no monitor thread in a process that forks
        with tempfile.TemporaryDirectory(prefix="rnncourse-grade-") as scratch, \
                tqdm(total=len(todo), unit="submission", desc=lab.name, disable=not todo) as bar:

            def keep(job, outcome):
                s = job.submission
                book.record(outcome.but(submission=s.name, source=str(s.path.resolve()), sha256=s.sha256,
                                        autograder=digest, timeout=timeout, engine="docker" if docker else "local",
                                        possible=lab.points if outcome.possible is None else outcome.possible))
                bar.update()
                bar.set_postfix_str(f"last: {s.name} {outcome.status}")

            graded = prepare_all(todo, Path(scratch), lab.name, keep)
            if graded and docker:
                run_in_docker(graded, zip_path, lab=lab, parallel=jobs, timeout=timeout,
                              scratch=Path(scratch), on_outcome=keep, no_network=limits.no_network)
            elif graded:
                solved = zip_path.parent / "autograder" / f"{lab.name}.ipynb"
                preload(notebook_imports(solved) if solved.is_file() else ())
                run_in_processes(graded, zip_path, parallel=jobs, timeout=timeout,
                                 marker=str(out.resolve()), on_outcome=keep, limits=limits)
        book.finish()
        return book
    finally:
        book.close()
