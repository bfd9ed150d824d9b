"""The metrics a run records: their names, and MetricRow, one value as the run store keeps it.

The one home of the metric names: the trainer writes them, the run store keeps them as plain strings,
the training page reads them. Torch-free, so that the app can import it without torch.

Per optimizer step: train_loss, grad_norm, update_ratio (measured on the device, flushed in chunks),
lr and train_time (known on the host). Per epoch: the epoch's mean training loss and accuracy, validation loss
and accuracy (and those of the weights' EMA when the run keeps one), and wall-clock timings.
"""

from __future__ import annotations

from typing import NamedTuple

LR_METRIC = "lr"
# Measured on the device, in this order: the rows of lanes.PendingSteps.values.
DEVICE_STEP_METRICS = ("train_loss", "grad_norm", "update_ratio")
# Known on the host: the lane's seconds of training so far (its group's forward, backward and step), at
# each of its optimizer steps; a batch-size sweep's lanes are groups of their own, so each has its own.
TRAIN_TIME_METRIC = "train_time"
STEP_METRICS = ("train_loss", LR_METRIC, "grad_norm", "update_ratio", TRAIN_TIME_METRIC)  # every per-step one
VALIDATION_METRICS = ("val_loss", "val_acc", "ema_val_loss", "ema_val_acc")  # ema_*: with ema_decay only
EPOCH_METRICS = (
    "epoch_train_loss",
    "epoch_train_acc",
    *VALIDATION_METRICS,
    "epoch_time",
    "elapsed",
    "optimizer_time",
)
# Wall-clock seconds: no two runs share them, so comparisons of runs leave them out.
TIMING_METRICS = frozenset({"epoch_time", "elapsed", "optimizer_time", TRAIN_TIME_METRIC})


class MetricRow(NamedTuple):
    """One value, as the run store keeps it. Epochs count from 1; step is the lane's optimizer step."""

    optimizer: str
    step: int
    epoch: int
    name: str
    value: float
