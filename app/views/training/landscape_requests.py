"""The landscape panel's requests to the landscape worker (optim_core.training.landscape.job): the surface
over a plane and the line between two lanes' ends. A result is read from the cache beside the run when it
is there; else a button submits the request, and a fragment polls its progress (a small file the job
writes after each chunk of points) and reruns the page when it is done. Nothing is computed here.
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.markdown import literal
from app.views.training.frames import LaneView
from app.views.training.landscape_figures import interpolation_figure
from app.views.training.resources import job_manager, run_data
from app.views.training.session import presenter
from app.views.training.tables import error_line
from optim_core.training.landscape.grid import Surface
from optim_core.training.landscape.job import (
    InterpolationRequest,
    LandscapeJobs,
    LandscapeRefused,
    Request,
    SurfaceRequest,
)
from optim_core.training.landscape.planes import Plane
from optim_core.training.store import RunRecord

POLL_S = 1.0  # how often a running job's progress is read


@st.cache_resource(show_spinner=False)
def landscape_jobs() -> LandscapeJobs:
    """This server's landscape jobs (one process of their own beside the training workers)."""
    return LandscapeJobs()


def plane_spec(plane: Plane) -> dict:
    """The spec that names `plane` completely (the job builds the same plane from it)."""
    spec: dict = {"kind": plane.kind}
    if plane.kind != "pca":
        spec["lanes"] = list(plane.lanes)
    if plane.kind == "random":
        spec["seed"] = int(plane.seed or 0)
    return spec


def surface_section(record: RunRecord, plane: Plane, bounds: tuple, grid: int) -> Surface | None:
    """The surface from the cache; else the button that asks the worker for it, or its progress."""
    (a0, a1), (b0, b1) = bounds
    request = SurfaceRequest(
        plane_spec(plane), (round(a0, 6), round(a1, 6)), (round(b0, 6), round(b1, 6)), grid
    )
    return job_section(record, request, "land.compute", "land_compute")


def job_section(record: RunRecord, request: Request, button: str, key: str):
    """A request's result when it is cached; else its button and, while it runs, its progress."""
    folder = job_manager().store.checkpoint_dir(record.id)
    jobs = landscape_jobs()
    state = jobs.state(folder, request)
    if state.status == "done":
        result = jobs.result(folder, request)
        if result is not None:
            return result
    if state.status in ("queued", "running"):
        st.fragment(job_progress, run_every=POLL_S)(str(folder), request)
        return None
    if state.status == "failed":
        st.error(t("land.error", error=literal(error_line(state.error))), icon=":material/error:")
    points = request.size**2 if isinstance(request, SurfaceRequest) else request.points
    st.caption(t("land.not_yet", points=f"{points:,}", images=min(request.subset, n_val_of(record.config))))
    if st.button(t(button), key=key, icon=":material/landscape:"):
        try:
            jobs.submit(folder, record.config, request)
        except LandscapeRefused as refused:
            st.error(t("land.error", error=literal(str(refused))), icon=":material/error:")
            return None
        st.rerun()
    return None


def job_progress(folder: str, request: Request) -> None:
    """The running job's progress (a fragment polling the job's small progress file); a full rerun when
    it has ended, to draw the result."""
    state = landscape_jobs().state(folder, request)
    if state.status not in ("queued", "running"):
        st.rerun()
    points = request.size**2 if isinstance(request, SurfaceRequest) else request.points
    if state.status == "queued":
        st.progress(0.0, text=t("land.queued"))
    else:
        done = int(round(state.fraction * points))
        st.progress(min(1.0, state.fraction), text=t("land.running", done=done, total=points))


def n_val_of(config: dict) -> int:
    """The run's validation images (the subset is at most this many); the subset's size when unknown."""
    info = run_data(config)
    return SurfaceRequest.subset if info is None else int(info["n_val"])


def interpolation_section(
    record: RunRecord, lane_a: LaneView, lane_b: LaneView, style_a: dict, style_b: dict
) -> None:
    """The loss along the straight line from A's end to B's, and the barrier between them."""
    st.markdown(t("land.interp.head"))
    st.caption(t("land.interp.lead"))
    request = InterpolationRequest((lane_a.key, lane_b.key))
    line = job_section(record, request, "land.interp.compute", "land_interp")
    if line is None:
        return
    text = {
        "x_title": t("land.interp.x"),
        "loss": t("land.metric.loss"),
        "accuracy": t("land.metric.accuracy"),
    }
    figure = interpolation_figure(
        line,
        (lane_a.label, lane_b.label),
        (style_a["colour"], style_b["colour"]),
        presenter=presenter(),
        text=text,
    )
    st.plotly_chart(figure, key="land_line", theme=None, config={"displaylogo": False})
    barrier = line.barrier()
    if barrier > 0:
        st.markdown(t("land.interp.barrier", barrier=f"{barrier:.3g}"))
    else:
        st.markdown(t("land.interp.no_barrier"))
