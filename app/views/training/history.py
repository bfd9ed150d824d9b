"""The runs in the store, newest first: a table, and for the run picked in it Open, Compare, its metrics
as CSV, and Delete (confirmed; not while it is queued or running)."""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.optimizer_labels import optimizer_label
from app.views.training.resources import job_manager
from app.views.training.run_panel import status_texts
from app.views.training.session import forget_metrics, set_value
from app.views.training.tables import HISTORY_COLUMNS, history_frame, run_label
from optim_core.training.statuses import TERMINAL
from optim_core.training.store import RunRecord

# pixels: the lists of optimizers and accuracies get the room
COLUMN_WIDTHS = {
    "run": 60,
    "status": 100,
    "created": 140,
    "dataset": 110,
    "optimizers": 300,
    "epochs": 70,
    "accuracy": "large",
}


def delete_run(run: int) -> None:
    job_manager().store.delete_run(run)
    for key in ("run", "cmp"):
        if st.session_state.get(key) == run:
            st.session_state[key] = 0
    forget_metrics(run)
    st.session_state.pop("tr_pick", None)


def history_panel(open_record: RunRecord | None) -> None:
    """The history; `open_record` is the run open above it (None: none)."""
    store = job_manager().store
    run_id = open_record.id if open_record is not None else 0
    st.divider()
    st.subheader(t("tr.history"))
    records = store.list_runs(limit=200)
    if not records:
        st.caption(t("tr.history_empty"))
        return
    columns = {c: t(f"tr.hist.{c}") for c in HISTORY_COLUMNS}
    st.dataframe(
        history_frame(records, columns, status_texts(), optimizer_label),
        hide_index=True,
        width="stretch",
        key="tr_history_table",
        height=min(400, 38 + 35 * len(records)),
        column_config={columns[c]: st.column_config.Column(width=w) for c, w in COLUMN_WIDTHS.items()},
    )
    ids = [r.id for r in records]
    labels = {r.id: run_label(r, optimizer_label) for r in records}
    default_pick = run_id if run_id in ids else ids[0]
    if st.session_state.get("tr_pick") not in ids:
        st.session_state["tr_pick"] = default_pick
    # the buttons in a row of their own: beside the select box they were cut to "Comp…" at 1280 px
    picked = st.selectbox(t("tr.hist.pick"), ids, format_func=labels.get, key="tr_pick")
    picked_record = next(r for r in records if r.id == picked)
    open_col, cmp_col, csv_col, del_col = st.columns(4)
    open_col.button(
        t("tr.hist.open"),
        key="tr_open",
        icon=":material/open_in_new:",
        on_click=set_value,
        args=("run", picked),
        width="stretch",
        disabled=picked == run_id,
    )
    cmp_col.button(
        t("tr.hist.compare"),
        key="tr_compare",
        icon=":material/compare_arrows:",
        on_click=set_value,
        args=("cmp", picked),
        width="stretch",
        disabled=not run_id or picked == run_id,
        help=t("tr.hist.compare_help"),
    )
    csv_col.download_button(
        t("tr.hist.csv"),
        data=lambda run=picked: store.export_csv(run),
        file_name=f"run-{picked}-metrics.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        key="tr_csv",
        width="stretch",
    )
    active = picked_record.status not in TERMINAL
    with del_col.popover(
        t("tr.hist.delete"),
        icon=":material/delete:",
        disabled=active,
        width="stretch",
        help=t("tr.hist.delete_active") if active else None,
    ):
        st.markdown(t("tr.hist.delete_confirm", id=picked))
        st.button(
            t("tr.hist.delete_yes", id=picked),
            key="tr_delete",
            type="primary",
            on_click=delete_run,
            args=(picked,),
        )
