"""A run's stored metrics as the small frames the Training page draws (no streamlit here).

The run store hands out metrics in long format (row, optimizer, step, epoch, name, value); the page keeps
what it has read and asks only for newer rows (merge_metrics). The functions here turn such a frame into
per-step and per-epoch frames for the charts, a summary per lane, and the run's progress.

A run's lanes are shown as LaneViews: the store's label (English) and the label the page shows
(translated optimizer names, prefixed with the run in a comparison).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optim_core.optimizers import RULES
from optim_core.smoothing import ema
from optim_core.training.config import steps_per_epoch
from optim_core.training.metrics import TRAIN_TIME_METRIC, VALIDATION_METRICS

# More points than this per lane are drawn every k-th (smoothing uses all of them): the chart stays light
# however long the run.
MAX_POINTS = 1200
_METRIC_COLUMNS = ["row", "optimizer", "step", "epoch", "name", "value"]


# ---- lanes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LaneView:
    """One lane of a stored run as the page shows it (optim_core's Lane is the lane being trained)."""

    key: str  # the store's label (English, unique within the run)
    name: str  # optimizer name
    label: str  # what the page shows (translated, prefixed with the run in a comparison)
    batch_size: int | str


def run_lanes(config: dict, language_label, prefix: str = "") -> list[LaneView]:
    """The lanes of a stored run config, with display labels (language_label: optimizer name -> its label)."""
    from optim_core.training.config import RunConfig

    lanes = []
    for spec in RunConfig.from_dict(config).lanes():
        shown = spec.label.replace(RULES[spec.name].label, language_label(spec.name), 1)
        lanes.append(LaneView(spec.label, spec.name, prefix + shown, spec.batch_size))
    return lanes


def lane_steps_per_epoch(config: dict, lanes: list[LaneView], n_train: int | None) -> dict[str, int] | None:
    """Each lane's optimizer steps per epoch (None without the data set's size: no epoch axis then)."""
    if not n_train:
        return None
    accumulation = int(config.get("accumulation_steps", 1))
    return {lane.key: steps_per_epoch(n_train, lane.batch_size, accumulation) for lane in lanes}


def total_steps(config: dict, lanes: list[LaneView], n_train: int) -> dict[str, int]:
    """Optimizer steps each lane takes in the whole run (early stopping may end it sooner)."""
    accumulation = int(config.get("accumulation_steps", 1))
    return {
        lane.key: int(config["epochs"]) * steps_per_epoch(n_train, lane.batch_size, accumulation)
        for lane in lanes
    }


# ---- metrics -------------------------------------------------------------------------------------
def empty_metrics() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="float64" if c == "value" else "object") for c in _METRIC_COLUMNS}
    )


def merge_metrics(old: pd.DataFrame | None, new: pd.DataFrame) -> pd.DataFrame:
    """Rows read so far plus newer ones. A resumed run rewrites the steps after its checkpoint: the newest
    row of each (optimizer, name, step, epoch) wins."""
    if old is None or old.empty:
        frame = new
    elif new.empty:
        return old
    else:
        frame = pd.concat([old, new], ignore_index=True)
    return frame.drop_duplicates(["optimizer", "name", "step", "epoch"], keep="last").reset_index(drop=True)


def thin_index(n: int, max_points: int = MAX_POINTS) -> np.ndarray:
    """The indices drawn for a series of n points: all, or every k-th plus the last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.append(np.arange(0, n, math.ceil(n / max_points)), n - 1))


def step_frame(
    metrics: pd.DataFrame,
    name: str,
    lanes: list[LaneView],
    *,
    per_epoch: dict[str, int] | None = None,
    seconds: bool = False,
    beta: float = 0.0,
    positive: bool = False,
    max_points: int = MAX_POINTS,
) -> pd.DataFrame:
    """One per-step metric as columns x, lane, y (and smooth: the bias-corrected EMA with `beta`, if > 0).

    x is the optimizer step, or the epoch (step / steps per epoch) when per_epoch gives each lane's count,
    or with seconds the lane's training time at that step (its train_time metric).
    positive drops values <= 0 (a log axis cannot show them); non-finite values are dropped after smoothing.
    """
    columns = ["x", "lane", "y"] + (["smooth"] if beta > 0 else [])
    rows = metrics[metrics["name"] == name] if len(metrics) else metrics
    parts = []
    for lane in lanes:
        series = rows[rows["optimizer"] == lane.key].sort_values("step")
        if series.empty:
            continue
        y = series["value"].to_numpy(dtype=float)
        x = series["step"].to_numpy(dtype=float)
        if per_epoch is not None:
            x = x / per_epoch[lane.key]
        if seconds:
            clock = metrics[(metrics["name"] == TRAIN_TIME_METRIC) & (metrics["optimizer"] == lane.key)]
            x = series["step"].map(clock.set_index("step")["value"]).to_numpy(dtype=float)
        part = pd.DataFrame({"x": x, "lane": lane.label, "y": y})
        if beta > 0:
            part["smooth"] = ema(y, beta)
        keep = np.isfinite(y) & np.isfinite(x) & ((y > 0) if positive else True)
        part = part[keep]
        parts.append(part.iloc[thin_index(len(part), max_points)])
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object" if c == "lane" else "float64") for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def epoch_frame(metrics: pd.DataFrame, lanes: list[LaneView], models: dict[str, str]) -> pd.DataFrame:
    """Per-epoch validation as columns epoch, lane, model, loss, acc; models names the "raw" weights and
    their "ema" (the EMA model's rows appear only when the run kept one)."""
    parts = []
    rows = metrics[metrics["name"].isin(VALIDATION_METRICS)] if len(metrics) else metrics
    for lane in lanes:
        own = rows[rows["optimizer"] == lane.key]
        if own.empty:
            continue
        table = own.pivot_table(index="epoch", columns="name", values="value", aggfunc="last")
        for kind, prefix in (("raw", ""), ("ema", "ema_")):
            if f"{prefix}val_acc" not in table:
                continue
            parts.append(
                pd.DataFrame(
                    {
                        "epoch": table.index.astype(int),
                        "lane": lane.label,
                        "model": models[kind],
                        "loss": table[f"{prefix}val_loss"].to_numpy(float),
                        "acc": table[f"{prefix}val_acc"].to_numpy(float),
                    }
                )
            )
    if not parts:
        return pd.DataFrame(
            {
                "epoch": pd.Series(dtype="int64"),
                "lane": pd.Series(dtype="object"),
                "model": pd.Series(dtype="object"),
                "loss": pd.Series(dtype="float64"),
                "acc": pd.Series(dtype="float64"),
            }
        )
    return pd.concat(parts, ignore_index=True)


def lane_summary(metrics: pd.DataFrame, lanes: list[LaneView]) -> list[dict]:
    """Per lane: steps done, last epoch, validation accuracy (raw, EMA, best), optimizer seconds, elapsed."""
    out = []
    for lane in lanes:
        own = metrics[metrics["optimizer"] == lane.key] if len(metrics) else metrics
        loss = own[own["name"] == "train_loss"]
        epochs = own[own["name"] == "val_acc"].sort_values("epoch")

        def last(name: str, own=own) -> float:
            values = own[own["name"] == name].sort_values(["epoch", "step"])["value"]
            return float(values.iloc[-1]) if len(values) else math.nan

        out.append(
            {
                "lane": lane.label,
                "steps": int(loss["step"].max()) if len(loss) else 0,
                "epoch": int(epochs["epoch"].max()) if len(epochs) else 0,
                "val_acc": float(epochs["value"].iloc[-1]) if len(epochs) else math.nan,
                "ema_val_acc": last("ema_val_acc"),
                "best_val_acc": float(epochs["value"].max()) if len(epochs) else math.nan,
                "optimizer_time": last("optimizer_time"),
                "elapsed": last("elapsed"),
            }
        )
    return out


def is_sweep(lanes: list[LaneView]) -> bool:
    """Whether the lanes train at several batch sizes (a batch-size sweep)."""
    return len({lane.batch_size for lane in lanes}) > 1


def speed_frame(metrics: pd.DataFrame, lanes: list[LaneView], n_train: int) -> pd.DataFrame:
    """Per lane over its completed epochs: batch_size (text), lane, seconds_per_epoch (its train_time at the
    last completed epoch / those epochs) and samples_per_second (n_train / seconds_per_epoch)."""
    rows = []
    for lane in lanes:
        own = metrics[metrics["optimizer"] == lane.key] if len(metrics) else metrics
        done = own[own["name"] == "val_acc"]["epoch"]
        clock = own[own["name"] == TRAIN_TIME_METRIC]
        if done.empty or clock.empty:
            continue
        epochs = int(done.max())
        seconds = float(clock[clock["epoch"] <= epochs]["value"].max()) / epochs
        if not math.isfinite(seconds) or seconds <= 0:
            continue
        rows.append(
            {
                "batch_size": str(lane.batch_size),
                "lane": lane.label,
                "seconds_per_epoch": seconds,
                "samples_per_second": n_train / seconds,
            }
        )
    columns = ["batch_size", "lane", "seconds_per_epoch", "samples_per_second"]
    return pd.DataFrame(rows, columns=columns)


def run_elapsed(record, recorded: list[float], now: float) -> float | None:
    """Seconds the run has trained, over all its parts; recorded: the elapsed values stored per epoch.

    A running run adds the time since this part started to what the parts before it trained (a resumed
    run's summary says so; the stored epochs, when there is no summary), so the clock goes on after
    Resume instead of starting again at 0. Any other run: its summary's figure, else the stored epochs'.
    """
    summary = record.summary or {}
    last = max(recorded, default=None)
    if record.status == "running":
        before = (summary.get("elapsed") or last or 0.0) if record.resume else 0.0
        return max(before + now - (record.started_at or now), last or 0.0)
    elapsed = summary.get("elapsed")
    return float(elapsed) if elapsed is not None else last


def percent_text(value: float) -> str:
    """An accuracy as '97.2%', or '—' when there is none (NaN)."""
    return "—" if math.isnan(value) else f"{100 * value:.1f}%"


def seconds_text(value: float) -> str:
    """Seconds as '0.42 s', or '—' when there are none (NaN)."""
    return "—" if math.isnan(value) else f"{value:.2f} s"


def progress(metrics: pd.DataFrame, totals: dict[str, int]) -> float:
    """Fraction of the run's optimizer steps done, averaged over the lanes (0 … 1)."""
    if not totals:
        return 0.0
    loss = metrics[metrics["name"] == "train_loss"] if len(metrics) else metrics
    done = loss.groupby("optimizer")["step"].max().to_dict() if len(loss) else {}
    return float(np.mean([min(1.0, done.get(key, 0) / max(1, total)) for key, total in totals.items()]))
