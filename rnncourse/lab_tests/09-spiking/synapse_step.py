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

