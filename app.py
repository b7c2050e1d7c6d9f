"""Frame only: page config, navigation, the shared sidebar (snapshot + filters), then the chosen page."""

import streamlit as st

import perfeval_dash.ui.preload  # noqa: F401  first: heavy modules whole before any page draws (see preload.py)
from perfeval_dash.ui import frame

st.set_page_config(page_title=frame.APP_TITLE, page_icon=":material/analytics:", layout="wide")
page = frame.navigation()
ctx = frame.frame()
page.run()
frame.finish(ctx)
