from otter.test_files import test_case

OK_FORMAT = False

name = "general_bigram_rnn"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_bigram_rnn_three_words(bigram_rnn):
    import torch
    from rnncourse.course.kernel.checks import close
    table = torch.Tensor([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8], [0.3, 0.3, 0.4]])
    result = bigram_rnn(table)
    assert isinstance(result, tuple) and len(result) == 4, 'bigram_rnn should return the tuple (sigma, U, V, W)'
    sigma, U, V, W = result
    assert callable(sigma), 'the first item should be the function sigma'
    for name, M in [('U', U), ('V', V), ('W', W)]:
        assert isinstance(M, torch.Tensor) and M.dim() == 2, f'{name} should be a matrix (a 2-d torch tensor)'
    assert U.shape[1] == 3 and W.shape[0] == 3, 'for a 3-word table, U must read 3-element one-hot words and W must output 3 numbers'
    for i in range(3):
        h1 = sigma(U.double() @ torch.eye(3, dtype=torch.float64)[i] + V.double() @ torch.zeros(V.shape[0], dtype=torch.float64))
        o1 = W.double() @ h1
        close(o1, table[i], f'after reading word {i} from a zero state the output should be row {i} of T, {table[i].tolist()}', rtol=1e-05, atol=1e-05)
    words = torch.eye(3, dtype=torch.float64)
    h1 = sigma(U.double() @ words[0] + V.double() @ torch.zeros(V.shape[0], dtype=torch.float64))
    o2 = W.double() @ sigma(U.double() @ words[2] + V.double() @ h1)
    close(o2, table[2], f'after reading word 0 then word 2 the output should be row 2 of T, {table[2].tolist()}: the state must forget the earlier word', rtol=1e-05, atol=1e-05)

