"""Class sessions, their students and votes: tables of their own in the run store's SQLite file.

The run store (optim_core/training/store.py) keeps runs; this module keeps classes in the same database
file (`runs.sqlite`, WAL mode, one connection per thread and process), so every server process that
shares a run store shares its classes too. Its tables carry their own schema version
(`class_schema`), and every read-check-write happens in one IMMEDIATE transaction, so two votes, or a vote
and the reveal, cannot interleave.

Schema (version 1)
    classes(id, code UNIQUE, owner, created, plan JSON, position, revealed JSON, version)
        owner: the SHA-256 of the instructor's key (ownership.key_hash); the key itself is never stored
        plan: [[lesson id, [answer ids]], ...]; position: the current question's index in it
        revealed: the positions revealed so far; version: +1 at each instructor action (students poll it)
    class_students(class_id, student, joined)               -- who joined, at most Limits.students
    class_votes(class_id, position, student, answer, at)    -- one row per student per question

Everything a student sends (code, student id, answer) is checked here, at the action: the code must name
a live class, the student must have joined it, the answer must be one of the current question's, and the
question must not be revealed. Only the instructor's key advances, reveals or resets.
"""

from __future__ import annotations

import hmac
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from optim_core.classroom.codes import new_code, normalize_code, valid_student_id
from optim_core.classroom.records import (
    BadVote,
    ClassError,
    ClassFull,
    ClassNotFound,
    ClassState,
    Limits,
    NotInstructor,
    NotJoined,
    Question,
    QuestionChanged,
    Tally,
    TooManyClasses,
    VotingClosed,
)
from optim_core.training.database import thread_connection
from optim_core.training.ownership import key_hash, new_key
from optim_core.training.store import DB_NAME, default_runs_dir

SCHEMA_VERSION = 1
ACTIONS = ("next", "previous", "reveal", "reset")
_NAME_LIMIT = 64  # characters of a lesson or answer id

_SCHEMA = """
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


class ClassStore:
    """The classes in the run store's database file (`path`: the file or its folder; default the run
    store's own, $OPTIM_LAB_RUNS_DIR)."""

    def __init__(self, path: str | Path | None = None, limits: Limits | None = None):
        path = Path(path) if path is not None else default_runs_dir() / DB_NAME
        if path.suffix == "" or path.is_dir():
            path = path / DB_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.limits = path, limits or Limits()
        self._local = threading.local()
        self._db().executescript(_SCHEMA)
        with self._tx() as db:
            row = db.execute("SELECT MAX(version) FROM class_schema").fetchone()
            if row[0] is None:
                db.execute("INSERT INTO class_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise RuntimeError(f"class tables are schema {row[0]}; this code knows {SCHEMA_VERSION}")

    def _db(self) -> sqlite3.Connection:
        return thread_connection(self._local, self.path)  # the run store's file, opened as it does

    class _Tx:
        def __init__(self, db: sqlite3.Connection):
            self.db = db

        def __enter__(self) -> sqlite3.Connection:
            self.db.execute("BEGIN IMMEDIATE")  # the write lock up front: read-check-write is atomic
            return self.db

        def __exit__(self, kind, *_):
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _tx(self) -> ClassStore._Tx:
        return ClassStore._Tx(self._db())

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # ------------------------------------------------------------------ the instructor

    def create(self, plan: Sequence[Question], now: float | None = None) -> tuple[str, str]:
        """A new class following `plan`: its join code and the instructor's key (returned once; the
        store keeps only its hash). Expired classes go first; TooManyClasses beyond Limits.classes."""
        plan = _checked_plan(plan, self.limits)
        now = time.time() if now is None else now
        key = new_key()
        with self._tx() as db:
            db.execute("DELETE FROM classes WHERE created <= ?", (now - self.limits.age_s,))
            live = db.execute("SELECT COUNT(*) FROM classes").fetchone()[0]
            if live >= self.limits.classes:
                raise TooManyClasses(f"{self.limits.classes} classes are running")
            for _ in range(20):  # a collision among live codes is rare: draw again
                code = new_code()
                if db.execute("SELECT 1 FROM classes WHERE code = ?", (code,)).fetchone() is None:
                    break
            else:
                raise TooManyClasses("no free join code")
            db.execute(
                "INSERT INTO classes (code, owner, created, plan) VALUES (?, ?, ?, ?)",
                (code, key_hash(key), now, json.dumps([[q.lesson, list(q.answers)] for q in plan])),
            )
        return code, key

    def control(self, code: str, key: str, action: str, now: float | None = None) -> ClassState:
        """Next, previous, reveal or reset the current question (reset: its votes gone, voting open
        again). NotInstructor without the class's key."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}; valid: {', '.join(ACTIONS)}")
        with self._tx() as db:
            row = self._live(db, code, now)
            if not key or not hmac.compare_digest(key_hash(key), row["owner"]):
                raise NotInstructor("only the instructor's link controls the class")
            position, revealed = row["position"], set(json.loads(row["revealed"]))
            last = len(json.loads(row["plan"])) - 1
            if action == "next":
                position = min(position + 1, last)
            elif action == "previous":
                position = max(position - 1, 0)
            elif action == "reveal":
                revealed.add(position)
            else:
                revealed.discard(position)
                db.execute(
                    "DELETE FROM class_votes WHERE class_id = ? AND position = ?", (row["id"], position)
                )
            db.execute(
                "UPDATE classes SET position = ?, revealed = ?, version = version + 1 WHERE id = ?",
                (position, json.dumps(sorted(revealed)), row["id"]),
            )
        return self.state(code, now)

    def is_instructor(self, code: str, key: str, now: float | None = None) -> bool:
        try:
            row = self._live(self._db(), code, now)
        except ClassError:
            return False
        return bool(key) and hmac.compare_digest(key_hash(key), row["owner"])

    # ------------------------------------------------------------------ students

    def join(self, code: str, student: str, now: float | None = None) -> ClassState:
        """Add `student` to the class (again: nothing changes). ClassFull beyond Limits.students."""
        if not valid_student_id(student):
            raise BadVote("malformed student id")
        now = time.time() if now is None else now
        with self._tx() as db:
            row = self._live(db, code, now)
            args = (row["id"], student)
            if db.execute("SELECT 1 FROM class_students WHERE class_id = ? AND student = ?", args).fetchone():
                pass
            elif (
                db.execute("SELECT COUNT(*) FROM class_students WHERE class_id = ?", (row["id"],)).fetchone()[
                    0
                ]
                >= self.limits.students
            ):
                raise ClassFull(f"the class has {self.limits.students} students")
            else:
                db.execute(
                    "INSERT INTO class_students (class_id, student, joined) VALUES (?, ?, ?)", (*args, now)
                )
        return self.state(code, now)

    def vote(
        self, code: str, student: str, answer: str, position: int | None = None, now: float | None = None
    ) -> None:
        """The student's answer to the current question: one per student, changeable until the reveal.
        `position`: the question the student saw; QuestionChanged if the class has moved on since."""
        if not valid_student_id(student):
            raise BadVote("malformed student id")
        now = time.time() if now is None else now
        with self._tx() as db:
            row = self._live(db, code, now)
            if position is not None and position != row["position"]:
                raise QuestionChanged("the class has moved to another question")
            position = row["position"]
            if position in json.loads(row["revealed"]):
                raise VotingClosed("the answer is revealed")
            if answer not in json.loads(row["plan"])[position][1]:
                raise BadVote("not an answer of this question")
            args = (row["id"], student)
            if not db.execute(
                "SELECT 1 FROM class_students WHERE class_id = ? AND student = ?", args
            ).fetchone():
                raise NotJoined("join the class first")
            db.execute(
                "INSERT INTO class_votes (class_id, position, student, answer, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (class_id, position, student) "
                "DO UPDATE SET answer = excluded.answer, at = excluded.at",
                (row["id"], position, student, answer, now),
            )

    def my_vote(self, code: str, student: str, now: float | None = None) -> str | None:
        row = self._live(self._db(), code, now)
        vote = (
            self._db()
            .execute(
                "SELECT answer FROM class_votes WHERE class_id = ? AND position = ? AND student = ?",
                (row["id"], row["position"], student),
            )
            .fetchone()
        )
        return None if vote is None else vote["answer"]

    # ------------------------------------------------------------------ reading

    def version(self, code: str, now: float | None = None) -> int | None:
        """The class's version (what students poll: one tiny row), or None when it is gone."""
        now = time.time() if now is None else now
        row = (
            self._db()
            .execute(
                "SELECT version FROM classes WHERE code = ? AND created > ?", (code, now - self.limits.age_s)
            )
            .fetchone()
        )
        return None if row is None else row["version"]

    def state(self, code: str, now: float | None = None) -> ClassState:
        row = self._live(self._db(), code, now)
        plan = tuple(Question(lesson, tuple(answers)) for lesson, answers in json.loads(row["plan"]))
        return ClassState(
            code=row["code"],
            position=row["position"],
            plan=plan,
            revealed=row["position"] in json.loads(row["revealed"]),
            version=row["version"],
            created=row["created"],
            expires=row["created"] + self.limits.age_s,
        )

    def tally(self, code: str, now: float | None = None) -> Tally:
        """The current question's votes per answer (every answer listed, zeros too)."""
        db = self._db()
        row = self._live(db, code, now)
        position = row["position"]
        counts = dict.fromkeys(json.loads(row["plan"])[position][1], 0)
        for vote in db.execute(
            "SELECT answer, COUNT(*) AS n FROM class_votes WHERE class_id = ? AND position = ? "
            "GROUP BY answer",
            (row["id"], position),
        ):
            if vote["answer"] in counts:
                counts[vote["answer"]] = vote["n"]
        students = db.execute(
            "SELECT COUNT(*) FROM class_students WHERE class_id = ?", (row["id"],)
        ).fetchone()[0]
        return Tally(position, counts, students)

    def live_count(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cutoff = now - self.limits.age_s
        return self._db().execute("SELECT COUNT(*) FROM classes WHERE created > ?", (cutoff,)).fetchone()[0]

    def _live(self, db: sqlite3.Connection, code: str, now: float | None) -> sqlite3.Row:
        now = time.time() if now is None else now
        try:
            code = normalize_code(code)
        except ValueError:
            raise ClassNotFound("no such class") from None
        row = db.execute(
            "SELECT * FROM classes WHERE code = ? AND created > ?", (code, now - self.limits.age_s)
        ).fetchone()
        if row is None:
            raise ClassNotFound("no such class")
        return row


def _checked_plan(plan: Sequence[Question], limits: Limits) -> tuple[Question, ...]:
    plan = tuple(plan)
    if not 1 <= len(plan) <= limits.questions:
        raise ValueError(f"a class has 1 to {limits.questions} questions, got {len(plan)}")
    for question in plan:
        names = (question.lesson, *question.answers)
        if not 2 <= len(question.answers) <= 6 or len(set(question.answers)) != len(question.answers):
            raise ValueError(f"lesson {question.lesson!r}: 2 to 6 distinct answers")
        if not all(isinstance(n, str) and 0 < len(n) <= _NAME_LIMIT for n in names):
            raise ValueError(f"lesson and answer ids are 1 to {_NAME_LIMIT} characters")
    return plan
