from otter.test_files import test_case

OK_FORMAT = False

name = "forward_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_forward_step_matches_lab_numbers(forward_step, U, V, W, x1, h0):
    import torch
    h, o = forward_step(x1, h0, U, V, W)
    assert torch.allclose(h.detach(), torch.tensor([0.6, 0.1]), atol=1e-06), 'h for x1 should be [0.6, 0.1]'

