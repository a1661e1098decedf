from otter.test_files import test_case

OK_FORMAT = False

name = "accuracy"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_accuracy_basics(go_nogo_correct, accuracy, eval_o, eval_labels):
    import torch
    right = go_nogo_correct(eval_o, eval_labels)
    assert isinstance(right, torch.Tensor) and right.dtype == torch.bool and (right.shape == (100,)), 'go_nogo_correct should return a boolean tensor with one entry per trial'
    assert isinstance(accuracy, float) and 0 <= accuracy <= 1, 'accuracy should be a Python float between 0 and 1'

@test_case(points=None, hidden=False)
def test_go_nogo_rule_reads_the_window(go_nogo_correct):
    import torch
    o = torch.zeros(4, 10)
    o[0, 6] = 0.75
    o[1, 1] = 0.95
    o[2, 7] = -0.4
    o[3, 2], o[3, 8] = (0.9, 0.25)
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0])
    got = [bool(v) for v in go_nogo_correct(o, labels, stim_on=2, stim_dur=2)]
    assert got == [True, False, False, True], f'go_nogo_correct gives {got}, the rule gives [True, False, False, True]: only the steps from stim_on + stim_dur count; a Go trial needs its largest output there above 0.7, a NoGo trial its largest |output| there below 0.3'

