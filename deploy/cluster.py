"""A local deployment: PostgreSQL, an optional Ray head, N Streamlit replicas and HAProxy, on 127.0.0.1.

    with start_cluster(replicas=2, port=8500, workdir=tmp) as cluster:
        cluster.url            # the balancer, http://127.0.0.1:8500
        cluster.replica_urls   # each replica, straight

or from a shell, in the foreground until Ctrl-C: `python -m deploy.cluster --replicas 2 --port 8500`
(`make serve-cluster REPLICAS=2 PORT=8500`).

Every replica reads the same run store: OPTIM_LAB_DATABASE_URL (PostgreSQL, or nothing for SQLite in the
shared runs folder) and OPTIM_LAB_RUNS_DIR (the folder every replica must share: checkpoints, weight
paths, uploads), and runs its own JobManager over that store (OPTIM_LAB_EXECUTOR: `local` or `ray`).
HAProxy pins each browser to one replica with a cookie (CLUSTER_COOKIE=r1, r2, ...): Streamlit keeps a
session's state, its websocket and its uploads in the process that serves it.

Each process runs in its own process group. stop() sends each server SIGTERM (a replica then stops its
training workers: their runs checkpoint and wait in the queue), then SIGKILLs whatever is left of its
group; on an error while starting too, so nothing outlives the cluster.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
HAPROXY_TEMPLATE = Path(__file__).with_name("haproxy.cfg")
CLUSTER_COOKIE = "OPTIMLAB"  # the balancer's affinity cookie; its value names the replica (r1, r2, ...)
REPLICA_HEADER = "X-Optimlab-Replica"  # the balancer adds it to every answer: the replica that answered
DATABASE_NAME = "optimlab"
DATABASES = ("postgresql", "sqlite")
EXECUTORS = ("local", "ray")
STOP_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def replica_name(index: int) -> str:
    """The balancer's name and cookie value of replica `index` (0-based): r1, r2, ..."""
    return f"r{index + 1}"


def haproxy_config(port: int, replica_ports: list[int]) -> str:
    """deploy/haproxy.cfg with the balancer's port and one `server` line per replica."""
    servers = "\n".join(
        f"    server {replica_name(i)} 127.0.0.1:{p} cookie {replica_name(i)}"
        for i, p in enumerate(replica_ports)
    )
    return Template(HAPROXY_TEMPLATE.read_text()).substitute(port=port, servers=servers)


def haproxy_binary() -> str:
    """Debian's haproxy (RuntimeError when it is not installed)."""
    path = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(path).exists():
        raise RuntimeError("haproxy is not installed: apt-get install haproxy (Debian's package)")
    return path


def streamlit_command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app" / "main.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--server.runOnSave",
        "false",
    ]


def http_status(url: str, headers: Mapping[str, str] | None = None, timeout: float = 2) -> tuple[int, Any]:
    """(status, headers) of a GET, (0, None) when nothing answers."""
    request = urllib.request.Request(url, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers
    except OSError:
        return 0, None


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen
    log: IO[str]


@dataclass
class Cluster:
    """A started deployment; stop() (or leaving the `with` block) ends every process it started."""

    url: str
    replica_urls: list[str]
    workdir: Path
    runs_dir: Path
    database_url: str | None  # None: SQLite in runs_dir
    executor: str
    ray_address: str | None = None
    cookie_name: str = CLUSTER_COOKIE
    replica_names: list[str] = field(default_factory=list)
    logs: dict[str, Path] = field(default_factory=dict)
    _processes: list[_Process] = field(default_factory=list, repr=False)
    _services: list[Any] = field(default_factory=list, repr=False)  # LocalPostgres, LocalRay: .stop()

    def pids(self) -> list[int]:
        """The process (and process group) ids of the replicas and the balancer."""
        return [p.popen.pid for p in self._processes]

    def stop(self) -> None:
        """End the balancer and the replicas (their workers too: each is a process group), then Ray and
        PostgreSQL. Safe to call twice."""
        processes, self._processes = self._processes[::-1], []
        for process in processes:  # each server first, so it stops what it started in order: a replica's
            # training workers checkpoint their runs and queue them again for another replica
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for process in processes:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process.popen, signal.SIGKILL)  # whatever is left of its group
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(5)
            process.log.close()
            Path(process.log.name).with_suffix(".pid").unlink(missing_ok=True)
        services, self._services = self._services[::-1], []
        for service in services:
            service.stop()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _signal_group(popen: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


def _spawn(cluster: Cluster, name: str, command: list[str], env: Mapping[str, str]) -> _Process:
    path = cluster.workdir / "logs" / f"{name}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    log = open(path, "w")  # noqa: SIM115 (closed by Cluster.stop)
    popen = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=dict(env), start_new_session=True
    )
    path.with_suffix(".pid").write_text(f"{popen.pid}\n")  # also its process group: kill -- -PID
    process = _Process(name, popen, log)
    cluster._processes.append(process)
    cluster.logs[name] = path
    return process


def _wait_until(ready: Callable[[], bool], process: _Process, what: str, deadline: float) -> None:
    while not ready():
        if process.popen.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.popen.returncode}; see {process.log.name}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready in time; see {process.log.name}")
        time.sleep(0.3)


def _start_database(cluster: Cluster, database: str, database_url: str | None) -> None:
    if database == "sqlite":
        return  # every replica opens <runs folder>/runs.sqlite
    if database_url:  # a server that outlives the cluster (the local one is thrown away at stop)
        cluster.database_url = database_url
        return
    from tools.local_postgres import LocalPostgres

    server = LocalPostgres(cluster.workdir / "postgres")
    cluster._services.append(server)
    server.start()
    cluster.database_url = server.create_database(DATABASE_NAME)


def _start_ray(cluster: Cluster) -> None:
    from tools.local_ray import LocalRay

    ray = LocalRay(cluster.workdir / "ray", num_cpus=2)
    cluster._services.append(ray)
    ray.start()
    cluster.ray_address = ray.address


def replica_env(cluster: Cluster, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment every replica gets: the shared store, the executor, Ray's address."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPTIM_LAB_DATABASE_URL", "RAY_ADDRESS")}
    env.update(
        OPTIM_LAB_RUNS_DIR=str(cluster.runs_dir), OPTIM_LAB_EXECUTOR=cluster.executor, PYTHONUNBUFFERED="1"
    )
    if cluster.database_url:
        env["OPTIM_LAB_DATABASE_URL"] = cluster.database_url
    if cluster.ray_address:
        env["RAY_ADDRESS"] = cluster.ray_address
    env.update(extra or {})
    return env


def start_cluster(
    replicas: int = 2,
    port: int = 0,
    workdir: str | Path = ROOT / "runs" / "cluster",
    database: str = "postgresql",
    executor: str = "local",
    *,
    env: Mapping[str, str] | None = None,
    database_url: str | None = None,
    timeout: float = 180,
) -> Cluster:
    """Start the database (PostgreSQL through tools/local_postgres.py, or SQLite in the shared runs
    folder), a Ray head when executor="ray" (tools/local_ray.py), `replicas` Streamlit servers on free
    ports, and HAProxy on 127.0.0.1:`port` (0: a free port); return once the balancer reaches every
    replica. `env`: more environment variables for the replicas; `database_url`: an existing PostgreSQL
    database instead of a local server started here (whose data is removed at stop). On any error
    everything started is stopped before the error propagates."""
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    if database not in DATABASES or executor not in EXECUTORS:
        raise ValueError(f"database must be one of {DATABASES}, executor one of {EXECUTORS}")
    if database_url and database != "postgresql":
        raise ValueError("database_url names a PostgreSQL database: database must be 'postgresql'")
    haproxy = haproxy_binary()
    workdir = Path(workdir).resolve()
    runs_dir = workdir / "runs"
    runs_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cluster = Cluster(f"http://127.0.0.1:{port}", [], workdir, runs_dir, None, executor)
    try:
        _start_database(cluster, database, database_url)
        if executor == "ray":
            _start_ray(cluster)
        deadline = time.monotonic() + timeout
        ports = [free_port() for _ in range(replicas)]
        started = [
            _spawn(cluster, replica_name(i), streamlit_command(p), replica_env(cluster, env))
            for i, p in enumerate(ports)
        ]
        for process, p in zip(started, ports, strict=True):
            url = f"http://127.0.0.1:{p}"
            _wait_until(functools.partial(_healthy, url), process, process.name, deadline)
            cluster.replica_urls.append(url)
            cluster.replica_names.append(process.name)
        config = workdir / "haproxy.cfg"
        config.write_text(haproxy_config(port, ports))
        balancer = _spawn(cluster, "haproxy", [haproxy, "-db", "-f", str(config)], os.environ)
        for name in cluster.replica_names:  # the balancer routes each replica's cookie to that replica
            _wait_until(functools.partial(_routes, cluster, name), balancer, f"haproxy -> {name}", deadline)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _healthy(url: str) -> bool:
    return http_status(f"{url}/_stcore/health")[0] == 200


def _routes(cluster: Cluster, name: str) -> bool:
    return _served_by(cluster, name) == name


def _served_by(cluster: Cluster, name: str) -> str | None:
    status, headers = http_status(
        f"{cluster.url}/_stcore/health", {"Cookie": f"{cluster.cookie_name}={name}"}
    )
    return headers.get(REPLICA_HEADER) if status == 200 and headers else None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--port", type=int, default=8500)
    parser.add_argument("--workdir", default=str(ROOT / "runs" / "cluster"), help="runs folder, logs (kept)")
    parser.add_argument("--database", choices=DATABASES, default="postgresql")
    parser.add_argument(
        "--database-url",
        help="an existing PostgreSQL database (SQLAlchemy URL); else a local server is started "
        "in the workdir and removed at the end, with the runs it holds",
    )
    parser.add_argument("--executor", choices=EXECUTORS, default="local")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM (kill, systemd) ends the cluster as Ctrl-C does
    try:
        with start_cluster(
            args.replicas,
            args.port,
            args.workdir,
            args.database,
            args.executor,
            database_url=args.database_url,
        ) as cluster:
            print(f"optim-lab: {cluster.url} -> {', '.join(cluster.replica_urls)}", flush=True)
            print(f"  database {cluster.database_url or 'SQLite in the runs folder'}", flush=True)
            print(
                f"  runs folder {cluster.runs_dir}; logs in {cluster.workdir / 'logs'}; Ctrl-C stops",
                flush=True,
            )
            while all(p.popen.poll() is None for p in cluster._processes):
                time.sleep(1)
            print("optim-lab: a process exited; stopping the cluster", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("optim-lab: stopped", flush=True)
        return 0


if __name__ == "__main__":
    sys.exit(main())
