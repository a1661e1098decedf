"""Batches of sequences of different lengths (lab 07): padding, packed RNN runs, last valid states.

A batch of N sequences, sequence i holding lengths[i] steps of I features, is stored batch first
and zero-padded to a common length T: a tensor (N, T, I) whose rows past lengths[i] are zeros.
An RNN run on such a batch should ignore the padding: its outputs past each length are zeros and
the state it reports for sequence i is the one after step lengths[i], not after step T. Packing
the batch (torch.nn.utils.rnn) makes the RNN stop at each sequence's end.
"""

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def pad_sequences(sequences, total_length=None, device=None):
    """Stack sequences of different lengths into one zero-padded batch.

    sequences: a non-empty list of tensors (T_i, I), the same I for all, T_i >= 1.
    total_length: T, the padded length (default: the longest T_i).
    Returns padded (N, T, I) on `device` (default: the first sequence's) and lengths (N,), int64 on
    the CPU, where pack_padded_sequence wants them.
    """
    if not sequences:
        raise ValueError("sequences is empty: pass a list of at least one (T_i, I) tensor.")
    lengths = []
    for i, seq in enumerate(sequences):
        if seq.dim() != 2 or seq.shape[0] < 1:
            raise ValueError(f"sequences[{i}] has shape {tuple(seq.shape)}: each sequence must be (T_i, I) "
                             "with T_i >= 1 (reshape a sequence of numbers to (T_i, 1)).")
        if seq.shape[1] != sequences[0].shape[1]:
            raise ValueError(f"sequences[{i}] has {seq.shape[1]} features per step, sequences[0] has "
                             f"{sequences[0].shape[1]}: every sequence needs the same I.")
        lengths.append(seq.shape[0])
    T = max(lengths) if total_length is None else total_length
    if max(lengths) > T:
        raise ValueError(f"total_length={T} is shorter than the longest sequence ({max(lengths)} steps): "
                         "leave it out or make it larger.")
    device = sequences[0].device if device is None else device
    padded = torch.zeros(len(sequences), T, sequences[0].shape[1], dtype=sequences[0].dtype, device=device)
    for i, seq in enumerate(sequences):
        padded[i, :seq.shape[0]] = seq
    return padded, torch.tensor(lengths, dtype=torch.int64)


def check_lengths(lengths, n_sequences, total_length):
    """lengths as a CPU int64 tensor (N,), each in [1, T]; a ValueError naming the problem otherwise."""
    lengths = torch.as_tensor(lengths).to("cpu", torch.int64)
    if lengths.shape != (n_sequences,):
        raise ValueError(f"lengths has shape {tuple(lengths.shape)} but the batch holds {n_sequences} sequences: "
                         "pass one length per sequence.")
    if lengths.numel() and (lengths.min() < 1 or lengths.max() > total_length):
        raise ValueError(f"lengths must lie between 1 and the padded length {total_length}, got {lengths.tolist()}.")
    return lengths


def run_packed(rnn, padded, lengths, h0=None):
    """Run a batch-first torch RNN (nn.RNN, nn.GRU, nn.LSTM) over padded sequences, stopping each at its length.

    padded: (N, T, I) on the RNN's device; lengths: (N,) ints in [1, T], any order.
    h0: the RNN's initial state in its own layout (default: zeros).
    Returns outputs (N, T, D*H), zero past each length, and the RNN's final state in its own layout
    (for nn.RNN: (num_layers*D, N, H)), holding for sequence i the state after step lengths[i].
    D is 2 for a bidirectional RNN, else 1.
    """
    if not getattr(rnn, "batch_first", False):
        raise ValueError("run_packed expects a batch-first RNN: build it with batch_first=True.")
    if padded.dim() != 3:
        raise ValueError(f"padded has shape {tuple(padded.shape)}: it must be (N, T, I).")
    lengths = check_lengths(lengths, padded.shape[0], padded.shape[1])
    packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
    packed_outputs, final_state = rnn(packed, h0)
    outputs, _ = pad_packed_sequence(packed_outputs, batch_first=True, total_length=padded.shape[1])
    return outputs, final_state


def last_valid(outputs, lengths):
    """The output at each sequence's last valid step: row i is outputs[i, lengths[i] - 1].

    outputs: (N, T, H); lengths: (N,) ints in [1, T]. Returns (N, H), on outputs' device.
    For a one-layer unidirectional RNN this is the final state of sequence i.
    """
    lengths = check_lengths(lengths, outputs.shape[0], outputs.shape[1]).to(outputs.device)
    return outputs[torch.arange(outputs.shape[0], device=outputs.device), lengths - 1]
