"""Class sessions, their students and votes: tables of their own in the run store's database.

The run store (optim_core/training/store.py) keeps runs; this module keeps classes in the same database
(SQLite `runs.sqlite` in WAL mode, or PostgreSQL: optim_core/training/database.py), so every server
process, on one node or several, that shares a run store shares its classes too. The tables are defined
and migrated with the run store's (optim_core/training/schema.py), and every read-check-write happens in
one write transaction (database.write: the store's write lock from its start), so two votes, or a vote and
the reveal, cannot interleave.

Schema (the class tables' own version 1, kept in class_schema)
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
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

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
from optim_core.training import database
from optim_core.training.ownership import key_hash, new_key
from optim_core.training.schema import (
    CLASS_SCHEMA_VERSION,
    class_students,
    class_votes,
    classes,
    open_store,
)

SCHEMA_VERSION = CLASS_SCHEMA_VERSION
ACTIONS = ("next", "previous", "reveal", "reset")
_NAME_LIMIT = 64  # characters of a lesson or answer id
_VOTE = text(  # one vote per student and question: a second one replaces the first (SQLite and PostgreSQL)
    "INSERT INTO class_votes (class_id, position, student, answer, at) "
    "VALUES (:class_id, :position, :student, :answer, :at) "
    "ON CONFLICT (class_id, position, student) DO UPDATE SET answer = excluded.answer, at = excluded.at"
)

# the statements a class's screens repeat (database.fetch compiles each once)
_LIVE = select(classes).where(classes.c.code == bindparam("code"), classes.c.created > bindparam("after"))
_CLASS_FIELDS = tuple(column.name for column in classes.c)
_VERSION = select(classes.c.version).where(
    classes.c.code == bindparam("code"), classes.c.created > bindparam("after")
)
_LIVE_COUNT = select(func.count()).select_from(classes).where(classes.c.created > bindparam("after"))
_STUDENTS = (
    select(func.count()).select_from(class_students).where(class_students.c.class_id == bindparam("class_id"))
)
_JOINED = select(class_students.c.student).where(
    class_students.c.class_id == bindparam("class_id"), class_students.c.student == bindparam("student")
)
_MY_VOTE = select(class_votes.c.answer).where(
    class_votes.c.class_id == bindparam("class_id"),
    class_votes.c.position == bindparam("position"),
    class_votes.c.student == bindparam("student"),
)
_TALLY = (
    select(class_votes.c.answer, func.count())
    .where(class_votes.c.class_id == bindparam("class_id"), class_votes.c.position == bindparam("position"))
    .group_by(class_votes.c.answer)
)


class ClassStore:
    """The classes in the run store's database (`path`: the runs folder, or its SQLite file; default the
    run store's own, $OPTIM_LAB_RUNS_DIR; `database_url` as RunStore's)."""

    def __init__(
        self, path: str | Path | None = None, limits: Limits | None = None, database_url: str | None = None
    ):
        _, self.path, self.database_url, self._engine = open_store(path, database_url)
        self.limits = limits or Limits()

    def _tx(self):
        return database.write(self._engine)  # the write lock up front: read-check-write is atomic

    def close(self) -> None:
        database.dispose(self.database_url)

    # ------------------------------------------------------------------ the instructor

    def create(self, plan: Sequence[Question], now: float | None = None) -> tuple[str, str]:
        """A new class following `plan`: its join code and the instructor's key (returned once; the
        store keeps only its hash). Expired classes go first; TooManyClasses beyond Limits.classes."""
        plan = _checked_plan(plan, self.limits)
        now = time.time() if now is None else now
        key = new_key()
        with self._tx() as db:
            db.execute(delete(classes).where(classes.c.created <= now - self.limits.age_s))
            live = db.execute(select(func.count()).select_from(classes)).scalar_one()
            if live >= self.limits.classes:
                raise TooManyClasses(f"{self.limits.classes} classes are running")
            for _ in range(20):  # a collision among live codes is rare: draw again
                code = new_code()
                if db.execute(select(classes.c.id).where(classes.c.code == code)).first() is None:
                    break
            else:
                raise TooManyClasses("no free join code")
            db.execute(
                insert(classes).values(
                    code=code,
                    owner=key_hash(key),
                    created=now,
                    plan=json.dumps([[q.lesson, list(q.answers)] for q in plan]),
                )
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
                    delete(class_votes).where(
                        class_votes.c.class_id == row["id"], class_votes.c.position == position
                    )
                )
            db.execute(
                update(classes)
                .where(classes.c.id == row["id"])
                .values(
                    position=position, revealed=json.dumps(sorted(revealed)), version=classes.c.version + 1
                )
            )
        return self.state(code, now)

    def is_instructor(self, code: str, key: str, now: float | None = None) -> bool:
        try:
            row = self._live(None, code, now)
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
            if _joined(db, row["id"], student):
                pass
            elif db.execute(_STUDENTS, {"class_id": row["id"]}).scalar_one() >= self.limits.students:
                raise ClassFull(f"the class has {self.limits.students} students")
            else:
                db.execute(insert(class_students).values(class_id=row["id"], student=student, joined=now))
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
            if not _joined(db, row["id"], student):
                raise NotJoined("join the class first")
            db.execute(
                _VOTE,
                {
                    "class_id": row["id"],
                    "position": position,
                    "student": student,
                    "answer": answer,
                    "at": now,
                },
            )

    def my_vote(self, code: str, student: str, now: float | None = None) -> str | None:
        row = self._live(None, code, now)
        params = {"class_id": row["id"], "position": row["position"], "student": student}
        found = database.fetch(self._engine, _MY_VOTE, params)
        return found[0][0] if found else None

    # ------------------------------------------------------------------ reading

    def version(self, code: str, now: float | None = None) -> int | None:
        """The class's version (what students poll: one tiny row), or None when it is gone."""
        now = time.time() if now is None else now
        found = database.fetch(self._engine, _VERSION, {"code": code, "after": now - self.limits.age_s})
        return found[0][0] if found else None

    def state(self, code: str, now: float | None = None) -> ClassState:
        row = self._live(None, code, now)
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
        row = self._live(None, code, now)
        position = row["position"]
        counts = dict.fromkeys(json.loads(row["plan"])[position][1], 0)
        votes = database.fetch(self._engine, _TALLY, {"class_id": row["id"], "position": position})
        students = database.fetch(self._engine, _STUDENTS, {"class_id": row["id"]})[0][0]
        for answer, n in votes:
            if answer in counts:
                counts[answer] = n
        return Tally(position, counts, students)

    def live_count(self, now: float | None = None) -> int:
        now = time.time() if now is None else now
        cutoff = now - self.limits.age_s
        return database.fetch(self._engine, _LIVE_COUNT, {"after": cutoff})[0][0]

    def _live(self, db: Connection | None, code: str, now: float | None) -> dict[str, Any]:
        """The live class of `code` as a dict of its columns; read in the write transaction `db`, or on
        its own (None). ClassNotFound when there is none."""
        now = time.time() if now is None else now
        try:
            code = normalize_code(code)
        except ValueError:
            raise ClassNotFound("no such class") from None
        params = {"code": code, "after": now - self.limits.age_s}
        rows = database.fetch(self._engine, _LIVE, params) if db is None else db.execute(_LIVE, params).all()
        if not rows:
            raise ClassNotFound("no such class")
        return dict(zip(_CLASS_FIELDS, rows[0], strict=True))


def _joined(db: Connection, class_id: int, student: str) -> bool:
    return db.execute(_JOINED, {"class_id": class_id, "student": student}).first() is not None


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
