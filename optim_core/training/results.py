"""What a finished or stopped run reports: TrainResult, one LaneResult per optimizer (JSON-able)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class LaneResult:
    label: str
    optimizer: str
    steps: int
    final_val_acc: float
    final_val_loss: float
    best_val_acc: float
    best_epoch: int
    ema_val_acc: float | None
    early_stopped: bool
    optimizer_time: float


@dataclass
class TrainResult:
    status: str  # "finished" or "stopped"
    epochs_completed: int
    elapsed: float  # wall-clock seconds of training (over all resumed parts)
    cpu_time: float  # CPU seconds of the training process over the same span (robust to other load)
    lanes: list[LaneResult]

    def to_dict(self) -> dict:
        return asdict(self)
