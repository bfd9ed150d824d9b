"""Where the classroom benchmark points, and what it reads of the processes behind that address.

A `Target` is one `streamlit run` reached directly (`direct`), or a cluster of N replicas behind the
load balancer, started by `deploy.cluster.start_cluster` (`cluster`). Either way the benchmark talks to
`target.url` only; this module finds the processes behind it from /proc (Linux), whoever started them:
each replica is the process listening on its port, the balancer the one listening on the balancer's
port, the database PostgreSQL's postmaster (the process listening on its Unix socket).

CPU is read as seconds so far, per process: a replica's own (not its training workers', as before), its
children's apart (`server_children`), and the database's whole tree (the postmaster, its live backends,
and the backends that already exited: the postmaster reaped them, so their CPU is in its children's
fields). The machine's from /proc/stat.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy

from optim_core.training.store import RunStore
from tests.benchmarks.classroom_client import free_port, rss_bytes, streamlit_server

ROOT = Path(__file__).resolve().parents[2]
TCP_LISTEN = "0A"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------- /proc


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()  # from the state on: the name may hold spaces


def _sockets(state: str, port: int) -> set[str]:
    """The inodes of the TCP sockets in `state` on local `port`, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as f:
            for line in list(f)[1:]:
                cols = line.split()
                if cols[3] == state and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    found.add(cols[9])
    return found


def _owner(inodes: set[str]) -> int:
    """The process holding a socket with one of these inodes."""
    targets = {f"socket:[{inode}]" for inode in inodes}
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                        return pid
    raise LookupError(f"no process holds socket {sorted(inodes)}")


def listener_pid(port: int) -> int:
    """The process listening on this TCP port."""
    inodes = _sockets(TCP_LISTEN, port)
    if not inodes:
        raise LookupError(f"nothing listens on port {port}")
    return _owner(inodes)


def unix_listener_pid(path: str) -> int:
    """The process listening on this Unix socket."""
    with open("/proc/net/unix") as f:
        inodes = {cols[6] for cols in (line.split() for line in list(f)[1:]) if cols[7:] == [path]}
    if not inodes:
        raise LookupError(f"nothing listens on {path}")
    return _owner(inodes)


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and all its descendants, the exited ones (reaped) included."""
    children: dict[int, list[int]] = {}
    own: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = _stat(int(entry))
            children.setdefault(int(fields[1]), []).append(int(entry))  # ppid
            # utime + stime + cutime + cstime
            own[int(entry)] = sum(int(x) for x in fields[11:15]) / CLK_TCK
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += own.get(current, 0.0)
        stack += children.get(current, [])
    return total


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine so far, summed over its cores."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]  # user nice system idle iowait irq softirq steal
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / CLK_TCK, sum(ticks) / CLK_TCK


# ---------------------------------------------------------------------------------------- targets


@dataclass
class Target:
    """What the benchmark drives: `url` (the balancer's, or the one server's) and the processes behind."""

    url: str
    replica_ports: list[int]
    store: RunStore
    database: str  # "sqlite" (in the replicas' own processes) or "postgresql"
    replica_pids: list[int] = field(default_factory=list)
    balancer_pid: int | None = None
    database_pid: int | None = None  # PostgreSQL's postmaster
    database_url: str | None = None
    pins: list[dict[str, str]] = field(default_factory=lambda: [{}])  # cookies that reach each replica
    _engine: sqlalchemy.Engine | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.replica_pids = [listener_pid(port) for port in self.replica_ports]

    @property
    def setup(self) -> str:
        if self.balancer_pid is None:
            return "one `streamlit run app/main.py` reached directly, its run store on SQLite"
        return (
            f"{self.replicas} `streamlit run app/main.py` replica(s) behind HAProxy (sticky cookie), "
            f"the run store on {self.database}"
        )

    def lock_waits(self) -> int | None:
        """PostgreSQL's sessions waiting on a lock now (None: not PostgreSQL)."""
        if self.database_url is None or not self.database_url.startswith("postgresql"):
            return None
        if self._engine is None:
            self._engine = sqlalchemy.create_engine(self.database_url, pool_size=1)
        with self._engine.connect() as connection:
            query = "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
            return int(connection.execute(sqlalchemy.text(query)).scalar_one())

    def close(self) -> None:
        """Close the benchmark's own connections: its store's, and the one that watched the locks."""
        if self._engine is not None:
            self._engine.dispose()
        self.store.close()

    @property
    def replicas(self) -> int:
        return len(self.replica_ports)

    def server_cpu(self) -> float:
        """CPU seconds so far of the replicas' processes together."""
        return sum(cpu_seconds_of(pid) for pid in self.replica_pids)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far: "server" (the replicas' processes together), each replica, their children
        (training workers, compile children), the balancer, the database (PostgreSQL's processes), the
        machine (busy and all, summed over cores)."""
        per_replica = [cpu_seconds_of(pid) for pid in self.replica_pids]
        trees = [tree_cpu_seconds(pid) for pid in self.replica_pids]
        busy, every = machine_cpu_seconds()
        counters = {"server": sum(per_replica), "machine_busy": busy, "machine_all": every}
        counters["server_children"] = sum(trees) - sum(per_replica)  # training workers, compile children
        counters |= {f"replica_{i + 1}": value for i, value in enumerate(per_replica)}
        if self.balancer_pid is not None:
            counters["balancer"] = tree_cpu_seconds(self.balancer_pid)
        if self.database_pid is not None:
            counters["database"] = tree_cpu_seconds(self.database_pid)
        return counters

    def rss(self) -> list[int]:
        """Each replica's resident memory now."""
        return [rss_bytes(pid) for pid in self.replica_pids]


def cpu_seconds_of(pid: int) -> float:
    """A process's own user + system CPU seconds (its threads, not its children)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _port(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    assert port is not None, url
    return port


@contextlib.contextmanager
def direct(env: dict, workdir: Path) -> Iterator[Target]:
    """One `streamlit run app/main.py`, the run store in `workdir` (SQLite), reached directly."""
    runs = workdir / "runs"
    env = {**env, "OPTIM_LAB_RUNS_DIR": str(runs)}
    with streamlit_server(ROOT / "app" / "main.py", env, workdir / "server.log") as (url, _):
        target = Target(url, [_port(url)], RunStore(runs), "sqlite")
        try:
            yield target
        finally:
            target.close()


@contextlib.contextmanager
def cluster(replicas: int, env: dict, workdir: Path, database: str = "postgresql") -> Iterator[Target]:
    """`replicas` app servers behind the load balancer (deploy.cluster.start_cluster) in `workdir`, with
    the benchmark's settings `env` (the cluster gives the runs folder and the database)."""
    from deploy.cluster import start_cluster

    with start_cluster(replicas, free_port(), workdir, database=database, env=env) as running:
        target = Target(
            running.url,
            [_port(url) for url in running.replica_urls],
            RunStore(running.runs_dir, database_url=running.database_url),
            database,
            balancer_pid=listener_pid(_port(running.url)),
            database_pid=postgres_pid(running.database_url) if running.database_url else None,
            database_url=running.database_url,
            pins=[{running.cookie_name: name} for name in running.replica_names],
        )
        try:
            yield target
        finally:
            target.close()


def postgres_pid(database_url: str) -> int:
    """PostgreSQL's postmaster for a URL that names its socket folder (`?host=<folder>`)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(database_url).query)
    folder = Path(query["host"][0])
    sockets = [p for p in folder.glob(".s.PGSQL.*") if not p.name.endswith(".lock")]
    if len(sockets) != 1:
        raise LookupError(f"expected one PostgreSQL socket in {folder}, found {sockets}")
    return unix_listener_pid(str(sockets[0]))
