"""The trainer: fairness, reproducibility, exact resume, the tricks, the optimizers and the LR range test.

Everything runs on small slices of digits with the small CNN, so each test takes well under a second
or two on one CPU thread.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from optim_core.training.config import ConfigError, RunConfig
from optim_core.training.data.builtin import load_digits_dataset
from optim_core.training.device import describe_device, pick_device
from optim_core.training.lr_range import exponential_lrs, lr_range_test, suggest
from optim_core.training.metrics import TIMING_METRICS
from optim_core.training.model import PackedCNN, SmallCNN, block_channels, count_parameters
from optim_core.training.seeds import epoch_permutation
from optim_core.training.trainer import Trainer, TrainingCallback
from optim_core.training.tricks import make_lr_fn
from optim_core.training.variants import make_optimizer, optimizer_names

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def small():
    return load_digits_dataset(max_samples=100)


class Recorder(TrainingCallback):
    """Collects every metric row except wall-clock timings (which no two runs share)."""

    def __init__(self):
        self.rows, self.calls = [], []

    def on_metrics(self, rows):
        self.calls.append(rows)
        self.rows += [r for r in rows if r.name not in TIMING_METRICS]


def train(config, data, stop_after=None):
    recorder, count = Recorder(), [0]

    def should_stop():
        count[0] += 1
        return stop_after is not None and count[0] >= stop_after

    trainer = Trainer(config, data, callback=recorder, should_stop=should_stop)
    return trainer, trainer.run(), recorder


def states_equal(a: torch.nn.Module, b: torch.nn.Module, atol: float = 0.0) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(
        torch.allclose(sa[k].float(), sb[k].float(), rtol=0, atol=atol) for k in sa
    )


def series(rows, label, name):
    return [r.value for r in rows if r.optimizer == label and r.name == name]


# ---------------------------------------------------------------- model and packing


def test_small_cnn_is_sized_to_its_input():
    assert block_channels(8, 8) == [16, 32] and block_channels(28, 28) == [16, 32, 64]
    assert block_channels(128, 96, width=0.5) == [8, 16, 32, 64]
    model = SmallCNN((3, 32, 32), 11, width=0.5, batch_norm=False, dropout=0.2)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 11)
    assert count_parameters(model) == sum(p.numel() for p in model.parameters())
    with pytest.raises(ValueError, match="dropout"):
        SmallCNN((1, 8, 8), 10, dropout=1.0)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_packed_lanes_compute_exactly_what_each_lane_computes(batch_norm):
    torch.manual_seed(0)
    lanes = [SmallCNN((1, 8, 8), 10, batch_norm=batch_norm) for _ in range(3)]  # three different inits
    separate = [copy.deepcopy(m) for m in lanes]
    packed = PackedCNN(lanes)
    x, y = torch.randn(16, 1, 8, 8), torch.randint(0, 10, (16,))
    logits = packed.forward(x, train=True)  # (lanes, batch, classes)
    F.cross_entropy(logits.reshape(3 * 16, -1), y.repeat(3), reduction="none").view(3, 16).mean(
        1
    ).sum().backward()
    for i, model in enumerate(separate):
        out = model(x)
        F.cross_entropy(out, y).backward()
        torch.testing.assert_close(logits[i], out, rtol=1e-5, atol=1e-6)
        for (name, p), q in zip(lanes[i].named_parameters(), model.parameters(), strict=True):
            torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-6, msg=name)
        assert states_equal(lanes[i], model, atol=1e-6)  # BatchNorm running statistics too
    # a lane's optimizer writes straight into the packed tensor
    torch.optim.SGD(lanes[1].parameters(), lr=0.5).step()
    head = packed.params["head.weight"].view(3, 10, -1)
    assert not torch.equal(head[1], separate[1].head.weight)
    assert torch.equal(head[1], lanes[1].head.weight) and torch.equal(head[0], separate[0].head.weight)


# ---------------------------------------------------------------- fairness and reproducibility


def test_every_lane_starts_from_the_same_weights(small):
    config = RunConfig(
        optimizers=[{"name": "adam"}, {"name": "sgd"}, {"name": "rmsprop_eps_inside"}],
        batch_sizes=None,
        ema_decay=0.9,
        seed=5,
    )
    trainer = Trainer(config, small)
    torch.manual_seed(5)
    reference = SmallCNN(small.input_shape, small.n_classes)
    for lane in trainer.lanes:
        assert states_equal(lane.model, reference)
        assert states_equal(lane.ema.module, reference)
    sweep = Trainer(RunConfig(optimizers=[{"name": "sgd"}], batch_sizes=[16, 64, "full"], seed=5), small)
    assert [lane.label for lane in sweep.lanes] == ["sgd bs=16", "sgd bs=64", "sgd bs=full"]
    assert all(states_equal(lane.model, reference) for lane in sweep.lanes)


def test_batch_order_matches_a_plain_loop_over_epoch_permutation(small):
    """One lane, no BatchNorm: the packed trainer equals the textbook loop on the same batches."""
    config = RunConfig(
        optimizers=[{"name": "sgd", "hp": {"lr": 0.1}}], epochs=2, batch_size=32, batch_norm=False, seed=3
    )
    trainer, _, rec = train(config, small)
    torch.manual_seed(3)
    model = SmallCNN(small.input_shape, small.n_classes, batch_norm=False)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    losses, n = [], len(small.y_train)
    for epoch in range(2):
        order = epoch_permutation(3, epoch, n)
        for start in range(0, n, 32):
            idx = order[start : start + 32]
            loss = F.cross_entropy(model(small.x_train[idx]), small.y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    np.testing.assert_allclose(series(rec.rows, "sgd", "train_loss"), losses, rtol=1e-5)
    assert states_equal(trainer.lanes[0].model, model, atol=1e-5)


def test_packed_lanes_train_like_each_optimizer_alone(small):
    """The packed path (flat per-lane optimizer vectors, per-lane clipping, the trainer's L2 and
    decoupled decay, EMA) ends where each optimizer trained on its own (the single-lane path) ends."""
    optimizers = [
        {"name": "adam"},
        {"name": "momentum_ema"},
        {"name": "rmsprop", "hp": {"centered": True}},
        {"name": "nadam", "hp": {"decoupled_weight_decay": True}},
    ]
    common = dict(epochs=2, batch_size=16, clip_grad_norm=0.5, weight_decay=0.01, ema_decay=0.9, seed=3)
    together, _, rec = train(RunConfig(optimizers=optimizers, **common), small)
    for lane, entry in zip(together.lanes, optimizers, strict=True):
        alone, _, rec_alone = train(RunConfig(optimizers=[entry], **common), small)
        assert states_equal(lane.model, alone.lanes[0].model, atol=1e-5), entry
        assert states_equal(lane.ema.module, alone.lanes[0].ema.module, atol=1e-5), entry
        for name in ("train_loss", "grad_norm", "update_ratio"):
            np.testing.assert_allclose(
                series(rec.rows, lane.label, name),
                series(rec_alone.rows, lane.label, name),
                rtol=1e-4,
                err_msg=name,
            )
    assert lane.optimizer.param_groups[0]["params"][0].dim() == 1  # packed: one flat vector per lane


def test_identical_optimizers_see_identical_batches_and_dropout(small):
    config = RunConfig(
        optimizers=[{"name": "adam", "label": "A"}, {"name": "sgd"}, {"name": "adam", "label": "B"}],
        epochs=2,
        batch_size=16,
        dropout=0.3,
        seed=1,
    )
    trainer, _, rec = train(config, small)
    for name in ("train_loss", "grad_norm", "update_ratio", "val_acc"):
        assert series(rec.rows, "A", name) == series(rec.rows, "B", name)
    assert series(rec.rows, "A", "train_loss") != series(rec.rows, "sgd", "train_loss")
    assert states_equal(trainer.lanes[0].model, trainer.lanes[2].model)


def test_same_seed_same_metrics_other_seed_other_metrics(small):
    config = dict(
        optimizers=[{"name": "adam"}, {"name": "momentum_ema"}], epochs=2, batch_size=32, dropout=0.2
    )
    _, _, first = train(RunConfig(**config, seed=7), small)
    _, _, again = train(RunConfig(**config, seed=7), small)
    _, _, other = train(RunConfig(**config, seed=8), small)
    assert first.rows == again.rows
    assert first.rows != other.rows


# ---------------------------------------------------------------- stop and resume


def test_resume_from_checkpoint_equals_an_uninterrupted_run(small, tmp_path):
    config = RunConfig(
        optimizers=[{"name": "adam"}, {"name": "momentum_ema"}, {"name": "sgd", "hp": {"lr": 0.05}}],
        epochs=3,
        batch_size=16,
        dropout=0.3,
        ema_decay=0.9,
        clip_grad_norm=1.0,
        accumulation_steps=3,
        weight_decay=0.01,
        schedule="cosine_annealing_lr",
        warmup_steps=2,
        patience=0,
        seed=11,
    )
    whole, whole_result, whole_rec = train(config, small)
    # stop in the middle of epoch 2, in the middle of an accumulation window (7 micro-batches per epoch)
    first, result, first_rec = train(config, small, stop_after=9)
    assert result.status == "stopped" and (first.epoch, first.batch) == (1, 2)
    path = first.save_checkpoint(tmp_path / "ckpt" / "last.pt")
    rest_rec = Recorder()
    resumed = Trainer.from_checkpoint(path, small, callback=rest_rec)
    final = resumed.run()
    assert final.status == "finished"
    assert first_rec.rows + rest_rec.rows == whole_rec.rows
    for a, b in zip(whole.lanes, resumed.lanes, strict=True):
        assert states_equal(a.model, b.model) and states_equal(a.ema.module, b.ema.module)
        assert a.optimizer.state_dict()["state"].keys() == b.optimizer.state_dict()["state"].keys()
    assert [lane.early_stopped for lane in final.lanes] == [lane.early_stopped for lane in whole_result.lanes]
    assert [r[:4] for r in resumed.history] == [r[:4] for r in whole.history]


def test_request_stop_keeps_every_lane_at_the_same_step(small):
    class StopAfterFirstChunk(Recorder):
        def on_metrics(self, rows):
            super().on_metrics(rows)
            trainer.request_stop()

    config = RunConfig(
        optimizers=[{"name": "adam"}, {"name": "sgd"}], epochs=5, batch_size=16, metrics_chunk=2
    )
    callback = StopAfterFirstChunk()
    trainer = Trainer(config, small, callback=callback)
    result = trainer.run()
    assert result.status == "stopped"
    assert result.lanes[0].steps == result.lanes[1].steps < 5 * 5


# ---------------------------------------------------------------- the tricks


def test_decoupled_weight_decay_with_adam_is_adamw(small):
    common = dict(epochs=2, batch_size=32, seed=2)
    decoupled, _, _ = train(
        RunConfig(
            optimizers=[{"name": "adam", "hp": {"lr": 0.01}}],
            weight_decay=0.1,
            weight_decay_mode="decoupled",
            **common,
        ),
        small,
    )
    adamw, _, _ = train(
        RunConfig(optimizers=[{"name": "adamw", "hp": {"lr": 0.01, "weight_decay": 0.1}}], **common), small
    )
    l2, _, _ = train(
        RunConfig(optimizers=[{"name": "adam", "hp": {"lr": 0.01}}], weight_decay=0.1, **common), small
    )
    assert states_equal(decoupled.lanes[0].model, adamw.lanes[0].model, atol=1e-6)
    assert not states_equal(l2.lanes[0].model, adamw.lanes[0].model, atol=1e-3)


def test_l2_added_by_the_trainer_for_variants_matches_torch_l2(small):
    """momentum_ema with β = 0 is plain SGD; its L2 is added by the trainer, SGD's by torch."""
    common = dict(epochs=2, batch_size=32, seed=4, weight_decay=0.05)
    variant, _, _ = train(
        RunConfig(optimizers=[{"name": "momentum_ema", "hp": {"lr": 0.1, "beta": 0.0}}], **common), small
    )
    sgd, _, _ = train(RunConfig(optimizers=[{"name": "sgd", "hp": {"lr": 0.1}}], **common), small)
    assert variant.lanes[0].l2_by_trainer == 0.05 and sgd.lanes[0].hp["weight_decay"] == 0.05
    assert states_equal(variant.lanes[0].model, sgd.lanes[0].model, atol=1e-6)


def test_gradient_accumulation_equals_one_big_batch(small):
    # 80 training images: 16 x 4 micro-batches (the last window holds 1 micro-batch) vs batches of 64
    common = dict(optimizers=[{"name": "sgd", "hp": {"lr": 0.2}}], epochs=2, batch_norm=False, seed=6)
    micro, micro_result, _ = train(RunConfig(batch_size=16, accumulation_steps=4, **common), small)
    big, big_result, _ = train(RunConfig(batch_size=64, **common), small)
    assert micro_result.lanes[0].steps == big_result.lanes[0].steps == 4
    assert states_equal(micro.lanes[0].model, big.lanes[0].model, atol=1e-5)


def test_clipping_bounds_the_update_and_reports_the_norm_before_clipping(small):
    config = RunConfig(
        optimizers=[{"name": "sgd", "hp": {"lr": 0.1}}], epochs=1, batch_size=32, clip_grad_norm=1e-3
    )
    trainer, _, rec = train(config, small)
    norms, ratios = series(rec.rows, "sgd", "grad_norm"), series(rec.rows, "sgd", "update_ratio")
    assert min(norms) > 1e-3  # raw norms are reported, larger than the clip
    weight_norm = math.sqrt(
        sum(float(p.detach().square().sum()) for p in trainer.lanes[0].model.parameters())
    )
    assert max(ratios) * weight_norm < 0.1 * 1e-3 * 1.01  # ‖Δθ‖ = lr · max_norm at most


def test_early_stopping_and_keep_best(small):
    config = RunConfig(
        optimizers=[
            {"name": "sgd", "hp": {"lr": 10.0}, "label": "exploding"},
            {"name": "adam", "hp": {"lr": 0.01}},
        ],
        epochs=8,
        batch_size=16,
        patience=1,
        seed=0,
    )
    trainer, result, rec = train(config, small)
    exploding, adam = result.lanes
    assert exploding.early_stopped and exploding.steps < adam.steps
    frozen = copy.deepcopy(trainer.lanes[0].model.state_dict())
    assert adam.final_val_acc > 0.5  # a diverged lane does not leak into its neighbours
    # keep-best: the kept weights score exactly the best validation accuracy
    best = SmallCNN(small.input_shape, small.n_classes)
    best.load_state_dict(trainer.lanes[1].best_state)
    best.eval()
    acc = (best(small.x_val).argmax(-1) == small.y_val).float().mean().item()
    assert acc == pytest.approx(adam.best_val_acc, abs=1e-6)
    assert max(series(rec.rows, "adam", "val_acc")) == pytest.approx(adam.best_val_acc)
    assert all(torch.equal(frozen[k], v) for k, v in trainer.lanes[0].model.state_dict().items())


def test_first_step_metrics_match_a_hand_computation(small):
    """grad_norm, update_ratio and lr of step 1, per lane, against the plain model on the first batch."""
    config = RunConfig(
        optimizers=[{"name": "sgd", "hp": {"lr": 0.1}}, {"name": "adam", "hp": {"lr": 0.01}}],
        epochs=1,
        batch_size=32,
        seed=9,
    )
    _, _, rec = train(config, small)
    torch.manual_seed(9)
    model = SmallCNN(small.input_shape, small.n_classes)
    idx = epoch_permutation(9, 0, len(small.y_train))[:32]
    F.cross_entropy(model(small.x_train[idx]), small.y_train[idx]).backward()
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float("inf")).item()
    weight_norm = math.sqrt(sum(float(p.detach().square().sum()) for p in model.parameters()))
    for label, lr in (("sgd", 0.1), ("adam", 0.01)):
        assert series(rec.rows, label, "grad_norm")[0] == pytest.approx(grad_norm, rel=1e-4)
        assert series(rec.rows, label, "lr")[0] == lr
    # plain SGD moves by lr·g: ‖Δθ‖ / ‖θ‖ = lr‖g‖ / ‖θ‖
    assert series(rec.rows, "sgd", "update_ratio")[0] == pytest.approx(
        0.1 * grad_norm / weight_norm, rel=1e-4
    )


def test_ema_validation_is_reported_beside_the_raw_model(small):
    _, result, rec = train(
        RunConfig(optimizers=[{"name": "adam"}], epochs=2, batch_size=32, ema_decay=0.5), small
    )
    assert len(series(rec.rows, "adam", "ema_val_acc")) == 2
    assert result.lanes[0].ema_val_acc == series(rec.rows, "adam", "ema_val_acc")[-1]


def test_warmup_then_schedule_per_step_and_per_epoch():
    config = RunConfig(warmup_steps=3, schedule="step_lr", schedule_kwargs={"step_size": 2, "gamma": 0.5})
    lr_at = make_lr_fn(config, 0.4, steps_per_epoch=10)
    got = [lr_at(t, 1) for t in range(9)]
    expected = [0.4 / 3, 0.8 / 3, 0.4, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    per_epoch = make_lr_fn(
        RunConfig(schedule="exponential_lr", schedule_kwargs={"gamma": 0.5}, schedule_unit="epoch"),
        1.0,
        steps_per_epoch=10,
    )
    assert [per_epoch(50, e) for e in (1, 2, 3)] == [1.0, 0.5, 0.25]
    cosine = make_lr_fn(RunConfig(epochs=2, schedule="cosine_annealing_lr"), 1.0, steps_per_epoch=5)
    assert cosine(0, 1) == 1.0 and cosine(10, 2) == pytest.approx(0.0, abs=1e-12)  # T_max = the whole run


def test_per_step_metrics_cross_in_chunks(small):
    config = RunConfig(
        optimizers=[{"name": "adam"}, {"name": "sgd"}],
        epochs=1,
        batch_size=16,
        metrics_chunk=2,
        metrics_interval_s=3600,
    )
    _, result, rec = train(config, small)
    step_calls = [c for c in rec.calls if c and c[0].name == "train_loss"]
    assert len(step_calls) >= 2 and all(len({r.step for r in c}) <= 2 for c in step_calls)
    names = {r.name for r in rec.rows}
    assert {"train_loss", "lr", "grad_norm", "update_ratio", "val_loss", "val_acc"} <= names
    assert series(rec.rows, "adam", "lr") == [1e-3] * result.lanes[0].steps
    assert all(v > 0 for v in series(rec.rows, "sgd", "update_ratio"))


# ---------------------------------------------------------------- optimizers


def plain_python_variant(name, hp, grads_of, start, steps):
    """The course notes' formulas, written element by element without torch or NumPy."""
    theta, m, v = list(start), [0.0, 0.0], [0.0, 0.0]
    out = [tuple(theta)]
    for _ in range(steps):
        g = grads_of(theta)
        for i in range(2):
            if name == "momentum_ema":
                m[i] = hp["beta"] * m[i] + (1 - hp["beta"]) * g[i]
                theta[i] -= hp["lr"] * m[i]
            elif name == "rmsprop_eps_inside":
                v[i] = hp["alpha"] * v[i] + (1 - hp["alpha"]) * g[i] ** 2
                theta[i] -= hp["lr"] * g[i] / math.sqrt(v[i] + hp["eps"])
            else:
                b1, b2 = hp["betas"]
                m[i] = b1 * m[i] + (1 - b1) * g[i]
                v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
                theta[i] -= hp["lr"] * m[i] / (math.sqrt(v[i]) + hp["eps"])
        out.append(tuple(theta))
    return np.array(out)


VARIANT_HP = {
    "momentum_ema": {"lr": 0.05, "beta": 0.8},
    "rmsprop_eps_inside": {"lr": 0.02, "alpha": 0.9, "eps": 1e-3},
    "adam_no_bias_correction": {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6},
}


def torch_trajectory(name, hp, grad_fn, start, steps):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(name, [p], hp)
    out = [p.detach().clone()]
    for _ in range(steps):
        p.grad = torch.tensor(grad_fn(p.detach().numpy()), dtype=torch.float64)
        opt.step()
        out.append(p.detach().clone())
    return torch.stack(out).numpy()


@pytest.mark.parametrize("name", list(VARIANT_HP))
def test_variants_match_the_plain_formulas(name):
    def grads_of(t):  # f = (x² + 10 y²) / 2
        return [t[0], 10.0 * t[1]]

    expected = plain_python_variant(name, VARIANT_HP[name], grads_of, [1.5, -0.7], 40)
    got = torch_trajectory(name, VARIANT_HP[name], grads_of, [1.5, -0.7], 40)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name,hp", [*VARIANT_HP.items(), ("adam", {"lr": 0.05}), ("nesterov", {"lr": 0.01})])
def test_torch_optimizers_match_the_2d_rules_of_simulate(name, hp):
    from optim_core import simulate
    from optim_core.surfaces import get_surface

    surface = get_surface("ravine")
    starts = [[-2.0, 1.0], [1.0, -0.5]]
    traj = simulate(surface, [(name, hp)], starts, 60)
    for m, start in enumerate(starts):

        def grad_fn(t):
            gx, gy = surface.grad(np.array([t[0]]), np.array([t[1]]))
            return [float(gx[0]), float(gy[0])]

        np.testing.assert_allclose(
            torch_trajectory(name, hp, grad_fn, start, 60), traj.xy[0, m], rtol=0, atol=1e-9
        )


def test_make_optimizer_fast_paths_defaults_and_errors():
    params = [torch.nn.Parameter(torch.zeros(3))]
    adam = make_optimizer("adam", params)
    assert adam.defaults["foreach"] is True and not adam.defaults.get("fused")  # fused is CUDA-only here
    assert adam.defaults["lr"] == 1e-3
    assert make_optimizer("sgd", params).defaults["lr"] == 0.05  # the CNN default, not torch's 1e-3
    assert type(make_optimizer("rmsprop_eps_inside", params)).__name__ == "RMSpropEpsInside"
    assert len(optimizer_names()) >= 15
    with pytest.raises(ValueError, match="valid choices"):
        make_optimizer("lion", params)
    with pytest.raises(ValueError, match="betas"):
        make_optimizer("adam", params, {"betas": (0.9, 1.5)})


def test_config_errors_name_the_valid_choices():
    with pytest.raises(ConfigError, match="valid choices"):
        RunConfig(optimizers=[{"name": "lion"}])
    with pytest.raises(ConfigError, match="epochs"):
        RunConfig(epochs=0)
    with pytest.raises(ConfigError, match="weight_decay_mode"):
        RunConfig(weight_decay_mode="both")
    with pytest.raises(ConfigError, match="step_size"):
        RunConfig(schedule="step_lr")  # a required argument is missing
    with pytest.raises(ConfigError, match="valid choices"):
        RunConfig(schedule="cosine_forever")
    with pytest.raises(ConfigError, match="unknown RunConfig field"):
        RunConfig.from_dict({"epochz": 3})
    config = RunConfig(optimizers=[{"name": "adam", "hp": {"lr": 0.01}}], batch_sizes=[8, "full"])
    assert RunConfig.from_dict(config.to_dict()) == config


def test_device_choice_and_description():
    assert pick_device("cpu").type == "cpu"
    assert pick_device("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(ValueError, match="valid choices"):
        pick_device("tpu")
    assert "CPU" in describe_device("cpu")


# ---------------------------------------------------------------- LR range test


def test_lr_range_sweep_suggests_an_lr_inside_the_range(small):
    result = lr_range_test(small, "sgd", start_lr=1e-4, end_lr=1.0, steps=30, batch_size=16)
    np.testing.assert_allclose(result.lrs, exponential_lrs(1e-4, 1.0, 30)[: len(result.lrs)])
    assert 1e-4 <= result.suggested_lr <= result.lrs[-1]
    assert result.min_over_10 == pytest.approx(result.min_loss_lr / 10)
    # the bias-corrected EMA with β = 0.98, one point at a time: s_t = v_t / (1 − β^t)
    v, smoothed = 0.0, []
    for t, loss in enumerate(result.losses, start=1):
        v = 0.98 * v + (1 - 0.98) * loss
        smoothed.append(v / (1 - 0.98**t))
    np.testing.assert_allclose(result.smoothed, smoothed)
    diverging = lr_range_test(small, "sgd", start_lr=1e-2, end_lr=1e4, steps=60, batch_size=16)
    assert diverging.diverged and len(diverging.lrs) < 60


def test_lr_suggestion_on_a_known_curve():
    lrs = list(exponential_lrs(1e-5, 1.0, 50))
    # a loss that falls fastest at lr = 1e-2 (in log lr) and blows up past 0.3
    losses = [2.0 - math.tanh(math.log10(lr) + 2) if lr < 0.3 else 10.0 for lr in lrs]
    steepest, at_min = suggest(lrs, losses)
    assert 5e-3 < steepest < 2e-2 and 0.1 < at_min < 0.3


def test_a_run_level_weight_decay_is_the_only_decay(small):
    """AdamW's own default decay must not stack on the run's; in L2 mode AdamW gets L2 from the trainer."""
    common = dict(epochs=1, batch_size=32, seed=3, weight_decay=0.1)
    decoupled, _, _ = train(
        RunConfig(
            optimizers=[{"name": "adamw", "hp": {"lr": 0.01}}], weight_decay_mode="decoupled", **common
        ),
        small,
    )
    lane = decoupled.lanes[0]
    assert lane.hp["weight_decay"] == 0.0 and lane.decoupled_wd == 0.1
    l2, _, _ = train(RunConfig(optimizers=[{"name": "adamw", "hp": {"lr": 0.01}}], **common), small)
    lane = l2.lanes[0]
    assert lane.hp["weight_decay"] == 0.0 and lane.l2_by_trainer == 0.1
    adam_l2, _, _ = train(RunConfig(optimizers=[{"name": "adam", "hp": {"lr": 0.01}}], **common), small)
    assert adam_l2.lanes[0].hp["weight_decay"] == 0.1 and adam_l2.lanes[0].l2_by_trainer == 0.0
    # L2 through the trainer on AdamW equals torch's Adam with weight_decay (both add λθ to the gradient)
    assert states_equal(l2.lanes[0].model, adam_l2.lanes[0].model, atol=1e-6)


def test_each_batch_size_of_a_sweep_records_its_own_training_time_and_resume_goes_on(small, tmp_path):
    class Clock(TrainingCallback):
        def __init__(self):
            self.rows = []

        def on_metrics(self, rows):
            self.rows += [r for r in rows if r.name == "train_time"]

    config = RunConfig(optimizers=[{"name": "sgd"}], batch_sizes=[8, "full"], epochs=2, seed=3)
    clock = Clock()
    trainer = Trainer(config, small, callback=clock, should_stop=lambda: trainer.batch >= 5)
    assert trainer.run().status == "stopped"
    by_lane = {lane.label: [r for r in clock.rows if r.optimizer == lane.label] for lane in trainer.lanes}
    for lane in trainer.lanes:
        rows = by_lane[lane.label]
        # one value per optimizer step, growing, the last one the lane's own total
        assert [r.step for r in rows] == list(range(1, lane.step + 1))
        assert all(b.value > a.value > 0 for a, b in zip(rows, rows[1:], strict=False))
        assert rows[-1].value == pytest.approx(lane.train_time)
    # 5 micro-steps of 8 images cost more than the one step of the whole set, and each lane has its own
    assert trainer.lanes[0].train_time != trainer.lanes[1].train_time
    before = {lane.label: lane.train_time for lane in trainer.lanes}
    path = trainer.save_checkpoint(tmp_path / "last.pt")
    clock = Clock()
    resumed = Trainer.from_checkpoint(path, small, callback=clock)
    assert resumed.run().status == "finished"
    for lane in resumed.lanes:  # the clock goes on from the checkpoint, it does not restart at 0
        first = next(r for r in clock.rows if r.optimizer == lane.label)
        assert first.value > before[lane.label]
