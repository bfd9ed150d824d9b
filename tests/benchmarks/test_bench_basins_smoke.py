"""The basin benchmark at tiny sizes, so the script cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.benchmarks.bench_scripts import load_bench

SCRIPT = Path(__file__).resolve().parent / "bench_basins.py"


def _bench():
    return load_bench("bench_basins")


def test_benchmark_at_tiny_size_does_the_same_work_both_ways():
    bench = _bench()
    result = bench.run(n=5, steps=20, subset=0, repeats=1)
    assert result["starts"] == 25 and result["one_by_one"]["timed_starts"] == 25
    assert result["one_by_one"]["mode"] == "all starts timed"
    assert result["max_abs_diff"] == 0.0  # one call or 25 calls: the same end points, bit for bit
    # the ratio agrees with the printed times, up to their rounding (loop to 4 decimals, map to 5):
    # at tiny sizes those half-units alone move the ratio by a few percent
    loop, one_call = result["one_by_one"]["all_starts_s"], result["basin_map_s"]
    low = max(loop - 5e-5, 0.0) / (one_call + 5e-6)
    high = (loop + 5e-5) / max(one_call - 5e-6, 1e-9)
    assert low - 0.01 <= result["ratio"] <= high + 0.01
    assert result["met"] == (result["ratio"] >= result["target_ratio"] == 50)
    assert sum(result["label_counts"].values()) == 25


def test_subset_is_extrapolated_and_says_so():
    result = _bench().run(n=6, steps=10, subset=4, repeats=1)
    one = result["one_by_one"]
    assert one["timed_starts"] == 4 and "extrapolated" in one["mode"]
    assert abs(one["all_starts_s"] - one["timed_s"] * 36 / 4) < 1e-3


def test_script_prints_one_json_object():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--n", "3", "--steps", "5", "--repeats", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout)
    assert {"basin_map_s", "one_by_one", "ratio", "met"} <= set(result)
