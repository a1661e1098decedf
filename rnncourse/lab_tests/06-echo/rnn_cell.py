from otter.test_files import test_case

OK_FORMAT = False

name = "rnn_cell"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_rnn_cell_shape(rnn_cell):
    import torch
    from rnncourse.course.kernel.checks import close
    state = rnn_cell(torch.ones(3), torch.zeros(3, 4), torch.ones(5, 4), torch.zeros(1, 4))
    assert isinstance(state, torch.Tensor) and state.shape == (3, 4), 'rnn_cell should return a tensor (rows, state_size)'
    assert bool((state.abs() < 1).all()), 'tanh keeps every entry of the state between -1 and 1'
    zero = rnn_cell(torch.ones(2), torch.ones(2, 4), torch.zeros(5, 4), torch.zeros(1, 4))
    close(zero, torch.zeros(2, 4), 'with zero weights and bias the next state is 0', rtol=1e-05, atol=1e-08)

