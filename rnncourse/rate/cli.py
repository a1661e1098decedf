"""`python -m rnncourse.rate`: spikeRNN's rate/main.py command line, on CPU, CUDA or MPS.

spikeRNN's README command works unchanged and writes its .mat under spikeRNN's folder and name:

    python -m rnncourse.rate --gpu 0 --gpu_frac 0.20 --n_trials 5000 --mode train --N 200 \\
        --P_inh 0.20 --som_N 0 --apply_dale True --gain 1.5 --task go-nogo --act sigmoid \\
        --loss_fn l2 --decay_taus 4 20 --output_dir OUT

Added flags: --batch_size (1 = spikeRNN's one trial per update), --device, --seed, --threads,
--n_networks K (K networks, seeds seed, seed+3, ..., trained together by train_many, each saved as
its own file with 'seed_<s>_' before the time stamp), and --model for `--mode eval`, which (unlike
spikeRNN's, which does nothing) evaluates saved networks (one or more files) on fresh trials and
prints their accuracy. Flags spikeRNN requires but that have a natural default
(--som_N 0, --act sigmoid, --loss_fn l2, --apply_dale True) may be left out. --gpu_frac is applied
(spikeRNN builds a session with it, then trains in another session without it).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import torch

from rnncourse.device import pick_device, usable_cores
from rnncourse.rate.evaluation import EVAL_TRIALS, evaluate, make_generators
from rnncourse.rate.losses import LOSS_FUNCTIONS
from rnncourse.rate.many import train_many
from rnncourse.rate.matfile import load_mat, mat_path, save_mat
from rnncourse.rate.model import RateRNN, check_taus
from rnncourse.rate.recurrence import ACTIVATIONS
from rnncourse.rate.tasks import TASKS, get_task
from rnncourse.rate.training import DEFAULT_BATCH_SIZE, train

PROG = "python -m rnncourse.rate"
SEED_STRIDE = 3         # --n_networks: seeds this far apart share no random stream (make_generators)


def restricted_float(text):
    """A float in [0, 1] (spikeRNN's restricted_float)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not in [0, 1]")
    return value


def str2bool(text):
    """'true/yes/t/y/1' or 'false/no/f/n/0', any case (spikeRNN's str2bool)."""
    lowered = text.lower()
    if lowered in ("yes", "true", "t", "y", "1"):
        return True
    if lowered in ("no", "false", "f", "n", "0"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not a boolean: use True or False")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def build_parser():
    parser = argparse.ArgumentParser(prog=PROG, description="Train or evaluate spikeRNN's rate RNN (PyTorch).")
    spike = parser.add_argument_group("spikeRNN main.py flags")
    spike.add_argument("--gpu", default=None, help="which GPU to use: sets CUDA_VISIBLE_DEVICES, as spikeRNN does")
    spike.add_argument("--gpu_frac", type=restricted_float, default=0.4,
                       help="fraction of the GPU's memory this process may use (CUDA only; default 0.4)")
    spike.add_argument("--n_trials", type=positive_int,
                       help=f"train: the most trials to train on (required); eval: trials to score "
                            f"(default {EVAL_TRIALS})")
    spike.add_argument("--mode", required=True, type=str.lower, choices=("train", "eval"), help="train or eval")
    spike.add_argument("--output_dir", help="train: where models/<task>/... is written (required); "
                                            "eval: where to look for the newest model when --model is not given")
    spike.add_argument("--N", type=positive_int, help="number of units (required to train)")
    spike.add_argument("--gain", type=float, default=1.5, help="gain of the initial weights (default 1.5)")
    spike.add_argument("--P_inh", type=restricted_float, default=0.2,
                       help="probability of a unit being inhibitory (default 0.2)")
    spike.add_argument("--P_rec", type=restricted_float, default=0.2,
                       help="initial connection probability (default 0.2)")
    spike.add_argument("--som_N", type=int, default=0, help="number of SOM inhibitory units (default 0)")
    spike.add_argument("--task", type=str.lower, choices=sorted(TASKS), help="the task (required to train)")
    spike.add_argument("--act", type=str.lower, default="sigmoid", choices=ACTIVATIONS,
                       help="activation function (default sigmoid)")
    spike.add_argument("--loss_fn", type=str.lower, choices=LOSS_FUNCTIONS,
                       help="loss (train: default l2; eval: default the one the model was trained with)")
    spike.add_argument("--apply_dale", type=str2bool, default=True, help="apply Dale's principle (default True)")
    spike.add_argument("--decay_taus", type=float, nargs="+",
                       help="time constants in steps of 5 ms: MIN MAX (trained) or one fixed value (required to train)")
    ours = parser.add_argument_group("added flags")
    ours.add_argument("--batch_size", type=positive_int, default=DEFAULT_BATCH_SIZE,
                      help=f"trials per update (default {DEFAULT_BATCH_SIZE}; "
                           "1 = spikeRNN's faithful one trial per update)")
    ours.add_argument("--device", default="auto", help="auto (cuda, else mps, else cpu), cpu, cuda, cuda:1 or mps")
    ours.add_argument("--seed", type=int, default=None, help="random seed (default: a fresh one, printed and saved)")
    ours.add_argument("--threads", type=positive_int, default=None,
                      help="CPU threads (default 1 for one network: a few hundred units leave little to share, and "
                           "extra threads stall when other programs use the cores; with --n_networks K, one per "
                           "core, at most K: each thread trains its share of the networks)")
    ours.add_argument("--n_networks", type=positive_int, default=1,
                      help="train K independent networks at once (seeds seed, seed+3, seed+6, ...), each saved as "
                           "its own file; on the CPU --threads groups of them train side by side")
    ours.add_argument("--model", type=Path, nargs="+", help="eval: the .mat file(s) to evaluate")
    return parser


def _check_combination(parser, args):
    """The errors argparse cannot see: flags needed by the chosen mode, and their ranges."""
    if args.mode == "train":
        missing = [f"--{name}" for name in ("n_trials", "N", "task", "decay_taus", "output_dir")
                   if getattr(args, name) is None]
        if missing:
            parser.error(f"--mode train needs {', '.join(missing)} (see spikeRNN's README command)")
        if args.model is not None:
            parser.error("--model is for --mode eval; to train, leave it out")
    elif args.model is None and (args.output_dir is None or None in (args.task, args.N, args.decay_taus)):
        parser.error("--mode eval needs --model PATH, or --output_dir with the training flags (--task, --N, "
                     "--decay_taus, ...) to evaluate the newest model they wrote")
    if args.decay_taus is not None:
        try:
            check_taus(args.decay_taus, "--decay_taus")
        except ValueError as error:
            parser.error(str(error))
    if args.som_N < 0:
        parser.error(f"--som_N must be 0 or more, got {args.som_N}")


def _setup_torch(args):
    """Apply --gpu, --threads, --device and --gpu_frac; return the torch.device."""
    if args.gpu is not None:   # before CUDA starts (torch starts it lazily), as spikeRNN's set_gpu does
        os.environ["CUDA_VISIBLE_DEVICES"] = args.gpu
    torch.set_num_threads(args.threads or 1)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.cuda.set_per_process_memory_fraction(args.gpu_frac, device.index)   # None: the current GPU
    return device


def _newest_model(args):
    """The newest .mat that `--mode train` with these flags wrote."""
    path = mat_path(args.output_dir, args.task, args.N, args.decay_taus, args.act, args.P_rec, args.apply_dale)
    folder, pattern = path.parent, path.name[: -len("YYYY_MM_DD_HHMMSS.mat")] + "*.mat"
    found = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"No model matching {pattern} in {folder}: train one first, or pass --model PATH.")
    return found[-1]


def _network(args, task, seed, device):
    """The RateRNN the flags describe, drawn with `seed`."""
    return RateRNN(args.N, task.n_inputs, P_inh=args.P_inh, P_rec=args.P_rec, som_N=args.som_N, gain=args.gain,
                   apply_dale=args.apply_dale, taus=tuple(args.decay_taus), activation=args.act, seed=seed,
                   device=device)


def _schedule(args, task, loss_fn, device):
    """One line on how training runs: task, loss, trials per update, device."""
    mode = "faithful, one trial per update" if args.batch_size == 1 else f"{args.batch_size} trials per update"
    return f"task {task.name}, loss {loss_fn}, {mode}, device {device}"


def run_train(args, device):
    loss_fn = args.loss_fn or LOSS_FUNCTIONS[0]
    task = get_task(args.task)
    generators = make_generators(args.seed, device)
    model = _network(args, task, generators.seed, device)
    print(f"{model.extra_repr()}\n{_schedule(args, task, loss_fn, device)}, seed {generators.seed}")
    result = train(model, task, args.n_trials, batch_size=args.batch_size, loss_fn=loss_fn,
                   generators=generators, threads=args.threads or 1)
    path = save_mat(mat_path(args.output_dir, task.name, args.N, args.decay_taus, args.act, args.P_rec,
                             args.apply_dale), model, task, result)
    outcome = (f"reached the stopping criterion at trial {result.tr}" if result.success
               else f"did not reach the stopping criterion in {args.n_trials} trials")
    print(f"Training {outcome} ({result.seconds:.1f} s); last evaluation: {result.last_evaluation}\nSaved {path}")


def run_train_many(args, device):
    """--n_networks K: seeds seed, seed+3, ..., seed+3(K-1) trained by train_many, each saved when it
    stops. A network draws from three streams, seeded seed (weights), seed+1 (trials) and seed+2
    (noise), so seeds three apart share none: the K networks are independent draws."""
    loss_fn = args.loss_fn or LOSS_FUNCTIONS[0]
    task = get_task(args.task)
    first = make_generators(args.seed, device).seed
    seeds = list(range(first, first + SEED_STRIDE * args.n_networks, SEED_STRIDE))

    def build(seed):
        return _network(args, task, seed, device)

    def save(k, result):
        path = save_mat(mat_path(args.output_dir, task.name, args.N, args.decay_taus, args.act, args.P_rec,
                                 args.apply_dale, seed=result.seed), result.model, task, result)
        outcome = f"met the criterion at trial {result.tr}" if result.success else "did not meet the criterion"
        print(f"seed {result.seed}: {outcome} ({result.seconds:.1f} s); {result.last_evaluation}; saved {path}",
              flush=True)

    threads = args.threads or min(args.n_networks, usable_cores())
    side_by_side = f", {threads} groups side by side" if device.type == "cpu" and threads > 1 else ""
    print(f"{args.n_networks} networks, seeds {', '.join(map(str, seeds))}; {build(seeds[0]).extra_repr()}\n"
          f"{_schedule(args, task, loss_fn, device)}{side_by_side}")
    results = train_many(build, task, args.n_trials, seeds=seeds, batch_size=args.batch_size, loss_fn=loss_fn,
                         threads=threads, on_done=save)
    met = sum(r.success for r in results)
    print(f"{met} of {len(results)} networks reached the stopping criterion.")


def run_eval(args, device):
    paths = args.model if args.model is not None else [_newest_model(args)]
    evaluations = []
    for path in paths:
        saved = load_mat(path, device=device)
        if args.task is not None and args.task != saved.task.name:
            raise ValueError(f"{path} holds a {saved.task.name} network but --task says {args.task}.")
        n_trials = args.n_trials or EVAL_TRIALS
        evaluations.append(evaluate(saved.model, saved.task, n_trials, args.loss_fn or saved.loss_fn,
                                    seed=args.seed))
        print(f"{path}\n{saved.task.name}: {evaluations[-1]}")
    return evaluations


def main(argv=None):
    """Run the command line; returns the exit status (0 ok, 2 bad flags or files)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_combination(parser, args)
    start = time.perf_counter()
    try:
        device = _setup_torch(args)
        if args.mode == "train":
            (run_train_many if args.n_networks > 1 else run_train)(args, device)
        else:
            run_eval(args, device)
    except (ValueError, FileNotFoundError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    print(f"Done in {time.perf_counter() - start:.1f} s.")
    return 0
