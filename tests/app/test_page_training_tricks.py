"""The Training page's model tricks: residual blocks and drop path in the sidebar, the URL and the run's
caption; the best weights of a finished or stopped run, measured again and offered for download.

Opening the Training page starts the process's one worker pool (get_job_manager): the `runs_dir`
fixture points it at a temporary folder and shuts it down, as in test_page_training.py.
"""

from __future__ import annotations

import io
import os
import socket

import pytest
import torch
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest

from app.views.training import best_weights
from optim_core.training.config import RunConfig
from optim_core.training.data.load import load_dataset
from optim_core.training.jobs import get_job_manager
from optim_core.training.lanes import evaluate_model
from optim_core.training.model import model_for
from optim_core.training.store import RunStore
from optim_core.training.trainer import Trainer
from tests.app.apptest import open_view
from tests.app.test_zh_pages import english_words, page_texts
from tests.app.training_store import training_run_store

TINY = {"lanes": "2", "epochs": "2", "width": "0.25", "subset": "200"}


@pytest.fixture(scope="module", autouse=True)
def runs_dir(tmp_path_factory):
    with training_run_store(tmp_path_factory, "training-runs") as path:
        yield path


def training(query: dict | None = None) -> AppTest:
    return open_view("training", query, timeout=120)


def texts(at: AppTest) -> str:
    return " ".join(e.value for kind in ("markdown", "caption", "warning") for e in at.get(kind))


def start(at: AppTest) -> int:
    at.button(key="tr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return int(at.query_params["run"])


def downloads(at: AppTest) -> list:
    return [e for e in at.get("download_button") if e.key.startswith("mt_best_")]


class Storages(MemoryMediaFileStorage):
    """AppTest's media storage, kept: each run makes one, and the download buttons' files live there."""

    made: list[MemoryMediaFileStorage] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        Storages.made.append(self)


def downloaded(button) -> tuple[str | None, bytes]:
    """(file name, bytes) the browser gets from a download button of the last run."""
    file = Storages.made[-1].get_file(button.proto.url.rsplit("/", 1)[1])
    return file.filename, file.content


def stored_run(runs_dir, config: RunConfig, stop_after: int | None = None) -> int:
    """A run trained here as a job would (its checkpoint saved in the store's folder), marked as it ended."""
    store = RunStore(runs_dir)
    run = store.create_run(config.to_dict(), status="running")  # never queued: the page's pool would take it
    store.update(run, worker_pid=os.getpid(), worker_host=socket.gethostname())
    calls = [0]

    def should_stop():
        calls[0] += 1
        return stop_after is not None and calls[0] >= stop_after

    trainer = Trainer(config, should_stop=should_stop)
    result = trainer.run()
    trainer.save_checkpoint(store.checkpoint_dir(run) / "last.pt")
    store.update(run, summary=result.to_dict())
    store.mark_status(run, result.status)
    return run


def test_residual_blocks_and_drop_path_are_in_the_sidebar_the_url_and_the_caption(runs_dir):
    at = training(TINY)
    assert not at.toggle(key="residual").value
    assert not [s for s in at.slider if s.key == "drop_path"]  # shown only with residual blocks
    at.toggle(key="residual").set_value(True).run()
    assert at.slider(key="drop_path").value == pytest.approx(0.1)
    at.slider(key="drop_path").set_value(0.25).run()
    assert at.query_params["residual"] == "true" and at.query_params["drop_path"] == "0.25"
    run = start(at)
    config = RunStore(runs_dir).get_run(run).config
    assert config["residual"] is True and config["drop_path"] == pytest.approx(0.25)
    assert get_job_manager().wait(run, timeout=120).status == "finished"
    at.run()
    assert "residual blocks · drop path 0.25" in texts(at)
    # a link carries them: a new session shows the same sidebar
    linked = training({**TINY, "residual": "true", "drop_path": "0.4"})
    assert linked.toggle(key="residual").value and linked.slider(key="drop_path").value == pytest.approx(0.4)
    plain = training({**TINY, "drop_path": "0.4"})  # without residual blocks, no drop path
    assert not [s for s in plain.slider if s.key == "drop_path"]
    # the run's own link puts them back in the sidebar, whatever the sidebar was left at
    reopened = training({"run": str(run), "residual": "false"})
    assert reopened.toggle(key="residual").value
    assert reopened.slider(key="drop_path").value == pytest.approx(0.25)


def test_a_finished_run_offers_each_lanes_best_weights_measured_again(runs_dir, monkeypatch):
    at = training({**TINY, "residual": "true", "drop_path": "0.2"})
    run = start(at)
    record = get_job_manager().wait(run, timeout=120)
    assert record.status == "finished", record.error
    monkeypatch.setattr("streamlit.testing.v1.app_test.MemoryMediaFileStorage", Storages)
    at.run()
    assert not at.exception
    assert [e.label for e in at.expander if e.label == "Best weights"]
    buttons = downloads(at)
    assert len(buttons) == 2
    page = texts(at)
    config = RunConfig.from_dict(record.config)
    data = load_dataset("digits", None, max_samples=200)
    names = [f"run-{run}-SGD-best.pt", f"run-{run}-SGD_momentum-best.pt"]
    for button, summary, label, name in zip(
        buttons, record.summary["lanes"], ("SGD", "SGD + momentum"), names, strict=True
    ):
        epoch, acc = summary["best_epoch"], summary["best_val_acc"]
        assert f"**{label}**: epoch {epoch}, validation accuracy {acc:.1%}" in page
        # the download: torch.save bytes that load, weights only, into the run's SmallCNN
        file_name, content = downloaded(button)
        assert file_name == name
        model = model_for(config, data.input_shape, data.n_classes)
        model.load_state_dict(torch.load(io.BytesIO(content), weights_only=True))
        _, measured = evaluate_model(model, data.x_val, data.y_val)
        assert float(measured) == pytest.approx(acc, abs=1e-6)
        assert summary["best_epoch"] >= 1


def test_the_best_weights_file_is_read_once_not_on_every_rerun(runs_dir, monkeypatch):
    run = stored_run(
        runs_dir, RunConfig(optimizers=[{"name": "adam"}], epochs=1, max_samples=120, width=0.25)
    )
    reads = []
    real = best_weights.load_best_weights
    monkeypatch.setattr(best_weights, "load_best_weights", lambda path: reads.append(path) or real(path))
    at = training({"run": str(run)})
    for _ in range(3):
        at.run()
    assert not at.exception and len(downloads(at)) == 1
    assert len(reads) == 1


def test_a_stopped_run_offers_them_a_running_one_not_and_without_keep_best_a_note(runs_dir):
    config = RunConfig(optimizers=[{"name": "adam"}], epochs=3, max_samples=200, width=0.25)
    stopped = stored_run(runs_dir, config, stop_after=5)  # 3 batches per epoch: stopped in epoch 2
    at = training({"run": str(stopped)})
    assert "**adam**: epoch 1, validation accuracy" in texts(at) and len(downloads(at)) == 1
    no_best = stored_run(runs_dir, RunConfig(**{**config.to_dict(), "epochs": 1, "keep_best": False}))
    at = training({"run": str(no_best)})
    assert "No best weights were kept" in texts(at) and not downloads(at)
    store = RunStore(runs_dir)
    running = store.create_run(config.to_dict(), status="running")
    store.update(running, worker_pid=os.getpid(), worker_host=socket.gethostname())  # a live worker
    at = training({"run": str(running)})
    assert store.get_run(running).status == "running"
    assert not [e for e in at.expander if e.label == "Best weights"] and not downloads(at)


def test_lane_labels_are_shown_literally(runs_dir):
    config = RunConfig(
        optimizers=[{"name": "adam", "label": "**bold** [x](http://e.io) $x$"}], epochs=1, max_samples=120
    )
    run = stored_run(runs_dir, config)
    at = training({"run": str(run)})
    line = next(m.value for m in at.markdown if "validation accuracy" in m.value)
    assert "\\*\\*bold\\*\\*" in line and "\\[x\\]" in line and "\\$x\\$" in line


def test_no_english_in_chinese(runs_dir):
    config = RunConfig(epochs=1, max_samples=120, residual=True, drop_path=0.2)
    run = stored_run(runs_dir, config)
    at = training({"run": str(run), "residual": "true", "lang": "zh"})
    assert "最佳权重" in [e.label for e in at.expander] and "验证准确率" in texts(at)
    assert "残差块 · 随机深度 0.2" in texts(at) and at.slider(key="drop_path").label == "随机深度(DropPath)"
    # this part's texts (the rest of the page is test_zh_pages.py's): labels, help, caption, the panel
    mine = [
        text for text in page_texts(at) if any(m in text for m in ("残差", "随机深度", "最佳", "验证准确率"))
    ]
    assert len(mine) >= 5
    found = english_words(mine)
    assert not found, found
