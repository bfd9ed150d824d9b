"""The open run on the training page: its caption, its status line and its charts (Streamlit calls;
the frames and Vega-Lite specs come from training_view)."""

from __future__ import annotations

import math
import time

import pandas as pd
import streamlit as st

from app.shared.i18n import t
from app.views.training import figures as view

STATUSES = ("queued", "running", "finished", "stopped", "interrupted", "failed")
STATUS_COLOURS = {
    "queued": "gray",
    "running": "blue",
    "finished": "green",
    "stopped": "orange",
    "interrupted": "orange",
    "failed": "red",
}


def status_texts() -> dict[str, str]:
    """Each status in the page's language."""
    return {s: t(f"tr.status.{s}") for s in STATUSES}


def run_caption(config: dict) -> str:
    """The run's loop and the tricks it used, in one line."""
    parts = [
        t(
            "tr.cap.loop",
            epochs=config.get("epochs"),
            bs=config.get("batch_size"),
            seed=config.get("seed"),
            width=config.get("width"),
        )
    ]
    if config.get("batch_sizes"):
        parts.append(t("tr.cap.sweep", sizes=", ".join(map(str, config["batch_sizes"]))))
    if config.get("weight_decay"):
        mode = config.get("weight_decay_mode", "l2")
        parts.append(t(f"tr.cap.decay.{mode}", value=f"{config['weight_decay']:g}"))
    if config.get("clip_grad_norm"):
        parts.append(t("tr.cap.clip", value=f"{config['clip_grad_norm']:g}"))
    if config.get("warmup_steps"):
        parts.append(t("tr.cap.warmup", steps=config["warmup_steps"]))
    if config.get("schedule"):
        parts.append(t("tr.cap.schedule", name=config["schedule"]))
    if config.get("ema_decay"):
        parts.append(t("tr.cap.ema", value=f"{config['ema_decay']:g}"))
    if int(config.get("accumulation_steps", 1)) > 1:
        parts.append(t("tr.cap.accum", steps=config["accumulation_steps"]))
    if config.get("patience") is not None:
        parts.append(t("tr.cap.early", patience=config["patience"]))
    if config.get("dropout"):
        parts.append(t("tr.cap.dropout", value=f"{config['dropout']:g}"))
    if not config.get("batch_norm", True):
        parts.append(t("tr.cap.no_bn"))
    return " · ".join(parts)


def status_line(record, metrics, totals: dict, lanes: list, n_epochs: int, jobs) -> None:
    """Status, queue position or progress, in the language of the page; `lanes` are the run's."""
    status = record.status
    st.badge(status_texts()[status], color=STATUS_COLOURS[status])
    summary = record.summary or {}
    if status == "queued":
        position = jobs.queue_position(record.id)
        st.info(
            t("tr.queued", position=position or "?", running=jobs.store.count_running()),
            icon=":material/hourglass_top:",
        )
        return
    rows = view.lane_summary(metrics, lanes)
    epoch = max((r["epoch"] for r in rows), default=0)
    if status == "finished":
        fraction = 1.0
    else:  # without the dataset's size (a path gone since), count whole epochs
        fraction = view.progress(metrics, totals) if totals else epoch / max(1, n_epochs)
    if (
        status == "running"
    ):  # the last epoch's total (it counts resumed parts too), or the time since this start
        recorded = [r["elapsed"] for r in rows if not math.isnan(r["elapsed"])]
        elapsed = max([time.time() - (record.started_at or time.time()), *recorded])
    else:
        elapsed = summary.get("elapsed")
    elapsed_text = f"{elapsed:.1f}" if elapsed is not None else "—"
    st.progress(
        min(1.0, fraction),
        text=t(
            "tr.progress", epoch=epoch, epochs=n_epochs, percent=f"{100 * fraction:.0f}", elapsed=elapsed_text
        ),
    )
    if status == "finished":
        st.success(
            t("tr.finished", epochs=summary.get("epochs_completed", epoch), elapsed=elapsed_text),
            icon=":material/check_circle:",
        )
    elif status == "stopped":
        st.info(t("tr.stopped", epoch=summary.get("epochs_completed", epoch)), icon=":material/pause_circle:")
    elif status == "interrupted":
        st.warning(t("tr.interrupted", error=view.error_line(record.error)), icon=":material/warning:")
    elif status == "failed":
        st.error(t("tr.failed", error=view.error_line(record.error)), icon=":material/error:")
    elif record.stop_requested:
        st.caption(t("tr.stopping"))


def draw_charts(parts: list, options: dict, presenter: bool) -> None:
    """The curves of the open run (and the compared one): parts are (metrics, lanes, per_epoch) per run."""
    lanes_all = [lane for _, run_lanes_, _ in parts for lane in run_lanes_]
    styles = view.lane_styles(lanes_all)
    beta, x_unit = options["beta"], options["x_unit"]
    x_title = t("tr.x.epoch") if x_unit == "epoch" else t("tr.x.step")
    models = {"raw": t("tr.model.raw"), "ema": t("tr.model.ema")}

    def steps(name: str, **kwargs):
        frames = [
            view.step_frame(m, name, ls, per_epoch=pe if x_unit == "epoch" else None, **kwargs)
            for m, ls, pe in parts
        ]
        return pd.concat(frames, ignore_index=True)

    epochs_frame = pd.concat([view.epoch_frame(m, ls, models) for m, ls, _ in parts], ignore_index=True)
    has_ema = bool((epochs_frame["model"] == models["ema"]).any())
    model_domain = [models["raw"], models["ema"]] if has_ema else [models["raw"]]
    common = dict(lanes=lanes_all, styles=styles, presenter=presenter)
    charts = [
        (
            "tr_chart_loss",
            steps("train_loss", beta=beta, positive=options["log_loss"]),
            view.line_spec(
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
            view.epoch_spec(
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
            view.line_spec(
                title=t("tr.chart.lr"), x_title=x_title, y_title=t("tr.y.lr"), log_y=True, **common
            ),
        ),
        (
            "tr_chart_val_loss",
            epochs_frame,
            view.epoch_spec(
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
            view.line_spec(
                title=t("tr.chart.grad"), x_title=x_title, y_title=t("tr.y.grad"), log_y=True, **common
            ),
        ),
        (
            "tr_chart_ratio",
            steps("update_ratio", positive=True),
            view.line_spec(
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
    rows = [row for m, ls, _ in parts for row in view.lane_summary(m, ls)]
    seconds = [0.0 if math.isnan(r["optimizer_time"]) else r["optimizer_time"] for r in rows]
    timing = pd.DataFrame({"lane": [r["lane"] for r in rows], "seconds": seconds})
    time_col, table_col = (st.container(), st.container()) if presenter else st.columns([2, 3], gap="medium")
    time_spec = view.time_spec(title=t("tr.chart.time"), x_title=t("tr.x.seconds"), **common)
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
