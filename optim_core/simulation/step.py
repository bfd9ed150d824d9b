r"""What happens to the gradient before a rule sees it: noise, then clipping; one helper, both backends.

The NumPy backend calls `perturb_gradient` as it is; the numba backend compiles the same function (it is
in numba_backend.JITTED_HELPERS), so the two cannot drift apart. It is written in the NumPy that numba
compiles: arrays in, in-place arithmetic, and "switched off" said by values of the same type (an empty
noise array, a max_norm of `NO_CLIP`), never by None, so one compiled signature serves every call.
"""

from __future__ import annotations

import numpy as np

from ..jitable import jitable

# torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6); the trainer clips with it too
CLIP_EPS = 1e-6
# max_norm meaning "do not clip" (torch requires max_norm > 0, so 0 is free to mean off)
NO_CLIP = 0.0


def no_noise(n_starts: int) -> np.ndarray:
    """The noise argument of `perturb_gradient` that adds none: zero steps of (M, 2)."""
    return np.zeros((0, n_starts, 2))


@jitable
def perturb_gradient(grad: np.ndarray, noise: np.ndarray, t: int, max_norm: float) -> None:
    r"""Turn step t's surface gradients into what the rules receive, in place.

    grad (R, 2): one row per run, runs ordered optimizer-major, so rows r and r + M share a start.
    noise (T, M, 2): σ ξ per step and start, or `no_noise(M)`; max_norm: > 0, or `NO_CLIP`.
    """
    n_starts = noise.shape[1]
    if noise.shape[0] > 0:
        # $g \leftarrow g + \sigma \xi_{t,m}$: every optimizer at start m gets the same noise
        by_start = grad.reshape(-1, n_starts, 2)
        by_start += noise[t]
    if max_norm > 0:
        gx, gy = grad[:, 0:1], grad[:, 1:2]
        norm = np.sqrt(gx * gx + gy * gy)
        # $g \leftarrow g \cdot \min\left(1, \frac{c}{\lVert g \rVert + \epsilon}\right)$, per run
        grad *= np.minimum(max_norm / (norm + CLIP_EPS), 1.0)
