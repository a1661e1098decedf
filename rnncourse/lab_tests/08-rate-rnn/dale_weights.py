from otter.test_files import test_case

OK_FORMAT = False

name = "dale_weights"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dale_weights_basics(effective_weights, inhibitory_units, net):
    import torch
    from rnncourse.course.kernel.checks import close
    w_eff = effective_weights(net.w, net.m, net.som_m)
    assert isinstance(w_eff, torch.Tensor) and w_eff.shape == (net.N, net.N), 'effective_weights should return an (N, N) tensor'
    w = torch.rand(4, 4)
    close(effective_weights(w, torch.eye(4), torch.ones(4, 4)), w, 'for w >= 0, m = I and som_m = 1, effective_weights should return w itself', rtol=1e-05, atol=1e-08)
    inh = inhibitory_units(w_eff)
    assert isinstance(inh, torch.Tensor) and inh.dtype == torch.bool and (inh.shape == (net.N,)), 'inhibitory_units should return a boolean tensor of shape (N,)'

