"""Who controls a run: capability keys in the store, the admin token, delete while running, the limits.

The JobManager here starts no worker (start=False): runs wait in the queue, which is all these checks need.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from optim_core.training.config import RunConfig
from optim_core.training.jobs import JobManager
from optim_core.training.ownership import (
    Access,
    NotAllowed,
    Policy,
    QuotaExceeded,
    RunActive,
    key_hash,
    new_key,
)
from optim_core.training.store import RunStore

TINY = dict(optimizers=[{"name": "adam"}], epochs=1, batch_size=32, max_samples=96)


@pytest.fixture
def jobs(tmp_path):
    manager = JobManager(tmp_path, max_workers=1, start=False)
    yield manager
    manager.store.close()


def test_a_key_is_unguessable_and_the_store_keeps_only_its_hash(jobs):
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100 and all(len(k) >= 32 for k in keys)
    key = new_key()
    run = jobs.submit(RunConfig(**TINY), key=key)
    assert jobs.store.get_run(run).owner == key_hash(key)
    files = [jobs.store.path, jobs.store.path.with_name("runs.sqlite-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    assert key.encode() not in raw


def test_only_the_key_or_the_admin_token_controls_a_run(jobs):
    key, policy = new_key(), Policy(admin_token="teacher-token")
    run = jobs.submit(RunConfig(**TINY), key=key)
    stranger, wrong = Access.of([new_key()]), policy.access([key + "x"], token="teacher-tokem")
    for access in (stranger, wrong, Access()):
        with pytest.raises(NotAllowed) as refused:
            jobs.stop(run, access)
        assert key not in str(refused.value)
        with pytest.raises(NotAllowed):
            jobs.delete(run, access)
    assert jobs.store.get_run(run).status == "queued"
    assert jobs.stop(run, Access.of([key])) == "stopped"
    with pytest.raises(NotAllowed):
        jobs.resume(run, stranger)
    jobs.resume(run, policy.access([], token="teacher-token"))  # the instructor
    assert jobs.store.get_run(run).status == "queued"
    assert not Policy().is_admin("") and not Policy(admin_token="").is_admin("anything")


def test_delete_refuses_a_queued_or_running_run_in_its_transaction(jobs):
    key = new_key()
    mine = Access.of([key])
    run = jobs.submit(RunConfig(**TINY), key=key)
    with pytest.raises(RunActive, match="stop it"):
        jobs.delete(run, mine)
    jobs.store.update(run, status="running")
    with pytest.raises(RunActive):
        jobs.store.delete_run(run)
    jobs.store.update(run, status="stopped")
    # a resume racing the delete: whichever commits first wins, the other sees its result
    barrier, errors = threading.Barrier(2), []

    def resume():
        barrier.wait()
        try:
            RunStore(jobs.store.path).requeue(run, resume=True)
        except Exception as error:  # noqa: BLE001 (the run was deleted first)
            errors.append(error)

    thread = threading.Thread(target=resume)
    thread.start()
    barrier.wait()
    try:
        jobs.store.delete_run(run)
        deleted = True
    except RunActive:
        deleted = False
    thread.join()
    ids = [r.id for r in jobs.store.list_runs()]
    assert (run not in ids) == deleted
    if deleted:
        assert errors  # the resume found no run: nothing left queued without its row
    else:
        assert jobs.store.get_run(run).status == "queued"


def test_a_store_from_before_keys_is_migrated_and_its_runs_are_the_admins(tmp_path):
    path = tmp_path / "runs.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL,"
        " config TEXT NOT NULL, status TEXT NOT NULL, error TEXT, queued_at REAL, started_at REAL,"
        " finished_at REAL,"
        " worker_pid INTEGER, worker_host TEXT, heartbeat REAL, stop_requested INTEGER NOT NULL DEFAULT 0,"
        " resume INTEGER NOT NULL DEFAULT 0, checkpoint TEXT, summary TEXT);"
        "INSERT INTO runs (created, config, status) VALUES (1.0, '{}', 'finished');"
    )
    db.commit()
    db.close()
    manager = JobManager(path, max_workers=1, start=False)
    old = manager.store.list_runs()[0]
    assert old.owner is None and old.status == "finished"
    with pytest.raises(NotAllowed):
        manager.delete(old.id, Access.of([new_key()]))
    manager.delete(old.id, Access(admin=True))
    assert manager.store.list_runs() == []


def test_the_per_user_limit_and_the_queue_cap(jobs):
    policy = Policy(runs_per_user=2, queue_cap=3)
    held: list[str] = []

    def start(keys: list[str]) -> int:
        key = new_key()
        run = jobs.submit(RunConfig(**TINY), key=key, access=Access.of(keys), policy=policy)
        keys.append(key)
        return run

    first = start(held)
    start(held)
    with pytest.raises(QuotaExceeded) as hit:
        start(held)
    assert (hit.value.kind, hit.value.limit) == ("user", 2)
    jobs.stop(first, Access.of(held))  # a slot is free again
    start(held)
    with pytest.raises(QuotaExceeded):  # resuming the stopped run would be a third
        jobs.resume(first, Access.of(held), policy)
    other: list[str] = []
    start(other)  # another student: the queue holds 3 now
    with pytest.raises(QuotaExceeded) as hit:
        start([])
    assert (hit.value.kind, hit.value.limit) == ("queue", 3)
    assert len(jobs.store.queued_ids()) == 3


def test_retention_deletes_the_oldest_ended_runs_and_their_checkpoints(jobs):
    store = jobs.store
    runs = [store.create_run({"n": i}) for i in range(6)]
    for run in runs[:4]:
        store.mark_status(run, "finished")
        store.checkpoint_dir(run).mkdir(parents=True)
    store.update(runs[0], status="running")  # the oldest is running again: it stays
    assert jobs.prune(max_runs=4) == [runs[1], runs[2]]
    assert sorted(r.id for r in store.list_runs()) == [runs[0], runs[3], runs[4], runs[5]]
    assert not store.checkpoint_dir(runs[1]).exists() and store.checkpoint_dir(runs[3]).exists()
    assert jobs.prune(max_runs=4) == []


def test_the_policy_reads_the_environment():
    policy = Policy.from_env(
        {
            "OPTIM_LAB_RUN_VISIBILITY": "owner",
            "OPTIM_LAB_ADMIN_TOKEN": "t0ken",
            "OPTIM_LAB_RUNS_PER_USER": "3",
            "OPTIM_LAB_QUEUE_CAP": "9",
            "OPTIM_LAB_MAX_RUNS": "50",
        }
    )
    assert policy == Policy("owner", "t0ken", 3, 9, 50)
    assert Policy.from_env({}) == Policy()
    assert not policy.may_view(key_hash("a"), Access()) and Policy().may_view(None, Access())
    with pytest.raises(ValueError, match="OPTIM_LAB_RUN_VISIBILITY"):
        Policy.from_env({"OPTIM_LAB_RUN_VISIBILITY": "everyone"})
    with pytest.raises(ValueError, match="OPTIM_LAB_MAX_RUNS"):
        Policy.from_env({"OPTIM_LAB_MAX_RUNS": "0"})
