"""The open run on the Training page: its header (Stop, Resume, Close), the display options, and the live
part (status line, charts) in a fragment that polls the run store while the run is queued or running."""

from __future__ import annotations

import dataclasses
import math
import time

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.shared.run_access import access, claim, policy, say, show_notice, visible
from app.shared.run_access import register as register_access
from app.shared.schedule_controls import schedule_label
from app.shared.settings import Setting, current
from app.views.training.best_weights import best_weights_panel
from app.views.training.charts import draw_charts
from app.views.training.frames import (
    LaneView,
    lane_steps_per_epoch,
    lane_summary,
    progress,
    run_elapsed,
    run_lanes,
    total_steps,
)
from app.views.training.landscape import landscape_panel
from app.views.training.resources import job_manager, run_data
from app.views.training.session import forget_metrics, metrics_of, presenter
from app.views.training.tables import dataset_label, error_line, run_label
from app.views.training.wording import counted
from optim_core.training.ownership import NotAllowed, QuotaExceeded
from optim_core.training.statuses import RESUMABLE, STATUSES, TERMINAL
from optim_core.training.store import RunNotFound, RunRecord

X_UNITS = ("step", "epoch", "seconds")  # the curves' horizontal axis: seconds of training, for a sweep
POLL_S = 1.5  # how often the run view reads new metrics while the run is queued or running
STATUS_COLOURS = {
    "queued": "gray",
    "running": "blue",
    "finished": "green",
    "stopped": "orange",
    "interrupted": "orange",
    "failed": "red",
}


@dataclasses.dataclass(frozen=True)
class ShownRun:
    """What the live part draws of the open run, as the last full rerun read it."""

    lanes: list[LaneView]
    n_epochs: int
    totals: dict[str, int]  # optimizer steps per lane in the whole run (empty without the data's size)
    per_epoch: dict[str, int] | None  # optimizer steps per epoch per lane (None: no epoch axis)
    compare: RunRecord | None  # the run overlaid on this one
    options: dict  # beta (smoothing), x_unit (one of X_UNITS), log_loss, n_train (None: unknown)


def status_texts() -> dict[str, str]:
    """Each status in the page's language."""
    return {s: t(f"tr.status.{s}") for s in STATUSES}


def open_run() -> RunRecord | None:
    """The run the URL names (run=<id>, and key=<its key> for its owner); one that is gone, or that the
    operator's visibility hides from this session, is the same warning, and the URL forgets it."""
    register_access()
    show_notice()
    run_id = int(st.session_state["run"])
    try:
        record = job_manager().store.get_run(run_id) if run_id else None
    except RunNotFound:
        record = None
    if record is not None:
        claim(record)
        if policy().may_view(record.owner, access()):
            return record
    if run_id:
        st.warning(t("tr.run_missing", id=run_id), icon=":material/link_off:")
    st.session_state["run"], st.session_state["key"] = 0, ""
    return None


def run_panel(record: RunRecord | None) -> None:
    """The open run, or a note that none is open."""
    if record is None:
        current().register(Setting("cmp", "int", 0, "tr.cmp", low=0, high=10**12))  # for when a run opens
        st.divider()
        st.info(t("tr.no_run"), icon=":material/model_training:")
    else:
        st.divider()
        run_header(record)
        shown = shown_run(record)
        polling = record.status not in TERMINAL
        st.fragment(live_run, run_every=POLL_S if polling else None)(record.id, polling, shown)
        best_weights_panel(record)
        landscape_panel(record)  # the checks of an ended run, the loss landscape of a finished one


def stop_run(run: int) -> None:
    """Stop's on_click: the job manager checks, at the action, that this session controls the run."""
    try:
        job_manager().stop(run, access())
    except NotAllowed:
        say(t("own.refused", id=run))
    except RunNotFound:  # deleted meanwhile: the rerun says the run is gone
        pass


def resume_run(run: int) -> None:
    try:
        job_manager().resume(run, access(), policy())
    except NotAllowed:
        say(t("own.refused", id=run))
    except RunNotFound:
        pass
    except QuotaExceeded as hit:
        say(t(f"own.quota.{hit.kind}", limit=hit.limit))
    else:
        forget_metrics(run)  # its steps after the checkpoint are redone


def close_run() -> None:
    st.session_state["run"], st.session_state["key"] = 0, ""


def run_header(record: RunRecord) -> None:
    """The run's title and caption; Stop (queued, running) or Resume (stopped, interrupted, failed); Close."""
    # the buttons' columns fit "Resume" at presenter size on a 1280 px projector (1.3 cut "Close" to "Clo…")
    head_col, action_col, close_col = st.columns([4, 1.6, 1.6], vertical_alignment="center")
    head_col.subheader(t("tr.run_title", id=record.id, dataset=dataset_label(record.config)))
    controls = access().controls(record.owner)  # else view only: the job manager refuses its actions too
    if controls and record.status not in TERMINAL:
        action_col.button(
            t("tr.stop"),
            icon=":material/stop:",
            key="tr_stop",
            on_click=stop_run,
            args=(record.id,),
            width="stretch",
            disabled=bool(record.stop_requested),
        )
    elif controls and record.status in RESUMABLE:
        action_col.button(
            t("tr.resume"),
            icon=":material/replay:",
            key="tr_resume",
            on_click=resume_run,
            args=(record.id,),
            width="stretch",
            help=t("tr.resume_help"),
        )
    close_col.button(
        t("tr.close"),
        icon=":material/close:",
        key="tr_close",
        on_click=close_run,
        width="stretch",
    )
    head_col.caption(run_caption(record.config))
    if not controls:
        head_col.caption(t("own.view_only"))


def n_train_of(config: dict) -> int | None:
    """The run's training images (None when its data cannot be read now, e.g. a path gone since)."""
    info = run_data(config)
    return None if info is None else info["n_train"]


def shown_run(record: RunRecord) -> ShownRun:
    """The display options (outside the fragment: a change is a full run, so the URL follows), and what
    the live part needs of the run and the one compared with it."""
    state = current()
    lanes = run_lanes(record.config, optimizer_label)
    n_train = n_train_of(record.config)
    totals = total_steps(record.config, lanes, n_train) if n_train else {}
    # two rows of two: four abreast cut "Log-scale loss" to "Log-s…" at 1280 px, and the axis choices wrap
    option_cols = [*st.columns(2, gap="large"), *st.columns(2, gap="large")]
    beta = state.widget(
        Setting(
            "smooth",
            "float",
            0.6,
            "tr.smooth",
            low=0.0,
            high=0.99,
            step=0.01,
            widget="slider",
            help="tr.smooth_help",
        ),
        option_cols[0],
        format="%.2f",
    )
    x_unit = state.widget(
        Setting(
            "xaxis",
            "choice",
            "step",
            "tr.xaxis",
            choices=X_UNITS,
            format={u: t(f"tr.x.{u}") for u in X_UNITS}.get,
            widget="radio",
        ),
        option_cols[1],
    )
    log_loss = state.widget(
        Setting("logloss", "bool", False, "tr.logloss", help="tr.logloss_help"), option_cols[2]
    )
    others = [r for r in visible(job_manager().store.list_runs(limit=200)) if r.id != record.id]
    cmp_choices = (0, *(r.id for r in others))
    # labels without the status: a select box keeps the label it first showed while the status moves on
    cmp_labels = {0: t("tr.cmp.none"), **{r.id: run_label(r, optimizer_label) for r in others}}
    compare_id = state.widget(
        Setting("cmp", "choice", 0, "tr.cmp", choices=cmp_choices, format=cmp_labels.get), option_cols[3]
    )
    per_epoch = lane_steps_per_epoch(record.config, lanes, n_train)
    if x_unit == "epoch" and per_epoch is None:
        st.caption(t("tr.no_epoch_axis"))
        x_unit = "step"
    return ShownRun(
        lanes=lanes,
        n_epochs=int(record.config.get("epochs", 1)),
        totals=totals,
        per_epoch=per_epoch,
        compare=next((r for r in others if r.id == compare_id), None),
        options={"beta": beta, "x_unit": x_unit, "log_loss": log_loss, "n_train": n_train},
    )


def live_run(run: int, polling: bool, shown: ShownRun) -> None:
    """The status line and the charts, from the metrics read so far plus the new ones (a fragment)."""
    try:
        now = job_manager().store.get_run(run)
    except RunNotFound:
        st.rerun()
    if polling and now.status in TERMINAL:
        st.rerun()  # finished: a full run swaps Stop for Resume and ends the polling
    metrics = metrics_of(run, polling)
    elapsed = status_line(now, metrics, shown.totals, shown.lanes, shown.n_epochs)
    if now.status == "queued" and metrics.empty:
        return
    parts = [(metrics, shown.lanes, shown.per_epoch)]
    compare = shown.compare
    if compare is not None:
        compare_lanes = run_lanes(compare.config, optimizer_label, prefix=f"#{compare.id} ")
        own = [dataclasses.replace(lane, label=f"#{run} {lane.label}") for lane in shown.lanes]
        parts = [
            (metrics, own, shown.per_epoch),
            (
                metrics_of(compare.id, polling),
                compare_lanes,
                lane_steps_per_epoch(compare.config, compare_lanes, n_train_of(compare.config)),
            ),
        ]
        if shown.options["x_unit"] == "epoch" and parts[1][2] is None:
            parts = parts[:1]
    draw_charts(parts, shown.options, presenter(), elapsed)


def run_caption(config: dict) -> str:
    """The run's loop and the tricks it used, in one line."""
    parts = [
        counted(
            "tr.cap.loop",
            config.get("epochs"),
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
        parts.append(t("tr.cap.schedule", name=schedule_label_or_name(config["schedule"])))
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
    if config.get("residual"):
        parts.append(t("mt.cap.residual"))
    if config.get("drop_path"):
        parts.append(t("mt.cap.drop_path", value=f"{config['drop_path']:g}"))
    return " · ".join(parts)


def status_line(record: RunRecord, metrics, totals: dict, lanes: list[LaneView], n_epochs: int) -> str:
    """Status, queue position or progress, in the language of the page; `lanes` are the run's. Returns
    the run's elapsed seconds as shown (the charts' caption repeats it)."""
    status = record.status
    st.badge(status_texts()[status], color=STATUS_COLOURS[status])
    summary = record.summary or {}
    rows = lane_summary(metrics, lanes)
    recorded = [r["elapsed"] for r in rows if not math.isnan(r["elapsed"])]
    elapsed = run_elapsed(record, recorded, time.time())
    elapsed_text = f"{elapsed:.1f}" if elapsed is not None else "—"
    if status == "queued":
        jobs = job_manager()
        position = jobs.queue_position(record.id)
        st.info(
            t("tr.queued", position=position or "?", running=jobs.store.count_running()),
            icon=":material/hourglass_top:",
        )
        return elapsed_text
    epoch = max((r["epoch"] for r in rows), default=0)
    if status == "finished":
        fraction = 1.0
    else:  # without the dataset's size (a path gone since), count whole epochs
        fraction = progress(metrics, totals) if totals else epoch / max(1, n_epochs)
    st.progress(
        min(1.0, fraction),
        text=t(
            "tr.progress", epoch=epoch, epochs=n_epochs, percent=f"{100 * fraction:.0f}", elapsed=elapsed_text
        ),
    )
    if status == "finished":
        done = summary.get("epochs_completed", epoch)
        st.success(
            counted("tr.finished", done, epochs=done, elapsed=elapsed_text),
            icon=":material/check_circle:",
        )
    elif status == "stopped":
        st.info(t("tr.stopped", epoch=summary.get("epochs_completed", epoch)), icon=":material/pause_circle:")
    elif status == "interrupted":
        st.warning(t("tr.interrupted", error=literal(error_line(record.error))), icon=":material/warning:")
    elif status == "failed":
        st.error(t("tr.failed", error=literal(error_line(record.error))), icon=":material/error:")
    elif record.stop_requested:
        st.caption(t("tr.stopping"))
    return elapsed_text


def schedule_label_or_name(name: str) -> str:
    """The schedule's translated label; a stored name this version no longer knows, as stored."""
    try:
        return schedule_label(name)
    except (KeyError, ValueError):
        return literal(name)
