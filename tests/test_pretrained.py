"""The networks shipped with the package (rnncourse.rate.pretrained), which labs 09 and 10 start from."""

import numpy as np
import pytest
import scipy.io
import torch

from rnncourse.rate import evaluate, load_mat
from rnncourse.rate.pretrained import RECIPES, pretrained_path
from rnncourse.spiking import LIFNetwork


@pytest.mark.parametrize("task", sorted(RECIPES))
def test_a_shipped_network_loads_and_does_its_task(task):
    """Every shipped network reads back as its task's network of the recipe's size and reaches
    spikeRNN's rate criterion (accuracy > 0.95) on 1,000 fresh trials. 100 trials, the criterion's
    own sample, measure an accuracy only to about +-0.02: the XOR network, trained just to the
    stopping rule, scores 0.94 to 0.97 on samples of 100 and 0.955 on these 1,000 (1.4 s)."""
    torch.set_num_threads(1)
    saved = load_mat(pretrained_path(task))
    assert saved.task.name == task and RECIPES[task]["N"] == saved.model.N
    assert evaluate(saved.model, saved.task, 1000, seed=123).accuracy > 0.95


def test_the_go_nogo_network_carries_its_scaling_factor_search():
    """Lab 09 reads the grid search's fields from the file: s from 5 to 75, the best the smallest of
    the highest accuracy, and the spiking converter reads the same file."""
    fields = scipy.io.loadmat(pretrained_path("go-nogo"))
    factors, perfs = fields["scaling_factors"].ravel(), fields["all_perfs"].ravel()
    assert factors.tolist() == list(range(5, 80, 5)) and fields["all_perfs"].shape == (15, 1)
    assert fields["opt_scaling_factor"].item() == factors[np.argmax(perfs)]
    assert LIFNetwork.load(pretrained_path("go-nogo")).task == "go-nogo"


def test_an_unknown_pretrained_task_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="no pretrained network for task 'mantee'.*go-nogo"):
        pretrained_path("mantee")
