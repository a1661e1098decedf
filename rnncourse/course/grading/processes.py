"""Grading in forked processes: one process per submission, stopped with everything it started.

This process imports Otter (and what the lab notebooks import) once; then it forks one grading
process per submission, at most `parallel` at a time, so no grading pays for the imports again.
A grading process starts a session of its own, works in a temporary folder of its own (a copy of
the submission, Otter's files, the kernel's connection file, TMPDIR: nothing is written beside the
submissions or in the checkout) and calls otter.api.grade_submission, which runs the notebook in a
Jupyter kernel (forked warm, see warm_kernel.py) and the tests against it. On Linux it also adopts
any process the notebook orphans and dies with this process. A submission that runs past
`timeout` seconds is stopped with its whole tree: the grading process, the kernel (which runs in a
session of its own) and everything the notebook started, by process group. Ctrl-C stops every
running tree the same way.

Each grading process gets cpu_count / parallel threads for math libraries, so that parallel
grading does not oversubscribe the cores.
"""

import importlib
import os
import signal
import sys
import tempfile
import time
from collections import deque

from ..files import write_atomic
from . import linux, warm_kernel
from .limits import NO_LIMITS, ran_out_of_memory
from .result import Result

POLL = 0.05                        # seconds between looks at the running grading processes
MARKER_ENV = "RNNCOURSE_GRADING"   # set in every grading process and its kernel: the gradebook folder
# Otter's API and what it imports only when it grades (its runner, the notebook preprocessor), psutil.
PRELOAD = ("otter.api", "otter.run.run_autograder.runners.python_runner", "otter.execute.preprocessor", "psutil")


def preload(notebook_modules=()):
    """Import what grading uses, once, here: every forked grading process and kernel inherits it.

    notebook_modules: what the lab's notebooks import (torch, numpy, ...), for the warm kernels.
    """
    for module in PRELOAD:
        importlib.import_module(module)
    import nbformat

    nbformat.validate(nbformat.v4.new_notebook())     # builds the validator once (0.06 s per grading)
    warm_kernel.preload(notebook_modules)


def grade_with_otter(prepared, autograder_zip, limits=NO_LIMITS):
    """Grade one prepared submission in this process; a Result."""
    from nbclient.exceptions import DeadKernelError
    from otter.api import grade_submission

    try:
        results = grade_submission(str(prepared), str(autograder_zip), quiet=True)
    except DeadKernelError:
        return Result("error", "the kernel died while running the notebook (a cell ended Python, e.g. os._exit, "
                      "or it crashed or ran out of memory"
                      + (f"; it was limited to {limits.memory_label} of memory)" if limits.memory else ")"))
    return outcome_of(results, limits)


def outcome_of(results, limits=NO_LIMITS):
    """The Result of Otter's GradingResults for one submission."""
    if limits.memory and ran_out_of_memory(results.notebook):
        return Result("error", f"out of memory (limit {limits.memory_label}): a cell raised MemoryError; grade it "
                      "again with a larger --memory if the lab needs more")
    if results.has_catastrophic_failure():
        return Result("error", explain_missing_results(results))
    return Result("graded", total=results.total, possible=results.possible,
                  scores={q: tf.score for q, tf in results.results.items()},
                  public={q: tf.summary(public_only=True) for q, tf in results.results.items()},
                  hidden={q: hidden_counts(tf) for q, tf in results.results.items()},
                  failures={q: failure_messages(tf) for q, tf in results.results.items() if not tf.passed_all})


def hidden_counts(test_file):
    """[passed, total] of a question's hidden test cases: how it went, without saying which."""
    hidden = [r for r in test_file.test_case_results if r.test_case.hidden]
    return [sum(r.passed for r in hidden), len(hidden)]


def failure_messages(test_file, limit=600):
    """The last lines of each failed test case's message (hidden ones too): for the TA, never the student."""
    return [(r.message or "").strip()[-limit:] for r in test_file.test_case_results if not r.passed]


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


def _grading_process(job, autograder_zip, marker, threads, parent, limits):
    """The body of a forked grading process: grade, write work/outcome.json, clean up, exit."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        linux.die_with_parent()
        linux.adopt_orphans()
        if os.getppid() != parent:          # the batch died before the tie was made
            os._exit(1)
        work = job.work
        log = os.open(work / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(work)
        tempfile.tempdir = str(work)
        os.environ.update({"TMPDIR": str(work), "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
                           MARKER_ENV: marker})
        for var in linux.THREAD_VARIABLES:
            os.environ.setdefault(var, str(threads))
        try:
            limits.apply()          # before the kernel is forked from here, so that it inherits them
            # Before Otter starts threads and sockets: the kernel it asks for is forked from here.
            warm_kernel.prepare(work)
            outcome = grade_with_otter(job.prepared, autograder_zip, limits)
        except Exception as e:
            outcome = Result("error", f"Otter failed: {type(e).__name__}: {e}")
        write_atomic(work / "outcome.json", outcome.to_json())
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


def _outcome_after_exit(job, wait_status):
    path = job.work / "outcome.json"
    if path.is_file():
        return Result.from_json(path.read_text())
    log = job.work / "log.txt"
    tail = log.read_text(errors="replace")[-300:].strip() if log.is_file() else ""
    how = (f"killed by signal {os.WTERMSIG(wait_status)}" if os.WIFSIGNALED(wait_status)
           else f"exit code {os.WEXITSTATUS(wait_status)}")
    return Result("error", f"the grading process ended without a result ({how})"
                  + (f"; its last output: {tail}" if tail else ""))


def run_in_processes(jobs, autograder_zip, *, parallel, timeout, marker, on_outcome, limits=NO_LIMITS):
    """Grade `jobs` (GradingJobs), `parallel` at a time, each in a forked process under `limits`
    (limits.py); call on_outcome(job, outcome) as each ends.

    On Ctrl-C (or SIGTERM) every running grading tree is stopped, then KeyboardInterrupt goes on up.
    """
    threads = max(1, (os.cpu_count() or 1) // parallel)
    queue, running = deque(jobs), {}
    previous_term = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while queue or running:
            while queue and len(running) < parallel:
                job = queue.popleft()
                sys.stdout.flush()
                sys.stderr.flush()
                parent = os.getpid()
                pid = os.fork()
                if pid == 0:
                    _grading_process(job, autograder_zip, marker, threads, parent, limits)
                running[pid] = (job, time.monotonic())
            time.sleep(POLL)
            for pid, (job, started) in list(running.items()):
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                seconds = time.monotonic() - started
                if done:
                    outcome = _outcome_after_exit(job, wait_status)
                elif seconds > timeout:
                    stop_tree(pid)
                    outcome = Result("timeout", f"did not finish within {timeout:g} s (an endless loop, or a slow "
                                     "notebook: the same command with a larger --timeout grades it again); its "
                                     "kernel and everything it started were stopped")
                else:
                    continue
                del running[pid]
                on_outcome(job, outcome.but(seconds=round(seconds, 2)))
    finally:
        for pid in running:
            stop_tree(pid)
        signal.signal(signal.SIGTERM, previous_term)
