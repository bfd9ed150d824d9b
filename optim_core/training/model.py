"""A small CNN sized to its input, and `PackedCNN`: several copies of it run as one wide network.

SmallCNN: blocks of conv3x3 -> [BatchNorm] -> ReLU -> MaxPool2, channels 16w, 32w, 64w, 128w, as many
blocks as halve the smaller side down to about 2-4 pixels (8x8 digits: 2 blocks, 28x28: 3, 32x32+: 4),
then [dropout] and one linear layer. With `residual`, each block then adds a residual branch,
x + F(x) with F = conv3x3 -> [BatchNorm] -> ReLU at the block's size, dropped per sample with
probability `drop_path` in training (stochastic depth; see ResidualBranch).

PackedCNN trains L SmallCNNs ("lanes", one per optimizer) in lock-step on the same batch. Each packed
parameter is one leaf holding the L lanes' tensors end to end; every lane's own parameters are views
of its slice, so a lane is still an ordinary SmallCNN (state_dict, eval, EMA) and an ordinary torch optimizer
updates it in place. The forward pass of all lanes is one set of kernels: the first conv stacks the
lanes' filters, later convs use groups=L, BatchNorm is per channel anyway, the head is a batched
matmul. Lanes never mix: lane l's gradient is exactly the gradient of lane l's loss.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import torch
import torch.nn.functional as F
from torch import nn

from optim_core.training.seeds import derive_seed

if TYPE_CHECKING:  # config imports the datasets and optimizers; a model needs none of them
    from optim_core.training.config import RunConfig

DROP_PATH_STREAM = 11  # keeps the drop path masks' seeds apart from the dropout masks' (seeds.py)


def block_channels(h: int, w: int, width: float = 1.0) -> list[int]:
    """Output channels per conv block: one block per halving, until the smaller side is 2-4 pixels.

    width multiplies the channels (16, 32, 64, 128) of every block.
    """
    n_blocks = max(1, min(4, int(math.log2(max(1, min(h, w)))) - 1))
    return [max(1, round(16 * width * 2**i)) for i in range(n_blocks)]


def first_conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """The first 3x3 convolution (padding 1); on the CPU, one matrix product with an NHWC result.

    Why: later layers (BatchNorm, max-pooling) run several times faster on NHWC ("channels_last")
    tensors on the CPU, but the network's input has 1-3 channels, which torch treats as NCHW, and
    mkldnn's convolution is slow for so few input channels. Patches (B, H·W, C·9) @ weightᵀ gives
    the same cross-correlation, written NHWC directly: no layout copy forward or backward.
    """
    if x.device.type != "cpu":
        return F.conv2d(x, weight, bias, padding=1)
    batch, _, height, width = x.shape
    patches = F.unfold(x, kernel_size=3, padding=1).transpose(1, 2)  # (B, H·W, C·3·3), C-major like weight
    out = patches @ weight.reshape(weight.shape[0], -1).t()  # (B, H·W, out)
    if bias is not None:
        out = out + bias
    return out.view(batch, height, width, -1).permute(0, 3, 1, 2)  # NCHW shape, NHWC memory


def pool_relu(x: torch.Tensor) -> torch.Tensor:
    """ReLU then 2x2 max-pooling, computed as pooling then ReLU: the same values and gradients (max
    commutes with a non-decreasing function), with the ReLU on a tensor four times smaller."""
    return F.relu(F.max_pool2d(x, 2))


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """timm's DropPath: in training, each sample's x is 0 with probability p, else x / (1 − p);
    the identity at eval (and for p = 0)."""
    if p == 0.0 or not training:
        return x
    keep = 1.0 - p
    mask = x.new_empty((x.shape[0],) + (1,) * (x.dim() - 1)).bernoulli_(keep)
    return x * mask.div_(keep)


def drop_path_masks(
    generator: torch.Generator,
    seed: int,
    epoch: int,
    index: int,
    shape: tuple[int, int],
    p: float,
    device: torch.device,
) -> torch.Tensor:
    """Drop path masks of micro-batch `index` in `epoch`, (blocks, B, 1, 1, 1): 0 with probability p,
    else 1 / (1 − p); seeded from (seed, epoch, index) like seeds.dropout_mask, so every lane of the
    batch drops the same samples' branches and a resumed run draws what the uninterrupted one drew."""
    keep = 1.0 - p
    generator.manual_seed(derive_seed(seed, epoch, index, DROP_PATH_STREAM))
    mask = torch.empty((*shape, 1, 1, 1), device=device)
    return mask.bernoulli_(keep, generator=generator).div_(keep)


class ResidualBranch(nn.Module):
    """F of x + F(x): conv3x3 -> [BatchNorm] -> ReLU with as many channels out as in, after the block's
    pooling.

    Why this design: a block changes the channels (×2) and halves the size, so x + F(x) around the
    block itself would need a 1×1 projection on the shortcut, and a dropped branch would then leave
    the projection, not the identity. An extra same-shape conv after the block keeps the shortcut an
    exact identity (no parameters), so dropping the branch makes the block's tail the identity, as in
    stochastic depth (Huang et al., 2016), and it is evaluated at the smaller, pooled size.
    """

    def __init__(self, channels: int, batch_norm: bool):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, padding=1, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(channels) if batch_norm else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class ConvBlock(nn.Module):
    def __init__(
        self,
        c_in: int,
        c_out: int,
        batch_norm: bool,
        first: bool = False,
        residual: bool = False,
        drop_path: float = 0.0,
    ):
        super().__init__()
        # A conv followed by BatchNorm needs no bias: BN's shift replaces it.
        self.conv = nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=not batch_norm)
        self.bn = nn.BatchNorm2d(c_out) if batch_norm else nn.Identity()
        self.first = first
        self.branch = ResidualBranch(c_out, batch_norm) if residual else None
        self.drop_path_p = drop_path

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = first_conv(x, self.conv.weight, self.conv.bias) if self.first else self.conv(x)
        x = pool_relu(self.bn(x))
        if self.branch is None:
            return x
        # $x + \mathrm{DropPath}_p(F(x))$
        return x + drop_path(self.branch(x), self.drop_path_p, self.training)


class SmallCNN(nn.Module):
    def __init__(
        self,
        in_shape: tuple[int, int, int],
        n_classes: int,
        width: float = 1.0,
        batch_norm: bool = True,
        dropout: float = 0.0,
        residual: bool = False,
        drop_path: float = 0.0,
    ):
        super().__init__()
        c, h, w = in_shape
        if n_classes < 2 or width <= 0 or not 0.0 <= dropout < 1.0:
            raise ValueError(
                f"need n_classes >= 2, width > 0 and 0 <= dropout < 1; got {n_classes}, {width}, {dropout}"
            )
        if not 0.0 <= drop_path < 1.0 or (drop_path > 0 and not residual):
            raise ValueError(
                f"need 0 <= drop_path < 1, and residual blocks for drop_path > 0; got {drop_path}"
            )
        self.in_shape, self.n_classes = (c, h, w), n_classes
        self.width, self.batch_norm, self.dropout_p = width, batch_norm, dropout
        self.residual, self.drop_path_p = residual, drop_path
        channels = block_channels(h, w, width)
        self.blocks = nn.ModuleList(
            ConvBlock(a, b, batch_norm, first=i == 0, residual=residual, drop_path=drop_path)
            for i, (a, b) in enumerate(zip([c, *channels[:-1]], channels, strict=True))
        )
        for _ in channels:
            h, w = h // 2, w // 2
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels[-1] * h * w, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(self.dropout(x.flatten(1)))


def model_for(config: RunConfig, in_shape: tuple[int, int, int], n_classes: int) -> SmallCNN:
    """The SmallCNN a run's config describes, for data of in_shape and n_classes (initialised afresh)."""
    return SmallCNN(
        in_shape,
        n_classes,
        width=config.width,
        batch_norm=config.batch_norm,
        dropout=config.dropout,
        residual=config.residual,
        drop_path=config.drop_path,
    )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _owner(module: nn.Module, name: str) -> tuple[nn.Module, str]:
    """The submodule that holds the dotted parameter or buffer `name`, and the name it holds it under."""
    owner_name, _, leaf = name.rpartition(".")
    return module.get_submodule(owner_name), leaf


def _rebind_parameter(module: nn.Module, name: str, parameter: nn.Parameter) -> None:
    owner, leaf = _owner(module, name)
    owner._parameters[leaf] = parameter


def _rebind_buffer(module: nn.Module, name: str, tensor: torch.Tensor) -> None:
    owner, leaf = _owner(module, name)
    owner._buffers[leaf] = tensor


class PackedCNN:
    """L SmallCNNs of one architecture as one network; the lanes' tensors become views into it.

    Layout: lanes are concatenated along the first dimension, so packed tensors have the shapes a
    conv with groups=L and a BatchNorm over L*C channels expect, and lane l's tensor is the
    contiguous slice [l*s : (l+1)*s] (0-d buffers are stacked). With a single lane (`shared`) the
    packed parameters are the lane's own, and its gradients are the plain ones autograd makes.
    """

    def __init__(self, lanes: list[SmallCNN]):
        self.lanes, self.n = lanes, len(lanes)
        self.ref = lanes[0]
        self.shared = self.n == 1
        names = [name for name, _ in self.ref.named_parameters()]
        packed_values = [torch.cat([lane.get_parameter(name).detach() for lane in lanes]) for name in names]
        # All packed parameters are views of one flat buffer: copying or differencing the whole model
        # (the update/weight ratio, every step) is then one kernel instead of one per tensor.
        self.flat = torch.cat([v.reshape(-1) for v in packed_values])
        self.shapes = [v.shape for v in packed_values]
        self.params: dict[str, nn.Parameter] = {}
        self.buffers: dict[str, torch.Tensor] = {}
        # Packed gradients live for the whole run, as views of one flat buffer laid out like `flat`:
        # the lanes hold views of them, and zeroing or gathering all of them is one kernel.
        # A single lane needs none: its gradients are the plain ones autograd makes.
        self.flat_grad: torch.Tensor | None = None
        if self.shared:
            for name, view in zip(names, self.views_of(self.flat), strict=True):
                packed = nn.Parameter(view)
                self.params[name] = packed
                _rebind_parameter(self.ref, name, packed)
            self.buffers = dict(self.ref.named_buffers())
            return
        self.flat_grad = torch.zeros_like(self.flat)
        for name, view, grad in zip(
            names, self.views_of(self.flat), self.views_of(self.flat_grad), strict=True
        ):
            packed = nn.Parameter(view)
            self.params[name] = packed
            packed.grad = grad
            for i, lane in enumerate(lanes):
                lane_view = nn.Parameter(self.lane_slice(packed.detach(), i))
                lane_view.grad = self.lane_slice(grad, i)
                _rebind_parameter(lane, name, lane_view)
        for name, _ in self.ref.named_buffers():
            parts = [lane.get_buffer(name) for lane in lanes]
            scalar = parts[0].dim() == 0  # num_batches_tracked: stacked, lane i's is element i
            packed_buffer = torch.stack(parts) if scalar else torch.cat(parts)
            self.buffers[name] = packed_buffer
            for i, lane in enumerate(lanes):
                lane_buffer = packed_buffer[i] if scalar else self.lane_slice(packed_buffer, i)
                _rebind_buffer(lane, name, lane_buffer)

    def views_of(self, flat: torch.Tensor) -> list[torch.Tensor]:
        """A flat buffer laid out like self.flat, cut into views shaped like the packed parameters."""
        views, offset = [], 0
        for shape in self.shapes:
            size = math.prod(shape)
            views.append(flat[offset : offset + size].view(shape))
            offset += size
        return views

    def lane_major_order(self) -> torch.Tensor:
        """Positions in `flat` of every lane's parameters, lane after lane, each lane's in the order of
        its own parameters(): `flat[order].view(L, -1)[l]` is lane l's whole model as one vector."""
        sizes = [math.prod(shape) for shape in self.shapes]
        starts = [sum(sizes[:k]) for k in range(len(sizes))]
        per_lane = [size // self.n for size in sizes]
        return torch.cat(
            [
                torch.arange(start + lane * size, start + (lane + 1) * size)
                for lane in range(self.n)
                for start, size in zip(starts, per_lane, strict=True)
            ]
        ).to(self.flat.device)

    def lane_slice(self, packed: torch.Tensor, i: int) -> torch.Tensor:
        """Lane i's part of a packed parameter, gradient or buffer (a view)."""
        if self.shared:
            return packed
        size = packed.shape[0] // self.n
        return packed[i * size : (i + 1) * size]

    def param_list(self) -> list[nn.Parameter]:
        return list(self.params.values())

    def release(self, index: int) -> None:
        """Give lane `index` its own copies of its tensors, so later packed steps leave it untouched."""
        lane = self.lanes[index]
        for name, p in list(lane.named_parameters()):
            _rebind_parameter(lane, name, nn.Parameter(p.detach().clone()))
        for name, b in list(lane.named_buffers()):
            _rebind_buffer(lane, name, b.clone())

    def forward(
        self,
        x: torch.Tensor,
        train: bool,
        dropout_mask: torch.Tensor | None = None,
        drop_path_masks: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Logits (L, B, n_classes) of every lane on the shared batch x (B, C, H, W).

        dropout_mask: (B, 1, features), already scaled by 1/(1-p); one mask shared by all lanes, so
        every optimizer sees the same noise (nn.Dropout would draw a different mask per lane).
        drop_path_masks: (blocks, B, 1, 1, 1) (drop_path_masks()), scaled likewise and shared by all
        lanes: sample b's residual branch of block i is kept or dropped in every lane alike. None: no
        branch is dropped (eval, or drop path off).
        """
        L, h, P = self.n, x, self.params
        for i, block in enumerate(cast(list[ConvBlock], list(self.ref.blocks))):
            # lanes' filters side by side: the first conv reads the shared input, later ones their own lane
            weight, bias = P[f"blocks.{i}.conv.weight"], P.get(f"blocks.{i}.conv.bias")
            h = first_conv(h, weight, bias) if i == 0 else F.conv2d(h, weight, bias, padding=1, groups=L)
            h = pool_relu(self._batch_norm(h, block.bn, f"blocks.{i}.bn.", train))
            if block.branch is not None:
                prefix = f"blocks.{i}.branch."
                weight, bias = P[prefix + "conv.weight"], P.get(prefix + "conv.bias")
                branch = F.conv2d(h, weight, bias, padding=1, groups=L)
                branch = F.relu(self._batch_norm(branch, block.branch.bn, prefix + "bn.", train))
                # $x + \mathrm{DropPath}_p(F(x))$, the same samples dropped in every lane
                h = h + (branch if drop_path_masks is None else branch * drop_path_masks[i])
        batch = h.shape[0]
        features = h.reshape(batch, L, -1)  # per lane: (C, H, W) flattened, as SmallCNN does
        if dropout_mask is not None:
            features = features * dropout_mask
        weight, bias = P["head.weight"], P["head.bias"]
        if L == 1:
            return F.linear(features.view(batch, -1), weight, bias).view(1, batch, -1)
        # logits[l, b] = W_l @ features[b, l] + b_l, one batched matmul
        return torch.baddbmm(
            bias.view(L, 1, -1), features.transpose(0, 1), weight.view(L, -1, weight.shape[1]).transpose(1, 2)
        )

    def _batch_norm(self, h: torch.Tensor, bn: nn.Module, prefix: str, train: bool) -> torch.Tensor:
        """The packed BatchNorm of the lanes' `bn` (its packed tensors under `prefix`), or h without one."""
        if not isinstance(bn, nn.BatchNorm2d):
            return h
        if train:
            self.buffers[prefix + "num_batches_tracked"].add_(1)
        return F.batch_norm(
            h,
            self.buffers[prefix + "running_mean"],
            self.buffers[prefix + "running_var"],
            self.params[prefix + "weight"],
            self.params[prefix + "bias"],
            train,
            # SmallCNN keeps BatchNorm2d's default momentum (0.1); None (a cumulative mean)
            # is never set, and F.batch_norm would not take it
            cast(float, bn.momentum),
            bn.eps,
        )
