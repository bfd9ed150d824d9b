"""The `local` executor (the default): a bounded pool of worker processes on this machine.

Workers are processes from the 'spawn' context (never the caller's thread; no fork of a threaded
Streamlit server), started once and kept: each imports torch once, then claims run after run from the
store (claim_next refuses while max_workers runs are already running, even across several managers).
A monitor thread replaces a worker that died; its run becomes 'interrupted'. A worker whose parent died
finishes the run it has (its state is in the store too) and then exits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import socket
import threading
import time

from optim_core.training.executors.base import StoreLocation, open_store, store_location
from optim_core.training.executors.worker import run_job, warm_up
from optim_core.training.statuses import STOP_FOR_SHUTDOWN
from optim_core.training.store import RunStore

POLL_S = 0.1  # how often an idle worker looks at the queue


class LocalExecutor:
    name = "local"

    def __init__(self, store: RunStore, max_workers: int, torch_threads: int):
        self.store, self.max_workers, self.torch_threads = store, max_workers, torch_threads
        self._ctx = mp.get_context("spawn")
        # Neither an mp.Event nor an mp.Condition: a worker killed (kill -9, the OOM killer) inside their
        # wait leaves them broken, and the next set() hangs forever. A flag read without a lock and a
        # semaphore (a token per idle worker) survive any worker's death.
        self._stopping = threading.Event()  # this process's own: the monitor thread
        self._shutdown = self._ctx.Value("b", 0, lock=False)  # read by the workers
        self._wake = self._ctx.BoundedSemaphore(max_workers)  # released by submit/resume: look at the queue
        for _ in range(max_workers):
            self._wake.acquire(block=False)
        self._ready = self._ctx.Value("i", 0)
        self._workers: list = []
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._workers:
                return
            self._workers = [self._spawn() for _ in range(self.max_workers)]
        threading.Thread(target=self._watch, name="optim-lab-job-monitor", daemon=True).start()

    def _spawn(self):
        process = self._ctx.Process(
            target=worker_main,
            name="optim-lab-worker",
            daemon=True,
            args=(
                store_location(self.store),
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
        while not self._stopping.wait(0.5):
            with self._lock:
                for i, process in enumerate(self._workers):
                    if process.is_alive() or self._stopping.is_set():
                        continue
                    for run in self.store.list_runs(status="running"):
                        if (run.worker_pid, run.worker_host) == (process.pid, socket.gethostname()):
                            self.store.mark_status(
                                run.id,
                                "interrupted",
                                error=f"worker process died (exit code {process.exitcode})",
                            )
                    self._workers[i] = self._spawn()

    def wake(self) -> None:
        for _ in range(self.max_workers):  # a token for each worker, up to the bound
            try:
                self._wake.release()
            except ValueError:  # every worker has one already
                break

    def wait_ready(self, timeout: float) -> bool:
        """Block until every worker has imported torch and polls the queue."""
        deadline = time.monotonic() + timeout
        while self._ready.value < self.max_workers:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def shutdown(self, timeout: float, stop_running: bool) -> bool:
        if not self._workers:
            return False
        if stop_running:
            pids = {p.pid for p in self._workers}  # with this host: pids repeat on other hosts (pods)
            for run in self.store.list_runs(status="running"):
                if run.worker_pid in pids and run.worker_host == socket.gethostname():
                    self.store.request_stop(run.id, reason=STOP_FOR_SHUTDOWN)
        with self._lock:  # the monitor replaces no worker from here on
            self._stopping.set()
            self._shutdown.value = 1
            workers, self._workers = self._workers, []
        self.wake()
        deadline = time.monotonic() + timeout
        for process in workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.terminate()
                process.join(2.0)
        return True


def worker_main(
    location: StoreLocation, max_running: int, torch_threads: int, parent_pid: int, shutdown, wake, ready
) -> None:
    import torch

    torch.set_num_threads(torch_threads)
    warm_up()
    store = open_store(location)
    with ready.get_lock():
        ready.value += 1
    while not shutdown.value and os.getppid() == parent_pid:  # orphaned: the app is gone, take no new run
        record = store.claim_next(os.getpid(), max_running)
        if record is None:
            wake.acquire(timeout=POLL_S)  # POLL_S bounds the wait: runs queued elsewhere are seen too
            continue
        run_job(store, record)
    store.close()
    # Every write is committed; skip the interpreter's teardown of torch (about a second per worker).
    os._exit(0)
