"""Page building blocks: the header with the filter sentence, headline tiles, charts, result tables."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

import polars as pl
import streamlit as st

from perfeval_dash import settings
from perfeval_dash.ui import brief as briefs
from perfeval_dash.ui import download, exports, fmt, frame, labels, signals, url_state
from perfeval_dash.ui.frame import Context
from perfeval_dash.ui.tiles import Tile

__all__ = ["Tile", "brief", "chart", "downloads", "header", "table", "tabs", "tiles"]

TILE_WIDTH = 182  # px: tiles wrap into a grid, two abreast on a phone (see frame.CSS)
OPEN = "查看 ›"  # the text of a table's detail column; one click on it opens the evaluation in the same tab
ID_COLUMNS = ("eval_id", "problem_id")  # shown last: readers need names, links need ids
_GEN = "_widget_generation"  # bumped after a click is acted on, so the clicked widget starts fresh


def header(ctx: Context, title: str, explanation: str, synthetic: bool) -> None:
    """Page title, one-line explanation, the filter sentence, the snapshot line and the 含模拟数据 badge."""
    st.title(fmt.md(title))
    st.caption(explanation)
    line = f"{ctx.filters.describe()}　｜　{ctx.snapshot_line()}"
    if synthetic:
        st.badge("含模拟数据", icon=":material/science:", color="orange")
    st.caption(fmt.md(line))  # names come from the data: never interpreted as Markdown or HTML
    ctx.title = title
    ctx.brief_slot = st.container()  # the page's brief download goes here once the page has its figures


def tiles(items: Sequence[Tile]) -> None:
    """Headline figures in a wrapping grid; a rule's signal colours the value (grey for unknown)."""
    with st.container(horizontal=True, gap="small"):
        for t in items:
            st.metric(
                t.label,
                signals.colored(t.signal, t.value),
                delta=t.delta or t.note,
                delta_color=t.delta_color if t.delta else "off",
                delta_arrow="auto" if t.delta else "off",
                delta_description="同比" if t.delta else None,
                help=t.help,
                border=True,
                width=TILE_WIDTH,
            )


def tabs(ctx: Context, key: str, labels: Sequence[str]):
    """Tabs bound to the URL parameter `key` (url_state.PARAMS): returns the open tab's label and container.
    Only that tab's section should run, inside the container (a click on another tab reruns the page); a tab
    other than the first goes into the share link; an invalid URL value is dropped with a notice."""
    frame.page_param(key)
    containers = st.tabs(list(labels), key=key, bind="query-params")
    label, container = next(((t, c) for t, c in zip(labels, containers) if c.open), (labels[0], containers[0]))
    if label != labels[0]:
        ctx.link_extra[key] = label
    return label, container


def _generation() -> int:
    return st.session_state.get(_GEN, 0)


def _narrow(key: str) -> None:
    """Chart click callback: set the sidebar filters to what the clicked mark stands for."""
    points = st.session_state.get(key, {}).get("selection", {}).get("points", [])
    data = points[0].get("customdata") if points else None
    if not data:
        return
    for filter_key, values in json.loads(data[0] if isinstance(data, list) else data).items():
        st.session_state[filter_key] = values
    st.session_state[_GEN] = _generation() + 1


def chart(fig, key: str, clickable: bool = True) -> None:
    """A Plotly chart, full width; clicking a mark narrows the sidebar filters to it (charts.pick)."""
    key = f"{key}_{_generation()}"
    st.plotly_chart(
        fig,
        key=key,
        width="stretch",
        on_select=(lambda: _narrow(key)) if clickable else "ignore",
        selection_mode="points",
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "scale": 2},
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
        },
    )


def _open_detail(key: str, ids: list) -> None:
    """Table click callback: a click on the 查看 column opens that evaluation's detail page."""
    cells = st.session_state.get(key, {}).get("selection", {}).get("cells", [])
    for row, column in cells:
        if column == labels.label("link") and 0 <= row < len(ids) and ids[row]:
            st.session_state[_GEN] = _generation() + 1
            frame.open_detail(ids[row])


def _ordered(df: pl.DataFrame, first: Sequence[str]) -> pl.DataFrame:
    """Key columns first (then the 查看 column), ids and the synthetic flag last."""
    head = [c for c in first if c in df.columns]
    if "link" in df.columns:
        head.append("link")
    tail = [c for c in (*ID_COLUMNS, "synthetic") if c in df.columns and c not in head]
    return df.select(head + [c for c in df.columns if c not in head and c not in tail] + tail)


def table(
    ctx: Context,
    df: pl.DataFrame,
    name: str,
    key: str,
    note: str | None = None,
    column_config: dict | None = None,
    height: int | str = "auto",
    first: Sequence[str] = (),
) -> None:
    """A result table in Chinese: key columns first, 查看 opens the detail, missing values read 未知; downloads.

    Large tables are sent to the browser lazily (only the rows in view). Excel and CSV downloads hold every
    row of `df`, with the filter sentence and snapshot above the table.
    """
    shown = df
    on_select, mode = "ignore", "multi-row"
    if "eval_id" in df.columns and ctx.snapshot is not None:
        ids = df["eval_id"].to_list()
        shown = df.with_columns(link=pl.Series([OPEN if e else None for e in ids], dtype=pl.String))
        on_select, mode = (lambda: _open_detail(widget_key, ids)), "single-cell"
    shown = labels.with_missing_words(_ordered(shown, first))
    widget_key = f"{key}_{_generation()}"
    st.dataframe(
        labels.chinese(shown),
        hide_index=True,
        width="stretch",
        column_config=labels.column_config(shown, column_config),
        height=height,
        key=widget_key,
        placeholder=labels.MISSING,
        lazy=True if shown.height > 500 and on_select == "ignore" else None,  # lazy grids take no clicks
        on_select=on_select,
        selection_mode=mode,
    )
    if note:
        st.caption(note)
    _print_copy(shown.drop("link", "dept_link", strict=False), name)  # links do not print
    downloads(ctx, df, name, key)


def _print_copy(df: pl.DataFrame, name: str) -> None:
    """A static copy of a table that only browser printing shows (the interactive grid prints only rows in view)."""
    rows = df.head(settings.PRINT_ROWS.value)
    head = "".join(f"<th>{html.escape(labels.label(c))}</th>" for c in rows.columns)
    cells = [[html.escape(labels.text(v, c)) for v in rows[c].to_list()] for c in rows.columns]  # column by column
    body = "".join("<tr><td>" + "</td><td>".join(r) + "</td></tr>" for r in zip(*cells))
    more = (
        f"<p>共 {df.height:,} 行，打印只含前 {rows.height:,} 行；完整数据请下载。</p>"
        if df.height > rows.height
        else ""
    )
    st.html(
        f'<div class="perfeval-print-only"><p>{html.escape(name)}</p><table><tr>{head}</tr>{body}</table>{more}</div>'
    )


def downloads(ctx: Context, df: pl.DataFrame, name: str, key: str) -> None:
    """Excel (formatted for reading) and CSV downloads of a table, the filters and snapshot written above it."""
    export = labels.chinese(_ordered(df, ()))
    lines = [name, ctx.filters.describe(), ctx.snapshot_line()]
    if "synthetic" in df.columns and df["synthetic"].any():
        lines.append("注意：含模拟数据（「模拟数据」列为“是”的行为演示用虚构数据）")
    formats = labels.excel_formats(_ordered(df, ()))
    download.pair(name, key, lambda: exports.to_excel(export, name, lines, formats), lambda: exports.to_csv(export))


def brief(
    ctx: Context,
    items: Sequence[Tile],
    figures: Sequence = (),
    table: pl.DataFrame | None = None,
    table_title: str = "",
    synthetic: bool = False,
) -> None:
    """The page's one-page A4 brief (PDF) as a download under its header, made when it is clicked."""
    if ctx.snapshot is None or ctx.brief_slot is None:
        return
    link = url_state.share_link(st.context.url or "", ctx.filters, ctx.snapshot.id, ctx.link_extra)
    content = briefs.Brief(
        ctx.title,
        ctx.filters.describe(),
        ctx.snapshot_line(),
        link,
        list(items),
        list(figures),
        table,
        table_title,
        synthetic,
    )
    with ctx.brief_slot:
        st.download_button(
            "下载简报（PDF，A4 一页）",
            data=lambda: briefs.build(content),
            file_name=f"{ctx.title}_简报.pdf",
            mime="application/pdf",
            key="brief_pdf",
            on_click="ignore",
            icon=":material/picture_as_pdf:",
            help="标题、筛选条件、数据快照、主要数字及其信号、主要图表、关键表格前几行，以及本视图的链接和二维码",
        )
