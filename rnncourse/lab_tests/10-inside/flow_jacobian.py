from otter.test_files import test_case

OK_FORMAT = False

name = "flow_jacobian"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_flow_jacobian_basics(flow_jacobian):
    import torch
    from rnncourse.course.kernel.checks import close
    J = flow_jacobian(torch.zeros(2), torch.zeros(2, 2), torch.tensor([4.0, 5.0]))
    assert isinstance(J, torch.Tensor) and J.shape == (2, 2), 'flow_jacobian should return an (N, N) tensor'
    close(J, torch.diag(torch.tensor([-0.25, -0.2])), 'with w_eff = 0, J should be -diag(1 / tau)', rtol=1e-05, atol=1e-08)

