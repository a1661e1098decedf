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

