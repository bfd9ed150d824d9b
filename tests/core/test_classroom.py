"""Class sessions: join codes, one vote per student per question, the reveal, the instructor's key, expiry."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from optim_core.classroom import (
    ALPHABET,
    BadCode,
    BadVote,
    ClassFull,
    ClassNotFound,
    ClassStore,
    Limits,
    NotInstructor,
    NotJoined,
    Question,
    QuestionChanged,
    TooManyClasses,
    VotingClosed,
    codes,
    new_student_id,
    normalize_code,
)
from optim_core.training.ownership import key_hash
from optim_core.training.store import RunStore

PLAN = (Question("ravine", ("gd", "momentum")), Question("saddle", ("sgd", "momentum", "adam")))


@pytest.fixture
def store(tmp_path):
    return ClassStore(tmp_path)


def joined(store, code, n):
    students = [new_student_id() for _ in range(n)]
    for s in students:
        store.join(code, s)
    return students


def test_codes_are_short_unambiguous_and_forgiving():
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == 6 and set(code) <= set(ALPHABET)
    assert not set("01ILO") & set(ALPHABET)
    assert normalize_code(" ab c-23 4 ") == "ABC234"
    for bad in ("", "ABC12", "ABCDEFG", "ABC10O", "A'; DROP", "x" * 10_000):
        with pytest.raises(BadCode):
            normalize_code(bad)


def test_a_class_keeps_only_its_key_hash_in_the_run_store_file(tmp_path):
    runs = RunStore(tmp_path)  # the same database file, the run store's tables untouched
    store = ClassStore(tmp_path)
    code, key = store.create(PLAN)
    assert store.path == runs.path
    db = sqlite3.connect(runs.path)
    owner, plan = db.execute("SELECT owner, plan FROM classes WHERE code = ?", (code,)).fetchone()
    assert owner == key_hash(key) and key not in owner
    assert json.loads(plan) == [["ravine", ["gd", "momentum"]], ["saddle", ["sgd", "momentum", "adam"]]]
    assert db.execute("SELECT version FROM class_schema").fetchall() == [(1,)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert runs.list_runs() == []


def test_codes_are_unique_when_the_generator_repeats(store, monkeypatch):
    drawn = iter(["AAAAAA", "AAAAAA", "AAAAAA", "BBBBBB"])
    monkeypatch.setattr("optim_core.classroom.store.new_code", lambda: next(drawn))
    first, _ = store.create(PLAN)
    second, _ = store.create(PLAN)  # AAAAAA is taken twice over: drawn again
    assert (first, second) == ("AAAAAA", "BBBBBB")


def test_each_student_counts_once_and_may_change_until_the_reveal(store):
    code, key = store.create(PLAN)
    a, b, c = joined(store, code, 3)
    store.vote(code, a, "gd")
    store.vote(code, a, "gd")
    store.vote(code, b, "gd")
    store.vote(code, b, "momentum")  # changed her mind
    assert store.tally(code).counts == {"gd": 1, "momentum": 1}
    assert store.tally(code).voters == 2 and store.tally(code).students == 3
    assert store.my_vote(code, b) == "momentum" and store.my_vote(code, c) is None
    store.control(code, key, "reveal")
    with pytest.raises(VotingClosed):
        store.vote(code, a, "momentum")
    with pytest.raises(VotingClosed):
        store.vote(code, c, "gd")
    assert store.tally(code).counts == {"gd": 1, "momentum": 1}
    assert store.state(code).revealed


def test_votes_are_per_question_and_reset_reopens_one(store):
    code, key = store.create(PLAN)
    (a,) = joined(store, code, 1)
    store.vote(code, a, "gd")
    store.control(code, key, "reveal")
    state = store.control(code, key, "next")
    assert (state.position, state.revealed, state.question.lesson) == (1, False, "saddle")
    assert store.tally(code).counts == {"sgd": 0, "momentum": 0, "adam": 0}
    store.vote(code, a, "adam")
    assert store.control(code, key, "next").position == 1  # the last question stays the last
    state = store.control(code, key, "previous")
    assert state.revealed and store.tally(code).counts == {"gd": 1, "momentum": 0}  # kept, still revealed
    store.control(code, key, "reset")
    assert not store.state(code).revealed and store.tally(code).voters == 0
    store.vote(code, a, "momentum")
    assert store.control(code, key, "next").position == 1
    assert store.tally(code).counts == {"sgd": 0, "momentum": 0, "adam": 1}


def test_only_the_instructor_key_controls(store):
    code, key = store.create(PLAN)
    other_code, other_key = store.create(PLAN)
    version = store.version(code)
    for wrong in ("", "guess", other_key, key_hash(key)):
        for action in ("next", "previous", "reveal", "reset"):
            with pytest.raises(NotInstructor):
                store.control(code, wrong, action)
    assert store.version(code) == version and store.state(code).position == 0
    assert store.is_instructor(code, key) and not store.is_instructor(code, other_key)
    assert store.control(code, key, "reveal").version == version + 1
    with pytest.raises(ValueError):
        store.control(code, key, "delete")


def test_untrusted_votes_are_refused(store):
    code, _ = store.create(PLAN)
    other, _ = store.create(PLAN)
    (a,) = joined(store, code, 1)
    with pytest.raises(BadVote):
        store.vote(code, a, "adam")  # an answer of another question
    with pytest.raises(BadVote):
        store.vote(code, "short", "gd")
    with pytest.raises(BadVote):
        store.vote(code, "x" * 33, "gd")
    with pytest.raises(NotJoined):
        store.vote(other, a, "gd")  # joined another class
    with pytest.raises(NotJoined):
        store.vote(code, new_student_id(), "gd")
    for bad in ("ZZZZZZ", "<b>x</b>", "' OR 1=1 --"):
        with pytest.raises(ClassNotFound):
            store.vote(bad, a, "gd")
    assert store.tally(code).voters == 0 and store.tally(other).voters == 0


def test_a_class_holds_a_bounded_number_of_students(tmp_path):
    store = ClassStore(tmp_path, Limits(students=3))
    code, _ = store.create(PLAN)
    students = joined(store, code, 3)
    store.join(code, students[0])  # joining again is not a new student
    with pytest.raises(ClassFull):
        store.join(code, new_student_id())
    assert store.tally(code).students == 3


def test_classes_expire_and_are_bounded(tmp_path):
    store = ClassStore(tmp_path, Limits(classes=2, age_s=3600))
    code, key = store.create(PLAN, now=1000.0)
    store.create(PLAN, now=1000.0)
    with pytest.raises(TooManyClasses):
        store.create(PLAN, now=2000.0)
    assert store.version(code, now=4599.0) == 0
    for call in (
        lambda: store.state(code, now=4600.0),
        lambda: store.join(code, new_student_id(), now=4600.0),
        lambda: store.control(code, key, "reveal", now=4600.0),
    ):
        with pytest.raises(ClassNotFound):
            call()
    assert store.version(code, now=4600.0) is None
    store.create(PLAN, now=4600.0)  # the expired ones are deleted: room again
    assert store.live_count(now=4600.0) == 1


def test_a_plan_is_bounded_and_checked(store):
    for plan in (
        (),
        (Question("x", ("a",)),),
        (Question("x", ("a", "a")),),
        (Question("x" * 65, ("a", "b")),),
    ):
        with pytest.raises(ValueError):
            store.create(plan)
    with pytest.raises(ValueError):
        ClassStore(store.path, Limits(questions=1)).create(PLAN)


def test_concurrent_votes_are_each_counted_once(store):
    code, _ = store.create(PLAN)
    students = joined(store, code, 60)

    def vote(student):
        for answer in ("gd", "momentum", "gd"):  # each student changes twice; the last one stands
            ClassStore(store.path).vote(code, student, answer)

    threads = [threading.Thread(target=vote, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.tally(code).counts == {"gd": 60, "momentum": 0}


def test_a_vote_for_a_question_the_class_has_left_is_refused(store):
    code, key = store.create((Question("one", ("a", "b")), Question("two", ("a", "b"))))
    (a,) = joined(store, code, 1)
    store.vote(code, a, "a", position=0)
    store.control(code, key, "next")  # the student's click was still on its way
    with pytest.raises(QuestionChanged):
        store.vote(code, a, "b", position=0)
    assert store.tally(code).voters == 0 and store.my_vote(code, a) is None
    store.vote(code, a, "b", position=1)
    assert store.tally(code).counts == {"a": 0, "b": 1}
