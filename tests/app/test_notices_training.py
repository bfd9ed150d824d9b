"""The Training page quotes a run's error line verbatim, never as Markdown (see test_notices.py).

A run's error can quote what a user typed (a data path, a file name in an upload), so the line a failed
run shows must not draw an image or a link. Opening the Training page starts the process's one worker
pool (get_job_manager): the `runs_dir` fixture points it at a temporary folder and shuts it down, as in
test_page_training.py.
"""

from __future__ import annotations

import pytest

from optim_core.training.config import RunConfig
from optim_core.training.store import RunStore
from tests.app.apptest import open_view
from tests.app.test_notices import PIXEL, _assert_inert
from tests.app.training_store import training_run_store


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-runs") as path:
        yield path


@pytest.mark.parametrize("status", ["failed", "interrupted"])
def test_a_run_error_quoting_user_text_is_shown_verbatim(runs_dir, status):
    store = RunStore(runs_dir)
    run = store.create_run(RunConfig(dataset="digits", epochs=1).to_dict(), status="queued")
    error = f"Traceback (most recent call last):\n  ...\nDataError: no images under {PIXEL} <b>x</b>"
    store.mark_status(run, status, error=error)
    at = open_view("training", {"run": str(run)}, timeout=120)
    (shown,) = [m.value for m in [*at.error, *at.warning] if "DataError" in m.value]
    _assert_inert(shown)
    assert "Traceback" not in shown
