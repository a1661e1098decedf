from otter.test_files import test_case

OK_FORMAT = False

name = "recurrent_gradient"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dL_dw_basics(dL_dw, run_small, small_loss, x0_small, u_small, z_small, w_small, w_in_small, w_out_small, b_small, x_small, r_small, o_small, alpha):
    import torch
    from rnncourse.course.kernel.checks import close
    grad = dL_dw(x_small, r_small, o_small, o_small.clone(), w_small, w_out_small, alpha)
    assert isinstance(grad, torch.Tensor) and grad.shape == w_small.shape, 'dL_dw should return an (N, N) tensor'
    close(grad, torch.zeros_like(grad), 'when the outputs equal the targets the gradient is zero', rtol=1e-05, atol=1e-08)
    grad = dL_dw(x_small, r_small, o_small, z_small, w_small, w_out_small, alpha)
    nudge = torch.zeros_like(w_small)
    nudge[2, 1] = 1e-06
    up, down = (small_loss(run_small(x0_small, u_small, w_small + d, w_in_small, w_out_small, b_small, alpha)[2], z_small) for d in (nudge, -nudge))
    slope = ((up - down) / 2e-06).item()
    assert abs(grad[2, 1].item() - slope) < 1e-06, f'dL_dw[2, 1] is {grad[2, 1].item():.6f}, but nudging w[2, 1] changes the loss at the rate {slope:.6f}'

