"""Spiking conversion speed: python benchmarks/spiking.py [--model FILE.mat] [--repeats 3] [--trials 100]

A Go-NoGo network (N = 200) trained by rnncourse.rate with spikeRNN's README settings and seed 0
(or --model), converted with rnncourse.spiking, on the CPU:

1. the compiled engine's start-up in a fresh process: compiling (an empty numba cache, as on a fresh
   clone) and loading the cached code, float64 and float32;
2. one trial in float64 (the reference mode), on each engine;
3. spikeRNN's whole grid search: 12 scaling factors × 100 fresh trials, float32, on the compiled
   engine with 1 and 2 threads (median of --repeats), on the NumPy engine (once; --skip-numpy
   leaves it out), and in float64 on 2 threads (once); the accuracy tables;
4. the noise alone: the compiled engine's normal draws for as many unit-steps, on one thread;
5. the command line as a user types it, start-up included, on a cold and on a warm numba cache.

One torch thread. Prints Markdown rows and the load average around each measurement. For
comparison, docs/reference/spiking.md section 11 gives spikeRNN's PyTorch port at 5-8 s per trial
and about 2.3 hours for the grid on one core of this machine.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
STEPS = 20000           # LIF steps of a Go-NoGo trial


def trained_gonogo(folder):
    from rnncourse.rate import RateRNN, get_task, mat_path, save_mat, train

    task = get_task("go-nogo")
    model = RateRNN(200, task.n_inputs, taus=(4, 20), seed=0)
    result = train(model, task, 5000, seed=0, progress=False)
    return save_mat(mat_path(folder, task.name, 200, (4, 20), "sigmoid"), model, task, result)


def load():
    return f"load {os.getloadavg()[0]:.2f}"


def python(code, env=None):
    """Wall seconds of `python -c code` in a fresh process (its own printed seconds if it prints one)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
                          capture_output=True, text=True, check=True)
    return float(done.stdout.split()[-1]) if done.stdout.strip() else time.perf_counter() - start


START_UP = """
import time, numpy as np, torch
from rnncourse.spiking import LIFNetwork, simulate
net = LIFNetwork.load({model!r})
u = np.zeros((1, 3))
start = time.perf_counter()
for dtype in (torch.float64, torch.float32):
    simulate(net, u, 25.0, dtype=dtype, engine="compiled")
print(time.perf_counter() - start)
"""


def row(what, seconds, note=""):
    print(f"| {what} | {seconds} | {note} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a trained Go-NoGo .mat (default: train one, seed 0)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--trials", type=int, default=100, help="trials per scaling factor in the grid")
    parser.add_argument("--skip-numpy", action="store_true", help="leave out the NumPy engine's grid (minutes)")
    args = parser.parse_args()
    torch.set_num_threads(1)

    import numba

    from rnncourse.spiking import SCALING_FACTORS, LIFNetwork, evaluate, simulate, spiking_trials

    folder = Path(tempfile.mkdtemp(prefix="spiking-benchmark-"))
    model = Path(args.model) if args.model else trained_gonogo(folder)
    net = LIFNetwork.load(model)
    u, _ = spiking_trials("go-nogo", 1, torch.Generator().manual_seed(0))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, {load()}, "
          f"torch {torch.__version__}, numpy {np.__version__}\n")
    print("| what | median of repeats | |\n|---|---|---|")

    cache = folder / "numba-cache"
    code = START_UP.format(model=str(model))
    cold = python(code, {"NUMBA_CACHE_DIR": str(cache)})
    warm = statistics.median(python(code, {"NUMBA_CACHE_DIR": str(cache)}) for _ in range(args.repeats))
    row("compiled engine's first calls, float64 + float32, empty numba cache (fresh clone)", f"{cold:.1f} s",
        f"once; {load()}")
    row("the same with the code cached (every later process)", f"{warm:.2f} s", f"{args.repeats} repeats")

    for engine in ("compiled", "numpy"):
        simulate(net, u[0], 25, engine=engine)
        times = []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            simulate(net, u[0], 25, generator=torch.Generator().manual_seed(repeat), engine=engine)
            times.append(time.perf_counter() - start)
        row(f"one Go-NoGo trial, float64, {engine} engine", f"{statistics.median(times):.3f} s",
            f"{args.repeats} repeats; {load()}")

    n = len(SCALING_FACTORS) * args.trials
    grids = [("compiled", 1, torch.float32, args.repeats), ("compiled", 2, torch.float32, args.repeats),
             ("compiled", 2, torch.float64, 1)] + ([] if args.skip_numpy else [("numpy", 1, torch.float32, 1)])
    tables = {}
    for engine, threads, dtype, repeats in grids:
        walls, cpus = [], []
        for _ in range(repeats):
            before = load()
            start, cpu = time.perf_counter(), time.process_time()
            result = evaluate(net, SCALING_FACTORS, args.trials, seed=0, engine=engine, threads=threads, dtype=dtype)
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        name = str(dtype).split(".")[-1]
        tables[f"{engine}, {threads} thread(s), {name}"] = result
        wall = statistics.median(walls)
        per_step = 1e9 * wall * threads / (n * STEPS * net.N)
        row(f"grid search, {len(SCALING_FACTORS)} × {args.trials} trials, {name}, {engine} engine, {threads} thread(s)",
            f"{wall:.1f} s ({statistics.median(cpus):.1f} CPU s)",
            f"runs {', '.join(f'{w:.1f}' for w in walls)} s; {per_step:.2f} ns per unit-step per thread; "
            f"{before} before, {load()} after")

    @numba.njit(nogil=True)
    def draw(gen, count):
        total = 0.0
        for _ in range(count):
            total += gen.standard_normal()
        return total

    count = 10 * STEPS * net.N
    draw(np.random.default_rng(0), 10)
    times = []
    for repeat in range(args.repeats):
        start = time.perf_counter()
        draw(np.random.default_rng(repeat), count)
        times.append(time.perf_counter() - start)
    row("noise alone: the compiled engine's normal draws, one thread",
        f"{1e9 * statistics.median(times) / count:.2f} ns per unit-step", f"{count:,} draws, {args.repeats} repeats")

    for name, env in (("empty numba cache (fresh clone)", {"NUMBA_CACHE_DIR": str(folder / "cli-cache")}),
                      ("numba cache filled", {"NUMBA_CACHE_DIR": str(folder / "cli-cache")})):
        copy = folder / "Task_go-nogo_cli.mat"
        shutil.copy(model, copy)
        before = load()
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rnncourse.spiking", "grid-search", str(copy), "--force"], check=True,
                       env={**os.environ, "PYTHONPATH": str(REPO), **env}, capture_output=True)
        row(f"`python -m rnncourse.spiking grid-search FILE --force`, {name}", f"{time.perf_counter() - start:.1f} s",
            f"once, start-up included, threads: the usable cores; {before} before, {load()} after")

    print()
    for name, result in tables.items():
        print(f"accuracy by s ({name}): " + ", ".join(f"{s:g}: {a:.2f}" for s, a in
                                                      zip(result.scaling_factors, result.accuracy))
              + f"; best {result.best:g}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
