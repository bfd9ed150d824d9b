"""The run store and the class store on both backends: every test runs on SQLite and on a real PostgreSQL
server (the `database_url` fixture, tests/conftest.py), through the same public methods."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import socket
import struct
import threading
import time

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from optim_core.classroom import (
    BadVote,
    ClassFull,
    ClassNotFound,
    ClassStore,
    Limits,
    NotInstructor,
    NotJoined,
    Question,
    QuestionChanged,
    VotingClosed,
    new_student_id,
)
from optim_core.training import database
from optim_core.training.ownership import Policy, QuotaExceeded, RunActive, key_hash, new_key
from optim_core.training.statuses import STOP_BY_USER, STOP_FOR_SHUTDOWN
from optim_core.training.store import RunNotFound, RunStore

PLAN = (Question("ravine", ("gd", "momentum")), Question("saddle", ("sgd", "momentum", "adam")))


@pytest.fixture
def store(tmp_path, database_url):
    return RunStore(tmp_path, database_url=database_url)


def run_all(workers: list[threading.Thread]) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert not worker.is_alive()


# ---------------------------------------------------------------- where the store is


def test_the_url_is_the_argument_else_the_environment_else_sqlite_in_the_runs_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(database.ENV, raising=False)
    store = RunStore(tmp_path)
    assert store.database_url == f"sqlite:///{tmp_path / 'runs.sqlite'}" and store.root == tmp_path
    assert RunStore(tmp_path / "runs.sqlite").database_url == store.database_url
    other = f"sqlite:///{tmp_path / 'elsewhere.sqlite'}"
    monkeypatch.setenv(database.ENV, other)
    assert RunStore(tmp_path).database_url == other  # the environment names the database
    assert ClassStore(tmp_path).database_url == other
    assert (tmp_path / "elsewhere.sqlite").exists()
    mine = f"sqlite:///{tmp_path / 'mine.sqlite'}"
    assert RunStore(tmp_path, database_url=mine).database_url == mine  # the argument wins
    assert database.database_url("postgresql://u:pw@db:5432/lab", tmp_path) == (
        "postgresql+psycopg://u:pw@db:5432/lab"
    )
    assert database.where("postgresql+psycopg://u:pw@db/lab") == "postgresql+psycopg://u:***@db/lab"


def test_a_second_store_on_the_same_url_sees_the_same_runs_and_classes(tmp_path, database_url):
    first = RunStore(tmp_path / "a", database_url=database_url)
    run = first.create_run({"n": 1})
    second = RunStore(tmp_path / "a", database_url=first.database_url)  # as a worker opens it
    assert second.get_run(run).config == {"n": 1}
    code, _ = ClassStore(tmp_path / "a", database_url=database_url).create(PLAN)
    assert ClassStore(tmp_path / "a", database_url=first.database_url).state(code).position == 0
    assert second.checkpoint_dir(run) == tmp_path / "a" / "checkpoints" / f"run-{run}"


# ---------------------------------------------------------------- runs


def test_runs_create_list_get_update_and_delete(store):
    owner = key_hash(new_key())
    first, second = store.create_run({"epochs": 1}, owner=owner), store.create_run({}, status="stopped")
    assert [r.id for r in store.list_runs()] == [second, first]
    assert [r.id for r in store.list_runs(status="stopped")] == [second]
    assert [r.id for r in store.list_runs(limit=1)] == [second]
    record = store.get_run(first)
    assert (record.status, record.owner, record.config, record.resume) == (
        "queued",
        owner,
        {"epochs": 1},
        False,
    )
    assert record.queued_at == record.created and store.get_run(second).queued_at is None
    store.update(first, summary={"acc": 0.5}, resume=True, worker_host="h", worker_pid=7, checkpoint="c.pt")
    record = store.get_run(first)
    assert (record.summary, record.resume, record.worker_host, record.worker_pid) == (
        {"acc": 0.5},
        True,
        "h",
        7,
    )
    assert record.checkpoint == "c.pt"
    store.mark_status(first, "failed", error="boom")
    assert (store.get_run(first).error, store.get_run(first).finished_at is not None) == ("boom", True)
    with pytest.raises(ValueError, match="unknown run column"):
        store.update(first, owner="someone else")
    with pytest.raises(ValueError, match="valid"):
        store.create_run({}, status="exploded")
    for missing in (store.get_run, lambda r: store.update(r, error="x"), lambda r: store.requeue(r, True)):
        with pytest.raises(RunNotFound):
            missing(999)
    with pytest.raises(RunNotFound):
        store.request_stop(999)
    store.append_metrics(first, [("adam", 1, 1, "train_loss", 1.0)])
    store.checkpoint_dir(first).mkdir(parents=True)
    store.delete_run(first)  # its metrics and checkpoints go too
    assert store.read_metrics(first).empty and not store.checkpoint_dir(first).exists()
    assert [r.id for r in store.list_runs()] == [second]


def test_an_active_run_is_never_deleted(store):
    queued, running = store.create_run({}), store.create_run({})
    store.claim_next(pid=os.getpid(), max_running=1)
    for run, status in ((queued, "running"), (running, "queued")):
        with pytest.raises(RunActive) as refused:
            store.delete_run(run)
        assert refused.value.status == status
    assert len(store.list_runs()) == 2


def test_queue_stop_requeue_poll_and_interrupted(store):
    ids = [store.create_run({"n": i}) for i in range(4)]
    assert store.queued_ids() == ids and store.queue_position(ids[2]) == 3
    assert store.request_stop(ids[0]) == "stopped" and store.queue_position(ids[0]) is None
    claimed = store.claim_next(pid=os.getpid(), max_running=1)
    assert claimed is not None and claimed.id == ids[1] and claimed.status == "running"
    assert claimed.worker_host == socket.gethostname() and store.count_running() == 1
    assert store.claim_next(pid=1, max_running=1) is None
    assert store.poll_worker(ids[1]) == 0
    assert store.request_stop(ids[1], reason=STOP_FOR_SHUTDOWN) == "running"
    assert store.poll_worker(ids[1]) == STOP_FOR_SHUTDOWN
    assert store.poll_worker(999) == STOP_BY_USER  # a run that is gone: the worker stops
    with pytest.raises(ValueError, match="only stopped"):
        store.requeue(ids[2], resume=False)
    store.requeue(ids[0], resume=True)
    record = store.get_run(ids[0])
    assert (record.status, record.resume, record.stop_requested, record.finished_at) == (
        "queued",
        True,
        0,
        None,
    )
    assert store.queued_ids() == [ids[2], ids[3], ids[0]]  # at the end of the queue
    store.update(ids[2], status="running", worker_host="elsewhere", heartbeat=time.time() - 999)
    assert sorted(store.mark_interrupted()) == [ids[2]]  # ids[1]'s worker (this process) lives
    assert store.get_run(ids[2]).status == "interrupted"


def test_claim_next_races_in_threads_never_exceed_the_limit_or_claim_twice(store):
    ids = [store.create_run({}) for _ in range(12)]
    claimed: list[int] = []

    def worker(pid: int, limit: int) -> None:
        other = RunStore(store.root, database_url=store.database_url)
        while (record := other.claim_next(pid=pid, max_running=limit)) is not None:
            claimed.append(record.id)

    run_all([threading.Thread(target=worker, args=(1000 + i, 3)) for i in range(4)])
    assert sorted(claimed) == ids[:3] and store.count_running() == 3
    run_all([threading.Thread(target=worker, args=(2000 + i, 100)) for i in range(4)])
    assert sorted(claimed) == ids and store.queued_ids() == []


def test_a_forked_child_opens_its_own_connections_and_leaves_the_parents_alone(store):
    run = store.create_run({})
    store.get_run(run)  # the parent's pool now holds an idle connection
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through its exit code, whatever happens
        ok = False
        try:
            store.update(run, error="from the child")
            RunStore(store.root, database_url=store.database_url).append_metrics(run, [("a", 1, 1, "x", 1.0)])
            ok = store.get_run(run).error == "from the child"
        finally:
            os._exit(0 if ok else 1)
    assert os.waitpid(child, 0)[1] == 0
    assert store.get_run(run).error == "from the child" and len(store.read_metrics(run)) == 1


def _claim_in_a_process(root: str, url: str, results) -> None:
    store = RunStore(root, database_url=url)
    while (record := store.claim_next(pid=os.getpid(), max_running=100)) is not None:
        results.put(record.id)
    results.put(None)


def test_claim_next_races_between_processes(store):
    ids = [store.create_run({}) for _ in range(30)]
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    processes = [ctx.Process(target=_claim_in_a_process, args=(str(store.root), store.database_url, results))]
    processes.append(
        ctx.Process(target=_claim_in_a_process, args=(str(store.root), store.database_url, results))
    )
    for process in processes:
        process.start()
    claimed, done = [], 0
    while done < len(processes):
        got = results.get(timeout=60)
        done += got is None
        if got is not None:
            claimed.append(got)
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert sorted(claimed) == ids  # each run exactly once
    assert {r.worker_pid for r in store.list_runs()} <= {p.pid for p in processes}


def test_the_quota_holds_when_clicks_race(store):
    policy, key = Policy(runs_per_user=2, queue_cap=3), key_hash(new_key())
    refused: list[str] = []

    def click(owner: str) -> None:
        try:
            store.create_run({}, owner=owner, quota=(policy, [owner]))
        except QuotaExceeded as limit:
            refused.append(limit.kind)

    run_all([threading.Thread(target=click, args=(key,)) for _ in range(5)])
    assert len(store.list_runs()) == 2 and refused == ["user"] * 3
    run_all([threading.Thread(target=click, args=(key_hash(new_key()),)) for _ in range(3)])
    assert len(store.queued_ids()) == 3 and refused.count("queue") == 2
    store.request_stop(store.queued_ids()[0])
    stopped = store.list_runs(status="stopped")[0]
    with pytest.raises(QuotaExceeded):  # requeue checks it too
        store.requeue(stopped.id, resume=True, quota=(Policy(queue_cap=2), []))


# ---------------------------------------------------------------- metrics


def test_metrics_are_bit_identical_in_row_order_and_rows_only_grow(store, tmp_path):
    run, other = store.create_run({}), store.create_run({})
    values = [math.pi, 0.1 + 0.2, 1e-300, -2.5e300, 1 / 3, float(2**53 + 1), 5e-324]
    assert store.append_metrics(run, [("adam", s, 1, "train_loss", v) for s, v in enumerate(values)]) == 7
    store.append_metrics(other, [("adam", 1, 1, "train_loss", 9.0)])
    store.append_metrics(run, [("sgd", 1, 2, "val_loss", 0.25), ("sgd", 1, 2, "lr", 0.1)])
    frame = store.read_metrics(run)
    assert list(frame.columns) == ["row", "optimizer", "step", "epoch", "name", "value"]
    assert str(frame["row"].dtype) == "int64" and str(frame["value"].dtype) == "float64"
    assert frame["row"].is_monotonic_increasing and frame["row"].is_unique
    plain = 'SELECT "row", optimizer, step, epoch, name, value FROM metrics WHERE run_id = %d ORDER BY "row"'
    with create_engine(store.database_url).connect() as db:  # what pandas reads itself, dtypes and all
        pd.testing.assert_frame_equal(frame, pd.read_sql_query(text(plain % run), db))
        pd.testing.assert_frame_equal(store.read_metrics(999), pd.read_sql_query(text(plain % 999), db))
    bits = [struct.pack("<d", v) for v in frame["value"].tolist()[:7]]
    assert bits == [struct.pack("<d", v) for v in values]
    seen = int(frame["row"].iloc[6])
    assert store.read_metrics(run, since_row=seen)["name"].tolist() == ["val_loss", "lr"]
    assert store.read_metrics(run, since_row=seen, names=["lr", "nothing"])["value"].tolist() == [0.1]
    assert store.read_metrics(run, names=[]).empty and store.read_metrics(run, since_row=10**12).empty
    assert store.append_metrics(run, []) == 0
    store.truncate_metrics(run, {"adam": 2, "sgd": 0})
    assert store.read_metrics(run)["step"].tolist() == [0, 1, 2]
    later = store.append_metrics(run, [("adam", 3, 1, "train_loss", 1.0)])
    assert later == 1 and int(store.read_metrics(run)["row"].iloc[-1]) > int(frame["row"].max())
    csv = store.export_csv(run, tmp_path / "m.csv")
    assert csv.splitlines()[0] == "optimizer,step,epoch,name,value" and len(csv.splitlines()) == 5
    assert (tmp_path / "m.csv").read_text() == csv
    store.truncate_metrics(run)
    assert store.read_metrics(run).empty and len(store.read_metrics(other)) == 1


def test_a_poller_never_skips_rows_while_writers_append(store):
    run = store.create_run({})
    seen: list[int] = []
    done = threading.Event()

    def writer(lane: str) -> None:
        for step in range(40):
            store.append_metrics(run, [(lane, step, 0, "train_loss", float(step))] * 3)

    def poller() -> None:
        since = 0
        while True:
            finished = done.is_set()  # every write committed before this read
            rows = store.read_metrics(run, since_row=since)["row"].tolist()
            seen.extend(rows)
            since = rows[-1] if rows else since
            if finished and not rows:
                return

    reader = threading.Thread(target=poller)
    reader.start()
    run_all([threading.Thread(target=writer, args=(lane,)) for lane in ("a", "b", "c", "d")])
    done.set()
    reader.join(timeout=60)
    assert len(seen) == 480 and seen == sorted(seen) and len(set(seen)) == 480


# ---------------------------------------------------------------- classes


@pytest.fixture
def classes(tmp_path, database_url):
    return ClassStore(tmp_path, database_url=database_url)


def test_a_class_from_create_to_reveal(classes):
    code, key = classes.create(PLAN)
    assert classes.version(code) == 0 and classes.live_count() == 1
    assert classes.is_instructor(code, key) and not classes.is_instructor(code, new_key())
    a, b = new_student_id(), new_student_id()
    assert classes.join(code, a).position == 0
    classes.join(code, a)  # again: nothing changes
    with pytest.raises(NotJoined):
        classes.vote(code, b, "gd")
    classes.join(code, b)
    classes.vote(code, a, "gd")
    classes.vote(code, b, "gd")
    classes.vote(code, b, "momentum")  # changed its mind: still one vote
    assert classes.my_vote(code, b) == "momentum" and classes.my_vote(code, new_student_id()) is None
    tally = classes.tally(code)
    assert (tally.counts, tally.students) == ({"gd": 1, "momentum": 1}, 2)
    with pytest.raises(BadVote):
        classes.vote(code, a, "adam")
    with pytest.raises(NotInstructor):
        classes.control(code, new_key(), "reveal")
    state = classes.control(code, key, "reveal")
    assert state.revealed and state.version == 1 and classes.version(code) == 1
    with pytest.raises(VotingClosed):
        classes.vote(code, a, "momentum")
    assert classes.control(code, key, "reset").revealed is False
    assert classes.tally(code).counts == {"gd": 0, "momentum": 0}  # reset: its votes gone
    assert classes.control(code, key, "next").position == 1
    assert classes.control(code, key, "next").position == 1  # the last question stays
    with pytest.raises(QuestionChanged):
        classes.vote(code, a, "sgd", position=0)
    classes.vote(code, a, "adam", position=1)
    assert classes.tally(code).counts == {"sgd": 0, "momentum": 0, "adam": 1}
    assert classes.control(code, key, "previous").position == 0
    assert classes.state(code).version == 5
    with pytest.raises(ClassNotFound):
        classes.state(code, now=time.time() + classes.limits.age_s + 1)
    assert classes.version(code, now=time.time() + classes.limits.age_s + 1) is None


def test_votes_and_joins_race_without_losing_one_or_overfilling(tmp_path, database_url):
    classes = ClassStore(tmp_path, Limits(students=10), database_url=database_url)
    code, key = classes.create(PLAN)
    students = [new_student_id() for _ in range(14)]
    full: list[str] = []

    def join_and_vote(student: str) -> None:
        other = ClassStore(tmp_path, Limits(students=10), database_url=classes.database_url)
        try:
            other.join(code, student)
        except ClassFull:
            full.append(student)
            return
        other.vote(code, student, "momentum" if len(student) % 2 else "gd")
        other.vote(code, student, "gd")

    run_all([threading.Thread(target=join_and_vote, args=(s,)) for s in students])
    tally = classes.tally(code)
    assert tally.students == 10 and len(full) == 4 and tally.counts == {"gd": 10, "momentum": 0}
    classes.control(code, key, "reveal")
    assert classes.tally(code).counts["gd"] == 10
