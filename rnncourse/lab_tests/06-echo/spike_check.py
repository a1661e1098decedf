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

