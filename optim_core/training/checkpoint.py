"""Checkpoints of a Trainer: everything needed to continue a run exactly, as plain containers and tensors.

A checkpoint holds every lane's model, optimizer state, EMA, best weights and counters, every group's
accumulators, the position in the epoch, the RNG states and the metric history; a run resumed from it
equals the uninterrupted run. It loads with torch.load(weights_only=True): no pickled code.

Beside it, `best_weights.pt` holds each lane's best weights (keep_best) as its own SmallCNN's
state_dict, with the validation accuracy those saved weights score (`save_best_weights`): what the
Training page offers for download.

The functions take a trainer.Trainer, unannotated: trainer.py imports this module, and a type import
back would be an import cycle.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import torch

from optim_core.training.config import RunConfig
from optim_core.training.lanes import evaluate_model
from optim_core.training.metrics import MetricRow
from optim_core.training.model import model_for

CHECKPOINT_FORMAT = 2  # 2: a lane's optimizer state is one flat vector when lanes are packed
BEST_WEIGHTS_FILE = "best_weights.pt"  # beside the checkpoint
BEST_WEIGHTS_FORMAT = 1


def trainer_state(trainer) -> dict:
    """The trainer's whole state (Trainer.state_dict)."""
    lanes = []
    for lane in trainer.lanes:
        lanes.append(
            {
                "label": lane.label,
                "step": lane.step,
                "done": lane.done,
                "stale": lane.stale,
                "best_acc": lane.best_acc,
                "best_epoch": lane.best_epoch,
                "optimizer_time": lane.optimizer_time,
                "train_time": lane.train_time,
                "model": {k: v.detach().clone() for k, v in lane.model.state_dict().items()},
                "optimizer": copy.deepcopy(lane.optimizer.state_dict()),
                "ema": None if lane.ema is None else copy.deepcopy(lane.ema.state_dict()),
                "best_state": lane.best_state,
            }
        )
    rng = {"cpu": torch.get_rng_state()}
    if trainer.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(trainer.device)
    return {
        "format": CHECKPOINT_FORMAT,
        "config": trainer.config.to_dict(),
        "epoch": trainer.epoch,
        "batch": trainer.batch,
        "epoch_train_time": trainer.epoch_train_time,
        "elapsed": trainer.elapsed,
        "cpu_time": trainer.cpu_time,
        "history": [tuple(row) for row in trainer.history],
        "last_val": {k: list(v) for k, v in trainer.last_val.items()},
        "lanes": lanes,
        "groups": [g.state_dict() for g in trainer.groups],
        "rng": rng,
    }


def restore_trainer_state(trainer, state: dict) -> None:
    """Load `trainer_state`'s dict into a trainer built from the same config (Trainer.load_state_dict)."""
    if state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"unsupported checkpoint format {state.get('format')!r}")
    if [lane["label"] for lane in state["lanes"]] != [lane.label for lane in trainer.lanes]:
        raise ValueError("the checkpoint's optimizers do not match this run's")
    for lane, saved in zip(trainer.lanes, state["lanes"], strict=True):
        lane.model.load_state_dict(saved["model"])
        lane.optimizer.load_state_dict(saved["optimizer"])
        if lane.ema is not None:
            lane.ema.load_state_dict(saved["ema"])
        lane.step, lane.stale, lane.done = saved["step"], saved["stale"], False
        lane.best_acc, lane.best_epoch = saved["best_acc"], saved["best_epoch"]
        lane.optimizer_time, lane.best_state = saved["optimizer_time"], saved["best_state"]
        lane.train_time = saved.get("train_time", 0.0)  # absent in checkpoints written before it
    for g, saved in zip(trainer.groups, state["groups"], strict=True):
        g.load_state_dict(saved)
    for g in trainer.groups:  # released lanes keep the weights they stopped with
        for position, lane in enumerate(g.lanes):
            if state["lanes"][lane.index]["done"]:
                g.release(position)
    trainer.epoch, trainer.batch = state["epoch"], state["batch"]
    trainer.epoch_train_time, trainer.elapsed = state["epoch_train_time"], state["elapsed"]
    trainer.cpu_time = state["cpu_time"]
    trainer.history = [MetricRow(*row) for row in state["history"]]
    trainer.last_val = {k: tuple(v) for k, v in state["last_val"].items()}
    torch.set_rng_state(state["rng"]["cpu"])
    if "cuda" in state["rng"] and trainer.device.type == "cuda":
        torch.cuda.set_rng_state(state["rng"]["cuda"], trainer.device)


def save_checkpoint(state: dict, path: str | Path) -> Path:
    """Write atomically (temp file + rename): a crash never leaves half a checkpoint."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def best_weights(trainer, evaluated: dict[tuple[str, int], float]) -> dict:
    """Every lane's best weights (those that have some): a plain dict, torch.load(weights_only=True).

    {"format", "config", "in_shape", "n_classes", "lanes": [{"label", "epoch", "recorded_val_acc",
    "val_acc", "state_dict"}]}: state_dict loads into model_for(config, in_shape, n_classes); val_acc
    is what a fresh SmallCNN holding exactly that state_dict scores on the validation set, computed
    once per (label, best epoch) and kept in `evaluated`.
    """
    data, lanes = trainer.data, []
    for lane in trainer.lanes:
        if lane.best_state is None:
            continue
        # the lane's own SmallCNN tensors, copied out of the packed network when they were kept
        state = {k: v.detach().cpu().clone() for k, v in lane.best_state.items()}
        key = (lane.label, lane.best_epoch)
        if key not in evaluated:
            model = model_for(trainer.config, data.input_shape, data.n_classes)
            model.load_state_dict(state)
            _, acc = evaluate_model(model.to(data.x_val.device), data.x_val, data.y_val)
            evaluated[key] = float(acc)
        lanes.append(
            {
                "label": lane.label,
                "epoch": lane.best_epoch,
                "recorded_val_acc": lane.best_acc,
                "val_acc": evaluated[key],
                "state_dict": state,
            }
        )
    return {
        "format": BEST_WEIGHTS_FORMAT,
        "config": trainer.config.to_dict(),
        "in_shape": list(data.input_shape),
        "n_classes": int(data.n_classes),
        "lanes": lanes,
    }


def load_best_weights(path: str | Path) -> dict:
    """A best_weights.pt file (torch.load(weights_only=True): plain containers and tensors only)."""
    saved = torch.load(Path(path), map_location="cpu", weights_only=True)
    if saved.get("format") != BEST_WEIGHTS_FORMAT:
        raise ValueError(f"unsupported best weights format {saved.get('format')!r}")
    return saved


def best_model(saved: dict, label: str):
    """Lane `label`'s best weights from load_best_weights() in the run's SmallCNN, in eval mode."""
    (lane,) = [lane for lane in saved["lanes"] if lane["label"] == label]
    model = model_for(RunConfig.from_dict(saved["config"]), tuple(saved["in_shape"]), saved["n_classes"])
    model.load_state_dict(lane["state_dict"])
    return model.eval()
