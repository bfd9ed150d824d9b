"""The map's animation for slides: GIF and MP4 buttons beside the other downloads, the file made in a
background thread (`media_job`), a progress bar while it is made, then its download button.

The progress is a fragment that reruns itself every half second only while a file is being made: the
page sets its tick when it runs, as the map's play does (layout.py).
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.views.playground import media_job

JOBS = "_pg_media"  # kind -> MediaJob, for this session
POLL_S = 0.5


def _jobs() -> dict[str, media_job.MediaJob]:
    return st.session_state.setdefault(JOBS, {})


def making() -> bool:
    return any(job.running for job in _jobs().values())


def _start(kind: str, surface_key: tuple, xy, styles) -> None:
    _jobs()[kind] = media_job.start(kind, surface_key, xy, styles, t("fig.step"))
    st.session_state["_pg_rerun_page"] = True  # the progress's tick is set by a page run


def offer(row, result) -> None:
    """A button per kind in the downloads' row (a container): each starts its file in the background."""
    for kind in media_job.KINDS:
        row.button(
            t(f"slides.make_{kind}"),
            key=f"pg_make_{kind}",
            icon=":material/movie:",
            on_click=_start,
            args=(kind, result.config.surface_key, result.xy, result.styles),
            disabled=making(),
        )


def _progress() -> None:
    jobs = _jobs()
    for kind, job in jobs.items():
        if job.running:
            st.progress(job.done / job.total, text=t("slides.making", kind=kind.upper()))
        elif job.error:
            st.error(t("slides.failed", kind=kind.upper(), error=job.error), icon=":material/error:")
        elif job.data is not None:
            st.download_button(
                t("slides.download", kind=kind.upper()),
                data=job.data,
                file_name=f"optimizer_paths.{kind}",
                mime=media_job.KINDS[kind],
                icon=":material/download:",
                key=f"pg_download_{kind}",
                on_click="ignore",
            )
    if st.session_state.pop("_pg_media_poll", False) and not making():
        st.rerun(scope="app")  # done: the page drops the tick
    st.session_state["_pg_media_poll"] = making()


def progress_panel() -> None:
    """The files being made (a progress bar each) and the ones made (a download button each)."""
    st.fragment(_progress, run_every=POLL_S if making() else None)()
