from otter.test_files import test_case

OK_FORMAT = False

name = "tensor_linear"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_tensor_linear_shapes(TensorLinear):
    import numpy as np
    layer = TensorLinear(2, 3, 3, rng=0)
    X, gY = (np.ones((4, 5, 2)), np.ones((4, 5, 3)))
    gX, gW, gB = layer.backward(X, gY)
    assert np.shape(gX) == (4, 5, 2), f'gX should have the shape of X, (4, 5, 2), not {np.shape(gX)}'
    assert np.shape(gW) == (2, 3), f'gW should have the shape of W, (2, 3), not {np.shape(gW)}'
    assert np.shape(gB) == (3,), f'gB should have the shape of b, (3,), not {np.shape(gB)}'
    zeros = layer.backward(X, np.zeros_like(gY))
    assert all((np.all(np.asarray(g) == 0) for g in zeros)), 'with no gradient arriving at Y (gY = 0), every gradient should be 0'

