from otter.test_files import test_case

OK_FORMAT = False

name = "rate_chain"
points = 2

@test_case(points=0, hidden=False)
def test_rate_chain_shapes(dL_dr, dr_dx):
    import torch
    g = torch.Generator().manual_seed(1)
    r, w_out, z = (torch.rand(6, 3, generator=g), torch.randn(3, generator=g), torch.randn(6, generator=g))
    grad_r = dL_dr(r, z, w_out, 0.2)
    assert isinstance(grad_r, torch.Tensor) and grad_r.shape == (6, 3), 'dL_dr should return a tensor of shape (T, N)'
    x = torch.linspace(-5, 5, 11)
    slope = dr_dx(x)
    assert isinstance(slope, torch.Tensor) and slope.shape == x.shape, 'dr_dx should return a tensor shaped like x'
    assert bool(((slope > 0) & (slope <= 0.25 + 1e-06)).all()), "the sigmoid's slope lies between 0 and 1/4 everywhere"
    for name, got in [('dL_dr', dL_dr(r.double(), z.double(), w_out.double(), 0.2)), ('dr_dx', dr_dx(x.double())), ('dr_dx of a 0-d tensor', dr_dx(torch.tensor(0.0, dtype=torch.float64)))]:
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64, f'{name}: for float64 arguments return a float64 tensor (keep the dtype you are given), not {got!r:.60}'
    single = dr_dx(torch.tensor(0.0, dtype=torch.float64))
    assert single.shape == () and abs(single.item() - 0.25) < 1e-15, f'dr_dx of the 0-d tensor 0.0 should be the 0-d tensor 0.25, not {single!r}'

