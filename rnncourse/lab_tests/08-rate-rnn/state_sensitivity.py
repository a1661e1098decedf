from otter.test_files import test_case

OK_FORMAT = False

name = "state_sensitivity"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dx_dw_basics(dx_dw, x_small, r_small, w_small, alpha):
    import torch
    from rnncourse.course.kernel.checks import close
    s = dx_dw(x_small, r_small, w_small, alpha, 1, 3)
    assert isinstance(s, torch.Tensor) and s.shape == x_small.shape, 'dx_dw should return a tensor of shape (T+1, N)'
    assert torch.equal(s[0], torch.zeros_like(s[0])), 'the starting currents do not depend on w: row 0 is zero'
    want = torch.zeros_like(s[1])
    want[1] = alpha * r_small[0, 3]
    close(s[1], want, 'row 1 should hold only the direct effect alpha * r_0^(k), on unit i', rtol=1e-05, atol=1e-08)

