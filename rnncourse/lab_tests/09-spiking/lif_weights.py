from otter.test_files import test_case

OK_FORMAT = False

name = "lif_weights"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_lif_weights_basics(lif_weights, data):
    import numpy as np
    W, w_out, td = lif_weights(data, 20.0)
    N = data['w'].shape[0]
    assert np.shape(W) == (N, N) and np.size(w_out) == N and (np.size(td) == N), 'lif_weights should return W (N, N), w_out with N entries and td with N entries'
    assert np.all((np.ravel(td) >= 0.02) & (np.ravel(td) <= 0.1)), 'with taus (4, 20) steps of 5 ms, every td lies between 0.02 and 0.1 s'

