"""Bigram language models, and the RNN that computes one exactly (lab 02).

A bigram table T over a vocabulary v_1..v_V is a (V, V) tensor with T[i, j] = Pr(v_j | v_i);
each row sums to 1. Sequences are (N, V) stacks of one-hot rows.
"""

import torch


def one_hot_sequence(text, vocab):
    """'abba' with vocab 'ab' -> the (4, 2) one-hot tensor [[1,0],[0,1],[0,1],[1,0]]."""
    unknown = sorted(set(text) - set(vocab))
    if unknown:
        raise ValueError(f"one_hot_sequence: symbols {unknown} are not in the vocabulary {list(vocab)}")
    index = torch.tensor([vocab.index(s) for s in text])
    return torch.nn.functional.one_hot(index, num_classes=len(vocab)).float()


def sequence_probability(seq, T):
    """Probability of seq (N, V) under T (V, V), ignoring the first token: prod_t T[w_{t-1}, w_t].

    Returns a 0-d tensor.
    """
    # Row t of seq[:-1] @ T is the distribution of the word after w_t; dotting with the one-hot w_{t+1}
    # picks the probability of the word that actually came.
    step_probabilities = (seq[:-1] @ T * seq[1:]).sum(dim=1)
    return torch.prod(step_probabilities)


def bigram_rnn(T):
    """Parameters of an RNN whose output o_t is the row T[w_t] when x_t is the one-hot of w_t.

    With sigma the identity, U = I and V = 0 the state h_t is x_t itself, and W = T^T turns the
    one-hot of v_i into column T_i. Returns (sigma, U, V, W), each matrix (V, V).
    """
    size = T.shape[0]
    U = torch.eye(size, dtype=T.dtype, device=T.device)
    V = torch.zeros(size, size, dtype=T.dtype, device=T.device)
    W = T.T.clone()
    return (lambda x: x), U, V, W
