"""The run store's tables (SQLAlchemy Core, one MetaData for SQLite and PostgreSQL) and their migrations.

Schema (version 1)
    runs(id, created, config JSON, status, error, queued_at, started_at, finished_at, worker_pid,
         worker_host, heartbeat, stop_requested, resume, checkpoint, summary JSON, owner)
        owner: the SHA-256 of the run's capability key (ownership.py); NULL for runs from before keys
    metrics(row, run_id, optimizer, step, epoch, name, value)    -- row grows monotonically
    classes, class_students, class_votes                          -- optim_core/classroom/store.py
    schema_version(version)                                       -- one row: the store's version
    class_schema(version)                                         -- 1; the class tables' own version
        from before schema_version, kept so that an app of that time still opens the store

Times are seconds since the epoch and every float is a double (DOUBLE PRECISION on PostgreSQL: a resumed
run's metrics must equal the uninterrupted run's bit for bit). metrics.row is a BIGSERIAL on PostgreSQL;
writers serialize (database.write), so rows are committed in the order of their numbers and a reader
polling `row > since_row` never skips one.

Migrations: `ensure_schema` reads the version; a store without schema_version (any store from before it:
with or without the owner column, with or without the class tables) is version 0; each step in UPGRADES
moves it one version up, all under the write lock, so two servers starting at once migrate it once. A
store newer than SCHEMA_VERSION is refused (SchemaTooNew): this app would misread it.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Connection,
    Double,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    inspect,
    text,
)

from optim_core.training.database import database_url, is_sqlite, store_file, where, write
from optim_core.training.database import engine as make_engine
from optim_core.training.statuses import STATUSES

SCHEMA_VERSION = 1
CLASS_SCHEMA_VERSION = 1  # what class_schema holds (the class tables' version before schema_version)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Double, nullable=False),
    Column("config", Text, nullable=False),
    Column(
        "status", Text, CheckConstraint(f"status IN ({','.join(repr(s) for s in STATUSES)})"), nullable=False
    ),
    Column("error", Text),
    Column("queued_at", Double),
    Column("started_at", Double),
    Column("finished_at", Double),
    Column("worker_pid", Integer),
    Column("worker_host", Text),
    Column("heartbeat", Double),
    Column("stop_requested", Integer, nullable=False, server_default=text("0")),
    Column("resume", Integer, nullable=False, server_default=text("0")),
    Column("checkpoint", Text),
    Column("summary", Text),
    Column("owner", Text),
    sqlite_autoincrement=True,
)
Index("runs_queue", runs.c.status, runs.c.queued_at, runs.c.id)

metrics = Table(
    "metrics",
    metadata,
    # INTEGER PRIMARY KEY AUTOINCREMENT on SQLite (the rowid), BIGSERIAL on PostgreSQL
    Column("row", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("optimizer", Text, nullable=False),
    Column("step", Integer, nullable=False),
    Column("epoch", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("value", Double),
    sqlite_autoincrement=True,
)
Index("metrics_by_run", metrics.c.run_id, metrics.c.row)

classes = Table(
    "classes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", Text, nullable=False, unique=True),
    Column("owner", Text, nullable=False),
    Column("created", Double, nullable=False),
    Column("plan", Text, nullable=False),
    Column("position", Integer, nullable=False, server_default=text("0")),
    Column("revealed", Text, nullable=False, server_default=text("'[]'")),
    Column("version", Integer, nullable=False, server_default=text("0")),
    sqlite_autoincrement=True,
)

class_students = Table(
    "class_students",
    metadata,
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("student", Text, nullable=False),
    Column("joined", Double, nullable=False),
    PrimaryKeyConstraint("class_id", "student"),
    sqlite_with_rowid=False,
)

class_votes = Table(
    "class_votes",
    metadata,
    Column("class_id", Integer, ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("student", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("at", Double, nullable=False),
    PrimaryKeyConstraint("class_id", "position", "student"),
    sqlite_with_rowid=False,
)

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))
class_schema = Table("class_schema", metadata, Column("version", Integer, nullable=False))


class SchemaTooNew(RuntimeError):
    """The store was written by a newer version of the app than this one."""

    def __init__(self, where: str, version: int):
        super().__init__(
            f"the run store at {where} is schema {version}; this version of the app knows up to "
            f"{SCHEMA_VERSION}: upgrade the app"
        )
        self.version = version


def stored_version(db: Connection) -> int:
    """The store's schema version; 0 for a store from before schema_version (or an empty database)."""
    if not inspect(db).has_table("schema_version"):
        return 0
    return db.execute(text("SELECT MAX(version) FROM schema_version")).scalar() or 0


def _to_1(db: Connection, where: str) -> None:
    """From any store before schema_version: the tables it lacks, the owner column (runs from before run
    keys have no owner: only the admin controls them), class_schema = 1."""
    metadata.create_all(db, tables=[runs, metrics, classes, class_students, class_votes, class_schema])
    if "owner" not in {c["name"] for c in inspect(db).get_columns("runs")}:
        db.execute(text("ALTER TABLE runs ADD COLUMN owner TEXT"))
    found = db.execute(text("SELECT MAX(version) FROM class_schema")).scalar()
    if found is None:
        db.execute(class_schema.insert().values(version=CLASS_SCHEMA_VERSION))
    elif found > CLASS_SCHEMA_VERSION:  # written by a newer app that did not know schema_version either
        raise SchemaTooNew(f"{where} (its class tables)", found)


UPGRADES = {0: _to_1}  # version -> the step that brings a store of that version to the next


def ensure_schema(engine: Engine, where: str) -> int:
    """Create or upgrade the store's tables; SchemaTooNew when they are newer than this code. Returns the
    version the store had before (0: new, or from before schema_version)."""
    with engine.connect() as db:  # the common case, a current store, takes no lock
        version = stored_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(where, version)
    if version == SCHEMA_VERSION:
        return version
    with write(engine) as db:
        before = version = stored_version(db)  # again under the lock: another server may have migrated
        if version > SCHEMA_VERSION:
            raise SchemaTooNew(where, version)
        if version == SCHEMA_VERSION:
            return version
        while version < SCHEMA_VERSION:
            UPGRADES[version](db, where)
            version += 1
        metadata.create_all(db, tables=[schema_version])
        db.execute(schema_version.delete())
        db.execute(schema_version.insert().values(version=version))
    return before


class OpenedStore(NamedTuple):
    """A store's database, opened: `path` is the SQLite file on SQLite, the runs folder otherwise."""

    root: Path  # the runs folder: checkpoints live here
    path: Path
    url: str
    engine: Engine


def open_store(path: str | Path | None, url: str | None) -> OpenedStore:
    """The run store's database for the runs folder (or SQLite file) `path` and `url` (database.database_url
    says which wins), its tables created or upgraded: what RunStore and ClassStore both open."""
    file = store_file(path)
    url = database_url(url, file)
    engine = make_engine(url)
    ensure_schema(engine, where(url))
    return OpenedStore(file.parent, file if is_sqlite(url) else file.parent, url, engine)
