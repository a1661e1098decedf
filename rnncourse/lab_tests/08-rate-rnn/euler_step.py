from otter.test_files import test_case

OK_FORMAT = False

name = "euler_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_euler_step_basics(euler_step):
    import torch
    from rnncourse.course.kernel.checks import close
    x = torch.tensor([[1.0, -2.0, 0.5]])
    nothing = (torch.zeros(3, 3), torch.zeros(3, 1), torch.zeros(1, 1))
    w, w_in, u = nothing
    want = 0.75 * x
    step = euler_step(x, u, w, w_in, 4.0)
    assert isinstance(step, torch.Tensor) and step.shape == (1, 3), 'euler_step should return a tensor shaped like x, (B, N)'
    close(step, want, 'with w = 0, w_in = 0 and no noise, x_t should be (1 - 1/4) x_{t-1} for tau = 4', rtol=1e-05, atol=1e-08)

