from otter.test_files import test_case

OK_FORMAT = False

name = "clip_gradients"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_clip_gradients_on_a_3_4_5_triangle(clip_gradients):
    import torch
    grads = [torch.tensor([3.0, 0.0]), torch.tensor([[4.0]])]
    clipped, total = clip_gradients(grads, 1.0)
    assert abs(float(total) - 5.0) < 1e-06, f'the total norm of (3, 0) and (4) is 5, not {float(total)}'
    assert len(clipped) == 2 and clipped[0].shape == (2,) and (clipped[1].shape == (1, 1)), 'clipped should hold one tensor per gradient, of its shape'
    assert torch.allclose(torch.as_tensor(clipped[1]).detach().double(), torch.tensor([[0.8]], dtype=torch.float64)), 'with max_norm 1 every gradient is scaled by 1 / 5 (nearly: max_norm / (5 + 1e-6))'
    unclipped, _ = clip_gradients(grads, 10.0)
    assert torch.equal(torch.as_tensor(unclipped[0]).detach(), grads[0]), 'below max_norm the gradients stay as they are'

