"""The grading engine: a fresh process that grades a batch, started by `rnncourse grade`.

    python -m rnncourse.course.grading.engine < batch.json      (one JSON line per Result on stdout)

Why a process of its own: every grading kernel is forked from it (with its imports done, so a
kernel starts in milliseconds), and a fork copies memory. The command that starts it reads the
lab's master notebook, with its solutions and hidden tests, to know the lab; this process never
does: it starts afresh, imports what the lab's *student* notebook imports, and is told only where
the submissions and the autograder zip are. A grading process it forks reads the hidden tests only
after its kernel was forked (grader.py), so no kernel ever holds a copy of them.

The batch (JSON on stdin): {"autograder_zip", "jobs": [{"index", "prepared", "work"}], "parallel",
"timeout", "marker", "sandbox": {Sandbox fields}, "modules": [what the notebooks import]}.
It dies with the command (SIGTERM when its parent dies: every grading tree is stopped).
"""

import ast
import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from . import linux

MARKER_ENV = "RNNCOURSE_GRADING"   # set in every grading process and its kernel: the gradebook folder

# What grading imports: the kernel's server and what the notebook's shell needs (IPython), the
# tests' side (Otter's test files, torch and NumPy through the proxies), psutil to stop trees.
PRELOAD = ("IPython", "IPython.core.interactiveshell", "otter", "otter.test_files", "otter.check.notebook",
           "cloudpickle", "psutil", "numpy", "torch", "matplotlib", "matplotlib.pyplot", "rnncourse",
           "rnncourse.course.kernel.server", "rnncourse.course.kernel.checks", "rnncourse.course.grading.grader")


@dataclass
class Job:
    index: int
    prepared: Path          # the copy of the submission that is graded
    work: Path              # its grading process's folder


def preload(modules):
    """Import what grading and the notebooks use, once, here: every fork inherits it."""
    os.environ.setdefault("MPLBACKEND", "agg")
    for module in (*PRELOAD, *modules):
        try:
            importlib.import_module(module)
        except Exception:       # the notebook meets the same error itself, and reports it
            pass


def notebook_imports(notebook):
    """The modules a notebook's code cells import (top level of each cell), in order, once each."""
    import nbformat

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


def main():
    import signal

    from . import processes
    from .sandbox import Sandbox

    batch = json.loads(sys.stdin.read())
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if linux.ON_LINUX:
        linux.prctl(linux.PR_SET_PDEATHSIG, signal.SIGTERM)
    preload(batch["modules"])
    sandbox = Sandbox(**{k: tuple(v) if isinstance(v, list) else v for k, v in batch["sandbox"].items()})
    jobs = [Job(j["index"], Path(j["prepared"]), Path(j["work"])) for j in batch["jobs"]]
    out = sys.stdout

    def report(job, result):
        out.write(json.dumps({"index": job.index, "result": json.loads(result.to_json())}) + "\n")
        out.flush()

    try:
        processes.run_in_processes(jobs, Path(batch["autograder_zip"]), parallel=batch["parallel"],
                                   timeout=batch["timeout"], marker=batch["marker"], sandbox=sandbox,
                                   on_outcome=report)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
