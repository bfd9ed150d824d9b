"""The quantities that decide lessons (optim_core/lessons/measure.py) against values worked out by hand."""

import math

import numpy as np
import pytest

from optim_core.lessons import (
    QUANTITIES,
    Curve,
    EmaScene,
    Measure,
    PlaygroundScene,
    Run,
    ScheduleScene,
    Smoothing,
    ema_curves,
    run_scene,
    schedule_curves,
)


def playground(kind: str, scene: PlaygroundScene, **measure) -> list[float]:
    traj = run_scene(scene)
    quantity = QUANTITIES["playground"][kind]
    return [quantity(traj, i, Measure(kind, "min", **measure)) for i in range(len(scene.runs))]


def bowl(*lrs: float, steps: int = 40, optimizer: str = "sgd") -> PlaygroundScene:
    runs = tuple(Run(optimizer, (("lr", lr),)) for lr in lrs)
    return PlaygroundScene(surface="bowl", runs=runs, start=(-1.5, 1.2), steps=steps)


def test_gradient_descent_on_the_bowl_matches_its_closed_form():
    # θ_t = (1 − η)^t θ_0 on f = ½‖θ‖², so f_t = f_0 (1 − η)^{2t} and ‖θ_t‖ = (1 − η)^t ‖θ_0‖
    r0, f0 = math.hypot(1.5, 1.2), 0.5 * (1.5**2 + 1.2**2)
    (distance,) = playground("distance_at", bowl(0.2), step=10)
    assert distance == pytest.approx(0.8**10 * r0, rel=1e-12)
    (steps,) = playground("steps_to_loss", bowl(0.2), threshold=1e-3)
    assert steps == math.ceil(math.log(1e-3 / f0) / (2 * math.log(0.8)))
    (first,) = playground("first_step", bowl(0.2))
    assert first == pytest.approx(0.2 * r0, rel=1e-12)
    (length,) = playground("path_length", bowl(0.2), step=5)
    assert length == pytest.approx(r0 * (1 - 0.8**5), rel=1e-12)
    (rms,) = playground("rms_distance", bowl(0.2), step=38)
    assert rms == pytest.approx(r0 * math.sqrt((0.8**76 + 0.8**78 + 0.8**80) / 3), rel=1e-12)


def test_a_diverged_run_is_infinitely_far_and_never_arrives():
    scene = bowl(0.5, 3.5, steps=200)  # |1 − 3.5| = 2.5: leaves the 10⁶ box within about 16 steps
    assert run_scene(scene).diverged_at[1, 0] > 0
    for kind, extra in [("final_loss", {}), ("distance_at", {}), ("steps_to_loss", {"threshold": -1.0})]:
        calm, wild = playground(kind, scene, **extra)
        assert math.isinf(wild) and (kind == "steps_to_loss" or math.isfinite(calm))


def test_adams_first_step_is_lr_per_coordinate():
    (adam,) = playground("first_step", bowl(0.1, optimizer="adam"))
    (raw,) = playground("first_step", bowl(0.1, optimizer="adam_no_bias_correction"))
    assert adam == pytest.approx(0.1 * math.sqrt(2), rel=1e-6)
    assert raw / adam == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-6)  # (1 − β₁)/√(1 − β₂) ≈ 3.16


def test_schedule_quantities():
    scene = ScheduleScene(
        curves=(
            Curve("step_lr", (("gamma", 0.1), ("step_size", 100))),
            Curve("cosine_annealing_lr", (("T_max", 300),)),
            Curve("cosine_annealing_warm_restarts", (("T_0", 100),)),
        ),
        steps=300,
        lr=0.1,
    )
    curves = schedule_curves(scene)
    q = QUANTITIES["schedules"]
    assert [q["restarts"](curves, i, Measure("restarts", "max")) for i in range(3)] == [0, 0, 2]
    at = Measure("lr_at", "max", step=200)
    assert [q["lr_at"](curves, i, at) for i in range(3)] == pytest.approx([0.001, 0.025, 0.1])
    assert q["mean_lr"](curves, 1, Measure("mean_lr", "max")) == pytest.approx(0.05, abs=2e-4)


@pytest.mark.parametrize("beta", [0.5, 0.8, 0.9, 0.95, 0.98])
def test_the_ema_window_is_about_one_over_one_minus_beta(beta):
    scene = EmaScene(smoothings=(Smoothing(beta),))
    data = (scene, *ema_curves(scene))
    window = QUANTITIES["ema"]["window"](data, 0, Measure("window", "nearest", subject=0))
    # the fewest m with 1 − β^m >= 1 − 1/e
    assert window == math.ceil(-1 / math.log(beta) - 1e-12)
    assert abs(window - 1 / (1 - beta)) <= 1


def test_the_ema_lag_grows_with_beta_and_the_debiased_start_is_on_the_data():
    scene = EmaScene(smoothings=(Smoothing(0.5), Smoothing(0.9), Smoothing(0.98), Smoothing(0.98, False)))
    values, curves = ema_curves(scene)
    data = (scene, values, curves)
    lags = [QUANTITIES["ema"]["lag"](data, i, Measure("lag", "max")) for i in range(3)]
    assert lags == sorted(lags) and lags[0] <= 1 and 30 <= lags[2] <= 50
    gap = [QUANTITIES["ema"]["start_gap"](data, i, Measure("start_gap", "max", step=0)) for i in (2, 3)]
    assert gap[0] == 0.0  # the debiased EMA of one point is that point
    assert gap[1] == pytest.approx(0.98 * abs(values[0]))  # the raw one is (1 − β) θ_1
    assert np.isfinite(curves).all()
