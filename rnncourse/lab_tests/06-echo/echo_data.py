from otter.test_files import test_case

OK_FORMAT = False

name = "echo_data"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_generateData_shapes(generateData):
    import numpy as np
    x, y = generateData(np.random.default_rng(0))
    x, y = (np.asarray(x), np.asarray(y))
    assert x.shape == (5, 10000) and y.shape == (5, 10000), f'x and y should both have shape (batch_size, total_series_length // batch_size) = (5, 10000), not {x.shape} and {y.shape}'
    assert set(np.unique(x)) <= {0, 1} and set(np.unique(y)) <= {0, 1}, 'x and y should hold only 0s and 1s'
    assert (y[0, :3] == 0).all(), 'the first echo_step targets have nothing to echo: they should be 0'

