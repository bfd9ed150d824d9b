"""Entry point: page config, the global controls (language, presenter mode) and st.navigation.

Streamlit runs this file as `__main__` on every rerun. A process started with 'spawn' (the Training
page's JobManager workers, the LR range test's process) imports the parent's `__main__` again, as
`__mp_main__`: so the app runs only under the `__name__` guard, and Streamlit and the app's modules are
imported inside main(). A worker imports only this file's few lines above it: no Streamlit, no
"missing ScriptRunContext" warnings, no second warm-up (tests/app/test_worker_imports.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))


# Python hands the GIL from a busy thread to a waiting one every switch interval (5 ms by default).
# Every message a script sends wakes the server's event loop through a socket write, a system call that
# releases the GIL; with other sessions' scripts busy, getting it back waits out that interval, once per
# message: a whole Playground page (~80 messages) took 1.5 s under a class's load. 1 ms: see README,
# "Benchmarks" (bench_classroom).
GIL_SWITCH_INTERVAL_S = 0.001


def main() -> None:
    import os

    import streamlit as st

    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)

    from app.shared import gc_freeze, presenter, theme
    from app.shared.i18n import LANGUAGES, t
    from app.shared.navigation import PAGES, page_script
    from app.shared.run_access import take_admin_token
    from app.shared.settings import Setting, UrlState
    from optim_core.simulation import warm

    language = Setting(
        "lang",
        "choice",
        "en",
        "sidebar.language",
        choices=tuple(LANGUAGES),
        format=LANGUAGES.get,
        widget="segmented",
    )
    presenter_mode = Setting("present", "bool", False, "sidebar.presenter", help="sidebar.presenter_help")

    # presenter mode and a view-only link open with the sidebar closed: the figure gets the screen
    drawer_closed = (
        presenter.opened_as(presenter_mode) or presenter.opened_as(presenter.VIEW) == presenter.WATCH
    )
    st.set_page_config(
        page_title="Optimizer Lab",
        page_icon="📉",
        layout="wide",
        initial_sidebar_state="collapsed" if drawer_closed else "auto",
    )
    # The rules compile in a background thread, once per server process (later calls do nothing);
    # simulate() switches to the compiled code as it becomes ready and never waits for it.
    # OPTIM_LAB_WARM_UP=0: off.
    if os.environ.get("OPTIM_LAB_WARM_UP", "1") != "0":
        warm.warm_up()

    # The language comes first: page titles are translated.
    state = UrlState()
    st.session_state["_url_state"] = state
    state.register(language)
    take_admin_token()  # before the pages read the URL: the token never stays in it

    pages = [
        st.Page(
            page_script(p.url_path),
            title=t(p.title_key),
            url_path=p.url_path,
            icon=p.icon,
            default=(p.url_path == "home"),
        )
        for p in PAGES
    ]
    page = st.navigation(pages)

    state.set_page(page.url_path or "home")
    state.register(presenter.VIEW)
    controls = presenter.controls(state)  # a view-only link draws no controls
    with st.sidebar:
        controls.widget(language)
        presenting = controls.widget(presenter_mode)
        if not presenter.watching():
            st.caption(t("sidebar.share"))
            share = st.empty()  # the view-only link, once the page has put its settings in the URL
    css = theme.BASE_CSS + (theme.PRESENTER_CSS if presenting else "")
    st.html(css + (presenter.WATCH_CSS if presenter.watching() else ""))

    notices = st.container()
    try:
        page.run()
    finally:
        state.sync()
        if not presenter.watching():
            with share.container():
                st.caption(t("share.watch_caption"))
                link = presenter.watch_link()  # percent-encoded: no Markdown can form in it
                st.markdown(f"[`{link}`]({link})")
        for notice in dict.fromkeys(state.notices):
            notices.warning(notice, icon=":material/link_off:")
        gc_freeze.freeze_imports()  # after a page's first run: its modules are imported now


if __name__ == "__main__":
    main()
