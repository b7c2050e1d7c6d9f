"""总览: headline tiles with their signals, grade distribution, trend, department ranking, reports and sources."""

import dataclasses

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.queries import coverage, overview, problems
from perfeval_dash.ui import charts, fmt, frame, headlines, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of
threshold = settings.COVERAGE_THRESHOLD.value

head = overview.headline(con, f)
amount = overview.published_amount(con, f)
cov = coverage.by_department(con, f, threshold)
unbudgeted = coverage.unbudgeted(con, f)
prob = problems.totals(con, f, as_of)
widgets.header(
    ctx,
    "总览",
    "所选范围内重点绩效评价的项数、金额、得分与等级，20%覆盖率，以及未完成和逾期的整改问题。颜色：红=预警，橙=关注，"
    "绿=正常，灰=未知（没有数据时不显示为 0）。",
    synthetic=head["any_synthetic"] or prob["any_synthetic"],
)
prev = prev_amount = None
if len(f.years) == 1:  # 同比: the same view one evaluation year earlier, where that year has evaluations
    before = dataclasses.replace(f, years=(f.years[0] - 1,))
    if (prev := overview.headline(con, before))["evaluations"]:
        prev_amount = overview.published_amount(con, before)
    else:
        prev = None
tiles = (
    headlines.evaluation_tiles(head, amount, prev, prev_amount)
    + headlines.coverage_tiles(cov, threshold, unbudgeted, f.budget_years)[:2]
    + headlines.problem_tiles(prob, fmt.date(as_of), ("open", "overdue", "rate"))
)
widgets.tiles(tiles)
figures = []
if head["scored"] < head["evaluations"]:
    st.caption(f"{fmt.scored(head['evaluations'], head['scored'])}：等级分布计全部评价，平均得分只计公布了得分的评价。")
if not f.years:
    st.caption("选择单一评价年度时，各项数字显示与上一年度相比的同比变化。")
if head["evaluations"] == 0:
    st.info("当前筛选条件下没有评价记录。")
else:
    c1, c2 = st.columns(2)
    figures = [
        charts.fig_grade_distribution(overview.grade_distribution(con, f)),
        charts.fig_trend(overview.trend(con, f)),
    ]
    with c1:
        widgets.chart(figures[0], "grades")
    with c2:
        widgets.chart(figures[1], "trend")
    st.caption("点击图中的柱子即可按该等级或年度筛选。")

st.subheader("各部门情况（由弱到强）")
ranking = overview.department_ranking(con, f, threshold, as_of)
widgets.table(
    ctx,
    ranking,
    "各部门情况",
    key="ranking",
    first=("department", "region", "avg_score", "share_lower", "coverage_status", "open", "overdue", "rate"),
    note="平均得分只计公布得分的评价；覆盖率为各预算年度合计（只计有年度项目预算总额的年度），状态取最差的年度；"
    "“未知”表示没有记录，不是 0。",
)

st.subheader("评价批次（公布的报告）与来源")
st.caption(
    "“公布评价金额合计”取自报告原文；“逐项金额合计”为各项评价金额之和（未给出评价金额的按预算金额计），"
    "两者可能不一致，均予保留。"
)
if f.scope.names_departments:  # a batch's published total is the whole region-year's
    st.caption("报告公布的合计包含其他部门的数字，按您的查看范围不显示。")
else:
    widgets.table(ctx, overview.batches(con, f), "评价批次", key="batches", first=("title", "region", "eval_year"))
key_columns = ("department", "region", "avg_score", "share_lower", "coverage_status", "overdue")
widgets.brief(ctx, tiles, figures, ranking.select(key_columns), "各部门情况（由弱到强）", head["any_synthetic"])
st.caption("数据来源：" + fmt.md("；".join(ctx.snapshot.made_from)))
