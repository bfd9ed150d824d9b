"""The Training page's poll benchmark at its quick size: it runs and prints its figures as JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "bench_training_poll.py"


def test_the_quick_benchmark_prints_its_figures():
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=300, check=True
    )
    report = json.loads(done.stdout)
    assert report["polls"] == 3 and report["steps_at_start"] == 300
    assert 0 < report["cpu_ms_per_poll"]["median"] <= report["cpu_ms_per_poll"]["max"]
    assert 0 < report["bytes_per_poll"]["median"] <= report["bytes_per_poll"]["max"]
    assert report["second_viewer_cpu_ms_per_poll"]["median"] > 0
    assert isinstance(report["target_met"], bool)
