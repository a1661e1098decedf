from otter.test_files import test_case

OK_FORMAT = False

name = "silence"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_silence_basics(silence):
    import torch
    w_eff, w_out = (torch.arange(1.0, 10.0).reshape(3, 3), torch.ones(3))
    new_w, new_out = silence(w_eff, w_out, torch.tensor([False, True, False]))
    assert new_w.shape == (3, 3) and new_out.shape == (3,), 'silence should return w_eff (N, N) and w_out (N,)'
    assert new_out.tolist() == [1.0, 0.0, 1.0], "the silenced unit's readout weight should be 0"
    assert torch.as_tensor(new_w).tolist() == [[1.0, 0.0, 3.0], [4.0, 0.0, 6.0], [7.0, 0.0, 9.0]], 'unit 1 sends nothing: column 1 of w_eff (what it sends to each unit) is 0; its row (what it receives) stays as it was'

