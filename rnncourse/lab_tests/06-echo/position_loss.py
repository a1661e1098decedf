from otter.test_files import test_case

OK_FORMAT = False

name = "position_loss"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_position_losses_shape(position_losses):
    import math
    import numpy as np
    import torch
    from rnncourse.course.kernel.checks import close
    zeros = [torch.zeros(5, 4), torch.zeros(1, 4), torch.zeros(4, 2), torch.zeros(1, 2)]
    x = np.random.default_rng(1).integers(0, 2, (3, 47))
    got = position_losses(x, x, zeros)
    assert isinstance(got, torch.Tensor) and got.shape == (3, 3, 15), f"47 columns make 3 windows of 15: the result should be (3, rows=3, 15), not {tuple(getattr(got, 'shape', ()))}"
    close(got, torch.full((3, 3, 15), math.log(2)), 'with zero weights every prediction costs log(2)', rtol=1e-05, atol=1e-08)

