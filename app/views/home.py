"""Home: what each page teaches, as a grid of cards with a picture of each page."""

from pathlib import Path

import streamlit as st

from app.shared.i18n import t
from app.shared.navigation import PAGES, page_script

ASSETS = Path(__file__).resolve().parents[2] / "assets"
CARDS = [page.url_path for page in PAGES if page.url_path != "home"]

st.title(t("home.title"))
st.markdown(t("home.lead"))
with st.container(border=True, horizontal=True, vertical_alignment="center", key="home_start_here"):
    st.markdown(t("home.start_here"))
    st.page_link(page_script("lessons"), label=t("home.start_button"), icon=":material/school:")

for row in range(0, len(CARDS), 2):
    for column, key in zip(st.columns(2, gap="medium"), CARDS[row : row + 2], strict=False):
        with column.container(border=True):
            st.subheader(t(f"nav.{key}"))
            picture = ASSETS / f"{key}.png"
            if picture.exists():
                st.image(str(picture), width="stretch")
            st.markdown(t(f"home.{key}"))
            st.page_link(page_script(key), label=t("home.open"), icon=":material/arrow_forward:")
