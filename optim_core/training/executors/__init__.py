"""Executors run the run store's queued runs: `local` (the default: a bounded pool of processes on this
machine, local.py) or `ray` (a Ray task per run on a Ray cluster, ray_executor.py; the `cluster` extra).

Chosen by JobManager(executor=...), else $OPTIM_LAB_EXECUTOR, else local. Nothing imports Ray unless
the ray executor is chosen.
"""

from __future__ import annotations

import os

from optim_core.training.executors.base import Executor, StoreLocation, open_store, store_location
from optim_core.training.store import RunStore

EXECUTORS = ("local", "ray")
ENV = "OPTIM_LAB_EXECUTOR"

__all__ = ["EXECUTORS", "Executor", "StoreLocation", "executor_name", "make_executor", "open_store"]
__all__ += ["store_location"]


def executor_name(name: str | None = None) -> str:
    """`name`, else $OPTIM_LAB_EXECUTOR, else 'local'; a clear error for an unknown one."""
    chosen = (name or os.environ.get(ENV, "").strip() or "local").lower()
    if chosen not in EXECUTORS:
        where = "executor" if name else ENV
        raise ValueError(f"unknown {where} {chosen!r}; valid: {', '.join(EXECUTORS)}")
    return chosen


def make_executor(name: str | None, store: RunStore, max_workers: int, torch_threads: int) -> Executor:
    chosen = executor_name(name)
    if chosen == "ray":
        from optim_core.training.executors.ray_executor import RayExecutor

        return RayExecutor(store, max_workers)
    from optim_core.training.executors.local import LocalExecutor

    return LocalExecutor(store, max_workers, torch_threads)
