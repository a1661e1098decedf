"""The sandbox a grading kernel runs in (rnncourse/course/grading/sandbox.py), and the limits of
`rnncourse grade`: what a kernel can see, write, signal and reach, as root and as another user.

Each check forks a process, enters the sandbox and reports what it could do (probe below); the
tests then hold the report to what the sandbox promises. As a control, the same probes outside
the sandbox reach what the sandbox hides: each test can fail.
"""

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from rnncourse.course.authoring.answers import answer_cell, with_answer
from rnncourse.course.grading.sandbox import Sandbox, parse_size, problem, readable_paths

from helpers.cache import REPO
from helpers.command import rnncourse

LAB = "01-forward"
SANDBOX = Sandbox(readable=readable_paths(), memory=2**30, memory_label="1G", processes=32)
needs_namespaces = pytest.mark.skipif(problem(SANDBOX) is not None, reason=f"no sandbox here: {problem(SANDBOX)}")


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


PROBE = '''
import json, os, socket, sys, time
def attempt(action):
    try:
        return ["ok", repr(action())[:200]]
    except BaseException as e:
        return [type(e).__name__, str(e)[:200]]
def bomb():
    started = 0
    try:
        while started < 400:
            if os.fork() == 0:
                time.sleep(5)
                os._exit(0)
            started += 1
    except OSError:
        pass
    return started
report = {
    "uid": os.getuid(),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "write_checkout": attempt(lambda: open(os.path.join(REPO, "rnncourse", "planted.txt"), "w")),
    "read_solutions": attempt(lambda: os.listdir(os.path.join(REPO, "solutions"))),
    "read_tests": attempt(lambda: os.listdir(os.path.join(REPO, "tests"))),
    "write_root": attempt(lambda: open("/planted.txt", "w")),
    "write_tmp": attempt(lambda: open("/tmp/planted.txt", "w").write("x")),
    "signal_parent": attempt(lambda: os.kill(PARENT, 0)),
    "connect": attempt(lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3).close()),
}
if not CONTROL:
    report.update(memory=attempt(lambda: len(bytearray(3 * 2**30))), processes=bomb())
'''


def probe(sandbox, port, parent, control=False):
    """What a process can do after sandbox.enter() (forked from here; a JSON report). control: the
    probes that reach the machine only (no memory or process bomb)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            sandbox.enter()
            scope = {"REPO": str(REPO), "PORT": port, "PARENT": parent, "CONTROL": control}
            exec(PROBE, scope)
            os.write(write, json.dumps(scope["report"]).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        text = f.read()
    os.waitpid(pid, 0)
    return json.loads(text)


def test_sizes_read_as_a_ta_writes_them():
    assert [parse_size(t) for t in ("512M", "1G", "1.5g", "2GiB", "800000", "64K")] == \
        [2**29, 2**30, 3 * 2**29, 2**31, 800000, 2**16]
    for bad in ("lots", "-1G", "0", "1X"):
        with pytest.raises(ValueError, match="is not a memory size: write it like 512M or 2G"):
            parse_size(bad)


@needs_namespaces
def test_a_kernel_reaches_nothing_but_itself():
    listener = Listener()
    planted = [REPO / "rnncourse" / "planted.txt", Path("/tmp/planted.txt")]
    try:
        inside = probe(SANDBOX, listener.port, os.getpid())
        left = [p for p in planted if p.exists()]
        outside = probe(Sandbox(mode="none", memory=None), listener.port, os.getpid(), control=True)
    finally:
        listener.close()
        for path in planted:
            path.unlink(missing_ok=True)
    assert outside["read_solutions"][0] == "ok" and outside["connect"][0] == "ok", "the control reaches them"
    assert left == [], "the kernel wrote outside its sandbox"
    assert inside["write_checkout"][0] in ("OSError", "FileNotFoundError")
    assert inside["read_solutions"][0] == "FileNotFoundError" and inside["read_tests"][0] == "FileNotFoundError"
    assert inside["write_root"][0] == "OSError" and "Read-only" in inside["write_root"][1]
    assert inside["write_tmp"][0] == "ok", "its /tmp is its own"
    assert inside["pids"] == [1], "it sees no process but its own"
    assert inside["signal_parent"][0] == "ProcessLookupError"
    assert inside["connect"][0] != "ok" and listener.connections == 1, "no network but its own loopback"
    assert inside["memory"][0] == "MemoryError"
    assert inside["processes"] < SANDBOX.processes, "a fork bomb stops at its limit"
    if os.geteuid() == 0:
        assert inside["uid"] >= 1_000_000_000, "as root, a kernel runs as a user id of its own"


@needs_namespaces
def test_what_it_may_read_can_live_under_tmp():
    """A checkout or virtual environment under /tmp (where CI may clone) stays readable inside,
    though the kernel's /tmp is a fresh one of its own."""
    shelf = Path(tempfile.mkdtemp(dir="/tmp")).resolve() / "venv"
    shelf.mkdir()
    (shelf / "module.py").write_text("VALUE = 42\n")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            Sandbox(readable=(*readable_paths(), str(shelf.resolve()))).enter()
            found = (shelf / "module.py").read_text()
        except BaseException as e:
            found = repr(e)
        finally:
            os.write(write, json.dumps(found).encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        found = json.loads(f.read())
    os.waitpid(pid, 0)
    shutil.rmtree(shelf.parent)
    assert found == "VALUE = 42\n"


@needs_namespaces
def test_a_kernel_may_reach_the_network_when_asked():
    listener = Listener()
    try:
        inside = probe(Sandbox(readable=readable_paths(), network=True), listener.port, os.getpid(), control=True)
    finally:
        listener.close()
    assert inside["connect"][0] == "ok" and inside["read_solutions"][0] == "FileNotFoundError"


NOBODY = 65534
UNPRIVILEGED = f'''
import json, os, sys
sys.path.insert(0, {str(REPO)!r})
from rnncourse.course.grading.sandbox import Sandbox, readable_paths
sandbox = Sandbox(readable=readable_paths(), memory=2**30, processes=32)
read, write = os.pipe()
if os.fork() == 0:
    sandbox.enter()
    scope = {{"REPO": {str(REPO)!r}, "PORT": 9, "PARENT": {{parent}}, "CONTROL": False}}
    exec({PROBE!r}, scope)
    scope["report"]["caps"] = [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")]
    os.write(write, json.dumps(scope["report"]).encode())
    os._exit(0)
os.close(write)
print(os.read(read, 1 << 20).decode())
'''


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv") or not Path("/usr/bin/python3").exists(),
                    reason="needs root to become another user (setpriv) and a system /usr/bin/python3")
def test_an_unprivileged_grader_gets_the_same_sandbox():
    """A TA without root: the kernel enters a user namespace of its own, keeps no capability (it
    cannot remount what it may only read), and meets the same walls."""
    reachable = all(os.access(p, os.R_OK | os.X_OK) for p in [REPO, REPO / "rnncourse"])
    if not reachable or (REPO.stat().st_mode & 0o005) != 0o005:
        pytest.skip(f"{REPO} is not readable by other users")
    done = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "/usr/bin/python3",
                           "-c", UNPRIVILEGED.replace("{parent}", str(os.getpid()))],
                          capture_output=True, text=True, timeout=60, cwd="/")
    if "unprivileged user namespaces are turned off" in done.stderr:
        pytest.skip("this kernel refuses unprivileged user namespaces")
    assert done.returncode == 0, done.stderr
    inside = json.loads(done.stdout)
    assert inside["caps"] == ["0000000000000000"], "no capability left"
    assert inside["read_solutions"][0] == "FileNotFoundError" and inside["write_root"][0] == "OSError"
    assert inside["pids"] == [1] and inside["signal_parent"][0] == "ProcessLookupError"
    assert inside["processes"] < 32, "a fork bomb stops at its limit"


def test_bad_limits_are_refused_before_grading(built, tmp_path):
    (tmp_path / "a.ipynb").write_text("{}")
    result = rnncourse("grade", "1", str(tmp_path), "--memory", "lots", cwd=built.root)
    assert result.returncode == 2 and "'lots' is not a memory size" in result.stderr


def grade(built, folder, out, *options):
    result = subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "grade", LAB, str(folder), "--out",
                             str(out), "--jobs", "2", *options], cwd=built.root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with open(out / "grades.csv", newline="") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}, result.stdout + result.stderr


@needs_namespaces
def test_memory_and_network_limits_stop_one_submission_and_grade_its_neighbours(built, tmp_path):
    """One batch of lab 01: a submission that allocates 16 GiB ends as "error: out of memory (limit
    1G)", its neighbour cannot reach a server on the grading machine's 127.0.0.1 and is graded;
    graded with --network, the same neighbour reaches it (so the test can fail)."""
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
        limited, _ = grade(built, subs, tmp_path / "limited", "--memory", "1G")
        reached_while_limited = listener.connections
        free, _ = grade(built, alone, tmp_path / "free", "--network")
    finally:
        listener.close()
    points = built.labs[LAB].points
    assert limited["hog.ipynb"]["status"] == "error"
    assert limited["hog.ipynb"]["message"].startswith("out of memory (limit 1G)")
    assert limited["network.ipynb"]["status"] == "graded" and limited["network.ipynb"]["forward"] == "0"
    assert float(limited["network.ipynb"]["total"]) == points - 2, "the rest of the neighbour is graded as usual"
    assert reached_while_limited == 0, "a submission reached the grading machine without --network"
    assert free["network.ipynb"]["forward"] == "2" and listener.connections >= 1, \
        "with --network the same submission should reach the server (else the test proves nothing)"


def test_unsafe_grades_the_same_and_says_so_loudly(built, demo_run, tmp_path):
    """--unsafe (no sandbox) changes nothing in the scores, which are computed outside the kernel
    either way, and warns the TA."""
    _, sandboxed = demo_run
    subs = built.root / "dist" / "demo" / LAB / "submissions" / "partly-wrong.ipynb"
    rows, output = grade(built, subs, tmp_path / "unsafe", "--unsafe")
    assert "WITHOUT a sandbox" in output
    with open(sandboxed / "grades.csv", newline="") as f:
        want = next(r for r in csv.DictReader(f) if r["submission"] == "partly-wrong.ipynb")
    assert {k: v for k, v in rows["partly-wrong.ipynb"].items() if k != "message"} == \
        {k: v for k, v in want.items() if k != "message"}
