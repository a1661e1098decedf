"""`rnncourse grade --docker`: the batch handed to `otter grade`, one container per submission.

Otter Grade needs a Docker engine; its final_grades.csv is read back into the same outcomes that
local grading gives, so the gradebook is the same either way.
"""

import shutil
import subprocess
import sys
import time

from .errors import GradeError
from .result import Result
from .submissions import SUBMISSION_TYPES


def docker_available():
    """(usable, why not): whether a Docker engine answers `docker info`."""
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    lines = (result.stderr or result.stdout).strip().splitlines()
    return result.returncode == 0, (lines[-1] if lines else f"exit code {result.returncode}")


def read_final_grades(csv_path, questions):
    """Otter Grade's final_grades.csv as {file: Result}; its first row holds the points possible."""
    import csv

    outcomes = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["file"] == "points-per-question":
                continue
            status = row["grading_status"]
            if status == "Completed":
                outcomes[row["file"]] = Result("graded", total=float(row["total_points_earned"]),
                                               scores={q: float(row[q]) for q in questions if row.get(q, "") != ""})
            else:
                kind = "timeout" if "timed out" in status else "error"
                outcomes[row["file"]] = Result(kind, f"otter grade: {status}")
    return outcomes


def run_in_docker(jobs, autograder_zip, *, lab, parallel, timeout, scratch, on_outcome, no_network=False):
    """Grade `jobs` (GradingJobs) with `otter grade` (Docker), one run per file type, `parallel`
    containers at a time (no_network: containers without a network); call on_outcome(job, outcome)
    for each."""
    usable, why = docker_available()
    if not usable:
        raise GradeError(f"--docker needs a running Docker engine, and `docker info` failed ({why}). "
                         "Start Docker, or grade without --docker.")
    questions = [q.name for q in lab.autograded]
    for suffix in SUBMISSION_TYPES:
        batch = [j for j in jobs if j.prepared.suffix == suffix]
        if not batch:
            continue
        staged, out = scratch / f"docker-{suffix[1:]}", scratch / f"docker-{suffix[1:]}-out"
        staged.mkdir()
        out.mkdir()
        # Otter names rows by file name: stage each submission under a unique one.
        names = {}
        for i, job in enumerate(batch):
            names[f"s{i:05d}{suffix}"] = job
            shutil.copy(job.prepared, staged / f"s{i:05d}{suffix}")
        started = time.monotonic()
        command = [sys.executable, "-m", "otter", "grade", "-n", lab.name, "-a", str(autograder_zip),
                   "-o", str(out), "--containers", str(parallel), "--timeout", str(int(timeout)),
                   "--ext", suffix[1:], *(["--no-network"] if no_network else []), str(staged)]
        result = subprocess.run(command)
        grades = out / "final_grades.csv"
        if result.returncode != 0 or not grades.is_file():
            raise GradeError(f"otter grade failed (exit code {result.returncode}); its output is above.")
        outcomes = read_final_grades(grades, questions)
        seconds = round((time.monotonic() - started) / len(batch), 2)
        for file, job in names.items():
            outcome = outcomes.get(file, Result("error", "otter grade returned no row for it"))
            on_outcome(job, outcome.but(seconds=seconds))
