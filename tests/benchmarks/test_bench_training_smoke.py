"""The training benchmark's functions at tiny sizes: they run, and what they report adds up."""

from __future__ import annotations

import pytest
import torch

from optim_core.training.config import RunConfig
from optim_core.training.data.load import load_dataset
from tests.benchmarks.bench_scripts import load_bench


@pytest.fixture(scope="module")
def bench():
    module = load_bench("bench_training")
    torch.set_num_threads(1)
    return module


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", max_samples=128)


def test_classic_loop_and_job_path_report_comparable_numbers(bench, digits):
    config = RunConfig(
        optimizers=bench.SIX[:2],
        epochs=1,
        batch_size=32,
        clip_grad_norm=bench.CLIP,
        device="cpu",
        max_samples=128,
    )
    report = bench.compare_job_path(digits, config, repeats=1, threads=1, device="cpu")
    assert set(report["app_final_val_acc"]) == set(report["classic_final_val_acc"]) == {"sgd", "momentum"}
    # the times are rounded to 1 ms in the report: compare loosely
    assert report["ratio_app_over_classic"] == pytest.approx(
        report["app_wall_s"][0] / report["classic_wall_s"][0], rel=0.1, abs=0.05
    )
    assert all(0.0 <= acc <= 1.0 for acc in report["classic_final_val_acc"].values())
    assert isinstance(report["target_met"], bool)


def test_bare_loop_comparison(bench, digits):
    report = bench.compare_bare_loop(digits, bench.SIX[4], epochs=3, batch_size=32, repeats=1, device="cpu")
    bare, app = report["bare_epoch_s"], report["app_epoch_train_phase_s"]
    assert 0 < bare["min"] <= bare["median"] and 0 < app["min"] <= app["median"]
    assert report["app_epoch_with_validation_s"]["min"] > 0
    assert report["ratio_app_over_bare"] == pytest.approx(app["min"] / bare["min"], rel=0.01)


def test_bare_loop_and_classic_loop_really_train(bench, digits):
    times = bench.bare_epochs(
        digits, {"name": "adam", "hp": {"lr": 0.01}}, epochs=2, batch_size=32, seed=0, device="cpu"
    )
    assert len(times) == 2 and all(t > 0 for t in times)
    classic = bench.classic_course_loop(
        digits, [{"name": "adam", "hp": {"lr": 0.01}}], epochs=3, batch_size=32, seed=0, device="cpu"
    )
    assert classic["final_val_acc"]["adam"] > 0.5  # well above the 10% of chance
