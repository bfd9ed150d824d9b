"""The classroom load test's bookkeeping: its phases, what each tab did in each, and the JSON report.

bench_classroom.py runs the phases; a number here is computed from what the tabs recorded and the server
process's CPU seconds read at each phase's start and end.
"""

from __future__ import annotations

import dataclasses
import os
import time

import numpy as np

from tests.benchmarks.classroom_client import RunResult, cpu_seconds

CHANGE_EVERY_S = 2.0  # a Playground student's pace in class
PLAYGROUND_PHASES = ("playground_alone", "classroom", "saturation")
TRAINING_PHASES = ("training_alone", "classroom")
TARGETS = {  # issue 15
    "poll_server_cpu_s_max": 0.020,
    "poll_bytes_p95_max": 50_000,
    "playground_p95_s_max": 0.3,
    "viewer_behind_s_max": 3.0,
    "rss_after_over_before_max": 1.10,
}


@dataclasses.dataclass
class Tally:
    """What one page's tabs did in one phase: per change or poll, its latency, kind, bytes, lag."""

    latencies: list = dataclasses.field(default_factory=list)
    kinds: list = dataclasses.field(default_factory=list)
    sizes: list = dataclasses.field(default_factory=list)
    behind: list = dataclasses.field(default_factory=list)
    finished: list = dataclasses.field(default_factory=list)  # when each ended (time.perf_counter())
    skipped: int = 0  # polls: ticks the server folded away (see view); changes: late ones
    no_steps: int = 0  # polls after which no steps column was found (their lag is then unknown)


class Timeline:
    """The phases: which one a moment belongs to, and the server's CPU seconds over each."""

    def __init__(self, pid: int):
        self.pid = pid
        self.phases: dict[str, list[float]] = {}  # name -> [start, end, cpu at start, cpu at end]
        self.client: dict[str, list[float]] = {}  # name -> [this process's CPU at start, at end]
        self.load: dict[str, float] = {}  # name -> the machine's 1-minute load average at its end
        self.current: str | None = None
        self.tallies: dict[tuple[str, str], Tally] = {}  # (phase, "playground" or "training") -> what

    def begin(self, name: str) -> None:
        self.current = name
        self.phases[name] = [time.perf_counter(), float("inf"), cpu_seconds(self.pid), 0.0]
        self.client[name] = [time.process_time(), 0.0]
        self.tallies[name, "playground"], self.tallies[name, "training"] = Tally(), Tally()

    def end(self) -> None:
        name = self.current
        assert name is not None, "no phase began"
        phase = self.phases[name]
        phase[1], phase[3] = time.perf_counter(), cpu_seconds(self.pid)
        self.client[name][1] = time.process_time()
        self.load[name] = round(os.getloadavg()[0], 2)
        self.current = None

    def tally(self, at: float, page: str) -> Tally | None:
        """What `page`'s tabs did in the phase that moment belongs to (None: between phases)."""
        for name, (start, end, _, _) in self.phases.items():
            if start <= at < end:
                return self.tallies[name, page]
        return None
        return None

    def wall(self, name: str) -> float:
        start, end, _, _ = self.phases[name]
        return end - start

    def cpu(self, name: str) -> float:
        _, _, before, after = self.phases[name]
        return after - before


def record(tally: Tally | None, result: RunResult, errors: list, kind: str = "", behind: float = 0.0) -> None:
    """Note a finished change or poll in its phase's tally; any exception its page showed, in errors."""
    errors += result.exceptions()
    if tally is not None:
        tally.latencies.append(result.latency)
        tally.kinds.append(kind)
        tally.sizes.append(result.bytes)
        tally.behind.append(behind)
        tally.finished.append(result.finished_at)


def dist(values: list, digits: int = 4) -> dict | None:
    """n, median, 95th percentile, max (None for no values)."""
    if not values:
        return None
    p50, p95 = np.percentile(values, [50, 95])
    return {
        "n": len(values),
        "p50": round(float(p50), digits),
        "p95": round(float(p95), digits),
        "max": round(float(max(values)), digits),
    }


def playground_part(timeline: Timeline, name: str, alone: bool) -> dict:
    """The changes sent in the phase; `alone`: the server's CPU was theirs alone, so per change too."""
    tally, wall = timeline.tallies[name, "playground"], timeline.wall(name)
    n = len(tally.latencies)
    start, end, _, _ = timeline.phases[name]
    part = {
        "changes": n,  # sent in the phase
        "changes_per_s": round(n / wall, 2),
        # ended in the phase: the throughput when the server falls behind
        "changes_ended_per_s": round(sum(start <= t <= end for t in tally.finished) / wall, 2),
        "latency_s": dist(tally.latencies),
        "latency_by_kind_s": {
            kind: dist([lat for lat, k in zip(tally.latencies, tally.kinds, strict=True) if k == kind])
            for kind in sorted(set(tally.kinds))
        },
        "late_changes": tally.skipped,
    }
    if alone:
        part["server_cpu_per_change_s"] = round(timeline.cpu(name) / n, 4) if n else None
    return part


def training_part(timeline: Timeline, name: str, alone: bool) -> dict:
    """The polls sent in the phase; `alone`: the server's CPU was theirs alone, so per poll too."""
    tally, wall = timeline.tallies[name, "training"], timeline.wall(name)
    n = len(tally.sizes)
    part = {
        "polls": n,
        "polls_per_s": round(n / wall, 2),
        "poll_latency_s": dist(tally.latencies),
        "bytes_per_poll": dist(tally.sizes, 0),
        "bytes_per_poll_mean": round(float(np.mean(tally.sizes))) if n else None,
        "behind_s": dist(tally.behind, 2),
        "folded_ticks": tally.skipped,
        "polls_without_steps": tally.no_steps,  # ticks that came while a poll ran, beyond the one run next
    }
    if alone:
        part["server_cpu_per_poll_s"] = round(timeline.cpu(name) / n, 4) if n else None
    return part


def report(
    timeline: Timeline, sizes: dict, timing: dict, rss: dict, idle: dict, loads: list, errors: list
) -> dict:
    """The JSON object: a summary first (the classroom phase; CPU per change and per poll from the phases
    where they ran alone), then each phase's figures, the server's, and the issue's targets."""
    playground = {name: playground_part(timeline, name, name != "classroom") for name in PLAYGROUND_PHASES}
    training = {name: training_part(timeline, name, name != "classroom") for name in TRAINING_PHASES}
    mb = {key: round(value / 2**20, 1) for key, value in rss.items()}
    alone, both = training["training_alone"], training["classroom"]
    measured = {
        "poll_server_cpu_s": alone["server_cpu_per_poll_s"],
        "poll_bytes_p95": (alone["bytes_per_poll"] or {}).get("p95"),
        "playground_p95_s": (playground["classroom"]["latency_s"] or {}).get("p95"),
        "viewer_behind_s": (both["behind_s"] or {}).get("max"),
        "rss_after_over_before": round(rss["after_viewers_left"] / rss["before"], 3),
    }
    p = playground["classroom"]["latency_s"] or {}
    summary = {
        "playground_students": sizes["playground"],
        "training_viewers": sizes["training"],
        "changes_per_s": playground["classroom"]["changes_per_s"],
        "playground_latency_p50_s": p.get("p50"),
        "playground_latency_p95_s": p.get("p95"),
        "server_cpu_per_change_s": playground["playground_alone"]["server_cpu_per_change_s"],
        "server_cpu_per_poll_s": alone["server_cpu_per_poll_s"],
        "bytes_per_poll_mean": alone["bytes_per_poll_mean"],
        "viewer_behind_p95_s": (both["behind_s"] or {}).get("p95"),
        "viewer_behind_max_s": measured["viewer_behind_s"],
        "rss_mb_before_peak_after": [mb["before"], mb["peak"], mb["after_viewers_left"]],
        "saturation_changes_per_s": playground["saturation"]["changes_ended_per_s"],
    }
    return {
        "benchmark": "classroom",
        "summary": summary,
        "students": {"playground": sizes["playground"], "training": sizes["training"]},
        "seconds": {"classroom": timing["classroom"], "each_other_phase": timing["phase"]},
        "playground": {
            "change_every_s": CHANGE_EVERY_S,
            "saturation_changes_per_s": playground["saturation"]["changes_ended_per_s"],
            **playground,
        },
        "training": {"poll_interval_s": timing.get("poll_interval"), **training},
        "server": {
            "cpu_fraction_of_a_core": {
                # the last second of each settle (it waits up to a minute for < 0.05 of a core): above
                # that, the server was still busy (the rules' background compilation, a collection)
                **{name: round(value, 3) for name, value in idle.items()},
                **{name: round(timeline.cpu(name) / timeline.wall(name), 3) for name in timeline.phases},
            },
            "rss_mb": mb,
            # the machine: a busy one makes every latency longer than the server's CPU explains
            "machine_cores": os.cpu_count(),
            "machine_load_1min": timeline.load,
            "bench_client_cpu_fraction": {
                name: round((after - before) / timeline.wall(name), 3)
                for name, (before, after) in timeline.client.items()
            },
            "page_load_s": dist(loads),
        },
        "targets": {
            key: {
                "value": value,
                "max": TARGETS[f"{key}_max"],
                "met": value is not None and value <= TARGETS[f"{key}_max"],
            }
            for key, value in measured.items()
        },
        "errors": errors[:20],
        "error_count": len(errors),
        "setup": "localhost; one `streamlit run app/main.py`, 1 training worker x 1 torch thread, one run of "
        "3 lanes on digits training throughout; latencies measured in the client process",
    }
