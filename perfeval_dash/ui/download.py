"""The Excel + CSV download pair under a table (the files are made when clicked, not on every run).

Its own module, below `frame`, so that pages and the 数据管理 sections (which import `frame` lazily) share it.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pair(name: str, key: str, excel: Callable[[], bytes], csv: Callable[[], bytes]) -> None:
    """Buttons 下载 Excel and 下载 CSV side by side; files `name`.xlsx / .csv; widget keys `key`_xlsx / _csv."""
    with st.container(horizontal=True, gap="small"):
        st.download_button(
            "下载 Excel",
            data=excel,
            file_name=f"{name}.xlsx",
            mime=XLSX_MIME,
            key=f"{key}_xlsx",
            on_click="ignore",
            icon=":material/download:",
        )
        st.download_button(
            "下载 CSV",
            data=csv,
            file_name=f"{name}.csv",
            mime="text/csv",
            key=f"{key}_csv",
            on_click="ignore",
            icon=":material/download:",
        )
