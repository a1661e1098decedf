"""The contract's cut submissions graded by forking: each lab's solved cells run once.

A wrong answer, a correct variant or a stub (helpers/contract.py) is the solved notebook with one
answer replaced and every cell after its question cut. Graded one by one, each would run the lab's
cells up to that answer again: most of the suite's time. Here grading works as `rnncourse grade`
does (rnncourse/course/grading/grader.py: a kernel in a sandbox runs the cells, the tests run in
this process against it), with one difference: one kernel per lab runs the solved notebook's code
cells in order and, where a submission's cells start to differ, forks (the "fork" request below).
The fork, in the same sandbox, runs that submission's remaining cells; this process then runs the
lab's tests against it and writes the Result that `rnncourse grade` would write. This process
reads the tests only after the lab's kernel was forked from it, as a grading process does.

A cut submission is named for the one question it answers (stub-<q>, mutant-<q>-<k>,
alternative-<q>-<k>: helpers/contract.py), and the contract reads only that question's score; so
only that question's tests run. (The questions before it hold the solution's answers: their tests
would give the solution's scores again in every child, most of the children's time.)

    python tests/helpers/forked_grading.py AUTOGRADER_ZIP SUBMISSIONS_FOLDER RESULTS_FOLDER

writes RESULTS_FOLDER/results/<submission>.json and, last, RESULTS_FOLDER/done. A submission past
RNNCOURSE_FORKED_TIMEOUT seconds (default 300) is stopped with everything it started.
"""

import os
import re
import signal
import socket
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from rnncourse.course.grading import grader, judge
from rnncourse.course.grading.engine import preload
from rnncourse.course.grading.proxies import Session
from rnncourse.course.grading.result import Result
from rnncourse.course.grading.sandbox import Sandbox, readable_paths
from rnncourse.course.kernel import checks, server, wire

TIMEOUT = float(os.environ.get("RNNCOURSE_FORKED_TIMEOUT", 300))   # seconds per submission, past its shared cells


class ForkingServer(server.Server):
    """The lab's kernel: a server that can also fork itself ("fork": the child serves a new wire,
    whose other end goes to the grader over this one) and stop every other process of its
    sandbox ("sweep": it is the first process of its PID namespace)."""

    def op_fork(self, encoder):
        mine, theirs = wire.socket_pair()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            self.sock.close()
            mine.close()
            self.sock = theirs
            self.serve()
            os._exit(0)
        theirs.close()
        socket.send_fds(self.sock, [b"fd"], [mine.fileno()])
        mine.close()
        return pid

    def op_sweep(self, encoder):
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            while os.waitpid(-1, 0):
                pass
        except ChildProcessError:
            pass
        return None


def serve_forking(fd):
    sock = socket.socket(fileno=fd)
    from rnncourse.course.kernel import integrity
    integrity.watch()
    ForkingServer(sock).serve()
    os._exit(0)


def question_of(name):
    """The question a cut submission answers, from its file name (None for any other notebook)."""
    match = re.fullmatch(r"(?:stub-(\w+)|(?:mutant|alternative)-(\w+)-\d+)\.ipynb", name)
    return match and (match[1] or match[2])


def code_cells(path):
    """The sources of a notebook's code cells, in order."""
    return grader.code_cells(path)


def shared_length(cells, solved):
    """How many leading code cells `cells` has in common with `solved`."""
    n = 0
    while n < min(len(cells), len(solved)) and cells[n] == solved[n]:
        n += 1
    return n


def grade_lab(autograder_zip, submissions, out, scratch):
    """Grade every notebook in `submissions` into out/results, working in `scratch`."""
    os.environ.update({"TMPDIR": str(scratch), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                       "OPENBLAS_NUM_THREADS": "1"})
    tempfile.tempdir = str(scratch)
    (out / "results").mkdir(parents=True, exist_ok=True)
    lab = Path(autograder_zip).parent           # dist/<lab>: the build's notebooks are beside the zip
    preload(())
    checks.in_grader()
    sandbox = Sandbox(readable=readable_paths())
    lab_kernel = Session(grader.start_kernel(sandbox, serve=serve_forking), time.monotonic() + 3600)
    grader.ready(lab_kernel.sock, lab_kernel.deadline)
    folder = scratch / "autograder"             # read only now: the lab's kernel was forked before
    with zipfile.ZipFile(autograder_zip) as z:
        z.extractall(folder)
    solved = code_cells(lab / "autograder" / f"{lab.name}.ipynb")
    todo = sorted((shared_length(cells, solved), path.name, cells)
                  for path in Path(submissions).glob("*.ipynb") for cells in [code_cells(path)])
    ran = 0                                     # by the cells shared with the solved notebook: each prefix runs once
    for shared, name, cells in todo:
        if ran < shared:
            lab_kernel.run_cells(solved[ran:shared])
            ran = shared
        started = time.monotonic()
        tests = [test for test in judge.load_tests(folder / "tests") if question_of(name) in (None, test.name)]
        result = grade_fork(lab_kernel, cells[shared:], tests, sandbox, started + TIMEOUT)
        lab_kernel.ask("sweep")
        (out / "results" / f"{name}.json").write_text(
            result.but(submission=name, seconds=round(time.monotonic() - started, 2)).to_json())
    (out / "done").write_text("")


def grade_fork(lab_kernel, cells, tests, sandbox, deadline):
    """The Result of a fork of the lab's kernel that runs `cells` and is then tested by `tests`
    (judge.load_tests)."""
    # The fork's end of its new wire comes first, then the reply to "fork".
    wire.send_frame(lab_kernel.sock, wire.dumps_request(("fork",), lambda obj: None))
    _, (fd,), _, _ = socket.recv_fds(lab_kernel.sock, 2, 1)
    wire.loads_reply(wire.recv_frame(lab_kernel.sock, deadline))
    sock = socket.socket(fileno=fd)
    try:
        session = Session(sock, deadline)
        return grader.run_notebook(session, cells, sandbox, TIMEOUT) or \
            grader.test_result(session, tests, TIMEOUT)
    except wire.ProtocolError as e:
        return Result("tampered", f"the kernel broke the grading wire: {e}")
    finally:
        sock.close()


def main(autograder_zip, submissions, out):
    with tempfile.TemporaryDirectory(prefix="rnncourse-forked-") as scratch:
        grade_lab(autograder_zip, submissions, Path(out), Path(scratch))


if __name__ == "__main__":
    main(*sys.argv[1:])
