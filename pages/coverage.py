"""评价覆盖: the 20% rule per department and budget year, region totals and gaps in 万元."""

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.domain.vocab import BELOW, MET, UNKNOWN
from perfeval_dash.queries import coverage
from perfeval_dash.ui import charts, fmt, frame, url_state, widgets

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
with top:
    widgets.header(
        ctx,
        "评价覆盖（20%规则）",
        f"每个主管部门、每个预算年度：评价金额合计 ÷ 年度项目预算总额，应不低于 {pct}%。"
        "部门整体评价视为该部门当年全覆盖；无预算总额的部门覆盖率为“未知”而非0%。",
        synthetic=bool(rows["synthetic"].any()) if rows.height else False,
    )
if rows.height == 0:
    st.info("当前筛选条件下没有评价或部门预算记录。")
    st.stop()

failed = rows.filter(rows["status"] == BELOW)
unknown = rows.filter(rows["status"] == UNKNOWN)
from_budget = int(rows["from_budget"].sum())
widgets.metric_row(
    [
        (MET, fmt.count(rows.height - failed.height - unknown.height, "个"), f"共 {rows.height:,} 个部门·年度"),
        (BELOW, fmt.count(failed.height, "个"), f"低于 {pct}% 门槛"),
        ("覆盖率未知", fmt.count(unknown.height, "个"), "有评价但没有年度项目预算总额"),
        (
            "合计差额",
            fmt.wan(float(failed["gap_wan"].sum()) if failed.height else 0.0, max_decimals=2),
            "未达标部门达到门槛还需评价的金额",
        ),
    ]
)
if from_budget:
    st.caption(f"评价金额口径：{from_budget} 项评价未给出评价金额，按其预算金额计入。")

widgets.chart(charts.fig_coverage(rows, threshold), "coverage")
if rows.height > 40:
    st.caption(f"图中显示前 40 个部门·年度（未达标与未知在前），共 {rows.height:,} 个，见下表。")

st.subheader("各部门覆盖情况")
table = rows.select(
    "region",
    "budget_year",
    "department",
    "evaluations",
    "evaluated_wan",
    "project_budget_wan",
    "ratio",
    "status",
    "gap_wan",
    "whole_department",
    "from_budget",
    "synthetic",
)
widgets.table(
    ctx,
    table,
    "部门覆盖率",
    key="coverage_table",
    column_config={
        "覆盖率": st.column_config.NumberColumn("覆盖率", format="percent"),
        "评价金额（万元）": st.column_config.NumberColumn(format="%.2f"),
        "年度项目预算总额（万元）": st.column_config.NumberColumn(format="%.2f"),
        "距门槛差额（万元）": st.column_config.NumberColumn(format="%.2f"),
    },
)

st.subheader("地区合计")
if f.scope.names_departments:  # a region's total is other departments' figures too
    st.caption("地区合计包含其他部门的数字，按您的查看范围不显示。")
else:
    st.caption("合计覆盖率只计有预算总额、且非部门整体评价的部门；覆盖率未知的部门单列。")
    widgets.table(
        ctx,
        coverage.summarize(rows),
        "地区合计",
        key="coverage_regions",
        column_config={"覆盖率": st.column_config.NumberColumn("覆盖率", format="percent")},
    )
