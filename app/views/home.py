"""Home: what each page teaches, as a grid of cards with a picture of each page."""

from pathlib import Path

import streamlit as st

from app.i18n import t

PAGES_DIR = Path(__file__).parent
ASSETS = PAGES_DIR.parents[1] / "assets"
CARDS = [("playground.py", "playground"), ("analysis.py", "analysis"), ("schedules.py", "schedules"),
         ("ema.py", "ema"), ("training.py", "training")]

st.title(t("home.title"))
st.markdown(t("home.lead"))

available = [(file, key) for file, key in CARDS if (PAGES_DIR / file).exists()]
for row in range(0, len(available), 2):
    for column, (file, key) in zip(st.columns(2, gap="medium"), available[row:row + 2], strict=False):
        with column.container(border=True):
            st.subheader(t(f"nav.{key}"))
            picture = ASSETS / f"{key}.png"
            if picture.exists():
                st.image(str(picture), width="stretch")
            st.markdown(t(f"home.{key}"))
            st.page_link(str(PAGES_DIR / file), label=t("home.open"), icon=":material/arrow_forward:")
