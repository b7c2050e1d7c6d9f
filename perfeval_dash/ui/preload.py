"""Imports every heavy module the pages use, whole, before a page draws (app.py imports this first).

Concurrent first page runs raced on lazy imports: Plotly looks up `pandas` in `sys.modules` without
importing it, and found it half-initialised while another session's thread was still importing it
(`partially initialized module 'pandas' has no attribute 'Series'`). The first session to import this
module holds Python's import lock for it until everything below is loaded; the others wait for it.
"""

import numpy  # noqa: F401
import pandas  # noqa: F401
import plotly.graph_objects as go
import plotly.io
import plotly.tools  # noqa: F401
import polars as pl
import pyarrow  # noqa: F401
import streamlit.dataframe_util as dataframe_util
import xlsxwriter  # noqa: F401

# run once what Streamlit does lazily on the first chart and the first table
plotly.io.to_json(go.Figure(go.Bar(x=["a"], y=[1])), validate=False)
dataframe_util.convert_anything_to_arrow_bytes(pl.DataFrame({"a": [1.0, None]}))
