from otter.test_files import test_case

OK_FORMAT = False

name = "nn_rnn"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_to_torch_rnn_modules(to_torch_rnn):
    import torch
    from rnncourse.course.kernel.checks import close
    rnn, readout = to_torch_rnn(torch.ones(5, 4), torch.ones(1, 4), torch.ones(4, 2), torch.ones(1, 2))
    assert isinstance(rnn, torch.nn.RNN) and isinstance(readout, torch.nn.Linear), 'return an nn.RNN and an nn.Linear'
    assert rnn.weight_ih_l0.shape == (4, 1) and rnn.weight_hh_l0.shape == (4, 4), "keep the RNN's parameter shapes"
    assert readout.weight.shape == (2, 4), "keep the Linear layer's parameter shapes"
    rnn, readout = to_torch_rnn(torch.zeros(5, 4), torch.zeros(1, 4), torch.zeros(4, 2), torch.zeros(1, 2))
    with torch.no_grad():
        states, _ = rnn(torch.ones(2, 3, 1))
        scores = readout(states)
    for what, got, want in [('states', states, torch.zeros(2, 3, 4)), ('scores', scores, torch.zeros(2, 3, 2))]:
        close(got, want, f'with every weight and bias zero, the {what} should be zero (copy all of them, both RNN biases included)', rtol=1e-05, atol=1e-08)

