"""The classroom load test's bookkeeping: its phases, what each tab did in each, and the JSON report.

bench_classroom.py runs the phases; a number here is computed from what the tabs recorded and the CPU
seconds of the processes behind the address (classroom_cluster.Target.cpu) read at each phase's start and
end; `scaling` reads the reports of several replica counts side by side.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable

import numpy as np

from tests.benchmarks.classroom_client import RunResult

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
BUSY = 0.9  # a fraction of one core (a replica, the client) or of all the machine's cores: at its limit
DATABASE_BUSY = 0.5  # of a core: the database's processes that busy hold a change back


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
    """The phases: which one a moment belongs to, and the CPU seconds of the processes over each.

    `probe()` reads the CPU seconds so far: "server" (the app's processes together) and any other counter
    (each replica, the balancer, the database, the machine: see classroom_cluster.Target.cpu)."""

    def __init__(self, probe: Callable[[], dict[str, float]]):
        self.probe = probe
        self.phases: dict[str, list[float]] = {}  # name -> [start, end]
        self.counters: dict[str, list[dict[str, float]]] = {}  # name -> [probe() at start, at end]
        self.client: dict[str, list[float]] = {}  # name -> [this process's CPU at start, at end]
        self.load: dict[str, float] = {}  # name -> the machine's 1-minute load average at its end
        self.current: str | None = None
        self.tallies: dict[tuple[str, str], Tally] = {}  # (phase, "playground" or "training") -> what

    def begin(self, name: str) -> None:
        self.current = name
        self.phases[name] = [time.perf_counter(), float("inf")]
        self.counters[name] = [self.probe(), {}]
        self.client[name] = [time.process_time(), 0.0]
        self.tallies[name, "playground"], self.tallies[name, "training"] = Tally(), Tally()

    def end(self) -> None:
        name = self.current
        assert name is not None, "no phase began"
        self.phases[name][1] = time.perf_counter()
        self.counters[name][1] = self.probe()
        self.client[name][1] = time.process_time()
        self.load[name] = round(os.getloadavg()[0], 2)
        self.current = None

    def tally(self, at: float, page: str) -> Tally | None:
        """What `page`'s tabs did in the phase that moment belongs to (None: between phases)."""
        for name, (start, end) in self.phases.items():
            if start <= at < end:
                return self.tallies[name, page]
        return None

    def wall(self, name: str) -> float:
        start, end = self.phases[name]
        return end - start

    def cpu(self, name: str, counter: str = "server") -> float:
        """The CPU seconds `counter` used over the phase."""
        before, after = self.counters[name]
        return after[counter] - before[counter]

    def cpu_fractions(self, name: str) -> dict[str, float]:
        """Each counter's CPU over the phase, as a fraction of one core; the machine's busy fraction of
        all its cores; the benchmark client's (this process) fraction of one core."""
        before, after = self.counters[name]
        wall = self.wall(name)
        fractions = {
            key: round((after[key] - before[key]) / wall, 3)
            for key in before
            if not key.startswith("machine_")
        }
        start, end = self.client[name]
        fractions["bench_client"] = round((end - start) / wall, 3)
        if "machine_busy" in before:
            busy = after["machine_busy"] - before["machine_busy"]
            every = after["machine_all"] - before["machine_all"]
            fractions["machine_busy_of_all_cores"] = round(busy / every, 3) if every else 0.0
            # what the machine's cores did besides the processes above (other jobs on the machine)
            known = sum(fractions[k] for k in fractions if k != "server" and not k.startswith("machine_"))
            fractions["other_processes"] = round(max(0.0, busy / wall - known), 3)
        return fractions


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
    start, end = timeline.phases[name]
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


def saturation_limit(fractions: dict, lock_waits_max: int | None) -> dict:
    """What held the saturation phase back, read from its CPU fractions: the machine's cores all busy, a
    replica's process at one core (a Streamlit server runs its scripts under one GIL), the benchmark's
    own client at one core, or the database (its processes busy, or sessions waiting on locks)."""
    replicas = [value for key, value in fractions.items() if key.startswith("replica_")]
    figures = {
        "machine_busy_of_all_cores": fractions.get("machine_busy_of_all_cores"),
        "busiest_replica_of_a_core": max(replicas, default=None),
        "database_of_a_core": fractions.get("database"),
        "balancer_of_a_core": fractions.get("balancer"),
        "server_children_of_a_core": fractions.get("server_children"),
        "bench_client_of_a_core": fractions["bench_client"],
        "other_processes_of_a_core": fractions.get("other_processes"),
        "database_lock_waits_max": lock_waits_max,
    }
    at_limit = {
        "machine_cpu": (figures["machine_busy_of_all_cores"] or 0) >= BUSY,
        "replica_process": (figures["busiest_replica_of_a_core"] or 0) >= BUSY,
        "bench_client": figures["bench_client_of_a_core"] >= BUSY,
        "database": (figures["database_of_a_core"] or 0) >= DATABASE_BUSY or bool(lock_waits_max),
    }
    return {"limited_by": [key for key, hit in at_limit.items() if hit] or ["none_found"], **figures}


def processes_part(timeline: Timeline, processes: dict) -> dict:
    """The processes behind the address: CPU of each per phase, each replica's memory, how the tabs
    spread over the replicas, and what limited the saturation phase."""
    by_phase = {name: timeline.cpu_fractions(name) for name in timeline.phases}
    locks = processes.get("lock_waits_max", {})
    return {
        "replicas": processes["replicas"],
        "database": processes["database"],
        "spread": processes["spread"],
        "cpu_fraction_by_phase": by_phase,
        "rss_mb_per_replica": {
            key: [round(value / 2**20, 1) for value in values]
            for key, values in processes["rss_per_replica"].items()
        },
        "database_lock_waits_max": locks,
        "saturation_limit": saturation_limit(by_phase["saturation"], locks.get("saturation")),
    }


def report(
    timeline: Timeline,
    sizes: dict,
    timing: dict,
    rss: dict,
    idle: dict,
    loads: list,
    errors: list,
    processes: dict,
) -> dict:
    """The JSON object: a summary first (the classroom phase; CPU per change and per poll from the phases
    where they ran alone), then each phase's figures, the server's (its replicas' together), the
    processes one by one, and the issue's targets."""
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
    behind = processes_part(timeline, processes)
    summary["replicas"] = behind["replicas"]
    summary["saturation_limited_by"] = behind["saturation_limit"]["limited_by"]
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
        "processes": behind,
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
        "setup": f"localhost; {processes['setup']}, 1 training worker x 1 torch thread per server, one run "
        "of 3 lanes on digits training throughout; latencies measured in the client process",
    }


def per_unit(one: dict) -> dict:
    """What the database and the balancer cost per unit of load: the database's CPU seconds per Training
    poll (its CPU in the viewers' phase over the Playground's phase, where the same run trained: the
    Playground reads no store), the balancer's per change (in saturation, changes were all it carried)."""
    by_phase = one["processes"]["cpu_fraction_by_phase"]
    alone, playing = by_phase["training_alone"], by_phase["playground_alone"]
    polls = one["training"]["training_alone"]["polls_per_s"]
    changes = one["playground"]["saturation"]["changes_ended_per_s"]
    balancer = by_phase["saturation"].get("balancer")
    database = None
    if "database" in alone and polls:
        database = round(max(0.0, alone["database"] - playing["database"]) / polls, 4)
    return {
        "database_cpu_per_poll_s": database,
        "balancer_cpu_per_change_s": round(balancer / changes, 5)
        if balancer is not None and changes
        else None,
    }


def scaling(reports: dict[str, dict]) -> dict:
    """Each replica count's report (keyed by the count) read side by side: what one holds, what two hold.

    `students_held` is the saturation throughput over a student's pace (a change every CHANGE_EVERY_S):
    how many Playground students those replicas keep up with when nothing else runs."""
    rows = {}
    for count, one in reports.items():
        saturation, behind = one["playground"]["saturation"], one["processes"]
        cpu = behind["cpu_fraction_by_phase"]["saturation"]
        rows[count] = {
            "saturation_changes_per_s": saturation["changes_ended_per_s"],
            "students_held": round(saturation["changes_ended_per_s"] * CHANGE_EVERY_S, 1),
            "saturation_latency_s": saturation["latency_s"],
            "classroom_change_p50_s": one["summary"]["playground_latency_p50_s"],
            "classroom_change_p95_s": one["summary"]["playground_latency_p95_s"],
            "poll_behind_p95_s": one["summary"]["viewer_behind_p95_s"],
            "poll_behind_max_s": one["summary"]["viewer_behind_max_s"],
            "bytes_per_poll_mean": one["summary"]["bytes_per_poll_mean"],
            "server_cpu_per_change_s": one["summary"]["server_cpu_per_change_s"],
            "server_cpu_per_poll_s": one["summary"]["server_cpu_per_poll_s"],
            **per_unit(one),
            "saturation_cpu_of_a_core": cpu,
            "rss_mb_per_replica": behind["rss_mb_per_replica"],
            "limited_by": behind["saturation_limit"]["limited_by"],
            "tabs_per_replica": behind["spread"]["by_replica_answering"],
            "tabs_that_hopped": behind["spread"]["tabs_that_hopped"],
        }
    first, base = min(rows, key=int), rows[min(rows, key=int)]["saturation_changes_per_s"]
    ratios = {  # each count's saturation throughput over the smallest count's
        f"{count}_over_{first}": round(row["saturation_changes_per_s"] / base, 2) if base else None
        for count, row in rows.items()
        if count != first
    }
    return {
        "scaling": rows,
        "saturation_ratio": ratios,
        "machine_cores": os.cpu_count(),
    }
