"""rnncourse.checks, which the labs' hidden tests use: each check catches what it says, and only that."""

import numpy as np
import pytest
import torch
from torch.autograd import grad as imported_grad

from rnncourse.course.kernel.checks import ShortcutError, by_hand, python_steps, refusing, replay, unchanged


def test_by_hand_stops_every_route_into_autograd_and_puts_it_back():
    x = torch.tensor(2.0, requires_grad=True)
    routes = {
        "backward": lambda: (x ** 2).backward(),
        "torch.autograd.grad": lambda: torch.autograd.grad(x ** 2, x),
        "an alias imported earlier": lambda: imported_grad(x ** 2, x),
        "torch.func.grad": lambda: torch.func.grad(lambda t: t ** 3)(torch.tensor(2.0)),
        "torch.autograd.functional.jacobian": lambda: torch.autograd.functional.jacobian(lambda t: t ** 2, x),
    }
    for name, route in routes.items():
        with by_hand():
            try:
                route()
            except ShortcutError as error:
                assert "by hand" in str(error)
            else:
                pytest.fail(f"{name} got past by_hand()")
    (got,) = torch.autograd.grad(x ** 3, x)           # outside, autograd works again
    assert got.item() == 12.0


def test_by_hand_stops_recurrent_modules_but_not_plain_arithmetic():
    rnn, cell, lstm = torch.nn.RNN(2, 3), torch.nn.RNNCell(2, 3), torch.nn.LSTM(2, 3)
    x = torch.randn(4, 1, 2)
    with by_hand():
        for module, inputs in [(rnn, x), (cell, x[0]), (lstm, x)]:
            with pytest.raises(ShortcutError, match="nn\\."):
                module(inputs)
        h = torch.tanh(x[0] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0)     # the step by hand is fine
        assert h.shape == (1, 3)
    assert rnn(x)[0].shape == (4, 1, 3)


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
        with by_hand(), pytest.raises(ShortcutError, match="kernel"):
            route()
            pytest.fail(f"{name} got past by_hand()")
        route()                                                           # outside, each runs
    with by_hand():
        gates = x @ gru[2].T + gru[4] + h @ gru[3].T + gru[5]             # the gates by hand are fine
        assert torch.sigmoid(gates).shape == (2, 12)


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

    for fn, grows in [(with_loop, True), (with_comprehension, True), (vectorised, False)]:
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
