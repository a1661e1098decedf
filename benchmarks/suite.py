"""Test-suite time on this machine: the whole suite from nothing, again with nothing changed, and the fast loop.

    .venv/bin/python benchmarks/suite.py                 # the three runs, once each
    .venv/bin/python benchmarks/suite.py --repeats 3     # medians of three

Each run is `python -m pytest` as the README gives it, timed from start to end (set-up excluded:
the venv must exist). "From nothing" clears pytest's cache first (`--cache-clear`), as a fresh
clone in CI starts; "nothing changed" runs again with the cache that run left. Targets (issue 8):
from nothing at most 10 minutes on 2 cores, nothing changed at most 3 minutes, the fast loop
(`-m "not slow"`) under 2 minutes.
"""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = [
    ("whole suite, from nothing", ["--cache-clear"], 600),
    ("whole suite, nothing changed", [], 180),
    ("fast loop, -m 'not slow'", ["-m", "not slow"], 120),
]


def timed(args):
    """(seconds, last line of pytest's output) of one pytest run in the checkout."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=ROOT,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-2000:], sep="\n")
    return seconds, summary


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=1, help="runs of each kind (default 1); medians are shown")
    args = p.parse_args()
    times = {name: [] for name, _, _ in RUNS}
    summaries = {}
    for _ in range(args.repeats):
        for name, options, _ in RUNS:
            seconds, summaries[name] = timed(options)
            times[name].append(seconds)
            print(f"{name}: {seconds:.0f} s ({summaries[name]})", flush=True)
    print(f"\n{'run':<32} {'median s':>9} {'target s':>9}  runs")
    for name, _, target in RUNS:
        runs = ", ".join(f"{t:.0f}" for t in times[name])
        print(f"{name:<32} {statistics.median(times[name]):>9.0f} {target:>9}  {runs}   {summaries[name]}")


if __name__ == "__main__":
    main()
