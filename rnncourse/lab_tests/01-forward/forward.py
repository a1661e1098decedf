from otter.test_files import test_case

OK_FORMAT = False

name = "forward"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_forward_shapes(h1, o1, h2, o2):
    import torch
    for name, value in [('h1', h1), ('o1', o1), ('h2', h2), ('o2', o2)]:
        assert isinstance(value, torch.Tensor), f'{name} should be a torch tensor'
        assert value.shape == (2,), f'{name} should have 2 elements, not shape {tuple(value.shape)}'

