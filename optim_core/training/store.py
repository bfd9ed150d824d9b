"""The run store: runs, their metrics and their queue, in one database (SQLite in WAL mode by default, or
PostgreSQL: database.py), through SQLAlchemy Core; tables and migrations in schema.py.

All state that must outlive a Streamlit restart lives here; worker processes and the app talk only
through it, so a worker on another process or node opens the same store with
`RunStore(runs_dir, database_url=store.database_url)`. Checkpoints are files in
`checkpoints/run-<id>/` in the runs folder: with several nodes that folder must be shared between them.

Statuses and stop reasons (stop_requested) are named in statuses.py: queued -> running -> finished |
stopped | failed; a running run whose worker is gone becomes interrupted (mark_interrupted); stopped /
interrupted / failed runs can be queued again to resume (requeue).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, delete, func, insert, select, true, update
from sqlalchemy.engine import Row

from optim_core.training import database
from optim_core.training.database import DB_NAME as DB_NAME  # where it always was, for callers
from optim_core.training.database import default_runs_dir as default_runs_dir
from optim_core.training.ownership import ACTIVE, Policy, RunActive
from optim_core.training.schema import metrics, open_store, runs
from optim_core.training.statuses import RESUMABLE, STATUSES, STOP_BY_USER, TERMINAL

HEARTBEAT_STALE_S = 60.0  # a running run whose worker has not written for this long is presumed dead

_COLUMNS = frozenset(  # the columns update() sets (not id, created, or owner: a run's owner never changes)
    "config status error queued_at started_at finished_at worker_pid worker_host heartbeat stop_requested "
    "resume checkpoint summary".split()
)
_METRIC_COLUMNS = (metrics.c.row, metrics.c.optimizer, metrics.c.step, metrics.c.epoch, metrics.c.name)
_READ_METRICS = (
    select(*_METRIC_COLUMNS, metrics.c.value)
    .where(metrics.c.run_id == bindparam("run_id"), metrics.c.row > bindparam("since_row"))
    .order_by(metrics.c.row)
)
_METRIC_FIELDS = [column.name for column in _READ_METRICS.selected_columns]
_GET_RUN = select(runs).where(runs.c.id == bindparam("run_id"))
_RUN_FIELDS = tuple(column.name for column in runs.c)  # RunRecord's fields, in select(runs)'s order
_HEARTBEAT = update(runs).where(runs.c.id == bindparam("run_id")).values(heartbeat=bindparam("now"))
_STOP_REQUESTED = select(runs.c.stop_requested).where(runs.c.id == bindparam("run_id"))
_LIST_RUNS = {  # (by status, limited): the newest first
    (by_status, limited): (
        select(runs)
        .where(runs.c.status == bindparam("status") if by_status else true())
        .order_by(runs.c.id.desc())
        .limit(bindparam("limit", type_=Integer) if limited else None)
    )
    for by_status in (False, True)
    for limited in (False, True)
}
_QUEUE = select(runs.c.id).where(runs.c.status == "queued").order_by(runs.c.queued_at, runs.c.id)
_COUNT_RUNNING = select(func.count()).select_from(runs).where(runs.c.status == "running")
_RUNNING_WORKERS = select(runs.c.id, runs.c.worker_pid, runs.c.worker_host, runs.c.heartbeat).where(
    runs.c.status == "running"
)


Quota = tuple[Policy, Iterable[str]]  # the limits, and the key hashes of the caller's own runs


class RunNotFound(ValueError):
    """No run with that id."""


@dataclass(frozen=True)
class RunRecord:
    id: int
    created: float
    config: dict
    status: str
    error: str | None
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    worker_pid: int | None
    worker_host: str | None
    heartbeat: float | None
    stop_requested: int  # 0, STOP_BY_USER or STOP_FOR_SHUTDOWN
    resume: bool
    checkpoint: str | None
    summary: dict | None
    owner: str | None = None  # the hash of its key


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    try:  # a zombie (exited, not yet reaped) is not a live worker
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


class RunStore:
    """`path`: the runs folder (checkpoints live there; a path to a .sqlite file still names its folder and
    that file); `database_url`: where the database is (else $OPTIM_LAB_DATABASE_URL, else SQLite
    `<runs folder>/runs.sqlite`). `path` is that SQLite file on SQLite, the runs folder otherwise."""

    def __init__(self, path: str | Path | None = None, database_url: str | None = None):
        self.root, self.path, self.database_url, self._engine = open_store(path, database_url)

    # ------------------------------------------------------------------ connection

    def _tx(self):
        """A write transaction: it takes the store's write lock up front, so read-then-write is atomic."""
        return database.write(self._engine)

    def _read(self) -> Connection:
        return self._engine.connect()

    def close(self) -> None:
        """Close this process's idle connections to the store (it reconnects when used again)."""
        database.dispose(self.database_url)

    # ------------------------------------------------------------------ runs

    def create_run(
        self, config: dict, status: str = "queued", owner: str | None = None, quota: Quota | None = None
    ) -> int:
        """A new run; `owner` is its key's hash; `quota` (policy, the caller's key hashes) is checked in
        the transaction that inserts it."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; valid: {', '.join(STATUSES)}")
        now = time.time()
        with self._tx() as db:
            if quota is not None:
                quota[0].check_quota(db, quota[1])
            new = insert(runs).values(
                created=now,
                config=json.dumps(config),
                status=status,
                queued_at=now if status == "queued" else None,
                owner=owner,
            )
            return int(db.execute(new).inserted_primary_key[0])

    def get_run(self, run_id: int) -> RunRecord:
        rows = database.fetch(self._engine, _GET_RUN, {"run_id": run_id})
        if not rows:
            raise RunNotFound(f"no run with id {run_id}")
        return _record(rows[0])

    def list_runs(self, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        query = _LIST_RUNS[status is not None, limit is not None]
        return [_record(r) for r in database.fetch(self._engine, query, {"status": status, "limit": limit})]

    def delete_run(self, run_id: int) -> None:
        """Delete a run, its metrics and checkpoints; RunActive while it is queued or running (checked in
        the same transaction, so a resume racing the delete cannot slip through)."""
        with self._tx() as db:
            status = db.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()
            if status in ACTIVE:
                raise RunActive(run_id, status)
            db.execute(delete(metrics).where(metrics.c.run_id == run_id))
            db.execute(delete(runs).where(runs.c.id == run_id))
        shutil.rmtree(self.checkpoint_dir(run_id), ignore_errors=True)

    def checkpoint_dir(self, run_id: int) -> Path:
        return self.root / "checkpoints" / f"run-{int(run_id)}"

    def update(self, run_id: int, **fields: Any) -> None:
        """Set columns of one run (config / summary given as dicts are stored as JSON)."""
        unknown = set(fields) - _COLUMNS
        if unknown:
            raise ValueError(f"unknown run column(s) {sorted(unknown)}; valid: {sorted(_COLUMNS)}")
        for key in ("config", "summary"):
            if isinstance(fields.get(key), dict):
                fields[key] = json.dumps(fields[key])
        if "status" in fields and fields["status"] not in STATUSES:
            raise ValueError(f"unknown status {fields['status']!r}; valid: {', '.join(STATUSES)}")
        for key in ("resume", "stop_requested"):
            if isinstance(fields.get(key), bool):
                fields[key] = int(fields[key])
        with self._tx() as db:
            if db.execute(update(runs).where(runs.c.id == run_id).values(**fields)).rowcount == 0:
                raise RunNotFound(f"no run with id {run_id}")

    def mark_status(self, run_id: int, status: str, error: str | None = None) -> None:
        ended = status in TERMINAL
        fields: dict[str, Any] = {"status": status, "error": error}
        if ended:
            fields["finished_at"] = time.time()
        self.update(run_id, **fields)

    # ------------------------------------------------------------------ queue

    def queued_ids(self) -> list[int]:
        return [run_id for (run_id,) in database.fetch(self._engine, _QUEUE)]

    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start; None when the run is not queued."""
        ids = self.queued_ids()
        return ids.index(run_id) + 1 if run_id in ids else None

    def count_running(self) -> int:
        return database.fetch(self._engine, _COUNT_RUNNING)[0][0]

    def claim_next(self, pid: int, max_running: int) -> RunRecord | None:
        """Atomically move the first queued run to 'running' for worker `pid`, if a slot is free."""
        now = time.time()
        with self._tx() as db:
            if _count_running(db) >= max_running:
                return None
            run_id = db.execute(_QUEUE.limit(1)).scalar()
            if run_id is None:
                return None
            db.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status="running",
                    started_at=now,
                    finished_at=None,
                    heartbeat=now,
                    worker_pid=pid,
                    worker_host=socket.gethostname(),
                    error=None,
                )
            )
        return self.get_run(run_id)

    def requeue(self, run_id: int, resume: bool, quota: Quota | None = None) -> None:
        """Queue a stopped / interrupted / failed run again (resume=True: from its checkpoint)."""
        with self._tx() as db:
            status = _status(db, run_id)
            if status not in RESUMABLE:
                raise ValueError(f"run {run_id} is {status}; only {', '.join(RESUMABLE)} runs resume")
            if quota is not None:
                quota[0].check_quota(db, quota[1])
            db.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status="queued",
                    queued_at=time.time(),
                    stop_requested=0,
                    resume=int(resume),
                    error=None,
                    finished_at=None,
                )
            )

    def request_stop(self, run_id: int, reason: int = STOP_BY_USER) -> str:
        """A queued run stops at once; a running one is asked to (its worker polls stop_requested)."""
        with self._tx() as db:
            status = _status(db, run_id)
            this = update(runs).where(runs.c.id == run_id)
            if status == "queued":
                db.execute(this.values(status="stopped", finished_at=time.time()))
                return "stopped"
            if status == "running":
                db.execute(this.values(stop_requested=int(reason)))
            return status

    def poll_worker(self, run_id: int) -> int:
        """Called by the worker: write its heartbeat, and read stop_requested (0: go on)."""
        with self._tx() as db:
            db.execute(_HEARTBEAT, {"run_id": run_id, "now": time.time()})
            stop = db.execute(_STOP_REQUESTED, {"run_id": run_id}).scalar()
        return STOP_BY_USER if stop is None else int(stop)

    def mark_interrupted(self, stale_after_s: float = HEARTBEAT_STALE_S) -> list[int]:
        """Running runs with no live worker become 'interrupted' (call at startup). Returns their ids.

        A worker counts as live if its pid exists on this host, or, on another host, if its heartbeat
        is fresher than stale_after_s.
        """
        host, now = socket.gethostname(), time.time()

        def dead(running: Iterable[tuple]) -> list[int]:
            return [
                run_id
                for run_id, pid, worker_host, heartbeat in running
                if not (
                    pid_alive(pid) if worker_host == host else heartbeat and now - heartbeat < stale_after_s
                )
            ]

        if not dead(database.fetch(self._engine, _RUNNING_WORKERS)):
            return []  # the common case (every page draw asks): all alive, and no write lock taken
        with self._tx() as db:  # again under the lock: a run may have ended meanwhile
            gone = dead(db.execute(_RUNNING_WORKERS).all())
            if gone:
                error = "the worker process ended without finishing"
                db.execute(
                    update(runs)
                    .where(runs.c.id.in_(gone))
                    .values(status="interrupted", finished_at=now, error=error)
                )
        return gone

    # ------------------------------------------------------------------ metrics

    def append_metrics(self, run_id: int, rows: Iterable[tuple]) -> int:
        """Write rows (optimizer, step, epoch, name, value) in one transaction; returns the count."""
        values = [
            {
                "run_id": run_id,
                "optimizer": str(o),
                "step": int(s),
                "epoch": int(e),
                "name": str(n),
                "value": float(v),
            }
            for o, s, e, n, v in rows
        ]
        if values:
            with self._tx() as db:
                db.execute(insert(metrics), values)
        return len(values)

    def read_metrics(self, run_id: int, since_row: int = 0, names: Iterable[str] | None = None):
        """Metrics with row > since_row as a DataFrame (row, optimizer, step, epoch, name, value).

        Poll incrementally: pass the largest `row` seen so far as since_row next time.
        """
        import pandas as pd

        params: dict[str, Any] = {"run_id": run_id, "since_row": since_row}
        if names is None:  # a poll
            rows = database.fetch(self._engine, _READ_METRICS, params)
        else:
            query = _READ_METRICS.where(metrics.c.name.in_(bindparam("names", expanding=True)))
            with self._read() as db:
                rows = [tuple(row) for row in db.execute(query, {**params, "names": list(names)})]
        # what pandas.read_sql_query builds from these rows (the same dtypes), without its SQL wrapper
        return pd.DataFrame.from_records(rows, columns=_METRIC_FIELDS, coerce_float=True)

    def truncate_metrics(self, run_id: int, steps: dict[str, int] | None = None) -> None:
        """Delete a run's metrics after the given step per optimizer (all metrics when steps is None).

        A resumed run first drops what its previous worker wrote after the checkpoint it resumes from.
        """
        with self._tx() as db:
            mine = delete(metrics).where(metrics.c.run_id == run_id)
            if steps is None:
                db.execute(mine)
                return
            for optimizer, step in steps.items():
                db.execute(mine.where(metrics.c.optimizer == optimizer, metrics.c.step > step))

    def export_csv(self, run_id: int, path: str | Path | None = None) -> str:
        """All metrics of a run, long format, as CSV text (also written to `path` if given)."""
        frame = self.read_metrics(run_id).drop(columns="row")
        text = frame.to_csv(index=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _count_running(db: Connection) -> int:
    return db.execute(_COUNT_RUNNING).scalar_one()


def _status(db: Connection, run_id: int) -> str:
    status = db.execute(select(runs.c.status).where(runs.c.id == run_id)).scalar()
    if status is None:
        raise RunNotFound(f"no run with id {run_id}")
    return status


def _record(row: Row | tuple) -> RunRecord:
    data = dict(zip(_RUN_FIELDS, row, strict=True))
    data["config"] = json.loads(data["config"])
    data["summary"] = json.loads(data["summary"]) if data["summary"] else None
    data["resume"] = bool(data["resume"])
    return RunRecord(**data)
