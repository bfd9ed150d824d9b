"""The loss landscape of an ended run, and the practitioner's checks: one call from run_panel.

For a finished or stopped run that recorded its lanes' paths (optim_core.training.landscape.paths): the
plane (through two lanes' ends, PCA of all paths, or filter-normalized random directions around one
lane's end), the grid and the value shown, each a setting in the URL; a button asks the landscape
worker for the surface (never computed in the page's thread) and a fragment polls its progress; then
the map with every lane's path, how far each lies from the plane, and the loss along the straight line
between two lanes' ends.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import streamlit as st

from app.shared import theme
from app.shared.html_table import html_table
from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.shared.settings import Setting, current
from app.views.training.babysit_panel import checks_panel
from app.views.training.figures import lane_styles
from app.views.training.frames import LaneView, run_lanes
from app.views.training.landscape_figures import (
    drawn_paths,
    grid_bounds,
    landscape_3d,
    landscape_map,
)
from app.views.training.landscape_requests import interpolation_section, surface_section
from app.views.training.resources import job_manager
from app.views.training.session import presenter
from optim_core.training.landscape.paths import PATHS_FILE, LandscapeError, Paths, load_paths
from optim_core.training.landscape.planes import Plane, filter_normalized, off_plane, pca, through_runs
from optim_core.training.store import RunRecord

SHOWN_FOR = ("finished", "stopped")
PLANES = ("runs", "pca", "random")
METRICS = ("loss", "accuracy")


@st.cache_resource(max_entries=4, show_spinner=False)
def cached_paths(path: str, stamp: int) -> Paths:
    """The run's recorded paths (`stamp`: the file's modification time, so a rewritten file is read again).
    Shared by every session: the caller must not change it."""
    return load_paths(Path(path).parent)


def read_paths(record: RunRecord) -> tuple[Paths | None, str | None, int]:
    """(paths, the reason there are none: "none" or "unreadable", the file's size in bytes)."""
    path = job_manager().store.checkpoint_dir(record.id) / PATHS_FILE
    try:
        stat = path.stat()
        return cached_paths(str(path), stat.st_mtime_ns), None, stat.st_size
    except FileNotFoundError:
        return None, "none", 0
    except (OSError, ValueError, KeyError):
        return None, "unreadable", 0


@st.cache_resource(max_entries=8, show_spinner=False)
def cached_plane(path: str, stamp: int, kind: str, lanes: tuple[str, ...]) -> Plane:
    """The plane of this kind through the recorded paths (LandscapeError when it cannot be built)."""
    paths = cached_paths(path, stamp)
    if kind == "runs":
        return through_runs(paths, *lanes)
    if kind == "pca":
        return pca(paths)
    return filter_normalized(paths, lanes[0], seed=0)


def landscape_panel(record: RunRecord) -> None:
    """The checks (any ended run), then the landscape (a finished or stopped run with recorded paths)."""
    lanes = run_lanes(record.config, optimizer_label)
    paths, missing, size = read_paths(record)
    checks_panel(record, lanes, paths)
    if record.status not in SHOWN_FOR:
        return
    with st.expander(t("land.title"), icon=":material/landscape:"):
        st.markdown(t("land.lead"))
        if paths is None:
            st.caption(t(f"land.{missing}"))
            return
        recorded = [lane for lane in lanes if lane.key in set(paths.labels)]
        st.caption(
            t(
                "land.size",
                lanes=len(paths.lanes),
                snapshots=sum(len(lane.weights) for lane in paths.lanes) + 1,
                params=f"{len(paths.theta0):,}",
                size=size_text(size),
            )
        )
        landscape_view(record, paths, recorded)


def size_text(size: int) -> str:
    return f"{size / 2**20:.1f} MB" if size >= 2**20 else f"{size / 2**10:.0f} KB"


def landscape_view(record: RunRecord, paths: Paths, lanes: list[LaneView]) -> None:
    """The plane's settings, the surface (computed by the landscape worker), the map, the distances and
    the line between lanes A and B."""
    kind, lane_a, lane_b, grid, metric, three_d = plane_settings(lanes)
    if kind == "runs" and lane_a == lane_b:
        st.info(t("land.same_lane"), icon=":material/info:")
        return
    path = job_manager().store.checkpoint_dir(record.id) / PATHS_FILE
    try:
        plane = cached_plane(str(path), path.stat().st_mtime_ns, kind, plane_lanes(kind, lane_a, lane_b))
    except LandscapeError as error:
        st.warning(error_text(error), icon=":material/warning:")
        return
    except OSError:
        st.warning(t("land.unreadable"), icon=":material/error:")
        return
    styles = [
        {"colour": style["colour"], "dash": slot["dash"]}
        for style, slot in zip(
            lane_styles(lanes), theme.slot_styles([lane.name for lane in lanes]), strict=True
        )
    ]
    drawn = drawn_paths(plane, paths, lanes, styles, t("land.off"))
    centre = (0.0, 0.0) if kind == "random" else None
    bounds = grid_bounds(drawn, centre, half=plane.scale[0])
    surface = surface_section(record, plane, bounds, grid)
    if surface is not None:
        text = figure_text(plane, metric)
        draw = landscape_3d if three_d else landscape_map
        st.plotly_chart(
            draw(surface, metric, drawn, presenter=presenter(), text=text),
            key="land_map",
            theme=None,
            config={"displaylogo": False},
        )
        st.caption(t("land.bn", images=surface.n_images))
    plane_note(plane, lanes)
    distance_table(plane, paths, lanes)
    if len(lanes) < 2:
        return
    if lane_a == lane_b:
        st.info(t("land.same_lane"), icon=":material/info:")
    else:
        interpolation_section(
            record, lane_a, lane_b, styles[lanes.index(lane_a)], styles[lanes.index(lane_b)]
        )


def plane_lanes(kind: str, lane_a: LaneView, lane_b: LaneView) -> tuple[str, ...]:
    """The lanes that define a plane of this kind (their recorded labels)."""
    return {"runs": (lane_a.key, lane_b.key), "pca": (), "random": (lane_a.key,)}[kind]


def error_text(error: LandscapeError) -> str:
    return t(f"landscape.{error.key}", **{k: literal(v) for k, v in error.values.items()})


def plane_settings(lanes: list[LaneView]) -> tuple:
    """(kind, lane A, lane B, grid, metric, 3D) from the widgets (each in the URL)."""
    state = current()
    wide = not presenter()
    kinds = PLANES if len(lanes) >= 2 else ("random",)
    if len(lanes) < 2:
        st.caption(t("land.one_lane"))
    plane_col, metric_col = st.columns([3, 2], vertical_alignment="bottom") if wide else (st, st)
    kind = state.widget(
        Setting(
            "land_plane",
            "choice",
            kinds[0],
            "land.plane",
            choices=kinds,
            format=lambda k: t(f"land.plane.{k}"),
            help="land.plane_help",
        ),
        plane_col,
    )
    metric = state.widget(
        Setting(
            "land_metric",
            "choice",
            "loss",
            "land.metric",
            choices=METRICS,
            format=lambda m: t(f"land.metric.{m}"),
            widget="segmented",
        ),
        metric_col,
    )
    choices = tuple(range(1, len(lanes) + 1))
    names = {i: f"{i} · {lanes[i - 1].label}" for i in choices}
    a_col, b_col = st.columns(2) if wide else (st, st)
    lane_a = state.widget(
        Setting(
            "land_a", "choice", 1, "land.lane_a", choices=choices, format=names.get, help="land.lane_help"
        ),
        a_col,
    )
    lane_b = lane_a
    if len(lanes) >= 2:
        lane_b = state.widget(
            Setting("land_b", "choice", 2, "land.lane_b", choices=choices, format=names.get), b_col
        )
    grid_col, three_col = st.columns([4, 1], vertical_alignment="bottom") if wide else (st, st)
    grid = state.widget(
        Setting("land_grid", "int", 21, "land.grid", low=5, high=51, step=2, widget="slider"), grid_col
    )
    three_d = state.widget(Setting("land_3d", "bool", False, "land.three_d"), three_col)
    return kind, lanes[lane_a - 1], lanes[lane_b - 1], grid, metric, three_d


def figure_text(plane: Plane, metric: str) -> dict[str, str]:
    """The map's translated words for this plane and value."""
    if plane.kind == "pca" and plane.explained is not None:
        a_title = t("land.axis.pca_u", share=f"{plane.explained[0]:.0%}")
        b_title = t("land.axis.pca_v", share=f"{plane.explained[1]:.0%}")
    else:
        a_title, b_title = t(f"land.axis.{plane.kind}_u"), t(f"land.axis.{plane.kind}_v")
    return {
        "a_title": a_title,
        "b_title": b_title,
        "metric": t(f"land.metric.{metric}"),
        "theta0": t("land.theta0"),
        "end": t("land.end"),
        "hover_step": t("land.hover.step", step="{step}", epoch="{epoch}"),
        "hover_recorded": t("land.hover.recorded", loss="{loss}"),
        "hover_surface": t("land.hover.surface", value="{value}"),
        "hover_grid": t("land.hover.grid", value="{value}"),
        "revision": f"{plane.kind}:{','.join(plane.lanes)}",
    }


def plane_note(plane: Plane, lanes: list[LaneView]) -> None:
    """One line on what the plane is."""
    shown = {lane.key: lane.label for lane in lanes}
    if plane.kind == "pca" and plane.explained is not None:
        u, v = plane.explained
        st.caption(t("land.note.pca", u=f"{u:.1%}", v=f"{v:.1%}", total=f"{u + v:.1%}"))
    elif plane.kind == "random":
        st.caption(t("land.note.random", lane=literal(shown.get(plane.lanes[0], plane.lanes[0]))))
    else:
        st.caption(t("land.note.runs"))


def distance_table(plane: Plane, paths: Paths, lanes: list[LaneView]) -> None:
    """Per lane: whether it defines the plane, its largest distance from it, its path's length, their
    ratio (a projection is a shadow, not the path)."""
    off = off_plane(plane, paths)
    rows = []
    for lane in lanes:
        if lane.key not in off:
            continue
        o = off[lane.key]
        defines = plane.kind == "runs" and lane.key in plane.lanes
        rows.append(
            {
                t("land.col.lane"): lane.label,
                t("land.col.defines"): t("land.yes") if defines else t("land.no"),
                t("land.col.distance"): f"{o.max_distance:.3g}",
                t("land.col.length"): f"{o.path_length:.3g}",
                t("land.col.fraction"): f"{o.ratio:.0%}" if math.isfinite(o.ratio) else "—",
            }
        )
    st.html(html_table(pd.DataFrame(rows)))
