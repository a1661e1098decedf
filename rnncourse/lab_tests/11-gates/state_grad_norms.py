from otter.test_files import test_case

OK_FORMAT = False

name = "state_grad_norms"
points = 2
all_or_nothing = True

@test_case(points=None, hidden=False)
def test_state_grad_norms_on_a_chain(env, state_grad_norms):
    from rnncourse.course.kernel.checks import close, probe
    assert callable(state_grad_norms), 'state_grad_norms should be a function'

    def chain(ns):
        import torch
        x = torch.ones(2, 2, requires_grad=True)
        h1 = 2 * x
        h2 = 3 * h1
        loss = h2.sum()
        norms = ns['state_grad_norms'](loss, [h1, h2])
        norms = norms.detach() if isinstance(norms, torch.Tensor) else [float(v) for v in norms]
        return (norms, x.grad is None)
    norms, untouched = probe(env, chain)
    close(norms, [6.0, 2.0], 'h1 = 2x, h2 = 3 h1 (each 2 x 2), L = sum(h2): dL/dh1 is 3 everywhere, dL/dh2 is 1 everywhere, so their norms are 6 and 2')
    assert untouched, 'state_grad_norms changed the .grad of a leaf: use torch.autograd.grad, not loss.backward()'

