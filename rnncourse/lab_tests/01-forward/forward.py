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

@test_case(points=None, hidden=False)
def test_forward_relu_on_negative_sums(env):
    import torch
    from rnncourse.course.kernel.checks import close, replay
    ran = replay(env, ['h1', 'o1', 'h2', 'o2'], U=torch.tensor([[0.5, -1.0], [0.5, 1.0]]))
    close(ran['h1'], [0.0, 1.0], 'run again with U = [[0.5, -1], [0.5, 1]], U x1 + V h0 is [-1, 1], so h1 should be relu([-1, 1]) = [0, 1]', rtol=0, atol=1e-06)

