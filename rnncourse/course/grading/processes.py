"""Grading processes: one per submission, at most `parallel` at a time, stopped with all they start.

The engine (engine.py) forks a grading process per submission from itself, with the imports that
grading and the lab's notebooks need already done. A grading process starts a session of its own,
works in a folder of its own (mode 700: nobody else reads it), grades its submission
(grader.py: a kernel in a sandbox runs the notebook, the tests run in the grading process) and
writes the Result to work/outcome.json. On Linux it also adopts any process its kernel orphans and
dies with the engine. A submission that runs past `timeout` seconds is stopped with its whole
tree: the grading process, the kernel and everything the notebook started. Ctrl-C (or SIGTERM, or
the batch dying) stops every running tree the same way.

Each grading process gets cpu_count / parallel threads for math libraries, so that parallel
grading does not oversubscribe the cores.
"""

import os
import signal
import sys
import tempfile
import time
from collections import deque

from ..files import write_atomic
from . import grader, linux
from .engine import MARKER_ENV
from .result import Result

POLL = 0.05                        # seconds between looks at the running grading processes
GRACE = 10                         # seconds a grading process has past the time limit to report it itself


def _grading_process(job, autograder_zip, marker, threads, parent, sandbox, timeout):
    """The body of a forked grading process: grade, write work/outcome.json, clean up, exit."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        linux.die_with_parent()
        linux.adopt_orphans()
        if os.getppid() != parent:          # the engine died before the tie was made
            os._exit(1)
        work = job.work
        os.chmod(work, 0o700)
        log = os.open(work / "log.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir(work)
        tempfile.tempdir = str(work)
        os.environ.update({"TMPDIR": str(work), MARKER_ENV: marker})
        for var in linux.THREAD_VARIABLES:
            os.environ.setdefault(var, str(threads))
        try:
            outcome = grader.grade(job.prepared, autograder_zip, work, sandbox, time.monotonic() + timeout, marker)
        except Exception as e:
            outcome = Result("error", f"grading failed: {type(e).__name__}: {e}")
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
        except (ProcessLookupError, PermissionError):
            pass
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
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


def run_in_processes(jobs, autograder_zip, *, parallel, timeout, marker, sandbox, on_outcome):
    """Grade `jobs` (objects with .prepared and .work), `parallel` at a time, each in a forked
    grading process whose kernel runs in `sandbox`; call on_outcome(job, Result) as each ends.

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
                    _grading_process(job, autograder_zip, marker, threads, parent, sandbox, timeout)
                running[pid] = (job, time.monotonic())
            time.sleep(POLL)
            for pid, (job, started) in list(running.items()):
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                seconds = time.monotonic() - started
                if done:
                    outcome = _outcome_after_exit(job, wait_status)
                elif seconds > timeout + GRACE:
                    stop_tree(pid)
                    outcome = grader.timed_out(timeout)
                else:
                    continue
                del running[pid]
                on_outcome(job, outcome.but(seconds=round(seconds, 2)))
    finally:
        for pid in running:
            stop_tree(pid)
        signal.signal(signal.SIGTERM, previous_term)
