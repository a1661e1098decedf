from otter.test_files import test_case

OK_FORMAT = False

name = "manual_two_steps"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_manual_two_steps_shapes(manual_two_steps):
    import torch
    from rnncourse.course.kernel.checks import close
    Y0, Y1 = manual_two_steps(torch.ones(4, 3), torch.ones(4, 3), torch.zeros(3, 5), torch.zeros(5, 5), torch.zeros(1, 5))
    assert Y0.shape == (4, 5) and Y1.shape == (4, 5), 'Y0 and Y1 should have shape (instances, n_neurons)'
    close(Y1, torch.zeros(4, 5, dtype=torch.float64), 'with zero weights and bias both outputs are 0', rtol=1e-05, atol=1e-08)

