"""Adam as TensorFlow 1's AdamOptimizer computes it, the optimiser spikeRNN trains with.

At step t, for every parameter p with gradient g:

    m = beta1 m + (1 - beta1) g            v = beta2 v + (1 - beta2) g^2
    p = p - lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps)

TF1 puts eps outside the bias correction ("epsilon hat"), torch.optim.Adam inside; with eps = 1e-8
the two differ negligibly, but this one is spikeRNN's. It is also written here because building
torch.optim.Adam first imports torch._dynamo, which adds seconds to the start of a short run.
"""

import math

import torch


class TFAdam:
    """Adam for `params` (an iterable of tensors that require grad), with zero_grad() and step()
    like a torch optimizer. Defaults are TF1's: lr 0.001 (spikeRNN passes 0.01), betas (0.9, 0.999),
    eps 1e-8."""

    def __init__(self, params, lr=0.001, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none=True):
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self):
        """One update of every parameter that has a gradient."""
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr * math.sqrt(1 - beta2**self.t) / (1 - beta1**self.t)
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
            p.addcdiv_(m, v.sqrt().add_(self.eps), value=-step_size)
