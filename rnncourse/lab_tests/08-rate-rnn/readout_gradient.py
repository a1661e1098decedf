from otter.test_files import test_case

OK_FORMAT = False

name = "readout_gradient"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dL_dwout_basics(dL_dwout, r_small, o_small, z_small):
    import torch
    from rnncourse.course.kernel.checks import close
    grad = dL_dwout(r_small, o_small, z_small)
    assert isinstance(grad, torch.Tensor) and grad.shape == (r_small.shape[1],), 'dL_dwout should return a tensor of shape (N,)'
    close(dL_dwout(r_small, o_small, o_small.clone()), torch.zeros_like(grad), 'when the outputs equal the targets the gradient is zero', rtol=1e-05, atol=1e-08)

