from otter.test_files import test_case

OK_FORMAT = False

name = "manual_unroll"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_manual_unroll_shapes(manual_unroll):
    import torch
    outputs, state = manual_unroll(torch.ones(4, 6, 3), torch.zeros(3, 5), torch.zeros(5, 5), torch.zeros(1, 5))
    assert outputs.shape == (4, 6, 5), f'outputs should be (instances, steps, n_neurons) = (4, 6, 5), not {tuple(outputs.shape)}'
    assert state.shape == (4, 5), f'the final state should be (instances, n_neurons) = (4, 5), not {tuple(state.shape)}'

