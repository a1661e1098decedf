from otter.test_files import test_case

OK_FORMAT = False

name = "third_input"
points = None
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_total_is_a_tensor(input_3, total):
    import torch
    assert isinstance(input_3, torch.Tensor) and input_3.requires_grad, 'input_3 should be a tensor with requires_grad=True'
    assert isinstance(total, torch.Tensor), 'total should be a torch tensor'

