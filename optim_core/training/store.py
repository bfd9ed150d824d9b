"""The run store: runs, their metrics and their queue, in one SQLite file (WAL mode).

All state that must outlive a Streamlit restart lives here; worker processes and the app talk only
through it. Checkpoints are files in `checkpoints/run-<id>/` beside the database.

Schema
    runs(id, created, config JSON, status, error, queued_at, started_at, finished_at, worker_pid,
         worker_host, heartbeat, stop_requested, resume, checkpoint, summary JSON, owner)
    owner: the SHA-256 of the run's capability key (ownership.py); NULL for runs from before keys
    metrics(row, run_id, optimizer, step, epoch, name, value)   -- row grows monotonically

Statuses and stop reasons (stop_requested) are named in statuses.py: queued -> running -> finished |
stopped | failed; a running run whose worker is gone becomes interrupted (mark_interrupted); stopped /
interrupted / failed runs can be queued again to resume (requeue).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from optim_core.training.database import thread_connection
from optim_core.training.ownership import ACTIVE, Policy, RunActive
from optim_core.training.statuses import RESUMABLE, STATUSES, STOP_BY_USER, TERMINAL

DB_NAME = "runs.sqlite"
HEARTBEAT_STALE_S = 60.0  # a running run whose worker has not written for this long is presumed dead

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ({",".join(f"'{s}'" for s in STATUSES)})),
    error TEXT,
    queued_at REAL,
    started_at REAL,
    finished_at REAL,
    worker_pid INTEGER,
    worker_host TEXT,
    heartbeat REAL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    resume INTEGER NOT NULL DEFAULT 0,
    checkpoint TEXT,
    summary TEXT,
    owner TEXT
);
CREATE INDEX IF NOT EXISTS runs_queue ON runs (status, queued_at, id);
CREATE TABLE IF NOT EXISTS metrics (
    row INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    optimizer TEXT NOT NULL,
    step INTEGER NOT NULL,
    epoch INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL
);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, row);
"""


_COLUMNS = frozenset(  # the columns update() sets (not id, created, or owner: a run's owner never changes)
    "config status error queued_at started_at finished_at worker_pid worker_host heartbeat stop_requested "
    "resume checkpoint summary".split()
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


def default_runs_dir() -> Path:
    """$OPTIM_LAB_RUNS_DIR, else runs/ at the repository root."""
    env = os.environ.get("OPTIM_LAB_RUNS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "runs"


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
    def __init__(self, path: str | Path | None = None):
        path = Path(path) if path is not None else default_runs_dir() / DB_NAME
        if path.suffix == "" or path.is_dir():
            path = path / DB_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.root = path.parent
        self._local = threading.local()
        self._db().executescript(_SCHEMA)  # executescript manages its own transaction
        with self._tx() as db:  # migrate a store from before run keys: its runs have no owner
            if "owner" not in {r["name"] for r in db.execute("PRAGMA table_info(runs)")}:
                db.execute("ALTER TABLE runs ADD COLUMN owner TEXT")

    # ------------------------------------------------------------------ connection

    def _db(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)

    class _Tx:
        def __init__(self, db: sqlite3.Connection, immediate: bool):
            self.db, self.immediate = db, immediate

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE" if self.immediate else "BEGIN")
            return self.db

        def __exit__(self, kind, *_):
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _tx(self, immediate: bool = True) -> RunStore._Tx:
        """A transaction; IMMEDIATE takes the write lock up front, so read-then-write is atomic."""
        return RunStore._Tx(self._db(), immediate)

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

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
            cur = db.execute(
                "INSERT INTO runs (created, config, status, queued_at, owner) VALUES (?, ?, ?, ?, ?)",
                (now, json.dumps(config), status, now if status == "queued" else None, owner),
            )
            # sqlite3 types lastrowid as optional; after an INSERT it is the new row's id
            return cast(int, cur.lastrowid)

    def get_run(self, run_id: int) -> RunRecord:
        row = self._db().execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(f"no run with id {run_id}")
        return _record(row)

    def list_runs(self, status: str | None = None, limit: int | None = None) -> list[RunRecord]:
        query = "SELECT * FROM runs"
        args: list[str | int] = []
        if status is not None:
            query, args = query + " WHERE status = ?", [status]
        query += " ORDER BY id DESC"
        if limit is not None:
            query, args = query + " LIMIT ?", [*args, int(limit)]
        return [_record(r) for r in self._db().execute(query, args).fetchall()]

    def delete_run(self, run_id: int) -> None:
        """Delete a run, its metrics and checkpoints; RunActive while it is queued or running (checked in
        the same transaction, so a resume racing the delete cannot slip through)."""
        with self._tx() as db:
            row = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is not None and row["status"] in ACTIVE:
                raise RunActive(run_id, row["status"])
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
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
        assignments = ", ".join(f"{k} = ?" for k in fields)
        with self._tx() as db:
            cur = db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*fields.values(), run_id])
            if cur.rowcount == 0:
                raise RunNotFound(f"no run with id {run_id}")

    def mark_status(self, run_id: int, status: str, error: str | None = None) -> None:
        ended = status in TERMINAL
        fields: dict[str, Any] = {"status": status, "error": error}
        if ended:
            fields["finished_at"] = time.time()
        self.update(run_id, **fields)

    # ------------------------------------------------------------------ queue

    def queued_ids(self) -> list[int]:
        rows = self._db().execute("SELECT id FROM runs WHERE status = 'queued' ORDER BY queued_at, id")
        return [r["id"] for r in rows.fetchall()]

    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start; None when the run is not queued."""
        ids = self.queued_ids()
        return ids.index(run_id) + 1 if run_id in ids else None

    def count_running(self) -> int:
        return self._db().execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0]

    def claim_next(self, pid: int, max_running: int) -> RunRecord | None:
        """Atomically move the first queued run to 'running' for worker `pid`, if a slot is free."""
        now = time.time()
        with self._tx() as db:
            running = db.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()[0]
            if running >= max_running:
                return None
            row = db.execute(
                "SELECT id FROM runs WHERE status = 'queued' ORDER BY queued_at, id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE runs SET status = 'running', started_at = ?, finished_at = NULL, heartbeat = ?, "
                "worker_pid = ?, worker_host = ?, error = NULL WHERE id = ?",
                (now, now, pid, socket.gethostname(), row["id"]),
            )
        return self.get_run(row["id"])

    def requeue(self, run_id: int, resume: bool, quota: Quota | None = None) -> None:
        """Queue a stopped / interrupted / failed run again (resume=True: from its checkpoint)."""
        with self._tx() as db:
            row = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFound(f"no run with id {run_id}")
            if row["status"] not in RESUMABLE:
                raise ValueError(f"run {run_id} is {row['status']}; only {', '.join(RESUMABLE)} runs resume")
            if quota is not None:
                quota[0].check_quota(db, quota[1])
            db.execute(
                "UPDATE runs SET status = 'queued', queued_at = ?, stop_requested = 0, resume = ?, "
                "error = NULL, finished_at = NULL WHERE id = ?",
                (time.time(), int(resume), run_id),
            )

    def request_stop(self, run_id: int, reason: int = STOP_BY_USER) -> str:
        """A queued run stops at once; a running one is asked to (its worker polls stop_requested)."""
        with self._tx() as db:
            row = db.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row is None:
                raise RunNotFound(f"no run with id {run_id}")
            if row["status"] == "queued":
                db.execute(
                    "UPDATE runs SET status = 'stopped', finished_at = ? WHERE id = ?", (time.time(), run_id)
                )
                return "stopped"
            if row["status"] == "running":
                db.execute("UPDATE runs SET stop_requested = ? WHERE id = ?", (int(reason), run_id))
            return row["status"]

    def poll_worker(self, run_id: int) -> int:
        """Called by the worker: write its heartbeat, and read stop_requested (0: go on)."""
        with self._tx() as db:
            db.execute("UPDATE runs SET heartbeat = ? WHERE id = ?", (time.time(), run_id))
            row = db.execute("SELECT stop_requested FROM runs WHERE id = ?", (run_id,)).fetchone()
        return int(row["stop_requested"]) if row else STOP_BY_USER

    def mark_interrupted(self, stale_after_s: float = HEARTBEAT_STALE_S) -> list[int]:
        """Running runs with no live worker become 'interrupted' (call at startup). Returns their ids.

        A worker counts as live if its pid exists on this host, or, on another host, if its heartbeat
        is fresher than stale_after_s.
        """
        host, now, dead = socket.gethostname(), time.time(), []
        with self._tx() as db:
            for row in db.execute(
                "SELECT id, worker_pid, worker_host, heartbeat FROM runs WHERE status = 'running'"
            ):
                if row["worker_host"] == host:
                    alive = pid_alive(row["worker_pid"])
                else:
                    alive = row["heartbeat"] is not None and now - row["heartbeat"] < stale_after_s
                if not alive:
                    dead.append(row["id"])
            for run_id in dead:
                db.execute(
                    "UPDATE runs SET status = 'interrupted', finished_at = ?, "
                    "error = 'the worker process ended without finishing' WHERE id = ?",
                    (now, run_id),
                )
        return dead

    # ------------------------------------------------------------------ metrics

    def append_metrics(self, run_id: int, rows: Iterable[tuple]) -> int:
        """Write rows (optimizer, step, epoch, name, value) in one transaction; returns the count."""
        rows = [(run_id, str(o), int(s), int(e), str(n), float(v)) for o, s, e, n, v in rows]
        if rows:
            with self._tx() as db:
                db.executemany(
                    "INSERT INTO metrics (run_id, optimizer, step, epoch, name, value) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
        return len(rows)

    def read_metrics(self, run_id: int, since_row: int = 0, names: Iterable[str] | None = None):
        """Metrics with row > since_row as a DataFrame (row, optimizer, step, epoch, name, value).

        Poll incrementally: pass the largest `row` seen so far as since_row next time.
        """
        import pandas as pd

        query = "SELECT row, optimizer, step, epoch, name, value FROM metrics WHERE run_id = ? AND row > ?"
        args: list[Any] = [run_id, since_row]
        if names is not None:
            names = list(names)
            query += f" AND name IN ({', '.join('?' * len(names))})"
            args += names
        return pd.read_sql_query(query + " ORDER BY row", self._db(), params=args)

    def truncate_metrics(self, run_id: int, steps: dict[str, int] | None = None) -> None:
        """Delete a run's metrics after the given step per optimizer (all metrics when steps is None).

        A resumed run first drops what its previous worker wrote after the checkpoint it resumes from.
        """
        with self._tx() as db:
            if steps is None:
                db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
                return
            for optimizer, step in steps.items():
                db.execute(
                    "DELETE FROM metrics WHERE run_id = ? AND optimizer = ? AND step > ?",
                    (run_id, optimizer, step),
                )

    def export_csv(self, run_id: int, path: str | Path | None = None) -> str:
        """All metrics of a run, long format, as CSV text (also written to `path` if given)."""
        frame = self.read_metrics(run_id).drop(columns="row")
        text = frame.to_csv(index=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


def _record(row: sqlite3.Row) -> RunRecord:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    data["summary"] = json.loads(data["summary"]) if data["summary"] else None
    data["resume"] = bool(data["resume"])
    return RunRecord(**data)
