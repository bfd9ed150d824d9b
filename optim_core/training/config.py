"""RunConfig: everything that defines a training run, as one JSON-able dataclass.

A run trains one "lane" per optimizer entry, all from the same initial weights on the same batches.
With `batch_sizes` set, the run is a batch-size sweep instead: the first optimizer once per size.
Every trick is a plain field, off by default.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, NamedTuple

from optim_core.training.data.load import DATASET_SOURCES
from optim_core.training.device import DEVICE_CHOICES
from optim_core.training.variants import optimizer_names, resolve

WEIGHT_DECAY_MODES = ("l2", "decoupled")
SCHEDULE_UNITS = ("step", "epoch")


class ConfigError(ValueError):
    """A RunConfig field with a bad value; the message names the field and what is valid."""


def steps_per_epoch(n_train: int, batch_size: int | str, accumulation: int) -> int:
    """Optimizer steps in one epoch: batches of batch_size ("full": the whole set, and never more than the
    set), `accumulation` batches per step; the trainer schedules by it and the page counts with it."""
    size = n_train if batch_size == "full" else min(int(batch_size), n_train)
    return math.ceil(math.ceil(n_train / size) / accumulation)


class LaneSpec(NamedTuple):
    label: str  # unique within the run; the store's `optimizer` column
    name: str  # optimizer name (variants.optimizer_names())
    hp: dict  # resolved hyperparameters
    batch_size: int | str  # an int, or "full"


@dataclass
class RunConfig:
    # what to train: one lane per entry {"name": "adam", "hp": {"lr": 1e-3}, "label": "Adam"}
    optimizers: list[dict] = field(default_factory=lambda: [{"name": "adam"}])
    # data (see data.load.load_dataset)
    dataset: str = "digits"
    data_path: str | None = None
    image_size: int | None = None
    val_fraction: float = 0.2
    max_samples: int | None = None
    # loop
    epochs: int = 10
    batch_size: int = 64  # the micro-batch when accumulating gradients
    batch_sizes: list[int | str] | None = None  # batch-size sweep for optimizers[0]; "full" = whole set
    seed: int = 0
    device: str = "auto"
    # model
    width: float = 1.0
    batch_norm: bool = True
    dropout: float = 0.0
    residual: bool = False  # each conv block adds a residual branch x + F(x) (model.ResidualBranch)
    drop_path: float = 0.0  # stochastic depth: a residual branch dropped per sample with this probability
    # tricks
    weight_decay: float = 0.0
    weight_decay_mode: str = "l2"  # "l2": g += λθ inside the optimizer; "decoupled": θ *= 1 - lr·λ
    clip_grad_norm: float | None = None  # max total gradient norm per lane (course HW3: 10)
    warmup_steps: int = 0  # linear warmup over the first optimizer steps
    schedule: str | None = None  # a name from optim_core.schedules, evaluated per step or per epoch
    schedule_kwargs: dict = field(default_factory=dict)
    schedule_unit: str = "step"
    ema_decay: float | None = None  # EMA of the weights (AveragedModel), validated beside the raw model
    accumulation_steps: int = 1  # micro-batches per optimizer step
    patience: int | None = None  # early stopping: stop a lane after `patience`+1 epochs without a new best
    keep_best: bool = True  # keep the weights of the best validation accuracy
    # plumbing
    metrics_chunk: int = 256  # per-step metrics cross from the device at most this many steps apart
    metrics_interval_s: float = 1.0  # ... or this often, whichever comes first
    checkpoint_interval_s: float = 30.0  # as a job: checkpoint at an epoch end this long after the last
    # (and always on stop and at the end); a crash loses at most this much training

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        if not isinstance(self.optimizers, list) or not self.optimizers:
            raise ConfigError("optimizers must be a non-empty list of {'name': ..., 'hp': {...}}")
        for entry in self.optimizers:
            if not isinstance(entry, dict) or "name" not in entry:
                raise ConfigError(f"each optimizer entry needs a 'name', got {entry!r}")
            if entry["name"] not in optimizer_names():
                raise ConfigError(
                    f"unknown optimizer {entry['name']!r}; valid choices: {', '.join(optimizer_names())}"
                )
            unknown = set(entry) - {"name", "hp", "label"}
            if unknown:
                raise ConfigError(f"optimizer entry keys are name, hp, label; got {sorted(unknown)}")
            resolve(entry["name"], entry.get("hp"))  # raises ValueError naming the valid values
        _choice("dataset", self.dataset, DATASET_SOURCES)
        _choice("device", self.device, DEVICE_CHOICES)
        _choice("weight_decay_mode", self.weight_decay_mode, WEIGHT_DECAY_MODES)
        _choice("schedule_unit", self.schedule_unit, SCHEDULE_UNITS)
        for name in ("epochs", "batch_size", "accumulation_steps", "metrics_chunk"):
            _positive_int(name, getattr(self, name))
        for name in ("image_size", "max_samples"):
            if getattr(self, name) is not None:
                _positive_int(name, getattr(self, name))
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 0):
            raise ConfigError(f"patience must be None or an integer >= 0, got {self.patience!r}")
        if not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ConfigError(f"warmup_steps must be an integer >= 0, got {self.warmup_steps!r}")
        if self.batch_sizes is not None:
            if not isinstance(self.batch_sizes, list) or not self.batch_sizes:
                raise ConfigError("batch_sizes must be None or a non-empty list of integers / 'full'")
            for size in self.batch_sizes:
                if size != "full":
                    _positive_int("batch_sizes[...]", size)
        _range("val_fraction", self.val_fraction, 0.0, 1.0, open_low=True, open_high=True)
        _range("dropout", self.dropout, 0.0, 1.0, open_high=True)
        if not isinstance(self.residual, bool):
            raise ConfigError(f"residual must be true or false, got {self.residual!r}")
        _range("drop_path", self.drop_path, 0.0, 1.0, open_high=True)
        if self.drop_path > 0 and not self.residual:
            raise ConfigError("drop_path needs residual blocks (residual=True): it drops their branches")
        _range("width", self.width, 0.0, 16.0, open_low=True)
        _range("weight_decay", self.weight_decay, 0.0, 1.0)
        _range("metrics_interval_s", self.metrics_interval_s, 0.0, 3600.0)
        _range("checkpoint_interval_s", self.checkpoint_interval_s, 0.0, 86400.0)
        if self.clip_grad_norm is not None:
            _range("clip_grad_norm", self.clip_grad_norm, 0.0, 1e9, open_low=True)
        if self.ema_decay is not None:
            _range("ema_decay", self.ema_decay, 0.0, 1.0, open_high=True)
        if not isinstance(self.schedule_kwargs, dict):
            raise ConfigError("schedule_kwargs must be a dict")
        if self.schedule is not None:
            from optim_core.schedules import PLATEAU, reduce_lr_on_plateau, schedule_fn

            if self.schedule == PLATEAU.name and self.schedule_unit != "epoch":
                raise ConfigError(
                    "schedule 'reduce_lr_on_plateau' steps once per epoch on the validation loss: "
                    "schedule_unit must be 'epoch'"
                )
            try:  # build it once now, so a bad name or argument fails at submit, not in a worker
                if self.schedule == PLATEAU.name:  # fed the validation loss each epoch (tricks.PlateauLR)
                    reduce_lr_on_plateau([1.0], lr=1.0, **self.schedule_kwargs)
                else:
                    schedule_fn(
                        self.schedule, lr=1.0, **schedule_kwargs_for(self.schedule, self.schedule_kwargs, 1)
                    )
            except (ValueError, TypeError) as error:
                raise ConfigError(f"schedule {self.schedule!r}: {error}") from None

    def lanes(self) -> list[LaneSpec]:
        """One LaneSpec per trained model, labels made unique."""
        if self.batch_sizes is not None:
            first = self.optimizers[0]
            base = first.get("label") or first["name"]
            entries = [(f"{base} bs={size}", first, size) for size in self.batch_sizes]
        else:
            entries = [(e.get("label") or e["name"], e, self.batch_size) for e in self.optimizers]
        specs: list[LaneSpec] = []
        seen: dict[str, int] = {}  # label -> how many lanes carry it so far
        for label, entry, size in entries:
            seen[label] = seen.get(label, 0) + 1
            unique = label if seen[label] == 1 else f"{label} #{seen[label]}"
            specs.append(LaneSpec(unique, entry["name"], resolve(entry["name"], entry.get("hp")), size))
        return specs

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown RunConfig field(s) {unknown}; valid: {sorted(known)}")
        return cls(**data)


def schedule_kwargs_for(schedule: str, kwargs: dict, run_length: int) -> dict:
    """schedule_kwargs, plus T_max = run_length when the schedule needs a T_max and none was given
    (a cosine annealing over the whole run, the usual intent)."""
    from optim_core.schedules import get_spec

    kwargs = dict(kwargs)
    build = get_spec(schedule).build
    if build is not None and "T_max" in inspect.signature(build).parameters and "T_max" not in kwargs:
        kwargs["T_max"] = max(1, int(run_length))
    return kwargs


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name}={value!r} is not one of {', '.join(choices)}")


def _positive_int(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


def _range(name: str, value: Any, low: float, high: float, open_low: bool = False, open_high: bool = False):
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if open_low else value >= low) and (value < high if open_high else value <= high)
    if not ok:
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise ConfigError(f"{name} must be a number in {left}{low:g}, {high:g}{right}, got {value!r}")
