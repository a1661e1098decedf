"""Every task to spikeRNN's criterion with its recipe: python benchmarks/rate_tasks.py

For each task, spikeRNN's README command with the task's recipe (XOR: --decay_taus 4 50, because
with 4 20 it stays on its plateau for more than 20,000 trials; Mante and Go-NoGo: the README's
4 20), one process per seed, one after another, as a user runs them: the trial at which training
met the criterion and the wall time, start-up included. Prints a Markdown table with the median
over the seeds. --tasks and --seeds choose; --also-readme-taus adds XOR with 4 20 (slow: minutes
per seed, up to --n_trials).
"""

import argparse
import statistics
import tempfile

from rate_training import machine, readme_run

RECIPES = {"go-nogo": "4 20", "xor": "4 50", "mante": "4 20"}


def run(task, taus, seeds, n_trials, folder):
    """One row: (trial, seconds, success) per seed for `task` with --decay_taus `taus`."""
    flags = ["--task", task, "--decay_taus", *taus.split(), "--n_trials", str(n_trials)]
    return [readme_run(seed, "cpu", 1, folder, flags)[:3] for seed in seeds]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--n_trials", type=int, default=12000)
    parser.add_argument("--also-readme-taus", action="store_true", help="add XOR with --decay_taus 4 20")
    args = parser.parse_args()
    rows = [(task, RECIPES[task]) for task in args.tasks]
    if args.also_readme_taus:
        rows.append(("xor", "4 20"))
    print(f"Machine: {machine()}\n")
    print("| task | --decay_taus | " + " | ".join(f"seed {s}: trial / s" for s in args.seeds) +
          " | median trial | median s | met |")
    print("|---" * (len(args.seeds) + 5) + "|")
    with tempfile.TemporaryDirectory() as folder:
        for task, taus in rows:
            results = run(task, taus, args.seeds, args.n_trials, folder)
            cells = [f"{trial:,} / {wall:.1f}" + ("" if ok else " (not met)") for wall, trial, ok in results]
            print(f"| {task} | {taus} | " + " | ".join(cells) +
                  f" | {statistics.median(t for _, t, _ in results):,.0f}"
                  f" | {statistics.median(w for w, _, _ in results):.1f}"
                  f" | {sum(ok for *_, ok in results)} of {len(results)} |", flush=True)


if __name__ == "__main__":
    main()
