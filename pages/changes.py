"""本期变化: problems found, closed, reopened, deadlines moved, units changed, removed — since an earlier snapshot."""

import streamlit as st

from perfeval_dash.queries import changes
from perfeval_dash.ui import charts, fmt, followup, frame, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con = ctx.filters, ctx.con

top = st.container()
earlier = followup.since_picker(ctx)
counts = changes.counts(con, f, earlier.id) if earlier else None
with top:
    widgets.header(
        ctx,
        "本期变化",
        "两个快照之间每个问题的净变化：新发现、完成整改、重新打开、期限推迟或提前、责任单位变化、移除。"
        "系统在每次发布时记录问题的变化；期间改了又改回的不计。",
        synthetic=bool(counts["synthetic"].any()) if counts is not None else False,
    )
if earlier is None:
    st.info("当前快照是变化记录的起点：没有更早的、在同一条发布链上的快照可以比较。发布新数据后即可查看本期变化。")
    st.stop()

st.caption(
    f"比较：快照 {earlier.id}（数据截至 {fmt.date(earlier.as_of)}）→ 当前查看的快照 {ctx.snapshot.id}"
    f"（数据截至 {fmt.date(ctx.snapshot.as_of)}）。"
)
by_kind = dict(zip(counts["change"].to_list(), counts["problems"].to_list()))
tiles = [widgets.Tile(k, fmt.count(v, "个")) for k, v in by_kind.items()]
widgets.tiles(tiles)
if not sum(by_kind.values()):
    st.success("所选范围内，这两个快照之间问题没有变化。")
    st.stop()
figure = charts.fig_change_counts(counts)
widgets.chart(figure, "changes")
rows, total = changes.changes(con, f, earlier.id)
note = f"共 {total:,} 项变化，表中显示前 {rows.height:,} 项（按变化类别）。" if total > rows.height else None
key_columns = ("change", "problem_id", "department", "old_value", "new_value")
widgets.table(ctx, rows, "本期变化", key="changes_list", note=note, first=key_columns)
synthetic = bool(counts["synthetic"].any())
widgets.brief(ctx, tiles, [figure], rows.select(key_columns), "本期变化（按变化类别）", synthetic)
