"""The bounds a lesson file must keep (an instructor's folder is trusted less than code), and the
Playground's gradient-noise rule, which a lesson's scene names by mode.

The step and run limits are the pages' own widget ranges, so every scene opens on its page as it is.
"""

from __future__ import annotations

import numpy as np

from ..surfaces import Surface

MAX_FILE_BYTES = 32 * 1024  # one lesson file
MAX_FILES = 200  # lesson files in one folder
MAX_TEXT_CHARS = 2_000  # one title, question, explanation or answer text
MAX_FORMULA_CHARS = 600
MAX_ID_CHARS = 40
MIN_ANSWERS, MAX_ANSWERS = 2, 4
MAX_RUNS = 6  # the Playground's optimizer slots
MAX_PLAYGROUND_STEPS = 2_000  # the Playground's steps slider
MIN_PLAYGROUND_STEPS = 10
MAX_SCHEDULE_STEPS = 5_000  # the Schedules page's steps slider
MAX_CURVES = 6
MAX_SMOOTHINGS = 4
MAX_START = 1e3  # |x|, |y| of a start, as the Playground's inputs
MAX_SEED = 10_000

# Gradient noise as a multiple of the surface's typical gradient size (its median over the view): the
# Playground's "full batch", "mini-batch" and "single example" modes.
NOISE_MODES = {"batch": 0.0, "minibatch": 0.3, "sgd": 1.5}


def typical_gradient(surface: Surface) -> float:
    """The median gradient norm over the view (41 × 41 points): the unit of gradient noise."""
    (x0, x1), (y0, y1) = surface.bounds
    with np.errstate(all="ignore"):
        gx, gy = surface.grad(*np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41)))
        norms = np.hypot(gx, gy)
    norms = norms[np.isfinite(norms)]
    return float(np.median(norms)) if norms.size else 1.0
