from otter.test_files import test_case

OK_FORMAT = False

name = "grad_length_1"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_dL_dU_1_basics(dL_dU_1):
    value = dL_dU_1(0.1, 0.2, 0.3, [0.5, 0.6], 0.0)
    assert isinstance(float(value), float), 'dL_dU_1 should return a number'
    perfect = float(dL_dU_1(1.0, 0.0, 1.0, [0.5, 0.5], 0.0))
    assert abs(perfect) < 1e-12, f'when o1 equals x2 the loss is at its minimum, so dL/dU should be 0, not {perfect}'

