"""`rnncourse grade --docker`: each submission graded in a container of its own, as Gradescope does.

The image is Otter's grading image for the lab (built from the autograder zip by Otter); each
container runs the zip's run_autograder, which runs rnncourse's grading (gradescope.py: the
notebook in a sandboxed kernel, the tests outside it) and leaves the Result as JSON in
/autograder/results/rnncourse.json. That file is all that comes back, read as JSON: nothing the
container writes is unpickled or run here (Otter's own `otter grade` unpickles what each
container writes). A container past the time limit is killed; one without a result is an error.
"""

import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from .errors import GradeError
from .result import Result

RESULT = "/autograder/results/rnncourse.json"
BASE_IMAGE = "ubuntu:22.04"


def docker_available():
    """(usable, why not): whether a Docker engine answers `docker info`."""
    try:
        result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    lines = (result.stderr or result.stdout).strip().splitlines()
    return result.returncode == 0, (lines[-1] if lines else f"exit code {result.returncode}")


def read_result(text):
    """The Result a container left (its JSON), or an error Result saying what was wrong with it."""
    try:
        return Result.from_dict(json.loads(text))
    except (ValueError, TypeError) as e:
        return Result("tampered", f"the container's result is not a Result ({type(e).__name__}: {e})"[:500])


def image_for(autograder_zip, lab):
    """Otter's grading image for the lab, built from the autograder zip (cached by Docker)."""
    from otter.grade.containers import build_image
    from otter.run.run_autograder.autograder_config import AutograderConfig

    return build_image(str(autograder_zip), BASE_IMAGE, lab.name, AutograderConfig({"zips": False}))


def grade_in_container(image, job, timeout, network):
    """The Result of one submission graded in a fresh container of `image`."""
    docker = ["docker"]
    name = f"rnncourse-{job.work.name}-{time.monotonic_ns()}"
    create = [*docker, "create", "--name", name, *([] if network else ["--network", "none"]), image,
              "/autograder/run_autograder"]
    if subprocess.run(create, capture_output=True).returncode != 0:
        return Result("error", "docker could not create a container for it")
    try:
        subprocess.run([*docker, "cp", str(job.prepared), f"{name}:/autograder/submission/{job.prepared.name}"],
                       check=True, capture_output=True)
        try:
            subprocess.run([*docker, "start", "-a", name], capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Result("timeout", f"did not finish within {timeout:g} s; its container was killed")
        copied = job.work / "rnncourse.json"
        done = subprocess.run([*docker, "cp", f"{name}:{RESULT}", str(copied)], capture_output=True)
        if done.returncode != 0 or not copied.is_file():
            return Result("error", "the container ended without a result")
        return read_result(copied.read_text(errors="replace"))
    finally:
        subprocess.run([*docker, "rm", "-f", name], capture_output=True)


def run_in_docker(jobs, autograder_zip, *, lab, parallel, timeout, on_outcome, network=False):
    """Grade `jobs` (GradingJobs), each in a container, `parallel` at a time (without a network
    unless `network`); call on_outcome(job, Result) as each ends."""
    usable, why = docker_available()
    if not usable:
        raise GradeError(f"--docker needs a running Docker engine, and `docker info` failed ({why}). "
                         "Start Docker, or grade without --docker.")
    image = image_for(autograder_zip, lab)

    def one(job):
        started = time.monotonic()
        return job, grade_in_container(image, job, timeout, network).but(seconds=round(time.monotonic() - started, 2))

    with ThreadPoolExecutor(parallel) as pool:
        for job, result in pool.map(one, jobs):
            on_outcome(job, result)
