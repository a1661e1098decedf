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
    assert all((np.all(g == 0) for g in unfold.backward(X, S, np.zeros((5, 4, 3))))), 'with no gradient coming from the outputs (gY = 0), every gradient should be 0'

