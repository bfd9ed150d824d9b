"""The open run's charts (and a compared run's, overlaid): loss, accuracy, LR, validation loss, gradient
norm, update ratio, the optimizers' wall-clock, and the table of each lane's numbers."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import streamlit as st

from app.shared.i18n import t
from app.views.training import figures
from app.views.training.frames import (
    epoch_frame,
    is_sweep,
    lane_names,
    lane_summary,
    percent_text,
    points_per_lane,
    seconds_text,
    speed_frame,
    step_frame,
    to_arrow,
)
from optim_core.training.metrics import TRAIN_TIME_METRIC

MEMO_SIZE = 32  # built frames kept per snapshot of a run's metrics (options and languages vary by viewer)


def draw_charts(parts: list, options: dict, presenter: bool, elapsed: str) -> None:
    """The curves of the open run (and the compared one): parts are (metrics, lanes, per_epoch) per run;
    elapsed: the open run's seconds as its status line shows them."""
    lanes_all = [lane for _, run_lanes_, _ in parts for lane in run_lanes_]
    names = lane_names(lanes_all)
    styles = figures.lane_styles(lanes_all)
    beta, x_unit = options["beta"], options["x_unit"]
    if x_unit == "seconds" and not any(m.has(TRAIN_TIME_METRIC) for m, _, _ in parts):
        st.caption(t("tr.no_seconds_axis"))  # a run stored before train_time was recorded
        x_unit = "step"
    x_title = t({"epoch": "tr.x.epoch", "seconds": "tr.x.train_seconds"}.get(x_unit, "tr.x.step"))
    models = {"raw": t("tr.model.raw"), "ema": t("tr.model.ema")}
    limit = points_per_lane(len(lanes_all))  # what a chart draws of each lane, however long the run

    def steps(name: str, **kwargs):
        def build():
            frames = [
                step_frame(
                    m,
                    name,
                    ls,
                    per_epoch=pe if x_unit == "epoch" else None,
                    seconds=x_unit == "seconds",
                    max_points=limit,
                    names=names,
                    **kwargs,
                )
                for m, ls, pe in parts
            ]
            return joined(frames)

        return memo(parts, ("steps", name, x_unit, tuple(sorted(kwargs.items()))), build)

    def epochs(field: str):
        # each validation chart gets its own column only, thinned like the steps for a long run
        def build():
            most = points_per_lane(len(lanes_all), per_epoch=True)
            return joined([epoch_frame(m, ls, models, field, names, most) for m, ls, _ in parts])

        return memo(parts, ("epochs", field, tuple(models.values())), build)

    rows = memo(parts, ("rows",), lambda: [row for m, ls, _ in parts for row in lane_summary(m, ls)])
    has_ema = any(not math.isnan(r["ema_val_acc"]) for r in rows)
    model_domain = [models["raw"], models["ema"]] if has_ema else [models["raw"]]
    common = dict(lanes=lanes_all, styles=styles, presenter=presenter)
    charts = [
        (
            "tr_chart_loss",
            steps("train_loss", beta=beta, positive=options["log_loss"]),
            figures.line_spec(
                title=t("tr.chart.loss"),
                x_title=x_title,
                y_title=t("tr.y.loss_log" if options["log_loss"] else "tr.y.loss"),
                smooth=beta > 0,
                log_y=options["log_loss"],
                **common,
            ),
        ),
        (
            "tr_chart_acc",
            epochs("acc"),
            figures.epoch_spec(
                title=t("tr.chart.acc"),
                y_title=t("tr.y.acc"),
                x_title=t("tr.x.epoch"),
                field="acc",
                models=model_domain,
                percent=True,
                **common,
            ),
        ),
        (
            "tr_chart_lr",
            steps("lr", positive=True, simplify=True),
            figures.line_spec(
                title=t("tr.chart.lr"), x_title=x_title, y_title=t("tr.y.lr"), log_y=True, **common
            ),
        ),
        (
            "tr_chart_val_loss",
            epochs("loss"),
            figures.epoch_spec(
                title=t("tr.chart.val_loss"),
                y_title=t("tr.y.loss"),
                x_title=t("tr.x.epoch"),
                field="loss",
                models=model_domain,
                **common,
            ),
        ),
        (
            "tr_chart_grad",
            steps("grad_norm", positive=True),
            figures.line_spec(
                title=t("tr.chart.grad"), x_title=x_title, y_title=t("tr.y.grad"), log_y=True, **common
            ),
        ),
        (
            "tr_chart_ratio",
            steps("update_ratio", positive=True),
            figures.line_spec(
                title=t("tr.chart.ratio"), x_title=x_title, y_title=t("tr.y.ratio"), log_y=True, **common
            ),
        ),
    ]
    columns = None
    for i, (key, frame, spec) in enumerate(charts):
        if presenter:
            where = st.container()
        else:
            if i % 2 == 0:
                columns = st.columns(2, gap="medium")
            where = columns[i % 2]
        # a keyed box around each chart: the page (and a browser test) can find it by its st-key-<key> class
        where.container(key=f"{key}_box").vega_lite_chart(
            frame, {**spec, "name": key}, width="stretch", theme=None, key=key
        )
    st.caption(t("tr.charts_caption") + (" " + t("tr.charts_caption_ema") if len(model_domain) > 1 else ""))
    metrics, lanes, _ = parts[0]
    if is_sweep(lanes) and options.get("n_train"):
        speed_charts(speed_frame(metrics, lanes, options["n_train"]), common, presenter)

    # wall-clock per optimizer, and the table
    seconds = [0.0 if math.isnan(r["optimizer_time"]) else r["optimizer_time"] for r in rows]
    timing = pa.table({"lane": [r["lane"] for r in rows], "seconds": pa.array(seconds, pa.float64())})
    time_col, table_col = (st.container(), st.container()) if presenter else st.columns([2, 3], gap="medium")
    time_spec = figures.time_spec(title=t("tr.chart.time"), x_title=t("tr.x.step_seconds"), **common)
    time_col.container(key="tr_chart_time_box").vega_lite_chart(
        timing, {**time_spec, "name": "tr_chart_time"}, width="stretch", theme=None, key="tr_chart_time"
    )
    # text cells: a value a run does not have (a compared run without an EMA, an epoch not yet validated)
    # reads "—", where a number column would show "None"; an Arrow table: no pandas schema sent (1 kB)
    table = pa.table(
        {
            t("tr.col.optimizer"): [r["lane"] for r in rows],
            t("tr.col.steps"): [r["steps"] for r in rows],
            t("tr.col.epoch"): [r["epoch"] for r in rows],
            t("tr.col.val_acc"): [percent_text(r["val_acc"]) for r in rows],
            **({t("tr.col.ema_acc"): [percent_text(r["ema_val_acc"]) for r in rows]} if has_ema else {}),
            t("tr.col.best"): [percent_text(r["best_val_acc"]) for r in rows],
            t("tr.col.opt_time"): [seconds_text(r["optimizer_time"]) for r in rows],
        }
    )
    table_col.markdown(f"**{t('tr.table')}**")
    table_col.dataframe(table, hide_index=True, width="stretch")
    table_col.caption(t("tr.time_caption", elapsed=elapsed))


def memo(parts: list, what: tuple, build):
    """build(), or what it returned before for the same question on the same metrics: every viewer of a
    run at the same rows (and with the same lanes and options) gets what the first one built. It is kept
    on the open run's RunSeries, a snapshot shared by its viewers and dropped when newer rows come."""
    cache = parts[0][0].memo
    key = (
        what,
        tuple(m for m, _, _ in parts[1:]),  # the compared run's snapshot (by identity)
        tuple((tuple(ls), tuple(sorted(pe.items())) if pe else None) for _, ls, pe in parts),
    )
    found = cache.get(key)
    if found is None:
        if len(cache) >= MEMO_SIZE:
            cache.clear()
        found = cache[key] = build()
    return found


def joined(tables: list[pa.Table]) -> pa.Table:
    """The runs' data of one chart as one table (a run compared with the open one adds its lanes); their
    lane columns share one list of labels."""
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables).combine_chunks()


def speed_charts(frame: pd.DataFrame, common: dict, presenter: bool) -> None:
    """A batch-size sweep's time per epoch and images per second, one bar per batch size."""
    where = (st.container(), st.container()) if presenter else st.columns(2, gap="medium")
    for box, key, field, title, y_title, y_format in (
        (where[0], "tr_chart_speed", "seconds_per_epoch", "tr.chart.epoch_time", "tr.y.epoch_time", ",.3~g"),
        (where[1], "tr_chart_samples", "samples_per_second", "tr.chart.samples", "tr.y.samples", ",.0f"),
    ):
        spec = figures.speed_spec(
            title=t(title),
            x_title=t("tr.x.batch"),
            y_title=t(y_title),
            field=field,
            y_format=y_format,
            **common,
        )
        box.container(key=f"{key}_box").vega_lite_chart(
            to_arrow(frame), {**spec, "name": key}, width="stretch", theme=None, key=key
        )
    st.caption(t("tr.speed_caption"))
