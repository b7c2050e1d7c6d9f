"""问题整改: problems by category and status, rectification rate by department, overdue and batch lists."""

import streamlit as st

from perfeval_dash.queries import problems
from perfeval_dash.ui import charts, fmt, followup, frame, widgets

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
if f.narrows_evaluations:
    st.caption("已按主管部门 / 类型 / 等级筛选：整批共性问题不属于单个部门，未计入。")
widgets.metric_row(
    [
        ("问题总数", fmt.count(tot["problems"], "个"), f"其中整批共性问题 {tot['batch_level']} 个"),
        ("有整改记录", fmt.count(tot["tracked"], "个"), "公布报告未给出整改情况的问题不计入完成率"),
        ("未完成", fmt.count(tot["open"], "个"), "未整改 + 整改中"),
        ("逾期", fmt.count(tot["overdue"], "个"), None),
        ("整改完成率", fmt.pct(tot["rate"]), None),
    ]
)
if tot["problems"] == 0:
    st.info("当前筛选条件下没有问题记录。")
    st.stop()

cats = problems.by_category(con, f, as_of)
depts = problems.by_department(con, f, as_of)
c1, c2 = st.columns(2)
with c1:
    widgets.chart(charts.fig_problem_categories(cats), "categories")
with c2:
    if depts.filter(depts["tracked"] > 0).height:
        widgets.chart(charts.fig_rectification(depts), "rectification")
    else:
        st.info("所选问题均无整改跟踪记录（公布的报告只列出问题，未给出整改情况）。")

st.subheader("逾期问题")
late, total = problems.overdue(con, f, as_of)
if total:
    note = f"逾期天数按数据截至日 {fmt.date(as_of)} 计算。" + (
        f" 共 {total:,} 个，表中显示逾期最久的 {late.height:,} 个。" if total > late.height else ""
    )
    widgets.table(ctx, late, "逾期问题", key="overdue", note=note)
else:
    st.success("没有逾期问题。")

st.subheader("各部门整改情况")
widgets.table(
    ctx,
    depts,
    "各部门整改情况",
    key="by_department",
    column_config={"整改完成率": st.column_config.NumberColumn("整改完成率", format="percent")},
)

batch = problems.batch_level(con, f, as_of)
if batch.height:
    st.subheader("整批共性问题")
    st.caption("报告针对整批评价（地区 + 评价年度）提出的共性问题，不属于某一项评价。")
    widgets.table(ctx, batch, "整批共性问题", key="batch_problems")

followup.problems_section(ctx)  # deadlines (current / original), ageing, revisions, 屡查屡犯
