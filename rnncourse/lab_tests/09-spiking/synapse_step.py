from otter.test_files import test_case

OK_FORMAT = False

name = "synapse_step"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_synapse_step_basics(synapse_step):
    import numpy as np
    from rnncourse.course.kernel.checks import close
    N = 3
    x, h = (np.array([1.0, 2.0, 0.0]), np.zeros(N))
    got = synapse_step(x, h, np.zeros(N), np.zeros(N), np.zeros(N, bool), np.ones((N, N)), np.full(N, 0.05))
    assert len(got) == 4 and all((np.shape(a) == (N,) for a in got)), 'synapse_step should return x, h, r, hr, each (N,)'
    close(got[0], x * np.exp(-5e-05 / 0.05), 'without spikes and with h = 0, x decays by exp(-dt / td)', rtol=1e-05, atol=1e-08)

@test_case(points=None, hidden=False)
def test_synapse_step_routes_one_spike(synapse_step):
    import numpy as np
    from rnncourse.course.kernel.checks import close
    dt, tr, td = (5e-05, 0.002, np.array([0.05, 0.025, 0.1]))
    W = np.array([[0.0, 9.0, 0.0], [2.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
    x, h = (np.array([0.5, 0.0, 0.0]), np.array([0.0, 4.0, 0.0]))
    got = synapse_step(x, h, np.zeros(3), np.zeros(3), np.array([True, False, False]), W, td, dt, tr)
    x_new, h_new, r_new, hr_new = (np.asarray(a, float) for a in got)
    close(h_new, [0.0, np.exp(-dt / tr) * 4.0 + 2.0 / (tr * 0.025), -1.0 / (tr * 0.1)], 'h_i decays by exp(-dt / tr) and grows by W[i, 0] / (tr * td_i) for the spike of unit 0 (column 0 of W)', rtol=1e-09, atol=1e-09)
    close(x_new, [np.exp(-dt / 0.05) * 0.5, dt * 4.0, 0.0], 'x_i decays by exp(-dt / td_i) and takes dt * h_i with h from BEFORE the step (the spike shows in x next step)', rtol=1e-09, atol=1e-12)
    close(hr_new, [1 / (tr * 0.05), 0.0, 0.0], 'hr grows for the spiking unit itself, by 1 / (tr * td), without weights', rtol=1e-09, atol=1e-09)
    close(r_new, np.zeros(3), 'r takes hr from before the step, which was 0', rtol=1e-09, atol=1e-12)

