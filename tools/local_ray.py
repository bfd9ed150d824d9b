"""A throwaway local Ray cluster for tests and the local deployment: `ray start --head` on 127.0.0.1.

    with LocalRay(workdir, num_cpus=2) as cluster:
        ray.init(address=cluster.address)  # or RAY_ADDRESS=cluster.address for the app

`ray start --head --block` runs in a session of its own, with a short temporary folder (Ray's Unix
socket paths must stay under ~107 characters), a fixed CPU count, no dashboard, usage stats off,
and every port it opens chosen free and bound to 127.0.0.1. `num_gpus` (default 0) is what the node
declares to Ray's scheduler. `.stop()` ends that session only: SIGTERM to
`ray start` (which then stops the processes it started), SIGKILL to whatever of its session is left, and
the temporary folder is removed. It never runs `ray stop`: that command stops every Ray process on the
machine (Ray 2.60 has no option to pick one cluster), other people's included. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 15.0
HOST = "127.0.0.1"


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports that are free on 127.0.0.1 now (held open together while picked)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _ray_executable() -> str:
    beside = Path(sys.executable).with_name("ray")  # the venv's, so the workers run this interpreter
    return str(beside) if beside.exists() else "ray"


class LocalRay:
    def __init__(self, workdir: str | Path, num_cpus: int = 2, num_gpus: int = 0, object_store_mb: int = 100):
        self.workdir = Path(workdir)
        self.num_cpus = int(num_cpus)
        self.num_gpus = int(num_gpus)  # declared to Ray: it schedules by the count, whatever the hardware
        self.object_store_mb = int(object_store_mb)
        self.temp_dir: Path | None = None
        self.address: str | None = None  # "127.0.0.1:<gcs port>" once started
        self._process: subprocess.Popen | None = None
        self._ports: list[int] = []

    def command(self, temp_dir: Path) -> list[str]:
        gcs, client, agent, agent_grpc, metrics, runtime_env, node_manager, objects = self._ports[:8]
        self.address = f"{HOST}:{gcs}"
        return [
            _ray_executable(),
            "start",
            "--head",
            "--block",
            f"--node-ip-address={HOST}",
            f"--port={gcs}",
            f"--ray-client-server-port={client}",
            f"--dashboard-agent-listen-port={agent}",
            f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--metrics-export-port={metrics}",
            f"--runtime-env-agent-port={runtime_env}",
            f"--node-manager-port={node_manager}",
            f"--object-manager-port={objects}",
            f"--num-cpus={self.num_cpus}",
            f"--num-gpus={self.num_gpus}",
            f"--object-store-memory={self.object_store_mb * 1024 * 1024}",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
        ]

    def start(self) -> LocalRay:
        if self._process is not None:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: socket paths
        self._ports = free_ports(10)
        env = {
            **os.environ,
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_ADDRESS": "",  # start a new cluster, never join one named in the environment
            # Said explicitly: `ray start` otherwise turns token auth on whenever ~/.ray/auth_token exists
            # (a local ray.init() writes one), and a driver given an address does not send it. The cluster
            # is reachable on 127.0.0.1 only and lives for one test session or local deployment.
            "RAY_AUTH_MODE": "disabled",
            # two metrics ports Ray otherwise fixes (44217, 44227): free ones, so clusters can coexist
            "AUTOSCALER_METRIC_PORT": str(self._ports[8]),
            "DASHBOARD_METRIC_PORT": str(self._ports[9]),
        }
        log = open(self.workdir / "ray-start.log", "wb")  # noqa: SIM115 (the child keeps writing to it)
        try:
            self._process = subprocess.Popen(
                self.command(self.temp_dir),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,  # its own process group: stop() ends exactly what it started
            )
        finally:
            log.close()
        try:
            self._wait_until_up()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_up(self) -> None:
        """Bounded: the GCS port accepts connections and `ray start` wrote its address file."""
        assert self._process is not None and self.address is not None and self.temp_dir is not None
        host, port = self.address.split(":")
        written = self.temp_dir / "ray_current_cluster"
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"ray start exited ({self._process.returncode}): {self.log_tail()}")
            if written.exists():
                with socket.socket() as s:
                    s.settimeout(1.0)
                    if s.connect_ex((host, int(port))) == 0:
                        return
            time.sleep(0.2)
        raise TimeoutError(f"Ray did not start within {START_TIMEOUT_S} s: {self.log_tail()}")

    def log_tail(self, chars: int = 2000) -> str:
        path = self.workdir / "ray-start.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    @property
    def session(self) -> int | None:
        """The session id of every process of this cluster: the pid of its `ray start`."""
        return self._process.pid if self._process is not None else None

    def pids(self) -> list[int]:
        """The live processes of this cluster (its session): ray start, GCS, raylet, agents, workers."""
        return session_pids(self._process.pid) if self._process is not None else []

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # ray start --block stops what it started
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    pass
            left = session_pids(process.pid)
            for pid in left:  # whatever of its session is still there (never other people's)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            process.wait(STOP_TIMEOUT_S)
            _wait_gone(left, process.pid)
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None
        self.address = None

    def __enter__(self) -> LocalRay:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def session_pids(session: int) -> list[int]:
    """The live processes whose session id is `session`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return found


def _wait_gone(pids: list[int], session: int, timeout: float = STOP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    for pid in pids:
        while time.monotonic() < deadline:
            try:
                if os.getsid(pid) != session:
                    break
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        break
            except (ProcessLookupError, OSError):
                break
            time.sleep(0.05)
