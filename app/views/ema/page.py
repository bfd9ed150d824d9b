"""EMA: the exponential moving average on a noisy series, its window and early bias, and inside Adam.

A series (generated temperatures, an uploaded CSV column, or the training loss of a run saved by the
Training page) -> optim_core.smoothing -> figures. The
second half runs one optimizer on a 2D surface and shows that its momentum and Adam's moments are EMAs
of the gradient.
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import latex, pick, t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.shared.saved_runs import pick_run
from app.shared.settings import Setting, current
from app.shared.simulation_cache import NOISE_MODES, build_surface
from app.views.ema import figures as view
from app.views.ema import model
from optim_core.optimizers import RULES
from optim_core.series import SeriesError, series_column
from optim_core.smoothing import EMA_LATEX, bias_region, daily_temperatures, effective_window
from optim_core.surfaces import surface_names

# Where the series comes from. An uploaded file cannot live in the URL, so the page says so and falls
# back; a saved run can (ema_run, ema_lane), on the server that trained it.
SOURCES = ("temperatures", "upload", "run")
# The optimizers whose buffers are EMAs of the gradient, in the order offered (if the registry has them).
MOMENT_RULES = tuple(name for name in ("adam", "adam_no_bias_correction", "momentum_ema") if name in RULES)
PLOT_CONFIG = {"displaylogo": False}  # charts get theme=None: the figures style themselves (app.shared.theme)
state = current()
presenter = bool(st.session_state.get("present", False))


def side_by_side(spec, **kwargs) -> list:
    """Columns on a screen; full-width blocks one under the other on a projector, where half a page is
    too narrow for presenter-sized fonts and formulas."""
    if presenter:
        return [st.container() for _ in (spec if isinstance(spec, list) else range(spec))]
    return st.columns(spec, **kwargs)


def csv_message(error: SeriesError) -> str:
    """The translated message for a SeriesError (its code selects the text, its params fill it in)."""
    code = error.code
    if code == "malformed" and error.params.get("line") is None:
        code = "malformed_shape"
    params = {key: literal(value) for key, value in error.params.items() if value is not None}
    return t(f"ema.csv.{code}", **params)


def uploaded_series():
    """(values, y-axis title) of the uploaded column, or None (no file yet, or a file that is no series)."""
    uploaded = st.sidebar.file_uploader(
        t("ema.upload"), type=["csv", "txt", "tsv"], key="ema_upload", help=t("ema.upload_help")
    )
    st.sidebar.caption(t("ema.upload_caption"))
    if uploaded is None:
        st.info(t("ema.upload_missing"), icon=":material/upload_file:")
        return None
    try:
        frame = model.read_csv(uploaded.getvalue())
    except SeriesError as error:
        st.error(
            t("ema.csv.title", name=literal(uploaded.name))
            + " "
            + csv_message(error)
            + " "
            + t("ema.csv.fallback"),
            icon=":material/error:",
        )
        return None
    except (ValueError, OSError) as error:  # a failure the loader did not foresee: still no traceback
        st.error(
            t("error.generic", error=literal(error)) + " " + t("ema.csv.fallback"), icon=":material/error:"
        )
        return None
    # keyed by the file: a new file's columns are not the old one's
    columns = list(frame.columns)
    column = st.sidebar.selectbox(
        t("ema.column"),
        columns,
        index=columns.index(series_column(frame)),  # a loss-like column first, never a step counter
        key=f"ema_column_{uploaded.file_id}",
    )
    values = frame[column].to_numpy(dtype=float, copy=True)  # a copy: the frame is cached
    finite, infinite = model.finite_and_infinite(values)
    if not finite:
        st.warning(t("ema.csv.no_finite", column=literal(column)) + " " + t("ema.csv.fallback"))
        return None
    if infinite:
        st.warning(t("ema.csv.infinite", column=literal(column), n=infinite, total=values.size))
    return values, str(column)


def run_series():
    """(values, y-axis title) of one optimizer's training loss in a finished or stopped run, or None."""
    picked = pick_run(
        state, side, metric="train_loss", prefix="ema_", missing="ema.runs_missing", empty="ema.run_empty"
    )
    if picked is None:
        return None
    st.sidebar.caption(t("ema.run_caption"))
    return picked.values, t("ema.train_loss", lane=picked.lane)


st.title(t("ema.title"))
st.markdown(t("ema.lead"))

# ---- the series ---------------------------------------------------------------------------------
side = st.sidebar
side.subheader(t("ema.data"))
source = state.widget(
    Setting(
        "source",
        "choice",
        "temperatures",
        "ema.source",
        choices=SOURCES,
        format={s: t(f"ema.source.{s}") for s in SOURCES}.get,
        widget="radio",
    ),
    side,
)
picked = uploaded_series() if source == "upload" else run_series() if source == "run" else None
if picked is None:
    seed = state.widget(Setting("seed", "int", 0, "ema.seed", low=0, high=10_000, help="ema.seed_help"), side)
    values, y_title, x_title = daily_temperatures(seed), t("ema.temperature"), t("ema.day")
else:
    (values, y_title), x_title = picked, t("ema.step" if source == "run" else "ema.row")

# ---- controls -----------------------------------------------------------------------------------
beta_col, debias_col = st.columns([3, 1], vertical_alignment="bottom", gap="large")
beta = state.widget(
    Setting(
        "beta",
        "float",
        0.9,
        "ema.beta",
        low=0.0,
        high=0.999,
        step=0.001,
        widget="slider",
        help="ema.beta_help",
    ),
    beta_col,
    format="%.3f",
)
debias = state.widget(Setting("debias", "bool", True, "ema.debias", help="ema.debias_help"), debias_col)

smoothed = model.smooth(values, beta)
window = effective_window(beta)
n = values.size
series_text = {
    "raw": t("ema.trace.raw"),
    "ema": t("ema.trace.ema"),
    "ema_hat": t("ema.trace.ema_hat"),
    "sma": t("ema.trace.sma", window=smoothed.window),
    "x": x_title,
    "y": y_title,
    "bias_band": t("ema.bias_band", steps=smoothed.bias_steps),
}
st.plotly_chart(
    view.series_figure(smoothed, debias=debias, presenter=presenter, text=series_text),
    key="ema_series",
    theme=None,
    config=PLOT_CONFIG,
)
shown = view.display_index(n).size
st.caption(
    t(
        "ema.series_caption" if smoothed.bias_steps else "ema.series_caption_unbiased",
        steps=smoothed.bias_steps,
        beta=f"{beta:g}",
    )
    + (" " + t("ema.thinned", shown=shown, n=n) if shown < n else "")
)

# ---- the weights and the formulas ---------------------------------------------------------------
kernel_col, formula_col = side_by_side([3, 2], gap="large")
with kernel_col:
    st.subheader(t("ema.kernel_title"))
    kernel_text = {
        "weights": t("ema.trace.weights"),
        "sma_weights": t("ema.trace.sma_weights", window=min(smoothed.window, n)),
        "window_mark": t("ema.window_mark", window=f"{window:.4g}"),
        "age": t("ema.age"),
        "weight": t("ema.weight"),
    }
    st.plotly_chart(
        view.kernel_figure(beta, n, debias=debias, presenter=presenter, text=kernel_text),
        key="ema_kernel",
        theme=None,
        config=PLOT_CONFIG,
    )
with formula_col:
    st.subheader(t("ema.formulas"))
    for line in EMA_LATEX:
        st.latex(latex(line))
    if beta == 0:
        st.markdown(t("ema.window_zero"))
    else:
        st.markdown(
            t(
                "ema.window_text",
                beta=f"{beta:g}",
                window=f"{window:.4g}",
                sma=smoothed.window,
                age=round(window),
                percent=f"{100 * beta ** round(window):.0f}",
            )
        )
    if window > n:
        st.markdown(t("ema.window_long", window=f"{window:.4g}", n=n))

# ---- inside Adam --------------------------------------------------------------------------------
st.divider()
st.header(t("ema.adam.title"))
st.markdown(t("ema.adam.lead"))
# Option labels are looked up once per run, in this run's language (a format function that asked for
# the language later, outside the run, would get the default one).
grid = st.columns(2 if presenter else 3)
c1, c2, c3, c4, c5, c6 = (grid[i % len(grid)] for i in range(6))
surface_name = state.widget(
    Setting(
        "ia_surface",
        "choice",
        "ravine",
        "ema.adam.surface",
        choices=tuple(surface_names()),
        format={s: pick(build_surface(s, None, ()).title) for s in surface_names()}.get,
    ),
    c1,
)
optimizer = state.widget(
    Setting(
        "ia_opt",
        "choice",
        MOMENT_RULES[0],
        "ema.adam.optimizer",
        choices=MOMENT_RULES,
        format={name: optimizer_label(name) for name in MOMENT_RULES}.get,
    ),
    c2,
)
noise = state.widget(
    Setting(
        "ia_noise",
        "choice",
        "minibatch",
        "ema.adam.noise",
        choices=tuple(NOISE_MODES),
        format={m: t(f"pg.noise.{m}") for m in NOISE_MODES}.get,
    ),
    c3,
)
lr = state.widget(Setting("ia_lr", "log", 0.05, "ema.adam.lr", low=1e-4, high=1.0), c4)
steps = state.widget(
    Setting("ia_steps", "int", 100, "ema.adam.steps", low=10, high=500, step=10, widget="slider"), c5
)
axis = state.widget(
    Setting("ia_axis", "choice", "x", "ema.adam.axis", choices=("x", "y"), widget="radio"), c6
)
traj = model.run_one(surface_name, optimizer, lr, steps, noise)
hp = traj.optimizers[0][1]
moments = model.moments(traj, 0, ("x", "y").index(axis), hp)
stop = int(traj.diverged_at[0, 0])
if stop >= 0:
    st.warning(t("pg.diverged", name=optimizer_label(optimizer), step=stop), icon=":material/warning:")

first_col, second_col = side_by_side(2, gap="large")
with first_col:
    st.subheader(t("ema.adam.first", axis=axis))
    first_text = {
        "raw": t("ema.adam.g", axis=axis),
        "ema": t("ema.adam.m", beta=f"{moments.beta1:g}"),
        "ema_hat": t("ema.adam.m_hat"),
        "x": t("ema.adam.step"),
        "y": t("ema.adam.g_axis", axis=axis),
        "bias_band": t("ema.bias_band", steps=bias_region(moments.beta1)),
    }
    st.plotly_chart(
        view.moment_figure(
            moments.g, moments.m, moments.m_hat, moments.beta1, presenter=presenter, text=first_text
        ),
        key="ema_first_moment",
        theme=None,
        config=PLOT_CONFIG,
    )
with second_col:
    if moments.v is None:
        st.subheader(t("ema.adam.second", axis=axis))
        st.info(t("ema.adam.no_second", name=optimizer_label(optimizer)))
    else:
        st.subheader(t("ema.adam.second", axis=axis))
        second_text = {
            "raw": t("ema.adam.g2", axis=axis),
            "ema": t("ema.adam.v", beta=f"{moments.beta2:g}"),
            "ema_hat": t("ema.adam.v_hat"),
            "x": t("ema.adam.step"),
            "y": t("ema.adam.g2_axis", axis=axis),
            "bias_band": t("ema.bias_band", steps=bias_region(moments.beta2)),
        }
        chart = st.container()  # the toggle goes under the chart, so both charts start at the same height
        log_v = state.widget(Setting("ia_logv", "bool", True, "ema.adam.log_v"))
        chart.plotly_chart(
            view.moment_figure(
                moments.g**2,
                moments.v,
                moments.v_hat,
                moments.beta2,
                presenter=presenter,
                text=second_text,
                log_y=log_v,
            ),
            key="ema_second_moment",
            theme=None,
            config=PLOT_CONFIG,
        )
# the two libraries agree: the buffer the optimizer kept is optim_core.smoothing's EMA of its gradients
gap = model.ema_gap(moments)
st.caption(t("ema.adam.check", gap=f"{gap:.1e}", beta=f"{moments.beta1:g}"))
st.markdown(t("ema.adam.explain", b1=f"{moments.beta1:g}", m1=f"{1 - moments.beta1:g}"))
