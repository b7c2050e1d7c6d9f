"""问题整改: headline tiles, then three tabs (?ptab=), of which only the open one is computed: 问题与逾期 (categories,
rectification by department, overdue and batch lists), 整改跟踪 (deadlines, ageing, revisions), 屡查屡犯."""

import streamlit as st

from perfeval_dash.domain.vocab import PROBLEM_VIEWS
from perfeval_dash.queries import problems
from perfeval_dash.ui import charts, fmt, followup, frame, headlines, url_state, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of

tot = problems.totals(con, f, as_of)
widgets.header(
    ctx,
    "问题整改",
    f"评价发现的问题按共性问题类别和整改状态统计；整改完成率 = 已整改（含已销号）÷ 有整改记录的问题；"
    f"逾期 = 未完成且整改期限早于数据截至日 {fmt.date(as_of)}。",
    synthetic=tot["any_synthetic"],
)
if f.scope.names_departments:
    st.caption("整批共性问题属于整个地区和年度、不属于单个部门，按您的查看范围不计入、不显示。")
elif f.narrows_evaluations:
    st.caption("已按主管部门 / 类型 / 等级筛选：整批共性问题不属于单个部门，未计入。")
tiles = headlines.problem_tiles(tot, fmt.date(as_of))
widgets.tiles(tiles)
if tot["problems"] == 0:
    st.info("当前筛选条件下没有问题记录。")
    st.stop()


def current_view() -> None:
    """问题与逾期: problems by category and status, rectification by department, the overdue and batch lists."""
    cats = problems.by_category(con, f, as_of)
    depts = problems.by_department(con, f, as_of)
    figures = [charts.fig_problem_categories(cats)]
    c1, c2 = st.columns(2)
    with c1:
        widgets.chart(figures[0], "categories", clickable=False)
    with c2:
        if depts.filter(depts["tracked"] > 0).height:
            figures.append(charts.fig_rectification(depts))
            widgets.chart(figures[-1], "rectification")
        else:
            st.info("所选问题均无整改跟踪记录（公布的报告只列出问题，未给出整改情况）。")

    st.subheader("逾期问题")
    late, total = problems.overdue(con, f, as_of)
    if total:
        note = f"逾期天数按数据截至日 {fmt.date(as_of)} 计算。" + (
            f" 共 {total:,} 个，表中显示逾期最久的 {late.height:,} 个。" if total > late.height else ""
        )
        widgets.table(
            ctx,
            late,
            "逾期问题",
            key="overdue",
            note=note,
            first=("description", "responsible_unit", "due_date", "days_overdue", "department", "project_name"),
        )
    elif tot["tracked"] == 0:
        st.info("所选问题均无整改记录，无法判断是否逾期（不是“没有逾期”）。", icon=":material/help:")
    else:
        st.success(f"有整改记录的 {tot['tracked']:,} 个问题中没有逾期的。")

    key_table = (
        late.select("description", "responsible_unit", "due_date", "days_overdue", "department") if total else None
    )
    widgets.brief(ctx, tiles, figures, key_table, "逾期问题（逾期最久的在前）", tot["any_synthetic"])

    st.subheader("各部门整改情况")
    widgets.table(
        ctx,
        depts,
        "各部门整改情况",
        key="by_department",
        first=("department", "region", "rate", "overdue", "open"),
    )

    batch = problems.batch_level(con, f, as_of)
    if batch.height:
        st.subheader("整批共性问题")
        st.caption("报告针对整批评价（地区 + 评价年度）提出的共性问题，不属于某一项评价。")
        widgets.table(ctx, batch, "整批共性问题", key="batch_problems", first=("description", "category", "region"))


CURRENT, TRACKING, REPEATS = PROBLEM_VIEWS
view, tab = widgets.tabs(ctx, url_state.PROBLEM_VIEW, PROBLEM_VIEWS)
with tab:
    if view == TRACKING:
        followup.tracking_section(ctx, tiles)  # deadlines (current / original), ageing, revisions
    elif view == REPEATS:
        followup.repeats_view(ctx, tiles)  # 屡查屡犯
    else:
        current_view()
