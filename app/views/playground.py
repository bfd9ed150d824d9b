"""Loss-surface playground: several optimizers on one 2D surface, animated together.

widgets -> PlaygroundConfig -> optim_core.simulate (cached) -> figures -> screen.

The optimizers' own controls sit above the map in a fragment (`lab`): moving an LR or the inspected
step reruns only that fragment, not the sidebar and the update rules, so the map answers a slider
quickly (tests/benchmarks/bench_page_latency.py). Changes that reshape the page (another optimizer, a
click that sets a new start) rerun the whole page.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from app import figures
from app import playground_model as model
from app.i18n import language, pick, t
from app.schedule_settings import read_schedule
from app.settings import Setting, current
from optim_core.optimizers import RULES, optimizer_names
from optim_core.surfaces import get_surface, surface_names

MAX_SLOTS = 6
CUSTOM = "custom"
state = current()
presenter = bool(st.session_state.get("present", False))


@st.cache_resource(max_entries=128, show_spinner=False)  # results hold callables: not picklable
def cached_run(config: model.PlaygroundConfig, lang: str) -> model.PlaygroundResult:
    return model.run(config, lang)


def reset_start() -> None:
    """A new surface starts from its own suggested point and LRs; the inspected step follows the run."""
    for key in ("x0", "y0", "t", *(f"o{i}_lr" for i in range(1, MAX_SLOTS + 1))):
        st.session_state.pop(key, None)
        state.forget(key)


def rerun_page() -> None:
    """Ask the fragment to rerun the whole page: its change shows in the sidebar or the update rules."""
    st.session_state["_pg_rerun_page"] = True


def take_click() -> None:
    """A click on the invisible grid (trace 1 of the map) becomes the start point."""
    points = st.session_state["map"]["selection"]["points"]
    grid_points = [p for p in points if p.get("curve_number") == 1]
    if grid_points:
        st.session_state["x0"] = round(float(grid_points[0]["x"]), 3)
        st.session_state["y0"] = round(float(grid_points[0]["y"]), 3)
        st.session_state.pop("t", None)
        rerun_page()  # the start's number inputs are in the sidebar


def nudge(delta: int, steps: int) -> None:
    st.session_state["t"] = min(max(st.session_state.get("t", steps) + delta, 0), steps)


st.title(t("pg.title"))
side = st.sidebar

# ---- the surface --------------------------------------------------------------------------------
surface_name = state.widget(Setting("surface", "choice", "saddle", "pg.surface", choices=(*surface_names(), CUSTOM),
                                    format=lambda n: t("pg.custom") if n == CUSTOM else pick(get_surface(n).title)),
                            side, on_change=reset_start)
formula, surface_params = None, ()
if surface_name == CUSTOM:
    formula = state.widget(Setting("formula", "text", "x**2 - y**2 + 0.1*sin(5*x)", "pg.formula",
                                   help="pg.formula_help"), side, on_change=reset_start)
elif surface_name == "ravine":
    surface_params = (("condition", state.widget(Setting("condition", "log", 20.0, "pg.condition", low=1.0,
                                                         high=1000.0, help="pg.condition_help"), side)),)
try:
    surface = model.build_surface(surface_name, formula, surface_params)
except ValueError as error:
    st.error(t("pg.formula_error", error=error), icon=":material/error:")
    st.stop()
st.caption(pick(surface.description))
scales = model.cached_scales(surface_name, formula, surface_params)

# ---- common controls ----------------------------------------------------------------------------
with side.expander(t("pg.common"), expanded=True):
    c1, c2 = st.columns(2)
    x0 = state.widget(Setting("x0", "float", float(surface.start[0]), "pg.start_x", low=-1e3, high=1e3, step=0.1),
                      c1, format="%.3f")
    y0 = state.widget(Setting("y0", "float", float(surface.start[1]), "pg.start_y", low=-1e3, high=1e3, step=0.1),
                      c2, format="%.3f")
    st.caption(t("pg.start_hint"))
    steps = state.widget(Setting("steps", "int", 100, "pg.steps", low=10, high=2000, step=10, widget="slider"))
    noise = state.widget(Setting("noise", "choice", "batch", "pg.noise", choices=tuple(model.NOISE_MODES),
                                 format=lambda m: t(f"pg.noise.{m}"), help="pg.noise_help", widget="radio"))
    seed = state.widget(Setting("seed", "int", 0, "pg.seed", low=0, high=10_000)) if noise != "batch" else 0
    clip_norm = None
    if state.widget(Setting("clip", "bool", False, "pg.clip")):
        clip_norm = state.widget(Setting("clip_norm", "log", 1.0, "pg.clip_norm", low=0.01, high=100.0))
    weight_decay = state.widget(Setting("wd", "float", 0.0, "pg.wd", low=0.0, high=1.0, step=0.01, widget="slider",
                                        help="pg.wd_help"))

# ---- page-wide settings of the optimizers --------------------------------------------------------
n_slots = state.widget(Setting("n_opt", "int", 4, "pg.n_opt", low=1, high=MAX_SLOTS, widget="slider"), side)

with side.expander(t("pg.schedule"), expanded=bool(st.query_params.get("sched"))):
    st.caption(t("pg.schedule_help"))
    try:
        schedule = read_schedule(state, "sched_", st, key="sched", relative=True)
    except ValueError as error:
        st.error(t("pg.schedule_error", error=error), icon=":material/error:")
        schedule = None

fig_text = {key: t(f"fig.{key}") for key in ("play", "pause", "step", "loss", "height", "minimum", "saddle", "start",
                                             "click_hint", "diverged", "lr_multiplier")}


def optimizer_setting(i: int) -> Setting:
    return Setting(f"o{i}", "choice", model.slot_optimizer(i), lambda: t("pg.slot", n=i),
                   choices=tuple(optimizer_names()), format=lambda n: pick(RULES[n].label))


def read_slots() -> list[model.SlotConfig]:
    """Every optimizer's rule and hyperparameters, read before their widgets are drawn."""
    slots = []
    for i in range(1, n_slots + 1):
        name = state.register(optimizer_setting(i))
        values = tuple((s.key.split("_", 1)[1], state.register(s)) for s in model.slot_settings(i, name, scales))
        slots.append(model.SlotConfig(name=name, hyperparams=values))
    return slots


def slot_controls(i: int) -> None:
    """Optimizer i in a compact card: its rule with a popover of its other hyperparameters, then its LR."""
    with st.container(border=True):
        rule, more = st.columns([3, 1], vertical_alignment="bottom")
        # another rule changes the update rules below the fragment too
        name = state.widget(optimizer_setting(i), rule, on_change=rerun_page)
        settings = model.slot_settings(i, name, scales)
        lr = [setting for setting in settings if setting.key == f"o{i}_lr"]
        others = [setting for setting in settings if setting not in lr]
        if others:
            with more.popover("", icon=":material/tune:", help=t("pg.more_hp"), width="stretch"):
                for setting in others:
                    state.widget(setting)
        for setting in lr:
            state.widget(setting)


def slot_row() -> None:
    """The optimizers side by side above the map: up to four in a row, or rows of three."""
    per_row = n_slots if n_slots <= 4 else 3
    for first in range(1, n_slots + 1, per_row):
        for i, column in zip(range(first, n_slots + 1), st.columns(per_row), strict=False):
            with column:
                slot_controls(i)


def view_settings() -> tuple[Setting, Setting, Setting]:
    """The inspected step, log-scale loss and curvature axes."""
    return (Setting("t", "int", steps, "pg.inspect", low=0, high=steps, widget="slider"),
            Setting("logy", "bool", bool(surface.log_levels), "pg.logy"),
            Setting("curv", "bool", False, "pg.curv_axes", help="pg.curv_axes_help"))


def step_row() -> None:
    """The step scrubber with a step back and forward, and the map's toggles."""
    if presenter:  # on a projector the toggles get a row of their own, so their large labels are not cut
        back, scrub, forward = st.columns([1, 8, 1], vertical_alignment="bottom")
        toggles = st.container()
    else:
        back, scrub, forward, toggles = st.columns([1, 6, 1, 5], vertical_alignment="bottom")
    step, log_y, curvature_axes = view_settings()
    state.widget(step, scrub)
    back.button("◀", key="step_back", help=t("pg.prev"), on_click=nudge, args=(-1, steps), width="stretch")
    forward.button("▶", key="step_fwd", help=t("pg.next"), on_click=nudge, args=(1, steps), width="stretch")
    with toggles:
        log_col, curv_col = st.columns(2)
        state.widget(log_y, log_col)
        state.widget(curvature_axes, curv_col)


@st.fragment
def lab() -> list[model.SlotConfig]:
    """The optimizers' controls, the map and all that follows the paths: a slider here reruns only this.

    The map is drawn before the controls above it (their values are read first), so it reaches the
    browser first.
    """
    if st.session_state.pop("_pg_rerun_page", False):
        st.rerun(scope="app")
    controls, scrubber = st.container(), st.container()
    slots = read_slots()
    step, log_y, show_axes = (state.register(s) for s in view_settings())
    config = model.PlaygroundConfig(surface=surface_name, formula=formula, surface_params=surface_params,
                                    slots=tuple(slots), start=(x0, y0), steps=steps, noise=noise, seed=seed,
                                    clip_norm=clip_norm, weight_decay=weight_decay,
                                    schedule=model.freeze_schedule(schedule))
    try:
        result = cached_run(config, language())
    except ValueError as error:  # a schedule the library refuses for this many steps (e.g. one-cycle too short)
        st.error(t("pg.schedule_error", error=error), icon=":material/error:")
        result = cached_run(dataclasses.replace(config, schedule=None), language())
    for label, stop in zip(result.labels, result.diverged_at, strict=True):
        if stop >= 0:
            st.warning(t("pg.diverged", name=label, step=int(stop)), icon=":material/warning:")
    # One figure: the map and, beside it, the loss by step (and the LR schedule), animated together.
    st.plotly_chart(result.contour_figure(step, presenter=presenter, text=fig_text, curvature=show_axes,
                                          log_y=log_y),
                    key="map", on_select=take_click, selection_mode="points", theme=None,
                    config={"displaylogo": False, "scrollZoom": True})
    st.caption(t("pg.map_caption"))
    with controls:
        slot_row()
    with scrubber:
        step_row()
    readout(result, step, show_axes)
    with st.expander(t("pg.torch_code")):
        st.code("\n\n".join(f"# {label}\n{RULES[slot.name].torch_code(hp)}"
                             for label, slot, hp in zip(result.labels, slots, result.hyperparams, strict=True)),
                language="python")
    export(result, log_y)
    state.sync()  # main.py writes the URL only after a whole-page run
    return slots


def readout(result: model.PlaygroundResult, step: int, show_axes: bool) -> None:
    """The state of every optimizer at the inspected step; its curvature and the 3D view when asked for."""
    k = min(step, steps - 1)
    st.subheader(t("pg.readout", step=step))
    st.caption(t("pg.readout_caption", step=k, next=k + 1))
    columns = {c: t(f"pg.col.{c}") for c in ("optimizer", "position", "loss", "grad", "update", "momentum", "sqrt_v",
                                             "step_size", "status")}
    # a plain table: a handful of rows, cheap to redraw, and readable on a projector
    st.table(model.inspect_rows(result, step, columns, {"ok": t("pg.status.ok"),
                                                        "diverged": t("pg.status.diverged")}), hide_index=True)

    if show_axes:  # drawn only when asked for: a collapsed expander would still render its chart on every change
        st.subheader(t("pg.curvature"))
        st.caption(t("pg.curvature_caption"))
        kinds = {k: t(f"pg.kind.{k}") for k in ("minimum", "saddle", "maximum", "degenerate", "not_critical")}
        curv_columns = {c: t(f"pg.curv.{c}") for c in ("optimizer", "lam_min", "lam_max", "kind", "bound", "lr")}
        st.table(model.curvature_rows(result, step, curv_columns, kinds), hide_index=True)
        lam_min, lam_max = result.curvature()
        st.plotly_chart(figures.curvature_figure(lam_min, lam_max, result.styles, step, presenter=presenter,
                                                 text=fig_text), key="curvature_chart", theme=None,
                        config={"displaylogo": False})

    if state.widget(Setting("view3d", "bool", False, "pg.view3d")):
        st.subheader(t("pg.view3d_title"))
        st.plotly_chart(figures.surface_3d_figure(surface, result.xy, result.loss, result.styles, step,
                                                  presenter=presenter, text=fig_text), key="surface3d", theme=None)


def export(result: model.PlaygroundResult, log_y: bool) -> None:
    st.subheader(t("pg.export"))
    csv_col, html_col = st.columns(2)
    csv_col.download_button(t("pg.export_csv"), data=lambda: model.export_csv(result), file_name="trajectories.csv",
                            mime="text/csv", icon=":material/download:", on_click="ignore")
    html_col.download_button(t("pg.export_html"),
                             data=lambda: result.html(presenter=presenter, text=fig_text, log_y=log_y),
                             file_name="optimizer_paths.html", mime="text/html", icon=":material/animation:",
                             on_click="ignore")


if not model.finite_at(surface, (x0, y0)):
    st.warning(t("pg.start_undefined", x=x0, y=y0), icon=":material/warning:")
slots = lab()

# ---- the rules behind the paths (they change only with the choice of optimizers) ------------------
st.subheader(t("pg.rules"))
unique = list(dict.fromkeys(slot.name for slot in slots))
rule_columns = st.columns(min(len(unique), 3))
for i, name in enumerate(unique):
    with rule_columns[i % len(rule_columns)]:
        st.markdown(f"**{pick(RULES[name].label)}**")
        for line in RULES[name].latex:
            st.latex(line)
