from otter.test_files import test_case

OK_FORMAT = False

name = "minibatches"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_minibatches_first_block(minibatches, X_train, T_train):
    import numpy as np
    batches = minibatches(X_train, T_train, 100)
    assert batches is not None, 'minibatches should yield the minibatches (a generator, or return a list of pairs)'
    X_mb, T_mb = next(iter(batches))
    assert X_mb.shape == (100, 7, 2) and T_mb.shape == (100, 7, 1), 'each minibatch holds mb_size samples'
    assert np.array_equal(X_mb, X_train[:100]) and np.array_equal(T_mb, T_train[:100]), 'the first minibatch is the first mb_size samples'
    some = [X_mb.shape[0] for X_mb, _ in minibatches(X_train[:10], T_train[:10], 4)]
    assert some == [4, 4], f'10 samples in minibatches of 4 make 2 whole minibatches (the 2 left over are left out), not {some}'

