from otter.test_files import test_case

OK_FORMAT = False

name = "digit_rnn"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_digit_rnn_shapes(DigitRNN):
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = DigitRNN(8, 16, 10)
        X = torch.rand(5, 8, 8)
    assert isinstance(model.rnn, torch.nn.RNN) and isinstance(model.fc, torch.nn.Linear), 'build self.rnn and self.fc'
    scores = model(X)
    assert scores.shape == (5, 10), f'forward should return (images, n_outputs) = (5, 10), not {tuple(scores.shape)}'

