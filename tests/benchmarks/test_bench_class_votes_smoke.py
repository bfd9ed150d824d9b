"""The class-vote load test with two students, so the script cannot rot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "bench_class_votes.py"


def test_two_students_vote_and_every_vote_is_counted_and_shown():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--students", "2", "--spread", "1"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["error_count"] == 0, report["errors"]
    assert (
        report["votes_sent"] == report["votes_counted_in_store"] == report["votes_shown_to_instructor"] == 2
    )
    assert report["tally_never_caught_up"] == 0
    assert 0 < report["vote_latency_s"]["max"] < 60 and 0 <= report["tally_behind_s"]["max"] < 30
    assert report["reveal_reached_all_s"] is not None and 0 < report["reveal_reached_all_s"] < 20
    # a poll while nothing changed draws nothing (only the run's start and end messages go out)
    assert report["student_polls_drawing_nothing"] == report["student_polls"] > 0
    assert set(report["targets"]) == {"votes_done_s", "tally_behind_s"}
    for target in report["targets"].values():
        assert target["met"] == (target["value"] is not None and target["value"] <= target["max"])
