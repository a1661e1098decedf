"""tests/helpers/forked_grading.py, the contract's fast grader, on its own: a submission past its
time limit is stopped with everything it started."""

import os
import subprocess
import sys

import nbformat
import psutil

from rnncourse.course.authoring.answers import with_answer

from helpers.contract import FORKED

LAB = "01-forward"
# The answer cell starts a process that would outlive the submission, then never finishes.
RUNAWAY = ("import subprocess, sys\n"
           "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', '{marker}'])\n"
           "while True:\n    pass\n")


def test_a_timeout_stops_the_submission_and_what_it_started(built, tmp_path):
    marker = f"rnncourse-forked-{os.getpid()}"
    solved = nbformat.read(built.solved_notebook(LAB), as_version=4)
    subs = tmp_path / "submissions"
    subs.mkdir()
    nbformat.write(with_answer(solved, "forward_step", RUNAWAY.format(marker=marker)), subs / "runaway.ipynb")
    out, log = tmp_path / "out", tmp_path / "log.txt"
    with open(log, "w") as output:      # a file, not a pipe: a process left behind would hold a pipe open
        done = subprocess.run([sys.executable, str(FORKED), str(built.autograder_zip(LAB)), str(subs), str(out)],
                              env={**os.environ, "RNNCOURSE_FORKED_TIMEOUT": "10"}, stdout=output,
                              stderr=subprocess.STDOUT, timeout=600)
    assert done.returncode == 0, log.read_text()
    assert '"status": "timeout"' in (out / "results" / "runaway.ipynb.json").read_text()
    left = [p for p in psutil.process_iter(["cmdline"]) if marker in " ".join(p.info["cmdline"] or [])]
    for process in left:
        process.kill()
    assert left == [], "processes the timed-out submission started are still running"
