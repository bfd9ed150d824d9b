"""The store's schema version: a store written by the app before schema_version is upgraded in place, a
store from a newer app is refused, and servers starting at once migrate it once."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from sqlalchemy import create_engine, text

from optim_core.classroom import ClassStore, Question, new_student_id
from optim_core.training.ownership import key_hash
from optim_core.training.schema import SCHEMA_VERSION, SchemaTooNew
from optim_core.training.store import RunStore

# The run store's and the class tables' DDL exactly as the app wrote them before schema_version
# (optim_core/training/store.py and optim_core/classroom/store.py at commit 5831c21).
RUNS_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued','running','finished','stopped','interrupted','failed')),
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
CLASS_DDL = """
CREATE TABLE IF NOT EXISTS class_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    owner TEXT NOT NULL,
    created REAL NOT NULL,
    plan TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    revealed TEXT NOT NULL DEFAULT '[]',
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS class_students (
    class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    student TEXT NOT NULL,
    joined REAL NOT NULL,
    PRIMARY KEY (class_id, student)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS class_votes (
    class_id INTEGER NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    student TEXT NOT NULL,
    answer TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (class_id, position, student)
) WITHOUT ROWID;
"""
BEFORE_KEYS = RUNS_DDL.replace(",\n    owner TEXT\n", "\n")  # runs from before run keys had no owner


def old_store(path, ddl: str, classes: bool = True) -> None:
    """A runs.sqlite as the old app left it: WAL, a finished run with metrics, and a live class."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(ddl + (CLASS_DDL if classes else ""))
    db.execute(
        "INSERT INTO runs (created, config, status, summary) "
        "VALUES (1.5, '{\"epochs\": 2}', 'finished', '{}')"
    )
    db.executemany(
        "INSERT INTO metrics (run_id, optimizer, step, epoch, name, value) "
        "VALUES (1, 'adam', ?, 1, 'loss', ?)",
        [(s, 1.0 / (s + 1)) for s in range(5)],
    )
    if classes:
        db.execute("INSERT INTO class_schema (version) VALUES (1)")
        db.execute(
            "INSERT INTO classes (code, owner, created, plan) VALUES ('ABCDEF', ?, 4e9, ?)",
            (key_hash("teacher"), json.dumps([["ravine", ["gd", "momentum"]]])),
        )
        db.execute("INSERT INTO class_students VALUES (1, 'student-1', 4e9)")
    db.close()


def schema_version(path) -> list[tuple]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT version FROM schema_version").fetchall()


@pytest.mark.parametrize("ddl", [RUNS_DDL, BEFORE_KEYS], ids=["with-owner", "before-keys"])
def test_a_store_from_before_schema_version_is_upgraded_in_place(tmp_path, ddl):
    path = tmp_path / "runs.sqlite"
    old_store(path, ddl)
    store = RunStore(tmp_path)
    with sqlite3.connect(path) as db:
        assert "owner" in {r[1] for r in db.execute("PRAGMA table_info(runs)")}
        assert db.execute("SELECT version FROM class_schema").fetchall() == [(1,)]
    assert schema_version(path) == [(SCHEMA_VERSION,)]
    old = store.get_run(1)
    assert (old.status, old.config, old.owner, old.created) == ("finished", {"epochs": 2}, None, 1.5)
    assert store.read_metrics(1)["value"].tolist() == [1.0 / (s + 1) for s in range(5)]
    new = store.create_run({}, owner="h")
    assert new == 2 and store.get_run(new).owner == "h"
    classes = ClassStore(tmp_path)
    assert classes.tally("ABCDEF").students == 1 and classes.is_instructor("ABCDEF", "teacher")
    classes.join("ABCDEF", new_student_id())
    RunStore(tmp_path)  # opening it again changes nothing
    assert schema_version(path) == [(SCHEMA_VERSION,)]


def test_a_store_without_the_class_tables_gets_them(tmp_path):
    old_store(tmp_path / "runs.sqlite", RUNS_DDL, classes=False)
    code, _ = ClassStore(tmp_path).create([Question("a", ("x", "y"))])
    assert (
        ClassStore(tmp_path).state(code).position == 0 and RunStore(tmp_path).get_run(1).status == "finished"
    )


def test_a_newer_store_is_refused_with_a_clear_message(tmp_path, database_url):
    store = RunStore(tmp_path, database_url=database_url)
    with create_engine(store.database_url).begin() as db:
        db.execute(text("UPDATE schema_version SET version = 7"))
    for opening in (
        lambda: RunStore(tmp_path, database_url=database_url),
        lambda: ClassStore(tmp_path, database_url=database_url),
    ):
        with pytest.raises(
            SchemaTooNew,
            match=f"is schema 7; this version of the app knows up to {SCHEMA_VERSION}: upgrade the app",
        ) as refused:
            opening()
        assert refused.value.version == 7
    if database_url is not None:
        assert "***" in str(refused.value) or "@/" in str(refused.value)  # a password never shows
    else:
        assert str(tmp_path / "runs.sqlite") in str(refused.value)


def test_class_tables_from_a_newer_app_without_schema_version_are_refused(tmp_path):
    old_store(tmp_path / "runs.sqlite", RUNS_DDL)
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        db.execute("UPDATE class_schema SET version = 2")
    with pytest.raises(SchemaTooNew, match="class tables"):
        RunStore(tmp_path)


def test_servers_starting_at_once_migrate_once(tmp_path, database_url):
    if database_url is None:  # an old SQLite store; on PostgreSQL an empty database
        old_store(tmp_path / "runs.sqlite", BEFORE_KEYS)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            RunStore(tmp_path, database_url=database_url).list_runs()
            ClassStore(tmp_path, database_url=database_url).live_count()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with create_engine(RunStore(tmp_path, database_url=database_url).database_url).connect() as db:
        assert db.execute(text("SELECT version FROM schema_version")).all() == [(SCHEMA_VERSION,)]
        assert db.execute(text("SELECT version FROM class_schema")).all() == [(1,)]


def test_postgresql_columns_are_doubles_and_metric_rows_bigints(tmp_path, postgres_server):
    store = RunStore(tmp_path, database_url=postgres_server.create_database("column_types"))
    with create_engine(store.database_url).connect() as db:
        types = dict(
            db.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            ).all()
        )
    assert types["metrics.value"] == types["runs.created"] == types["runs.heartbeat"] == "double precision"
    assert types["metrics.row"] == "bigint" and types["classes.created"] == "double precision"
    postgres_server.drop_database("column_types")
