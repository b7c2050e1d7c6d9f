"""部门档案: one department (?dept=) — evaluations and scores over years, coverage, problems, 屡查屡犯, 结果应用."""

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.domain.rules import application_rule
from perfeval_dash.domain.vocab import BELOW, NO_FOLLOW_UP, NOT_RECORDED
from perfeval_dash.queries import application, coverage, department, followup, options, overview, problems
from perfeval_dash.ui import charts, fmt, frame, headlines, labels, signals, widgets
from perfeval_dash.ui import followup as fu

ctx = frame.page_context()
frame.require_data(ctx)
f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of

if not f.depts:
    widgets.header(ctx, "部门档案", "一个主管部门的评价、得分、覆盖率、问题整改、屡查屡犯与结果应用。", synthetic=False)
    st.info("请在左侧“主管部门”中选择一个部门，或点击下表中的部门。")
    names = options.departments(con, list(f.regions), f.scope)
    fu.department_index(ctx, names)
    st.stop()

title = f.depts[0] if len(f.depts) == 1 else f"{f.depts[0]} 等 {len(f.depts)} 个部门"
head = overview.headline(con, f)
tot = problems.totals(con, f, as_of)
widgets.header(
    ctx,
    f"部门档案：{title}",
    "该部门（按侧栏筛选）历年的评价与得分、各预算年度覆盖率、未完成与逾期问题（含改期）、屡查屡犯和结果应用；"
    "数字与其他页面在相同筛选下一致，可下载为 Excel 转发。",
    synthetic=head["any_synthetic"] or tot["any_synthetic"],
)
if len(f.depts) > 1:
    st.caption("已选择多个部门：下列数字为所选部门合计。")
basis = fu.deadline_basis(ctx)
fs = followup.summary(con, f, as_of)
sfx = "cur" if basis == fu.CURRENT_DEADLINE else "orig"
tiles = [
    widgets.Tile("评价项数", fmt.count(head["evaluations"], "项")),
    widgets.Tile(
        "平均得分",
        fmt.score(head["avg_score"]) if head["avg_score"] is not None else labels.NO_SCORE,
        fmt.scored(head["evaluations"], head["scored"]) if head["scored"] < head["evaluations"] else None,
        signal=signals.UNKNOWN if head["avg_score"] is None else None,
    ),
    *headlines.problem_tiles(tot, fmt.date(as_of), ("open", "rate")),
    widgets.Tile(
        f"逾期（按{basis}）",
        NO_FOLLOW_UP if not tot["tracked"] else fmt.count(fs[f"overdue_{sfx}"], "个"),
        f"未完成且{basis}早于数据截至日 {fmt.date(as_of)}",
        signal=signals.overdue(fs[f"overdue_{sfx}"], tot["tracked"]),
    ),
    widgets.Tile(
        "改期问题",
        NO_FOLLOW_UP if not tot["tracked"] else fmt.count(fs["revised"], "个"),
        f"整改期限被推迟过的问题；共推迟 {fs['pushes']:,} 次",
        signal=signals.UNKNOWN if not tot["tracked"] else (signals.WARN if fs["revised"] else None),
    ),
]
widgets.tiles(tiles)
sheets = []

st.subheader("评价与得分")
trend = overview.trend(con, f) if head["evaluations"] else None
if trend is not None and trend.height:
    widgets.chart(charts.fig_score_years(trend), "dept_scores")
evals, total = department.evaluations(con, f)
note = f"共 {total:,} 项，表中显示最近的 {evals.height:,} 项。" if total > evals.height else None
widgets.table(ctx, evals, "评价与得分", key="dept_evals", note=note)
sheets.append(("评价与得分", evals))

st.subheader("各预算年度覆盖率")
cov = coverage.by_department(con, f, settings.COVERAGE_THRESHOLD.value)
if cov.height:
    below = cov.filter(cov["status"] == BELOW).height
    st.caption(
        f"{cov.height:,} 个部门·预算年度，其中{BELOW} {below:,} 个（门槛 {settings.COVERAGE_THRESHOLD.value:.0%}）。"
    )
    widgets.table(
        ctx,
        cov,
        "各预算年度覆盖率",
        key="dept_coverage",
        column_config={"覆盖率": st.column_config.NumberColumn("覆盖率", format="percent")},
    )
    sheets.append(("覆盖率", cov))
else:
    st.caption("没有该部门的评价金额或年度项目预算记录。")

st.subheader("未完成与逾期问题")
open_rows, total = followup.open_problems(con, f, as_of)
if total:
    note = f"共 {total:,} 个，表中显示期限最早的 {open_rows.height:,} 个。" if total > open_rows.height else None
    widgets.table(ctx, open_rows, "未完成问题", key="dept_open", note=note)
    sheets.append(("未完成问题", open_rows))
if fs["open_no_due"]:
    st.caption(f"另有 {fs['open_no_due']:,} 个未完成问题没有整改期限，未列出。")
if not total and not fs["open_no_due"]:
    st.success("没有未完成的问题。")

st.subheader("屡查屡犯")
rep = fu.repeats_section(ctx, key="dept_repeats")
if rep.height:
    rep_rows, total = followup.repeat_problems(con, f, as_of)
    note = f"共 {total:,} 个，表中显示前 {rep_rows.height:,} 个。" if total > rep_rows.height else None
    widgets.table(ctx, rep_rows, "屡查屡犯的问题", key="dept_repeat_problems", note=note)
    sheets += [("屡查屡犯", rep), ("屡查屡犯的问题", rep_rows)]

st.subheader("结果应用")
matrix = application.matrix(con, f)
widgets.table(ctx, matrix, "评价等级与结果应用", key="dept_application")
flagged, total = application.flagged(con, f, application_rule(), fu.FLAG_VERDICTS)
if total:
    st.caption(f"不符合本局结果应用规则或无法核实的评价 {total:,} 项（{NOT_RECORDED}的单独计数，不算符合）。")
    widgets.table(ctx, flagged, "结果应用不符合规则的评价", key="dept_flagged")
sheets += [("结果应用", matrix), ("结果应用核对", flagged)]

st.divider()
fu.sheet_download(ctx, f"部门档案_{title}", sheets)
