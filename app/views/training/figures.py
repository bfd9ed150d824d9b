"""What the Training page draws from a run: metric frames, Vega-Lite specs, progress (no streamlit here).

The run store hands out metrics in long format (row, optimizer, step, epoch, name, value); the page keeps
what it has read and asks only for newer rows. Everything here turns such a frame into the small frames
and plain-dict Vega-Lite specs the page passes to st.vega_lite_chart. A spec depends only on the run's
lanes and the display options, never on the data, so a poll that brings new rows changes the data alone
and Streamlit updates the chart in place instead of drawing it anew.

Lanes are shown under display labels (translated optimizer names); the store keeps the English labels.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from app.shared import theme
from optim_core.optimizers import RULES
from optim_core.smoothing import ema

ACTIVE = ("queued", "running")
RESUMABLE = ("stopped", "interrupted", "failed")
STEP_METRICS = ("train_loss", "lr", "grad_norm", "update_ratio")
# More points than this per lane are drawn every k-th (smoothing uses all of them): the chart stays light
# however long the run.
MAX_POINTS = 1200
# theme.DASHES and theme.SYMBOLS are Plotly names; these are their Vega-Lite forms.
DASH_ARRAYS = {
    "solid": [1, 0],
    "dash": [8, 4],
    "dot": [2, 3],
    "dashdot": [8, 3, 2, 3],
    "longdash": [14, 4],
    "longdashdot": [14, 4, 2, 4],
}
SHAPES = {
    "circle": "circle",
    "square": "square",
    "diamond": "diamond",
    "triangle-up": "triangle-up",
    "pentagon": "cross",
    "star-square": "triangle-down",
}
GRID = "#ececec"
_METRIC_COLUMNS = ["row", "optimizer", "step", "epoch", "name", "value"]


# ---- lanes ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lane:
    key: str  # the store's label (English, unique within the run)
    name: str  # optimizer name
    label: str  # what the page shows (translated, prefixed with the run in a comparison)
    batch_size: int | str


def optimizer_entries(lanes: list[tuple[str, dict]]) -> list[dict]:
    """RunConfig.optimizers from (name, hp) pairs; an optimizer that appears twice gets its LR in the label."""
    names = [name for name, _ in lanes]
    entries = []
    for name, hp in lanes:
        label = RULES[name].label["en"]
        if names.count(name) > 1:
            label += f" lr={hp.get('lr', 0):g}"
        entries.append({"name": name, "hp": dict(hp), "label": label})
    return entries


def run_lanes(config: dict, language_label, prefix: str = "") -> list[Lane]:
    """The lanes of a stored run config, with display labels (language_label: optimizer name -> its label)."""
    from optim_core.training.config import RunConfig

    lanes = []
    for spec in RunConfig.from_dict(config).lanes():
        shown = spec.label.replace(RULES[spec.name].label["en"], language_label(spec.name), 1)
        lanes.append(Lane(spec.label, spec.name, prefix + shown, spec.batch_size))
    return lanes


def lane_styles(lanes: list[Lane]) -> list[dict]:
    """theme.slot_styles in Vega-Lite terms: a colour per optimizer, a dash and a shape per repeat."""
    styles = theme.slot_styles([lane.name for lane in lanes])
    return [
        {"colour": s["colour"], "dash": DASH_ARRAYS[s["dash"]], "shape": SHAPES[s["symbol"]]} for s in styles
    ]


def steps_per_epoch(n_train: int, batch_size: int | str, accumulation: int) -> int:
    size = n_train if batch_size == "full" else min(int(batch_size), n_train)
    return math.ceil(math.ceil(n_train / size) / accumulation)


def total_steps(config: dict, lanes: list[Lane], n_train: int) -> dict[str, int]:
    """Optimizer steps each lane takes in the whole run (early stopping may end it sooner)."""
    accumulation = int(config.get("accumulation_steps", 1))
    return {
        lane.key: int(config["epochs"]) * steps_per_epoch(n_train, lane.batch_size, accumulation)
        for lane in lanes
    }


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
    lanes: list[Lane],
    *,
    per_epoch: dict[str, int] | None = None,
    beta: float = 0.0,
    positive: bool = False,
    max_points: int = MAX_POINTS,
) -> pd.DataFrame:
    """One per-step metric as columns x, lane, y (and smooth, the bias-corrected EMA with `beta`, if beta > 0).

    x is the optimizer step, or the epoch (step / steps per epoch) when per_epoch gives each lane's count.
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
        part = pd.DataFrame({"x": x, "lane": lane.label, "y": y})
        if beta > 0:
            part["smooth"] = ema(y, beta)
        keep = np.isfinite(y) & ((y > 0) if positive else True)
        part = part[keep]
        parts.append(part.iloc[thin_index(len(part), max_points)])
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="object" if c == "lane" else "float64") for c in columns})
    return pd.concat(parts, ignore_index=True)[columns]


def epoch_frame(metrics: pd.DataFrame, lanes: list[Lane], models: dict[str, str]) -> pd.DataFrame:
    """Per-epoch validation as columns epoch, lane, model, loss, acc; models names the "raw" weights and
    their "ema" (the EMA model's rows appear only when the run kept one)."""
    parts = []
    wanted = {"val_loss", "val_acc", "ema_val_loss", "ema_val_acc"}
    rows = metrics[metrics["name"].isin(wanted)] if len(metrics) else metrics
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


def lane_summary(metrics: pd.DataFrame, lanes: list[Lane]) -> list[dict]:
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


def progress(metrics: pd.DataFrame, totals: dict[str, int]) -> float:
    """Fraction of the run's optimizer steps done, averaged over the lanes (0 … 1)."""
    if not totals:
        return 0.0
    loss = metrics[metrics["name"] == "train_loss"] if len(metrics) else metrics
    done = loss.groupby("optimizer")["step"].max().to_dict() if len(loss) else {}
    return float(np.mean([min(1.0, done.get(key, 0) / max(1, total)) for key, total in totals.items()]))


def error_line(error: str | None) -> str:
    """The last line of a stored traceback: the exception and its message, nothing else."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# ---- history -------------------------------------------------------------------------------------
def final_accuracy(summary: dict | None, language_label) -> str:
    if not summary or not summary.get("lanes"):
        return "—"
    parts = []
    for lane in summary["lanes"]:
        acc = lane.get("final_val_acc")
        label = lane["label"]
        if lane.get("optimizer") in RULES:
            label = label.replace(RULES[lane["optimizer"]].label["en"], language_label(lane["optimizer"]), 1)
        parts.append(f"{label} {100 * acc:.1f}%" if acc is not None and math.isfinite(acc) else f"{label} —")
    return " · ".join(parts)


def run_optimizers(config: dict, language_label) -> str:
    try:
        return ", ".join(lane.label for lane in run_lanes(config, language_label))
    except ValueError:  # a config an older version stored: show what it says
        return ", ".join(str(e.get("name")) for e in config.get("optimizers", []))


def history_frame(
    records: list, columns: dict[str, str], statuses: dict[str, str], language_label
) -> pd.DataFrame:
    """One row per stored run, newest first; columns maps run, status, created, dataset, optimizers, epochs,
    accuracy to their translated titles."""
    rows = []
    for record in records:
        config = record.config
        rows.append(
            {
                columns["run"]: f"#{record.id}",
                columns["status"]: statuses.get(record.status, record.status),
                columns["created"]: time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created)),
                columns["dataset"]: dataset_label(config),
                columns["optimizers"]: run_optimizers(config, language_label),
                columns["epochs"]: int(config.get("epochs", 0)),
                columns["accuracy"]: final_accuracy(record.summary, language_label),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            columns[k] for k in ("run", "status", "created", "dataset", "optimizers", "epochs", "accuracy")
        ],
    )


def dataset_label(config: dict) -> str:
    name = config.get("dataset", "digits")
    if config.get("data_path"):
        return f"{name}: {config['data_path'].rstrip('/').rsplit('/', 1)[-1]}"
    return name


# ---- Vega-Lite specs -----------------------------------------------------------------------------
def _config(presenter: bool) -> dict:
    lk = theme.look(presenter)
    font = lk.font
    return {
        "axis": {
            "labelFontSize": font,
            "titleFontSize": font,
            "gridColor": GRID,
            "titleFontWeight": "normal",
            "labelLimit": 200,
        },
        "legend": {
            "labelFontSize": font,
            "titleFontSize": font,
            "orient": "bottom",
            "direction": "horizontal",
            "columns": 2 if presenter else 3,
            "labelLimit": 400,
            "symbolStrokeWidth": lk.line,
            "symbolSize": 400 if presenter else 220,
            "symbolOpacity": 1,
            "title": None,
        },
        "title": {"fontSize": lk.title_font, "anchor": "start", "fontWeight": 600, "offset": 8},
        "view": {"stroke": None},
        "font": "sans-serif",
    }


def _lane_scale(lanes: list[Lane], styles: list[dict], what: str) -> dict:
    return {"domain": [lane.label for lane in lanes], "range": [style[what] for style in styles]}


def _base(title: str, presenter: bool, height: int) -> dict:
    return {
        "title": title,
        "height": height + (120 if presenter else 0),
        # SVG: crisp on a projector, and each line is one <path> a browser test can read
        "usermeta": {"embedOptions": {"renderer": "svg", "actions": False}},
        "config": _config(presenter),
    }


def line_spec(
    *,
    title: str,
    x_title: str,
    y_title: str,
    lanes: list[Lane],
    styles: list[dict],
    presenter: bool,
    log_y: bool = False,
    smooth: bool = False,
    height: int = 260,
    y_format: str | None = None,
) -> dict:
    """Per-step lines (data: step_frame's columns): one colour per optimizer, one dash per repeat; with
    smooth, the raw values thin and faint under the bold EMA."""
    lk = theme.look(presenter)
    # log axes: few ticks, or the 1-2-5 labels of every decade crowd each other
    y_axis = {
        "title": y_title,
        **({"format": y_format} if y_format else {}),
        **({"tickCount": 4} if log_y else {}),
    }
    # padding: a constant LR (or loss) at the edge of the domain would hide in the axis line
    y_scale = {"type": "log", "padding": 8} if log_y else {"zero": False, "padding": 8}
    colour = {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "colour")}
    dash = {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "dash")}
    x = {"field": "x", "type": "quantitative", "title": x_title, "axis": {"tickCount": 8}}

    def layer(field: str, width: float, opacity: float) -> dict:
        return {
            "mark": {
                "type": "line",
                "strokeWidth": width,
                "opacity": opacity,
                "clip": True,
                "interpolate": "linear",
            },
            "encoding": {
                "x": x,
                "color": colour,
                "strokeDash": dash,
                "y": {"field": field, "type": "quantitative", "axis": y_axis, "scale": y_scale},
            },
        }

    if smooth:
        layers = [layer("y", lk.line * 0.45, 0.3), layer("smooth", lk.line, 1.0)]
    else:
        layers = [layer("y", lk.line, 1.0)]
    return {**_base(title, presenter, height), "layer": layers}


def epoch_spec(
    *,
    title: str,
    y_title: str,
    x_title: str,
    field: str,
    lanes: list[Lane],
    styles: list[dict],
    models: list[str],
    presenter: bool,
    percent: bool = False,
    height: int = 260,
) -> dict:
    """Per-epoch validation (data: epoch_frame's columns), the EMA model dashed beside the raw weights."""
    lk = theme.look(presenter)
    y = {
        "field": field,
        "type": "quantitative",
        "title": y_title,
        "scale": {"zero": False},
        **({"axis": {"format": ".0%"}} if percent else {}),
    }
    tooltip = [
        {"field": "lane", "type": "nominal"},
        {"field": "model", "type": "nominal"},
        {"field": "epoch", "type": "quantitative"},
        {"field": field, "type": "quantitative", "format": ".2%" if percent else ".4f"},
    ]
    return {
        **_base(title, presenter, height),
        "mark": {
            "type": "line",
            "strokeWidth": lk.line,
            "point": {"size": lk.marker * (14 if presenter else 10), "filled": True},
        },
        "encoding": {
            "x": {
                "field": "epoch",
                "type": "quantitative",
                "title": x_title,
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "y": y,
            "color": {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "colour")},
            "shape": {"field": "lane", "type": "nominal", "scale": _lane_scale(lanes, styles, "shape")},
            "strokeDash": {
                "field": "model",
                "type": "nominal",
                "scale": {"domain": models, "range": [[1, 0], [6, 4]][: len(models)]},
                # a line sample shows the dash (the default symbol would be the point marker)
                "legend": {
                    "symbolType": "stroke",
                    "symbolSize": 600 if presenter else 360,
                    "encode": {
                        "symbols": {
                            "update": {
                                "stroke": {"value": "#444444"},
                                "fill": {"value": "transparent"},
                                "strokeWidth": {"value": lk.line},
                            }
                        }
                    },
                }
                if len(models) > 1
                else None,
            },
            "tooltip": tooltip,
        },
    }


def time_spec(*, title: str, x_title: str, lanes: list[Lane], styles: list[dict], presenter: bool) -> dict:
    """Seconds each lane spent in its optimizer's step() so far (data: lane, seconds)."""
    lk = theme.look(presenter)
    return {
        **_base(title, presenter, 40 + 34 * len(lanes)),
        "mark": {"type": "bar", "cornerRadiusEnd": 3, "height": {"band": 0.7}},
        "encoding": {
            "y": {
                "field": "lane",
                "type": "nominal",
                "title": None,
                "sort": [lane.label for lane in lanes],
                "axis": {"labelFontSize": lk.font, "labelLimit": 320},
            },
            "x": {"field": "seconds", "type": "quantitative", "title": x_title},
            "color": {
                "field": "lane",
                "type": "nominal",
                "scale": _lane_scale(lanes, styles, "colour"),
                "legend": None,
            },
            "tooltip": [
                {"field": "lane", "type": "nominal"},
                {"field": "seconds", "type": "quantitative", "format": ".3f"},
            ],
        },
    }


def lr_range_frame(result: dict) -> pd.DataFrame:
    return pd.DataFrame({"lr": result["lrs"], "loss": result["losses"], "smoothed": result["smoothed"]})


def lr_range_spec(
    *,
    title: str,
    x_title: str,
    y_title: str,
    raw: str,
    smoothed: str,
    suggestion: float,
    suggestion_label: str,
    colour: str,
    presenter: bool,
) -> dict:
    """Loss against the LR on a log axis: raw losses as dots, the smoothed loss, and the suggested LR."""
    lk = theme.look(presenter)
    x = {
        "field": "lr",
        "type": "quantitative",
        "title": x_title,
        "scale": {"type": "log"},
        "axis": {"format": ".0e", "tickCount": 8},
    }
    legend = {"domain": [raw, smoothed], "range": ["#9a9a9a", colour]}
    return {
        **_base(title, presenter, 300),
        "layer": [
            {
                "transform": [{"calculate": f"{raw!r}", "as": "series"}],
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 18 if not presenter else 40,
                    "opacity": 0.55,
                },
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "loss",
                        "type": "quantitative",
                        "title": y_title,
                        "scale": {"zero": False},
                    },
                    "color": {"field": "series", "type": "nominal", "scale": legend},
                },
            },
            {
                "transform": [{"calculate": f"{smoothed!r}", "as": "series"}],
                "mark": {"type": "line", "strokeWidth": lk.line},
                "encoding": {
                    "x": x,
                    "y": {"field": "smoothed", "type": "quantitative"},
                    "color": {"field": "series", "type": "nominal", "scale": legend},
                },
            },
            {
                "data": {"values": [{"lr": suggestion, "text": suggestion_label}]},
                "mark": {
                    "type": "rule",
                    "strokeWidth": lk.line * 0.8,
                    "strokeDash": [6, 4],
                    "color": "#333333",
                },
                "encoding": {"x": {"field": "lr", "type": "quantitative", "scale": {"type": "log"}}},
            },
            {
                "data": {"values": [{"lr": suggestion, "text": suggestion_label}]},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 6,
                    "dy": -6,
                    "baseline": "bottom",
                    "fontSize": lk.font,
                    "color": "#333333",
                },
                "encoding": {
                    "x": {"field": "lr", "type": "quantitative", "scale": {"type": "log"}},
                    "y": {"value": 0},
                    "text": {"field": "text"},
                },
            },
        ],
    }


# ---- the LR range test, run in a separate process -------------------------------------------------
def run_lr_range(params: dict) -> dict:
    """Load the dataset and run optim_core.training.lr_range.lr_range_test (called in a worker process)."""
    from optim_core.training.data import load_dataset
    from optim_core.training.lr_range import lr_range_test

    data = load_dataset(
        params["dataset"],
        params.get("data_path"),
        image_size=params.get("image_size"),
        val_fraction=params["val_fraction"],
        max_samples=params.get("max_samples"),
    )
    result = lr_range_test(
        data,
        params["optimizer"],
        params.get("hp"),
        steps=params["steps"],
        batch_size=params["batch_size"],
        seed=params["seed"],
        width=params["width"],
        batch_norm=params["batch_norm"],
        device=params["device"],
    )
    return result.to_dict()


def limit_threads(threads: int) -> None:
    """Initializer of the LR range test's process: share the CPU with the training workers."""
    import torch

    torch.set_num_threads(max(1, threads))
