"""A lane's settings on the Training page: the Playground's per-optimizer settings under this page's keys.

Lane i is l<i> (its optimizer) plus l<i>_<hyperparameter> (l1_lr, l1_momentum, l1_betas1, ...), built from
the rule's own hyperparameter table as on the Playground, with the CNN's default LR. What the lanes become
in a RunConfig (its `optimizers` entries, the batch sizes of a sweep) is here too.
"""

from __future__ import annotations

import dataclasses

from app.shared.controls import slot_settings
from app.shared.settings import Setting
from optim_core.optimizers import RULES
from optim_core.optimizers.catalog import CATALOG

DEFAULT_LANES = ("sgd", "momentum", "adam", "rmsprop", "adamw", "nadam")
MAX_LANES = 6
LR_LOW = 1e-5  # the Playground's LR range starts at 1e-4; a CNN with Adam may want less


def snap_to_slider(setting: Setting, lr: float) -> float:
    """The LR grid value nearest to lr (the select_slider shows grid values only)."""
    return setting.parse(repr(float(lr)))


def lane_settings(lane: int, name: str) -> list[Setting]:
    """l<lane>_<hyperparameter>, from the rule's table as on the Playground, with the CNN's default LR."""
    settings = []
    for setting in slot_settings(lane, name, (1.0, 4.0)):
        setting = dataclasses.replace(setting, key=f"l{setting.key[1:]}")
        if setting.key.endswith("_lr"):
            wider = dataclasses.replace(setting, low=LR_LOW)
            setting = dataclasses.replace(
                wider,
                default=snap_to_slider(wider, CATALOG[name].cnn_lr),
                label="tr.lr",
                help="tr.lr_help",
            )
        settings.append(setting)
    return settings


def lr_setting(lane: int, name: str) -> Setting:
    """The LR slider of lane `lane` running optimizer `name`."""
    return next(s for s in lane_settings(lane, name) if s.key.endswith("_lr"))


def optimizer_entries(lanes: list[tuple[str, dict]]) -> list[dict]:
    """RunConfig.optimizers from (name, hp) pairs; an optimizer there twice gets its LR in its label."""
    names = [name for name, _ in lanes]
    entries = []
    for name, hp in lanes:
        label = RULES[name].label
        if names.count(name) > 1:
            label += f" lr={hp.get('lr', 0):g}"
        entries.append({"name": name, "hp": dict(hp), "label": label})
    return entries


def parse_batch_sizes(text: str, limit: int = 6) -> list[int | str]:
    """'8, 64, 512, full' -> [8, 64, 512, 'full']; ValueError naming what is allowed."""
    sizes: list[int | str] = []
    for item in (part.strip().lower() for part in str(text).split(",")):
        if not item:
            continue
        if item == "full":
            size: int | str = "full"
        elif item.isdigit() and int(item) >= 1:
            size = int(item)
        else:
            raise ValueError(f"{item!r} is neither a whole number >= 1 nor 'full'")
        if size in sizes:
            raise ValueError(f"{item!r} is listed twice")
        sizes.append(size)
    if not sizes:
        raise ValueError("list at least one batch size, e.g. 8, 64, 512, full")
    if len(sizes) > limit:
        raise ValueError(f"at most {limit} batch sizes")
    return sizes
