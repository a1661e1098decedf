"""Grading speed: `rnncourse grade` against a loop of `otter run` and against bare execution.

The same batch of lab-01 submissions (copies of the solved and the partly-wrong demo notebooks,
alternating) is graded four ways, side by side, in one run:

    rnncourse grade   the command as a TA runs it, --jobs J (each notebook in a sandboxed kernel
                      forked from the grading engine with the imports done, the tests outside it)
    grade, unsafe     the same with --unsafe: no sandbox (what the sandbox costs)
    otter run loop    `otter run` on one file after another (Otter imported for every file)
    bare nbclient     the same notebooks executed by nbclient with no grading, J at a time

Each is timed from start to end of the whole batch (wall clock, median over --repeats; the order
of the methods changes from repeat to repeat). Targets: the otter-run loop takes >= 2.5x as long
as `rnncourse grade` on 2 cores (issue 5), and grading outside the kernel costs at most 1.5x what
grading inside it cost (issue 22: 20 submissions, --jobs 2). The CPU seconds of all processes
involved (kernels included) are shown beside: unlike wall time they hardly move when other work
shares the machine, so they tell the work done even where timings are noisy.

    .venv/bin/python benchmarks/grading.py            # 40 submissions, --jobs 2, 3 repeats
    .venv/bin/python benchmarks/grading.py --n 20     # the batch of issue 22
    .venv/bin/python benchmarks/grading.py --quick    # 6 submissions, 1 repeat, to try it out
"""

import argparse
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnncourse.course.authoring.build import autograder_zip, ensure_built  # noqa: E402
from rnncourse.course.authoring.labs import select_labs  # noqa: E402
from rnncourse.course.demo import write_demo_submissions  # noqa: E402
from rnncourse.course.grading.linux import THREAD_VARIABLES  # noqa: E402
from rnncourse.course.grading.result import Result  # noqa: E402

LAB = "01-forward"


def make_batch(folder, n):
    """n submissions named sub-000.ipynb ...: the solved and the partly-wrong notebook in turn.
    Returns {name: expected total}."""
    (lab,) = select_labs(ROOT, [LAB])
    demo = folder / "demo"
    wrong_question = write_demo_submissions(ROOT, lab, demo)
    wrong_points = next(q.points for q in lab.autograded if q.name == wrong_question)
    subs = folder / "submissions"
    subs.mkdir()
    expected = {}
    for i in range(n):
        source = "correct.ipynb" if i % 2 == 0 else "partly-wrong.ipynb"
        shutil.copy(demo / source, subs / f"sub-{i:03d}.ipynb")
        expected[f"sub-{i:03d}.ipynb"] = lab.points - (wrong_points if i % 2 else 0)
    return subs, expected


def time_rnncourse_grade(subs, out, jobs, expected, unsafe=False):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rnncourse.course.cli", "grade", LAB, str(subs), "--out", str(out),
                    "--jobs", str(jobs), *(["--unsafe"] if unsafe else [])], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    results = [Result.from_json(p.read_text()) for p in (out / "results").glob("*.json")]
    got = {r.submission: r.total for r in results}
    assert got == expected, f"rnncourse grade gave {got}, expected {expected}"
    return wall, statistics.median(r.seconds for r in results)


def time_otter_run_loop(subs, out, autograder_zip):
    start = time.perf_counter()
    for notebook in sorted(subs.glob("*.ipynb")):
        target = out / notebook.stem
        target.mkdir(parents=True)
        subprocess.run([sys.executable, "-m", "otter", "run", "-a", str(autograder_zip), "-o", str(target),
                        str(notebook)], check=True, cwd=target, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def execute_bare(job):
    """Run one notebook top to bottom with nbclient in its own folder; seconds taken."""
    import nbformat
    from nbclient import NotebookClient

    notebook, folder = job
    os.makedirs(folder)
    start = time.perf_counter()
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=True,
                   resources={"metadata": {"path": folder}}).execute()
    return time.perf_counter() - start


def time_bare(subs, out, jobs):
    # The same thread share per kernel as `rnncourse grade` gives its grading processes.
    threads = str(max(1, (os.cpu_count() or 1) // jobs))
    for var in THREAD_VARIABLES:
        os.environ.setdefault(var, threads)
    work = [(str(nb), str(out / nb.stem)) for nb in sorted(subs.glob("*.ipynb"))]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        seconds = pool.map(execute_bare, work, chunksize=1)
    return time.perf_counter() - start, statistics.median(seconds)


def children_cpu():
    """CPU seconds (user + system) of every finished child process and their own children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=40, help="submissions in the batch (default 40)")
    p.add_argument("--jobs", type=int, default=2, help="--jobs for rnncourse grade and bare execution (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="repeats; the median is reported (default 3)")
    p.add_argument("--quick", action="store_true", help="6 submissions, 1 repeat")
    args = p.parse_args()
    if args.quick:
        args.n, args.repeats = 6, 1

    (lab,) = select_labs(ROOT, [LAB])
    ensure_built(ROOT, lab)
    zip_path = autograder_zip(ROOT, lab)
    walls = {"rnncourse grade": [], "grade, unsafe": [], "otter run loop": [], "bare nbclient": []}
    cpus = {name: [] for name in walls}
    latency = {"rnncourse grade": [], "grade, unsafe": [], "bare nbclient": []}
    with tempfile.TemporaryDirectory(prefix="rnncourse-bench-") as scratch:
        scratch = Path(scratch)
        subs, expected = make_batch(scratch, args.n)
        for r in range(args.repeats):
            runs = {
                "rnncourse grade": lambda out: time_rnncourse_grade(subs, out, args.jobs, expected),
                "grade, unsafe": lambda out: time_rnncourse_grade(subs, out, args.jobs, expected, unsafe=True),
                "otter run loop": lambda out: (time_otter_run_loop(subs, out, zip_path), None),
                "bare nbclient": lambda out: time_bare(subs, out, args.jobs),
            }
            order = list(runs)[r % len(runs):] + list(runs)[:r % len(runs)]
            for name in order:
                out = scratch / f"{name.replace(' ', '-')}-{r}"
                cpu_before = children_cpu()
                wall, per_submission = runs[name](out)
                cpus[name].append(children_cpu() - cpu_before)
                walls[name].append(wall)
                if per_submission is not None:
                    latency[name].append(per_submission)
                print(f"repeat {r + 1}/{args.repeats}: {name:<16} {wall:7.1f} s wall, {cpus[name][-1]:7.1f} s CPU, "
                      f"load average {os.getloadavg()[0]:.1f}", flush=True)
                shutil.rmtree(out, ignore_errors=True)

    median = {name: statistics.median(w) for name, w in walls.items()}
    cpu = {name: statistics.median(c) for name, c in cpus.items()}
    grade = median["rnncourse grade"]
    print(f"\n{args.n} submissions of lab {LAB}, --jobs {args.jobs}, {os.cpu_count()} cores, "
          f"median of {args.repeats} repeat(s)\n")
    print(f"{'method':<18} {'batch wall s':>12} {'s / submission':>15} {'vs rnncourse grade':>19} "
          f"{'CPU s':>8} {'CPU vs grade':>13}")
    for name, wall in median.items():
        print(f"{name:<18} {wall:>12.1f} {wall / args.n:>15.2f} {wall / grade:>18.2f}x "
              f"{cpu[name]:>8.1f} {cpu[name] / cpu['rnncourse grade']:>12.2f}x")
    print(f"\notter run loop / rnncourse grade = {median['otter run loop'] / grade:.2f}x wall   (target >= 2.5)")
    print(f"rnncourse grade / bare nbclient  = {grade / median['bare nbclient']:.2f}x wall   (target <= 1.2)")
    print(f"rnncourse grade / grade, unsafe  = {grade / median['grade, unsafe']:.2f}x wall   (what the sandbox costs)")
    print(f"one submission, median: graded {statistics.median(latency['rnncourse grade']):.2f} s sandboxed, "
          f"{statistics.median(latency['grade, unsafe']):.2f} s unsafe, executed bare "
          f"{statistics.median(latency['bare nbclient']):.2f} s (each with {args.jobs} running at once)")


if __name__ == "__main__":
    main()
