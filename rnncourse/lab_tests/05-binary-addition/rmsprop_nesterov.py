from otter.test_files import test_case

OK_FORMAT = False

name = "rmsprop_nesterov"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_rmsprop_nesterov_moves_downhill(rmsprop_nesterov_step):
    import numpy as np

    class Bowl:
        """cost = sum(theta^2) / 2: the gradient is theta itself."""

        def __init__(self):
            self.theta = np.array([1.0, -2.0])

        def get_params_iter(self):
            return np.nditer(self.theta, op_flags=['readwrite'])

        def getParamGrads(self, X, T):
            return list(self.theta.copy())
    bowl, maSquare, Vs = (Bowl(), [0.0, 0.0], [0.0, 0.0])
    rmsprop_nesterov_step(bowl, None, None, maSquare, Vs, learning_rate=0.1, momentum_term=0.5, lmbd=0.5, eps=1e-08)
    assert abs(bowl.theta[0]) < 1.0 and abs(bowl.theta[1]) < 2.0, 'one step should move the parameters towards the minimum at 0'
    assert float(Vs[0]) < 0 < float(Vs[1]), 'the velocity should point downhill'
    assert float(maSquare[0]) > 0 and float(maSquare[1]) > 0, 'maSquare should hold the moving averages of the squared gradients'

