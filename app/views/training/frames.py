"""A run's stored metrics as the small frames the Training page draws (no streamlit here).

The run store hands out metrics in long format (row, optimizer, step, epoch, name, value); the page keeps
what it has read as a RunSeries (one array per lane and metric, shared by every viewer of the run) and
asks only for newer rows. The functions here turn a RunSeries into per-step and per-epoch frames for the
charts, a summary per lane, and the run's progress.

A run's lanes are shown as LaneViews: the store's label (English) and the label the page shows
(translated optimizer names, prefixed with the run in a comparison).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from app.views.training.thinning import MAX_POINTS, early_index, simplify_index, thin_index
from app.views.training.thinning import points_per_lane as points_per_lane  # re-exported
from optim_core.optimizers import RULES
from optim_core.smoothing import ema
from optim_core.training.config import steps_per_epoch
from optim_core.training.metrics import TRAIN_TIME_METRIC


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
class Series(NamedTuple):
    """One metric of one lane, in the order of (epoch, step)."""

    step: np.ndarray  # int32
    epoch: np.ndarray  # int32
    value: np.ndarray  # float64


_NONE = Series(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


def _order(step: np.ndarray, epoch: np.ndarray) -> np.ndarray:
    # (epoch, step) as one sortable number: steps stay far below 2^40
    return epoch.astype(np.int64) * (1 << 40) + step


class RunSeries:
    """The metrics of one run read so far: a Series per (lane, metric), and the last store row read.

    A value object: `extended` returns a new one, so a reader never sees one half updated and every
    viewer of the run can share it. The store hands out rows in long format (row, optimizer, step, epoch,
    name, value), newer than a row given. A resumed run rewrites the steps after its checkpoint: rows of a
    lane's metric from an (epoch, step) read before replace what was read from there on.
    """

    def __init__(self, rows: int = 0, series: dict[tuple[str, str], Series] | None = None):
        self.rows = rows
        self._series = series or {}
        # what the charts built from exactly these rows, by what they asked (see charts.memo): every viewer
        # of the run shares it, and it goes with this snapshot when newer rows come
        self.memo: dict = {}

    @property
    def empty(self) -> bool:
        return not self._series

    def get(self, lane: str, name: str) -> Series:
        return self._series.get((lane, name), _NONE)

    def has(self, name: str) -> bool:
        return any(key[1] == name for key in self._series)

    def size(self) -> int:
        """Values held (to bound what a cache of runs keeps)."""
        return sum(len(s.value) for s in self._series.values())

    def extended(self, new: pd.DataFrame) -> RunSeries:
        """These metrics and the newer rows `new` (the store's columns)."""
        if new.empty:
            return self
        series = dict(self._series)
        groups: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(zip(new["optimizer"].tolist(), new["name"].tolist(), strict=True)):
            groups.setdefault(key, []).append(i)
        steps, epochs = new["step"].to_numpy(np.int32), new["epoch"].to_numpy(np.int32)
        values = new["value"].to_numpy(float)
        for (lane, name), rows in groups.items():
            step, epoch, value = steps[rows], epochs[rows], values[rows]
            order = _order(step, epoch)
            if len(order) > 1 and (np.diff(order) < 0).any():
                first = np.argsort(order, kind="stable")
                step, epoch, value, order = step[first], epoch[first], value[first], order[first]
            old = series.get((lane, name))
            if old is not None and len(old.step):
                # a series is in order: rows after its last one (a poll's usual case) keep it whole, and only
                # a resumed run's rewrite reads its order (each poll read the whole history before, O(steps))
                last = _order(old.step[-1:], old.epoch[-1:])[0]
                keep = slice(None) if last < order[0] else _order(old.step, old.epoch) < order[0]
                step, epoch = np.concatenate([old.step[keep], step]), np.concatenate([old.epoch[keep], epoch])
                value = np.concatenate([old.value[keep], value])
            series[(lane, name)] = Series(step, epoch, value)
        return RunSeries(max(self.rows, int(new["row"].max())), series)


def lane_array(codes: np.ndarray, names: list[str]) -> pa.DictionaryArray:
    """A chart's lane column: each point's index into the labels, so the browser gets a label once."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(names, pa.string()))


def lane_names(lanes: list[LaneView]) -> list[str]:
    return list(dict.fromkeys(lane.label for lane in lanes))


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """A chart's data as Streamlit sends it, less the pandas schema it would add (about 1 kB a chart)."""
    return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)


def _float32(parts: list[np.ndarray]) -> np.ndarray:
    big = np.finfo(np.float32).max  # a diverged loss beyond float32 is drawn at its largest value
    return np.clip(np.concatenate(parts), -big, big).astype(np.float32) if parts else np.zeros(0, np.float32)


def step_frame(
    metrics: RunSeries,
    name: str,
    lanes: list[LaneView],
    *,
    per_epoch: dict[str, int] | None = None,
    seconds: bool = False,
    beta: float = 0.0,
    positive: bool = False,
    max_points: int = MAX_POINTS,
    names: list[str] | None = None,
    simplify: bool = False,
) -> pa.Table:
    """One per-step metric as columns x, lane, y (and smooth: the bias-corrected EMA with `beta`, if > 0).

    x is the optimizer step, or the epoch (step / steps per epoch) when per_epoch gives each lane's count,
    or with seconds the lane's training time at that step (its train_time metric).
    positive drops values <= 0 (a log axis cannot show them); non-finite values are dropped after smoothing.
    Long series are thinned (thin_index); with simplify (a smooth series: the learning rate), only the
    points a straight line between their neighbours does not draw are kept (simplify_index, in log10 with
    positive). x, y and smooth are float32, enough for a chart. names: the labels of the lane column (all
    the chart's lanes when several runs share it; default: these lanes').
    """
    names = names or lane_names(lanes)
    columns: dict[str, list[np.ndarray]] = {c: [] for c in ["x", "y"] + (["smooth"] if beta > 0 else [])}
    codes = []
    for lane in lanes:
        series = metrics.get(lane.key, name)
        if not len(series.value):
            continue
        y = series.value
        x = series.step.astype(float)
        if per_epoch is not None:
            x = x / per_epoch[lane.key]
        if seconds:
            x = _at_steps(metrics.get(lane.key, TRAIN_TIME_METRIC), series.step)
        keep = np.isfinite(y) & np.isfinite(x) & ((y > 0) if positive else True)
        smooth = ema(y, beta)[keep] if beta > 0 else None
        x, y = x[keep], y[keep]
        drawn = thin_index(y, max_points)
        if simplify:
            drawn = drawn[simplify_index(x[drawn], np.log10(y[drawn]) if positive else y[drawn])]
        columns["x"].append(x[drawn])
        columns["y"].append(y[drawn])
        if smooth is not None:
            columns["smooth"].append(smooth[drawn])
        codes.append(np.full(len(drawn), names.index(lane.label), np.int8))
    lane = lane_array(np.concatenate(codes) if codes else np.zeros(0, np.int8), names)
    values = {c: _float32(v) for c, v in columns.items() if c != "x"}
    return pa.table({"x": _float32(columns["x"]), "lane": lane, **values})


def _at_steps(series: Series, steps: np.ndarray) -> np.ndarray:
    """The series' value at each of these steps (NaN where it has none)."""
    out = np.full(len(steps), np.nan)
    if len(series.step):
        order = np.argsort(series.step, kind="stable")
        known = series.step[order]
        at = np.searchsorted(known, steps, side="right") - 1
        found = (at >= 0) & (known[np.maximum(at, 0)] == steps)
        out[found] = series.value[order][at[found]]
    return out


def _last_per_epoch(series: Series) -> dict[int, float]:
    return dict(zip(series.epoch.tolist(), series.value.tolist(), strict=True))  # the last of an epoch wins


def epoch_frame(
    metrics: RunSeries,
    lanes: list[LaneView],
    models: dict[str, str],
    field: str,
    names: list[str] | None = None,
    max_points: int = MAX_POINTS,
) -> pa.Table:
    """Per-epoch validation `field` ("acc" or "loss") as columns epoch, lane, model, <field>; models names
    the "raw" weights and their "ema" (the EMA model's rows appear only when the run kept one). A long run's
    epochs are thinned to about max_points a lane: each bucket's best and worst epoch, in buckets of equal
    size (thin_index) and in buckets that grow (early_index: a run's first epochs, where it learns most, one
    by one). names: as for step_frame."""
    names = names or lane_names(lanes)
    epochs, codes, kinds, values = [], [], [], []
    for lane in lanes:
        for kind, prefix in ((0, ""), (1, "ema_")):
            found = _last_per_epoch(metrics.get(lane.key, f"{prefix}val_{field}"))
            if not found:
                continue
            shown = np.array(sorted(found), np.int32)
            value = np.array([found[e] for e in shown.tolist()], float)
            drawn = np.arange(len(value))
            if len(value) > max_points:  # half in buckets of one size, half in buckets that grow
                half = max(2, max_points // 2)
                drawn = np.union1d(thin_index(value, half), early_index(value, half // 2))
            epochs.append(shown[drawn])
            values.append(value[drawn])
            codes.append(np.full(len(drawn), names.index(lane.label), np.int8))
            kinds.append(np.full(len(drawn), kind, np.int8))
    return pa.table(
        {
            "epoch": pa.array(np.concatenate(epochs) if epochs else np.zeros(0, np.int32), pa.int32()),
            "lane": lane_array(np.concatenate(codes) if codes else np.zeros(0, np.int8), names),
            "model": pa.DictionaryArray.from_arrays(
                pa.array(np.concatenate(kinds) if kinds else np.zeros(0, np.int8), pa.int8()),
                pa.array([models["raw"], models["ema"]], pa.string()),
            ),
            field: _float32(values),
        }
    )


def _last(series: Series) -> float:
    return float(series.value[-1]) if len(series.value) else math.nan


def lane_summary(metrics: RunSeries, lanes: list[LaneView]) -> list[dict]:
    """Per lane: steps done, last epoch, validation accuracy (raw, EMA, best), optimizer seconds, elapsed."""
    out = []
    for lane in lanes:
        loss, acc = metrics.get(lane.key, "train_loss"), metrics.get(lane.key, "val_acc")
        finite = acc.value[~np.isnan(acc.value)]
        out.append(
            {
                "lane": lane.label,
                "steps": int(loss.step.max()) if len(loss.step) else 0,
                "epoch": int(acc.epoch.max()) if len(acc.epoch) else 0,
                "val_acc": _last(acc),
                "ema_val_acc": _last(metrics.get(lane.key, "ema_val_acc")),
                "best_val_acc": float(finite.max()) if len(finite) else math.nan,
                "optimizer_time": _last(metrics.get(lane.key, "optimizer_time")),
                "elapsed": _last(metrics.get(lane.key, "elapsed")),
            }
        )
    return out


def is_sweep(lanes: list[LaneView]) -> bool:
    """Whether the lanes train at several batch sizes (a batch-size sweep)."""
    return len({lane.batch_size for lane in lanes}) > 1


def speed_frame(metrics: RunSeries, lanes: list[LaneView], n_train: int) -> pd.DataFrame:
    """Per lane over its completed epochs: batch_size (text), lane, seconds_per_epoch (its train_time at the
    last completed epoch / those epochs) and samples_per_second (n_train / seconds_per_epoch)."""
    rows = []
    for lane in lanes:
        done, clock = metrics.get(lane.key, "val_acc"), metrics.get(lane.key, TRAIN_TIME_METRIC)
        if not len(done.epoch) or not len(clock.value):
            continue
        epochs = int(done.epoch.max())
        until = clock.value[clock.epoch <= epochs]
        seconds = float(np.nanmax(until)) / epochs if np.isfinite(until).any() else math.nan
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


def progress(metrics: RunSeries, totals: dict[str, int]) -> float:
    """Fraction of the run's optimizer steps done, averaged over the lanes (0 … 1)."""
    if not totals:
        return 0.0
    done = {key: metrics.get(key, "train_loss").step for key in totals}
    return float(
        np.mean([min(1.0, (int(d.max()) if len(d) else 0) / max(1, totals[k])) for k, d in done.items()])
    )
