"""Analysis: basins of attraction, LR sensitivity sweeps and curvature at the critical points.

widgets -> model (optim_core.analysis, cached) -> figures -> screen.

URL keys. surface, formula and condition mean what they mean on the Playground, so the surface carries
over between the two pages. Everything else is this page's own: b_ for the basin map (b_opt, b_steps,
b_grid and the optimizer's hyperparameters b_<name>: b_lr, b_momentum, b_betas1, ...), sw_ for the
sweep (sw_opts: the optimizers, comma-separated). They must differ from the Playground's o1, o1_lr,
steps: session state is shared by all pages, and a Playground link (o1=adam&o1_lr=0.1) would otherwise
be overridden by this page's widget values of the same names on the Playground's first run.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

import streamlit as st

from app.shared.controls import slot_settings
from app.shared.formula_text import formula_message
from app.shared.i18n import pick, t
from app.shared.markdown import literal
from app.shared.navigation import page_script
from app.shared.optimizer_labels import optimizer_label
from app.shared.settings import InvalidValue, Setting, current
from app.shared.simulation_cache import NOISE_MODES, build_surface, cached_scales
from app.views.analysis import figures as view
from app.views.analysis import model
from optim_core.optimizers import RULES, optimizer_names
from optim_core.surfaces import surface_names

CUSTOM = "custom"
PLAYGROUND_PAGE = page_script("playground")
PLOT_CONFIG = {"displaylogo": False}  # charts get theme=None: the figures style themselves (app.shared.theme)
GRIDS = (20, 30, 40, 60)
METRICS = ("final_loss", "steps_to_tol")
BASIN_PREFIX = "b_"
PICK = "an_pick"  # session key of the clicked sweep point: (optimizer, lr)
state = current()
presenter = bool(st.session_state.get("present", False))


class OptimizerList(Setting):
    """A list of optimizer names, comma-separated in the URL (kind "list", drawn as a multiselect)."""

    def parse(self, raw: str) -> list[str]:
        names = [name for name in raw.split(",") if name]
        if any(name not in self.choices for name in names) or len(set(names)) != len(names):
            raise InvalidValue(t("url.reason.choice"))
        return names

    def encode(self, value) -> str:
        return ",".join(value)


SURFACE = Setting(
    "surface",
    "choice",
    "himmelblau",
    "an.surface",
    choices=(*surface_names(), CUSTOM),
    format=lambda n: t("an.custom") if n == CUSTOM else pick(build_surface(n, None, ()).title),
)
FORMULA = Setting("formula", "text", "x**4 - 2*x**2 + y**2 + 0.3*x", "an.formula", help="an.formula_help")
CONDITION = Setting("condition", "log", 20.0, "an.condition", low=1.0, high=1000.0)
OPTIMIZER = Setting(
    "b_opt",
    "choice",
    "sgd",
    "an.optimizer",
    choices=tuple(optimizer_names()),
    format=optimizer_label,
)
STEPS = Setting("b_steps", "int", 300, "an.steps", low=10, high=2000, step=10, widget="slider")
GRID = Setting(
    "b_grid", "choice", 40, "an.grid", choices=GRIDS, format=lambda n: f"{n} × {n}", help="an.grid_help"
)
SW_OPTS = OptimizerList(
    "sw_opts", "list", ["sgd", "momentum", "adam"], "an.sw.optimizers", choices=tuple(optimizer_names())
)
SW_METRIC = Setting(
    "sw_metric",
    "choice",
    "final_loss",
    "an.sw.metric",
    choices=METRICS,
    format=lambda m: t(f"an.sw.metric.{m}"),
    widget="radio",
)
SW_STEPS = Setting("sw_steps", "int", 200, "an.sw.steps", low=10, high=2000, step=10, widget="slider")
SW_STARTS = Setting(
    "sw_starts", "int", 8, "an.sw.starts", low=1, high=16, widget="slider", help="an.sw.starts_help"
)
SW_NOISE = Setting(
    "sw_noise",
    "choice",
    "batch",
    "an.sw.noise",
    choices=tuple(NOISE_MODES),
    format=lambda m: t(f"an.sw.noise.{m}"),
    help="an.sw.noise_help",
    widget="radio",
)
SW_SEED = Setting("sw_seed", "int", 0, "an.sw.seed", low=0, high=10_000)
SW_TOL = Setting("sw_tol", "log", 1e-4, "an.sw.tol", low=1e-10, high=1.0, help="an.sw.tol_help")


def basin_hp_settings(name: str) -> list[Setting]:
    """The Playground's controls for this optimizer's hyperparameters (same ranges and defaults), under
    this page's keys: o1_lr becomes b_lr."""
    return [
        dataclasses.replace(s, key=BASIN_PREFIX + s.key.removeprefix("o1_"))
        for s in slot_settings(1, name, scales)
    ]


def take_pick() -> None:
    """A click on a median point of the sweep remembers its (optimizer, lr)."""
    points = st.session_state["sweep_chart"]["selection"]["points"]
    for point in points:
        data = point.get("customdata")
        if isinstance(data, list | tuple) and len(data) == 2 and data[0] in RULES:
            st.session_state[PICK] = (str(data[0]), float(data[1]))
            return


def forget_pick() -> None:
    st.session_state.pop(PICK, None)


def reset_lr() -> None:
    """A new surface or optimizer starts from its own suggested LR (the Playground's default for it)."""
    st.session_state.pop(BASIN_PREFIX + "lr", None)
    state.forget(BASIN_PREFIX + "lr")


def new_surface() -> None:
    forget_pick()
    reset_lr()


def columns(spec, **kwargs) -> list:
    """Columns on a screen; on a projector, where presenter-sized fonts need the width, two a row."""
    count = len(spec) if isinstance(spec, list) else spec
    if not presenter:
        return st.columns(spec, **kwargs)
    cells = []
    while len(cells) < count:
        cells += st.columns(2, **kwargs)
    return cells[:count]


st.title(t("an.title"))
st.caption(t("an.lead"))

# ---- the surface --------------------------------------------------------------------------------
side = st.sidebar
surface_name = state.widget(SURFACE, side, on_change=new_surface)
formula, surface_params, surface_query = None, (), {}
if surface_name == CUSTOM:
    formula = state.widget(FORMULA, side)
    surface_query = {"formula": FORMULA.encode(formula)}  # what a Playground link carries over
elif surface_name == "ravine":
    condition = state.widget(CONDITION, side)
    surface_params, surface_query = (("condition", condition),), {"condition": CONDITION.encode(condition)}
try:
    surface = build_surface(surface_name, formula, surface_params)
except ValueError as error:
    st.error(t("an.formula_error", error=formula_message(error)), icon=":material/error:")
    st.stop()
surface_key = (surface_name, formula, surface_params)
side.caption(literal(pick(surface.description)))
scales = cached_scales(surface_name, formula, surface_params)

# ---- basins of attraction -----------------------------------------------------------------------
st.header(t("an.basins"))
st.caption(t("an.basins_lead"))
settings_col, more_col = (
    (st.container(), st.container()) if presenter else st.columns([5, 1], vertical_alignment="bottom")
)
with settings_col:
    c1, c2, c3, c4 = columns(4)
    optimizer = state.widget(OPTIMIZER, c1, on_change=reset_lr)
    hp_settings = basin_hp_settings(optimizer)
    values = [(hp_settings[0].key.removeprefix(BASIN_PREFIX), state.widget(hp_settings[0], c2))]  # the lr
    steps = state.widget(STEPS, c3)
    grid = state.widget(GRID, c4)
with more_col.popover(t("an.more_hp"), width="stretch"):
    values += [(s.key.removeprefix(BASIN_PREFIX), state.widget(s)) for s in hp_settings[1:]]
    if len(hp_settings) == 1:
        st.caption(t("an.no_more_hp"))

if not surface.minima:
    st.info(t("an.no_minima"), icon=":material/info:")
asked, steps = steps, model.basin_steps(grid, steps)
if steps < asked:
    st.warning(
        t("an.budget", n=grid * grid, asked=state.value(STEPS.key), steps=steps), icon=":material/memory:"
    )
try:
    with st.spinner(t("an.computing_basins", n=grid * grid, steps=steps)):
        basins = model.basins(surface_key, optimizer, tuple(values), grid, steps)
except ValueError as error:
    st.error(t("an.run_error", error=error), icon=":material/error:")
    st.stop()

fig_text = {
    key: t(f"an.fig.{key}")
    for key in (
        "surface_panel",
        "basin_panel",
        "minimum_n",
        "minimum_short",
        "other_minima",
        "still_moving",
        "diverged",
    )
}
st.plotly_chart(
    view.basin_figure(surface, basins, presenter=presenter, text=fig_text),
    key="basin_chart",
    theme=None,
    config=PLOT_CONFIG,
)
counts = basins.counts()
st.caption(
    t(
        "an.basins_caption",
        n=grid * grid,
        steps=steps,
        tol=f"{basins.tol:.3g}",
        moving=counts[-1],
        diverged=counts[-2],
    )
)

# ---- learning-rate sensitivity ------------------------------------------------------------------
st.header(t("an.sweep"))
st.caption(t("an.sweep_lead"))
names = state.register(SW_OPTS)
pick_col, metric_col = columns([3, 2], vertical_alignment="bottom")
names = pick_col.multiselect(
    SW_OPTS.label_text(),
    SW_OPTS.choices,
    key=SW_OPTS.key,
    format_func=optimizer_label,
    on_change=forget_pick,
)
metric = state.widget(SW_METRIC, metric_col)
c1, c2, more_col = columns([2, 2, 1], vertical_alignment="bottom")
sweep_steps = state.widget(SW_STEPS, c1)
n_starts = state.widget(SW_STARTS, c2)
with more_col.popover(t("an.sw.more"), width="stretch"):
    noise = state.widget(SW_NOISE)
    seed = state.widget(SW_SEED) if noise != "batch" else 0
    tol = state.widget(SW_TOL)

if not surface.minima:
    st.info(t("an.sw.needs_minima"), icon=":material/info:")
    st.stop()
if not names:
    st.info(t("an.sw.none"), icon=":material/info:")
    st.stop()
try:
    with st.spinner(t("an.computing_sweep", lrs=model.SWEEP_LRS, starts=n_starts, n=len(names))):
        sweep = model.sweep(surface_key, tuple(names), sweep_steps, n_starts, noise, seed, metric, tol)
except ValueError as error:
    st.error(t("an.run_error", error=error), icon=":material/error:")
    st.stop()

labels = [optimizer_label(name) for name in sweep.names]
sweep_text = {
    key: t(f"an.sw.fig.{key}")
    for key in ("median", "click", "never", "stability", "x_lr", "y_loss", "y_steps")
}
sweep_text["y_steps"] = sweep_text["y_steps"].format(tol=f"{tol:g}")
picked = st.session_state.get(PICK)
chart_col, text_col = (st.container(), st.container()) if presenter else st.columns([3, 1], gap="medium")
with chart_col:
    st.plotly_chart(
        view.sweep_figure(
            sweep,
            labels,
            presenter=presenter,
            text=sweep_text,
            log_y=metric == "final_loss",
            stability=model.stability_band(surface),
            picked=picked,
        ),
        key="sweep_chart",
        on_select=take_pick,
        selection_mode="points",
        theme=None,
        config=PLOT_CONFIG,
    )
    caption = t(
        "an.sw.caption",
        starts=len(sweep.starts),
        low=f"{sweep.spread[0]:g}",
        high=f"{sweep.spread[1]:g}",
        steps=sweep.steps,
    )
    st.caption(caption + (" " + t("an.sw.floor") if metric == "final_loss" else ""))
with text_col:
    st.markdown(f"**{t('an.sw.window_title')}**")
    window_text = {key: t(f"an.sw.{key}") for key in ("window", "window_none", "window_diverges")}
    for i, label in enumerate(labels):
        st.markdown(model.window_text(sweep, i, label, window_text))
    if metric == "final_loss":
        st.caption(t("an.sw.stability_note"))
    if picked is None:
        st.info(t("an.sw.click_hint"), icon=":material/ads_click:")
    else:
        name, lr = picked
        query = model.sweep_link_query(surface_name, surface_query, name, lr, sweep_steps, noise, seed)
        st.page_link(
            PLAYGROUND_PAGE,
            label=t("an.sw.open", name=optimizer_label(name), lr=query["o1_lr"]),
            icon=":material/landscape:",
            query_params=query,
            help=t("an.sw.open_help"),
        )
        st.code("/playground?" + urllib.parse.urlencode(query), language=None, wrap_lines=True)

# ---- curvature ----------------------------------------------------------------------------------
with st.expander(t("an.curvature"), expanded=False):
    st.caption(t("an.curvature_lead"))
    curvature_columns = {
        key: t(f"an.col.{key}") for key in ("point", "kind", "lambda_min", "lambda_max", "bound")
    }
    kinds = {
        kind: t(f"an.kind.{kind.replace(' ', '_')}")
        for kind in ("minimum", "saddle", "maximum", "degenerate", "not critical")
    }
    rows = model.critical_rows(surface, curvature_columns, kinds)
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption(t("an.no_critical"))
