"""The open run's charts (and a compared run's, overlaid): loss, accuracy, LR, validation loss, gradient
norm, update ratio, the optimizers' wall-clock, and the table of each lane's numbers."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app.shared.i18n import t
from app.views.training import figures
from app.views.training.frames import epoch_frame, lane_summary, step_frame


def draw_charts(parts: list, options: dict, presenter: bool) -> None:
    """The curves of the open run (and the compared one): parts are (metrics, lanes, per_epoch) per run."""
    lanes_all = [lane for _, run_lanes_, _ in parts for lane in run_lanes_]
    styles = figures.lane_styles(lanes_all)
    beta, x_unit = options["beta"], options["x_unit"]
    x_title = t("tr.x.epoch") if x_unit == "epoch" else t("tr.x.step")
    models = {"raw": t("tr.model.raw"), "ema": t("tr.model.ema")}

    def steps(name: str, **kwargs):
        frames = [
            step_frame(m, name, ls, per_epoch=pe if x_unit == "epoch" else None, **kwargs)
            for m, ls, pe in parts
        ]
        return pd.concat(frames, ignore_index=True)

    epochs_frame = pd.concat([epoch_frame(m, ls, models) for m, ls, _ in parts], ignore_index=True)
    has_ema = bool((epochs_frame["model"] == models["ema"]).any())
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
            epochs_frame,
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
            steps("lr", positive=True),
            figures.line_spec(
                title=t("tr.chart.lr"), x_title=x_title, y_title=t("tr.y.lr"), log_y=True, **common
            ),
        ),
        (
            "tr_chart_val_loss",
            epochs_frame,
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

    # wall-clock per optimizer, and the table
    rows = [row for m, ls, _ in parts for row in lane_summary(m, ls)]
    seconds = [0.0 if math.isnan(r["optimizer_time"]) else r["optimizer_time"] for r in rows]
    timing = pd.DataFrame({"lane": [r["lane"] for r in rows], "seconds": seconds})
    time_col, table_col = (st.container(), st.container()) if presenter else st.columns([2, 3], gap="medium")
    time_spec = figures.time_spec(title=t("tr.chart.time"), x_title=t("tr.x.seconds"), **common)
    time_col.container(key="tr_chart_time_box").vega_lite_chart(
        timing, {**time_spec, "name": "tr_chart_time"}, width="stretch", theme=None, key="tr_chart_time"
    )
    has_ema = any(not math.isnan(r["ema_val_acc"]) for r in rows)
    table = pd.DataFrame(
        {
            t("tr.col.optimizer"): [r["lane"] for r in rows],
            t("tr.col.steps"): [r["steps"] for r in rows],
            t("tr.col.epoch"): [r["epoch"] for r in rows],
            t("tr.col.val_acc"): [r["val_acc"] for r in rows],
            **({t("tr.col.ema_acc"): [r["ema_val_acc"] for r in rows]} if has_ema else {}),
            t("tr.col.best"): [r["best_val_acc"] for r in rows],
            t("tr.col.opt_time"): [r["optimizer_time"] for r in rows],
        }
    )
    percent = st.column_config.NumberColumn(format="percent")
    table_col.markdown(f"**{t('tr.table')}**")
    table_col.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            t("tr.col.val_acc"): percent,
            t("tr.col.ema_acc"): percent,
            t("tr.col.best"): percent,
            t("tr.col.opt_time"): st.column_config.NumberColumn(format="%.2f s"),
        },
    )
    elapsed = [r["elapsed"] for r in rows if not math.isnan(r["elapsed"])]
    if elapsed:
        table_col.caption(t("tr.time_caption", elapsed=f"{max(elapsed):.2f}"))
