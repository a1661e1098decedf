from otter.test_files import test_case

OK_FORMAT = False

name = "automatic_diff"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_automatic_diff_shapes(h1_, h11, U_grad):
    import torch
    assert isinstance(h1_, torch.Tensor) and h1_.shape == (2,), 'h1_ should be a tensor with 2 elements'
    assert isinstance(h11, torch.Tensor) and h11.numel() == 1, 'h11 should be a tensor holding one number'
    assert isinstance(U_grad, torch.Tensor) and U_grad.shape == (2, 2), 'U_grad should be a 2x2 tensor: run the whole cell, down to U_grad = U_.grad'

