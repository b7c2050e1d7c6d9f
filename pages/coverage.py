"""评价覆盖: the 20% rule per department and budget year, region totals and gaps in 万元."""

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.domain.vocab import UNKNOWN
from perfeval_dash.queries import coverage
from perfeval_dash.ui import charts, fmt, frame, headlines, url_state, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con = ctx.filters, ctx.con

top = st.container()
default_pct = round(settings.COVERAGE_THRESHOLD.value * 100)
frame.page_param(url_state.THRESHOLD)  # an invalid value is dropped by the bound slider; this says so
pct = st.slider(
    "覆盖率门槛（%）",
    min_value=1,
    max_value=100,
    value=default_pct,
    step=1,
    key=url_state.THRESHOLD,
    bind="query-params",
    help="各部门单位纳入重点评价的资金不低于本部门年度项目预算总额的比例；默认 20%（特克斯县报告所引规定）",
)
threshold = pct / 100
if pct != default_pct:
    ctx.link_extra[url_state.THRESHOLD] = str(pct)

rows = coverage.by_department(con, f, threshold)
left_out = coverage.unbudgeted(con, f)
with top:
    widgets.header(
        ctx,
        "评价覆盖（20%规则）",
        f"每个主管部门、每个预算年度：评价金额合计 ÷ 年度项目预算总额，应不低于 {pct}%。部门整体评价视为该部门"
        "当年全覆盖；没有预算总额（或部分评价没有金额）的部门·年度覆盖率为“未知”，不是 0%。",
        synthetic=bool(rows["synthetic"].any()) if rows.height else False,
    )
if left_out["evaluations"]:  # lists that name only the evaluation year: never guessed into a budget year
    n, amount = left_out["evaluations"], left_out["amount_wan"]
    st.caption(
        f"已按预算年度筛选：{n:,} 项评价（金额 {fmt.wan(amount, UNKNOWN, max_decimals=2)}）未注明预算年度，不在其中。"
        if f.budget_years
        else fmt.unbudgeted(n, amount) + "。"
    )
if rows.height == 0:
    st.info(
        "当前筛选条件下没有可计算覆盖率的部门·年度：评价均未注明预算年度，也没有部门预算记录。"
        if left_out["evaluations"] and not f.budget_years
        else "当前筛选条件下没有评价或部门预算记录。"
    )
    st.stop()

tiles = headlines.coverage_tiles(rows, threshold, left_out, f.budget_years)
widgets.tiles(tiles)
from_budget = int(rows["from_budget"].sum())
if from_budget:
    st.caption(f"评价金额口径：{from_budget} 项评价未给出评价金额，按其预算金额计入。")

figure = charts.fig_coverage(rows, threshold)
widgets.chart(figure, "coverage")
shown = min(rows.height, settings.CHART_MAX_BARS.value)
st.caption(
    (
        f"图中显示前 {shown} 个部门·年度（未达标与未知在前），共 {rows.height:,} 个，见下表。"
        if rows.height > shown
        else ""
    )
    + "点击柱子即按该部门和预算年度筛选。"
)

st.subheader("各部门覆盖情况")
widgets.table(
    ctx,
    rows.select(
        "department",
        "budget_year",
        "ratio",
        "status",
        "gap_wan",
        "region",
        "evaluations",
        "evaluated_wan",
        "project_budget_wan",
        "whole_department",
        "from_budget",
        "amount_missing",
        "synthetic",
    ),
    "部门覆盖率",
    key="coverage_table",
    first=("department", "budget_year", "ratio", "status", "gap_wan"),
)

st.subheader("地区合计")
if f.scope.names_departments:  # a region's total is other departments' figures too
    st.caption("地区合计包含其他部门的数字，按您的查看范围不显示。")
else:
    st.caption("合计覆盖率只计有预算总额、且非部门整体评价的部门；覆盖率未知的部门单列，预算合计未知时显示“未知”。")
    widgets.table(ctx, coverage.summarize(rows), "地区合计", key="coverage_regions", first=("region", "budget_year"))
key_columns = ("department", "budget_year", "ratio", "status", "gap_wan", "region")
widgets.brief(ctx, tiles, [figure], rows.select(key_columns), "各部门覆盖情况", bool(rows["synthetic"].any()))
