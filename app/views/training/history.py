"""The runs in the store, newest first: a table, and for the run picked in it Open, Compare, its metrics
as CSV, and Delete (confirmed; not while it is queued or running; only with the run's key or the admin
token). By default the runs this session started or opened with their key; "All runs" where the
operator's visibility allows."""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.optimizer_labels import optimizer_label
from app.shared.run_access import ALL_RUNS, access, admin_field, open_with_key, policy, say, visible
from app.shared.settings import current
from app.views.training.resources import job_manager
from app.views.training.run_panel import status_texts
from app.views.training.session import forget_metrics, set_value
from app.views.training.tables import HISTORY_COLUMNS, history_frame, run_label
from optim_core.training.ownership import NotAllowed, RunActive
from optim_core.training.statuses import TERMINAL
from optim_core.training.store import RunNotFound, RunRecord

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
    """Delete's on_click: refused (with a notice) without the run's key or while it is queued/running."""
    try:
        job_manager().delete(run, access())
    except NotAllowed:
        return say(t("own.refused", id=run))
    except RunActive as active:
        return say(t("own.active", id=run, status=status_texts()[active.status]), ":material/warning:")
    except RunNotFound:  # deleted meanwhile, from another tab
        pass
    for key in ("run", "cmp"):
        if st.session_state.get(key) == run:
            st.session_state[key] = 0
    forget_metrics(run)
    st.session_state.pop("tr_pick", None)


def history_panel(open_record: RunRecord | None) -> None:
    """The history; `open_record` is the run open above it (None: none)."""
    store, rules, acc = job_manager().store, policy(), access()
    admin_field()
    run_id = open_record.id if open_record is not None else 0
    st.divider()
    head_col, all_col = st.columns([3, 1], vertical_alignment="bottom")
    head_col.subheader(t("tr.history"))
    everything = visible(store.list_runs(limit=200), acc)
    can_all = bool(everything) and (rules.visibility == "view" or acc.admin)
    show_all = current().widget(ALL_RUNS, all_col) if can_all else False
    records = everything if show_all else [r for r in everything if r.owner in acc.hashes]
    if not records:
        st.caption(t("own.none_mine") if everything else t("tr.history_empty"))
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
        on_click=open_with_key,
        args=(picked,),
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
    if not acc.controls(picked_record.owner):
        del_col.caption(t("own.hist_view_only"))
        return
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
