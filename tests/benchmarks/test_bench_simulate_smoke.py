"""The simulate benchmark at tiny sizes, so the script cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.benchmarks.bench_scripts import load_bench

SCRIPT = Path(__file__).resolve().parent / "bench_simulate.py"


def _bench():
    return load_bench("bench_simulate")


@pytest.fixture
def fresh_warm_up(monkeypatch):
    """warm.py's process-wide state, fresh for one test and put back after it (the benchmark starts the
    warm-up thread; later tests in this process must not find it queueing compiles)."""
    from optim_core.simulation import warm

    for name, value in [("_jobs", []), ("_unfinished", 0), ("_requested", set()), ("_thread", None)]:
        monkeypatch.setattr(warm, name, value)


def test_benchmark_functions_at_tiny_sizes(fresh_warm_up):
    bench = _bench()
    result = bench.run(steps_a=20, starts_b=3, steps_b=10, repeats=1, torch_repeats=1)
    a, b = result["a"], result["b"]
    assert a["optimizers"] == len(bench.OPTIMIZERS) == 10
    assert len({name for name, _ in bench.OPTIMIZERS}) == 10
    assert a["simulate_s"] > 0 and a["torch_s"] > 0 and a["numpy_simulate_s"] > 0
    assert a["backend"] == "default" and b["backend"] == "numpy" and a["compile_s"] >= 0
    # the headline is simulate() with no backend argument once warm; the backends named are beside it
    assert a["compiled_simulate_s"] > 0 and a["compiled_ratio"] > 0 and a["first_call_s"] > 0
    assert len(a["simulate_runs_s"]) == len(a["compiled_runs_s"]) == len(a["numpy_runs_s"]) == 1
    # cold (NumPy), warm (compiled) and backend="numpy": the same positions
    assert a["max_abs_diff_vs_numpy"] <= 1e-13
    # the printed ratio agrees with the printed times, up to their rounding to 5 decimals (at 20 steps
    # the engine's time is a few ms, where half a unit of the last digit is already ~0.3%)
    rounding = a["ratio"] * (5e-6 / a["simulate_s"] + 5e-6 / a["torch_s"]) + 0.005
    assert abs(a["ratio"] - a["torch_s"] / a["simulate_s"]) <= 0.01 * a["ratio"] + rounding
    assert a["met"] == (a["ratio"] >= a["target_ratio"] == 100)
    assert b["met"] == (b["cheaper_than_a"] >= b["target_ratio"] == 50)
    # both sides of (a) did the same work: torch's autograd positions equal simulate's
    assert a["max_abs_diff_vs_torch"] < 1e-9
    json.dumps(result)


def test_torch_loop_records_the_same_trajectories_as_simulate():
    bench = _bench()
    start = (-1.5, 2.0)
    _, positions = bench.torch_loops(bench.OPTIMIZERS[:3], start, 15)
    _, traj = bench.timed_simulate(bench.OPTIMIZERS[:3], [start], 15)
    np.testing.assert_allclose(positions, traj.xy[:, 0], rtol=1e-9, atol=1e-12)


def test_script_prints_one_json_object():
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--repeats",
            "1",
            "--torch-repeats",
            "1",
            "--steps-a",
            "5",
            "--starts-b",
            "2",
            "--steps-b",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,  # numba compiles the rules
    )
    result = json.loads(done.stdout)
    assert set(result) >= {"a", "b", "numpy", "torch"}
    assert result["a"]["backend"] == "default" and {"ratio", "met", "compile_s"} <= set(result["a"])
