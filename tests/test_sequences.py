"""Variable-length batches (lab 07): padding and packed runs against a plain loop, one sequence at a time."""

import pytest
import torch
from torch import nn

from rnncourse.sequences import last_valid, pad_sequences, run_packed

from helpers.markers import requires_cuda

# The seed's batch (Géron via Bruns): four instances, two steps, the second instance one step long.
X_BATCH = [[[0, 1, 2], [9, 8, 7]],
           [[3, 4, 5], [0, 0, 0]],
           [[6, 7, 8], [6, 5, 4]],
           [[9, 0, 1], [3, 2, 1]]]
SEQ_LENGTH = [2, 1, 2, 2]


def random_sequences(generator, lengths, n_inputs, dtype=torch.float64):
    return [torch.randn(n, n_inputs, generator=generator, dtype=dtype) for n in lengths]


def tanh_rnn_loop(rnn, sequence):
    """An nn.RNN (one layer, tanh) run over one (T, I) sequence by an explicit loop: outputs (T, H)."""
    h = torch.zeros(rnn.hidden_size, dtype=sequence.dtype)
    outputs = []
    for x in sequence:
        h = torch.tanh(rnn.weight_ih_l0 @ x + rnn.bias_ih_l0 + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0)
        outputs.append(h)
    return torch.stack(outputs)


def test_pad_sequences_places_each_sequence_and_zeros_after_it():
    g = torch.Generator().manual_seed(70)
    sequences = random_sequences(g, [3, 1, 5, 2], 4)
    padded, lengths = pad_sequences(sequences, total_length=6)
    assert padded.shape == (4, 6, 4) and lengths.tolist() == [3, 1, 5, 2] and lengths.dtype == torch.int64
    for i, seq in enumerate(sequences):
        for t in range(6):
            want = seq[t] if t < len(seq) else torch.zeros(4, dtype=seq.dtype)
            assert torch.equal(padded[i, t], want), f"padded[{i}, {t}]"
    assert pad_sequences(sequences)[0].shape == (4, 5, 4)  # default T: the longest sequence


@pytest.mark.parametrize("bad, words", [([], "empty"), ([torch.zeros(3)], r"\(T_i, I\)"),
                                        ([torch.zeros(2, 3), torch.zeros(2, 4)], "same I")])
def test_pad_sequences_rejects_bad_input(bad, words):
    with pytest.raises(ValueError, match=words):
        pad_sequences(bad)


def test_pad_sequences_rejects_a_total_length_too_short():
    with pytest.raises(ValueError, match="shorter than the longest"):
        pad_sequences([torch.zeros(4, 2)], total_length=3)


def test_run_packed_on_the_seed_batch_matches_an_explicit_tanh_loop():
    """The seed's example: instance 2 has one step, so its second output is zero and its state is its first output."""
    torch.manual_seed(71)
    rnn = nn.RNN(3, 5, batch_first=True).double()
    X = torch.tensor(X_BATCH, dtype=torch.float64)
    with torch.no_grad():
        outputs, states = run_packed(rnn, X, SEQ_LENGTH)
        assert outputs.shape == (4, 2, 5) and states.shape == (1, 4, 5)
        for i, n in enumerate(SEQ_LENGTH):
            want = tanh_rnn_loop(rnn, X[i, :n])
            assert torch.allclose(outputs[i, :n], want, atol=1e-12)
            assert torch.allclose(states[0, i], want[-1], atol=1e-12), f"instance {i}: the state after step {n}"
    assert outputs[1, 1].abs().max() == 0, "the RNN outputs zeros past a sequence's length"


@pytest.mark.parametrize("make", [
    lambda: nn.RNN(4, 6, batch_first=True),
    lambda: nn.RNN(4, 6, num_layers=2, nonlinearity="relu", batch_first=True),
    lambda: nn.GRU(4, 6, num_layers=2, bidirectional=True, batch_first=True),
    lambda: nn.LSTM(4, 6, batch_first=True),
], ids=["rnn", "relu-rnn-2-layers", "gru-2-layers-bidirectional", "lstm"])
def test_run_packed_equals_running_each_sequence_alone(make):
    """Each row of the packed run is what the RNN gives on that sequence alone, unpadded; zeros follow."""
    torch.manual_seed(72)
    rnn = make().double()
    g = torch.Generator().manual_seed(73)
    lengths = [4, 7, 1, 7, 3]  # unsorted, with ties and a one-step sequence
    sequences = random_sequences(g, lengths, 4)
    padded, lens = pad_sequences(sequences, total_length=9)
    with torch.no_grad():
        outputs, final = run_packed(rnn, padded, lens)
        assert outputs.shape == (5, 9, rnn.hidden_size * (2 if rnn.bidirectional else 1))
        for i, seq in enumerate(sequences):
            alone_out, alone_final = rnn(seq[None])
            n = len(seq)
            assert torch.allclose(outputs[i, :n], alone_out[0], atol=1e-12), f"sequence {i}: outputs"
            assert torch.all(outputs[i, n:] == 0), f"sequence {i}: outputs past its length"
            for got, want in zip(final if isinstance(final, tuple) else (final,),
                                 alone_final if isinstance(alone_final, tuple) else (alone_final,)):
                assert torch.allclose(got[:, i], want[:, 0], atol=1e-12), f"sequence {i}: final state"


def test_run_packed_starts_from_a_given_state():
    torch.manual_seed(74)
    rnn = nn.RNN(2, 3, batch_first=True).double()
    g = torch.Generator().manual_seed(75)
    sequences = random_sequences(g, [2, 5], 2)
    h0 = torch.randn(1, 2, 3, generator=g, dtype=torch.float64)
    padded, lengths = pad_sequences(sequences)
    with torch.no_grad():
        outputs, final = run_packed(rnn, padded, lengths, h0)
        for i, seq in enumerate(sequences):
            alone_out, alone_final = rnn(seq[None], h0[:, i:i + 1].contiguous())
            assert torch.allclose(outputs[i, :len(seq)], alone_out[0], atol=1e-12)
            assert torch.allclose(final[:, i], alone_final[:, 0], atol=1e-12)


def test_run_packed_gradients_ignore_the_padding():
    """Padding never reaches the loss: its gradient is zero, and a valid step's matches the unpadded run."""
    torch.manual_seed(76)
    rnn = nn.RNN(3, 4, batch_first=True).double()
    g = torch.Generator().manual_seed(77)
    padded, lengths = pad_sequences(random_sequences(g, [2, 4], 3))
    padded.requires_grad_()
    outputs, final = run_packed(rnn, padded, lengths)
    (grad,) = torch.autograd.grad(outputs.sum() + final.sum(), padded)
    assert grad[0, 2:].abs().max() == 0
    alone = padded[0, :2].detach().clone().requires_grad_()
    alone_out, alone_final = rnn(alone[None])
    (want,) = torch.autograd.grad(alone_out.sum() + alone_final.sum(), alone)
    assert torch.allclose(grad[0, :2], want, atol=1e-12)


def test_last_valid_picks_each_sequence_last_step():
    g = torch.Generator().manual_seed(78)
    outputs = torch.randn(4, 5, 3, generator=g)
    lengths = [5, 1, 3, 2]
    got = last_valid(outputs, lengths)
    for i, n in enumerate(lengths):
        assert torch.equal(got[i], outputs[i, n - 1])


def test_last_valid_of_a_packed_run_is_the_final_state():
    torch.manual_seed(79)
    rnn = nn.RNN(3, 5, batch_first=True)
    X = torch.tensor(X_BATCH, dtype=torch.float32)
    with torch.no_grad():
        outputs, states = run_packed(rnn, X, torch.tensor(SEQ_LENGTH))
    assert torch.allclose(last_valid(outputs, SEQ_LENGTH), states[0])


def test_bad_arguments_are_named():
    rnn = nn.RNN(3, 5)
    with pytest.raises(ValueError, match="batch_first=True"):
        run_packed(rnn, torch.zeros(2, 3, 3), [1, 2])
    rnn = nn.RNN(3, 5, batch_first=True)
    with pytest.raises(ValueError, match="between 1 and the padded length 3"):
        run_packed(rnn, torch.zeros(2, 3, 3), [0, 2])
    with pytest.raises(ValueError, match="one length per sequence"):
        last_valid(torch.zeros(2, 3, 5), [1, 2, 3])
    with pytest.raises(ValueError, match="between 1 and the padded length 3"):
        last_valid(torch.zeros(2, 3, 5), [4, 2])


@requires_cuda
def test_run_packed_on_cuda_matches_cpu():
    torch.manual_seed(80)
    rnn = nn.GRU(3, 4, batch_first=True)
    g = torch.Generator().manual_seed(81)
    padded, lengths = pad_sequences(random_sequences(g, [3, 6, 2], 3, torch.float32))
    with torch.no_grad():
        cpu_out, cpu_final = run_packed(rnn, padded, lengths)
        gpu_padded, _ = pad_sequences(random_sequences(torch.Generator().manual_seed(81), [3, 6, 2], 3, torch.float32),
                                      device="cuda")
        gpu_out, gpu_final = run_packed(rnn.to("cuda"), gpu_padded, lengths)
        assert torch.allclose(gpu_out.cpu(), cpu_out, atol=1e-5)
        assert torch.allclose(gpu_final.cpu(), cpu_final, atol=1e-5)
        assert torch.allclose(last_valid(gpu_out, lengths).cpu(), cpu_final[0], atol=1e-5)
