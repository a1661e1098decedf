"""Rate RNN training speed, side by side in one run: python benchmarks/rate_training.py

1. Wall time of spikeRNN's README command (Go-NoGo, N=200, up to 5000 trials, stopping rule on),
   `python -m rnncourse.rate ...` exactly as a user types it, start-up included, one process per
   seed; the trial it stopped at; the process's peak resident memory.
2. Training throughput in trials per second, in this one process: the default (batches of 8)
   against the faithful mode (--batch_size 1, spikeRNN's one trial per update), both through
   rnncourse.rate.train_step (updates only: evaluations are the same work per trial in both), and
   against a literal port of spikeRNN's loop (plain autograd, one [N, 1] column per step, W_eff
   rebuilt every step); larger batches for context (--batch_sizes): on a CPU the arithmetic,
   about 48 MFLOP per Go-NoGo trial, bounds what any batch size can gain.

Everything runs pinned to --cores CPUs (default 2) with --threads torch threads (default 1, the
command line's default). Prints a Markdown table: machine, command, median of repeats, ratios.
--devices adds cuda (or mps) rows where present. --quick: a smoke run with small numbers.
"""

import argparse
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ("--gpu 0 --gpu_frac 0.20 --n_trials 5000 --mode train --N 200 --P_inh 0.20 --som_N 0 --apply_dale True "
          "--gain 1.5 --task go-nogo --act sigmoid --loss_fn l2 --decay_taus 4 20").split()


def pin_to_cores(cores):
    """Run this process (and what it starts) on at most `cores` CPUs. Call it before importing torch,
    whose thread pool sizes itself from the CPUs it may use."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) > cores:
        os.sched_setaffinity(0, available[:cores])


def machine():
    """One line: CPU model, CPUs in use / present, memory, Python, torch."""
    import torch
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return (f"{model}; {len(os.sched_getaffinity(0))} of {os.cpu_count()} CPUs; {memory:.0f} GiB; "
            f"Python {platform.python_version()}; torch {torch.__version__}{gpu}")


def readme_run(seed, device, threads, output_dir, flags=()):
    """Run the README command once, `flags` replacing its own (e.g. --task xor); returns (wall
    seconds, stop trial, success, peak RSS MiB)."""
    command = [sys.executable, "-m", "rnncourse.rate", *README, *flags, "--output_dir", str(output_dir),
               "--seed", str(seed), "--device", device, "--threads", str(threads)]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out}")
    found = re.search(r"criterion at trial (\d+)", out)
    trial = int(found.group(1)) if found else int(re.search(r"criterion in (\d+) trials", out).group(1)) - 1
    return wall, trial, found is not None, usage.ru_maxrss / 1024


def literal_port_rate(n_trials, device):
    """Trials per second of spikeRNN's loop ported literally: batch 1, per-step autograd, W_eff
    rebuilt at every step as construct_tf does, TF1 Adam at 0.01."""
    import torch

    from rnncourse.rate import RateRNN, TFAdam, get_task, trainable_parameters
    task = get_task("go-nogo")
    model = RateRNN(200, 1, seed=0, device=device)
    optimizer = TFAdam(trainable_parameters(model), lr=0.01)
    g = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for _ in range(n_trials):
        trial = task.trials(1, g, device)
        tau = torch.sigmoid(model.taus_gaus) * 16 + 4
        x = torch.randn(200, 1, device=device) / 100
        r = torch.sigmoid(x)
        loss = 0
        for t in range(1, task.T):
            w_eff = (torch.relu(model.w) @ model.m) * model.som_m
            x = (1 - 1 / tau) * x + (1 / tau) * (w_eff @ r + model.w_in @ trial.u[0, :, t - 1:t]) \
                + torch.randn(200, 1, device=device) / 10
            r = torch.sigmoid(x)
            loss = loss + (model.w_out @ r + model.b_out - trial.z[0, t - 1]) ** 2
        optimizer.zero_grad()
        loss.sqrt().sum().backward()
        optimizer.step()
    return n_trials / (time.perf_counter() - start)


def update_rate(batch_size, n_trials, device):
    """Trials per second of rnncourse.rate's training updates (train_step: fresh trials and noise,
    forward, backward, Adam) on Go-NoGo, N=200, batch_size trials per update; no evaluations."""
    from rnncourse.rate import RateRNN, TFAdam, get_task, make_generators, train_step, trainable_parameters
    task = get_task("go-nogo")
    model = RateRNN(200, 1, seed=0, device=device)
    optimizer = TFAdam(trainable_parameters(model), lr=0.01)
    generators = make_generators(0, device)
    start = time.perf_counter()
    for _ in range(n_trials // batch_size):
        losses, _ = train_step(model, optimizer, task.trials(batch_size, generators.trials, device),
                               generator=generators.noise)
    losses.cpu()   # wait for the device
    return n_trials // batch_size * batch_size / (time.perf_counter() - start)


def median_of(repeats, function, *args):
    values = [function(*args) for _ in range(repeats)]
    return statistics.median(values), values


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of the README runs")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each throughput measurement")
    parser.add_argument("--cores", type=int, default=2, help="pin this process and its children to this many CPUs")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--devices", nargs="+", default=None, help="default: cpu, plus cuda/mps where present")
    parser.add_argument("--batch_sizes", type=int, nargs="*", default=[32, 128],
                        help="more batch sizes to measure, for context (they need more trials to the criterion)")
    parser.add_argument("--quick", action="store_true", help="smoke run: one seed, one repeat, few trials")
    args = parser.parse_args()
    pin_to_cores(args.cores)
    import torch

    from rnncourse.device import mps_available
    torch.set_num_threads(args.threads)
    devices = args.devices or ["cpu"] + (["cuda"] if torch.cuda.is_available() else []) \
        + (["mps"] if mps_available() else [])
    seeds, repeats = (args.seeds[:1], 1) if args.quick else (args.seeds, args.repeats)
    default_trials, faithful_trials, literal_trials = (80, 20, 3) if args.quick else (1600, 400, 10)

    print(f"machine: {machine()}; torch threads {args.threads}")
    rows = []
    for device in devices:
        with tempfile.TemporaryDirectory() as output_dir:
            runs = [readme_run(seed, device, args.threads, output_dir) for seed in seeds]
        walls = [r[0] for r in runs]
        rows.append((device, "README command to the stopping rule (s, start-up included)",
                     f"{statistics.median(walls):.1f}", ", ".join(f"{w:.1f} (seed {s}: stop at {r[1]}"
                     f"{'' if r[2] else ', not reached'})" for s, w, r in zip(seeds, walls, runs))))
        rates = [(r[1] + 1) / r[0] for r in runs]
        rows.append((device, "trials/s of that run, end to end", f"{statistics.median(rates):.0f}",
                     ", ".join(f"{rate:.0f}" for rate in rates)))
        rows.append((device, "peak resident memory of that run (MiB)", f"{max(r[3] for r in runs):.0f}",
                     ", ".join(f"{r[3]:.0f}" for r in runs)))
        default, d_all = median_of(repeats, update_rate, 8, default_trials, device)
        faithful, f_all = median_of(repeats, update_rate, 1, faithful_trials, device)
        literal, l_all = median_of(repeats, literal_port_rate, literal_trials, device)
        for name, value, values in (("default (batch 8) trials/s", default, d_all),
                                    ("faithful (batch 1) trials/s", faithful, f_all),
                                    ("literal autograd port of spikeRNN's loop, trials/s", literal, l_all)):
            rows.append((device, name, f"{value:.1f}", ", ".join(f"{v:.1f}" for v in values)))
        for batch_size in args.batch_sizes:
            rate, all_rates = median_of(repeats, update_rate, batch_size, max(default_trials, 4 * batch_size), device)
            rows.append((device, f"batch {batch_size} trials/s (context, not the default)", f"{rate:.1f}",
                         ", ".join(f"{v:.1f}" for v in all_rates)))
        rows.append((device, "ratio default / faithful", f"{default / faithful:.1f}x", ""))
        rows.append((device, "ratio default / literal port", f"{default / literal:.1f}x", ""))

    command = f"python -m rnncourse.rate {' '.join(README)} --output_dir OUT"
    print(f"README command: {command} (plus --seed S --device D --threads {args.threads})")
    print(f"update throughput: {default_trials} / {faithful_trials} / {literal_trials} trials per run; "
          f"median of {repeats} repeats; README runs: median of seeds {seeds}\n")
    print("| device | measure | median | runs |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0 if all(math.isfinite(float(r[2].rstrip("x"))) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
