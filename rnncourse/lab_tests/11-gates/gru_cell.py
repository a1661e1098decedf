from otter.test_files import test_case

OK_FORMAT = False

name = "gru_cell"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_gru_cell_shape_and_zero_weights(gru_cell):
    import torch
    h = torch.tensor([[0.5, -1.0, 2.0], [4.0, 0.0, -0.2]])
    got = gru_cell(torch.ones(2, 4), h, torch.zeros(9, 4), torch.zeros(9, 3), torch.zeros(9), torch.zeros(9))
    assert isinstance(got, torch.Tensor) and got.shape == (2, 3), 'gru_cell should return a tensor (n, H)'
    assert torch.allclose(torch.as_tensor(got).detach().double(), h.double() / 2), 'with zero weights and biases z = 1/2 and the candidate n = tanh(0) = 0, so the new state is h / 2: h_t = (1 - z) n + z h_(t-1)'

@test_case(points=None, hidden=False)
def test_gru_cell_b_hn_inside_the_reset(gru_cell):
    import torch
    h = torch.tensor([[0.5, -1.0]])
    bias_hh = torch.tensor([-40.0, -40.0, 0.0, 0.0, 3.0, 3.0])
    got = gru_cell(torch.ones(1, 1), h, torch.zeros(6, 1), torch.zeros(6, 2), torch.zeros(6), bias_hh)
    assert torch.allclose(torch.as_tensor(got).detach().double(), h.double() / 2, atol=1e-09), "with the reset gate closed (r = sigmoid(-40)), the candidate's b_hn = 3 must vanish with h W_hn^T: n = tanh(b_in + r (h W_hn^T + b_hn)) = 0, so h_t = h / 2; and the gates come in torch's order r, z, n"

