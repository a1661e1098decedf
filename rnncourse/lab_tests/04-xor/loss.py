from otter.test_files import test_case

OK_FORMAT = False

name = "loss"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_loss_basics(nll_loss, Y):
    import math
    import torch
    from rnncourse.course.kernel.checks import close
    value = nll_loss(torch.full((4, 1), 0.5), Y)
    assert isinstance(value, torch.Tensor) and value.numel() == 1, 'nll_loss should return a tensor holding one number'
    close(value, math.log(2), 'with o = 0.5 everywhere the loss should be log 2 = 0.6931', rtol=0, atol=1e-06)

