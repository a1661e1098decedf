"""rnncourse.checks, which the labs' hidden tests use: each check catches what it says, and only that."""

import importlib

import numpy as np
import pytest
import torch
from torch.autograd import grad as imported_grad

from rnncourse.course.kernel.checks import (
    ShortcutError,
    by_hand,
    python_steps,
    refusing,
    refusing_package,
    replay,
    unchanged,
)


def square_derivative(route):
    """d(x^2)/dx at x = 2 by `route`: an answer that hands the work to something else."""
    x = torch.tensor(2.0, dtype=torch.float64)
    return route(x)


def reverse_mode_routes():
    from torch.autograd import Variable

    def backward(x):
        x = x.clone().requires_grad_()
        with torch.enable_grad():
            (x ** 2).backward()
        return x.grad

    def restored_engine(x):        # put the real engine back from where by_hand might keep it
        kept = type(Variable._execution_engine).__dict__.get("_engine", Variable._execution_engine)
        Variable._execution_engine = kept
        return backward(x)

    def fresh_engine(x):
        from rnncourse.course.kernel import rules
        x = x.clone().requires_grad_()
        with torch.enable_grad():
            y = x ** 2
        return rules._ENGINE().run_backward((y,), (torch.ones(()),), False, False, (x,), False, False)[0]

    def without_torch_function(x):
        with torch._C.DisableTorchFunction():
            return backward(x)

    return {
        "backward()": backward,
        "torch.autograd.grad": lambda x: torch.autograd.grad(x.clone().requires_grad_() ** 2,
                                                              x.requires_grad_())[0],
        "an alias imported earlier": lambda x: imported_grad(x.requires_grad_() ** 2, x)[0],
        "torch.func.grad": lambda x: torch.func.grad(lambda t: t ** 2)(x),
        "torch.func.jacrev": lambda x: torch.func.jacrev(lambda t: t ** 2)(x),
        "torch.func.vjp": lambda x: torch.func.vjp(lambda t: t ** 2, x)[1](torch.ones(()))[0],
        "torch.autograd.functional.jacobian": lambda x: torch.autograd.functional.jacobian(lambda t: t ** 2, x),
        "the real engine put back": restored_engine,
        "a new engine": fresh_engine,
        "torch functions switched off": without_torch_function,
    }


def forward_mode_routes():
    import torch.autograd.forward_ad as fwad

    def dual(x):
        with fwad.dual_level():
            return fwad.unpack_dual(fwad.make_dual(x, torch.ones(())) ** 2).tangent

    return {
        "forward_ad dual numbers": dual,
        "torch.func.jvp": lambda x: torch.func.jvp(lambda t: t ** 2, (x,), (torch.ones(()),))[1],
        "torch.func.jacfwd": lambda x: torch.func.jacfwd(lambda t: t ** 2)(x),
        "torch.autograd.functional.jacobian, forward mode": lambda x: torch.autograd.functional.jacobian(
            lambda t: t ** 2, x, vectorize=True, strategy="forward-mode"),
    }


def other_routes():
    import sympy
    from scipy.optimize import approx_fprime

    def complex_step_python(x):
        return ((complex(x.item(), 1e-30)) ** 2).imag / 1e-30

    def complex_step_torch(x):
        return ((x + 1e-30j) ** 2).imag / 1e-30

    def complex_step_numpy(x):
        z = np.array(x.item()) + np.array(1e-30) * np.sqrt(np.array(-1.0, dtype=np.complex128))
        return (z ** 2).imag / 1e-30

    def symbolic(x):
        t = sympy.Symbol("t")
        return float(sympy.diff(t ** 2, t).subs(t, x.item()))

    return {
        "complex step, Python numbers": complex_step_python,
        "complex step, torch": complex_step_torch,
        "complex step, NumPy": complex_step_numpy,
        "sympy": symbolic,
        "scipy's numerical derivative": lambda x: approx_fprime([x.item()], lambda v: v[0] ** 2, 1e-8)[0],
        "a thread": lambda x: __import__("threading").Thread(target=print).start(),
        "the profiler removed": lambda x: (__import__("sys").setprofile(None), 2 * x)[1],
        "the torch mode popped": lambda x: (torch._C._pop_torch_function_stack(), 2 * x)[1],
    }


ROUTES = {**reverse_mode_routes(), **forward_mode_routes(), **other_routes()}


@pytest.mark.parametrize("route", list(ROUTES))
def test_by_hand_refuses_every_route_that_differentiates_for_the_answer(route):
    """Every kind of automatic, symbolic or numerical differentiation, the complex-step trick and any
    removal of the checks fail the answer, even when it catches the error itself."""
    def answer(x):
        try:
            return ROUTES[route](x)
        except Exception:                   # a determined answer swallows the error ...
            return 2 * x
    with pytest.raises(ShortcutError), by_hand():       # ... and still fails
        square_derivative(answer)
    x = torch.tensor(2.0, requires_grad=True)
    (got,) = torch.autograd.grad(x ** 3, x)           # afterwards autograd works again
    assert got.item() == 12.0 and torch.is_grad_enabled()
    assert torch._C._len_torch_function_stack() == 0 and __import__("sys").getprofile() is None


def test_by_hand_lets_the_formula_through():
    def derivative(x):          # worked out by hand: d(x^2)/dx = 2x, in torch and in NumPy
        return 2 * x, 2 * np.asarray(x.item())
    with by_hand():
        got, also = square_derivative(derivative)
    assert got.item() == 4.0 and also == 4.0


RECURRENT = {
    "nn.RNN": lambda rnn, x: rnn(x),
    "nn.RNNCell": lambda rnn, x: torch.nn.RNNCell(2, 3)(x[0]),
    "nn.LSTM": lambda rnn, x: torch.nn.LSTM(2, 3)(x),
    "nn.GRUCell": lambda rnn, x: torch.nn.GRUCell(2, 3)(x[0]),
    "torch._VF.rnn_tanh_cell": lambda rnn, x: torch._VF.rnn_tanh_cell(x[0], torch.zeros(1, 3), rnn.weight_ih_l0,
                                                                     rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0),
    "torch._VF.rnn_tanh": lambda rnn, x: torch._VF.rnn_tanh(x, torch.zeros(1, 1, 3), rnn._flat_weights, True, 1,
                                                           0.0, False, False, False),
    "nn.RNN's forward kept from before": lambda rnn, x: SAVED_FORWARD(rnn, x),
}
SAVED_FORWARD = torch.nn.RNN.forward


@pytest.mark.parametrize("route", list(RECURRENT))
def test_by_hand_refuses_torchs_recurrent_modules_and_kernels_however_reached(route):
    rnn, x = torch.nn.RNN(2, 3), torch.randn(4, 1, 2)
    with pytest.raises(ShortcutError), by_hand():
        RECURRENT[route](rnn, x)
    assert rnn(x)[0].shape == (4, 1, 3)


def test_by_hand_lets_the_step_by_hand_through():
    rnn, x = torch.nn.RNN(2, 3), torch.randn(4, 1, 2)
    with by_hand():
        h = torch.tanh(x[0] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0)
    want = torch.tanh(x[0] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0)
    assert torch.equal(h, want.detach())


def test_unchanged_names_the_argument_changed_in_place():
    def scale(x, factor, out=None):
        return x * factor

    def scale_in_place(x, factor):
        x *= factor
        return x

    a, b = torch.ones(3), np.ones(3)
    assert torch.equal(unchanged(scale, a, 2.0), torch.full((3,), 2.0))
    with pytest.raises(AssertionError, match="changed its argument x in place"):
        unchanged(scale_in_place, a, 2.0)
    with pytest.raises(AssertionError, match="argument x"):
        unchanged(scale_in_place, b, 3.0)

    def pop_last(items):
        items[-1].zero_()
    with pytest.raises(AssertionError, match="argument items"):
        unchanged(pop_last, [torch.ones(2), torch.ones(2)])

    def extend(xs):
        xs.append(0.0)
        return len(xs)
    with pytest.raises(AssertionError, match="argument xs"):
        unchanged(extend, [0.5, 0.25])
    assert unchanged(lambda xs, table: sum(xs) + len(table), [0.5, float("nan")], {"a": np.ones(2)}) != 0


def test_python_steps_grow_with_a_loop_and_not_without_one():
    def with_loop(x):
        total = torch.zeros(())
        for value in x:
            total = total + value
        return total

    def with_comprehension(x):
        return sum([v * 2 for v in x])

    def vectorised(x):
        return x.sum()

    def loop_in_map(x):        # no line of notebook code runs per item: the torch operations show it
        return torch.stack(list(map(x.__getitem__, range(len(x))))).sum()

    for fn, grows in [(with_loop, True), (with_comprehension, True), (loop_in_map, True), (vectorised, False)]:
        short, long = python_steps(fn, torch.ones(5))[1], python_steps(fn, torch.ones(50))[1]
        assert (long > short) == grows, (fn.__name__, short, long)
    result, _ = python_steps(vectorised, torch.ones(4))
    assert result.item() == 4.0


def test_replay_runs_the_answer_cell_again_on_other_inputs():
    env = {"torch": torch, "U": torch.ones(2, 2), "x": torch.ones(2),
           "In": ["", "import torch", "h = torch.relu(U @ x)\no = 2 * h", "print(o)", "o = 3"]}
    exec(env["In"][2], env)
    rerun = replay(env, ["h", "o"], U=-torch.eye(2), x=torch.tensor([1.0, -2.0]))
    assert torch.equal(rerun["h"], torch.tensor([0.0, 2.0])) and torch.equal(rerun["o"], torch.tensor([0.0, 4.0]))
    assert torch.equal(env["h"], torch.tensor([2.0, 2.0])), "the notebook's own values are left alone"
    with pytest.raises(AssertionError, match="no cell computes h, y"):
        replay(env, ["h", "y"])


def test_refusing_stops_the_package_function_under_any_name_and_puts_it_back():
    from rnncourse import bigram
    from rnncourse.bigram import sequence_probability as imported_early

    seq, table = torch.eye(2), torch.tensor([[0.8, 0.2], [0.4, 0.6]])

    def student_answer(seq, T):
        return imported_early(seq, T)

    with refusing(bigram.sequence_probability):
        with pytest.raises(AssertionError, match="worked version"):
            student_answer(seq, table)
        assert float(seq[0] @ table @ seq[1]) == pytest.approx(0.2), "other code still runs"
    assert student_answer(seq, table).item() == pytest.approx(0.2)


def test_python_steps_cannot_be_blinded():
    import sys

    def untraced_loop(x):
        sys.settrace(None)
        return sum(v for v in x)

    def threaded_loop(x):
        import threading
        box = []
        thread = threading.Thread(target=lambda: box.append(sum(v for v in x)))
        thread.start()
        thread.join()
        return box[0]

    for answer in (untraced_loop, threaded_loop):
        with pytest.raises(ShortcutError):
            python_steps(answer, torch.ones(50))
    assert sys.gettrace() is None


def copies_of(function):
    """A package function as an answer might copy it, whatever it is then called."""
    import importlib.util
    import inspect
    import textwrap
    import types

    rebuilt = types.FunctionType(function.__code__, function.__globals__, "my_own")
    namespace = dict(function.__globals__)
    exec(textwrap.dedent(inspect.getsource(function)).replace(f"def {function.__name__}(", "def mine("), namespace)
    spec = importlib.util.spec_from_file_location("a_second_copy", inspect.getsourcefile(function))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {"types.FunctionType on its code": rebuilt, "exec of its source, renamed": namespace["mine"],
            "a second import of its module": getattr(module, function.__name__)}


def test_refusing_refuses_copies_of_the_function_and_calls_on_stand_in_objects():
    from rnncourse import bigram
    fixed_points = importlib.import_module("rnncourse.rate.analysis.fixed_points")

    seq, table = torch.eye(2), torch.tensor([[0.8, 0.2], [0.4, 0.6]])
    for route, copy in copies_of(bigram.sequence_probability).items():
        with pytest.raises(ShortcutError, match="sequence_probability"), refusing(bigram.sequence_probability):
            try:
                copy(seq, table)
            except Exception:
                pass
        assert copy(seq, table).item() == pytest.approx(0.2), route

    class StandIn:              # not a RateRNN: only what the package's function reads from one
        def __init__(self, model):
            self.__dict__.update(vars(model))
    from rnncourse.rate import RateRNN
    model = RateRNN(4, 1, seed=0)
    jacobian = copies_of(fixed_points.jacobian)["types.FunctionType on its code"]
    with pytest.raises(ShortcutError, match="jacobian"), refusing(fixed_points.jacobian):
        jacobian(StandIn(model), torch.zeros(4))


def test_refusing_package_refuses_every_worked_version_but_what_the_question_allows():
    """Every route into the package's teaching code from the answer fails: a call by any name, a
    torch module's __call__, a copy of the code, a stand-in object; the allowed function (and what
    it calls in turn) runs."""
    from rnncourse import bigram, rnn
    from rnncourse.rate import RateRNN

    seq, table = torch.eye(2), torch.tensor([[0.8, 0.2], [0.4, 0.6]])
    model = RateRNN(4, 1, seed=0)
    u = torch.zeros(1, 1, 5)
    fixed_points = importlib.import_module("rnncourse.rate.analysis.fixed_points")

    class StandIn:              # not a RateRNN: it hands over what the package's function asks of one
        def __getattr__(self, name):
            return getattr(model, name)

    routes = {
        "a function": lambda: bigram.sequence_probability(seq, table),
        "a torch module's call": lambda: model(u),
        "a stand-in object": lambda: fixed_points.jacobian(StandIn(), torch.zeros(1, 4)),
        **{route: (lambda f=copy: f(seq, table)) for route, copy in copies_of(bigram.sequence_probability).items()},
    }
    for route, call in routes.items():
        with pytest.raises(ShortcutError, match="course package's"), refusing_package(rnn.relu):
            try:
                call()
            except Exception:
                pass
        assert call() is not None, route           # outside, each runs
    with refusing_package(rnn.relu):
        assert torch.equal(rnn.relu(torch.tensor([-1.0, 2.0])), torch.tensor([0.0, 2.0]))
        assert float(seq[0] @ table @ seq[1]) == pytest.approx(0.2)


def test_by_hand_stops_the_recurrent_kernels_under_every_name():
    """nn.GRUCell and nn.LSTMCell run torch's kernels (torch._VF.gru_cell, ...): an answer that calls
    one directly, by any of torch's names, is stopped too; the gates written out are not."""
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    gru = (x, h, torch.randn(12, 3), torch.randn(12, 4), torch.randn(12), torch.randn(12))
    lstm = (x, (h, h), torch.randn(16, 3), torch.randn(16, 4), torch.randn(16), torch.randn(16))
    rnn = (x, h, torch.randn(4, 3), torch.randn(4, 4), torch.randn(4), torch.randn(4))
    routes = {
        "torch._VF.gru_cell": lambda: torch._VF.gru_cell(*gru),
        "torch.gru_cell": lambda: torch.gru_cell(*gru),
        "torch.ops.aten.gru_cell": lambda: torch.ops.aten.gru_cell(*gru),
        "torch.ops.aten.gru_cell.default": lambda: torch.ops.aten.gru_cell.default(*gru),
        "torch._VF.lstm_cell": lambda: torch._VF.lstm_cell(*lstm),
        "torch._C._VariableFunctions.lstm_cell": lambda: torch._C._VariableFunctions.lstm_cell(*lstm),
        "torch.rnn_tanh_cell": lambda: torch.rnn_tanh_cell(*rnn),
        "torch._VF.lstm (a whole sequence)": lambda: torch._VF.lstm(
            x[:, None], (h[None], h[None]), [lstm[2], lstm[3], lstm[4], lstm[5]], True, 1, 0.0, False, False, True),
    }
    for name, route in routes.items():
        with pytest.raises(ShortcutError, match="kernel"), by_hand():
            route()
            pytest.fail(f"{name} got past by_hand()")
        route()                                                           # outside, each runs
    with by_hand():
        gates = x @ gru[2].T + gru[4] + h @ gru[3].T + gru[5]             # the gates by hand are fine
        assert torch.sigmoid(gates).shape == (2, 12)


def test_refusing_follows_a_library_wrapper_and_names_the_function():
    """torch.nn.utils.clip_grad_norm_ is a functools.wraps wrapper: refusing it stops the function it
    wraps, under any name, with a message that names it; afterwards it clips again."""
    from torch.nn.utils import clip_grad_norm_ as imported_early

    p = torch.nn.Parameter(torch.ones(4))
    p.grad = torch.full((4,), 2.0)
    with refusing(torch.nn.utils.clip_grad_norm_):
        for route in (torch.nn.utils.clip_grad_norm_, imported_early, torch.nn.utils.clip_grad.clip_grad_norm_):
            with pytest.raises(AssertionError, match="clip_grad_norm_, which does what the question asks"):
                route([p], 1.0)
        assert torch.equal(p.grad, torch.full((4,), 2.0))
    assert imported_early([p], 1.0).item() == pytest.approx(4.0)
    assert p.grad.norm().item() == pytest.approx(1.0, rel=1e-5)
