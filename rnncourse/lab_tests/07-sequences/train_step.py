from otter.test_files import test_case

OK_FORMAT = False

name = "train_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_train_step_returns_the_loss(train_step):
    import math
    import torch
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(6, 4))
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    loss = train_step(model, torch.optim.SGD(model.parameters(), lr=0.0), torch.rand(3, 2, 3), torch.tensor([0, 1, 3]))
    assert isinstance(loss, float), 'train_step should return the loss as a Python float (.item())'
    assert abs(loss - math.log(4)) < 1e-06, 'with zero weights all 4 classes are equally likely: the loss is log(4)'

