"""Lanes (one model + optimizer each) and LaneGroups (lanes of one batch size, trained packed).

A LaneGroup does one micro-batch forward/backward for all its lanes at once (model.PackedCNN), then,
at the end of an accumulation window, the per-lane bookkeeping torch's loop would do one optimizer at
a time: gradient norm and clipping, LR, weight decay, the optimizer's own step, the EMA update and
the update/weight ratio. Per-step metrics stay on the device (a (3, L) tensor per step) until the
trainer flushes them in one transfer.

With several lanes, each lane's optimizer steps one flat vector (its slice of the group's lane-major
copy of the weights, `master`) instead of one tensor per layer: every optimizer offered is
elementwise, so the result is the same, and on the CPU a torch optimizer's step costs about the same
per tensor whatever its size (3x fewer microseconds for the small CNN's 8 tensors). The packed
weights the forward pass reads are refreshed from `master` after every step (one kernel).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch.optim import Optimizer
from torch.optim.swa_utils import AveragedModel

from optim_core.simulation import CLIP_EPS
from optim_core.training.config import LaneSpec
from optim_core.training.model import PackedCNN, SmallCNN

ACTIVATION_BUDGET = 32 << 20  # floats per validation chunk's first activation (about 128 MB)


@dataclass
class Lane:
    index: int  # position in the run's lane list
    spec: LaneSpec
    model: SmallCNN  # its tensors are views into the group's PackedCNN until it is released
    hp: dict  # the optimizer's hyperparameters (with the run's weight decay where it applies)
    lr_at: Callable[[int, int], float]  # (optimizer step, 1-based epoch) -> LR in effect
    l2_by_trainer: float  # λ for g += λθ when the optimizer has no weight_decay of its own
    decoupled_wd: float  # λ for θ *= 1 - lr·λ before the optimizer's step (AdamW's form)
    optimizer: Optimizer | None = None  # made after packing, over the lane's final tensors
    ema: AveragedModel | None = None
    step: int = 0
    done: bool = False
    stale: int = 0
    best_acc: float = -math.inf
    best_epoch: int = 0
    best_state: dict | None = None
    optimizer_time: float = 0.0  # seconds in optimizer.step() (and the EMA update) alone
    train_time: float = 0.0  # seconds of its group's micro-steps: forward, backward and step

    @property
    def label(self) -> str:
        return self.spec.label


@dataclass
class PendingSteps:
    """Per-step metrics of one optimizer step of a group, still on the device."""

    values: torch.Tensor  # (3, L): metrics.DEVICE_STEP_METRICS for every lane of the group
    lanes: tuple[int, ...]  # positions in the group of the lanes that stepped
    steps: tuple[int, ...]
    lrs: tuple[float, ...]
    epoch: int
    times: tuple[float, ...] = ()  # each stepped lane's train_time after the step (the trainer sets it)


def _per_lane_norms(tensors: list[torch.Tensor], n_lanes: int) -> torch.Tensor:
    """(L,) L2 norms per lane over tensors that hold the L lanes end to end (lane l's share is row l
    of tensor.view(L, -1)): a single lane's per-layer gradients, or the lanes' flat gradients."""
    if len(tensors) == 1:
        return torch.linalg.vector_norm(tensors[0].view(n_lanes, -1), dim=1)
    norms = torch.stack(torch._foreach_norm(tensors))  # one lane: (tensors,), one dispatch for all
    # ‖x‖ = sqrt(Σ_tensors ‖x_tensor‖²)
    return torch.linalg.vector_norm(norms).view(1)


class LaneGroup:
    def __init__(
        self,
        lanes: list[Lane],
        batch_size: int,
        n_train: int,
        accumulation_steps: int = 1,
        clip_grad_norm: float | None = None,
    ):
        self.lanes, self.n = lanes, len(lanes)
        self.clip_grad_norm = clip_grad_norm
        self.packed = PackedCNN([lane.model for lane in lanes])
        self.shared = self.packed.shared  # one lane: its own tensors, its own (plain) gradients
        self.params = self.packed.param_list()
        self.prev_flat = torch.empty_like(self.packed.flat)  # θ before the step, then θ_old − θ_new
        self.lane_params: list[list[torch.Tensor]]  # what each lane's optimizer steps (nn.Parameters)
        if not self.shared:
            # the optimizers' weights, lane after lane; flat[order] ↔ master
            self.order = self.packed.lane_major_order()
            self.master = self.packed.flat[self.order]
            self.master_grad = torch.zeros_like(self.master)
            # the packed gradients: several lanes, so PackedCNN keeps them in one flat buffer
            self.flat_grad = cast(torch.Tensor, self.packed.flat_grad)
            self.lane_params = [[self._lane_vector(i)] for i in range(self.n)]
        else:
            self.lane_params = [list(lanes[0].model.parameters())]
        self.batch_size, self.n_train, self.accumulation = batch_size, n_train, accumulation_steps
        self.n_batches = math.ceil(n_train / batch_size)
        device = self.params[0].device
        self.loss_acc: torch.Tensor | None = None  # loss of the current accumulation window, (L,)
        self.epoch_loss = torch.zeros(self.n, device=device)  # sum of per-step losses this epoch
        self.epoch_correct = torch.zeros(self.n, device=device)
        self.epoch_steps = 0
        self.pending: list[PendingSteps] = []

    def _lane_vector(self, i: int) -> torch.nn.Parameter:
        """Lane i's whole model as one parameter: a view of its slice of `master` (and of `master_grad`)."""
        size = self.master.numel() // self.n
        vector = torch.nn.Parameter(self.master[i * size : (i + 1) * size])
        vector.grad = self.master_grad[i * size : (i + 1) * size]
        return vector

    def optimizer_params(self, position: int) -> list[torch.Tensor]:
        """What lane `position`'s optimizer steps: its flat vector, or (a single lane) its own parameters."""
        return self.lane_params[position]

    def _pull_master(self) -> None:
        """master ← the packed weights, after anything other than the optimizers wrote them."""
        if not self.shared:
            torch.index_select(self.packed.flat.detach(), 0, self.order, out=self.master)

    def _grads(self) -> list[torch.Tensor | None]:
        """The packed parameters' gradients; a single lane's are None from a step to the next backward."""
        return [p.grad for p in self.params]

    @property
    def active(self) -> bool:
        return not all(lane.done for lane in self.lanes)

    def steps_per_epoch(self) -> int:
        return math.ceil(self.n_batches / self.accumulation)

    def micro_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        index: int,
        epoch: int,
        dropout_mask: torch.Tensor | None,
        drop_path_masks: torch.Tensor | None = None,
    ) -> None:
        """Forward/backward of micro-batch `index` for every lane; steps at the window's last batch.
        The masks (the trainer's, seeded per batch) are shared by all lanes (PackedCNN.forward)."""
        window = index // self.accumulation
        last = min((window + 1) * self.accumulation, self.n_batches) - 1
        # Samples in this accumulation window: each micro-loss is a sum over the window's size, so the
        # accumulated gradient equals that of one batch of the whole window.
        window_n = (
            min((last + 1) * self.batch_size, self.n_train) - window * self.accumulation * self.batch_size
        )
        logits = self.packed.forward(x, True, dropout_mask, drop_path_masks)  # (L, B, classes)
        n, batch = self.n, len(y)
        if n == 1:  # the plain loop's ops: one loss, its own backward
            if window_n == batch:
                loss = F.cross_entropy(logits.view(batch, -1), y)
            else:
                loss = F.cross_entropy(logits.view(batch, -1), y, reduction="sum") / window_n
            loss.backward()
            losses = loss.detach().view(1)
        else:
            per_sample = F.cross_entropy(logits.view(n * batch, -1), y.repeat(n), reduction="none")
            losses = per_sample.view(n, batch).sum(1) / window_n
            losses.sum().backward()  # lanes are independent: each gets the gradient of its own loss
            losses = losses.detach()
        with torch.no_grad():
            self.loss_acc = losses if self.loss_acc is None else self.loss_acc + losses
            self.epoch_correct += (logits.argmax(-1) == y).sum(1)
        if index == last:
            self.optimizer_step(epoch)

    @torch.no_grad()
    def optimizer_step(self, epoch: int) -> None:
        n, flat = self.n, self.packed.flat
        # the loss of the window whose last micro-step calls this
        window_loss = cast(torch.Tensor, self.loss_acc)
        if self.shared:  # the window's backward gave every parameter its gradient
            grads, weights = cast(list[torch.Tensor], self._grads()), flat
        else:  # the lanes' gradients, lane after lane, where their optimizers read them
            torch.index_select(self.flat_grad, 0, self.order, out=self.master_grad)
            grads, weights = [self.master_grad], self.master
        # gradient norms (before clipping, like clip_grad_norm_'s return value) and weight norms, per lane
        grad_norm = _per_lane_norms(grads, n)
        weight_norm = torch.linalg.vector_norm(weights.view(n, -1), dim=1)
        max_norm = self.clip_grad_norm
        if max_norm is not None:
            # torch.nn.utils.clip_grad_norm_: g *= min(1, max_norm / (‖g‖ + 1e-6)), per lane here
            coef = (max_norm / (grad_norm + CLIP_EPS)).clamp(max=1.0)
            if self.shared:
                torch._foreach_mul_(grads, coef[0])
            else:
                self.master_grad.view(n, -1).mul_(coef[:, None])
        self.prev_flat.copy_(weights)
        stepped, steps, lrs = [], [], []
        for i, lane in enumerate(self.lanes):
            if lane.done:
                continue
            lr = lane.lr_at(lane.step, epoch)
            started = time.perf_counter()
            optimizer = cast(Optimizer, lane.optimizer)  # the Trainer makes it right after packing
            for group in optimizer.param_groups:
                group["lr"] = lr
            params = self.lane_params[i]
            if lane.l2_by_trainer:
                # every parameter has its gradient here (a single lane's from the window's backward)
                grads_of_lane = cast(list[torch.Tensor], [p.grad for p in params])
                # $g_t \leftarrow g_t + \lambda \theta_{t-1}$ (L2, for optimizers without weight_decay)
                torch._foreach_add_(grads_of_lane, params, alpha=lane.l2_by_trainer)
            if lane.decoupled_wd:
                # $\theta \leftarrow \theta (1 - \gamma \lambda)$, then the optimizer's step (AdamW's order)
                torch._foreach_mul_(params, 1.0 - lr * lane.decoupled_wd)
            optimizer.step()
            lane.optimizer_time += time.perf_counter() - started
            lane.step += 1
            stepped.append(i)
            steps.append(lane.step)
            lrs.append(lr)
        if not self.shared:  # the forward pass reads the packed weights
            flat.index_copy_(0, self.order, self.master)
        for i in stepped:
            lane = self.lanes[i]
            if lane.ema is not None:
                started = time.perf_counter()
                lane.ema.update_parameters(lane.model)
                lane.optimizer_time += time.perf_counter() - started
        self.prev_flat.sub_(weights)  # θ_old − θ_new
        # update/weight ratio ‖Δθ‖ / ‖θ‖, per lane
        update_norm = torch.linalg.vector_norm(self.prev_flat.view(n, -1), dim=1)
        ratio = update_norm / weight_norm.clamp_min(1e-12)
        self.pending.append(
            PendingSteps(
                torch.stack([window_loss, grad_norm, ratio]),
                tuple(stepped),
                tuple(steps),
                tuple(lrs),
                epoch,
            )
        )
        self.epoch_loss += window_loss
        self.epoch_steps += 1
        self.loss_acc = None
        if self.shared:
            for p in self.params:
                p.grad = None  # the next backward writes fresh gradients, as zero_grad() does
        else:
            self.flat_grad.zero_()

    def release(self, position: int) -> None:
        """Lane `position` stopped early: freeze its tensors (the packed slot keeps computing, unused)."""
        self.lanes[position].done = True
        self.packed.release(position)

    @torch.no_grad()
    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(L,) mean cross-entropy and accuracy of every lane on (x, y), in eval mode."""
        c, h, w = x.shape[1:]
        first = self.params[0].shape[0]  # channels of the first conv, all lanes
        chunk = int(max(64, min(8192, ACTIVATION_BUDGET // (first * h * w))))
        n = self.n
        loss = torch.zeros(n, device=x.device)
        correct = torch.zeros(n, device=x.device)
        for start in range(0, len(y), chunk):
            xb, yb = x[start : start + chunk], y[start : start + chunk]
            logits = self.packed.forward(xb, train=False)  # (L, b, classes)
            loss += (
                F.cross_entropy(logits.reshape(n * len(yb), -1), yb.repeat(n), reduction="none")
                .view(n, -1)
                .sum(1)
            )
            correct += (logits.argmax(-1) == yb).sum(1)
        return loss / len(y), correct / len(y)

    def state_dict(self) -> dict:
        return {
            "loss_acc": None if self.loss_acc is None else self.loss_acc.clone(),
            "epoch_loss": self.epoch_loss.clone(),
            "epoch_correct": self.epoch_correct.clone(),
            "epoch_steps": self.epoch_steps,
            "grads": [None if g is None else g.clone() for g in self._grads()],
        }

    @torch.no_grad()
    def load_state_dict(self, state: dict) -> None:
        self.loss_acc = None if state["loss_acc"] is None else state["loss_acc"].clone()
        self.epoch_loss.copy_(state["epoch_loss"])
        self.epoch_correct.copy_(state["epoch_correct"])
        self.epoch_steps = int(state["epoch_steps"])
        for p, saved in zip(self.params, state["grads"], strict=True):
            if self.shared:
                p.grad = None if saved is None else saved.clone()
            else:  # several lanes: the gradients are views of flat_grad, always there
                cast(torch.Tensor, p.grad).copy_(saved)
        self._pull_master()  # the lanes' models were just loaded

    def start_epoch(self) -> None:
        self.epoch_loss.zero_()
        self.epoch_correct.zero_()
        self.epoch_steps = 0


@torch.no_grad()
def evaluate_model(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 1024):
    """(mean cross-entropy, accuracy) of a plain model, as 0-d device tensors (no sync)."""
    was_training = model.training
    model.eval()
    loss = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    for start in range(0, len(y), chunk):
        logits = model(x[start : start + chunk])
        loss += F.cross_entropy(logits, y[start : start + chunk], reduction="sum")
        correct += (logits.argmax(-1) == y[start : start + chunk]).sum()
    model.train(was_training)
    return loss / len(y), correct / len(y)
