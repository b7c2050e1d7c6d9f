"""Page building blocks: the header with the filter sentence, headline figures, charts, result tables."""

from __future__ import annotations

import polars as pl
import streamlit as st

from perfeval_dash.ui import exports, fmt, labels, url_state
from perfeval_dash.ui.frame import Context


def header(ctx: Context, title: str, explanation: str, synthetic: bool) -> None:
    """Page title, one-line explanation, the filter sentence, the snapshot line and the 含模拟数据 badge."""
    st.title(fmt.md(title))
    st.caption(explanation)
    line = f"{ctx.filters.describe()}　｜　{ctx.snapshot_line()}"
    if synthetic:
        st.badge("含模拟数据", icon=":material/science:", color="orange")
    st.caption(fmt.md(line))  # names come from the data: never interpreted as Markdown or HTML


def metric_row(items: list[tuple[str, str, str | None]]) -> None:
    """A row of headline figures: (label, value, help)."""
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items):
        col.metric(label, value, help=help_text)


def chart(fig, key: str) -> None:
    """A Plotly chart, full width, with Plotly's own PNG export in its toolbar."""
    st.plotly_chart(
        fig,
        key=key,
        width="stretch",
        config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}},
    )


def table(
    ctx: Context,
    df: pl.DataFrame,
    name: str,
    key: str,
    note: str | None = None,
    column_config: dict | None = None,
    height: int | str = "auto",
) -> None:
    """A result table in Chinese with a 详情 link per evaluation and Excel/CSV downloads of what is shown."""
    shown = df
    config = dict(column_config or {})
    if "eval_id" in df.columns and ctx.snapshot is not None:
        links = [
            url_state.share_link("detail", ctx.filters, ctx.snapshot.id, {url_state.EVAL: e}) if e else None
            for e in df["eval_id"].to_list()
        ]
        shown = df.with_columns(link=pl.Series(links, dtype=pl.String))
        config[labels.label("link")] = st.column_config.LinkColumn(labels.label("link"), display_text="查看")
    readable = labels.readable_nulls(shown)
    for c in shown.columns:  # a number format no longer fits a column that now reads 未知 / —
        if readable.schema[c] != shown.schema[c]:
            config.pop(labels.label(c), None)
    display = labels.chinese(readable)
    st.dataframe(display, hide_index=True, width="stretch", column_config=config, height=height, key=key)
    if note:
        st.caption(note)
    export = labels.chinese(df)
    lines = [name, ctx.filters.describe(), ctx.snapshot_line()]
    if "synthetic" in df.columns and df["synthetic"].any():
        lines.append("注意：含模拟数据（「模拟数据」列为“是”的行为演示用虚构数据）")
    c1, c2, _ = st.columns([1, 1, 6])
    c1.download_button(
        "下载 Excel",
        data=lambda: exports.to_excel(export, name, lines),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        on_click="ignore",
        icon=":material/download:",
    )
    c2.download_button(
        "下载 CSV",
        data=lambda: exports.to_csv(export),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
