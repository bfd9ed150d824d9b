"""What this browser session may do with runs: the keys it holds, the instructor's token, the operator's
policy (optim_core/training/ownership.py), and the notices an action left for the next rerun.

The open run's key is in the URL (key=...), next to run=<id>, so a refresh or a bookmark keeps control
(the instructor's token is not: it stays in the session). Every key this session started or opened a run
with is kept in session state, so History can show "your" runs. Actions are checked again on the server
by the JobManager, whatever buttons were drawn.
"""

from __future__ import annotations

import streamlit as st

from app.shared.i18n import t
from app.shared.settings import Setting, current
from optim_core.training.ownership import Access, Policy, key_hash
from optim_core.training.store import RunRecord

KEY = Setting("key", "text", "", "own.key", max_len=64)  # the open run's capability key
ALL_RUNS = Setting("allruns", "bool", False, "own.all_runs", help="own.all_runs_help")
_KEYS = "_tr_keys"  # session state: run id -> its key, for the runs this session started or opened
_NOTICE = "_tr_own_notice"
_ADMIN = "_tr_admin"  # session state: the token this session gave (?admin=... or the sidebar field)


def register() -> None:
    """Put the run key into the URL state (before Start sets the key)."""
    current().register(KEY)


def take_admin_token() -> None:
    """A token given as ?admin=... (on any page: app/main.py calls this) is kept in this session and taken
    out of the address bar at once: a link copied from the instructor's browser must not carry it."""
    if "admin" in st.query_params:
        st.session_state[_ADMIN] = st.query_params["admin"]
        del st.query_params["admin"]


def policy() -> Policy:
    return Policy.from_env()


def held() -> dict[int, str]:
    return st.session_state.setdefault(_KEYS, {})


def remember(run: int, key: str) -> None:
    held()[run] = key


def access() -> Access:
    """The session's keys and, when its token is the admin token, admin rights."""
    return policy().access(held().values(), st.session_state.get(_ADMIN, ""))


def visible(records: list[RunRecord], acc: Access | None = None) -> list[RunRecord]:
    """The runs this session may see under the operator's visibility setting."""
    acc, rules = acc or access(), policy()
    return [r for r in records if rules.may_view(r.owner, acc)]


def claim(record: RunRecord) -> None:
    """The URL's key for the open run: kept (and remembered) when it is this run's; else the key this
    session holds for the run, or none (a key for another run, or a guess, is dropped quietly)."""
    key = st.session_state.get("key", "")
    if key and record.owner is not None and key_hash(key) == record.owner:
        remember(record.id, key)
    else:
        st.session_state["key"] = held().get(record.id, "")


def open_with_key(run: int) -> None:
    """A button's on_click: open `run` with the key this session holds for it (if any)."""
    st.session_state["run"] = run
    st.session_state["key"] = held().get(run, "")


def say(text: str, icon: str = ":material/lock:") -> None:
    """Leave a warning for the next rerun (actions run in callbacks, before the page is drawn)."""
    st.session_state[_NOTICE] = (text, icon)


def show_notice() -> None:
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.warning(notice[0], icon=notice[1])


def _take_token() -> None:
    st.session_state[_ADMIN] = st.session_state["tr_admin_field"]


def admin_field() -> None:
    """The instructor's token in the sidebar, where the operator set one."""
    if not policy().admin_token:
        return
    admin = access().admin
    with st.sidebar.expander(t("own.admin_box"), icon=":material/admin_panel_settings:", expanded=admin):
        st.text_input(
            t("own.admin"),
            type="password",
            key="tr_admin_field",
            help=t("own.admin_help"),
            on_change=_take_token,
        )
        if admin:
            st.caption(t("own.admin_on"))
