"""Helpers for checking derivatives against torch autograd."""

import torch


def grad_or_zero(output, inputs, create_graph=False):
    """d output.sum() / d inputs, with zeros where an input is unused or output is constant."""
    if not output.requires_grad:
        return [torch.zeros_like(t) for t in inputs]
    grads = torch.autograd.grad(
        output.sum(), inputs, create_graph=create_graph, retain_graph=True, allow_unused=True
    )
    return [torch.zeros_like(t) if g is None else g for g, t in zip(grads, inputs, strict=True)]
