"""The CNN landscape benchmark at its quick size: it runs and prints its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "bench_cnn_landscape.py"


def test_the_quick_benchmark_prints_its_figures():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--chunks", "2,4", "--vmap-chunk", "16"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stdout)
    assert report["points"] == 49 and report["images"] == 64 and report["grid"] == "7x7"
    assert set(report["by_chunk"]) == {"2", "4"} and report["batched"]["chunk"] in (2, 4)
    assert report["batched"]["wall_s"] > 0 and report["naive"]["wall_s"] > 0 and report["ratio_wall"] > 0
    assert report["max_abs_diff"] < 1e-4  # the paths computed the same surface
    assert report["vmap"]["chunk"] == 16 and report["vmap"]["max_abs_diff"] < 1e-4
    assert report["batched"]["method"] == "factored" and report["max_rel_diff"] < 1e-5
    assert report["packed"]["chunk"] == 8 and report["packed"]["max_abs_diff"] < 1e-4
    assert isinstance(report["target_met"], bool)
