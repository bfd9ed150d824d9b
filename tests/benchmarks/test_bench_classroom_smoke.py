"""The classroom load test with one Playground student and one Training viewer, so the script cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "bench_classroom.py"


def test_quick_classroom_reports_sane_figures():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["students"] == {"playground": 1, "training": 1}
    assert report["error_count"] == 0, report["errors"]  # no tab broke, no page showed an exception

    playground = report["playground"]
    for name in ("playground_alone", "classroom", "saturation"):
        part = playground[name]
        assert part["changes"] >= 1, name
        assert 0 < part["latency_s"]["p50"] <= part["latency_s"]["p95"] <= part["latency_s"]["max"] < 60
        assert sum(d["n"] for d in part["latency_by_kind_s"].values()) == part["changes"]
    assert playground["playground_alone"]["server_cpu_per_change_s"] > 0
    assert playground["saturation_changes_per_s"] == playground["saturation"]["changes_ended_per_s"] > 0

    training = report["training"]
    assert training["poll_interval_s"] > 0  # the run view polls (its fragment's run_every)
    for name in ("training_alone", "classroom"):
        part = training[name]
        assert part["polls"] >= 1, name
        assert part["bytes_per_poll"]["p50"] > 0
        # every poll showed the run table's steps, and the viewer kept up with the store within a few polls
        assert part["polls_without_steps"] == 0
        assert 0 <= part["behind_s"]["max"] < 30
    assert training["training_alone"]["server_cpu_per_poll_s"] > 0

    rss = report["server"]["rss_mb"]
    assert 50 < rss["before"] <= rss["peak"] and rss["after_viewers_left"] <= rss["peak"]
    assert all(0 <= f < 4 for f in report["server"]["cpu_fraction_of_a_core"].values())
    assert set(report["targets"]) == {
        "poll_server_cpu_s",
        "poll_bytes_p95",
        "playground_p95_s",
        "viewer_behind_s",
        "rss_after_over_before",
    }
    for target in report["targets"].values():
        assert target["met"] == (target["value"] <= target["max"])
