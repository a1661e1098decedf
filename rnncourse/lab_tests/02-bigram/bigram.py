from otter.test_files import test_case

OK_FORMAT = False

name = "bigram"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_sequence_probability_is_a_probability(sequence_probability, seq1, T):
    import torch
    from rnncourse.course.kernel.checks import close
    p = sequence_probability(seq1, T)
    assert isinstance(p, torch.Tensor), f'sequence_probability should return a torch tensor, not {type(p).__name__}'
    assert p.numel() == 1, f'sequence_probability should return one number, not a tensor of shape {tuple(p.shape)}'
    assert 0 < p.item() <= 1, f'a probability lies between 0 and 1; got {p.item()}'
    ab = torch.Tensor([[1, 0], [0, 1]])
    close(sequence_probability(ab, T), T[0, 1], "'ab' has one transition, a -> b, so its probability is the single entry T[0, 1] = Pr(b | a)", rtol=0, atol=1e-06)

@test_case(points=None, hidden=False)
def test_sequence_probability_one_word(sequence_probability, T):
    import torch
    from rnncourse.course.kernel.checks import close
    one = sequence_probability(torch.Tensor([[0, 1]]), T)
    assert isinstance(one, torch.Tensor) and one.numel() == 1, 'for one word, return a one-element tensor too'
    close(one, 1.0, "the sequence 'b' has no transition, so its probability is the empty product, 1", rtol=0, atol=1e-06)

