"""Live training: several optimizers train one small CNN from the same weights on the same batches.

settings (sidebar, every one in the URL) -> RunConfig -> JobManager (worker processes, queued in SQLite)
-> RunStore metrics -> an st.fragment that polls new rows -> Vega-Lite charts updated in place.

The browser holds nothing a run needs: the run id is in the URL (run=<id>), its status and metrics are
in the run store, so a refresh, a closed tab or a restarted server loses nothing (a restart queues the
running runs again and continues them from their checkpoints).

URL keys are this page's own, none means what another page's key of the same name means:
data, path, upload, img, val, subset (data); width, bn, dropout, dropout_p, device (model); epochs, bs,
rseed (loop); lanes and per lane l<i> (optimizer) plus l<i>_<hyperparameter> (l1_lr, l1_momentum,
l1_betas1, ...); decay, decay_mode, clipping, max_norm, warmup, lrs + lrs_<param> (schedule), lrs_unit,
wema, wema_decay, accum, early, patience, keep_best (tricks); sweep, sweep_sizes; lrt_lane, lrt_steps
(LR range test); run, cmp, smooth, xaxis (the run on screen).
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import streamlit as st

from app.shared import theme
from app.shared.controls import gather_hyperparams, slot_settings
from app.shared.i18n import pick, t
from app.shared.schedule_controls import read_schedule
from app.shared.settings import Setting, current
from app.views.training import figures as view
from app.views.training import run_panel as run_view
from app.views.training.resources import (
    device_text,
    job_manager,
    lr_range_pool,
    lr_range_results,
    parameter_count,
    probe,
    receive_upload,
    upload_info,
    uploads_dir,
)
from optim_core.optimizers import RULES, optimizer_names
from optim_core.training.config import WEIGHT_DECAY_MODES, ConfigError, RunConfig
from optim_core.training.data import DataError
from optim_core.training.device import DEVICE_CHOICES
from optim_core.training.store import RunNotFound, default_runs_dir
from optim_core.training.trainer import make_lr_fn
from optim_core.training.variants import CNN_DEFAULT_LR

DATA_CHOICES = ("digits", "auto", "idx", "cifar10", "folder", "food11", "upload")
PATH_SOURCES = ("auto", "idx", "cifar10", "folder", "food11")
RESIZED = ("auto", "folder", "food11", "upload")  # formats whose images can be resized
DEFAULT_LANES = ("sgd", "momentum", "adam", "rmsprop", "adamw", "nadam")
MAX_LANES = 6
LR_LOW = 1e-5  # the Playground's LR range starts at 1e-4; a CNN with Adam may want less
POLL_S = 1.5  # how often the run view reads new metrics while the run is queued or running
UPLOAD_ID = re.compile(r"^[0-9a-f]{16}$")
MAX_LR_RESULTS = 32
state = current()
presenter = bool(st.session_state.get("present", False))


def optimizer_label(name: str) -> str:
    return pick(RULES[name].label)


# ---- per-lane settings: the Playground's slot_settings, under keys of this page ----------------------
def snap_lr(setting: Setting, lr: float) -> float:
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
                default=snap_lr(wider, CNN_DEFAULT_LR.get(name, 1e-3)),
                label="tr.lr",
                help="tr.lr_help",
            )
        settings.append(setting)
    return settings


def forget_prefix(prefix: str, keep: str = "") -> None:
    """A changed optimizer starts from its own defaults: drop the lane's old values everywhere they live."""
    url_state = current()
    for key in [k for k in list(st.session_state) if str(k).startswith(prefix) and k != keep]:
        del st.session_state[key]
        url_state.forget(key)
    for key in [k for k in st.query_params if k.startswith(prefix) and k != keep]:
        del st.query_params[key]


def set_value(key: str, value) -> None:
    st.session_state[key] = value


def shown_if(visible: bool, setting: Setting, where=None, **kwargs):
    """The widget when visible; otherwise the setting stays registered (its URL value kept, no notice)."""
    if visible:
        return state.widget(setting, where, **kwargs)
    state.register(setting)
    return None


st.title(t("tr.title"))
st.markdown(t("tr.lead"))
if presenter:  # the progress line and the select boxes' values at the size the shell gives other text
    st.html(
        "<style>[data-testid='stProgress'] p, [data-testid='stSelectbox'] input, .stMarkdownBadge"
        " { font-size: 1.25rem !important; }</style>"
    )

runs_dir = default_runs_dir()
jobs = job_manager(str(runs_dir))
store = jobs.store
store.mark_interrupted()  # a run whose worker is gone (a crash, a killed server) shows as interrupted
RUN = Setting("run", "int", 0, "tr.run", low=0, high=10**12)
state.register(RUN)  # first: Start sets it and reruns before the page reaches the run view
problems: list[str] = []  # why Start is disabled, each already shown on the page

# ---- setup: data ---------------------------------------------------------------------------------------
side = st.sidebar
with side.expander(t("tr.section.data"), expanded=True):
    data_choice = state.widget(
        Setting(
            "data",
            "choice",
            "digits",
            "tr.data",
            choices=DATA_CHOICES,
            format={d: t(f"tr.data.{d}") for d in DATA_CHOICES}.get,
            help="tr.data_help",
        )
    )
    upload_setting = Setting("upload", "text", "", "tr.upload_id", max_len=16)
    state.register(upload_setting)
    source, data_path = "digits", None
    path_text = shown_if(
        data_choice in PATH_SOURCES,
        Setting("path", "text", "", "tr.path", max_len=400, help="tr.path_help"),
        placeholder=t("tr.path_placeholder"),
    )
    if data_choice in PATH_SOURCES:
        source = data_choice
        data_path = path_text.strip() or None
    elif data_choice == "upload":
        source = "auto"
        uploaded = st.file_uploader(t("tr.upload"), type=["zip"], key="tr_zip", help=t("tr.upload_help"))
        if uploaded is not None:
            try:
                st.session_state["upload"] = receive_upload(uploaded.getvalue())
            except DataError as error:
                st.error(t("tr.upload_error", name=uploaded.name, error=error), icon=":material/error:")
                problems.append("upload")
        digest = st.session_state.get("upload", "")
        if UPLOAD_ID.match(digest or "") and (uploads_dir() / digest).is_dir():
            data_path = str(uploads_dir() / digest)
            unpacked = upload_info(digest)
            if unpacked is not None:
                text = t("tr.upload_done", files=unpacked["n_files"], skipped=unpacked["n_skipped"])
                if unpacked["n_skipped"]:
                    text += " " + t("tr.upload_skipped", examples=", ".join(unpacked["skipped_examples"]))
                st.caption(text)
        elif uploaded is None:
            st.caption(t("tr.upload_caption"))
    image_size = (
        shown_if(
            data_choice in RESIZED,
            Setting("img", "int", 0, "tr.img", low=0, high=128, step=4, help="tr.img_help"),
        )
        or None
    )
    val_fraction = state.widget(
        Setting(
            "val", "float", 0.2, "tr.val", low=0.05, high=0.5, step=0.05, widget="slider", help="tr.val_help"
        ),
        format="%.2f",
    )
    max_samples = (
        state.widget(
            Setting("subset", "int", 0, "tr.subset", low=0, high=100_000, step=100, help="tr.subset_help")
        )
        or None
    )

# ---- setup: model, loop --------------------------------------------------------------------------------
with side.expander(t("tr.section.model"), expanded=False):
    width = state.widget(
        Setting(
            "width",
            "float",
            1.0,
            "tr.width",
            low=0.25,
            high=4.0,
            step=0.25,
            widget="slider",
            help="tr.width_help",
        ),
        format="%.2f",
    )
    batch_norm = state.widget(Setting("bn", "bool", True, "tr.bn", help="tr.bn_help"))
    use_dropout = state.widget(Setting("dropout", "bool", False, "tr.dropout", help="tr.dropout_help"))
    dropout = (
        shown_if(
            use_dropout,
            Setting(
                "dropout_p", "float", 0.3, "tr.dropout_p", low=0.05, high=0.9, step=0.05, widget="slider"
            ),
            format="%.2f",
        )
        or 0.0
    )
    device = state.widget(
        Setting(
            "device",
            "choice",
            "auto",
            "tr.device",
            choices=DEVICE_CHOICES,
            format={d: t(f"tr.device.{d}") for d in DEVICE_CHOICES}.get,
        )
    )
with side.expander(t("tr.section.loop"), expanded=True):
    epochs = state.widget(Setting("epochs", "int", 10, "tr.epochs", low=1, high=500, help="tr.epochs_help"))
    batch_size = state.widget(Setting("bs", "int", 64, "tr.bs", low=1, high=8192, help="tr.bs_help"))
    seed = state.widget(Setting("rseed", "int", 0, "tr.seed", low=0, high=1_000_000, help="tr.seed_help"))

# ---- setup: optimizers -----------------------------------------------------------------------------
side.subheader(t("tr.section.optimizers"))
sweep = state.widget(Setting("sweep", "bool", False, "tr.sweep", help="tr.sweep_help"), side)
sweep_sizes = None
sizes_text = shown_if(
    sweep,
    Setting("sweep_sizes", "text", "8,64,512,full", "tr.sweep_sizes", max_len=80, help="tr.sweep_sizes_help"),
    side,
)
if sweep:
    side.caption(t("tr.sweep_caption"))
    try:
        sweep_sizes = view.parse_batch_sizes(sizes_text)
    except ValueError as error:
        side.error(t("tr.sweep_error", error=error), icon=":material/error:")
        problems.append("sweep")
n_lanes = (
    shown_if(not sweep, Setting("lanes", "int", 3, "tr.lanes", low=2, high=MAX_LANES, widget="slider"), side)
    or 1
)
lanes: list[tuple[str, dict]] = []
lane_lr_keys: list[str] = []
all_names = tuple(optimizer_names())
for i in range(1, n_lanes + 1):
    with side.expander(t("tr.lane", n=i), expanded=(i == 1)):
        name = state.widget(
            Setting(
                f"l{i}",
                "choice",
                DEFAULT_LANES[i - 1],
                "tr.optimizer",
                choices=all_names,
                format={n: optimizer_label(n) for n in all_names}.get,
            ),
            on_change=forget_prefix,
            args=(f"l{i}_",),
        )
        values = {}
        for setting in lane_settings(i, name):
            values[setting.key.split("_", 1)[1]] = state.widget(setting)
        lane_lr_keys.append(f"l{i}_lr")
        lanes.append((name, gather_hyperparams(name, values)))
for i in range(n_lanes + 1, MAX_LANES + 1):  # lanes out of view keep their URL values for when they return
    name = state.register(Setting(f"l{i}", "choice", DEFAULT_LANES[i - 1], "tr.optimizer", choices=all_names))
    for setting in lane_settings(i, name):
        state.register(setting)

# ---- setup: tricks ----------------------------------------------------------------------------------
with side.expander(t("tr.section.tricks"), expanded=False):
    weight_decay = state.widget(
        Setting("decay", "float", 0.0, "tr.decay", low=0.0, high=0.5, step=0.0001, help="tr.decay_help"),
        format="%.4f",
    )
    decay_mode = state.widget(
        Setting(
            "decay_mode",
            "choice",
            "l2",
            "tr.decay_mode",
            choices=WEIGHT_DECAY_MODES,
            format={m: t(f"tr.decay_mode.{m}") for m in WEIGHT_DECAY_MODES}.get,
            widget="radio",
            help="tr.decay_mode_help",
        )
    )
    clipping = state.widget(Setting("clipping", "bool", False, "tr.clipping", help="tr.clipping_help"))
    clip = shown_if(clipping, Setting("max_norm", "log", 10.0, "tr.max_norm", low=0.01, high=100.0))
    warmup = state.widget(
        Setting("warmup", "int", 0, "tr.warmup", low=0, high=100_000, step=10, help="tr.warmup_help")
    )
    st.caption(t("tr.schedule_caption"))
    try:
        schedule = read_schedule(state, "lrs_", st, key="lrs")
    except ValueError as error:
        st.error(t("tr.schedule_error", error=error), icon=":material/error:")
        schedule = None
        problems.append("schedule")
    schedule_unit = (
        shown_if(
            schedule is not None,
            Setting(
                "lrs_unit",
                "choice",
                "step",
                "tr.lrs_unit",
                choices=("step", "epoch"),
                format={u: t(f"tr.lrs_unit.{u}") for u in ("step", "epoch")}.get,
                widget="radio",
            ),
        )
        or "step"
    )
    use_ema = state.widget(Setting("wema", "bool", False, "tr.wema", help="tr.wema_help"))
    ema_decay = shown_if(
        use_ema,
        Setting("wema_decay", "float", 0.99, "tr.wema_decay", low=0.5, high=0.9999, step=0.0005),
        format="%.4f",
    )
    accumulation = state.widget(Setting("accum", "int", 1, "tr.accum", low=1, high=64, help="tr.accum_help"))
    early = state.widget(Setting("early", "bool", False, "tr.early", help="tr.early_help"))
    patience = shown_if(early, Setting("patience", "int", 3, "tr.patience", low=0, high=100))
    keep_best = state.widget(Setting("keep_best", "bool", True, "tr.keep_best", help="tr.keep_best_help"))

# ---- the config, checked -------------------------------------------------------------------------------
config_dict = dict(
    optimizers=view.optimizer_entries(lanes),
    dataset=source,
    data_path=data_path,
    image_size=image_size,
    val_fraction=val_fraction,
    max_samples=max_samples,
    epochs=epochs,
    batch_size=batch_size,
    batch_sizes=sweep_sizes,
    seed=seed,
    device=device,
    width=width,
    batch_norm=batch_norm,
    dropout=dropout,
    weight_decay=weight_decay,
    weight_decay_mode=decay_mode,
    clip_grad_norm=clip,
    warmup_steps=warmup,
    schedule=schedule[0] if schedule else None,
    schedule_kwargs=schedule[1] if schedule else {},
    schedule_unit=schedule_unit,
    ema_decay=ema_decay,
    accumulation_steps=accumulation,
    patience=patience,
    keep_best=keep_best,
)
summary = st.container()
info = None
if source != "digits" and data_path is None:
    summary.info(
        t("tr.need_upload" if data_choice == "upload" else "tr.need_path"), icon=":material/folder_open:"
    )
    problems.append("data")
else:
    try:
        with st.spinner(t("tr.loading_data")):
            info = probe(source, data_path, image_size, val_fraction, max_samples)
    except (DataError, OSError, ValueError) as error:
        summary.error(t("tr.data_error", error=error), icon=":material/error:")
        problems.append("data")
try:
    device_line = device_text(device)
except ValueError as error:
    summary.error(t("tr.device_error", error=error), icon=":material/error:")
    device_line = "—"
    problems.append("device")
try:
    config = RunConfig.from_dict(config_dict)
    if info is not None:  # a schedule the library refuses for this run's length fails now, not in the worker
        for lane in config.lanes():
            per_epoch = view.steps_per_epoch(info["n_train"], lane.batch_size, accumulation)
            lr_at = make_lr_fn(config, lane.hp["lr"], per_epoch)
            lr_at(epochs * per_epoch - 1, epochs)
except (ConfigError, ValueError) as error:
    summary.error(t("tr.config_error", error=error), icon=":material/error:")
    config = None
    problems.append("config")

n_models = len(sweep_sizes) if sweep_sizes else n_lanes
with summary.container(border=True):
    data_col, model_col, device_col = st.columns([5, 3, 4]) if not presenter else (st, st, st)
    if info is not None:
        data_col.markdown(
            t(
                "tr.data_line",
                name=info["name"],
                train=f"{info['n_train']:,}",
                val=f"{info['n_val']:,}",
                shape="×".join(map(str, info["shape"])),
                classes=info["classes"],
            )
        )
        if info["skipped"]:
            data_col.caption(t("tr.skipped", n=info["skipped"]))
        first_size = sweep_sizes[0] if sweep_sizes else batch_size
        per_epoch = view.steps_per_epoch(info["n_train"], first_size, accumulation)
        data_col.caption(t("tr.steps_line", per_epoch=per_epoch, total=per_epoch * epochs))
        count = parameter_count(info["shape"], info["classes"], width, batch_norm, dropout)
        model_col.markdown(t("tr.params_line", count=f"{count:,}", n=n_models))
    device_col.markdown(t("tr.device_line", device=device_line))
    device_col.caption(t("tr.workers_line", workers=jobs.max_workers, threads=jobs.torch_threads))

# ---- start -----------------------------------------------------------------------------------------------
start_col, queue_col = st.columns([1, 3], vertical_alignment="center")
if start_col.button(
    t("tr.start"),
    type="primary",
    icon=":material/play_arrow:",
    disabled=bool(problems),
    key="tr_start",
    width="stretch",
):
    try:
        run_id = jobs.submit(config)
    except (ConfigError, ValueError) as error:
        st.error(t("tr.config_error", error=error), icon=":material/error:")
    else:
        st.session_state["run"] = run_id
        st.session_state["cmp"] = 0
        st.rerun()
running, queued = store.count_running(), len(store.queued_ids())
queue_col.caption(t("tr.queue_line", running=running, queued=queued, workers=jobs.max_workers))

# ---- the LR range test -------------------------------------------------------------------------------
with st.expander(t("tr.lrt.title"), expanded=False):
    st.markdown(t("tr.lrt.lead"))
    lane_col, steps_col = st.columns(2)
    lane_choices = tuple(range(1, n_lanes + 1))
    lane_labels = {i: f"{i} · {optimizer_label(lanes[i - 1][0])}" for i in lane_choices}
    lrt_lane = state.widget(
        Setting("lrt_lane", "choice", 1, "tr.lrt.lane", choices=lane_choices, format=lane_labels.get),
        lane_col,
    )
    lrt_steps = state.widget(
        Setting("lrt_steps", "int", 100, "tr.lrt.steps", low=30, high=500, step=10, widget="slider"),
        steps_col,
    )
    lrt_name, lrt_hp = lanes[lrt_lane - 1]
    lrt_batch = sweep_sizes[0] if sweep_sizes and sweep_sizes[0] != "full" else batch_size
    params = {
        "dataset": source,
        "data_path": data_path,
        "image_size": image_size,
        "val_fraction": val_fraction,
        "max_samples": max_samples,
        "optimizer": lrt_name,
        "hp": {k: v for k, v in lrt_hp.items() if k != "lr"},
        "steps": lrt_steps,
        "batch_size": lrt_batch,
        "seed": seed,
        "width": width,
        "batch_norm": batch_norm,
        "device": device,
    }
    params_key = json.dumps(params, sort_keys=True, default=str)
    results, lock = lr_range_results()
    if st.button(
        t("tr.lrt.run"),
        icon=":material/troubleshoot:",
        key="tr_lrt_run",
        disabled="data" in problems or "device" in problems,
    ):
        with lock:
            previous = results.get(params_key)
            if previous is None or previous.done():
                results[params_key] = lr_range_pool().submit(view.run_lr_range, params)
            for key in [k for k, f in results.items() if f.done()][: max(0, len(results) - MAX_LR_RESULTS)]:
                del results[key]
    future = results.get(params_key)
    if future is None:
        st.caption(t("tr.lrt.none"))
    elif not future.done():

        @st.fragment(run_every=1.0)
        def wait_for_lr_range(future: Future) -> None:
            if future.done():
                st.rerun()
            st.info(t("tr.lrt.running", name=optimizer_label(lrt_name)), icon=":material/hourglass_top:")

        wait_for_lr_range(future)
    else:
        try:
            result = future.result()
        except Exception as error:  # noqa: BLE001 - DataError, a dead process: shown, never a traceback
            if isinstance(error, BrokenProcessPool):  # the test's process died: the next one gets a new pool
                lr_range_pool.clear()
            st.error(
                t("tr.lrt.error", error=view.error_line(str(error)) or type(error).__name__),
                icon=":material/error:",
            )
        else:
            lr_setting = next(s for s in lane_settings(lrt_lane, lrt_name) if s.key.endswith("_lr"))
            suggested = snap_lr(lr_setting, result["suggested_lr"])
            spec = view.lr_range_spec(
                title=t("tr.lrt.chart", name=optimizer_label(lrt_name)),
                x_title=t("tr.lrt.x"),
                y_title=t("tr.lrt.y"),
                raw=t("tr.lrt.raw"),
                smoothed=t("tr.lrt.smoothed"),
                suggestion=result["suggested_lr"],
                suggestion_label=t("tr.lrt.suggested_mark", lr=f"{result['suggested_lr']:.2g}"),
                colour=theme.optimizer_colour(lrt_name),
                presenter=presenter,
            )
            st.container(key="tr_lrt_chart_box").vega_lite_chart(
                view.lr_range_frame(result),
                {**spec, "name": "tr_lrt_chart"},
                width="stretch",
                theme=None,
                key="tr_lrt_chart",
            )
            st.markdown(
                t(
                    "tr.lrt.result",
                    suggested=f"{result['suggested_lr']:.3g}",
                    min_over_10=f"{result['min_over_10']:.3g}",
                    snapped=f"{suggested:g}",
                )
            )
            if result["diverged"]:
                st.caption(t("tr.lrt.diverged"))
            st.button(
                t("tr.lrt.use", lr=f"{suggested:g}", n=lrt_lane),
                key="tr_lrt_use",
                icon=":material/input:",
                on_click=set_value,
                args=(lane_lr_keys[lrt_lane - 1], suggested),
            )

# ---- the open run --------------------------------------------------------------------------------------
run_id = int(st.session_state["run"])
record = None
if run_id:
    try:
        record = store.get_run(run_id)
    except RunNotFound:
        st.warning(t("tr.run_missing", id=run_id), icon=":material/link_off:")
        st.session_state["run"] = 0
        run_id = 0

status_text = run_view.status_texts()


def metrics_of(run: int):
    """The run's metrics: what this session read before plus the rows written since."""
    cache = st.session_state.setdefault("_tr_metrics", {})
    since, frame = cache.get(run, (0, None))
    new = store.read_metrics(run, since_row=since)
    if len(new):
        since, frame = int(new["row"].max()), view.merge_metrics(frame, new)
    elif frame is None:
        frame = view.empty_metrics()
    cache[run] = (since, frame)
    return frame


def n_train_of(config: dict) -> int | None:
    try:
        return probe(
            config.get("dataset", "digits"),
            config.get("data_path"),
            config.get("image_size"),
            config.get("val_fraction", 0.2),
            config.get("max_samples"),
        )["n_train"]
    except (DataError, OSError, ValueError):
        return None


def run_label(record) -> str:
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
    return f"#{record.id} · {view.run_optimizers(record.config, optimizer_label)} · {created}"


def stop_run(run: int) -> None:
    jobs.stop(run)


def resume_run(run: int) -> None:
    jobs.resume(run)
    st.session_state.get("_tr_metrics", {}).pop(run, None)  # its steps after the checkpoint are redone


if record is not None:
    st.divider()
    head_col, action_col, close_col = st.columns([6, 1.3, 1.3], vertical_alignment="center")
    head_col.subheader(t("tr.run_title", id=record.id, dataset=view.dataset_label(record.config)))
    if record.status in view.ACTIVE:
        action_col.button(
            t("tr.stop"),
            icon=":material/stop:",
            key="tr_stop",
            on_click=stop_run,
            args=(record.id,),
            width="stretch",
            disabled=bool(record.stop_requested),
        )
    elif record.status in view.RESUMABLE:
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
        on_click=set_value,
        args=("run", 0),
        width="stretch",
    )
    head_col.caption(run_view.run_caption(record.config))
    lanes_of_run = view.run_lanes(record.config, optimizer_label)
    n_epochs = int(record.config.get("epochs", 1))
    n_train = n_train_of(record.config)
    totals = view.total_steps(record.config, lanes_of_run, n_train) if n_train else {}

    # display options (outside the fragment: a change is a full run, so the URL follows)
    # on a projector two rows of two: presenter-sized labels do not fit four abreast
    option_cols = (
        [*st.columns(2, gap="large"), *st.columns(2, gap="large")]
        if presenter
        else st.columns([3, 2, 1.6, 3], vertical_alignment="bottom", gap="medium")
    )
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
            choices=("step", "epoch"),
            format={u: t(f"tr.x.{u}") for u in ("step", "epoch")}.get,
            widget="radio",
        ),
        option_cols[1],
    )
    log_loss = state.widget(
        Setting("logloss", "bool", False, "tr.logloss", help="tr.logloss_help"), option_cols[2]
    )
    others = [r for r in store.list_runs(limit=200) if r.id != record.id]
    cmp_choices = (0, *(r.id for r in others))
    # labels without the status: a select box keeps the label it first showed while the status moves on
    cmp_labels = {0: t("tr.cmp.none"), **{r.id: run_label(r) for r in others}}
    compare_id = state.widget(
        Setting("cmp", "choice", 0, "tr.cmp", choices=cmp_choices, format=cmp_labels.get), option_cols[3]
    )
    compare = next((r for r in others if r.id == compare_id), None)

    def per_epoch_of(config: dict, lanes_: list, n: int | None) -> dict | None:
        if not n:
            return None
        acc = int(config.get("accumulation_steps", 1))
        return {lane.key: view.steps_per_epoch(n, lane.batch_size, acc) for lane in lanes_}

    per_epoch_main = per_epoch_of(record.config, lanes_of_run, n_train)
    if x_unit == "epoch" and per_epoch_main is None:
        st.caption(t("tr.no_epoch_axis"))
        x_unit = "step"
    polling = record.status in view.ACTIVE

    @st.fragment(run_every=POLL_S if polling else None)
    def live(run: int, polling: bool) -> None:
        try:
            now = store.get_run(run)
        except RunNotFound:
            st.rerun()
        if polling and now.status not in view.ACTIVE:
            st.rerun()  # finished: a full run swaps Stop for Resume and ends the polling
        metrics = metrics_of(run)
        run_view.status_line(now, metrics, totals, lanes_of_run, n_epochs, jobs)
        if now.status == "queued" and metrics.empty:
            return
        parts = [(metrics, lanes_of_run, per_epoch_main)]
        if compare is not None:
            prefix = f"#{compare.id} "
            compare_lanes = view.run_lanes(compare.config, optimizer_label, prefix=prefix)
            own = [dataclasses.replace(lane, label=f"#{run} {lane.label}") for lane in lanes_of_run]
            parts = [
                (metrics, own, per_epoch_main),
                (
                    metrics_of(compare.id),
                    compare_lanes,
                    per_epoch_of(compare.config, compare_lanes, n_train_of(compare.config)),
                ),
            ]
            if x_unit == "epoch" and parts[1][2] is None:
                parts = parts[:1]
        run_view.draw_charts(parts, {"beta": beta, "x_unit": x_unit, "log_loss": log_loss}, presenter)

    live(record.id, polling)
else:
    state.register(Setting("cmp", "int", 0, "tr.cmp", low=0, high=10**12))  # kept for when a run opens
    st.divider()
    st.info(t("tr.no_run"), icon=":material/model_training:")

# keep only the open runs' metrics in this session
cached = st.session_state.get("_tr_metrics", {})
for stale in [k for k in cached if k not in (run_id, st.session_state.get("cmp", 0))]:
    del cached[stale]

# ---- history ---------------------------------------------------------------------------------------------
st.divider()
st.subheader(t("tr.history"))
records = store.list_runs(limit=200)
if not records:
    st.caption(t("tr.history_empty"))
else:
    columns = {
        c: t(f"tr.hist.{c}")
        for c in ("run", "status", "created", "dataset", "optimizers", "epochs", "accuracy")
    }
    widths = {
        "run": 60,
        "status": 100,
        "created": 140,
        "dataset": 110,
        "optimizers": 300,
        "epochs": 70,
        "accuracy": "large",
    }  # pixels: the lists of optimizers and accuracies get the room
    st.dataframe(
        view.history_frame(records, columns, status_text, optimizer_label),
        hide_index=True,
        width="stretch",
        key="tr_history_table",
        height=min(400, 38 + 35 * len(records)),
        column_config={columns[c]: st.column_config.Column(width=w) for c, w in widths.items()},
    )
    ids = [r.id for r in records]
    labels = {r.id: run_label(r) for r in records}
    default_pick = run_id if run_id in ids else ids[0]
    if st.session_state.get("tr_pick") not in ids:
        st.session_state["tr_pick"] = default_pick
    pick_col, open_col, cmp_col, csv_col, del_col = st.columns([4, 1, 1, 1, 1], vertical_alignment="bottom")
    picked = pick_col.selectbox(t("tr.hist.pick"), ids, format_func=labels.get, key="tr_pick")
    picked_record = next(r for r in records if r.id == picked)
    open_col.button(
        t("tr.hist.open"),
        key="tr_open",
        icon=":material/open_in_new:",
        on_click=set_value,
        args=("run", picked),
        width="stretch",
        disabled=picked == run_id,
    )
    cmp_col.button(
        t("tr.hist.compare"),
        key="tr_compare",
        icon=":material/compare_arrows:",
        on_click=set_value,
        args=("cmp", picked),
        width="stretch",
        disabled=not run_id or picked == run_id,
        help=t("tr.hist.compare_help"),
    )
    csv_col.download_button(
        t("tr.hist.csv"),
        data=lambda run=picked: store.export_csv(run),
        file_name=f"run-{picked}-metrics.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="tr_csv",
        width="stretch",
    )

    def delete_run(run: int) -> None:
        store.delete_run(run)
        for key in ("run", "cmp"):
            if st.session_state.get(key) == run:
                st.session_state[key] = 0
        st.session_state.get("_tr_metrics", {}).pop(run, None)
        st.session_state.pop("tr_pick", None)

    active = picked_record.status in view.ACTIVE
    with del_col.popover(
        t("tr.hist.delete"),
        icon=":material/delete:",
        disabled=active,
        width="stretch",
        help=t("tr.hist.delete_active") if active else None,
    ):
        st.markdown(t("tr.hist.delete_confirm", id=picked))
        st.button(
            t("tr.hist.delete_yes", id=picked),
            key="tr_delete",
            type="primary",
            on_click=delete_run,
            args=(picked,),
        )
