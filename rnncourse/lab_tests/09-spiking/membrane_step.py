from otter.test_files import test_case

OK_FORMAT = False

name = "membrane_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_membrane_step_basics(membrane_step):
    import numpy as np
    from rnncourse.course.kernel.checks import close
    v, I = (np.array([-50.0, -60.0]), np.array([-40.0, -40.0]))
    new_v, spikes, tlast = membrane_step(v, I, np.zeros(2), 0.01, np.zeros(2))
    assert np.shape(new_v) == (2,) and np.shape(spikes) == (2,) and (np.shape(tlast) == (2,)), 'membrane_step should return three arrays of shape (N,)'
    close(new_v, v + (I - v) / 200, 'an active unit moves by dt * (-v + I) / tm (plus the noise)', rtol=1e-05, atol=1e-08)
    assert not np.any(spikes), 'no unit reaches -40 mV here, so none should spike'

