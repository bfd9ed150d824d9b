"""The `ray` executor (OPTIM_LAB_EXECUTOR=ray): each run is a Ray task, on any node of a Ray cluster.

The manager claims queued runs from the store itself (claim_next: the store's max-running limit and its
atomicity hold across several app servers) and hands each one's id and the store's location (runs folder
and database URL) to a task. The task opens the store there, takes the run over (its own pid and host),
and trains it with run_job: metrics and heartbeats go to the store, and it stops cooperatively through
the store's stop flag. A task asks for OPTIM_LAB_RAY_CPUS CPUs (default 1) and, where the cluster has
GPUs, OPTIM_LAB_RAY_GPUS of one (default 0.25: small CNN runs share a GPU).

A task whose worker or node dies (Ray reports it on the task's result; Ray does not retry it) leaves its
run 'interrupted', to resume from its last checkpoint on any node; every SWEEP_S the manager also marks
any running run whose worker is gone (pid gone on this host, heartbeat stale elsewhere) 'interrupted',
so the runs of an app server that died with its node are not left 'running'. A task that ignores a stop for
OPTIM_LAB_STOP_TIMEOUT_S seconds is cancelled by force, the last resort; its run becomes 'interrupted'.

Ray is optional: this module imports it only when the executor is made (`optim-lab[cluster]`). It
connects to `address`, else $RAY_ADDRESS, else starts a local Ray (ray.init) that listens on 127.0.0.1
only and sends no usage stats. For its own Ray, or an address on 127.0.0.1, it sets
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 (unless set) before importing Ray, so this process uses 127.0.0.1 too.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from optim_core.training.executors.base import store_location
from optim_core.training.executors.worker import run_claimed
from optim_core.training.statuses import STOP_FOR_SHUTDOWN
from optim_core.training.store import RunStore

MISSING = "OPTIM_LAB_EXECUTOR=ray needs the cluster extra: pip install 'optim-lab[cluster]'"
_log = logging.getLogger(__name__)
POLL_S = 0.25  # how often the manager looks at its tasks and the queue (a submit wakes it at once)
SWEEP_S = 10.0  # how often it marks any run whose worker is gone 'interrupted' (another server's too)


def _env_number(name: str, default: float, minimum: float) -> float:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ValueError(f"{name} must be a number >= {minimum:g}, got {value!r}")
    return number


def default_task_cpus() -> float:
    """$OPTIM_LAB_RAY_CPUS, else 1: the CPUs each run's task asks for (its torch threads too)."""
    return _env_number("OPTIM_LAB_RAY_CPUS", 1.0, 0.01)


def default_task_gpus() -> float:
    """$OPTIM_LAB_RAY_GPUS, else 0.25: the share of a GPU each run's task asks for where GPUs exist."""
    return _env_number("OPTIM_LAB_RAY_GPUS", 0.25, 0.0)


def default_stop_timeout_s() -> float:
    """$OPTIM_LAB_STOP_TIMEOUT_S, else 60: how long a stop may take before the task is cancelled."""
    return _env_number("OPTIM_LAB_STOP_TIMEOUT_S", 60.0, 0.0)


def gpus_per_task(share: float, cluster_gpus: float) -> float:
    """A task's `num_gpus`: `share` of a GPU where the cluster has any, else 0 (it would never start)."""
    return share if cluster_gpus > 0 else 0.0


def on_loopback(address: str) -> bool:
    """A Ray address on 127.0.0.1 (tools/local_ray.py's, deploy/'s): this process must use 127.0.0.1 too,
    or Ray swaps it for the machine's address, where that cluster does not listen."""
    host = address.split("://")[-1].rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise ImportError(MISSING) from error
    return ray


@dataclass
class _Task:
    ref: Any  # the task's ObjectRef
    stop_seen: float | None = None  # when the manager first saw its run asked to stop
    cancelled: str | None = None  # why the manager cancelled it


class RayExecutor:
    name = "ray"

    def __init__(
        self,
        store: RunStore,
        max_workers: int,
        *,
        address: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        stop_timeout_s: float | None = None,
    ):
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        if self.address is None or on_loopback(self.address):  # read when Ray is imported
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        self.ray = import_ray()
        self.store, self.max_running = store, max_workers
        self.num_cpus = default_task_cpus() if num_cpus is None else float(num_cpus)
        self.gpu_share = default_task_gpus() if num_gpus is None else float(num_gpus)
        self.num_gpus = 0.0  # gpu_share once start() found GPUs in the cluster
        self.stop_timeout_s = default_stop_timeout_s() if stop_timeout_s is None else stop_timeout_s
        self.me = (os.getpid(), socket.gethostname())  # a claim's worker_pid and worker_host
        self._tasks: dict[int, _Task] = {}
        self._wake, self._shutdown = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._started_ray = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            ray = self.ray
            if not ray.is_initialized():
                if self.address is None:  # a Ray of our own on this machine: send nothing anywhere
                    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
                    ray.init(
                        _node_ip_address="127.0.0.1",
                        include_dashboard=False,
                        logging_level="ERROR",
                        log_to_driver=False,
                    )
                else:
                    ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
                self._started_ray = True
            self.num_gpus = gpus_per_task(self.gpu_share, ray.cluster_resources().get("GPU", 0))
            self._remote = ray.remote(run_claimed).options(
                num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=0, name="optim-lab-run"
            )
            self._thread = threading.Thread(target=self._loop, name="optim-lab-ray-jobs", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def wait_ready(self, timeout: float) -> bool:
        """Ready once connected: Ray starts a worker process for a task when one is needed."""
        return self._thread is not None

    def shutdown(self, timeout: float, stop_running: bool) -> bool:
        """Stop claiming; with `stop_running` its running runs checkpoint and are queued again (a task
        that does not end within `timeout` is cancelled and its run is 'interrupted')."""
        thread = self._thread
        if thread is None:
            return False
        deadline = time.monotonic() + timeout
        self._shutdown.set()
        self._wake.set()
        thread.join(timeout)
        if stop_running:
            for run_id in list(self._tasks):
                self.store.request_stop(run_id, reason=STOP_FOR_SHUTDOWN)
            refs = [task.ref for task in self._tasks.values()]
            if refs:
                self.ray.wait(refs, num_returns=len(refs), timeout=max(0.0, deadline - time.monotonic()))
            self._collect()
            for task in self._tasks.values():
                self._cancel(task, f"it did not stop within the shutdown's {timeout:g} s")
            refs = [task.ref for task in self._tasks.values()]
            if refs:
                self.ray.wait(refs, num_returns=len(refs), timeout=5.0)
            self._collect()
            if self._started_ray:  # ending the driver ends its tasks
                self.ray.shutdown()
        self._thread = None
        return True

    # ------------------------------------------------------------------ the manager's loop

    def _loop(self) -> None:
        swept = time.monotonic()
        while not self._shutdown.is_set():
            try:
                self._collect()
                self._watch_stops()
                if time.monotonic() - swept >= SWEEP_S:  # e.g. a node died with the app server there
                    self.store.mark_interrupted()
                    swept = time.monotonic()
                self._claim()
            except Exception:  # the store or Ray briefly unreachable: try again at the next poll
                _log.warning("the Ray executor's loop failed; it tries again", exc_info=True)
                time.sleep(POLL_S)
            self._wake.wait(POLL_S)
            self._wake.clear()

    def _claim(self) -> None:
        while not self._shutdown.is_set():
            record = self.store.claim_next(self.me[0], self.max_running)
            if record is None:
                return
            threads = max(1, int(self.num_cpus))
            try:
                ref = self._remote.remote(store_location(self.store), record.id, self.me, threads)
            except Exception as error:  # claimed but never handed over: it must not stay 'running'
                self.store.mark_status(record.id, "interrupted", error=f"Ray refused the task: {error}")
                raise
            self._tasks[record.id] = _Task(ref)

    def _collect(self) -> None:
        """Forget ended tasks; a task that died (its worker or node) leaves its run 'interrupted'."""
        if not self._tasks:
            return
        refs = {task.ref: run_id for run_id, task in self._tasks.items()}
        done, _ = self.ray.wait(list(refs), num_returns=len(refs), timeout=0)
        for ref in done:
            run_id = refs[ref]
            task = self._tasks.pop(run_id)
            try:
                self.ray.get(ref)
                continue
            except Exception as error:  # RayError: the worker died, its node died, or we cancelled it
                reason = task.cancelled or f"its Ray worker died ({type(error).__name__})"
            if self.store.get_run(run_id).status == "running":
                self.store.mark_status(run_id, "interrupted", error=reason)

    def _watch_stops(self) -> None:
        """Runs asked to stop that go on past the stop timeout: cancel their tasks (the last resort)."""
        if not self._tasks:
            return
        now = time.monotonic()
        for run in self.store.list_runs(status="running"):
            task = self._tasks.get(run.id)
            if task is None:
                continue
            if (run.worker_pid, run.worker_host) == self.me:  # claimed, waiting for a worker
                self.store.update(run.id, heartbeat=time.time())
            if not run.stop_requested or task.cancelled:
                continue
            if task.stop_seen is None:
                task.stop_seen = now
            elif now - task.stop_seen > self.stop_timeout_s:
                self._cancel(task, f"it did not stop within {self.stop_timeout_s:g} s")

    def _cancel(self, task: _Task, why: str) -> None:
        task.cancelled = f"{why}, so its Ray task was cancelled (it resumes from its last checkpoint)"
        try:
            self.ray.cancel(task.ref, force=True)
        except Exception:  # it has just ended
            pass
