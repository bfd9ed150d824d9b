"""The runs the Training page saved, as series another page can use: one home for the EMA page (training
loss per step) and the Schedules page (validation loss per epoch, for ReduceLROnPlateau).

The run store is SQLite only (optim_core.training.store): reading saved runs needs no torch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import streamlit as st

from app.shared.i18n import t
from app.shared.navigation import page_script
from app.shared.run_access import visible
from app.shared.settings import Setting, UrlState
from optim_core.training.store import RunRecord, RunStore

RUN_STATUSES = ("finished", "stopped")  # runs whose series no longer grow


def saved_runs(store: RunStore) -> list[RunRecord]:
    """The saved runs whose metrics no longer grow (finished or stopped), newest first, among those this
    session may see (OPTIM_LAB_RUN_VISIBILITY=owner: only its own)."""
    return visible([r for r in store.list_runs(limit=200) if r.status in RUN_STATUSES])


@lru_cache(maxsize=32)
def run_metric(db: str, run_id: int, finished_at: float | None, name: str) -> dict[str, list[float]]:
    """Metric `name` (train_loss per step, val_loss per epoch, ...) of each lane of a saved run, in step
    order (finished_at in the key: a resumed run that ended again is read afresh)."""
    frame = RunStore(db).read_metrics(run_id, names=[name])
    return {
        lane: rows.sort_values("step", kind="stable")["value"].tolist()
        for lane, rows in frame.groupby("optimizer", sort=False)
    }


def run_label(record: RunRecord) -> str:
    optimizers = ", ".join(e.get("label") or e.get("name", "?") for e in record.config.get("optimizers", []))
    return t(
        "ema.run_label",
        id=record.id,
        status=t(f"tr.status.{record.status}"),
        optimizers=optimizers,
        date=time.strftime("%Y-%m-%d %H:%M", time.localtime(record.created)),
    )


@dataclass(frozen=True)
class PickedRun:
    record: RunRecord
    lane: str
    values: np.ndarray


def pick_run(
    state: UrlState, where, *, metric: str, prefix: str, missing: str, empty: str, say=None
) -> PickedRun | None:
    """Draw a saved-run chooser and a lane chooser (URL keys f"{prefix}run", f"{prefix}lane") into
    `where`, and return the chosen lane's `metric`. None, after saying why in `say` (default the main
    area), where there is no saved run (translation key `missing`, and a link to the Training page) or
    the chosen run has no such metric (key `empty`, given the run's id)."""
    say = say or st
    store = RunStore()
    runs = saved_runs(store)
    if not runs:
        say.info(t(missing), icon=":material/model_training:")
        say.page_link(
            page_script("training"), label=t("ema.runs_open_training"), icon=":material/arrow_forward:"
        )
        return None
    labels = {r.id: run_label(r) for r in runs}
    run_id = state.widget(
        Setting(f"{prefix}run", "choice", runs[0].id, "ema.run", choices=tuple(labels), format=labels.get),
        where,
    )
    record = next(r for r in runs if r.id == run_id)
    series = run_metric(str(store.path), run_id, record.finished_at, metric)
    if not series:
        say.info(t(empty, id=run_id), icon=":material/info:")
        return None
    lanes = tuple(series)
    lane = state.widget(Setting(f"{prefix}lane", "choice", lanes[0], "ema.lane", choices=lanes), where)
    return PickedRun(record, lane, np.asarray(series[lane], dtype=float))
