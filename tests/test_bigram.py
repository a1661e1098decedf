"""Bigram models of lab 02: one-hot sequences, sequence probabilities, and the RNN that computes a bigram."""

import itertools
import math

import numpy as np
import pytest
import torch

from rnncourse.bigram import bigram_rnn, one_hot_sequence, sequence_probability
from rnncourse.rnn import rnn_unroll

VOCAB_SIZES = [2, 3, 4, 5, 6, 7]


def random_table(rng, size):
    """A random row-stochastic (size, size) float64 table with strictly positive entries."""
    table = rng.uniform(0.05, 1.0, size=(size, size))
    return torch.from_numpy(table / table.sum(axis=1, keepdims=True))


def one_hot_rows(indices, size):
    """The one-hot rows of `indices`, built with plain loops."""
    rows = [[0.0] * size for _ in indices]
    for row, i in zip(rows, indices):
        row[i] = 1.0
    return torch.tensor(rows, dtype=torch.float64)


def product_loop(indices, table):
    """prod_t T[w_{t-1}, w_t] as an explicit loop."""
    p = 1.0
    for prev, cur in itertools.pairwise(indices):
        p *= float(table[prev][cur])
    return p


def test_one_hot_sequence_values():
    """'abba' over 'ab' is [[1,0],[0,1],[0,1],[1,0]], as float."""
    seq = one_hot_sequence("abba", "ab")
    assert seq.dtype == torch.float32
    assert seq.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0]]


def test_one_hot_sequence_uses_vocabulary_order_and_list_vocab():
    """Column j is vocab[j], for a string vocabulary and a list of word tokens alike."""
    assert one_hot_sequence("cab", "abc").tolist() == [[0, 0, 1], [1, 0, 0], [0, 1, 0]]
    words = ["the", "cat", "sat"]
    assert one_hot_sequence(["sat", "the"], words).tolist() == [[0, 0, 1], [1, 0, 0]]


def test_one_hot_sequence_rows_each_pick_one_symbol():
    """Every row of a random text has a single 1, at that symbol's vocabulary index."""
    rng = np.random.default_rng(0)
    vocab = "xyzw"
    text = "".join(rng.choice(list(vocab), size=20))
    seq = one_hot_sequence(text, vocab)
    assert seq.tolist() == one_hot_rows([vocab.index(s) for s in text], len(vocab)).tolist()


def test_one_hot_sequence_unknown_symbol_raises_clear_value_error():
    """A symbol outside the vocabulary raises a ValueError naming that symbol and the vocabulary."""
    with pytest.raises(ValueError) as info:
        one_hot_sequence("abcd", "ab")
    message = str(info.value)
    assert "'c'" in message and "'d'" in message
    assert "vocabulary" in message and "['a', 'b']" in message


@pytest.mark.parametrize("size", VOCAB_SIZES)
def test_sequence_probability_equals_product_loop(size):
    """sequence_probability is prod_t T[w_{t-1}, w_t], for random tables and random sequences."""
    rng = np.random.default_rng(size)
    table = random_table(rng, size)
    for length in (2, 3, 8):
        indices = rng.integers(0, size, size=length).tolist()
        got = sequence_probability(one_hot_rows(indices, size), table)
        assert got.dim() == 0
        assert got.item() == pytest.approx(product_loop(indices, table.tolist()), rel=1e-12)


def test_sequence_probability_of_single_token_is_one():
    """A one-token sequence has probability 1: the first token is not scored."""
    table = random_table(np.random.default_rng(1), 3)
    assert sequence_probability(one_hot_rows([2], 3), table).item() == 1.0


def test_sequence_probability_hand_example():
    """A small hand-made table gives the product a student writes down: 0.2 * 0.5 * 0.9."""
    table = torch.tensor([[0.8, 0.2], [0.5, 0.5]], dtype=torch.float64)
    table3 = torch.tensor([[0.1, 0.9], [0.5, 0.5]], dtype=torch.float64)
    assert sequence_probability(one_hot_sequence("abb", "ab").double(), table).item() == pytest.approx(0.2 * 0.5)
    assert sequence_probability(one_hot_sequence("aab", "ab").double(), table3).item() == pytest.approx(0.1 * 0.9)


def test_sequence_probability_with_zero_entry_is_zero():
    """A transition the table forbids makes the whole sequence impossible."""
    table = torch.tensor([[0.0, 1.0], [0.3, 0.7]], dtype=torch.float64)
    assert sequence_probability(one_hot_sequence("ba", "ab").double(), table).item() == pytest.approx(0.3)
    assert sequence_probability(one_hot_sequence("baa", "ab").double(), table).item() == 0.0


def test_bigram_rnn_parameters():
    """bigram_rnn gives U = I, V = 0, W = T^T and an identity sigma, in T's dtype."""
    table = random_table(np.random.default_rng(2), 4)
    sigma, U, V, W = bigram_rnn(table)
    assert U.dtype == V.dtype == W.dtype == torch.float64
    assert U.tolist() == np.eye(4).tolist()
    assert V.tolist() == np.zeros((4, 4)).tolist()
    assert W.tolist() == table.numpy().T.tolist()
    z = torch.tensor([-1.5, 0.0, 2.0])
    assert sigma(z).tolist() == z.tolist()


def test_bigram_rnn_w_is_a_copy_of_the_table():
    """Editing the returned W does not change the user's table T."""
    table = random_table(np.random.default_rng(3), 3)
    before = table.clone()
    _, _, _, W = bigram_rnn(table)
    W[0, 0] = 123.0
    assert torch.equal(table, before)


@pytest.mark.parametrize("size", VOCAB_SIZES)
def test_bigram_rnn_outputs_the_table_row_of_each_word(size):
    """Running the bigram RNN on a one-hot sequence gives o_t == T[w_t], and the picked entries multiply
    to sequence_probability."""
    rng = np.random.default_rng(10 + size)
    table = random_table(rng, size)
    indices = rng.integers(0, size, size=9).tolist()
    seq = one_hot_rows(indices, size)

    sigma, U, V, W = bigram_rnn(table)
    hs, os = rnn_unroll(seq, torch.zeros(size, dtype=torch.float64), U, V, W, sigma)

    rows = table.tolist()
    for t, w in enumerate(indices):
        assert os[t].tolist() == pytest.approx(rows[w], abs=1e-15)  # o_t is the distribution after w_t
        assert hs[t + 1].tolist() == seq[t].tolist()  # the state is the current word
    picked = [os[t, indices[t + 1]].item() for t in range(len(indices) - 1)]
    assert math.prod(picked) == pytest.approx(sequence_probability(seq, table).item(), rel=1e-12)
    assert math.prod(picked) == pytest.approx(product_loop(indices, rows), rel=1e-12)


def test_bigram_rnn_outputs_sum_to_one():
    """Each output of the bigram RNN is a probability distribution over the next word."""
    rng = np.random.default_rng(5)
    table = random_table(rng, 5)
    sigma, U, V, W = bigram_rnn(table)
    seq = one_hot_rows(rng.integers(0, 5, size=6).tolist(), 5)
    _, os = rnn_unroll(seq, torch.zeros(5, dtype=torch.float64), U, V, W, sigma)
    np.testing.assert_allclose(os.sum(dim=1).numpy(), np.ones(6), rtol=1e-12)
