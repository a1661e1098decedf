"""Trained networks shipped with the package, so that a later lab starts from lab 08's network
without training it again (and without the file a student's lab 08 left in another folder).

    go-nogo   lab 08's network: N = 100, taus (4, 20), seed 0, trained with `train` to spikeRNN's
              stopping rule (trial 2407 on the machine that made it), then searched for its
              spiking scaling factor from s = 5 to 75 (rnncourse.spiking.grid_search: the file
              holds opt_scaling_factor, all_perfs and scaling_factors)

`python -m rnncourse.rate.pretrained [TASK]` makes them again by the recipes below (minutes: the
grid search simulates 1,500 spiking trials) and writes them here.
"""

from pathlib import Path

FOLDER = Path(__file__).parent

#: task -> its file and how it was made: RateRNN's size, time constants and seed, train()'s trial
#: budget, and the scaling factors of the spiking grid search.
RECIPES = {
    "go-nogo": dict(file="go-nogo_N100_seed0.mat", N=100, taus=(4, 20), seed=0, n_trials=5000,
                    scaling_factors=tuple(range(5, 80, 5))),
}


def pretrained_path(task="go-nogo"):
    """The .mat of the shipped network trained on `task` (spikeRNN's layout: load_mat reads it)."""
    if task not in RECIPES:
        raise ValueError(f"no pretrained network for task {task!r}: there is one for {', '.join(RECIPES)}")
    return FOLDER / RECIPES[task]["file"]


def make_again(task):
    """Train the network of `task` by its recipe, save it over the shipped file, and append its
    spiking grid search. Returns (path, TrainingResult, SpikingEvaluation)."""
    import torch

    from rnncourse.rate import RateRNN, get_task, save_mat, train
    from rnncourse.spiking import grid_search

    recipe = RECIPES[task]
    torch.set_num_threads(1)
    the_task = get_task(task)
    net = RateRNN(recipe["N"], the_task.n_inputs, taus=recipe["taus"], seed=recipe["seed"])
    result = train(net, the_task, recipe["n_trials"], seed=recipe["seed"])
    path = save_mat(pretrained_path(task), net, the_task, result)
    return path, result, grid_search(path, force=True, scaling_factors=recipe["scaling_factors"])
