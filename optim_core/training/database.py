"""The connection to the run store's SQLite file, shared by the run store and the class tables."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path


def thread_connection(local: threading.local, path: Path) -> sqlite3.Connection:
    """This thread's connection to the store's database file (one per thread and process: a worker
    forked or spawned later opens its own), in WAL mode with foreign keys on; the class tables share it."""
    db = getattr(local, "db", None)
    if db is None or getattr(local, "pid", None) != os.getpid():
        db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.row_factory = sqlite3.Row
        local.db, local.pid = db, os.getpid()
    return db
