"""The Playground's "Equivalent PyTorch code", run with torch: its paths are the lab's paths.

The script must reproduce the whole run, not only the optimizers: the schedule, the gradient clipping,
the weight decay, the gradient noise and the surface with its parameters. Paths agree within the
optimizer parity tolerance (rtol 1e-9, atol 1e-12) up to where the lab stopped a diverged path.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.views.playground import model

torch = pytest.importorskip("torch")

TOL = {"rtol": 1e-9, "atol": 1e-12}


def config(**changes) -> model.PlaygroundConfig:
    base = dict(
        surface="saddle",
        formula=None,
        surface_params=(),
        slots=(
            model.SlotConfig("sgd", (("lr", 0.02),)),
            model.SlotConfig("momentum", (("lr", 0.005),)),
            model.SlotConfig("adam", (("lr", 0.02),)),
            model.SlotConfig("rmsprop", (("lr", 0.01), ("centered", True))),
        ),
        start=(-1.8, 0.01),
        steps=120,
        noise="batch",
        seed=0,
        clip_norm=None,
        weight_decay=0.0,
    )
    return model.PlaygroundConfig(**{**base, **changes})


CASES = {
    "plain": config(),
    "schedule, clipping and weight decay": config(
        clip_norm=0.5,
        weight_decay=0.05,
        schedule=("cosine_annealing_lr", (("T_max", 120), ("eta_min", 0.1))),
    ),
    "noise and a step schedule on a ravine": config(
        surface="ravine",
        surface_params=(("condition", 50.0),),
        start=(-1.5, 0.8),
        noise="minibatch",
        seed=7,
        slots=(
            model.SlotConfig("nesterov", (("lr", 0.004),)),
            model.SlotConfig("adamw", (("lr", 0.05), ("amsgrad", True))),
            model.SlotConfig("nadam", (("lr", 0.02),)),
        ),
        schedule=("step_lr", (("step_size", 30), ("gamma", 0.5))),
    ),
    "one-cycle on Himmelblau, noisy": config(
        surface="himmelblau",
        start=(0.5, -0.5),
        noise="sgd",
        seed=3,
        clip_norm=5.0,
        slots=(model.SlotConfig("radam", (("lr", 0.05),)), model.SlotConfig("adamax", (("lr", 0.05),))),
        schedule=("one_cycle_lr", (("max_lr", 1.0), ("total_steps", 120))),
    ),
    "a typed formula and the textbook variants": config(
        surface="custom",
        formula="0.1*(x**2 + 3*y**2) + 0.05*sin(3*x)",
        start=(1.5, -1.0),
        clip_norm=0.3,
        slots=(
            model.SlotConfig("momentum_ema", (("lr", 0.05),)),
            model.SlotConfig("rmsprop_eps_inside", (("lr", 0.01),)),
            model.SlotConfig("adam_no_bias_correction", (("lr", 0.01),)),
            model.SlotConfig("adagrad", (("lr", 0.1), ("lr_decay", 0.01))),
        ),
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_generated_code_reproduces_the_run(case):
    result = model.run(CASES[case])
    code = result.torch_code()
    namespace: dict = {}
    exec(compile(code, "<playground torch code>", "exec"), namespace)  # noqa: S102 (our own generated code)
    paths = namespace["paths"]
    assert list(paths) == result.labels
    identical = 0
    for i, label in enumerate(result.labels):
        stop = int(result.diverged_at[i])
        n = result.config.steps + 1 if stop < 0 else stop + 1
        torch_path = paths[label].numpy()[:n]
        np.testing.assert_allclose(torch_path, result.xy[i, :n], **TOL, err_msg=f"{case}: {label}")
        identical += bool(np.array_equal(torch_path, result.xy[i, :n]))
    print(f"{case}: {identical} of {len(result.labels)} paths bit-identical")


def test_code_names_what_shapes_the_run():
    code = model.run(CASES["schedule, clipping and weight decay"]).torch_code()
    assert "CosineAnnealingLR(optimizer, T_max=120, eta_min=0.1)" in code
    assert "clip_grad_norm_([p], max_norm=0.5)" in code
    assert "weight_decay=0.05" in code and "centered=True" in code
