"""Train several optimizers fairly, in lock-step, with metrics streamed out and exact resume.

Fairness, by construction:
* one seeded initialisation, deep-copied into every lane: identical initial weights;
* one seeded permutation per epoch (`epoch_permutation`), shared by all lanes: the same batches in the
  same order; lanes of one batch size even share the very same batch tensor and dropout mask.

Why lock-step rather than one optimizer after another: all curves grow together (a live chart
compares them at any moment, and a stop leaves every optimizer at the same step), the batch is
gathered once, and the lanes run packed as one wide network (model.PackedCNN), which pays the
per-kernel cost once for all optimizers. Sequential runs with a re-seeded RNG would be just as fair,
only slower and uneven when stopped.

Reproducible and resumable: every random draw derives from (seed, epoch, batch index), so a run is
a function of its config (seeds.py); a checkpoint (checkpoint.py) holds the models, optimizer
states, EMA, accumulators, the position in the epoch, RNG states and the metric history, and a
resumed run equals an uninterrupted one exactly.

The parts: lanes.py steps the lanes, tricks.py resolves warmup, schedule, weight decay and EMA per
lane, metrics.py names what is recorded, results.py is what `run()` returns.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch

from optim_core.training.checkpoint import (
    BEST_WEIGHTS_FILE,
    best_weights,
    load_checkpoint,
    restore_trainer_state,
    save_checkpoint,
    trainer_state,
)
from optim_core.training.config import ConfigError, RunConfig, steps_per_epoch
from optim_core.training.data.dataset import ImageDataset
from optim_core.training.data.load import load_dataset
from optim_core.training.device import pick_device, synchronize
from optim_core.training.landscape.paths import PathRecorder
from optim_core.training.lanes import Lane, LaneGroup, evaluate_model
from optim_core.training.metrics import (
    DEVICE_STEP_METRICS,
    EPOCH_METRICS,
    LR_METRIC,
    TRAIN_TIME_METRIC,
    MetricRow,
)
from optim_core.training.model import SmallCNN, drop_path_masks, model_for
from optim_core.training.results import LaneResult, TrainResult
from optim_core.training.seeds import dropout_mask, epoch_permutation
from optim_core.training.tricks import (
    PlateauLR,
    make_lr_fn,
    make_weight_ema,
    replay_plateaus,
    route_weight_decay,
)
from optim_core.training.variants import make_optimizer


class TrainingCallback:
    """Receives what a run produces; override what you need (jobs write to the store from here)."""

    def on_metrics(self, rows: list[MetricRow]) -> None:
        """Per-step rows in chunks, then each epoch's rows."""

    def on_epoch_end(self, trainer: Trainer, epoch: int) -> None:
        """After epoch `epoch` (1-based) is complete and its rows were sent; a safe point to checkpoint."""


class Trainer:
    """Trains every lane of a RunConfig; `run()` returns a TrainResult ("finished" or "stopped").

    data: an ImageDataset, else the config's dataset is loaded. callback: receives MetricRows and
    epoch ends. should_stop: polled after every micro-batch (so is `request_stop()`); a stopped
    trainer can be saved (`save_checkpoint`) and continued (`from_checkpoint(...).run()`). record_paths: keep
    the lanes' paths through weight space (`paths`, landscape/paths.py; written beside the checkpoint).
    """

    def __init__(
        self,
        config: RunConfig,
        data: ImageDataset | None = None,
        *,
        callback: TrainingCallback | None = None,
        should_stop: Callable[[], bool] | None = None,
        record_paths: bool = True,
    ):
        if not isinstance(config, RunConfig):
            raise ConfigError(f"Trainer needs a RunConfig, got {type(config).__name__}")
        self.config = config
        self.device = pick_device(config.device)
        if data is None:
            data = load_dataset(
                config.dataset,
                config.data_path,
                image_size=config.image_size,
                val_fraction=config.val_fraction,
                max_samples=config.max_samples,
            )
        self.data = data.to(self.device)
        self.callback = callback or TrainingCallback()
        self.should_stop = should_stop
        self._stop = False
        self.epoch, self.batch = 0, 0  # position: the next epoch (0-based) and micro-batch index
        self.epoch_train_time, self.elapsed, self.cpu_time = 0.0, 0.0, 0.0
        self.history: list[MetricRow] = []
        self._best_evaluated: dict[tuple[str, int], float] = {}  # (lane, best epoch) -> saved weights' acc
        self.last_val: dict[str, tuple[float, float, float | None]] = {}
        self._build()
        self.paths = PathRecorder(self, record_paths)

    # ------------------------------------------------------------------ setup

    def _build(self) -> None:
        cfg, data = self.config, self.data
        n_train = len(data.y_train)
        # The one initialisation every lane copies: seeded, built on the CPU (so the same weights on any
        # device), and without disturbing the caller's global RNG.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            base = model_for(cfg, data.input_shape, data.n_classes)
        base = base.to(self.device)
        self.features = base.head.in_features
        by_size: dict[int, list[Lane]] = {}
        self.lanes: list[Lane] = []
        for index, spec in enumerate(cfg.lanes()):
            size = n_train if spec.batch_size == "full" else min(int(spec.batch_size), n_train)
            model = copy.deepcopy(base)
            hp, l2_by_trainer, decoupled = route_weight_decay(cfg, spec.name, spec.hp)
            ema = make_weight_ema(base, cfg.ema_decay)
            per_epoch = steps_per_epoch(n_train, size, cfg.accumulation_steps)
            lane = Lane(
                index=index,
                spec=spec._replace(batch_size=size),
                model=model,
                hp=hp,
                lr_at=make_lr_fn(cfg, hp["lr"], per_epoch),
                l2_by_trainer=l2_by_trainer,
                decoupled_wd=decoupled,
                ema=ema,
            )
            by_size.setdefault(size, []).append(lane)
            self.lanes.append(lane)
        self.groups = [
            LaneGroup(lanes, size, n_train, cfg.accumulation_steps, cfg.clip_grad_norm)
            for size, lanes in by_size.items()
        ]
        for g in self.groups:  # after packing: the optimizers must hold the lanes' final tensors
            for position, lane in enumerate(g.lanes):
                lane.optimizer = make_optimizer(lane.spec.name, g.optimizer_params(position), lane.hp)
        self._dropout_gen = torch.Generator(device=self.device) if cfg.dropout > 0 else None
        self._drop_path_gen = torch.Generator(device=self.device) if cfg.drop_path > 0 else None
        self.n_blocks = len(base.blocks)

    # ------------------------------------------------------------------ the loop

    def request_stop(self) -> None:
        """Ask the run to stop after the current step (thread-safe: it only sets a flag)."""
        self._stop = True

    def _stop_requested(self) -> bool:
        return self._stop or (self.should_stop is not None and bool(self.should_stop()))

    def run(self) -> TrainResult:
        cfg, data = self.config, self.data
        run_started = time.perf_counter() - self.elapsed
        self._cpu_started = time.process_time() - self.cpu_time
        self._last_flush = time.perf_counter()
        for epoch in range(self.epoch, cfg.epochs):
            if not any(g.active for g in self.groups):
                break
            if self.batch == 0:
                for g in self.groups:
                    g.start_epoch()
            order = epoch_permutation(cfg.seed, epoch, len(data.y_train)).to(self.device)
            n_micro = max(g.n_batches for g in self.groups if g.active)
            started = time.perf_counter()
            for i in range(self.batch, n_micro):
                for g in self.groups:
                    if g.active and i < g.n_batches:
                        idx = order[i * g.batch_size : (i + 1) * g.batch_size]
                        self._timed_micro_step(g, data.x_train[idx], data.y_train[idx], i, epoch)
                self.batch = i + 1
                if self._stop_requested():
                    self.epoch_train_time += time.perf_counter() - started
                    self.elapsed = time.perf_counter() - run_started
                    self._flush()
                    return self._result("stopped")
                self._maybe_flush()
            synchronize(self.device)
            self.epoch_train_time += time.perf_counter() - started
            self._end_epoch(epoch + 1, run_started)
        self.elapsed = time.perf_counter() - run_started
        self._flush()
        return self._result("finished")

    def _timed_micro_step(self, g: LaneGroup, x: torch.Tensor, y: torch.Tensor, i: int, epoch: int) -> None:
        """One micro-step of a group, its seconds added to its lanes' train_time. In a batch-size sweep
        on an accelerator the device is synchronised first, so that each size's time is its own."""
        steps_before = len(g.pending)
        started = time.perf_counter()
        g.micro_step(
            x, y, i, epoch + 1, self._dropout_mask(len(y), epoch, i), self._drop_path_masks(len(y), epoch, i)
        )
        if self.config.batch_sizes and self.device.type != "cpu":
            synchronize(self.device)
        seconds = time.perf_counter() - started
        for lane in g.lanes:
            if not lane.done:
                lane.train_time += seconds
        if len(g.pending) > steps_before:
            stepped = g.pending[-1]
            stepped.times = tuple(g.lanes[position].train_time for position in stepped.lanes)
            self.paths.after_step(g, stepped)

    def _dropout_mask(self, batch: int, epoch: int, index: int) -> torch.Tensor | None:
        if self._dropout_gen is None:
            return None
        cfg = self.config
        shape = (batch, 1, self.features)
        return dropout_mask(self._dropout_gen, cfg.seed, epoch, index, shape, cfg.dropout, self.device)

    def _drop_path_masks(self, batch: int, epoch: int, index: int) -> torch.Tensor | None:
        if self._drop_path_gen is None:
            return None
        cfg = self.config
        shape = (self.n_blocks, batch)
        return drop_path_masks(self._drop_path_gen, cfg.seed, epoch, index, shape, cfg.drop_path, self.device)

    def _maybe_flush(self) -> None:
        pending = sum(len(g.pending) for g in self.groups)
        if pending >= self.config.metrics_chunk or (
            pending and time.perf_counter() - self._last_flush >= self.config.metrics_interval_s
        ):
            self._flush()

    def _flush(self) -> None:
        """Send the per-step metrics kept on the device: one transfer for all of them."""
        entries = [(g, p) for g in self.groups for p in g.pending]
        self._last_flush = time.perf_counter()
        if not entries:
            return
        values = torch.cat([p.values.reshape(-1) for _, p in entries]).tolist()
        rows, offset = [], 0
        for g, p in entries:
            times = p.times or (math.nan,) * len(p.lanes)
            for position, step, lr, seconds in zip(p.lanes, p.steps, p.lrs, times, strict=True):
                label = g.lanes[position].label
                for k, name in enumerate(DEVICE_STEP_METRICS):
                    rows.append(MetricRow(label, step, p.epoch, name, values[offset + k * g.n + position]))
                rows.append(MetricRow(label, step, p.epoch, LR_METRIC, lr))
                rows.append(MetricRow(label, step, p.epoch, TRAIN_TIME_METRIC, seconds))
            offset += p.values.numel()
        for g in self.groups:
            g.pending.clear()
        self.callback.on_metrics(rows)

    def _end_epoch(self, epoch: int, run_started: float) -> None:
        """Validation, epoch metrics, keep-best and early stopping for the epoch just trained."""
        self._flush()
        data = self.data
        measured = []  # (lane, group, position, device tensors...)
        for g in self.groups:
            if not g.active:
                continue
            val_loss, val_acc = g.evaluate(data.x_val, data.y_val)
            train_loss = g.epoch_loss / max(1, g.epoch_steps)
            train_acc = g.epoch_correct / len(data.y_train)
            for position, lane in enumerate(g.lanes):
                if lane.done:
                    continue
                ema = (
                    evaluate_model(lane.ema.module, data.x_val, data.y_val) if lane.ema is not None else None
                )
                measured.append(
                    (
                        lane,
                        g,
                        position,
                        torch.stack(
                            [
                                train_loss[position],
                                train_acc[position],
                                val_loss[position],
                                val_acc[position],
                                *(ema if ema is not None else ()),
                            ]
                        ),
                    )
                )
        host = torch.cat([m[3] for m in measured]).tolist() if measured else []  # the epoch's one sync
        self.elapsed = time.perf_counter() - run_started
        rows, offset = [], 0
        for lane, g, position, stacked in measured:
            values = host[offset : offset + stacked.numel()]
            offset += stacked.numel()
            names = EPOCH_METRICS[:4] + (EPOCH_METRICS[4:6] if lane.ema is not None else ())
            named = dict(zip(names, values, strict=True))
            named.update(
                epoch_time=self.epoch_train_time, elapsed=self.elapsed, optimizer_time=lane.optimizer_time
            )
            rows += [MetricRow(lane.label, lane.step, epoch, k, float(v)) for k, v in named.items()]
            self.last_val[lane.label] = (named["val_loss"], named["val_acc"], named.get("ema_val_acc"))
            self._track_best(lane, g, position, named["val_acc"], epoch)
            if isinstance(lane.lr_at, PlateauLR):  # scheduler.step(val_loss), once per epoch
                lane.lr_at.observe(named["val_loss"])
        self.history += rows
        self.paths.end_epoch(rows)
        self.epoch, self.batch, self.epoch_train_time = epoch, 0, 0.0
        self.callback.on_metrics(rows)
        self.callback.on_epoch_end(self, epoch)

    def _track_best(self, lane: Lane, group: LaneGroup, position: int, val_acc: float, epoch: int) -> None:
        if val_acc > lane.best_acc:
            lane.best_acc, lane.best_epoch, lane.stale = val_acc, epoch, 0
            if self.config.keep_best:
                lane.best_state = {k: v.detach().clone() for k, v in lane.model.state_dict().items()}
            return
        lane.stale += 1
        # the course's rule (HW3): stop once `stale` exceeds the patience
        if self.config.patience is not None and lane.stale > self.config.patience:
            group.release(position)

    def _result(self, status: str) -> TrainResult:
        lanes = []
        for lane in self.lanes:
            val_loss, val_acc, ema_acc = self.last_val.get(lane.label, (math.nan, math.nan, None))
            lanes.append(
                LaneResult(
                    label=lane.label,
                    optimizer=lane.spec.name,
                    steps=lane.step,
                    final_val_acc=val_acc,
                    final_val_loss=val_loss,
                    best_val_acc=lane.best_acc if lane.best_acc > -math.inf else math.nan,
                    best_epoch=lane.best_epoch,
                    ema_val_acc=ema_acc,
                    early_stopped=lane.done,
                    optimizer_time=lane.optimizer_time,
                )
            )
        self.cpu_time = time.process_time() - self._cpu_started
        return TrainResult(
            status=status,
            epochs_completed=self.epoch,
            elapsed=self.elapsed,
            cpu_time=self.cpu_time,
            lanes=lanes,
        )

    # ------------------------------------------------------------------ checkpoints

    def state_dict(self) -> dict:
        """Everything needed to continue exactly; plain containers and tensors (torch.load weights_only)."""
        return trainer_state(self)

    def load_state_dict(self, state: dict) -> None:
        restore_trainer_state(self, state)
        replay_plateaus(self.lanes, self.history)
        self.paths.resume()

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write atomically (temp file + rename): a crash never leaves half a checkpoint. The lanes'
        best weights go beside it (checkpoint.BEST_WEIGHTS_FILE) when keep_best kept some, and the lanes'
        paths (landscape.paths.PATHS_FILE), first: a path file is never behind its checkpoint."""
        self.paths.save(Path(path).parent)
        path = save_checkpoint(self.state_dict(), path)
        if any(lane.best_state is not None for lane in self.lanes):
            save_checkpoint(best_weights(self, self._best_evaluated), path.parent / BEST_WEIGHTS_FILE)
        return path

    @classmethod
    def from_checkpoint(
        cls, checkpoint: str | Path | dict, data: ImageDataset | None = None, **kwargs
    ) -> Trainer:
        state = checkpoint if isinstance(checkpoint, dict) else load_checkpoint(checkpoint)
        trainer = cls(RunConfig.from_dict(state["config"]), data, **kwargs)
        trainer.load_state_dict(state)
        return trainer

    def models(self) -> dict[str, SmallCNN]:
        return {lane.label: lane.model for lane in self.lanes}
