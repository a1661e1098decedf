from otter.test_files import test_case

OK_FORMAT = False

name = "tiny_bigram_RNN"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_tiny_rnn_first_step(sigma, U, V, W, T):
    import torch
    from rnncourse.course.kernel.checks import close
    for name, M in [('U', U), ('V', V), ('W', W)]:
        assert isinstance(M, torch.Tensor), f'{name} should be a torch tensor, not {type(M).__name__}'
    assert callable(sigma), 'sigma should be a function, like lambda x: x'
    assert U.shape[1] == 2 and W.shape[0] == 2, 'U must take a 2-element one-hot word and W must output 2 numbers'
    h1 = sigma(U.float() @ torch.Tensor([1, 0]) + V.float() @ torch.zeros(V.shape[0]))
    o1 = W.float() @ h1
    close(o1, T[0], f'after reading a = [1, 0] from h0 = 0 the output should be T[0] = {T[0].tolist()}', rtol=1e-05, atol=1e-05)
    o2 = W.float() @ sigma(U.float() @ torch.Tensor([0, 1]) + V.float() @ h1)
    close(o2, T[1], f"after reading 'a' then 'b' the output should be T[1] = {T[1].tolist()}: the state must forget the earlier word", rtol=1e-05, atol=1e-05)

