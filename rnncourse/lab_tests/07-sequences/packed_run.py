from otter.test_files import test_case

OK_FORMAT = False

name = "packed_run"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_packed_run_zeros_past_the_end(packed_run):
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(0)
        rnn = torch.nn.RNN(3, 5, batch_first=True)
    X = torch.ones(3, 4, 3)
    with torch.no_grad():
        outputs, states = packed_run(rnn, X, torch.tensor([4, 2, 3]))
    assert outputs.shape == (3, 4, 5) and states.shape == (3, 5), 'outputs should be (instances, steps, n_neurons) and states (instances, n_neurons)'
    assert outputs[1, 2:].abs().max() == 0 and outputs[2, 3:].abs().max() == 0, "the outputs past each sequence's length should be zero"

