"""Trained networks shipped with the package, so that a later lab starts from a trained network
without training it again (and without the file a student's lab 08 left in another folder).

    go-nogo   lab 08's network: N = 100, taus (4, 20), seed 0, trained with `train` to spikeRNN's
              stopping rule (trial 2407 on the machine that made it), then searched for its
              spiking scaling factor from s = 5 to 75 (rnncourse.spiking.grid_search: the file
              holds opt_scaling_factor, all_perfs and scaling_factors)
    xor       lab 08's recipe on XOR (section 9 there): N = 100, taus (4, 50), seed 0, up to
              12,000 trials to spikeRNN's stopping rule (met at trial 5703); lab 10 sets it beside
              Go-NoGo: it too has one stable fixed point at u = 0, and holds the first pulse's
              sign through the delay by slow flow near it (slowest time constant about 111
              steps). No spiking search.

`python -m rnncourse.rate.pretrained [TASK ...]` makes them again by the recipes below (minutes: the
grid search simulates 1,500 spiking trials) and writes them here; `--search-only` keeps the trained
network and runs only its spiking grid search again (after a change to the spiking simulation).
"""

import os
import tempfile
from pathlib import Path

FOLDER = Path(__file__).parent

#: task -> its file and how it was made: RateRNN's size, time constants and seed, train()'s trial
#: budget, and the scaling factors of the spiking grid search (None: no search).
RECIPES = {
    "go-nogo": dict(file="go-nogo_N100_seed0.mat", N=100, taus=(4, 20), seed=0, n_trials=5000,
                    scaling_factors=tuple(range(5, 80, 5))),
    "xor": dict(file="xor_N100_seed0.mat", N=100, taus=(4, 50), seed=0, n_trials=12000,
                scaling_factors=None),
}


def pretrained_path(task="go-nogo"):
    """The .mat of the shipped network trained on `task` (spikeRNN's layout: load_mat reads it)."""
    if task not in RECIPES:
        raise ValueError(f"no pretrained network for task {task!r}: there is one for {', '.join(RECIPES)}")
    return FOLDER / RECIPES[task]["file"]


def search_again(task):
    """Run the spiking grid search of `task`'s recipe again on the shipped file, the trained network
    kept as it is (its fields rewritten with the new results). Returns the SpikingEvaluation, or
    None for a recipe without a search."""
    from rnncourse.spiking import grid_search

    factors = RECIPES[task]["scaling_factors"]
    return None if factors is None else grid_search(pretrained_path(task), force=True, scaling_factors=factors)


def make_again(task):
    """Train the network of `task` by its recipe, save it over the shipped file, and append its
    spiking grid search when the recipe has one. Returns (path, TrainingResult, SpikingEvaluation
    or None)."""
    import torch

    from rnncourse.rate import RateRNN, get_task, save_mat, train

    recipe = RECIPES[task]
    torch.set_num_threads(1)
    the_task = get_task(task)
    net = RateRNN(recipe["N"], the_task.n_inputs, taus=recipe["taus"], seed=recipe["seed"])
    result = train(net, the_task, recipe["n_trials"], seed=recipe["seed"])
    with tempfile.TemporaryDirectory() as folder:      # save_mat never overwrites: write aside, then move
        written = save_mat(Path(folder) / recipe["file"], net, the_task, result)
        os.replace(written, pretrained_path(task))
    return pretrained_path(task), result, search_again(task)
