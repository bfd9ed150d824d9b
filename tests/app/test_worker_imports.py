"""Training workers never import Streamlit or the app's pages.

A process started with 'spawn' imports its parent's `__main__` again. In the server, `__main__` is
app/main.py: Streamlit installs a module of that name, with that `__file__`, for each script run. So each
JobManager worker and the LR range test's process ran the whole app without a session ("missing
ScriptRunContext" about 67 times each) until app/main.py kept its work under the `__name__` guard.
"""

from __future__ import annotations

import sys
import types

import pytest

from app.views.training.resources import LrRangeService
from optim_core.training.jobs import JobManager
from tests.app.apptest import MAIN

LR_RANGE_JOB = "app.views.training.lr_range_job"
# read in the child; a builtin, so unpickling it there imports nothing
CHILD_MODULES = "[m for m in __import__('sys').modules if m.split('.')[0] in ('streamlit', 'app', 'plotly')]"


@pytest.fixture
def streamlit_main(monkeypatch):
    """`__main__` as Streamlit's ScriptRunner sets it while a script runs."""
    module = types.ModuleType("__main__")
    module.__file__ = MAIN
    monkeypatch.setitem(sys.modules, "__main__", module)
    monkeypatch.setenv("OPTIM_LAB_WARM_UP", "0")
    return module


def test_the_lr_range_process_imports_no_streamlit(streamlit_main, capfd):
    service = LrRangeService()
    try:
        pool = service._process()
        imported = set(pool.submit(eval, CHILD_MODULES).result(timeout=120))
    finally:
        if service._pool is not None:
            service._pool.shutdown()
    # the job's own module (its package's empty __init__s) and nothing else of the app
    assert imported <= {"app", "app.views", "app.views.training", LR_RANGE_JOB}, sorted(imported)
    err = capfd.readouterr().err
    assert "ScriptRunContext" not in err and "streamlit" not in err, err[-2000:]


def test_a_training_worker_imports_no_streamlit(streamlit_main, tmp_path, capfd):
    manager = JobManager(tmp_path, max_workers=1, torch_threads=1)
    try:
        assert manager.wait_ready(timeout=120)
    finally:
        manager.shutdown()
    err = capfd.readouterr().err
    assert "ScriptRunContext" not in err and "streamlit" not in err, err[-2000:]
