"""Limits without Docker: `rnncourse grade --memory SIZE --no-network`.

One batch of lab 01 holds a submission that allocates 16 GiB and one that connects to a server on
the grading machine's own 127.0.0.1; under --memory 1G --no-network the first ends as "error: out
of memory (limit 1G)" and its neighbour is graded, unable to connect.
The same third submission graded without --no-network reaches the server: the test can fail.
"""

import csv
import socket
import subprocess
import sys
import threading

import nbformat
import pytest

from rnncourse.course.authoring.answers import answer_cell, with_answer
from rnncourse.course.grading.limits import network_namespace_problem, parse_size

from helpers.command import rnncourse

LAB = "01-forward"


def test_sizes_read_as_a_ta_writes_them():
    assert [parse_size(t) for t in ("512M", "1G", "1.5g", "2GiB", "800000", "64K")] == \
        [2**29, 2**30, 3 * 2**29, 2**31, 800000, 2**16]
    for bad in ("lots", "-1G", "0", "1X"):
        with pytest.raises(ValueError, match="is not a memory size: write it like 512M or 2G"):
            parse_size(bad)


def test_bad_limits_are_refused_before_grading(built, tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    result = rnncourse("grade", "1", str(tmp_path), "--memory", "lots", cwd=built.root)
    assert result.returncode == 2 and "'lots' is not a memory size" in result.stderr
    result = rnncourse("grade", "1", str(tmp_path), "--memory", "1G", "--docker", cwd=built.root)
    assert result.returncode == 1 and "--memory limits local grading" in result.stderr


class Listener:
    """A TCP server on this machine's 127.0.0.1 that counts the connections it accepts."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port, self.connections, self.done = self.server.getsockname()[1], 0, threading.Event()
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while not self.done.is_set():
            try:
                self.server.accept()[0].close()
                self.connections += 1
            except TimeoutError:
                pass

    def close(self):
        self.done.set()
        self.thread.join()
        self.server.close()


def grade(built, folder, out, *limits):
    result = subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "grade", LAB, str(folder), "--out",
                             str(out), "--jobs", "2", *limits], cwd=built.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@pytest.mark.slow
def test_memory_and_network_limits_stop_one_submission_and_grade_its_neighbours(built, tmp_path):
    problem = network_namespace_problem()
    if problem:
        pytest.skip(f"no network namespace here: {problem}")
    solved = nbformat.read(built.solved_notebook(LAB), as_version=4)
    answer = solved.cells[answer_cell(solved, "forward")[0]].source
    listener = Listener()
    connect = f"import socket\nwith socket.create_connection(('127.0.0.1', {listener.port}), timeout=5):\n    pass\n"
    subs, alone = tmp_path / "batch", tmp_path / "alone"
    subs.mkdir()
    alone.mkdir()
    nbformat.write(with_answer(solved, "forward", "hog = bytearray(16 * 2**30)\n" + answer, cut=False),
                   subs / "hog.ipynb")
    nbformat.write(with_answer(solved, "forward", connect + answer, cut=False), subs / "network.ipynb")
    nbformat.write(with_answer(solved, "forward", connect + answer, cut=False), alone / "network.ipynb")
    try:
        limited = grade(built, subs, tmp_path / "limited", "--memory", "1G", "--no-network")
        reached_while_limited = listener.connections
        free = grade(built, alone, tmp_path / "free")
    finally:
        listener.close()

    points = built.labs[LAB].points
    assert limited["hog.ipynb"]["status"] == "error"
    assert limited["hog.ipynb"]["message"].startswith("out of memory (limit 1G)")
    assert limited["network.ipynb"]["status"] == "graded" and limited["network.ipynb"]["forward"] == "0"
    assert float(limited["network.ipynb"]["total"]) == points - 2, "the rest of the neighbour is graded as usual"
    assert reached_while_limited == 0, "a submission reached the grading machine under --no-network"
    assert free["network.ipynb"]["forward"] == "2" and listener.connections >= 1, \
        "without --no-network the same submission should reach the server (else the test proves nothing)"
