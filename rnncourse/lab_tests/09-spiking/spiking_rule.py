from otter.test_files import test_case

OK_FORMAT = False

name = "spiking_rule"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_spiking_rule_basics(spiking_correct):
    import torch
    out = torch.zeros(2, 20000)
    out[0, 15000] = 1.0
    right = spiking_correct(out, torch.tensor([1, 0]))
    assert isinstance(right, torch.Tensor) and right.dtype == torch.bool and (right.shape == (2,)), 'spiking_correct should return a boolean tensor with one entry per trial'
    assert right.tolist() == [True, True], 'a Go trial reaching 1.0 and a NoGo trial at 0 are both correct'

