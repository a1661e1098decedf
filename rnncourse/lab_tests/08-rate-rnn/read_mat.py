from otter.test_files import test_case

OK_FORMAT = False

name = "read_mat"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_read_network_basics(final_w, taus_sig, net):
    import numpy as np
    assert isinstance(final_w, np.ndarray) and final_w.shape == (net.N, net.N), 'final_w should be an (N, N) NumPy array'
    assert isinstance(taus_sig, np.ndarray) and taus_sig.size == net.N, 'taus_sig should hold one time constant per unit'
    assert np.all((taus_sig >= 4) & (taus_sig <= 20)), 'the normalised time constants lie between taus[0] = 4 and taus[1] = 20 steps'

