"""Background training jobs: the run store's queue, run by an executor (a local pool or a Ray cluster).

Lifecycle of a run
    submit(config)   -> a 'queued' row in the store; queue_position(run_id) = 1, 2, ...
    claimed          -> 'running' (claim_next is one store transaction, and refuses while
                        max_workers runs are already running, even across several managers)
    training         -> metrics appended in batches; a checkpoint every `checkpoint_interval_s`
    stop(run_id)     -> queued: 'stopped' at once; running: stop_requested=1, which the worker polls
                        (about every 0.25 s), then it checkpoints and marks 'stopped'
    end              -> 'finished' (summary JSON + final checkpoint) or 'failed' (traceback)
    app shutdown     -> running runs checkpoint and go back to the queue (resume=1); the next app
                        start continues them
    resume(run_id)   -> a stopped / interrupted / failed run is queued again and continues from its
                        checkpoint (or starts over when it has none)
    delete(run_id)   -> an ended run, its metrics and checkpoints (refused while queued or running)

Ownership (ownership.py): submit stores the hash of the run's key; stop / resume / delete given the
caller's Access refuse (NotAllowed) unless it holds that key or the admin token; given a Policy, submit
and resume check the class's limits in the store transaction that queues the run; prune applies the
retention limit.

Executors (executors/): `local`, the default, is a bounded pool of spawned worker processes on this
machine, each importing torch once and taking run after run; `ray` (OPTIM_LAB_EXECUTOR=ray) runs each run
as a Ray task on any node. Either way every worker runs executors/worker.run_job, and all state is in the
store, so a restarted server finds its runs: a new JobManager marks runs whose worker is gone
'interrupted' and picks up the queue.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from pathlib import Path

from optim_core.training.executors import Executor, executor_name, make_executor, store_location
from optim_core.training.executors.worker import run_job
from optim_core.training.ownership import Access, Policy, RunActive, key_hash, require_control
from optim_core.training.statuses import TERMINAL
from optim_core.training.store import RunRecord, RunStore

__all__ = ["JobManager", "default_max_workers", "default_torch_threads", "get_job_manager", "run_job"]


def default_max_workers() -> int:
    """$OPTIM_LAB_WORKERS, else 1: on a CPU, two trainings only halve each other's speed."""
    value = os.environ.get("OPTIM_LAB_WORKERS")
    if value is None:
        return 1
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"OPTIM_LAB_WORKERS must be an integer >= 1, got {value!r}")
    return int(value)


def default_torch_threads(max_workers: int) -> int:
    """$OPTIM_LAB_TORCH_THREADS, else the CPU cores shared out among the workers."""
    value = os.environ.get("OPTIM_LAB_TORCH_THREADS")
    if value is not None and value.isdigit() and int(value) >= 1:
        return int(value)
    return max(1, (os.cpu_count() or 1) // max_workers)


class JobManager:
    """The runs of one store: submit, stop, resume, delete, wait; `executor` ('local' or 'ray', else
    $OPTIM_LAB_EXECUTOR, else local) trains them. `max_workers`: at most this many run at once."""

    def __init__(
        self,
        store_path: str | Path | None = None,
        max_workers: int | None = None,
        *,
        torch_threads: int | None = None,
        start: bool = True,
        executor: str | None = None,
    ):
        self.store = RunStore(store_path)
        self.max_workers = default_max_workers() if max_workers is None else int(max_workers)
        if self.max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.torch_threads = torch_threads or default_torch_threads(self.max_workers)
        self.executor: Executor = make_executor(executor, self.store, self.max_workers, self.torch_threads)
        self.closed = False  # shutdown() was called: get_job_manager starts a new pool
        self._atexit = False
        self.interrupted_at_start = self.store.mark_interrupted()
        if start:
            self.start()

    # ------------------------------------------------------------------ executor

    def start(self) -> None:
        self.executor.start()
        if not self._atexit:
            self._atexit = True
            atexit.register(self.shutdown, timeout=5.0)

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until the executor takes runs without start-up delay (for benchmarks, tests)."""
        return self.executor.wait_ready(timeout)

    def shutdown(self, timeout: float = 10.0, stop_running: bool = True) -> None:
        """Stop the executor: running runs checkpoint and are queued again (to resume), then it ends."""
        if self.executor.shutdown(timeout, stop_running):
            self.closed = True

    # ------------------------------------------------------------------ runs

    def submit(
        self, config, *, key: str | None = None, access: Access | None = None, policy: Policy | None = None
    ) -> int:
        """Queue a run (a RunConfig or its dict); it is validated here, before it waits in the queue.

        `key`: the run's capability key (ownership.new_key; the store keeps its hash). With a `policy`,
        its limits count the runs `access` holds (QuotaExceeded when one is reached).
        """
        from optim_core.training.config import RunConfig

        if isinstance(config, dict):
            config = RunConfig.from_dict(config)
        config.validate()
        owner = key_hash(key) if key else None
        quota = (policy, access.hashes if access else ()) if policy is not None else None
        run_id = self.store.create_run(config.to_dict(), owner=owner, quota=quota)
        self.executor.wake()
        return run_id

    def stop(self, run_id: int, access: Access | None = None) -> str:
        """Stop a run; `access` None is the server's own call, else NotAllowed unless it controls it."""
        require_control(run_id, self.store.get_run(run_id).owner, access)
        return self.store.request_stop(run_id)

    def resume(self, run_id: int, access: Access | None = None, policy: Policy | None = None) -> None:
        require_control(run_id, self.store.get_run(run_id).owner, access)
        quota = (policy, access.hashes if access else ()) if policy is not None else None
        self.store.requeue(run_id, resume=True, quota=quota)
        self.executor.wake()

    def delete(self, run_id: int, access: Access | None = None) -> None:
        """Delete an ended run (RunActive while it is queued or running)."""
        require_control(run_id, self.store.get_run(run_id).owner, access)
        self.store.delete_run(run_id)

    def prune(self, max_runs: int) -> list[int]:
        """Keep at most `max_runs` runs: delete the oldest ended ones beyond it, with their checkpoints.
        Queued and running runs are never deleted (the store refuses them). Returns the deleted ids."""
        runs = self.store.list_runs()  # newest first
        ended = [r.id for r in reversed(runs) if r.status in TERMINAL]
        deleted = []
        for run_id in ended[: max(0, len(runs) - max_runs)]:
            try:
                self.store.delete_run(run_id)
            except RunActive:  # resumed meanwhile
                continue
            deleted.append(run_id)
        return deleted

    def queue_position(self, run_id: int) -> int | None:
        return self.store.queue_position(run_id)

    def status(self, run_id: int) -> RunRecord:
        return self.store.get_run(run_id)

    def wait(self, run_id: int, timeout: float | None = None, poll: float = 0.1) -> RunRecord:
        """Block until the run is finished / stopped / failed / interrupted (TimeoutError otherwise)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.store.get_run(run_id)
            if record.status in TERMINAL:
                return record
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} is still {record.status} after {timeout} s")
            time.sleep(poll)


_MANAGERS: dict[tuple[str, str, str], JobManager] = {}  # one per run store and executor, each started once
_MANAGER_LOCK = threading.Lock()


def get_job_manager(store_path: str | Path | None = None, max_workers: int | None = None) -> JobManager:
    """The process's JobManager of the run store at `store_path` (a Streamlit page wraps this in
    st.cache_resource). A server uses one store; another store (a test module's) gets its own pool, and
    one that was shut down is started anew, so it never hands out a pool whose workers are gone."""
    store = RunStore(store_path)
    key = (str(store.root.resolve()), store_location(store).database_url, executor_name())
    store.close()
    with _MANAGER_LOCK:
        manager = _MANAGERS.get(key)
        if manager is None or manager.closed:
            manager = _MANAGERS[key] = JobManager(store.path, max_workers)
        return manager
