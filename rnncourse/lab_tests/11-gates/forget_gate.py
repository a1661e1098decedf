from otter.test_files import test_case

OK_FORMAT = False

name = "forget_gate"
points = 1
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_open_forget_gate_sets_the_sum(open_forget_gate):
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(2, 3)
    open_forget_gate(lstm, 1.0)
    total = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach()
    assert total.shape == (12,), 'keep the shapes of the biases'
    assert torch.allclose(total[3:6], torch.ones(3)), f"the forget gate's bias b_if + b_hf (rows 3 to 5 of both biases, for H = 3) should be 1, not {total[3:6].tolist()}"

