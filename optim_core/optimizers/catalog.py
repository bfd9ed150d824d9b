"""Every fact about an optimizer beyond its rule, one row per optimizer: adding one means adding a row here.

The rule (its formula, hyperparameters, English label) lives in its own module; this table holds what the
pages and the trainer choose for it: its colour, its learning rates and how the Playground scales them.
A test keeps it in step with `RULES`: every rule has a row and every row a rule.
"""

from __future__ import annotations

from typing import NamedTuple


class OptimizerFacts(NamedTuple):
    """What the app and the trainer know about one optimizer.

    colour: its line colour on every page (a colour belongs to an optimizer, not to a slot).
    playground_lr: the teaching LR for a Playground view 4 units wide (on the default saddle SGD lingers
        ~120 steps, Adam leaves in ~40); scaled with the view's width unless capped or scale-free.
    curvature_cap: c, the LR is capped at c / L on a surface of largest curvature L (None: no cap).
        Gradient steps are stable below 2/L, so the plain-gradient family is capped at a fraction of 1/L
        and a default never diverges on a steep surface. Momentum μ = 0.9 multiplies the effective step by
        1/(1 − μ) = 10, hence its smaller cap.
    scale_free: its steps do not scale with lr (Adadelta), so the view's width does not change its LR.
    cnn_lr: an LR that trains the small CNN on digits within a few epochs (batch 64).
    dash: its line dash (Plotly's names). The Adam family's warm colours look alike on a projector, so
        each of them (and RMSprop, Adam's other half) also draws its own dash; the rest draw solid lines.
    """

    colour: str
    playground_lr: float
    curvature_cap: float | None
    scale_free: bool
    cnn_lr: float
    dash: str = "solid"


# Colours from the Okabe–Ito and Paul Tol palettes, which stay distinct under the common forms of colour
# blindness.
CATALOG: dict[str, OptimizerFacts] = {
    # name: OptimizerFacts(colour, playground_lr, curvature_cap, scale_free, cnn_lr, dash)
    "sgd": OptimizerFacts("#0072B2", 0.02, 0.3, False, 0.05),
    "momentum": OptimizerFacts("#56B4E9", 0.005, 0.05, False, 0.02),
    "nesterov": OptimizerFacts("#009E73", 0.005, 0.05, False, 0.02),
    "adagrad": OptimizerFacts("#CC79A7", 0.1, None, False, 0.02),
    "rmsprop": OptimizerFacts("#E69F00", 0.01, None, False, 1e-3, "dashdot"),
    "adadelta": OptimizerFacts("#44AA99", 1.0, None, True, 1.0),
    "adam": OptimizerFacts("#D55E00", 0.02, None, False, 1e-3),
    "amsgrad": OptimizerFacts("#AA4499", 0.02, None, False, 1e-3, "longdashdot"),
    "adamw": OptimizerFacts("#882255", 0.02, None, False, 1e-3, "dash"),
    "nadam": OptimizerFacts("#117733", 0.02, None, False, 2e-3, "dot"),
    "radam": OptimizerFacts("#332288", 0.02, None, False, 1e-3, "longdash"),
    "adamax": OptimizerFacts("#999933", 0.02, None, False, 2e-3, "dashdot"),
    "momentum_ema": OptimizerFacts("#4477AA", 0.02, 0.3, False, 0.05),
    "rmsprop_eps_inside": OptimizerFacts("#B8860B", 0.01, None, False, 1e-3, "longdash"),
    "adam_no_bias_correction": OptimizerFacts("#7F3C00", 0.02, None, False, 1e-3, "dot"),
}
