"""The pages of the app: one table that the navigation, the home page's cards and links between pages read."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

# Not "pages/": beside main.py that name switches Streamlit to its legacy multipage mode.
VIEWS_DIR = Path(__file__).resolve().parents[1] / "views"


class PageEntry(NamedTuple):
    script: str  # under app/views/
    url_path: str
    title_key: str  # i18n key of the page's title
    icon: str


PAGES = (
    # first: where a student starts (Home, the default page, points to it too)
    PageEntry("lessons/page.py", "lessons", "nav.lessons", ":material/school:"),
    PageEntry("home.py", "home", "nav.home", ":material/home:"),
    PageEntry("playground/page.py", "playground", "nav.playground", ":material/landscape:"),
    PageEntry("analysis/page.py", "analysis", "nav.analysis", ":material/grid_on:"),
    PageEntry("schedules/page.py", "schedules", "nav.schedules", ":material/trending_down:"),
    PageEntry("ema/page.py", "ema", "nav.ema", ":material/show_chart:"),
    PageEntry("training/page.py", "training", "nav.training", ":material/model_training:"),
    PageEntry("classroom/page.py", "classroom", "nav.classroom", ":material/how_to_vote:"),
)


def page_script(url_path: str) -> str:
    """The absolute path of a page's script, as st.page_link wants it.

    Absolute, because AppTest may run main.py from another working directory.
    """
    entry = next(p for p in PAGES if p.url_path == url_path)
    return str(VIEWS_DIR / entry.script)
