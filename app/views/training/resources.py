"""The training page's resources shared by every session: the worker pool, the LR-range-test process,
cached dataset probes, and uploaded zips unpacked once per content under runs/uploads/<digest>/."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import shutil
import threading
import uuid
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import streamlit as st

from app.views.training import figures as view
from optim_core.training.data import load_dataset
from optim_core.training.device import describe_device, pick_device
from optim_core.training.jobs import get_job_manager
from optim_core.training.model import SmallCNN, count_parameters
from optim_core.training.store import default_runs_dir
from optim_core.training.upload import extract_zip


@st.cache_resource(show_spinner=False)
def job_manager(runs_dir: str):
    """The worker pool (started once per server; it also marks runs whose worker died as interrupted)."""
    return get_job_manager(runs_dir)


@st.cache_resource(show_spinner=False)
def lr_range_pool() -> ProcessPoolExecutor:
    """One process for LR range tests: they run beside the training workers, never in the server."""
    threads = max(1, (os.cpu_count() or 1) // 2)
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=view.limit_threads,
        initargs=(threads,),
    )


@st.cache_resource(show_spinner=False)
def lr_range_results() -> tuple[dict[str, Future], threading.Lock]:
    """LR range tests by their parameters: a refresh, or another user asking the same, finds the result."""
    return {}, threading.Lock()


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


def upload_info(digest: str) -> dict | None:
    try:
        return json.loads((uploads_dir() / digest / ".upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
