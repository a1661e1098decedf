from otter.test_files import test_case

OK_FORMAT = False

name = "longer_pulse"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_long_inputs_shape(long_inputs):
    import numpy as np
    assert isinstance(long_inputs, np.ndarray) and long_inputs.shape == (100, 200), 'long_inputs should be a NumPy array of shape (100, 200): 100 trials of T = 200 steps'
    assert set(np.unique(long_inputs).tolist()) <= {0.0, 1.0}, 'Go-NoGo inputs are 0 or 1'

