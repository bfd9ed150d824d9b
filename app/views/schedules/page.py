"""LR schedules: edit a schedule, keep curves to compare, see the formula, the numbers and the PyTorch code;
then ReduceLROnPlateau reacting to a loss series.

widgets (app/shared/schedule_controls) -> model (optim_core.schedules) -> figures -> screen.
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import latex as localised
from app.shared.i18n import pick, t
from app.shared.navigation import page_script
from app.shared.saved_runs import pick_run
from app.shared.schedule_controls import read_schedule, spec_settings
from app.shared.schedule_links import (
    KEEP_MAX_LEN,
    MAX_KEPT,
    PLAYGROUND_KEY,
    PLAYGROUND_PREFIX,
    decode_kept,
    encode_curve,
    kept_setting,
    playground_query,
)
from app.shared.settings import Setting, current
from app.views.schedules import figures as view
from app.views.schedules import model
from optim_core.schedules import PLATEAU, ScheduleError, get_spec, noisy_plateau_series, reduce_lr_on_plateau

state = current()
presenter = bool(st.session_state.get("present", False))
PLAYGROUND_PAGE = page_script("playground")

STEPS = Setting("steps", "int", 300, "sch.steps", low=1, high=5000, step=1, widget="slider")
LR = Setting("lr", "log", 0.1, "sch.lr", low=1e-4, high=10.0, help="sch.lr_help")
LOG_Y = Setting("logy", "bool", False, "sch.logy")
KEEP = kept_setting()
PLT_EPOCHS = Setting("plt_epochs", "int", 100, "sch.plt.epochs", low=10, high=1000, step=10, widget="slider")
PLT_SEED = Setting("plt_seed", "int", 0, "sch.plt.seed", low=0, high=10_000)
PLT_NOISE = Setting(
    "plt_noise",
    "float",
    0.03,
    "sch.plt.noise",
    low=0.0,
    high=0.2,
    step=0.005,
    widget="slider",
    help="sch.plt.noise_help",
)
PLT_LOG = Setting("plt_loglr", "bool", True, "sch.plt.loglr")
PLT_SOURCES = ("synthetic", "run")
PLT_SOURCE = Setting(
    "plt_source",
    "choice",
    "synthetic",
    "sch.plt.source",
    choices=PLT_SOURCES,
    format=lambda s: t(f"sch.plt.source.{s}"),
    widget="radio",
)


def keep(entry: str) -> None:
    entries = [e for e in st.session_state.get(KEEP.key, "").split(";") if e]
    st.session_state[KEEP.key] = ";".join([*entries, entry])


def drop(index: int | None) -> None:
    entries = [e for e in st.session_state.get(KEEP.key, "").split(";") if e]
    st.session_state[KEEP.key] = (
        "" if index is None else ";".join(e for i, e in enumerate(entries) if i != index)
    )


def side_by_side(widths: list[float]) -> list:
    """Columns on a screen; stacked full-width blocks on a projector, where columns get cramped."""
    return [st.container() for _ in widths] if presenter else st.columns(widths, gap="large")


def swatch(colour: str, dash: str) -> str:
    pattern = "━━━" if dash == "solid" else "╍╍╍"
    return f'<span style="color:{colour};font-weight:900">{pattern}</span>'


# A formula wider than the page scrolls instead of being cut off.
st.html("<style>.katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 0; }</style>")
st.title(t("sch.title"))
st.caption(t("sch.lead"))

side = st.sidebar
steps = state.widget(STEPS, side)
lr = state.widget(LR, side)
log_y = state.widget(LOG_Y, side)
kept = decode_kept(state.register(KEEP))

fig_text = {"step": t("sch.fig.step"), "lr": t("sch.fig.lr")}

# ---- the schedule being edited -----------------------------------------------------------------------------
# On a projector the chart takes the full width, above the controls; on a screen they sit side by side.
if presenter:
    chart = st.container()
    editor, kept_box = st.columns(2, gap="large")
else:
    editor, chart = st.columns([1, 2.3], gap="large")
    kept_box = chart
picked = None
with editor:
    st.subheader(t("sch.current"))
    try:
        picked = read_schedule(
            state, PLAYGROUND_PREFIX, st, key=PLAYGROUND_KEY, default="cosine_annealing_lr", run_length=steps
        )
    except ScheduleError as error:
        st.error(t("sch.invalid", error=error), icon=":material/error:")

curves: list[model.Curve] = []  # the edited curve first (if any), then the kept ones
tab_names: list[str] = []
kept_rows: list[tuple[int, model.Curve]] = []  # (index in the kept list, curve) for the remove buttons
if picked is not None:
    try:
        curves.append(model.page_curve(*picked, lr, steps))
        tab_names.append(t("sch.tab_current"))
    except ScheduleError as error:
        with editor:
            st.error(t("sch.invalid", error=error), icon=":material/error:")
        picked = None
for i, (name, kwargs) in enumerate(kept):
    try:
        curve = model.page_curve(name, kwargs, lr, steps, kept=i)
    except ScheduleError as error:
        st.error(t("sch.kept_invalid", n=i + 1, error=error), icon=":material/error:")
        continue
    curves.append(curve)
    kept_rows.append((i, curve))
    tab_names.append(t("sch.tab_kept", n=i + 1))

with editor:
    if picked is not None:
        if not get_spec(picked[0]).uses_lr:
            st.caption(t("sch.absolute_note"))
        entry = encode_curve(*picked)
        raw_kept = st.session_state.get(KEEP.key, "")
        full = len(kept) >= MAX_KEPT or len(raw_kept) + len(entry) + 1 > KEEP_MAX_LEN
        already = entry in raw_kept.split(";")
        st.button(
            t("sch.keep_button"),
            key="keep_curve",
            icon=":material/push_pin:",
            on_click=keep,
            args=(entry,),
            disabled=full or already,
            type="primary",
            width="stretch",
            help=t("sch.keep_full", n=MAX_KEPT)
            if full
            else (t("sch.keep_already") if already else t("sch.keep_help")),
        )

with chart:
    if curves:
        st.plotly_chart(
            view.schedules_figure(curves, presenter=presenter, text=fig_text, log_y=log_y),
            key="curves",
            config={"displaylogo": False},
        )
    else:
        st.info(t("sch.empty"), icon=":material/info:")
with kept_box:
    if kept:
        st.markdown(f"**{t('sch.kept')}**")
        for i, curve in kept_rows:
            row_label, row_drop = st.columns([12, 1], vertical_alignment="center")
            row_label.markdown(
                f"{swatch(curve.colour, curve.dash)} **{i + 1}** `{curve.label}`", unsafe_allow_html=True
            )
            row_drop.button("✕", key=f"drop_{i}", on_click=drop, args=(i,), help=t("sch.drop"))
        st.button(
            t("sch.drop_all"), icon=":material/delete_sweep:", on_click=drop, args=(None,), key="drop_all"
        )

for curve in curves:
    if curve.stopped:
        st.warning(
            t("sch.stopped", label=curve.label, steps=len(curve.values), error=curve.stopped),
            icon=":material/warning:",
        )

# ---- each curve: formula, PyTorch code, numbers, the Playground --------------------------------------------
if curves:
    st.subheader(t("sch.details"))
    for n, (tab, curve) in enumerate(zip(st.tabs(tab_names), curves, strict=True)):
        with tab:
            spec = get_spec(curve.name)
            st.markdown(
                f"{swatch(curve.colour, curve.dash)} **{pick(spec.label)}** — `{curve.label}`",
                unsafe_allow_html=True,
            )
            for part, latex in model.formulas(curve.name, curve.kwargs):
                if part != curve.name:
                    st.caption(pick(get_spec(part).label))
                st.latex(view.display_latex(localised(latex)))
            code, numbers = side_by_side([3, 2])
            with code:
                st.markdown(f"**{t('sch.torch_code')}**")
                st.code(spec.torch_code({**curve.kwargs, "lr": lr}), language="python", wrap_lines=True)
            with numbers:
                st.dataframe(
                    model.curve_table(curve.values, fig_text),
                    hide_index=True,
                    height=280,
                    width="stretch",
                    column_config={fig_text["lr"]: st.column_config.NumberColumn(format="%.15g")},
                )
                st.download_button(
                    t("sch.csv"),
                    data=model.curve_csv(curve.values),
                    file_name=f"{curve.name}_lr.csv",
                    mime="text/csv",
                    icon=":material/download:",
                    on_click="ignore",
                    key=f"csv_{n}",
                )
                st.page_link(
                    PLAYGROUND_PAGE,
                    label=t("sch.use_on_playground"),
                    icon=":material/landscape:",
                    query_params=playground_query(curve.name, curve.kwargs, lr),
                    help=t("sch.playground_help"),
                )

# ---- ReduceLROnPlateau -------------------------------------------------------------------------------------
st.divider()
st.header(pick(PLATEAU.label))
st.caption(t("sch.plt.lead"))
if presenter:
    plt_chart = st.container()
    plt_columns = st.columns(3, gap="large")
else:
    plt_controls, plt_chart = st.columns([1, 2.3], gap="large")
    plt_columns = [plt_controls]
plateau_settings = spec_settings(PLATEAU, "plt_", skip=("eps",))
plateau_kwargs = {}
for i, setting in enumerate(plateau_settings):
    column = plt_columns[i * len(plt_columns) // len(plateau_settings)]
    plateau_kwargs[setting.key.removeprefix("plt_")] = state.widget(setting, column, **setting.extra)
with plt_columns[-1]:
    # the monitored series: a saved run's validation loss per epoch, or the synthetic one
    run = None
    if state.widget(PLT_SOURCE) == "run":
        missing, empty = "sch.plt.runs_missing", "sch.plt.run_empty"
        run = pick_run(state, st, metric="val_loss", prefix="plt_", missing=missing, empty=empty)
    if run is None:
        with st.expander(t("sch.plt.series"), expanded=False):
            epochs = state.widget(PLT_EPOCHS)
            seed = state.widget(PLT_SEED)
            noise = state.widget(PLT_NOISE, st, format="%.3f")
        loss, loss_title = noisy_plateau_series(epochs, seed, noise=noise), t("sch.plt.loss")
    else:
        loss, loss_title = run.values, t("sch.plt.run_loss", lane=run.lane, id=run.record.id)
        for hidden in (PLT_EPOCHS, PLT_SEED, PLT_NOISE):  # kept in the URL for when synthetic comes back
            state.register(hidden)
    log_lr = state.widget(PLT_LOG)
try:
    lrs = reduce_lr_on_plateau(loss, lr=lr, **plateau_kwargs)
except ScheduleError as error:
    with plt_chart:
        st.error(t("sch.invalid", error=error), icon=":material/error:")
else:
    plt_text = {
        "loss": loss_title,
        "lr": t("sch.fig.lr"),
        "epoch": t("sch.plt.epoch"),
        "cut": t("sch.plt.cut"),
        "cut_hover": t("sch.plt.cut_hover", epoch="%{customdata[0]}"),
    }
    with plt_chart:
        st.plotly_chart(
            view.plateau_figure(loss, lrs, presenter=presenter, text=plt_text, log_lr=log_lr),
            key="plateau",
            config={"displaylogo": False},
        )
        cuts = model.lr_cuts(lrs)
        st.caption(
            t(
                "sch.plt.summary",
                n=len(cuts),
                epochs=", ".join(str(int(c)) for c in cuts) or "—",
                final=f"{lrs[-1]:.6g}",
            )
        )
    st.latex(view.display_latex(localised(PLATEAU.latex)))
    st.caption(t("sch.plt.formula_note"))
    st.code(PLATEAU.torch_code({**plateau_kwargs, "lr": lr}), language="python", wrap_lines=True)
