"""What JobManager asks of an executor, and where a worker finds the run store.

An executor runs the store's queued runs: `local` (local.py, a bounded pool of processes on this machine)
or `ray` (ray_executor.py, a Ray task per run, on any node of a cluster). Either way the store is the one
truth: runs are claimed from it (claim_next: its max-running limit holds across app servers), a worker
writes its pid, host, heartbeat and metrics there and polls its stop flag, and a worker that is gone
leaves a run that becomes 'interrupted' and resumes from its last checkpoint.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from optim_core.training.store import RunStore


class StoreLocation(NamedTuple):
    """Where a worker in another process or on another node opens the manager's store."""

    runs_dir: str  # checkpoints live here: a folder every node reaches
    database_url: str


def store_location(store: RunStore) -> StoreLocation:
    return StoreLocation(str(store.root), store.database_url)


def open_store(location: StoreLocation) -> RunStore:
    return RunStore(location.runs_dir, database_url=location.database_url)


class Executor(Protocol):
    name: str

    def start(self) -> None:
        """Begin taking queued runs (idempotent)."""

    def wake(self) -> None:
        """A run was queued or resumed: look at the queue now rather than at the next poll."""

    def wait_ready(self, timeout: float) -> bool:
        """Block until the executor takes runs without start-up delay; False after `timeout` s."""

    def shutdown(self, timeout: float, stop_running: bool) -> bool:
        """Take no more runs; with `stop_running` the running ones checkpoint and are queued again.
        Returns False when it was never started."""
