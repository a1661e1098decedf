"""`python -m rnncourse.spiking`: the grid search over model files, and one network scored and plotted.

    python -m rnncourse.spiking grid-search MODEL_DIR_OR_FILE [--force] [--trials 100] [--scaling-factors S ...]
    python -m rnncourse.spiking eval MODEL.mat [--scaling-factor S] [--trials N] [--plot DIR]

Both also take --seed, --device, --float64 and --threads (trials at once on the CPU; by default
one per core this process may use).
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from rnncourse.device import pick_device, usable_cores
from rnncourse.spiking.evaluation import GRID_TRIALS, SCALING_FACTORS, evaluate, spiking_trials
from rnncourse.spiking.grid import grid_search, model_files, read_fields, table
from rnncourse.spiking.network import LIFNetwork
from rnncourse.spiking.simulate import simulate


def options(args):
    dtype = torch.float64 if args.float64 else torch.float32
    # auto is CUDA or the CPU, never MPS: the simulation keeps spike times in float64, which MPS lacks.
    if args.device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    else:
        device = pick_device(args.device)       # a device that is not there: a clear error, not a trace
    return {"seed": args.seed, "dtype": dtype, "device": device, "threads": args.threads or usable_cores()}


def progress_bar(name):
    from tqdm import tqdm

    bar = tqdm(total=1, desc=name, unit="trial", leave=False)

    def update(done, total):
        bar.total = total
        bar.n = done
        bar.refresh()
    return bar, update


def cmd_grid_search(args):
    files = model_files(args.path)
    if not files:
        raise FileNotFoundError(f"{args.path}: no .mat files in it")
    for path in files:
        bar, update = progress_bar(path.name)
        try:
            result = grid_search(path, force=args.force, n_trials=args.trials, scaling_factors=args.scaling_factors,
                                 progress=update, **options(args))
        finally:
            bar.close()
        if result is None:
            print(f"{path}: skipped (it has opt_scaling_factor already; --force searches it again)")
        else:
            print(f"{path}: opt_scaling_factor = {result.best:g}\n{table(result)}")


def cmd_eval(args):
    path = Path(args.model)
    net = LIFNetwork.load(path)
    s = args.scaling_factor
    if s is None:
        found = read_fields(path).get("opt_scaling_factor")
        if found is None or np.isnan(found.item()):
            raise ValueError(f"{path}: no opt_scaling_factor yet; give --scaling-factor S or run grid-search first")
        s = float(found.item())
    result = evaluate(net, [s], args.trials, **options(args))
    print(f"{path.name}: {net.task}, s = {s:g}: accuracy {result.accuracy[0]:.2f} over {args.trials} trials")
    if args.plot:
        plot_examples(net, s, Path(args.plot), args.seed)


def plot_examples(net, s, folder, seed):
    """One trial per condition: outputs together, and a raster of each, as PNGs in `folder`."""
    from rnncourse.spiking.plots import plot_outputs, plot_raster

    folder.mkdir(parents=True, exist_ok=True)
    generator = torch.Generator().manual_seed(seed)
    u, labels = spiking_trials(net.task, 16, generator)
    picked = {}
    for i, label in enumerate(labels):
        picked.setdefault(float(label), i)
    runs, titles = [], []
    for label, i in sorted(picked.items(), reverse=True):
        run = simulate(net, u[i], s, record=True, generator=generator)
        runs.append(run)
        titles.append(f"label {label:g}")
        fig = plot_raster(run, net.inh, title=f"{net.task}, label {label:g}, s = {s:g}")
        fig.savefig(folder / f"raster_label_{label:g}.png", dpi=110)
    plot_outputs(net.task, runs, titles).savefig(folder / "outputs.png", dpi=110)
    print(f"plots in {folder}")


def parser():
    p = argparse.ArgumentParser(prog="python -m rnncourse.spiking",
                                description="spikeRNN's rate-to-spiking conversion: grid search and evaluation.")
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grid-search", help="find each model's scaling factor; append it to the .mat")
    g.add_argument("path", metavar="MODEL_DIR_OR_FILE")
    g.add_argument("--force", action="store_true", help="search files that have opt_scaling_factor again")
    g.add_argument("--trials", type=int, default=GRID_TRIALS, help=f"trials per scaling factor ({GRID_TRIALS})")
    g.add_argument("--scaling-factors", type=float, nargs="+", default=list(SCALING_FACTORS), metavar="S",
                   help="the grid (default spikeRNN's: 20 25 ... 75)")
    g.set_defaults(run=cmd_grid_search)
    e = sub.add_parser("eval", help="score one model as a spiking network (and plot example trials)")
    e.add_argument("model", metavar="MODEL.mat")
    e.add_argument("--scaling-factor", type=float, help="s (default: the file's opt_scaling_factor)")
    e.add_argument("--trials", type=int, default=GRID_TRIALS)
    e.add_argument("--plot", metavar="DIR", help="write example rasters and outputs here")
    e.set_defaults(run=cmd_eval)
    for sp in (g, e):
        sp.add_argument("--seed", type=int, default=0)
        sp.add_argument("--device", default="auto", help="auto, cpu or cuda")
        sp.add_argument("--float64", action="store_true", help="simulate in float64 (default float32)")
        sp.add_argument("--threads", type=int, help="trials simulated at once on the CPU (default: one per usable "
                        "core); the answer does not depend on it")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0
