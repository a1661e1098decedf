from otter.test_files import test_case

OK_FORMAT = False

name = "train_epoch"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_train_epoch_returns(train_epoch):
    import math
    import numpy as np
    import torch
    from rnncourse.course.kernel.checks import close
    params = [torch.zeros(5, 4, requires_grad=True), torch.zeros(1, 4, requires_grad=True), torch.zeros(4, 2, requires_grad=True), torch.zeros(1, 2, requires_grad=True)]
    x = np.random.default_rng(0).integers(0, 2, (3, 30))
    loss_list, state = train_epoch(x, x, params, torch.optim.SGD(params, lr=0.0))
    assert len(loss_list) == 2, f'30 columns make 2 windows of 15, so 2 losses, not {len(loss_list)}'
    close([float(l) for l in loss_list], [math.log(2)] * len(loss_list), 'with zero weights both classes get probability 1/2, so every loss should be log(2)', rtol=0, atol=1e-06)
    assert isinstance(state, torch.Tensor) and state.shape == (3, 4), 'the final state should have shape (rows, state_size)'
    assert state.grad_fn is None, 'detach the state you carry on: it should not hold a graph'

