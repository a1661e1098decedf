from otter.test_files import test_case

OK_FORMAT = False

name = "unfold_backward"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_unfold_backward_shapes(RecurrentStateUnfold):
    import numpy as np
    unfold = RecurrentStateUnfold(3, 4, rng=0)
    X = np.ones((5, 4, 3))
    S = unfold.forward(X)
    out = unfold.backward(X, S, np.ones((5, 4, 3)))
    assert len(out) == 4, 'backward should return (gZ, gWSum, gBSum, gS0)'
    for name, got, want in zip(['gZ', 'gWSum', 'gBSum', 'gS0'], out, [(5, 4, 3), (3, 3), (3,), (3,)]):
        assert np.shape(got) == want, f'{name} should have shape {want}, not {np.shape(got)}'
    assert all((np.all(np.asarray(g) == 0) for g in unfold.backward(X, S, np.zeros((5, 4, 3))))), 'with no gradient coming from the outputs (gY = 0), every gradient should be 0'

@test_case(points=None, hidden=False)
def test_unfold_backward_saturated_sample_sends_nothing_back(RecurrentStateUnfold):
    import numpy as np
    unfold = RecurrentStateUnfold(2, 3, rng=1)
    X = np.array([[[0.5, -1.0], [1.5, 0.2], [-0.7, 0.9]], [[30.0, -30.0], [-30.0, 30.0], [30.0, 30.0]]])
    S = unfold.forward(X)
    gY = np.array([[[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], [[1000.0, -2000.0], [500.0, 1000.0], [-1000.0, 400.0]]])
    gZ, gW, gB, gS0 = unfold.backward(X, S, gY)
    assert np.all(np.asarray(gZ)[1] == 0), 'sample 1 is saturated (its states are +-1): its gradient gZ should be 0'
    alone = unfold.backward(X[:1], S[:1], gY[:1])
    for name, got, want in zip(['gWSum', 'gBSum', 'gS0'], [gW, gB, gS0], alone[1:]):
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12), f'{name} should not change when a saturated sample is added to the batch: it sends no gradient back'

