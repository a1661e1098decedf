"""Many Go-NoGo networks to the stopping rule: batched (train_many) against one after another (train).

    python benchmarks/rate_many.py [--networks 16] [--cores 2] [--quick]

K Go-NoGo networks (N=200, spikeRNN's README flags: P_inh 0.2, gain 1.5, taus 4 20, sigmoid, l2,
up to 5000 trials, default batches of 8), seeds 0 .. K-1, in this one process (no start-up):

1. one after another: rnncourse.rate.train for each seed; the median single network is "one
   network alone", the yardstick of the issue (K batched within 4x its wall time);
2. batched: rnncourse.rate.train_many with threads=1, and threads=2 (two groups side by side,
   the machine's two cores);
and checks that every network stopped at the same trial with the same weights both ways.
Pinned to --cores CPUs, torch ops one-threaded. CUDA rows (batched and one after another) where
CUDA is present. Prints a Markdown table: machine, command, wall times, ratios.
"""

import argparse
import os
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=16, help="K, the number of networks (seeds 0..K-1)")
    parser.add_argument("--cores", type=int, default=2, help="pin this process to this many CPUs")
    parser.add_argument("--n_trials", type=int, default=5000, help="most trials per network (README: 5000)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 networks, N=50, 300 trials")
    args = parser.parse_args()
    from rate_training import machine, pin_to_cores  # benchmarks/ is on sys.path when this file is run
    pin_to_cores(args.cores)
    import torch

    from rnncourse.rate import RateRNN, get_task, train, train_many
    torch.set_num_threads(1)
    K, N, n_trials = (3, 50, 300) if args.quick else (args.networks, 200, args.n_trials)
    task = get_task("go-nogo")
    seeds = list(range(K))

    def build(device):
        return lambda seed: RateRNN(N, 1, P_inh=0.2, gain=1.5, taus=(4.0, 20.0), activation="sigmoid", seed=seed,
                                    device=device)

    print(f"machine: {machine()}; torch threads 1; load average before: {os.getloadavg()[0]:.2f}", flush=True)
    rows, devices = [], ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        start = time.perf_counter()
        alone = []
        for seed in seeds:
            began = time.perf_counter()
            result = train(build(device)(seed), task, n_trials, seed=seed, progress=False)
            alone.append((time.perf_counter() - began, result))
        sequential = time.perf_counter() - start
        one = statistics.median(t for t, _ in alone)
        stops = [r.tr for _, r in alone]
        rows.append((device, f"one network alone (median of {K} seeds), s", f"{one:.1f}",
                     ", ".join(f"{t:.1f}" for t, _ in alone)))
        rows.append((device, f"{K} one after another (train), s", f"{sequential:.1f}",
                     f"stops at trials {min(stops)}-{max(stops)}, {sum(r.success for _, r in alone)}/{K} met"))
        for threads in ([1, 2] if device == "cpu" else [1]):
            began = time.perf_counter()
            batched = train_many(build(device), task, n_trials, seeds=seeds, threads=threads, progress=False)
            wall = time.perf_counter() - began
            same_stop = all(a.tr == b.tr for (_, a), b in zip(alone, batched))
            same_weights = all(torch.equal(a.model.w, b.model.w) for (_, a), b in zip(alone, batched))
            rows.append((device, f"{K} batched (train_many, threads={threads}), s", f"{wall:.1f}",
                         f"{wall / one:.1f}x one alone, {sequential / wall:.2f}x faster than one after another; "
                         f"same stops: {same_stop}, same weights: {same_weights}"))
    print(f"command: python benchmarks/rate_many.py --networks {K} --cores {args.cores}; "
          f"load average after: {os.getloadavg()[0]:.2f}\n")
    print("| device | measure | wall | notes |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
