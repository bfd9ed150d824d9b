"""Loss-surface playground: several optimizers on one 2D surface, animated together.

widgets -> PlaygroundConfig -> optim_core.simulate (cached) -> map_figure -> screen.

Moving an LR slider, the inspected step or Steps (with no LR schedule on) is what a class does most, so
it reruns only the fragment `lab`: the step row, the map and what follows the paths. The LR sliders (at a
desk) and Steps sit outside it and rerun it alone from their callbacks, so they are not sent again. The
browser redraws every element a rerun sends, and the server's CPU per change (issue 15: a class on one
server) grows with them: the fragment holds nothing else (tests/benchmarks/bench_page_latency.py).
The rest reruns the whole page: the surface and common controls in the sidebar, and each optimizer's
card above the fragment (its rule and a popover of its other hyperparameters), whose change also
shows in the update rules beside the map. So does a click on the map, which sets the sidebar's start.
"""

from __future__ import annotations

import streamlit as st

from app.shared import plotting
from app.shared import presenter as presenting_mode
from app.shared.controls import slot_settings
from app.shared.formula_text import formula_message
from app.shared.html_table import html_table
from app.shared.i18n import language, latex, pick, t
from app.shared.markdown import literal
from app.shared.optimizer_catalog import slot_optimizer
from app.shared.optimizer_labels import optimizer_label
from app.shared.schedule_controls import NONE, read_schedule
from app.shared.settings import Setting, current
from app.shared.simulation_cache import NOISE_MODES, build_surface, cached_scales, finite_at
from app.views.playground import layout, map_base, model, rule_text, side_by_side, slides
from optim_core.optimizers import optimizer_names
from optim_core.surfaces import surface_names

MAX_SLOTS = 6
CUSTOM = "custom"
state = current()
presenter = bool(st.session_state.get("present", False))
watching = presenting_mode.watching()  # a view-only link: the URL's settings, no controls drawn
controls = presenting_mode.controls(state)


def reset_start() -> None:
    """A new surface starts from its own suggested point and LRs; the inspected step follows the run."""
    for key in ("x0", "y0", "t", *(f"o{i}_lr" for i in range(1, MAX_SLOTS + 1))):
        st.session_state.pop(key, None)
        state.forget(key)


def rerun_page() -> None:
    """Ask the fragment to rerun the whole page: its change shows in the sidebar or the update rules."""
    st.session_state["_pg_rerun_page"] = True


LAB = "pg_lab"  # the fragment's key: a callback outside it reruns it alone with st.rerun(LAB)


def steps_changed() -> None:
    """Steps reruns the fragment alone (it reads Steps afresh), but with an LR schedule on the whole page:
    the schedule's controls in the sidebar are read against the run's length."""
    if st.session_state.get("sched", NONE) == NONE:
        st.rerun(LAB)


def take_click() -> None:
    """A click on the map's invisible grid becomes the start point."""
    points = st.session_state["map"]["selection"]["points"]
    grid_points = [p for p in points if p.get("curve_number") == map_base.CLICK_TRACE]
    if grid_points:
        st.session_state["x0"] = round(float(grid_points[0]["x"]), 3)
        st.session_state["y0"] = round(float(grid_points[0]["y"]), 3)
        st.session_state.pop("t", None)
        rerun_page()  # the start's number inputs are in the sidebar


st.title(t("pg.title"))
side = st.sidebar

# ---- the surface --------------------------------------------------------------------------------
surface_name = controls.widget(
    Setting(
        "surface",
        "choice",
        "saddle",
        "pg.surface",
        choices=(*surface_names(), CUSTOM),
        format=lambda n: t("pg.custom") if n == CUSTOM else pick(build_surface(n, None, ()).title),
    ),
    side,
    on_change=reset_start,
)
formula, surface_params = None, ()
if surface_name == CUSTOM:
    formula = controls.widget(
        Setting("formula", "text", "x**2 - y**2 + 0.1*sin(5*x)", "pg.formula", help="pg.formula_help"),
        side,
        on_change=reset_start,
    )
elif surface_name == "ravine":
    surface_params = (
        (
            "condition",
            controls.widget(
                Setting(
                    "condition", "log", 20.0, "pg.condition", low=1.0, high=1000.0, help="pg.condition_help"
                ),
                side,
            ),
        ),
    )
try:
    surface = build_surface(surface_name, formula, surface_params)
except ValueError as error:
    st.error(t("pg.formula_error", error=formula_message(error)), icon=":material/error:")
    st.stop()
description = literal(pick(surface.description))
if not presenter:  # on a projector it follows the map: the first screen is the map's
    st.caption(description)
scales = cached_scales(surface_name, formula, surface_params)

# ---- common controls ----------------------------------------------------------------------------
with side.expander(t("pg.common"), expanded=True):
    c1, c2 = st.columns(2)
    x0 = controls.widget(
        Setting("x0", "float", float(surface.start[0]), "pg.start_x", low=-1e3, high=1e3, step=0.1),
        c1,
        format="%.3f",
    )
    y0 = controls.widget(
        Setting("y0", "float", float(surface.start[1]), "pg.start_y", low=-1e3, high=1e3, step=0.1),
        c2,
        format="%.3f",
    )
    st.caption(t("pg.start_hint"))
    STEPS = Setting("steps", "int", 100, "pg.steps", low=10, high=2000, step=10, widget="slider")
    steps = controls.widget(STEPS, on_change=steps_changed)
    noise = controls.widget(
        Setting(
            "noise",
            "choice",
            "batch",
            "pg.noise",
            choices=tuple(NOISE_MODES),
            format=lambda m: t(f"pg.noise.{m}"),
            help="pg.noise_help",
            widget="radio",
        )
    )
    seed = (
        controls.widget(Setting("seed", "int", 0, "pg.seed", low=0, high=10_000)) if noise != "batch" else 0
    )
    clip_norm = None
    if controls.widget(Setting("clip", "bool", False, "pg.clip")):
        clip_norm = controls.widget(Setting("clip_norm", "log", 1.0, "pg.clip_norm", low=0.01, high=100.0))
    weight_decay = controls.widget(
        Setting("wd", "float", 0.0, "pg.wd", low=0.0, high=1.0, step=0.01, widget="slider", help="pg.wd_help")
    )

# ---- page-wide settings of the optimizers --------------------------------------------------------
n_slots = controls.widget(
    Setting("n_opt", "int", 4, "pg.n_opt", low=1, high=MAX_SLOTS, widget="slider"), side
)

with side.expander(t("pg.schedule"), expanded=bool(st.query_params.get("sched"))):
    st.caption(t("pg.schedule_help"))
    try:
        schedule = read_schedule(controls, "sched_", st, key="sched", relative=True, run_length=steps)
    except ValueError as error:
        st.error(t("pg.schedule_error", error=error), icon=":material/error:")
        schedule = None

# ---- what the map and the page show (reshapes the figure, so a change reruns the page) --------------
with side.expander(t("pg.view"), expanded=True):
    log_y = controls.widget(Setting("logy", "bool", bool(surface.log_levels), "pg.logy"))
    show_axes = controls.widget(Setting("curv", "bool", False, "pg.curv_axes", help="pg.curv_axes_help"))
    view3d = controls.widget(Setting("view3d", "bool", False, "pg.view3d"))
    pair = side_by_side.toggle(controls, surface_name)  # MSE | cross-entropy under the map

FIG_TEXT = ("play", "pause", "step", "loss", "height", "minimum", "saddle", "start", "click_hint", "diverged")
fig_text = {key: t(f"fig.{key}") for key in (*FIG_TEXT, "lr_multiplier")}


def optimizer_setting(i: int) -> Setting:
    return Setting(
        f"o{i}",
        "choice",
        slot_optimizer(i),
        lambda: t("pg.slot", n=i),
        choices=tuple(optimizer_names()),
        format=optimizer_label,
    )


def optimizer_cards() -> tuple[tuple[str, tuple], ...]:
    """Each optimizer in a card: its rule, and a popover with its hyperparameters other than the LR.

    Returns (rule, ((hyperparameter, value), ...)) per optimizer; the LR is read in the fragment.
    """
    rules = []
    if watching:  # no cards: each slot's rule and hyperparameters come from the URL
        for i in range(1, n_slots + 1):
            name = controls.widget(optimizer_setting(i))
            others = [s for s in slot_settings(i, name, scales) if s.key != f"o{i}_lr"]
            rules.append((name, tuple((s.key.split("_", 1)[1], controls.widget(s)) for s in others)))
        return tuple(rules)
    for i, column in enumerate(layout.slot_columns(n_slots, presenter), start=1):
        with column, st.container(border=True, key=f"pg_card_{i}"):
            rule, more = st.columns([3, 1], vertical_alignment="bottom")
            # a new rule starts from its own defaults (its LR for this surface, its betas, ...)
            name = state.widget(optimizer_setting(i), rule, on_change=state.forget_prefix, args=(f"o{i}_",))
            others = [s for s in slot_settings(i, name, scales) if s.key != f"o{i}_lr"]
            values = []
            if others:
                with more.popover("", icon=":material/tune:", help=t("pg.more_hp"), width="stretch"):
                    values = [(s.key.split("_", 1)[1], state.widget(s)) for s in others]
            rules.append((name, tuple(values)))
    return tuple(rules)


def lr_row(lr_settings: list[Setting], **kwargs) -> None:
    """Each optimizer's LR slider, under its card (on a projector, in a drawer under the map)."""
    for setting, column in zip(lr_settings, layout.lr_columns(n_slots, presenter), strict=True):
        state.widget(setting, column, **kwargs)


def rerun_map() -> None:
    """An LR slider above the fragment (at a desk) reruns the fragment alone."""
    st.rerun(LAB)


@st.fragment(run_every=layout.tick_every(), key=LAB)
def lab(rules: tuple[tuple[str, tuple], ...], lr_settings: list[Setting]) -> None:
    """The step row, the map and all that follows the paths (on a projector the LR sliders too).

    rules: each optimizer's rule and other hyperparameters, from its card; lr_settings: its LR slider. The
    map is drawn before the step row above it (its value is read first), so it reaches the browser first.
    """
    steps = int(st.session_state[STEPS.key])  # as it is now: `steps_changed` reruns the fragment alone
    inspected = layout.step_setting(steps)
    if st.session_state.pop("_pg_rerun_page", False) or layout.advance(steps):
        st.rerun(scope="app")
    # on a projector the step row comes first, and the LR sliders follow the map in their drawer
    scrubber = st.container()
    # at a desk the LR sliders were drawn above (`rerun_map`): their values are read, not registered
    read = state.register if presenter or watching else (lambda setting: st.session_state[setting.key])
    slots = [
        model.SlotConfig(name, (("lr", read(setting)), *others))
        for setting, (name, others) in zip(lr_settings, rules, strict=True)
    ]
    step = state.register(inspected)
    config = model.PlaygroundConfig(
        surface=surface_name,
        formula=formula,
        surface_params=surface_params,
        slots=tuple(slots),
        start=(x0, y0),
        steps=steps,
        noise=noise,
        seed=seed,
        clip_norm=clip_norm,
        weight_decay=weight_decay,
        schedule=model.freeze_schedule(schedule),
    )
    result, schedule_error = model.run_or_unscheduled(config, language())
    if schedule_error is not None:
        st.error(t("pg.schedule_error", error=schedule_error), icon=":material/error:")
    for label, stop in zip(result.labels, result.diverged_at, strict=True):
        if stop >= 0:
            st.warning(t("pg.diverged", name=label, step=int(stop)), icon=":material/warning:")
    # One figure: the map and, beside it, the loss by step (and the LR schedule), animated together.
    st.plotly_chart(
        result.contour_figure(step, presenter=presenter, text=fig_text, curvature=show_axes, log_y=log_y),
        key="map",
        on_select="ignore" if watching else take_click,
        selection_mode="points",
        theme=None,
        config={"displaylogo": False, "scrollZoom": True},
    )
    st.caption(t("pg.map_caption"))
    if not watching:
        if presenter:
            with st.container():
                lr_row(lr_settings)
        with scrubber:
            layout.step_row(state, inspected, steps, presenter)
    if pair:
        side_by_side.draw(config, step, presenter=presenter, text=fig_text, curvature=show_axes)
    readout(result, step, steps)
    # its content is drawn only while open: highlighting the code costs the browser on every change
    code = st.expander(t("pg.torch_code"), key="pg_code", on_change="rerun")
    if code.open:
        code.code(result.torch_code(), language="python")
    export(result, log_y)
    state.sync()  # main.py writes the URL only after a whole-page run


def readout(result: model.PlaygroundResult, step: int, steps: int) -> None:
    """The state of every optimizer at the inspected step; its curvature and the 3D view when asked for."""
    k = min(step, steps - 1)
    st.subheader(t("pg.readout", step=step), help=t("pg.readout_caption", step=k, next=k + 1))
    columns = {c: t(f"pg.col.{c}") for c in model.READOUT_COLUMNS}
    # plain HTML: a handful of rows, cheap for the browser to redraw, and readable on a projector
    st.html(
        html_table(
            model.inspect_rows(
                result, step, columns, {k: t(f"pg.status.{k}") for k in ("ok", "done", "diverged")}
            )
        )
    )

    # drawn only when asked for: a collapsed expander would still render its chart on every change
    if show_axes:
        st.subheader(t("pg.curvature"))
        st.caption(t("pg.curvature_caption"))
        kinds = {k: t(f"pg.kind.{k}") for k in ("minimum", "saddle", "maximum", "degenerate", "not_critical")}
        curv_columns = {
            c: t(f"pg.curv.{c}") for c in ("optimizer", "lam_min", "lam_max", "kind", "bound", "lr")
        }
        st.html(html_table(model.curvature_rows(result, step, curv_columns, kinds)))
        lam_min, lam_max = result.curvature()
        st.plotly_chart(
            plotting.curvature_figure(
                lam_min, lam_max, result.styles, step, presenter=presenter, text=fig_text
            ),
            key="curvature_chart",
            theme=None,
            config={"displaylogo": False},
        )

    if view3d:
        st.subheader(t("pg.view3d_title"))
        st.plotly_chart(
            plotting.surface_3d_figure(
                surface, result.xy, result.loss, result.styles, step, presenter=presenter, text=fig_text
            ),
            key="surface3d",
            theme=None,
        )


def export(result: model.PlaygroundResult, log_y: bool) -> None:
    """Downloads, made only when clicked."""
    row = st.container(horizontal=True)
    row.download_button(
        t("pg.export_csv"),
        data=lambda: model.export_csv(result),
        file_name="trajectories.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    row.download_button(
        t("pg.export_html"),
        data=lambda: result.html(presenter=presenter, text=fig_text, log_y=log_y),
        file_name="optimizer_paths.html",
        mime="text/html",
        icon=":material/animation:",
        on_click="ignore",
    )
    if not watching:  # for slides: made in the background, see slides.progress_panel
        slides.offer(row, result)


def update_rules(rules: tuple[tuple[str, tuple], ...]) -> None:
    """Each rule in use, specialised to its settings and the page's, beside the map (one per setting:
    two slots of one rule with other settings read differently)."""
    st.subheader(t("pg.rules"))
    page_wide = dict(noise=NOISE_MODES[noise] > 0, clip_norm=clip_norm, schedule=schedule is not None)
    shown = {}
    for name, others in rules:
        hp = model.slot_hyperparams(name, others, weight_decay)
        shown.setdefault((name, tuple(sorted(hp.items()))), hp)
    # about as tall as the map beside it, scrolling when there are more rules
    with st.container(height="content" if presenter else 600, border=False, key="pg_rules"):
        for (name, _), hp in shown.items():
            st.markdown(f"**{literal(optimizer_label(name, hp, language()))}**")
            st.latex(latex(rule_text.specialised_latex(name, hp, **page_wide)))
    notes = ["pg.rules_caption", *(f"pg.rules_{k}" for k in ("noise", "schedule") if page_wide[k])]
    st.caption(" ".join(t(key) for key in notes))


if not finite_at(surface, (x0, y0)):
    st.warning(t("pg.start_undefined", x=x0, y=y0), icon=":material/warning:")
rules = optimizer_cards()
# The rules sit beside the map; they change only with the cards and the sidebar, so outside the fragment.
# A presenter's large type needs the whole width for the map: there they follow it.
chart_column, rules_column = (
    (st.container(), st.container()) if presenter else st.columns([2, 1], gap="medium")
)
with chart_column:
    lr_settings = [layout.lr_setting(i, name, scales) for i, (name, _) in enumerate(rules, start=1)]
    if not (presenter or watching):  # at a desk, above the map, outside the fragment
        lr_row(lr_settings, on_change=rerun_map)
    lab(rules, lr_settings)
    slides.progress_panel()
with rules_column:
    if presenter:
        st.caption(description)
    update_rules(rules)
