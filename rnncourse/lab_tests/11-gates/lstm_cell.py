from otter.test_files import test_case

OK_FORMAT = False

name = "lstm_cell"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_lstm_cell_shapes_and_zero_weights(lstm_cell):
    import torch
    c = torch.tensor([[0.5, -1.0, 2.0], [4.0, 0.0, -0.2]])
    h_t, c_t = lstm_cell(torch.ones(2, 4), (torch.ones(2, 3), c), torch.zeros(12, 4), torch.zeros(12, 3), torch.zeros(12), torch.zeros(12))
    assert h_t.shape == (2, 3) and c_t.shape == (2, 3), 'lstm_cell should return (h_t, c_t), each (n, H)'
    half = c.double() / 2
    assert torch.allclose(torch.as_tensor(c_t).detach().double(), half), 'with zero weights and biases f = i = 1/2 and g = tanh(0) = 0, so c_t = c_(t-1) / 2'
    assert torch.allclose(torch.as_tensor(h_t).detach().double(), torch.tanh(half) / 2), 'with zero weights and biases o = 1/2, so h_t = tanh(c_t) / 2'

@test_case(points=None, hidden=False)
def test_lstm_cell_gate_order(lstm_cell):
    import torch
    c = torch.tensor([[0.5, -1.0]])
    bias_ih = torch.tensor([-40.0, -40.0, 40.0, 40.0, 2.0, 2.0, 40.0, 40.0])
    h_t, c_t = lstm_cell(torch.ones(1, 1), (torch.zeros(1, 2), c), torch.zeros(8, 1), torch.zeros(8, 2), bias_ih, torch.zeros(8))
    assert torch.allclose(torch.as_tensor(c_t).detach().double(), c.double(), atol=1e-09), f"with the input gate shut and the forget gate open (biases -40 and +40, torch's order i, f, g, o), c_t should be c_(t-1) = {c.tolist()}, not {torch.as_tensor(c_t).tolist()}"
    assert torch.allclose(torch.as_tensor(h_t).detach().double(), torch.tanh(c.double()), atol=1e-09), 'with the output gate open (bias +40, the fourth block), h_t should be tanh(c_t)'

