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

@test_case(points=None, hidden=False)
def test_spiking_rule_reads_a_window_and_signed_values(spiking_correct):
    import torch
    dt = 0.0001
    out = torch.zeros(4, 10000, dtype=torch.float64)
    out[0, 3000] = 5.0
    out[1, 8000] = 0.75
    out[2, 6000] = -2.0
    out[3, 4000], out[3, 9999] = (4.0, 0.35)
    right = torch.as_tensor(spiking_correct(out, torch.tensor([1, 1, 0, 0]), dt)).reshape(-1).tolist()
    assert [bool(r) for r in right] == [False, True, True, False], f'got {right}; want [False, True, True, False]: only the window from 0.5 s on counts, a Go trial needs its largest output there above 0.7, a NoGo trial its (signed) largest output below 0.3'

