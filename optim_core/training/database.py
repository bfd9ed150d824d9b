"""The run store's database: one SQLAlchemy Engine per URL and process, and the write transaction.

Where the store is: `database_url` given to RunStore / ClassStore, else $OPTIM_LAB_DATABASE_URL, else the
SQLite file `runs.sqlite` in the runs folder (the embedded default: nothing to install or run).
    sqlite:////abs/path/runs.sqlite                               WAL, synchronous=NORMAL, foreign keys on
    postgresql+psycopg://user:pw@host:5432/optimlab               psycopg 3; postgresql:// is rewritten
    postgresql+psycopg://postgres@/optimlab?host=/run/postgresql  a Unix socket

Reads that a page repeats at every poll (a run, the queue, a class's version) go through `fetch`: a
constant Core SELECT compiled once per dialect, run on a pooled DBAPI connection (a poll costs about what it
did with raw sqlite3; a SQLAlchemy Connection's bookkeeping costs 3-5 times that). The rest runs on
SQLAlchemy Connections.

Writes: every read-check-write (claim_next, quota checks, delete-while-running, votes, migrations) runs in
`write(engine)`, which serializes writers: SQLite takes its write lock up front (BEGIN IMMEDIATE), PostgreSQL
a transaction-level advisory lock (released at COMMIT or ROLLBACK). Reads take no lock.

An Engine (and its pool of connections) belongs to the process that made it: a worker forked or spawned
later makes its own; a forked child drops the parent's pool without closing the parent's connections.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, Select, create_engine, event, make_url, text
from sqlalchemy.sql.compiler import SQLCompiler

DB_NAME = "runs.sqlite"  # the SQLite file in the runs folder
ENV = "OPTIM_LAB_DATABASE_URL"
WRITE_LOCK_KEY = int.from_bytes(b"optimlab", "big")  # the advisory lock's key, the same in every process
_WRITE = "optim_lab_write"  # the execution option that marks a write transaction

_engines: dict[str, Engine] = {}
_compiled: dict[tuple[Select, str], SQLCompiler] = {}
_engines_pid = os.getpid()
_lock = threading.Lock()


def default_runs_dir() -> Path:
    """$OPTIM_LAB_RUNS_DIR, else runs/ at the repository root."""
    env = os.environ.get("OPTIM_LAB_RUNS_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "runs"


def store_file(path: str | Path | None) -> Path:
    """The SQLite file of a runs folder (`path`: the folder, or the file itself; None: default_runs_dir)."""
    path = Path(path) if path is not None else default_runs_dir() / DB_NAME
    if path.suffix == "" or path.is_dir():
        path = path / DB_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def database_url(url: str | None, sqlite_file: Path) -> str:
    """The store's URL as a string: `url`, else $OPTIM_LAB_DATABASE_URL, else the SQLite file."""
    url = url or os.environ.get(ENV, "").strip() or None
    if url is None:
        return URL.create("sqlite", database=str(sqlite_file.absolute())).render_as_string()
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def where(url: str) -> str:
    """The store's place for a message: the SQLite file, or the URL without its password."""
    parsed = make_url(url)
    return parsed.database or url if is_sqlite(url) else parsed.render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine(url: str) -> Engine:
    """This process's Engine for `url` (made on first use)."""
    global _engines_pid
    with _lock:
        if _engines_pid != os.getpid():  # a forked child: the pools are the parent's, leave them open
            for inherited in _engines.values():
                inherited.dispose(close=False)
            _engines.clear()
            _engines_pid = os.getpid()
        made = _engines.get(url)
        if made is None:
            made = _engines[url] = _sqlite_engine(url) if is_sqlite(url) else create_engine(url)
        return made


def dispose(url: str) -> None:
    """Close this process's idle connections to `url` (the Engine stays usable; it reconnects)."""
    with _lock:
        made = _engines.get(url) if _engines_pid == os.getpid() else None
    if made is not None:
        made.dispose()


def _sqlite_engine(url: str) -> Engine:
    # a thread takes a connection from the pool for each read or write; idle ones are kept (up to 16)
    made = create_engine(
        url, connect_args={"timeout": 30.0, "check_same_thread": False}, pool_size=16, max_overflow=-1
    )

    @event.listens_for(made, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(made, "begin")
    def _begin(db: Connection) -> None:
        if db.get_execution_options().get(_WRITE):  # reads run in autocommit, as one statement each
            db.exec_driver_sql("BEGIN IMMEDIATE")

    return made


@contextmanager
def write(made: Engine) -> Iterator[Connection]:
    """A write transaction that holds the store's write lock from its start: read-then-write inside it is
    atomic. Commits at the end, rolls back on an exception."""
    with made.connect() as db:
        db.execution_options(**{_WRITE: True})
        with db.begin():
            if db.dialect.name == "postgresql":
                db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            yield db


def fetch(made: Engine, statement: Select, params: dict[str, Any] | None = None) -> list[tuple]:
    """The rows of `statement`, a SELECT kept in a module constant (compiled once per dialect and kept:
    never an ad-hoc one; no expanding IN parameters), with `params` for its bind parameters."""
    compiled = _compiled.get((statement, made.dialect.name))
    if compiled is None:
        compiled = statement.compile(dialect=made.dialect)
        _compiled[statement, made.dialect.name] = compiled
    values = compiled.construct_params(params) or {}  # the statement's own literals too
    order = compiled.positiontup  # qmark drivers (sqlite3) take a tuple, named ones (psycopg) a dict
    args = tuple(values[name] for name in order) if order is not None else values
    connection = made.raw_connection()  # from the pool; back to it (rolled back) on close
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(compiled.string, args)
            return list(cursor.fetchall())
        finally:
            cursor.close()
    finally:
        connection.close()
