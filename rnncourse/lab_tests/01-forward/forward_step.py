from otter.test_files import test_case

OK_FORMAT = False

name = "forward_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_forward_step_matches_lab_numbers(forward_step, U, V, W, x1, h0):
    from rnncourse.course.kernel.checks import close
    h, o = forward_step(x1, h0, U, V, W)
    close(h, [0.6, 0.1], 'h for x1 should be [0.6, 0.1]', rtol=0, atol=1e-06)

@test_case(points=None, hidden=False)
def test_forward_step_relu_and_other_sizes(forward_step):
    import torch
    from rnncourse.course.kernel.checks import close
    h, o = forward_step(torch.tensor([1.0]), torch.tensor([1.0, -1.0]), torch.tensor([[1.0], [-2.0]]), torch.tensor([[1.0, 0.0], [0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    close(h, [2.0, 0.0], 'with I = 1, H = 2 and U x + V h_prev = [2, -3], h should be relu([2, -3]) = [2, 0] (shape (H,))', rtol=0, atol=1e-06)
    close(o, [2.0], 'with O = 1, o should be W h = [2.0], of shape (O,) = (1,)', rtol=0, atol=1e-06)

