from otter.test_files import test_case

OK_FORMAT = False

name = "in_out"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_in_out_shapes(seq_to_seq, seq_to_vector, vector_to_seq):
    import torch
    with torch.random.fork_rng():
        torch.manual_seed(0)
        rnn, head = (torch.nn.RNN(3, 5, batch_first=True), torch.nn.Linear(5, 2))
        X = torch.randn(4, 6, 3)
    with torch.no_grad():
        assert seq_to_seq(rnn, head, X).shape == (4, 6, 2), 'seq_to_seq should return (instances, steps, n_outputs)'
        assert seq_to_vector(rnn, head, X).shape == (4, 2), 'seq_to_vector should return (instances, n_outputs)'
        assert vector_to_seq(rnn, head, X[:, 0], 7).shape == (4, 7, 2), 'vector_to_seq should return (instances, n_steps, n_outputs)'

