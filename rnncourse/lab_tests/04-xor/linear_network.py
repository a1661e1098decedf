from otter.test_files import test_case

OK_FORMAT = False

name = "linear_network"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_forward_linear_shape(forward_linear, X, w_HI_init, w_OH_init):
    import torch
    o = forward_linear(X, w_HI_init, torch.zeros(2), w_OH_init, torch.zeros(1))
    assert isinstance(o, torch.Tensor) and o.shape == (4, 1), 'forward_linear should return a tensor of shape (4, 1)'
    assert bool(((o > 0) & (o < 1)).all()), 'the output unit keeps its sigmoid, so o lies between 0 and 1'
    one = forward_linear(X[1:2], w_HI_init, torch.zeros(2), w_OH_init, torch.zeros(1))
    assert isinstance(one, torch.Tensor) and one.shape == (1, 1), f'forward_linear of a single row should return shape (1, 1), not {tuple(torch.as_tensor(one).shape)}'

