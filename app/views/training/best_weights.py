"""The best weights of a finished or stopped run: per lane, its best epoch, the validation accuracy its
saved weights score, and a download of its state_dict (torch.save bytes, for torch.load(weights_only=True)
into the run's SmallCNN).

The worker writes them beside the run's checkpoint (optim_core.training.checkpoint.BEST_WEIGHTS_FILE)
and measures the accuracy there, from the saved weights, on the run's validation set; this panel only
reads the file, once per version of it (cached by its modification time), never on a poll.
"""

from __future__ import annotations

import io
import re

import streamlit as st
import torch

from app.shared.i18n import t
from app.shared.markdown import literal
from app.shared.optimizer_labels import optimizer_label
from app.views.training.frames import run_lanes
from app.views.training.resources import job_manager
from optim_core.training.checkpoint import BEST_WEIGHTS_FILE, load_best_weights
from optim_core.training.store import RunRecord

SHOWN_FOR = ("finished", "stopped")


@st.cache_data(max_entries=8, show_spinner=False)
def best_lanes(path: str, stamp: int) -> list[dict]:
    """Each saved lane's label, best epoch, measured accuracy and state_dict bytes (`stamp`: the file's
    modification time, so a rewritten file is read again)."""
    lanes = []
    for lane in load_best_weights(path)["lanes"]:
        buffer = io.BytesIO()
        torch.save(lane["state_dict"], buffer)
        lanes.append(
            {
                "label": lane["label"],
                "epoch": int(lane["epoch"]),
                "val_acc": float(lane["val_acc"]),
                "data": buffer.getvalue(),
            }
        )
    return lanes


def file_name(run_id: int, label: str) -> str:
    """A download's file name: the run and the lane, in characters every file system takes."""
    safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", label).strip("._") or "lane"
    return f"run-{int(run_id)}-{safe[:60]}-best.pt"


def best_weights_panel(record: RunRecord) -> None:
    """For a finished or stopped run: each lane's best epoch, accuracy and weights to download."""
    if record.status not in SHOWN_FOR:
        return
    path = job_manager().store.checkpoint_dir(record.id) / BEST_WEIGHTS_FILE
    with st.expander(t("mt.best.title"), icon=":material/download:"):
        try:
            lanes = best_lanes(str(path), path.stat().st_mtime_ns)
        except FileNotFoundError:
            st.caption(t("mt.best.none"))
            return
        except (OSError, ValueError, RuntimeError, KeyError):
            st.warning(t("mt.best.unreadable"), icon=":material/error:")
            return
        st.caption(t("mt.best.lead"))
        shown = {lane.key: lane.label for lane in run_lanes(record.config, optimizer_label)}
        for i, lane in enumerate(lanes):
            text_col, button_col = st.columns([4, 1.4], vertical_alignment="center")
            label = shown.get(lane["label"], lane["label"])
            text_col.markdown(
                t("mt.best.lane", label=literal(label), epoch=lane["epoch"], acc=f"{lane['val_acc']:.1%}")
            )
            button_col.download_button(
                t("mt.best.download"),
                data=lane["data"],
                file_name=file_name(record.id, lane["label"]),
                mime="application/octet-stream",
                key=f"mt_best_{i}",
                on_click="ignore",  # a download needs no rerun
                icon=":material/download:",
                width="stretch",
            )
