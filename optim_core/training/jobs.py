"""Background training jobs: a bounded pool of worker processes fed by the run store's queue.

Lifecycle of a run
    submit(config)   -> a 'queued' row in the store; queue_position(run_id) = 1, 2, ...
    a worker claims  -> 'running' (claim_next is one SQLite transaction, and refuses while
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

Workers are processes from the 'spawn' context (never the caller's thread; no fork of a threaded
Streamlit server), started once per JobManager and kept: each imports torch once, then takes
run after run. All state is in SQLite, so a restarted server finds its runs: a new JobManager marks
runs whose worker is gone 'interrupted' and picks up the queue. A worker whose parent died finishes
the run it has (its state is in SQLite too) and then exits.
"""

from __future__ import annotations

import atexit
import multiprocessing as mp
import os
import threading
import time
import traceback
from pathlib import Path

from optim_core.training.ownership import Access, Policy, RunActive, key_hash, require_control
from optim_core.training.statuses import STOP_FOR_SHUTDOWN, TERMINAL
from optim_core.training.store import RunRecord, RunStore

POLL_S = 0.1  # how often an idle worker looks at the queue
STOP_POLL_S = 0.25  # how often a busy worker reads stop_requested (and writes its heartbeat)


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
    def __init__(
        self,
        store_path: str | Path | None = None,
        max_workers: int | None = None,
        *,
        torch_threads: int | None = None,
        start: bool = True,
    ):
        self.store = RunStore(store_path)
        self.max_workers = default_max_workers() if max_workers is None else int(max_workers)
        if self.max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        self.torch_threads = torch_threads or default_torch_threads(self.max_workers)
        self._ctx = mp.get_context("spawn")
        self._shutdown = self._ctx.Event()
        self._wake = self._ctx.Event()  # set by submit/resume: idle workers look at the queue at once
        self._ready = self._ctx.Value("i", 0)
        self._workers: list = []
        self._lock = threading.Lock()
        self._monitor: threading.Thread | None = None
        self.closed = False  # shutdown() was called: get_job_manager starts a new pool
        self.interrupted_at_start = self.store.mark_interrupted()
        if start:
            self.start()

    # ------------------------------------------------------------------ pool

    def start(self) -> None:
        with self._lock:
            if self._workers:
                return
            self._workers = [self._spawn() for _ in range(self.max_workers)]
        self._monitor = threading.Thread(target=self._watch, name="optim-lab-job-monitor", daemon=True)
        self._monitor.start()
        atexit.register(self.shutdown, timeout=5.0)

    def _spawn(self):
        process = self._ctx.Process(
            target=worker_main,
            name="optim-lab-worker",
            daemon=True,
            args=(
                str(self.store.path),
                self.max_workers,
                self.torch_threads,
                os.getpid(),
                self._shutdown,
                self._wake,
                self._ready,
            ),
        )
        process.start()
        return process

    def _watch(self) -> None:
        """Replace workers that died (a crash, the OOM killer); their run becomes 'interrupted'."""
        while not self._shutdown.wait(0.5):
            with self._lock:
                for i, process in enumerate(self._workers):
                    if process.is_alive() or self._shutdown.is_set():
                        continue
                    for run in self.store.list_runs(status="running"):
                        if run.worker_pid == process.pid:
                            self.store.mark_status(
                                run.id,
                                "interrupted",
                                error=f"worker process died (exit code {process.exitcode})",
                            )
                    self._workers[i] = self._spawn()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until every worker has imported torch and polls the queue (for benchmarks, tests)."""
        deadline = time.monotonic() + timeout
        while self._ready.value < self.max_workers:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def shutdown(self, timeout: float = 10.0, stop_running: bool = True) -> None:
        """Stop the pool: running runs checkpoint and are queued again (to resume), then workers exit."""
        if not self._workers:
            return
        if stop_running:
            pids = {p.pid for p in self._workers}
            for run in self.store.list_runs(status="running"):
                if run.worker_pid in pids:
                    self.store.request_stop(run.id, reason=STOP_FOR_SHUTDOWN)
        self._shutdown.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for process in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(2.0)
        self._workers = []
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
        self._wake.set()
        return run_id

    def stop(self, run_id: int, access: Access | None = None) -> str:
        """Stop a run; `access` None is the server's own call, else NotAllowed unless it controls it."""
        require_control(run_id, self.store.get_run(run_id).owner, access)
        return self.store.request_stop(run_id)

    def resume(self, run_id: int, access: Access | None = None, policy: Policy | None = None) -> None:
        require_control(run_id, self.store.get_run(run_id).owner, access)
        quota = (policy, access.hashes if access else ()) if policy is not None else None
        self.store.requeue(run_id, resume=True, quota=quota)
        self._wake.set()

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


_MANAGERS: dict[Path, JobManager] = {}  # one per run store, each started once
_MANAGER_LOCK = threading.Lock()


def get_job_manager(store_path: str | Path | None = None, max_workers: int | None = None) -> JobManager:
    """The process's JobManager of the run store at `store_path` (a Streamlit page wraps this in
    st.cache_resource). A server uses one store; another store (a test module's) gets its own pool, and
    one that was shut down is started anew, so it never hands out a pool whose workers are gone."""
    store = RunStore(store_path)
    key = store.path.resolve()
    store.close()
    with _MANAGER_LOCK:
        manager = _MANAGERS.get(key)
        if manager is None or manager.closed:
            manager = _MANAGERS[key] = JobManager(key, max_workers)
        return manager


# ---------------------------------------------------------------------- the worker process


def worker_main(
    db_path: str, max_running: int, torch_threads: int, parent_pid: int, shutdown, wake, ready
) -> None:
    import torch

    torch.set_num_threads(torch_threads)
    _warm_up()
    store = RunStore(db_path)
    with ready.get_lock():
        ready.value += 1
    while not shutdown.is_set() and os.getppid() == parent_pid:  # orphaned: the app is gone, take no new run
        record = store.claim_next(os.getpid(), max_running)
        if record is None:
            wake.wait(POLL_S)  # POLL_S bounds the wait: runs queued by another process are seen too
            wake.clear()
            continue
        run_job(store, record)
    store.close()
    # Every write is committed; skip the interpreter's teardown of torch (about a second per worker).
    os._exit(0)


def _warm_up() -> None:
    """Pay the one-time costs before reporting ready, not in the first run: imports, and the lazy
    torch._dynamo import of the first torch.optim.Optimizer (seconds on a small CPU)."""
    import io

    import torch

    from optim_core.training.model import SmallCNN
    from optim_core.training.trainer import Trainer  # noqa: F401
    from optim_core.training.variants import make_optimizer

    model = SmallCNN((1, 8, 8), 10)
    optimizer = make_optimizer("adam", model.parameters())
    model(torch.zeros(2, 1, 8, 8)).sum().backward()
    optimizer.step()
    torch.save(optimizer.state_dict(), io.BytesIO())


_DATA_CACHE: dict = {}


def _dataset_for(config):
    """The run's dataset; a worker keeps the last one, so a sweep of runs loads it once."""
    from optim_core.training.data.load import load_dataset

    key = (config.dataset, config.data_path, config.image_size, config.val_fraction, config.max_samples)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_dataset(
            config.dataset,
            config.data_path,
            image_size=config.image_size,
            val_fraction=config.val_fraction,
            max_samples=config.max_samples,
        )
    return _DATA_CACHE[key]


class _StopPoller:
    def __init__(self, store: RunStore, run_id: int):
        self.store, self.run_id, self.last, self.reason = store, run_id, 0.0, 0

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.last >= STOP_POLL_S:
            self.last = now
            self.reason = self.store.poll_worker(self.run_id)
        return bool(self.reason)


def run_job(store: RunStore, record: RunRecord) -> str:
    """Train one claimed run to its end; returns the final status."""
    from optim_core.training.checkpoint import load_checkpoint
    from optim_core.training.config import RunConfig
    from optim_core.training.trainer import Trainer, TrainingCallback

    run_id = record.id
    checkpoint = store.checkpoint_dir(run_id) / "last.pt"

    class StoreCallback(TrainingCallback):
        last_saved = time.monotonic()

        def on_metrics(self, rows):
            store.append_metrics(run_id, rows)

        def on_epoch_end(self, trainer, epoch):
            if time.monotonic() - self.last_saved >= trainer.config.checkpoint_interval_s:
                trainer.save_checkpoint(checkpoint)
                store.update(run_id, checkpoint=str(checkpoint))
                self.last_saved = time.monotonic()

    try:
        config = RunConfig.from_dict(record.config)
        data = _dataset_for(config)
        callback, poller = StoreCallback(), _StopPoller(store, run_id)
        if record.resume and checkpoint.exists():
            state = load_checkpoint(checkpoint)
            # drop what a killed worker wrote after this checkpoint, so no step appears twice
            store.truncate_metrics(run_id, {lane["label"]: lane["step"] for lane in state["lanes"]})
            trainer = Trainer.from_checkpoint(state, data, callback=callback, should_stop=poller)
        else:
            store.truncate_metrics(run_id)
            trainer = Trainer(config, data, callback=callback, should_stop=poller)
        result = trainer.run()
        trainer.save_checkpoint(checkpoint)
        store.update(run_id, checkpoint=str(checkpoint), summary=result.to_dict(), stop_requested=0)
        if result.status == "stopped" and poller.reason == STOP_FOR_SHUTDOWN:
            store.update(run_id, status="queued", resume=1)  # keeps its place: queued_at is unchanged
            return "queued"
        status = "finished" if result.status == "finished" else "stopped"
        store.mark_status(run_id, status)
        return status
    except Exception:
        store.mark_status(run_id, "failed", error=traceback.format_exc()[-4000:])
        return "failed"
