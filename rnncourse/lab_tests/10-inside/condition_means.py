from otter.test_files import test_case

OK_FORMAT = False

name = "condition_means"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_condition_means_basics(condition_means, r, labels):
    import torch
    means = condition_means(r, labels)
    assert isinstance(means, torch.Tensor) and means.shape == (2, r.shape[1], r.shape[2]), 'condition_means should return a tensor (2, T, N)'

