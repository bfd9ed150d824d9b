"""Several app servers over one run store (deploy/cluster.py, a Kubernetes Deployment): each replica's
local executor acts only on the runs its own workers hold.

A run's worker is (worker_pid, worker_host): pids repeat across hosts (containers of one image start the
same processes in the same order, so two pods' workers often have the same pid). A replica that shuts down
must not stop, and a replica whose worker died must not mark 'interrupted', a run that a worker with the
same pid on another host is training.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from optim_core.training.jobs import JobManager
from optim_core.training.store import RunStore

TINY = dict(optimizers=[{"name": "adam"}], epochs=1, batch_size=32, max_samples=96)


def running_elsewhere(store: RunStore, pid: int) -> int:
    """A run that a worker with this pid on another host is training (its heartbeat fresh)."""
    run = store.create_run(TINY)
    store.update(run, status="running", worker_pid=pid, worker_host="replica-b", heartbeat=time.time())
    return run


@pytest.fixture
def manager(tmp_path):
    jobs = JobManager(tmp_path, max_workers=1, executor="local")
    assert jobs.wait_ready(120)
    yield jobs
    jobs.shutdown(timeout=10)


def test_a_replica_shutting_down_does_not_stop_another_hosts_run(manager):
    (pid,) = [process.pid for process in manager.executor._workers]
    run = running_elsewhere(manager.store, pid)
    manager.shutdown(timeout=10)
    record = manager.store.get_run(run)
    assert (record.status, record.stop_requested) == ("running", 0)


def test_a_dead_worker_does_not_interrupt_another_hosts_run_with_its_pid(manager):
    mine = manager.submit(dict(TINY, epochs=500))  # long: the worker is killed while it trains
    deadline = time.monotonic() + 60
    while (record := manager.store.get_run(mine)).status != "running":
        assert time.monotonic() < deadline, record.status
        time.sleep(0.1)
    theirs = running_elsewhere(manager.store, record.worker_pid)
    os.kill(record.worker_pid, signal.SIGKILL)
    while manager.store.get_run(mine).status == "running":  # the monitor looks every 0.5 s
        assert time.monotonic() < deadline, "the dead worker's run was not marked"
        time.sleep(0.1)
    assert manager.store.get_run(mine).status == "interrupted"
    record = manager.store.get_run(theirs)
    assert (record.status, record.error) == ("running", None)
    while not all(p.is_alive() and p.pid != record.worker_pid for p in manager.executor._workers):
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        time.sleep(0.1)  # before the fixture shuts the pool down


@pytest.mark.timeout(180)  # the bug was a hang: fail instead
def test_an_idle_worker_killed_while_it_waits_breaks_neither_submit_nor_shutdown(manager):
    """A worker killed (kill -9, the OOM killer) while it waits for work: with an mp.Event its wait left
    the Event's condition counting a sleeper that never wakes, and the next set() (submit, shutdown) hung
    forever. The replacement worker takes the next run, and shutdown returns."""
    (pid,) = [process.pid for process in manager.executor._workers]
    time.sleep(0.5)  # idle: in its wait for work
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while [process.pid for process in manager.executor._workers] == [pid]:  # the monitor replaces it
        assert time.monotonic() < deadline, "the dead worker was not replaced"
        time.sleep(0.1)
    started = time.monotonic()
    run = manager.submit(TINY)
    assert time.monotonic() - started < 5
    assert manager.wait(run, timeout=120).status == "finished"
    started = time.monotonic()
    manager.shutdown(timeout=10)
    assert time.monotonic() - started < 15
