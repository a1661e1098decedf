from otter.test_files import test_case

OK_FORMAT = False

name = "train_loop"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_train_takes_steps(train, X, Y, w_HI_init, w_OH_init):
    import torch

    def net(x, w1, b1, w2, b2):
        return torch.sigmoid(torch.sigmoid(x @ w1 + b1) @ w2 + b2)
    params = [w_HI_init.clone().requires_grad_(), torch.zeros(2, requires_grad=True), w_OH_init.clone().requires_grad_(), torch.zeros(1, requires_grad=True)]
    losses = train(net, params, X, Y, lr=0.5, target_loss=0.0, max_steps=3)
    assert isinstance(losses, list) and len(losses) == 3, 'with max_steps=3 and an unreachable target, train should return 3 losses'
    assert all((isinstance(v, float) for v in losses)), 'losses should hold plain numbers (use loss.item())'
    assert losses[2] < losses[0], 'the loss should go down as gradient descent runs'
    assert not torch.equal(params[0].detach(), w_HI_init), 'train should update the parameters in place'

@test_case(points=None, hidden=False)
def test_train_stops_before_updating(train, X, Y, w_HI_init, w_OH_init):
    import torch

    def net(x, w1, b1, w2, b2):
        return torch.sigmoid(torch.sigmoid(x @ w1 + b1) @ w2 + b2)
    params = [w_HI_init.clone().requires_grad_(), torch.zeros(2, requires_grad=True), w_OH_init.clone().requires_grad_(), torch.zeros(1, requires_grad=True)]
    before = [p.detach().clone() for p in params]
    losses = train(net, params, X, Y, lr=0.5, target_loss=float('inf'), max_steps=10)
    assert isinstance(losses, list) and len(losses) == 1, f'when the first loss is already below target_loss, train should return that one loss, not {losses!r:.100}'
    assert all((torch.equal(p.detach(), b) for p, b in zip(params, before))), 'when the first loss is already below target_loss, train should stop before updating the parameters'

