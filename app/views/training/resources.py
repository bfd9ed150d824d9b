"""The training page's resources shared by every session: the worker pool, the LR range tests' process,
cached dataset probes, and uploaded zips unpacked once per content under runs/uploads/<digest>/."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import streamlit as st

from app.views.training.lr_range_job import limit_threads, run_lr_range
from optim_core.training.data.load import load_dataset
from optim_core.training.data.upload import extract_zip
from optim_core.training.device import describe_device, pick_device
from optim_core.training.jobs import JobManager, get_job_manager
from optim_core.training.model import SmallCNN, count_parameters
from optim_core.training.store import default_runs_dir

UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")


@st.cache_resource(show_spinner=False)
def _job_manager(runs_dir: str) -> JobManager:
    """The worker pool (started once per server; it also marks runs whose worker died as interrupted)."""
    return get_job_manager(runs_dir)


def job_manager() -> JobManager:
    """The worker pool of the run store in use (OPTIM_LAB_RUNS_DIR, else runs/)."""
    return _job_manager(str(default_runs_dir()))


class LrRangeService:
    """LR range tests by their parameters, run one at a time in a process of their own beside the training
    workers, never in the server. A refresh, or another user asking the same, finds the result."""

    MAX_RESULTS = 32  # finished tests kept; the oldest go first

    def __init__(self) -> None:
        self._tests: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    @staticmethod
    def key(params: dict) -> str:
        return json.dumps(params, sort_keys=True, default=str)

    def submit(self, params: dict) -> None:
        """Start the test with these parameters, unless the same one is running."""
        key = self.key(params)
        with self._lock:
            previous = self._tests.get(key)
            if previous is None or previous.done():
                self._tests[key] = self._process().submit(run_lr_range, params)
            finished = [k for k, future in self._tests.items() if future.done()]
            for old in finished[: max(0, len(self._tests) - self.MAX_RESULTS)]:
                del self._tests[old]

    def busy(self, params: dict) -> bool:
        """The test with these parameters is waiting or running."""
        future = self._tests.get(self.key(params))
        return future is not None and not future.done()

    def result(self, params: dict) -> dict | None:
        """The finished test's result (LRRangeResult.to_dict()); None if none was asked or it still runs.

        The test's error is raised here: a DataError, or BrokenProcessPool when its process died (the next
        test then gets a new process)."""
        future = self._tests.get(self.key(params))
        if future is None or not future.done():
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            with self._lock:
                self._pool = None
            raise

    def _process(self) -> ProcessPoolExecutor:
        if self._pool is None:
            threads = max(1, (os.cpu_count() or 1) // 2)
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=limit_threads,
                initargs=(threads,),
            )
        return self._pool


@st.cache_resource(show_spinner=False)
def lr_range_service() -> LrRangeService:
    """This server's LR range tests."""
    return LrRangeService()


@st.cache_data(max_entries=16, show_spinner=False)
def probe(
    source: str, path: str | None, image_size: int | None, val_fraction: float, max_samples: int | None
) -> dict:
    """Load the dataset once to check it and learn its shape (DataError for a bad path or file)."""
    data = load_dataset(
        source, path, image_size=image_size, val_fraction=val_fraction, max_samples=max_samples
    )
    return {
        "name": data.name,
        "shape": tuple(data.input_shape),
        "classes": data.n_classes,
        "n_train": len(data.y_train),
        "n_val": len(data.y_val),
        "skipped": data.skipped,
    }


@st.cache_data(show_spinner=False)
def parameter_count(shape: tuple, classes: int, width: float, batch_norm: bool, dropout: float) -> int:
    return count_parameters(SmallCNN(shape, classes, width=width, batch_norm=batch_norm, dropout=dropout))


@st.cache_data(show_spinner=False)
def device_text(choice: str) -> str:
    return describe_device(pick_device(choice))


def uploads_dir() -> Path:
    return default_runs_dir() / "uploads"


def receive_upload(data: bytes) -> str:
    """Unpack an uploaded zip under runs/uploads/<digest>/ (once per content); returns the digest."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    dest = uploads_dir() / digest
    if dest.is_dir():
        return digest
    scratch = uploads_dir() / f".tmp-{digest}-{uuid.uuid4().hex[:8]}"
    try:
        result = extract_zip(data, scratch)  # DataError on anything unsafe; it leaves nothing behind
        info = {
            "n_files": result.n_files,
            "n_skipped": result.n_skipped,
            "skipped_examples": list(result.skipped_examples),
        }
        (scratch / ".upload.json").write_text(json.dumps(info), encoding="utf-8")
        scratch.rename(dest)
    except FileExistsError:  # OSError: another session unpacked the same zip a moment ago
        pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return digest


def upload_dir(digest: str | None) -> Path | None:
    """The folder of the unpacked upload `digest` names, if it is one and it is here."""
    if not UPLOAD_ID.match(digest or ""):
        return None
    path = uploads_dir() / digest
    return path if path.is_dir() else None


def upload_info(folder: Path) -> dict | None:
    """What unpacking the upload in `folder` kept and skipped (None if it left no note)."""
    try:
        return json.loads((folder / ".upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
