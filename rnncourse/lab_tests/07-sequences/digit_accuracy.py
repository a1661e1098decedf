from otter.test_files import test_case

OK_FORMAT = False

name = "digit_accuracy"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_accuracy_basics(accuracy):
    import torch
    model = torch.nn.Flatten()
    X = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]], [[0.2, 0.9]]])
    assert abs(accuracy(model, X, torch.tensor([1, 0, 0])) - 2 / 3) < 1e-06, '2 of these 3 images have their label as the top score'

