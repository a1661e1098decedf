from otter.test_files import test_case

OK_FORMAT = False

name = "forward"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_forward_shape_and_range(forward, X, w_HI, b_12, w_OH, b_3):
    import torch
    from rnncourse.course.kernel.checks import close
    o = forward(X, w_HI, b_12, w_OH, b_3)
    assert isinstance(o, torch.Tensor) and o.shape == (4, 1), 'forward(X, ...) should return a tensor of shape (4, 1)'
    assert bool(((o > 0) & (o < 1)).all()), 'o is a probability: every entry lies between 0 and 1'
    zeros = forward(X, torch.zeros(2, 2), torch.zeros(2), torch.zeros(2, 1), torch.zeros(1))
    close(zeros, torch.full((4, 1), 0.5), 'with all parameters zero, o should be 0.5 for every case', rtol=1e-05, atol=1e-08)
    one = forward(X[1:2], w_HI, b_12, w_OH, b_3)
    assert isinstance(one, torch.Tensor) and one.shape == (1, 1), f'forward of a single row (shape (1, 2)) should return shape (1, 1), not {tuple(torch.as_tensor(one).shape)}'

