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
import time
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import BinaryIO

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal
from app.views.training.lr_range_job import limit_threads, run_lr_range
from optim_core.training.data.dataset import DataError
from optim_core.training.data.load import dataset_summary
from optim_core.training.data.upload import extract_zip
from optim_core.training.device import device_facts, pick_device
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
    """Load the dataset once to check it and learn its shape (DataError for a bad path or file).

    Files (a server folder, an upload) are read in a process of their own that ends with the probe:
    loading full MNIST builds ~350 MB of arrays, which the server's allocator would keep. The bundled
    datasets are small and read here."""
    arguments = (source, path, image_size, val_fraction, max_samples)
    if source in IN_PROCESS_SOURCES:
        return dataset_summary(*arguments)
    return _summary_in_own_process(*arguments)


IN_PROCESS_SOURCES = ("digits", "synthetic")  # no file: a few MB, read in the server


def run_data(config: dict) -> dict | None:
    """probe() of a run's dataset, from its config: shape, classes and split sizes; None when its data
    cannot be read now (a path gone since, a folder refused)."""
    try:
        return probe(
            config.get("dataset", "digits"),
            config.get("data_path"),
            config.get("image_size"),
            config.get("val_fraction", 0.2),
            config.get("max_samples"),
        )
    except (DataError, OSError, ValueError):
        return None


def _summary_in_own_process(*arguments) -> dict:
    """dataset_summary in a spawned process that ends when it returns (its memory goes with it)."""
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=limit_threads,
        initargs=(1,),
    ) as pool:
        return pool.submit(dataset_summary, *arguments).result()


@st.cache_data(show_spinner=False)
def parameter_count(
    shape: tuple, classes: int, width: float, batch_norm: bool, dropout: float, residual: bool = False
) -> int:
    model = SmallCNN(shape, classes, width=width, batch_norm=batch_norm, dropout=dropout, residual=residual)
    return count_parameters(model)


def device_text(choice: str) -> str:
    """The device line in the session's language (tr.device_line.cuda, .mps, .cpu)."""
    facts = _device_facts(choice)
    return t(f"tr.device_line.{facts['kind']}", **{k: literal(v) for k, v in facts.items()})


@st.cache_data(show_spinner=False)
def _device_facts(choice: str) -> dict:
    """What the device is (probed once per choice; the words are the session's language, not cached)."""
    return device_facts(pick_device(choice))


def uploads_dir() -> Path:
    return default_runs_dir() / "uploads"


UPLOAD_QUOTA_ENV = "OPTIM_LAB_UPLOAD_QUOTA_MB"
DEFAULT_UPLOAD_QUOTA_MB = 2048  # the unpacked uploads kept; the least recently used go first
STALE_SCRATCH_S = 3600  # a .tmp- folder this old was left by a server that stopped mid-upload


def receive_upload(upload: BinaryIO) -> str:
    """Unpack an uploaded zip under runs/uploads/<digest>/ (once per content); returns the digest.

    The upload is read in place (never copied whole). A zip the loaders refuse (DataError) leaves
    nothing behind; after a new one, older uploads are deleted down to the quota."""
    digest = _digest(upload)
    dest = uploads_dir() / digest
    if dest.is_dir():
        os.utime(dest)  # recently used: the last to be cleaned
        return digest
    scratch = uploads_dir() / f".tmp-{digest}-{uuid.uuid4().hex[:8]}"
    try:
        upload.seek(0)
        result = extract_zip(upload, scratch)  # DataError on anything unsafe; it leaves nothing behind
        # read once with a small subset: a folder no setting can load is refused now, not kept
        _summary_in_own_process("auto", str(result.root), None, 0.2, 64)
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
    clean_uploads(keep=digest)
    return digest


def _digest(upload: BinaryIO) -> str:
    upload.seek(0)
    sha = hashlib.sha256()
    while chunk := upload.read(1 << 20):
        sha.update(chunk)
    return sha.hexdigest()[:16]


def clean_uploads(keep: str | None = None, quota_bytes: int | None = None) -> list[str]:
    """Delete the least recently used uploads until the rest fit the quota (OPTIM_LAB_UPLOAD_QUOTA_MB),
    and scratch folders left by a stopped server; `keep` stays. Returns the names deleted."""
    if quota_bytes is None:
        try:
            quota_mb = float(os.environ.get(UPLOAD_QUOTA_ENV, DEFAULT_UPLOAD_QUOTA_MB))
        except ValueError:
            quota_mb = DEFAULT_UPLOAD_QUOTA_MB
        quota_bytes = int(quota_mb * 2**20)
    folders = [p for p in uploads_dir().glob("*") if p.is_dir()] if uploads_dir().is_dir() else []
    now, deleted, sizes = time.time(), [], {}
    for folder in folders:
        stale = folder.name.startswith(".tmp-") and now - folder.stat().st_mtime > STALE_SCRATCH_S
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            deleted.append(folder.name)
        elif UPLOAD_ID.match(folder.name):
            sizes[folder] = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    total = sum(sizes.values())
    for folder in sorted(sizes, key=lambda f: f.stat().st_mtime):  # oldest first
        if total <= quota_bytes:
            break
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
            total -= sizes[folder]
            deleted.append(folder.name)
    return deleted


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
