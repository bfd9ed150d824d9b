"""Entry point: page config, the global controls (language, presenter mode) and st.navigation."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import gc_freeze, theme  # noqa: E402
from app.i18n import LANGUAGES, t  # noqa: E402
from app.settings import Setting, UrlState  # noqa: E402

PAGES_DIR = Path(__file__).resolve().parent / "views"  # not "pages/": that name switches Streamlit to its legacy multipage mode
# (file, url path, i18n title key, icon); a page appears once its file exists.
PAGES = [
    ("home.py", "home", "nav.home", ":material/home:"),
    ("playground.py", "playground", "nav.playground", ":material/landscape:"),
    ("analysis.py", "analysis", "nav.analysis", ":material/grid_on:"),
    ("schedules.py", "schedules", "nav.schedules", ":material/trending_down:"),
    ("ema.py", "ema", "nav.ema", ":material/show_chart:"),
    ("training.py", "training", "nav.training", ":material/model_training:"),
]

LANGUAGE = Setting("lang", "choice", "en", "sidebar.language", choices=tuple(LANGUAGES),
                   format=LANGUAGES.get, widget="segmented")
PRESENTER = Setting("present", "bool", False, "sidebar.presenter", help="sidebar.presenter_help")

st.set_page_config(page_title="Optimizer Lab", page_icon="📉", layout="wide")

# The language comes first: page titles are translated.
state = UrlState()
st.session_state["_url_state"] = state
state.register(LANGUAGE)

pages = [
    st.Page(str(PAGES_DIR / file), title=t(title), url_path=path, icon=icon, default=(path == "home"))
    for file, path, title, icon in PAGES
    if (PAGES_DIR / file).exists()
]
page = st.navigation(pages)

state.set_page(page.url_path or "home")
with st.sidebar:
    state.widget(LANGUAGE)
    presenter = state.widget(PRESENTER)
    st.caption(t("sidebar.share"))
st.html(theme.BASE_CSS + (theme.PRESENTER_CSS if presenter else ""))

notices = st.container()
try:
    page.run()
finally:
    state.sync()
    for notice in dict.fromkeys(state.notices):
        notices.warning(notice, icon=":material/link_off:")
    gc_freeze.freeze_imports()  # after a page's first run: its modules are imported now
