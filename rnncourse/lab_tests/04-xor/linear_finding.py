from otter.test_files import test_case

OK_FORMAT = False

name = "linear_finding"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_finding_types(loss_floor, best_linear_correct, linear_outputs):
    import torch
    assert 0 < float(loss_floor) < 2, 'loss_floor should be a loss value, a number between 0 and 2 here'
    assert int(best_linear_correct) == best_linear_correct and 0 <= best_linear_correct <= 4, 'best_linear_correct counts XOR cases: a whole number from 0 to 4'
    outputs = torch.as_tensor(linear_outputs).detach().flatten()
    assert outputs.numel() == 4, 'linear_outputs should hold four numbers, one per row of X'
    assert bool(((outputs > 0) & (outputs < 1)).all()), 'linear_outputs are probabilities, between 0 and 1'

