from otter.test_files import test_case

OK_FORMAT = False

name = "lif_weights"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_lif_weights_basics(lif_weights, data):
    import numpy as np
    from rnncourse.course.kernel.checks import numbers
    W, w_out, td = (numbers(a, 'each of W, w_out, td (a NumPy array or a torch tensor)') for a in lif_weights(data, 20.0))
    N = data['w'].shape[0]
    assert tuple(W.shape) == (N, N) and w_out.numel() == N and (td.numel() == N), 'lif_weights should return W (N, N), w_out with N entries and td with N entries (NumPy arrays or torch tensors)'
    assert np.all((td.numpy().ravel() >= 0.02) & (td.numpy().ravel() <= 0.1)), 'with taus (4, 20) steps of 5 ms, every td lies between 0.02 and 0.1 s'

@test_case(points=None, hidden=False)
def test_lif_weights_with_and_without_dale(lif_weights):
    import numpy as np
    from rnncourse.course.kernel.checks import close
    w = np.array([[-0.5, 2.0], [1.0, 0.25]], dtype=np.float32)
    dale = {'w': w, 'm': np.diag([1.0, -1.0]).astype(np.float32), 'som_m': np.ones((2, 2), np.float32), 'w_in': np.ones((2, 1), np.float32), 'w_out': np.array([[0.2, -0.4]], np.float32), 'taus': np.array([[4.0, 20.0]]), 'taus_gaus': np.zeros((2, 1), np.float32), 'inh': np.array([[0], [1]], np.uint8), 'apply_dale': np.array([[1]], np.uint8)}
    W = np.asarray(lif_weights(dale, 2.0)[0], dtype=float)
    close(W, [[0.0, -1.0], [0.5, -0.125]], "Dale's principle on: relu(w) (the -0.5 becomes 0), then unit 1's column negative (it is inhibitory), then / s = 2", rtol=1e-06, atol=1e-09)
    no_dale = {**dale, 'm': np.eye(2, dtype=np.float32), 'inh': np.zeros((2, 1), np.uint8), 'apply_dale': np.array([[0]], np.uint8)}
    W = np.asarray(lif_weights(no_dale, 2.0)[0], dtype=float)
    close(W, [[-0.25, 1.0], [0.5, 0.125]], "Dale's principle off: w keeps its signs (no relu; m is the identity), then / s = 2", rtol=1e-06, atol=1e-09)

