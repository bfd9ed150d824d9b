"""A temporary run store for a test module that opens the Training page.

The page's worker pool is the process's JobManager of the run store in use (OPTIM_LAB_RUNS_DIR), so each
such module points the page at its own store, with one torch thread per worker, and shuts that store's
pool down at the end (jobs.get_job_manager starts a new one for the next module's store).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from optim_core.training.jobs import get_job_manager


@contextmanager
def training_run_store(
    tmp_path_factory, name: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = ()
) -> Iterator[Path]:
    """A new run store folder, in use (with `env` set and `unset` removed) until the block ends."""
    path = tmp_path_factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPTIM_LAB_RUNS_DIR", str(path))
        patch.setenv("OPTIM_LAB_TORCH_THREADS", "1")
        for key, value in (env or {}).items():
            patch.setenv(key, value)
        for key in unset:
            patch.delenv(key, raising=False)
        yield path
        get_job_manager(path).shutdown()
