"""The lanes' paths through weight space: θ₀ and a bounded set of snapshots per lane, recorded while
a run trains and kept beside its checkpoint.

A point is a `flat.flatten_parameters` vector (float32, length P). What is recorded:
* θ₀ once: every lane starts from the same seeded initialisation (checked when recording starts);
* after optimizer steps 1, 2, 4, 8, 16 and 32 of epoch 1 (EARLY_STEPS), each lane that took them;
* at every epoch end, each lane that trained in that epoch (an early-stopped lane's last one is the
  weights it stopped with). An epoch end at the step of an early snapshot replaces it (same weights).

Bounded, at most MAX_SNAPSHOTS per lane, thinned like this: the early snapshots always stay; epoch ends
are kept when their epoch is a multiple of the lane's `stride`, and the latest epoch end (the lane's
final weights) always stays. The stride starts at 1 and doubles whenever a lane would hold more than
MAX_SNAPSHOTS, so a long run keeps about every stride-th epoch. A thinned snapshot is gone for good, and
the kept set depends only on what was recorded, not on when the thinning ran: a resumed run's paths
equal an uninterrupted run's.

The loss kept with a snapshot is what the trainer reported, not a fresh evaluation: after an early step,
that step's mini-batch loss (measured at the weights *before* the step); at an epoch end, the epoch's
mean training loss. NaN where none is at hand.

The file, PATHS_FILE, is written with np.savez_compressed beside the checkpoint by
Trainer.save_checkpoint, atomically, whenever a snapshot was added since the last write. A resumed
trainer continues it: at its first save it keeps the file's snapshots up to each lane's resumed step
(whatever a killed worker recorded after its checkpoint is dropped) and appends its own. A run resumed
without the file (one checkpointed before paths were recorded) has θ₀ and the snapshots after the
resume only. Recording only reads the weights: training is the same with or without it.

No store counts a run's disk use (ownership.py's quotas count runs); `paths_size_bytes` is the file's size.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from optim_core.training.landscape.flat import flatten_parameters, parameter_shapes

PATHS_FILE = "paths.npz"  # beside the checkpoint (like checkpoint.BEST_WEIGHTS_FILE)
PATHS_FORMAT = 1
EARLY_STEPS = (1, 2, 4, 8, 16, 32)  # optimizer steps of epoch 1 after which every lane is recorded
MAX_SNAPSHOTS = 100  # per lane, θ₀ not counted


class LandscapeError(ValueError):
    """A landscape request that cannot be met. `key` (the app translates "landscape.<key>") and `values`
    fill in the message; str() is "landscape.<key>: <the English message>"."""

    def __init__(self, key: str, message: str, **values: object):
        super().__init__(f"landscape.{key}: {message.format(**values)}")
        self.key, self.values = key, values


@dataclass(frozen=True)
class LanePath:
    """One lane's snapshots, in step order (θ₀ is Paths.theta0, not repeated here)."""

    label: str
    weights: np.ndarray  # (k, P) float32
    steps: np.ndarray  # (k,) int64: the lane's optimizer steps taken
    epochs: np.ndarray  # (k,) int64: the 1-based epoch the snapshot was taken in (at its end when epoch_end)
    train_loss: np.ndarray  # (k,) float64: the trainer's reported loss (see the module's docstring) or NaN
    epoch_end: np.ndarray  # (k,) bool
    stride: int = 1  # the epoch-end thinning stride in effect


@dataclass(frozen=True)
class Paths:
    """θ₀, every lane's path, and the parameters' (name, shape) in the order of a flat vector."""

    theta0: np.ndarray  # (P,) float32
    lanes: tuple[LanePath, ...]
    shapes: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def labels(self) -> list[str]:
        return [lane.label for lane in self.lanes]

    def lane(self, label: str) -> LanePath:
        """The lane `label`; LandscapeError("missing_lane") when the run has none."""
        for lane in self.lanes:
            if lane.label == label:
                return lane
        raise LandscapeError("missing_lane", "the run has no recorded path for {lane!r}", lane=label)

    def final(self, label: str) -> np.ndarray:
        """The lane's last recorded weights (θ₀ when it has no snapshot yet)."""
        lane = self.lane(label)
        return lane.weights[-1] if len(lane.weights) else self.theta0

    def points(self, label: str) -> np.ndarray:
        """(k + 1, P) float32: θ₀, then the lane's snapshots."""
        return np.vstack([self.theta0[None, :], self.lane(label).weights])


@dataclass
class _Snapshot:
    step: int
    epoch: int
    loss: float
    epoch_end: bool
    weights: np.ndarray


@dataclass
class _LaneRecord:
    snapshots: list[_Snapshot] = field(default_factory=list)
    stride: int = 1

    def add(self, snapshot: _Snapshot) -> None:
        last = self.snapshots[-1] if self.snapshots else None
        if last is not None and last.step == snapshot.step:  # an epoch end at an early step's weights
            snapshot = replace(snapshot, epoch_end=snapshot.epoch_end or last.epoch_end)
            self.snapshots[-1] = snapshot
        else:
            self.snapshots.append(snapshot)
        self.thin()

    def thin(self) -> None:
        """Keep early snapshots, epoch ends at multiples of the stride and the latest epoch end; double
        the stride until at most MAX_SNAPSHOTS remain (the early ones alone are at most 6)."""
        ends = [i for i, s in enumerate(self.snapshots) if s.epoch_end]
        latest = ends[-1] if ends else -1
        while True:
            kept = [
                s
                for i, s in enumerate(self.snapshots)
                if not s.epoch_end or s.epoch % self.stride == 0 or i == latest
            ]
            if len(kept) <= MAX_SNAPSHOTS:
                self.snapshots = kept
                return
            self.stride *= 2


class PathRecorder:
    """Records a Trainer's lanes' paths (the trainer calls it: `after_step`, `end_epoch`, `resume`,
    `save`). `trainer` is a trainer.Trainer, unannotated (trainer.py imports this module).
    With enabled=False every method does nothing."""

    def __init__(self, trainer, enabled: bool = True):
        self.enabled = enabled
        self._trainer = trainer
        self._records = {lane.label: _LaneRecord() for lane in trainer.lanes}
        self._resumed: dict[str, int] | None = None
        self._dirty = True
        self._written: Path | None = None
        if not enabled:
            return
        reference = trainer.lanes[0].model
        self.shapes = tuple(parameter_shapes(reference))
        self.theta0 = flatten_parameters(reference)
        for lane in trainer.lanes[1:]:
            if not np.array_equal(flatten_parameters(lane.model), self.theta0):
                raise RuntimeError(f"lane {lane.label!r} does not start from the run's θ₀")

    def _add(self, label: str, step: int, epoch: int, loss: float, epoch_end: bool, model) -> None:
        self._records[label].add(_Snapshot(step, epoch, loss, epoch_end, flatten_parameters(model)))
        self._dirty = True

    def after_step(self, group, stepped) -> None:
        """After a group's optimizer step (`stepped`: its lanes.PendingSteps): the early snapshots."""
        if not self.enabled or stepped.epoch != 1:
            return
        for position, step in zip(stepped.lanes, stepped.steps, strict=True):
            if step in EARLY_STEPS:
                lane = group.lanes[position]
                loss = float(stepped.values[0, position])  # one device sync, at 6 steps only
                self._add(lane.label, step, 1, loss, False, lane.model)

    def end_epoch(self, rows) -> None:
        """At an epoch end, with the epoch's MetricRows: every lane that trained in it."""
        if not self.enabled:
            return
        models = self._trainer.models()
        for row in rows:
            if row.name == "epoch_train_loss":
                self._add(row.optimizer, row.step, row.epoch, row.value, True, models[row.optimizer])

    def resume(self) -> None:
        """The trainer was just loaded from a checkpoint: at the first save, continue the file there."""
        if self.enabled:
            self._resumed = {lane.label: lane.step for lane in self._trainer.lanes}
            self._records = {label: _LaneRecord() for label in self._records}

    def paths(self) -> Paths:
        """What is recorded so far (a resumed trainer's earlier snapshots join at its first save)."""
        if not self.enabled:
            raise RuntimeError("this trainer does not record paths")
        lanes = []
        for label, record in self._records.items():
            snaps = record.snapshots
            weights = np.stack([s.weights for s in snaps]) if snaps else np.zeros((0, len(self.theta0)))
            lanes.append(
                LanePath(
                    label,
                    weights.astype(np.float32),
                    np.array([s.step for s in snaps], dtype=np.int64),
                    np.array([s.epoch for s in snaps], dtype=np.int64),
                    np.array([s.loss for s in snaps], dtype=np.float64),
                    np.array([s.epoch_end for s in snaps], dtype=bool),
                    record.stride,
                )
            )
        return Paths(self.theta0, tuple(lanes), self.shapes)

    def save(self, folder: str | Path) -> Path | None:
        """Write PATHS_FILE into `folder` (atomically) if anything changed since the last write there."""
        if not self.enabled:
            return None
        path = Path(folder) / PATHS_FILE
        if self._resumed is not None:
            self._merge_earlier(path)
        if self._dirty or self._written != path or not path.exists():
            write_paths(self.paths(), path)
            self._dirty, self._written = False, path
        return path

    def _merge_earlier(self, path: Path) -> None:
        resumed, self._resumed = self._resumed or {}, None
        try:
            earlier = load_paths(path.parent)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return  # none (or unreadable): the path restarts at the resume point
        if not np.array_equal(earlier.theta0, self.theta0):
            return
        for lane in earlier.lanes:
            record = self._records.get(lane.label)
            if record is None:
                continue
            keep = [
                _Snapshot(int(step), int(epoch), float(loss), bool(end), weights)
                for weights, step, epoch, loss, end in zip(
                    lane.weights, lane.steps, lane.epochs, lane.train_loss, lane.epoch_end, strict=True
                )
                if step <= resumed.get(lane.label, 0)
            ]
            own, record.snapshots = record.snapshots, keep
            record.stride = max(record.stride, lane.stride)
            for snapshot in own:
                record.add(snapshot)
            record.thin()
        self._dirty = True


def write_paths(paths: Paths, path: str | Path) -> Path:
    """Write `paths` to `path` with np.savez_compressed (temp file + rename: never half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {
        "format": np.array(PATHS_FORMAT),
        "theta0": np.asarray(paths.theta0, dtype=np.float32),
        "labels": np.array(paths.labels, dtype=str),
        "strides": np.array([lane.stride for lane in paths.lanes], dtype=np.int64),
        "param_names": np.array([name for name, _ in paths.shapes], dtype=str),
        "param_ndims": np.array([len(shape) for _, shape in paths.shapes], dtype=np.int64),
        "param_dims": np.array([d for _, shape in paths.shapes for d in shape], dtype=np.int64),
    }
    for i, lane in enumerate(paths.lanes):
        arrays[f"weights_{i}"] = np.asarray(lane.weights, dtype=np.float32)
        arrays[f"steps_{i}"], arrays[f"epochs_{i}"] = lane.steps, lane.epochs
        arrays[f"train_loss_{i}"], arrays[f"epoch_end_{i}"] = lane.train_loss, lane.epoch_end
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as handle:
        np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]  # (stubs: a key could be allow_pickle)
    os.replace(tmp, path)
    return path


def load_paths(folder: str | Path) -> Paths:
    """The paths recorded for the run whose checkpoint folder is `folder` (store.checkpoint_dir(run_id)).
    FileNotFoundError without a file; ValueError for another format."""
    with np.load(Path(folder) / PATHS_FILE, allow_pickle=False) as saved:
        if int(saved["format"]) != PATHS_FORMAT:
            raise ValueError(f"unsupported paths format {int(saved['format'])}")
        dims, shapes, start = saved["param_dims"].tolist(), [], 0
        for name, ndim in zip(saved["param_names"].tolist(), saved["param_ndims"].tolist(), strict=True):
            shapes.append((str(name), tuple(int(d) for d in dims[start : start + ndim])))
            start += ndim
        lanes = tuple(
            LanePath(
                str(label),
                saved[f"weights_{i}"],
                saved[f"steps_{i}"],
                saved[f"epochs_{i}"],
                saved[f"train_loss_{i}"],
                saved[f"epoch_end_{i}"],
                int(stride),
            )
            for i, (label, stride) in enumerate(
                zip(saved["labels"].tolist(), saved["strides"].tolist(), strict=True)
            )
        )
        return Paths(saved["theta0"], lanes, tuple(shapes))


def paths_size_bytes(folder: str | Path) -> int:
    """The size on disk of the run's paths file (0 when it has none)."""
    try:
        return (Path(folder) / PATHS_FILE).stat().st_size
    except FileNotFoundError:
        return 0
