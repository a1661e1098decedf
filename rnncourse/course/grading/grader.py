"""Grading one submission: its notebook runs in a kernel in a sandbox; the lab's tests run here.

    grade(notebook, autograder_zip, work, sandbox, deadline) -> Result

The order is what keeps the kernel clean: the kernel is forked from this process before this
process reads the hidden tests (so no copy of them is in the kernel's memory), then it enters its
sandbox (sandbox.py) before it runs a line of the submission. This process then sends it the
notebook's code cells, unpacks the autograder zip into `work` (which the kernel cannot see), and
runs the tests against the kernel (judge.py, proxies.py). Nothing the kernel sends is executed
here, and only this process writes the result.

A kernel that dies or stops answering makes the result "error"; one whose replies break the
wire's format, or that replaced a part of the test machinery it was given (kernel/integrity.py),
makes it "tampered". Neither carries points.
"""

import json
import os
import time
import zipfile
from pathlib import Path

from ..kernel import checks, server, wire
from ..kernel.student import GRADING_ENV
from . import judge, linux, recording
from .proxies import Session
from .result import Result
from .sandbox import SandboxError

KERNEL_HOME = "/tmp"          # the kernel's working folder, inside its sandbox (its own tmpfs)
KERNEL_NAME = "grading-kernel"      # the kernel's process name, as ps and top show it


def timed_out(limit):
    return Result("timeout", f"did not finish within {limit:g} s (an endless loop, or a slow notebook: the same "
                  "command with a larger --timeout grades it again); its kernel and everything it started were stopped")


def code_cells(notebook):
    """The code cells' sources of a prepared submission (.ipynb, or the one notebook of a zip)."""
    path = Path(notebook)
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as zf:
            name = next(n for n in zf.namelist() if n.endswith(".ipynb") and "/" not in n)
            nb = json.loads(zf.read(name))
    else:
        nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def start_kernel(sandbox, marker="", serve=server.main):
    """Fork the kernel into its sandbox, where it runs `serve(fd of its end of the wire)`; this
    side of its wire, once the kernel said it is ready (else SandboxError). (The caller stops the
    kernel with its own descendants: processes.stop_descendants.)

    `marker` goes into the kernel's environment (RNNCOURSE_GRADING), so the processes of a batch
    can be found from outside.
    """
    mine, theirs = wire.socket_pair()
    pid = os.fork()
    if pid == 0:
        mine.close()
        _kernel(theirs, sandbox, marker, serve)
    theirs.close()
    return mine


def _kernel(sock, sandbox, marker, serve):
    """The kernel process: into the sandbox, then the server; never returns."""
    try:
        checks.in_grader(False)         # here the rules act on the answers themselves
        linux.die_with_parent()
        try:
            sandbox.enter()
        except OSError as e:
            _say(sock, {"error": {"type": "SandboxError", "base": "OSError", "message": str(e)}})
            os._exit(1)
        # Nothing of the TA's environment (tokens, paths) but the search path and the thread counts.
        kept = {var: os.environ[var] for var in ("PATH", "LANG", *linux.THREAD_VARIABLES) if var in os.environ}
        os.environ.clear()
        os.environ.update({"HOME": f"{KERNEL_HOME}/home", "TMPDIR": KERNEL_HOME, "MPLBACKEND": "agg",
                           "MPLCONFIGDIR": f"{KERNEL_HOME}/.matplotlib", GRADING_ENV: marker or "1", **kept})
        Path(f"{KERNEL_HOME}/home").mkdir(exist_ok=True)
        os.chdir(KERNEL_HOME)
        import tempfile
        tempfile.tempdir = None
        log = os.open(f"{KERNEL_HOME}/.kernel-output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, sock.fileno())
        os.closerange(sock.fileno() + 1, 1 << 16)
        linux.set_name(KERNEL_NAME)
        _say(sock, {"value": "ready"})
        serve(sock.fileno())
    finally:
        os._exit(1)


def _say(sock, header):
    header["blobs"] = []
    wire.send_frame(sock, wire.dumps_reply(header, []))


def ready(sock, deadline):
    """Wait for the kernel's word that it is in its sandbox; SandboxError with its reason if not."""
    header, _ = wire.loads_reply(wire.recv_frame(sock, deadline))
    if header.get("value") != "ready":
        raise SandboxError(f"the kernel could not enter its sandbox: {(header.get('error') or {}).get('message')}")


def grade(notebook, autograder, work, sandbox, deadline, marker=""):
    """The Result of grading `notebook` (a prepared submission) with the tests of `autograder` (an
    autograder zip, or the folder of its tests), working in the folder `work`; every request to the
    kernel fails past `deadline`."""
    sources = code_cells(notebook)
    recording.start()                   # the tests' calls, when the test suite asks (recording.py)
    limit = round(deadline - time.monotonic())
    sock = start_kernel(sandbox, marker)
    checks.in_grader()                  # the tests run here; the rules they set act in the kernel
    try:
        ready(sock, deadline)
        session = Session(sock, deadline)
        failed = run_notebook(session, sources, sandbox, limit)
        if failed:
            return failed
        tests = Path(autograder)
        if not tests.is_dir():              # read only now: the kernel was forked before
            tests = Path(work) / "autograder"
            tests.mkdir(mode=0o700)
            with zipfile.ZipFile(autograder) as zf:
                zf.extractall(tests)
            tests = tests / "tests"
        result = test_result(session, judge.load_tests(tests), limit)
        recording.save(work)
        return result
    except SandboxError as e:
        return Result("error", str(e))
    except wire.ProtocolError as e:
        return Result("tampered", f"the kernel broke the grading wire: {e}")
    finally:
        sock.close()


def run_notebook(session, sources, sandbox, limit):
    """Run the notebook's code cells in the kernel: None, or the Result of a run that failed (past
    `limit` seconds, for one)."""
    try:
        cells = session.run_cells(sources)
    except wire.KernelTimeout:
        return timed_out(limit)
    except wire.KernelGone as e:
        return Result("error", f"the kernel died while running the notebook ({e}): a cell ended Python "
                      "(os._exit), crashed, or ran past its memory")
    if any(error and error[0] == "MemoryError" for error in cells):
        return Result("error", f"out of memory (limit {sandbox.memory_label}): a cell raised MemoryError; grade it "
                      "again with a larger --memory if the lab needs more")
    return None


def test_result(session, tests, limit):
    """The Result of running `tests` (judge.load_tests) against the kernel of `session`."""
    try:
        results = judge.run_tests(tests, session.namespace())
        tampered = session.ask("integrity")
    except wire.KernelTimeout:
        return timed_out(limit)
    except (judge.KernelFailure, wire.KernelGone) as e:
        return Result("error", f"the kernel died while the tests ran ({e})")
    if tampered:
        return Result("tampered", "the submission replaced part of the test machinery: "
                      + "; ".join(map(str, tampered))[:wire.MESSAGE_LIMIT])
    judge.scrub_public(results, judge.hidden_text(tests))
    return outcome_of(results)


def outcome_of(results):
    """The Result of Otter's GradingResults for one submission (scores, public summaries, hidden counts)."""
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
