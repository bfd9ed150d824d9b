"""Residual blocks with drop path (stochastic depth), and each lane's best weights saved for use.

Small slices of digits with the small CNN, as in test_training_trainer.py.
"""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from optim_core.training.checkpoint import (
    BEST_WEIGHTS_FILE,
    best_model,
    load_best_weights,
    load_checkpoint,
)
from optim_core.training.config import ConfigError, RunConfig
from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.lanes import evaluate_model
from optim_core.training.metrics import TIMING_METRICS
from optim_core.training.model import PackedCNN, SmallCNN, drop_path, drop_path_masks, model_for
from optim_core.training.trainer import Trainer, TrainingCallback

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small():
    return load_digits_dataset(max_samples=100)


class Recorder(TrainingCallback):
    def __init__(self):
        self.rows = []

    def on_metrics(self, rows):
        self.rows += [r for r in rows if r.name not in TIMING_METRICS]


def train(config, data, stop_after=None):
    recorder, count = Recorder(), [0]

    def should_stop():
        count[0] += 1
        return stop_after is not None and count[0] >= stop_after

    trainer = Trainer(config, data, callback=recorder, should_stop=should_stop)
    return trainer, trainer.run(), recorder


def states_equal(a: dict, b: dict, atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(
        torch.allclose(a[k].float(), b[k].float(), rtol=0, atol=atol) for k in a
    )


def series(rows, label, name):
    return [r.value for r in rows if r.optimizer == label and r.name == name]


# ---------------------------------------------------------------- the residual model


def test_residual_blocks_compute_x_plus_f_of_x():
    torch.manual_seed(0)
    model = SmallCNN((1, 8, 8), 10, residual=True)
    plain = SmallCNN((1, 8, 8), 10)
    assert [n for n, _ in model.named_parameters() if "branch" in n] == [
        f"blocks.{i}.branch.{part}" for i in range(2) for part in ("conv.weight", "bn.weight", "bn.bias")
    ]
    assert plain.state_dict().keys() < model.state_dict().keys()
    x = torch.randn(4, 1, 8, 8)
    h = x
    for block in model.blocks:  # by hand: the plain block, then h + ReLU(BN(conv(h)))
        h = F.relu(F.max_pool2d(block.bn(block.conv(h)), 2))
        h = h + F.relu(block.branch.bn(block.branch.conv(h)))
    torch.testing.assert_close(model(x), model.head(h.flatten(1)))


def test_drop_path_drops_whole_samples_scaled_and_is_the_identity_at_eval():
    torch.manual_seed(0)
    x = torch.randn(2000, 3, 4, 4) + 5.0
    y = drop_path(x, 0.25, training=True)
    kept = (y != 0).flatten(1)
    assert (kept.all(1) | ~kept.any(1)).all()  # a sample is kept or dropped whole
    assert 0.2 < 1 - kept.all(1).float().mean() < 0.3
    torch.testing.assert_close(y[kept.all(1)], x[kept.all(1)] / 0.75)
    assert torch.equal(drop_path(x, 0.25, training=False), x)
    assert torch.equal(drop_path(x, 0.0, training=True), x)
    # the trainer's masks: seeded per (seed, epoch, batch), one per block and sample
    gen = torch.Generator()
    masks = drop_path_masks(gen, 3, 1, 4, (2, 500), 0.4, torch.device("cpu"))
    assert masks.shape == (2, 500, 1, 1, 1)
    torch.testing.assert_close(masks.unique(), torch.tensor([0.0, 1 / 0.6]))
    assert torch.equal(masks, drop_path_masks(gen, 3, 1, 4, (2, 500), 0.4, torch.device("cpu")))
    assert not torch.equal(masks, drop_path_masks(gen, 3, 1, 5, (2, 500), 0.4, torch.device("cpu")))


def test_eval_is_deterministic_and_drop_path_off_is_the_plain_residual_network():
    torch.manual_seed(1)
    dropping = SmallCNN((1, 8, 8), 10, residual=True, drop_path=0.5)
    plain = SmallCNN((1, 8, 8), 10, residual=True)
    plain.load_state_dict(dropping.state_dict())
    x = torch.randn(8, 1, 8, 8)
    dropping.eval(), plain.eval()
    assert torch.equal(dropping(x), dropping(x)) and torch.equal(dropping(x), plain(x))
    dropping.train(), plain.train()
    torch.manual_seed(2)
    assert not torch.allclose(dropping(x), plain(x))  # training: some branches dropped
    # drop_path = 0 in a run is the plain residual network: the same run, row for row
    data = load_digits_dataset(max_samples=60)
    common = dict(optimizers=[{"name": "adam"}, {"name": "sgd"}], epochs=1, batch_size=16, residual=True)
    _, _, off = train(RunConfig(**common, drop_path=0.0), data)
    _, _, on = train(RunConfig(**common, drop_path=0.3), data)
    # masks that keep every branch (p = 1e-12: the scale 1/(1-p) is 1.0 in float32) change nothing
    trainer, _, kept = train(RunConfig(**common, drop_path=1e-12), data)
    assert trainer._drop_path_gen is not None
    assert off.rows == kept.rows and off.rows != on.rows


@pytest.mark.parametrize("batch_norm", [True, False])
def test_packed_residual_lanes_compute_what_each_lane_computes_with_shared_masks(batch_norm):
    torch.manual_seed(0)
    lanes = [SmallCNN((1, 8, 8), 10, batch_norm=batch_norm, residual=True) for _ in range(3)]
    separate = [copy.deepcopy(m) for m in lanes]
    packed = PackedCNN(lanes)
    x = torch.randn(16, 1, 8, 8)
    masks = drop_path_masks(torch.Generator(), 0, 0, 0, (2, 16), 0.5, torch.device("cpu"))
    logits = packed.forward(x, True, None, masks)
    for i, model in enumerate(separate):
        h = x
        for block, mask in zip(model.blocks, masks, strict=True):  # the same samples dropped in each lane
            h = F.relu(F.max_pool2d(block.bn(block.conv(h)), 2))
            h = h + block.branch(h) * mask
        torch.testing.assert_close(logits[i], model.head(h.flatten(1)), rtol=1e-5, atol=1e-6)
        assert states_equal(lanes[i].state_dict(), model.state_dict(), atol=1e-6)  # BN statistics too
    ones = torch.ones_like(masks)
    torch.testing.assert_close(packed.forward(x, False, None, ones), packed.forward(x, False))


def test_config_validates_residual_and_drop_path():
    RunConfig(residual=True, drop_path=0.0)
    RunConfig(residual=True, drop_path=0.9)
    for bad in (-0.1, 1.0, 1.5, float("nan"), True):
        with pytest.raises(ConfigError, match="drop_path"):
            RunConfig(residual=True, drop_path=bad)
    with pytest.raises(ConfigError, match="drop_path needs residual"):
        RunConfig(drop_path=0.2)
    with pytest.raises(ConfigError, match="residual"):
        RunConfig(residual="yes")
    with pytest.raises(ValueError, match="drop_path"):
        SmallCNN((1, 8, 8), 10, drop_path=0.2)
    with pytest.raises(ValueError, match="drop_path"):
        SmallCNN((1, 8, 8), 10, residual=True, drop_path=1.0)
    cfg = RunConfig.from_dict(RunConfig(residual=True, drop_path=0.2).to_dict())
    model = model_for(cfg, (1, 8, 8), 10)
    assert model.residual and model.drop_path_p == 0.2


# ---------------------------------------------------------------- lock-step lanes with drop path


def test_lanes_trained_packed_with_drop_path_equal_each_lane_trained_alone(small):
    optimizers = [{"name": "adam"}, {"name": "momentum_ema"}, {"name": "sgd", "hp": {"lr": 0.05}}]
    common = dict(epochs=2, batch_size=16, residual=True, drop_path=0.3, dropout=0.2, seed=3)
    together, _, rec = train(RunConfig(optimizers=optimizers, **common), small)
    for lane, entry in zip(together.lanes, optimizers, strict=True):
        alone, _, rec_alone = train(RunConfig(optimizers=[entry], **common), small)
        assert states_equal(lane.model.state_dict(), alone.lanes[0].model.state_dict(), atol=1e-5), entry
        torch.testing.assert_close(
            series(rec.rows, lane.label, "train_loss"),
            series(rec_alone.rows, lane.label, "train_loss"),
            rtol=1e-4,
            atol=0,
        )


def test_resume_with_drop_path_is_bit_identical(small, tmp_path):
    config = RunConfig(
        optimizers=[{"name": "adam"}, {"name": "momentum_ema"}],
        epochs=3,
        batch_size=16,
        residual=True,
        drop_path=0.4,
        accumulation_steps=2,
        seed=5,
    )
    whole, _, whole_rec = train(config, small)
    first, result, first_rec = train(config, small, stop_after=9)  # mid epoch 2
    assert result.status == "stopped" and (first.epoch, first.batch) == (1, 2)
    path = first.save_checkpoint(tmp_path / "last.pt")
    rest = Recorder()
    resumed = Trainer.from_checkpoint(path, small, callback=rest)
    assert resumed.run().status == "finished"
    assert first_rec.rows + rest.rows == whole_rec.rows
    for a, b in zip(whole.lanes, resumed.lanes, strict=True):
        assert states_equal(a.model.state_dict(), b.model.state_dict())


# ---------------------------------------------------------------- the best weights, saved for use


@pytest.mark.parametrize("residual", [False, True])
def test_best_weights_are_saved_beside_the_checkpoint_and_score_the_best_accuracy(small, tmp_path, residual):
    optimizers = [{"name": "adam", "hp": {"lr": 0.01}}, {"name": "sgd", "hp": {"lr": 0.05}}]
    config = RunConfig(optimizers=optimizers, epochs=4, batch_size=16, seed=2, residual=residual)
    trainer, result, _ = train(config, small)
    trainer.save_checkpoint(tmp_path / "last.pt")
    raw = torch.load(tmp_path / BEST_WEIGHTS_FILE, weights_only=True)  # no pickled code
    saved = load_best_weights(tmp_path / BEST_WEIGHTS_FILE)
    assert [lane["label"] for lane in saved["lanes"]] == ["adam", "sgd"] == [r["label"] for r in raw["lanes"]]
    for entry, lane_result, lane in zip(saved["lanes"], result.lanes, trainer.lanes, strict=True):
        assert entry["epoch"] == lane_result.best_epoch >= 1
        assert entry["val_acc"] == pytest.approx(lane_result.best_val_acc, abs=1e-6)
        assert entry["recorded_val_acc"] == lane_result.best_val_acc
        # the lane's own SmallCNN weights: load into the run's model, strictly, and score the best again
        model = model_for(config, small.input_shape, small.n_classes)
        model.load_state_dict(entry["state_dict"])
        _, acc = evaluate_model(model, small.x_val, small.y_val)
        assert float(acc) == pytest.approx(lane_result.best_val_acc, abs=1e-6)
        assert states_equal(entry["state_dict"], lane.best_state)
        assert not best_model(saved, lane.label).training
    a, b = (lane["state_dict"] for lane in saved["lanes"])
    assert not states_equal(a, b)  # each lane its own, not the packed tensors
    # the same lane trained alone keeps the same best weights
    alone, _, _ = train(RunConfig(optimizers=optimizers[1:], **_common(config)), small)
    assert states_equal(b, alone.lanes[0].best_state, atol=1e-5)


def _common(config: RunConfig) -> dict:
    return dict(
        epochs=config.epochs, batch_size=config.batch_size, seed=config.seed, residual=config.residual
    )


def test_a_stopped_run_saves_its_best_weights_and_without_keep_best_none(small, tmp_path):
    config = RunConfig(optimizers=[{"name": "adam"}], epochs=3, batch_size=16, seed=1)
    trainer, result, _ = train(config, small, stop_after=9)  # 5 batches per epoch: after epoch 1
    assert result.status == "stopped" and result.lanes[0].best_epoch == 1
    trainer.save_checkpoint(tmp_path / "run" / "last.pt")
    (entry,) = load_best_weights(tmp_path / "run" / BEST_WEIGHTS_FILE)["lanes"]
    assert entry["epoch"] == 1 and entry["val_acc"] == pytest.approx(result.lanes[0].best_val_acc, abs=1e-6)
    # resumed and finished: the file follows the new best, evaluated once per best epoch
    resumed = Trainer.from_checkpoint(load_checkpoint(tmp_path / "run" / "last.pt"), small)
    final = resumed.run()
    resumed.save_checkpoint(tmp_path / "run" / "last.pt")
    (entry,) = load_best_weights(tmp_path / "run" / BEST_WEIGHTS_FILE)["lanes"]
    assert (entry["epoch"], entry["val_acc"]) == (
        final.lanes[0].best_epoch,
        pytest.approx(final.lanes[0].best_val_acc, abs=1e-6),
    )
    assert set(resumed._best_evaluated) == {("adam", final.lanes[0].best_epoch)}
    no_best = RunConfig(optimizers=[{"name": "adam"}], epochs=1, batch_size=16, keep_best=False)
    trainer, _, _ = train(no_best, small)
    trainer.save_checkpoint(tmp_path / "none" / "last.pt")
    assert not (tmp_path / "none" / BEST_WEIGHTS_FILE).exists()
