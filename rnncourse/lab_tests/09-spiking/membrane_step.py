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

@test_case(points=None, hidden=False)
def test_membrane_step_spikes_then_waits(membrane_step):
    import numpy as np
    from rnncourse.course.kernel.checks import close

    def step(v, I, tlast, t, noise):
        new_v, spikes, new_tlast = membrane_step(np.array(v), np.array(I), np.array(tlast), t, np.array(noise))
        return (np.asarray(new_v, float), np.asarray(spikes).astype(bool), np.asarray(new_tlast, float))
    v, spikes, tlast = step([-40.5, -65.0], [-20.0, -20.0], [0.0, 0.009], 0.01, [0.5, 0.05])
    assert spikes.tolist() == [True, False], f'unit 0 should spike (-40.3975 + 0.5 >= -40) and unit 1 should not; got spikes {spikes.tolist()}'
    close(v, [-65.0, -64.95], 'after the step: unit 0 reset to v_reset = -65 mV, unit 1 moved by its noise only', rtol=1e-09, atol=1e-09)
    close(tlast, [0.01, 0.009], 'tlast: the spiking unit takes t = 10 ms, the other keeps 9 ms', rtol=1e-12, atol=1e-15)
    v, spikes, tlast = step(v, [-20.0, -20.0], tlast, 0.0105, [0.02, 0.0])
    close(v, [-64.98, -64.95], 'at t = 10.5 ms both units are refractory (unit 0 until 12 ms, unit 1 until 11 ms): neither integrates, each only gets its noise', rtol=1e-09, atol=1e-09)
    v, spikes, tlast = step([-65.0], [-20.0], [0.01], 0.0125, [0.0])
    close(v, [-64.775], 'at t = 12.5 ms, 2.5 ms after its spike, unit 0 is active again and integrates', rtol=1e-09, atol=1e-09)

