from otter.test_files import test_case

OK_FORMAT = False

name = "grad_length_N"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dL_dU_basics(dL_dU):
    for N in (1, 2, 5):
        value = dL_dU(0.1, 0.2, 0.3, [0.5 + 0.1 * t for t in range(N + 1)], 0.0)
        assert isinstance(float(value), float), f'dL_dU should return a number (length N={N})'
    perfect = float(dL_dU(1.0, 0.0, 1.0, [0.5] * 7, 0.0))
    assert abs(perfect) < 1e-12, f'when every output equals the next input, dL/dU should be 0, not {perfect}'

