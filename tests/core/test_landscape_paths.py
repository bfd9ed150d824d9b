"""The lanes' recorded paths (landscape/paths.py): θ₀, early steps and epoch ends, bounded, beside the
checkpoint, unchanged training, and a resumed run that continues its path.

Tiny runs on 100 digits (100 to train: 7 mini-batches of 16 per epoch), each well under a few seconds.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
import torch

from optim_core.training.checkpoint import load_checkpoint
from optim_core.training.config import RunConfig
from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.jobs import run_job
from optim_core.training.landscape import paths as paths_module
from optim_core.training.landscape.flat import flatten_parameters, parameter_shapes
from optim_core.training.landscape.paths import (
    EARLY_STEPS,
    MAX_SNAPSHOTS,
    PATHS_FILE,
    LandscapeError,
    PathRecorder,
    _LaneRecord,
    _Snapshot,
    load_paths,
    paths_size_bytes,
)
from optim_core.training.metrics import TIMING_METRICS
from optim_core.training.model import SmallCNN
from optim_core.training.store import RunStore
from optim_core.training.trainer import Trainer, TrainingCallback

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small():
    return load_digits_dataset(max_samples=100)


class Rows(TrainingCallback):
    def __init__(self):
        self.rows = []

    def on_metrics(self, rows):
        self.rows += [r for r in rows if r.name not in TIMING_METRICS]


def train(config, data, stop_after=None, **kwargs):
    rows, count = Rows(), [0]

    def should_stop():
        count[0] += 1
        return stop_after is not None and count[0] >= stop_after

    trainer = Trainer(config, data, callback=rows, should_stop=should_stop, **kwargs)
    return trainer, trainer.run(), rows


def two_lanes(**overrides):
    settings = dict(optimizers=[{"name": "adam"}, {"name": "sgd", "hp": {"lr": 0.05}}], batch_size=16, seed=3)
    return RunConfig(**{**settings, **overrides})


def assert_paths_equal(a, b):
    np.testing.assert_array_equal(a.theta0, b.theta0)
    assert a.labels == b.labels and a.shapes == b.shapes
    for x, y in zip(a.lanes, b.lanes, strict=True):
        np.testing.assert_array_equal(x.weights, y.weights)
        for name in ("steps", "epochs", "train_loss", "epoch_end"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name))
        assert x.stride == y.stride


def test_theta0_is_shared_and_early_steps_and_epoch_ends_are_recorded(small, tmp_path):
    trainer, _, rows = train(two_lanes(epochs=2), small)
    recorded = trainer.paths.paths()
    torch.manual_seed(3)
    reference = SmallCNN(small.input_shape, small.n_classes)
    np.testing.assert_array_equal(recorded.theta0, flatten_parameters(reference))
    assert recorded.shapes == tuple(parameter_shapes(reference))
    assert recorded.labels == ["adam", "sgd"]
    for lane in trainer.lanes:
        path = recorded.lane(lane.label)
        # 7 steps per epoch: steps 1, 2 and 4 of epoch 1, then the two epoch ends
        assert path.steps.tolist() == [1, 2, 4, 7, 14] and path.epochs.tolist() == [1, 1, 1, 1, 2]
        assert path.epoch_end.tolist() == [False, False, False, True, True]
        assert path.weights.dtype == np.float32 and path.weights.shape == (5, len(recorded.theta0))
        np.testing.assert_array_equal(path.weights[-1], flatten_parameters(lane.model))
        step_losses = [r.value for r in rows.rows if r.optimizer == lane.label and r.name == "train_loss"]
        epoch_losses = [
            r.value for r in rows.rows if r.optimizer == lane.label and r.name == "epoch_train_loss"
        ]
        assert path.train_loss.tolist() == pytest.approx(
            [*(step_losses[s - 1] for s in (1, 2, 4)), *epoch_losses]
        )
        assert np.all(np.diff(path.weights.astype(np.float64), axis=0).any(axis=1))  # the lane moved
    # every lane must start from θ₀: a recorder refuses lanes that do not
    fresh = Trainer(two_lanes(epochs=1), small)
    with torch.no_grad():
        fresh.lanes[1].model.head.bias.add_(1.0)
    with pytest.raises(RuntimeError, match="θ₀"):
        PathRecorder(fresh)
    with pytest.raises(LandscapeError, match="missing_lane"):
        recorded.lane("nadam")


def test_the_file_sits_beside_the_checkpoint_compressed_and_loads_back(small, tmp_path):
    trainer, _, _ = train(two_lanes(epochs=2), small)
    folder = tmp_path / "run"
    assert paths_size_bytes(folder) == 0
    trainer.save_checkpoint(folder / "last.pt")
    assert (folder / PATHS_FILE).exists() and paths_size_bytes(folder) == (folder / PATHS_FILE).stat().st_size
    assert_paths_equal(load_paths(folder), trainer.paths.paths())
    with zipfile.ZipFile(folder / PATHS_FILE) as archive:  # np.savez_compressed: every array deflated
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    stamp = (folder / PATHS_FILE).stat().st_mtime_ns
    trainer.save_checkpoint(folder / "last.pt")  # nothing new: not rewritten
    assert (folder / PATHS_FILE).stat().st_mtime_ns == stamp


def test_a_full_batch_epoch_end_replaces_the_early_step_of_the_same_weights(small):
    trainer, _, _ = train(RunConfig(optimizers=[{"name": "adam"}], batch_sizes=["full"], epochs=3), small)
    path = trainer.paths.paths().lanes[0]
    assert path.steps.tolist() == [1, 2, 3] and path.epoch_end.all()


def test_recording_is_bounded_on_a_long_run(small):
    config = RunConfig(optimizers=[{"name": "sgd"}], batch_sizes=["full"], epochs=3 * MAX_SNAPSHOTS // 2 + 7)
    trainer, _, _ = train(config, load_digits_dataset(max_samples=30))
    path = trainer.paths.paths().lanes[0]
    assert len(path.steps) <= MAX_SNAPSHOTS and path.stride == 2
    assert path.epochs[-1] == config.epochs  # the final weights always stay
    np.testing.assert_array_equal(path.weights[-1], flatten_parameters(trainer.lanes[0].model))
    assert set(path.epochs[:-1].tolist()) == set(range(2, config.epochs, 2))


def test_thinning_keeps_early_snapshots_and_is_the_same_whenever_it_runs():
    """Adding one snapshot at a time keeps exactly what thinning the whole list at once keeps."""

    def snapshot(step, epoch, end):
        return _Snapshot(step, epoch, float(step), end, np.full(3, step, dtype=np.float32))

    recorded = [snapshot(s, 1, False) for s in EARLY_STEPS] + [
        snapshot(40 * e, e, True) for e in range(1, 1001)
    ]
    one_by_one = _LaneRecord()
    for s in recorded:
        one_by_one.add(s)
        assert len(one_by_one.snapshots) <= MAX_SNAPSHOTS
    at_once = _LaneRecord(list(recorded))
    at_once.thin()
    kept = [(s.step, s.epoch_end) for s in one_by_one.snapshots]
    assert kept == [(s.step, s.epoch_end) for s in at_once.snapshots]
    assert kept[: len(EARLY_STEPS)] == [(s, False) for s in EARLY_STEPS]
    assert one_by_one.stride == 16 and kept[-1] == (40_000, True)
    assert all(epoch % 16 == 0 for epoch in (s.epoch for s in one_by_one.snapshots[len(EARLY_STEPS) : -1]))


def test_training_is_unchanged_by_recording(small):
    config = two_lanes(epochs=2, dropout=0.2, ema_decay=0.9)
    with_paths, result, rows = train(config, small)
    without, result_without, rows_without = train(config, small, record_paths=False)
    assert rows.rows == rows_without.rows  # every loss, accuracy, norm and LR, bit for bit
    for a, b in zip(with_paths.lanes, without.lanes, strict=True):
        np.testing.assert_array_equal(flatten_parameters(a.model), flatten_parameters(b.model))
    assert without.paths.save("unused") is None


@pytest.mark.parametrize("cap", [MAX_SNAPSHOTS, 4])
def test_a_resumed_run_continues_its_path(small, tmp_path, monkeypatch, cap):
    """Resumed from the checkpoint's dict (as jobs.py does), the path equals the uninterrupted run's, even
    when a killed worker wrote paths past its checkpoint, and when thinning ran on both sides."""
    monkeypatch.setattr(paths_module, "MAX_SNAPSHOTS", cap)
    config = two_lanes(epochs=4, accumulation_steps=2)  # 4 optimizer steps per epoch
    whole, _, _ = train(config, small)
    first, result, _ = train(config, small, stop_after=10)  # in epoch 2, in an accumulation window
    assert result.status == "stopped" and first.epoch == 1
    folder = tmp_path / "run"
    checkpoint = first.save_checkpoint(folder / "last.pt")
    assert load_paths(folder).lane("adam").steps.tolist() == [1, 2, 4]  # 4: epoch 1's end
    whole.paths.save(folder)  # a worker that recorded on, then died before its next checkpoint
    resumed = Trainer.from_checkpoint(load_checkpoint(checkpoint), small)
    assert resumed.run().status == "finished"
    resumed.save_checkpoint(checkpoint)
    continued = load_paths(folder)
    assert_paths_equal(continued, whole.paths.paths())
    assert all(len(lane.steps) <= cap for lane in continued.lanes)


def test_a_job_keeps_the_paths_in_its_run_folder_and_deleting_the_run_removes_them(tmp_path):
    store = RunStore(tmp_path)
    config = RunConfig(optimizers=[{"name": "adam"}], epochs=1, batch_size=32, max_samples=96)
    run_id = store.create_run(config.to_dict())
    record = store.claim_next(os.getpid(), max_running=1)
    assert record is not None and run_job(store, record) == "finished"
    folder = store.checkpoint_dir(run_id)
    assert (folder / "last.pt").exists() and paths_size_bytes(folder) > 0
    assert load_paths(folder).lane("adam").epochs[-1] == 1
    store.delete_run(run_id)
    assert paths_size_bytes(folder) == 0
