from otter.test_files import test_case

OK_FORMAT = False

name = "readout_gradient"
points = 2

@test_case(points=0, hidden=False)
def test_readout_gradient_shapes(dL_dwout, dL_db):
    import torch
    g = torch.Generator().manual_seed(0)
    r, w_out = (torch.rand(7, 4, generator=g), torch.randn(4, generator=g))
    z = torch.randn(7, generator=g)
    grad_w = dL_dwout(r, z, w_out, 0.1)
    assert isinstance(grad_w, torch.Tensor) and grad_w.shape == (4,), 'dL_dwout should return a tensor of shape (N,)'
    assert torch.as_tensor(dL_db(r, z, w_out, 0.1)).numel() == 1, 'dL_db should return a single number'
    perfect = r @ w_out + 0.1
    assert torch.allclose(torch.as_tensor(dL_dwout(r, perfect, w_out, 0.1)).double(), torch.zeros(4, dtype=torch.float64), atol=1e-06), 'dL_dwout should be 0 when o equals z'
    assert abs(float(dL_db(r, perfect, w_out, 0.1))) < 1e-06, 'dL_db should be 0 when o equals z'
    r64, z64, w64 = (r.double(), z.double(), w_out.double())
    grad_w = dL_dwout(r64, z64, w64, 0.1)
    assert isinstance(grad_w, torch.Tensor) and grad_w.dtype == torch.float64, f'for float64 rates dL_dwout should return a float64 tensor (keep the dtype you are given), not {grad_w.dtype}'
    grad_b = dL_db(r64, z64, w64, 0.1)
    assert not (isinstance(grad_b, torch.Tensor) and grad_b.dtype != torch.float64), f'for float64 rates dL_db should return a Python number or a float64 tensor, not a {grad_b.dtype} tensor'

