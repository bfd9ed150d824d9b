"""The Training page's sidebar: data, model, loop, optimizers and tricks, read into a RunConfig's fields.

setup_sidebar() draws the widgets (every one in the URL) and returns plain values: a RunDraft (the fields
RunConfig.from_dict takes, not yet checked) and the problems found so far. A problem is the name of what
keeps Start disabled ("path", "upload", "sweep", "schedule"; the summary adds "data", "device",
"config"); its message is already on the page where the problem is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from app.shared.controls import gather_hyperparams
from app.shared.i18n import STRINGS, t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.shared.schedule_controls import read_schedule
from app.shared.settings import Setting, current
from app.views.training.lane_settings import (
    DEFAULT_LANES,
    MAX_LANES,
    lane_settings,
    optimizer_entries,
    parse_batch_sizes,
)
from app.views.training.resources import receive_upload, upload_dir, upload_info
from optim_core.optimizers import optimizer_names
from optim_core.schedules import PLATEAU
from optim_core.training.config import SCHEDULE_UNITS, WEIGHT_DECAY_MODES
from optim_core.training.data.dataset import DataError
from optim_core.training.data.roots import data_root, resolve_data_path
from optim_core.training.device import DEVICE_CHOICES

DATA_CHOICES = ("digits", "auto", "idx", "cifar10", "folder", "food11", "upload")
PATH_SOURCES = ("auto", "idx", "cifar10", "folder", "food11")
RESIZED = ("auto", "folder", "food11", "upload")  # formats whose images can be resized


@dataclass(frozen=True)
class RunDraft:
    """What the sidebar says, before it is checked."""

    fields: dict[str, Any]  # RunConfig.from_dict's input
    data_choice: str  # the data select box's value: "upload" reads an unpacked zip (fields say "auto")


def shown_if(visible: bool, setting: Setting, where=None, **kwargs):
    """The widget when visible; otherwise the setting stays registered (its URL value kept, no notice)."""
    state = current()
    if visible:
        return state.widget(setting, where, **kwargs)
    state.register(setting)
    return None


def setup_sidebar() -> tuple[RunDraft, list[str]]:
    """Draw the sidebar; its values as a RunDraft, and the problems it found."""
    problems: list[str] = []
    side = st.sidebar
    with side.expander(t("tr.section.data"), expanded=True):
        data_choice, data = data_section(problems)
    with side.expander(t("tr.section.model"), expanded=False):
        model = model_section()
    with side.expander(t("tr.section.loop"), expanded=True):
        loop = loop_section()
    optimizers, sweep_sizes = optimizer_sections(problems)
    with side.expander(t("tr.section.tricks"), expanded=False):
        tricks = tricks_section(problems)
    fields = dict(optimizers=optimizers, **data, **loop, batch_sizes=sweep_sizes, **model, **tricks)
    return RunDraft(fields, data_choice), problems


def data_section(problems: list[str]) -> tuple[str, dict]:
    """Where the images come from (a built-in set, a folder in the data root, an uploaded zip) and how many.

    Server folders are offered only when the operator set a data root (OPTIM_LAB_DATA_ROOT); a link that
    names one without it falls back to the digits with a notice."""
    state = current()
    root = data_root()
    choices = DATA_CHOICES if root is not None else tuple(d for d in DATA_CHOICES if d not in PATH_SOURCES)
    if root is None and st.query_params.get("data") in PATH_SOURCES:
        state.notices.append(t("up.folders_off_link", source=literal(st.query_params["data"])))
        del st.query_params["data"]
    data_choice = state.widget(
        Setting(
            "data",
            "choice",
            "digits",
            "tr.data",
            choices=choices,
            format={d: t(f"tr.data.{d}") for d in choices}.get,
            help="tr.data_help" if root is not None else "up.data_help_no_root",
        )
    )
    state.register(Setting("upload", "text", "", "tr.upload_id", max_len=16))
    source, data_path = "digits", None
    path_text = shown_if(
        data_choice in PATH_SOURCES,
        Setting("path", "text", "", "up.path", max_len=400, help="up.path_help"),
        placeholder=t("up.path_placeholder"),
    )
    if data_choice in PATH_SOURCES:
        source = data_choice
        if path_text.strip():
            try:
                data_path = str(resolve_data_path(path_text, root))
            except DataError as error:
                st.error(data_error_text(error), icon=":material/error:")
                problems.append("path")
    elif data_choice == "upload":
        source = "auto"
        data_path = upload_section(problems)
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
    return data_choice, dict(
        dataset=source,
        data_path=data_path,
        image_size=image_size,
        val_fraction=val_fraction,
        max_samples=max_samples,
    )


def upload_section(problems: list[str]) -> str | None:
    """The zip uploader; the path of the unpacked upload the URL names (upload=<digest>), if it is here."""
    uploaded = st.file_uploader(t("tr.upload"), type=["zip"], key="tr_zip", help=t("tr.upload_help"))
    if uploaded is not None:
        try:
            st.session_state["upload"] = receive_upload(uploaded)
        except DataError as error:
            st.error(
                t("tr.upload_error", name=literal(uploaded.name), error=data_error_text(error)),
                icon=":material/error:",
            )
            problems.append("upload")
    path = upload_dir(st.session_state.get("upload", ""))
    if path is not None:
        unpacked = upload_info(path)
        if unpacked is not None:
            text = t("tr.upload_done", files=unpacked["n_files"], skipped=unpacked["n_skipped"])
            if unpacked["n_skipped"]:
                text += " " + t("tr.upload_skipped", examples=", ".join(unpacked["skipped_examples"]))
            st.caption(text)
        return str(path)
    if uploaded is None:
        st.caption(t("tr.upload_caption"))
    return None


def data_error_text(error: DataError) -> str:
    """A DataError for the screen: translated when the library named its reason, else its text; escaped."""
    key = f"up.err.{error.reason}"
    if error.reason is None or key not in STRINGS:
        return literal(error)
    return t(key, **{k: literal(v) for k, v in error.values.items()})


def model_section() -> dict:
    """The CNN's width, batch norm, dropout, residual blocks and drop path, and the device it trains on."""
    state = current()
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
    residual = state.widget(Setting("residual", "bool", False, "mt.residual", help="mt.residual_help"))
    drop_path = (
        shown_if(
            residual,
            Setting(
                "drop_path",
                "float",
                0.1,
                "mt.drop_path",
                low=0.0,
                high=0.8,
                step=0.05,
                widget="slider",
                help="mt.drop_path_help",
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
    return dict(
        device=device,
        width=width,
        batch_norm=batch_norm,
        dropout=dropout,
        residual=residual,
        drop_path=drop_path,
    )


def loop_section() -> dict:
    """Epochs, the (micro-)batch size and the seed."""
    state = current()
    epochs = state.widget(Setting("epochs", "int", 10, "tr.epochs", low=1, high=500, help="tr.epochs_help"))
    batch_size = state.widget(Setting("bs", "int", 64, "tr.bs", low=1, high=8192, help="tr.bs_help"))
    seed = state.widget(Setting("rseed", "int", 0, "tr.seed", low=0, high=1_000_000, help="tr.seed_help"))
    return dict(epochs=epochs, batch_size=batch_size, seed=seed)


def optimizer_sections(problems: list[str]) -> tuple[list[dict], list[int | str] | None]:
    """One expander per lane (or, for a batch-size sweep, one optimizer and the sizes): RunConfig's
    optimizers and batch_sizes."""
    state = current()
    side = st.sidebar
    side.subheader(t("tr.section.optimizers"))
    sweep = state.widget(Setting("sweep", "bool", False, "tr.sweep", help="tr.sweep_help"), side)
    sweep_sizes = None
    sizes_text = shown_if(
        sweep,
        Setting(
            "sweep_sizes", "text", "8,64,512,full", "tr.sweep_sizes", max_len=80, help="tr.sweep_sizes_help"
        ),
        side,
    )
    if sweep:
        side.caption(t("tr.sweep_caption"))
        try:
            sweep_sizes = parse_batch_sizes(sizes_text)
        except ValueError as error:
            side.error(t("tr.sweep_error", error=literal(error)), icon=":material/error:")
            problems.append("sweep")
    n_lanes = (
        shown_if(
            not sweep, Setting("lanes", "int", 3, "tr.lanes", low=2, high=MAX_LANES, widget="slider"), side
        )
        or 1
    )
    lanes: list[tuple[str, dict]] = []
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
                on_change=state.forget_prefix,
                args=(f"l{i}_",),
            )
            values = {}
            for setting in lane_settings(i, name):
                values[setting.key.split("_", 1)[1]] = state.widget(setting)
            lanes.append((name, gather_hyperparams(name, values)))
    for i in range(
        n_lanes + 1, MAX_LANES + 1
    ):  # lanes out of view keep their URL values for when they return
        name = state.register(
            Setting(f"l{i}", "choice", DEFAULT_LANES[i - 1], "tr.optimizer", choices=all_names)
        )
        for setting in lane_settings(i, name):
            state.register(setting)
    return optimizer_entries(lanes), sweep_sizes


def tricks_section(problems: list[str]) -> dict:
    """Weight decay, clipping, warmup, an LR schedule, an EMA of the weights, accumulation, early stopping."""
    state = current()
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
        schedule = read_schedule(state, "lrs_", st, key="lrs", whole_run=True, extra=(PLATEAU.name,))
    except ValueError as error:
        st.error(t("tr.schedule_error", error=error), icon=":material/error:")
        schedule = None
        problems.append("schedule")
    on_plateau = schedule is not None and schedule[0] == PLATEAU.name
    if on_plateau:  # stepped once per epoch on each lane's validation loss (training.tricks.PlateauLR)
        st.caption(t("rp.plateau_caption"))
    schedule_unit = (
        shown_if(
            schedule is not None and not on_plateau,
            Setting(
                "lrs_unit",
                "choice",
                "step",
                "tr.lrs_unit",
                choices=SCHEDULE_UNITS,
                format={u: t(f"tr.lrs_unit.{u}") for u in SCHEDULE_UNITS}.get,
                widget="radio",
            ),
        )
        or "step"
    )
    if on_plateau:
        schedule_unit = "epoch"
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
    return dict(
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
