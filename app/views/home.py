"""Home: what each page teaches."""

from pathlib import Path

import streamlit as st

from app.i18n import t

st.title(t("home.title"))
st.markdown(t("home.lead"))

PAGES_DIR = Path(__file__).parent
for file, key in [("playground.py", "playground"), ("analysis.py", "analysis"), ("schedules.py", "schedules"),
                  ("ema.py", "ema"), ("training.py", "training")]:
    if not (PAGES_DIR / file).exists():
        continue
    with st.container(border=True):
        st.subheader(t(f"nav.{key}"))
        st.markdown(t(f"home.{key}"))
        st.page_link(str(PAGES_DIR / file), label=t("home.open"), icon=":material/arrow_forward:")
