"""The classroom load test with one Playground student and one Training viewer, so the script cannot rot:
on one server reached directly, and through the load balancer with 1 then 2 replicas in one run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "bench_classroom.py"
LIMITS = {"machine_cpu", "replica_process", "bench_client", "database", "none_found"}


def bench(*args: str, timeout: float) -> dict:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def check_report(report: dict) -> None:
    """One server's (or one replica count's) report: every phase ran, its figures are sane."""
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

    processes = report["processes"]
    n = processes["replicas"]
    saturation = processes["cpu_fraction_by_phase"]["saturation"]
    assert 0 < saturation["machine_busy_of_all_cores"] <= 1
    replicas = sum(saturation[f"replica_{i + 1}"] for i in range(n))
    assert abs(saturation["server"] - replicas) < 0.01  # the server: its replicas' processes together
    assert saturation["server_children"] > 0  # the run trained all along, in a replica's worker
    assert all(len(values) == n for values in processes["rss_mb_per_replica"].values())
    limit = processes["saturation_limit"]
    assert limit["limited_by"] and set(limit["limited_by"]) <= LIMITS
    assert report["summary"]["saturation_limited_by"] == limit["limited_by"]
    assert processes["spread"]["tabs"] == 2 and processes["spread"]["tabs_that_hopped"] == 0


def test_quick_classroom_reports_sane_figures():
    report = bench("--direct", timeout=240)
    check_report(report)
    processes = report["processes"]
    assert processes["replicas"] == 1 and processes["database"] == "sqlite"
    assert processes["spread"]["by_cookie"] == {"(none)": 2}  # no balancer, no affinity cookie


def cluster_installed() -> None:
    """HAProxy and PostgreSQL (`make test` installs both): missing, the test fails under CI, else skips."""
    from deploy.cluster import haproxy_binary
    from tools.local_postgres import find_bindir

    try:
        haproxy_binary()
        find_bindir()
    except RuntimeError as missing:
        if os.environ.get("CI"):
            pytest.fail(str(missing), pytrace=False)
        pytest.skip(str(missing))


def test_quick_classroom_through_the_balancer_with_1_then_2_replicas():
    from deploy.cluster import CLUSTER_COOKIE

    cluster_installed()
    result = bench("--replicas", "1,2", timeout=300)
    assert result["replica_counts"] == [1, 2]
    assert set(result["by_replicas"]) == set(result["scaling"]) == {"1", "2"}
    for count, report in result["by_replicas"].items():
        check_report(report)
        processes = report["processes"]
        names = {f"r{i + 1}" for i in range(int(count))}
        assert processes["replicas"] == int(count) and processes["database"] == "postgresql"
        # each tab holds the balancer's cookie and was answered by the replica it names, every request
        spread = processes["spread"]
        by_cookie = {key.split("=", 1)[1]: n for key, n in spread["by_cookie"].items()}
        assert {key.split("=", 1)[0] for key in spread["by_cookie"]} == {CLUSTER_COOKIE}
        assert by_cookie == spread["by_replica_answering"] and set(by_cookie) == names  # 2: both used
        saturation = processes["cpu_fraction_by_phase"]["saturation"]
        assert saturation["database"] >= 0 and saturation["balancer"] >= 0  # found and read
        locks = processes["database_lock_waits_max"]  # sampled every 0.5 s: a short phase may get none
        assert locks and set(locks) <= set(processes["cpu_fraction_by_phase"]) and min(locks.values()) >= 0
        row = result["scaling"][count]
        assert row["saturation_changes_per_s"] == report["playground"]["saturation"]["changes_ended_per_s"]
        assert row["students_held"] == round(row["saturation_changes_per_s"] * 2, 1)
        assert row["tabs_per_replica"] == spread["by_replica_answering"]
        assert row["database_cpu_per_poll_s"] >= 0 and row["balancer_cpu_per_change_s"] >= 0
    ratio = (
        result["scaling"]["2"]["saturation_changes_per_s"]
        / result["scaling"]["1"]["saturation_changes_per_s"]
    )
    assert result["saturation_ratio"] == {"2_over_1": round(ratio, 2)}


def test_a_tab_keeps_the_balancers_cookie_and_notes_when_it_is_replaced():
    from tests.benchmarks.classroom_client import CookieJar

    jar = CookieJar()
    jar.take(["OPTIMLAB=r2; path=/; HttpOnly", "_streamlit_xsrf=2|ab|cd|1; Path=/; SameSite=Strict"])
    assert jar.header() == {"Cookie": "OPTIMLAB=r2; _streamlit_xsrf=2|ab|cd|1"}
    assert jar.sticky() == {"OPTIMLAB": "r2"} and jar.replaced == []
    jar.take(["_streamlit_xsrf=2|ef|gh|2; Path=/"])  # Streamlit renews its own: not a hop
    jar.take(["OPTIMLAB=r2; path=/"])  # the same replica again: not a hop
    assert jar.replaced == []
    jar.take(["OPTIMLAB=r1; path=/"])  # the balancer moved the tab
    assert jar.sticky() == {"OPTIMLAB": "r1"} and jar.replaced == [("OPTIMLAB", "r2", "r1")]


def test_the_saturation_limit_names_what_was_busy():
    from tests.benchmarks.classroom_report import saturation_limit

    quiet = {"replica_1": 0.3, "database": 0.05, "bench_client": 0.1, "machine_busy_of_all_cores": 0.4}
    assert saturation_limit(quiet, 0)["limited_by"] == ["none_found"]
    gil = {**quiet, "replica_1": 0.97, "machine_busy_of_all_cores": 0.6}
    assert saturation_limit(gil, 0)["limited_by"] == ["replica_process"]
    full = {**quiet, "replica_2": 0.95, "machine_busy_of_all_cores": 0.99}
    assert saturation_limit(full, 0)["limited_by"] == ["machine_cpu", "replica_process"]
    assert saturation_limit(quiet, 3)["limited_by"] == ["database"]  # sessions waited on locks
    assert saturation_limit({**quiet, "database": 0.8}, None)["limited_by"] == ["database"]
