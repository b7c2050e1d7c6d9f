"""总览: headline figures, grade distribution, trend, batches (reports) and sources."""

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.domain.vocab import BELOW, GRADES, UNKNOWN
from perfeval_dash.queries import coverage, overview, problems
from perfeval_dash.ui import charts, fmt, frame, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of

head = overview.headline(con, f)
threshold = settings.COVERAGE_THRESHOLD.value
cov = coverage.by_department(con, f, threshold)
prob = problems.totals(con, f, as_of)
widgets.header(
    ctx,
    "总览",
    "所选范围内重点绩效评价的项数、金额、得分与等级，20%覆盖率未达标部门，以及未完成和逾期的整改问题。",
    synthetic=head["any_synthetic"] or prob["any_synthetic"],
)

n = head["evaluations"]
grades = head["grades"]
share = lambda g: fmt.pct(grades[g] / n) if n else "—"
top, *lower = GRADES
amount_help = f"评价金额合计；其中 {head['amount_from_budget']} 项未给出评价金额，按预算金额计" + (
    f"；{head['amount_missing']} 项无金额" if head["amount_missing"] else ""
)
below = cov.filter(cov["status"] == BELOW).height
unknown = cov.filter(cov["status"] == UNKNOWN).height
widgets.metric_row(
    [
        ("评价项数", fmt.count(n, "项"), f"涉及 {head['departments']} 个主管部门"),
        ("评价金额", fmt.wan(head["amount_wan"], max_decimals=2), amount_help),
        ("平均得分", fmt.score(head["avg_score"]), "各项评价总分的算术平均"),
        (f"等级为{top}", share(top), "、".join(f"{g} {k} 项" for g, k in grades.items()) + "（按公布等级）"),
    ]
)
widgets.metric_row(
    [
        (
            f"{lower[0]}及以下",
            fmt.count(sum(grades[g] for g in lower), "项"),
            "，".join(f"{g} {share(g)}" for g in lower),
        ),
        (
            "覆盖率未达标部门",
            fmt.count(below, "个"),
            f"按部门和预算年度统计，评价金额低于年度项目预算总额的 {threshold:.0%}",
        ),
        (
            "覆盖率未知部门",
            fmt.count(unknown, "个"),
            "有评价但没有年度项目预算总额的部门·年度：覆盖率未知，不计为未达标",
        ),
    ]
)
widgets.metric_row(
    [
        ("未完成整改问题", fmt.count(prob["open"], "个"), f"有整改记录的 {prob['tracked']} 个问题中尚未整改完成的"),
        ("逾期问题", fmt.count(prob["overdue"], "个"), f"未完成且整改期限早于数据截至日 {fmt.date(as_of)}"),
        (
            "整改完成率",
            fmt.pct(prob["rate"]),
            "已整改（含已销号）÷ 有整改记录的问题；公布报告未给出整改情况的问题不计入",
        ),
    ]
)
if n == 0:
    st.info("当前筛选条件下没有评价记录。")
else:
    c1, c2 = st.columns(2)
    with c1:
        widgets.chart(charts.fig_grade_distribution(overview.grade_distribution(con, f)), "grades")
    with c2:
        widgets.chart(charts.fig_trend(overview.trend(con, f)), "trend")

st.subheader("评价批次（公布的报告）与来源")
st.caption(
    "“公布评价金额合计”取自报告原文；“逐项金额合计”为各项评价金额之和（未给出评价金额的按预算金额计），两者可能不一致，均予保留。"
)
if f.scope.names_departments:  # a batch's published total is the whole region-year's
    st.caption("报告公布的合计包含其他部门的数字，按您的查看范围不显示。")
else:
    widgets.table(ctx, overview.batches(con, f), "评价批次", key="batches")
st.caption("数据来源：" + fmt.md("；".join(ctx.snapshot.made_from)))
