"""Stored runs as text: the history table's rows, a run's one-line label, optimizers and data set, and the
last line of a stored error (no streamlit here)."""

from __future__ import annotations

import math
import time

import pandas as pd

from app.views.training.frames import run_lanes
from optim_core.optimizers import RULES

HISTORY_COLUMNS = ("run", "status", "created", "dataset", "optimizers", "epochs", "accuracy")


def error_line(error: str | None) -> str:
    """The last line of a stored traceback: the exception and its message, nothing else."""
    lines = [line.strip() for line in (error or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def final_accuracy(summary: dict | None, language_label) -> str:
    """Each lane's last validation accuracy, '<label> 97.2%', joined by ' · '."""
    if not summary or not summary.get("lanes"):
        return "—"
    parts = []
    for lane in summary["lanes"]:
        acc = lane.get("final_val_acc")
        label = lane["label"]
        if lane.get("optimizer") in RULES:
            label = label.replace(RULES[lane["optimizer"]].label, language_label(lane["optimizer"]), 1)
        parts.append(f"{label} {100 * acc:.1f}%" if acc is not None and math.isfinite(acc) else f"{label} —")
    return " · ".join(parts)


def run_optimizers(config: dict, language_label) -> str:
    """The run's lanes, their labels in the page's language."""
    try:
        return ", ".join(lane.label for lane in run_lanes(config, language_label))
    except ValueError:  # a config an older version stored: show what it says
        return ", ".join(str(e.get("name")) for e in config.get("optimizers", []))


def history_frame(
    records: list, columns: dict[str, str], statuses: dict[str, str], language_label
) -> pd.DataFrame:
    """One row per stored run, newest first; columns maps each of HISTORY_COLUMNS to its translated title."""
    rows = []
    for record in records:
        config = record.config
        rows.append(
            {
                columns["run"]: f"#{record.id}",
                columns["status"]: statuses.get(record.status, record.status),
                columns["created"]: time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created)),
                columns["dataset"]: dataset_label(config),
                columns["optimizers"]: run_optimizers(config, language_label),
                columns["epochs"]: int(config.get("epochs", 0)),
                columns["accuracy"]: final_accuracy(record.summary, language_label),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[columns[k] for k in HISTORY_COLUMNS],
    )


def dataset_label(config: dict) -> str:
    """The data set's name, and the last part of its path if it has one."""
    name = config.get("dataset", "digits")
    if config.get("data_path"):
        return f"{name}: {config['data_path'].rstrip('/').rsplit('/', 1)[-1]}"
    return name


def run_label(record, language_label) -> str:
    """'#<id> · <optimizers> · <created>', for a select box of runs."""
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created))
    return f"#{record.id} · {run_optimizers(record.config, language_label)} · {created}"
