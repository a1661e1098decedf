from otter.test_files import test_case

OK_FORMAT = False

name = "spike_check"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_spike_check_shapes(unpredictable_mask, row_handover):
    import torch
    mask = unpredictable_mask(5, 15, 3)
    assert isinstance(mask, torch.Tensor) and mask.shape == (5, 15) and (mask.dtype == torch.bool), 'unpredictable_mask should return a boolean tensor (batch_size, truncated_backprop_length)'
    assert not bool(mask[:, 3:].any()), 'from step echo_step on, the echoed bit is inside the window: predictable'
    start = row_handover(torch.ones(5, 4))
    assert isinstance(start, torch.Tensor) and start.shape == (5, 4), 'row_handover should return (rows, state_size)'

@test_case(points=None, hidden=False)
def test_spike_check_row_0(unpredictable_mask, row_handover):
    import torch
    mask = unpredictable_mask(3, 6, 2)
    assert bool(mask[0, :2].all()), 'row 0 is marked too: every row starts from the same zero state, so its first echo_step targets are guesses'
    end_state = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    start = row_handover(end_state)
    assert torch.equal(torch.as_tensor(start[0]).double(), torch.zeros(2, dtype=torch.float64)), 'row 0 starts the series: nothing comes before it, so it starts from zeros'
    assert torch.equal(torch.as_tensor(start[2]).double(), end_state[1].double()), 'row 2 continues row 1: it starts from end_state[1]'

