"""ReduceLROnPlateau as a Training schedule (schedule="reduce_lr_on_plateau"): each lane's LR is the one
torch.optim.lr_scheduler.ReduceLROnPlateau sets when fed that lane's validation losses once per epoch,
warmup still ramps it, and a run resumed from a checkpoint keeps the plateau state bit for bit."""

from __future__ import annotations

import pytest
import torch

from optim_core.training.config import ConfigError, RunConfig
from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.metrics import LR_METRIC, TIMING_METRICS
from optim_core.training.trainer import Trainer, TrainingCallback
from optim_core.training.tricks import PlateauLR

torch.set_num_threads(1)

# cuts often: an epoch must beat the best by 30%, and one bad epoch is enough
PLATEAU = {"mode": "min", "factor": 0.5, "patience": 0, "threshold": 0.3}


@pytest.fixture(scope="module")
def small():
    return load_digits_dataset(max_samples=100)  # 7 steps per epoch at 16


class Recorder(TrainingCallback):
    def __init__(self):
        self.rows = []

    def on_metrics(self, rows):
        self.rows += [r for r in rows if r.name not in TIMING_METRICS]


def config(**overrides) -> RunConfig:
    fields = dict(
        optimizers=[{"name": "sgd", "hp": {"lr": 0.05}}, {"name": "adam", "hp": {"lr": 0.003}}],
        epochs=7,
        batch_size=16,
        schedule="reduce_lr_on_plateau",
        schedule_kwargs=PLATEAU,
        schedule_unit="epoch",
        seed=3,
    )
    return RunConfig(**{**fields, **overrides})


def train(cfg, data, stop_after=None):
    recorder, count = Recorder(), [0]

    def should_stop():
        count[0] += 1
        return stop_after is not None and count[0] >= stop_after

    trainer = Trainer(cfg, data, callback=recorder, should_stop=should_stop)
    return trainer, trainer.run(), recorder


def by_epoch(rows, label, name):
    out: dict[int, list[float]] = {}
    for r in rows:
        if r.optimizer == label and r.name == name:
            out.setdefault(r.epoch, []).append(r.value)
    return out


def torch_plateau_lrs(base_lr: float, val_losses: list[float]) -> list[float]:
    """The LR torch's ReduceLROnPlateau leaves in the optimizer during each epoch, fed val_losses."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **PLATEAU)
    lrs = []
    for loss in val_losses:
        lrs.append(optimizer.param_groups[0]["lr"])
        scheduler.step(loss)
    return lrs


def test_each_lanes_lr_is_torchs_reduce_lr_on_plateau_fed_its_validation_losses(small):
    trainer, result, rec = train(config(), small)
    assert result.status == "finished"
    for label, base_lr in (("sgd", 0.05), ("adam", 0.003)):
        losses = [v for _, (v,) in sorted(by_epoch(rec.rows, label, "val_loss").items())]
        assert len(losses) == 7
        expected = torch_plateau_lrs(base_lr, losses)
        lrs = by_epoch(rec.rows, label, LR_METRIC)
        assert [set(lrs[epoch]) for epoch in range(1, 8)] == [{lr} for lr in expected]  # bit for bit
        assert len(set(expected)) >= 3  # the plateau did cut, more than once
        lane = next(lane for lane in trainer.lanes if lane.label == label)
        assert isinstance(lane.lr_at, PlateauLR) and lane.lr_at.val_losses == losses


def test_warmup_ramps_to_the_plateaus_lr(small):
    _, _, rec = train(config(warmup_steps=16, epochs=4), small)
    losses = [v for _, (v,) in sorted(by_epoch(rec.rows, "sgd", "val_loss").items())]
    plateau = torch_plateau_lrs(0.05, losses)
    lrs = [r.value for r in rec.rows if r.optimizer == "sgd" and r.name == LR_METRIC]
    epochs = [r.epoch for r in rec.rows if r.optimizer == "sgd" and r.name == LR_METRIC]
    assert len(lrs) == 28  # 4 epochs × 7 steps
    for t, (lr, epoch) in enumerate(zip(lrs, epochs, strict=True)):
        base = plateau[epoch - 1]
        assert lr == (base * (t + 1) / 16 if t < 16 else base)
    # the cut at the end of epoch 2 (step 14) comes before the warmup ends: it lowers what it climbs to
    assert plateau[2] < plateau[1]


def test_resume_from_a_checkpoint_keeps_the_plateau_state_bit_for_bit(small, tmp_path):
    cfg = config()
    whole, _, whole_rec = train(cfg, small)
    first, result, first_rec = train(cfg, small, stop_after=24)  # in epoch 4, after cuts
    assert result.status == "stopped" and first.epoch == 3
    assert any(lane.lr_at.lr < lane.lr_at.base_lr for lane in first.lanes)
    path = first.save_checkpoint(tmp_path / "ckpt" / "last.pt")
    rest_rec = Recorder()
    resumed = Trainer.from_checkpoint(path, small, callback=rest_rec)
    for a, b in zip(first.lanes, resumed.lanes, strict=True):
        assert (b.lr_at.val_losses, b.lr_at.lr) == (a.lr_at.val_losses, a.lr_at.lr)
    assert resumed.run().status == "finished"
    assert first_rec.rows + rest_rec.rows == whole_rec.rows
    for a, b in zip(whole.lanes, resumed.lanes, strict=True):
        assert (b.lr_at.val_losses, b.lr_at.lr) == (a.lr_at.val_losses, a.lr_at.lr)


def test_a_plateau_schedule_is_checked_when_the_run_is_configured():
    with pytest.raises(ConfigError, match="schedule_unit must be 'epoch'"):
        config(schedule_unit="step")
    with pytest.raises(ConfigError, match="factor"):
        config(schedule_kwargs={"factor": 1.5})
    with pytest.raises(ConfigError, match="reduce_lr_on_plateau"):
        config(schedule_kwargs={"patience_": 3})
