from otter.test_files import test_case

OK_FORMAT = False

name = "last_valid"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_last_valid_basics(last_valid):
    import torch
    from rnncourse.course.kernel.checks import close
    outputs = torch.arange(24.0).reshape(2, 4, 3)
    got = last_valid(outputs, torch.tensor([4, 4]))
    assert got.shape == (2, 3), 'last_valid should return (instances, n_neurons)'
    close(got, outputs[:, -1].double(), 'when every sequence has the full length, the last valid output is the last one', rtol=1e-05, atol=1e-08)

