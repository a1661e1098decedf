"""Spiking conversion speed: python benchmarks/spiking.py [--model FILE.mat] [--repeats 3] [--device cpu]

A Go-NoGo network (N = 200) trained by rnncourse.rate with spikeRNN's README settings and seed 0
(or --model), converted with rnncourse.spiking:

1. one trial in float64 (the reference mode), without and with the (N, nt) recordings;
2. spikeRNN's whole grid search: 12 scaling factors × 100 fresh trials, batched, float32; the
   accuracy table it finds.

One torch thread, medians of --repeats for (1), one run of (2). Prints Markdown rows. For
comparison, spiking-reference.md section 9 measured spikeRNN's PyTorch port at 5-8 s per trial
and about 2.3 hours for the grid on one core of this machine.
"""

import argparse
import platform
import statistics
import tempfile
import time

import numpy as np
import torch


def trained_gonogo(folder):
    from rnncourse.rate import RateRNN, get_task, mat_path, save_mat, train

    task = get_task("go-nogo")
    model = RateRNN(200, task.n_inputs, taus=(4, 20), seed=0)
    result = train(model, task, 5000, seed=0, progress=False)
    return save_mat(mat_path(folder, task.name, 200, (4, 20), "sigmoid"), model, task, result)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a trained Go-NoGo .mat (default: train one, seed 0)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--trials", type=int, default=100, help="trials per scaling factor in the grid")
    args = parser.parse_args()
    torch.set_num_threads(1)

    from rnncourse.spiking import SCALING_FACTORS, LIFNetwork, evaluate, simulate, spiking_trials

    with tempfile.TemporaryDirectory() as folder:
        net = LIFNetwork.load(args.model or trained_gonogo(folder))
    u, _ = spiking_trials("go-nogo", 1, torch.Generator().manual_seed(0))
    print(f"machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread, "
          f"device {args.device}, torch {torch.__version__}, numpy {np.__version__}\n")
    print("| what | median of repeats | |\n|---|---|---|")
    for record in (False, True):
        times = []
        for repeat in range(args.repeats):
            start = time.perf_counter()
            simulate(net, u[0], 25, record=record, generator=torch.Generator().manual_seed(repeat), device=args.device)
            times.append(time.perf_counter() - start)
        print(f"| one Go-NoGo trial, float64{', with recordings' if record else ''} | "
              f"{statistics.median(times):.2f} s | {args.repeats} repeats |")
    start, cpu = time.perf_counter(), time.process_time()
    result = evaluate(net, SCALING_FACTORS, args.trials, seed=0, device=args.device)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    n = len(SCALING_FACTORS) * args.trials
    print(f"| grid search, {len(SCALING_FACTORS)} × {args.trials} trials, float32 | {wall:.0f} s "
          f"({cpu:.0f} CPU s) | {1000 * wall / n:.0f} ms a trial |")
    print("\naccuracy by s: " + ", ".join(f"{s:g}: {a:.2f}" for s, a in zip(result.scaling_factors, result.accuracy))
          + f"; best {result.best:g}")


if __name__ == "__main__":
    main()
