"""deploy/: the local cluster (HAProxy with sticky sessions in front of Streamlit replicas over one run store)
starts, routes each browser by its cookie, and leaves no process behind, whether it stops normally, fails
while starting, or gets Ctrl-C; the Kubernetes example is a valid manifest with what a replica needs.

The browser test through the balancer is tests/browser/test_cluster_browser.py.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from deploy import cluster as deploy_cluster
from deploy.cluster import (
    CLUSTER_COOKIE,
    REPLICA_HEADER,
    free_port,
    haproxy_config,
    http_status,
    start_cluster,
)

ROOT = Path(__file__).resolve().parents[2]
QUIET = {"OPTIM_LAB_WARM_UP": "0"}  # no numba compilation in the background: two cores, many tests
# `make test` installs Debian's haproxy (Makefile: system-packages); `make test-fast` may run without it
needs_haproxy = pytest.mark.skipif(
    shutil.which("haproxy") is None and not Path("/usr/sbin/haproxy").exists(),
    reason="haproxy is not installed",
)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _served_by(url: str, cookie: str | None = None, timeout: float = 2) -> tuple[str | None, str]:
    status, headers = http_status(url, {"Cookie": f"{CLUSTER_COOKIE}={cookie}"} if cookie else None, timeout)
    assert status == 200, (url, status)
    return headers.get(REPLICA_HEADER), headers.get("Set-Cookie") or ""


# ---- the configuration ---------------------------------------------------------------------------------
@needs_haproxy
def test_the_haproxy_config_pins_browsers_by_cookie_and_checks_health(tmp_path):
    text = haproxy_config(8500, [9001, 9002])
    assert "bind 127.0.0.1:8500" in text
    assert "server r1 127.0.0.1:9001 cookie r1" in text and "server r2 127.0.0.1:9002 cookie r2" in text
    assert f"cookie {CLUSTER_COOKIE} insert indirect nocache" in text
    assert "option httpchk GET /_stcore/health" in text and "timeout tunnel 1h" in text
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    check = subprocess.run(
        [deploy_cluster.haproxy_binary(), "-c", "-f", str(path)], capture_output=True, text=True, timeout=30
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_kubernetes_example_is_a_manifest_with_what_replicas_share():
    docs = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())}
    assert set(docs) == {"PersistentVolumeClaim", "Deployment", "Service", "Ingress"}
    deployment = docs["Deployment"]["spec"]
    assert deployment["replicas"] > 1
    container = deployment["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    for secret in ("OPTIM_LAB_DATABASE_URL", "OPTIM_LAB_ADMIN_TOKEN"):
        assert "secretKeyRef" in env[secret]["valueFrom"], secret
    assert env["OPTIM_LAB_EXECUTOR"]["value"] == "ray" and env["RAY_ADDRESS"]["value"]
    mount = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volume = deployment["template"]["spec"]["volumes"][0]
    assert mount[volume["name"]] == env["OPTIM_LAB_RUNS_DIR"]["value"]
    claim = docs["PersistentVolumeClaim"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/health"
    assert docs["Service"]["spec"]["sessionAffinity"] == "ClientIP"
    annotations = docs["Ingress"]["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


# ---- a running cluster -----------------------------------------------------------------------------------
@needs_haproxy
def test_a_cluster_routes_by_cookie_shares_one_store_and_stops_every_process(tmp_path):
    with start_cluster(2, 0, tmp_path, database="sqlite", env=QUIET) as cluster:
        assert len(cluster.replica_urls) == 2 and cluster.url.startswith("http://127.0.0.1:")
        # without a cookie the balancer takes turns, and hands out the cookie of the replica it chose
        first = [_served_by(cluster.url + "/") for _ in range(4)]
        assert {name for name, _ in first} == {"r1", "r2"}
        for name, cookie in first:
            assert cookie.startswith(f"{CLUSTER_COOKIE}={name}")
        # with a cookie, always that replica (and no new cookie)
        for name in ("r2", "r1", "r2", "r2"):
            assert _served_by(cluster.url + "/", name) == (name, "")
        environs = [_environ(pid) for pid in cluster.pids()[:2]]
        for env in environs:
            assert env["OPTIM_LAB_RUNS_DIR"] == str(cluster.runs_dir)
            assert env["OPTIM_LAB_EXECUTOR"] == "local" and "OPTIM_LAB_DATABASE_URL" not in env
        groups = cluster.pids()
        assert all(_group_alive(g) for g in groups)
    assert not any(_group_alive(g) for g in groups)
    assert http_status(cluster.url + "/_stcore/health")[0] == 0
    cluster.stop()  # a second stop does nothing


@needs_haproxy
def test_a_cluster_on_an_existing_database_hands_its_url_to_every_replica(tmp_path):
    url = "postgresql+psycopg://optimlab@/optimlab?host=/run/postgresql"  # not opened until a page runs
    with start_cluster(2, 0, tmp_path, database_url=url, env=QUIET) as cluster:
        assert cluster.database_url == url and not (tmp_path / "postgres").exists()  # none started here
        for pid in cluster.pids()[:2]:
            assert _environ(pid)["OPTIM_LAB_DATABASE_URL"] == url


@needs_haproxy
def test_a_replica_that_dies_is_taken_out_and_its_browsers_go_to_another(tmp_path):
    with start_cluster(2, 0, tmp_path, database="sqlite", env=QUIET) as cluster:
        os.killpg(cluster.pids()[0], signal.SIGKILL)  # r1 and everything it started
        deadline = time.monotonic() + 20  # health checks every 2 s, down after 3 failures
        # at once: a refused connection is retried on another replica (a second or two later, until the
        # health checks take r1 out)
        served = [_served_by(cluster.url + "/", "r1", timeout=10)]
        while served[-1][0] != "r2" or "r1" not in cluster_log_down(cluster):
            assert time.monotonic() < deadline, served
            time.sleep(0.5)
            served.append(_served_by(cluster.url + "/", "r1", timeout=10))
        assert served[0][0] == "r2" and served[-1][1].startswith(f"{CLUSTER_COOKIE}=r2")


def cluster_log_down(cluster) -> str:
    """The replicas the balancer's health checks took out, from its log."""
    log = cluster.logs["haproxy"].read_text()
    return " ".join(m.group(1) for m in re.finditer(r"Server replicas/(r\d+) is DOWN", log))


@needs_haproxy
def test_a_cluster_that_fails_to_start_stops_what_it_started(tmp_path, monkeypatch):
    spawned: list[subprocess.Popen] = []
    real_spawn, real_command = deploy_cluster._spawn, deploy_cluster.streamlit_command
    commands = iter([None, [sys.executable, "-c", "import time; time.sleep(120)"]])

    def spawn(*args, **kwargs):
        process = real_spawn(*args, **kwargs)
        spawned.append(process.popen)
        return process

    def command(port):  # the first replica is real, the second never answers
        return next(commands) or real_command(port)

    monkeypatch.setattr(deploy_cluster, "_spawn", spawn)
    monkeypatch.setattr(deploy_cluster, "streamlit_command", command)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="r2 not ready"):
        start_cluster(2, 0, tmp_path, database="sqlite", env=QUIET, timeout=15)
    assert time.monotonic() - started < 40
    assert len(spawned) == 2
    assert all(p.returncode is not None for p in spawned)
    assert not any(_group_alive(p.pid) for p in spawned)


@needs_haproxy
def test_the_command_runs_in_the_foreground_until_ctrl_c(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "deploy.cluster", "--replicas", "1", "--port", str(port)]
    command += ["--database", "sqlite", "--workdir", str(tmp_path)]
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **QUIET}, stdout=subprocess.PIPE, text=True
    )
    try:
        banner = process.stdout.readline()  # printed once the balancer reaches every replica
        assert f"http://127.0.0.1:{port}" in banner, banner
        assert _served_by(f"http://127.0.0.1:{port}/")[0] == "r1"
        replica = int(Path(tmp_path / "logs" / "r1.pid").read_text())
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    assert not _group_alive(replica)
    assert http_status(f"http://127.0.0.1:{port}/_stcore/health")[0] == 0
