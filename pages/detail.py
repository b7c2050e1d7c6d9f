"""评价详情: one evaluation (?eval=<id>) — fields, amounts, dimensions, problems, recommendations, source."""

import streamlit as st

from perfeval_dash.domain.vocab import NO_FOLLOW_UP, UNKNOWN
from perfeval_dash.queries import detail
from perfeval_dash.ui import charts, fmt, followup, frame, labels, signals, url_state, widgets

ctx = frame.page_context()
frame.require_data(ctx)
con, as_of, scope = ctx.con, ctx.snapshot.as_of, ctx.filters.scope

eval_id = frame.page_param(url_state.EVAL) or ""
ev = detail.evaluation(con, eval_id, scope) if eval_id else None
if ev is None:
    widgets.header(
        ctx,
        "评价详情",
        "单项评价的全部信息：金额与执行率、得分与等级、一级指标、问题与整改、建议和来源文件。",
        synthetic=False,
    )
    if eval_id:
        st.error(
            f"当前数据快照中没有编号为「{fmt.md(fmt.clip(eval_id))}」的评价"
            + ("，或该评价不在您的查看范围内" if not scope.is_all else "")
            + "。请检查链接，或从其他页面的表格点击“查看”进入。"
        )
    else:
        st.info("请从“评分分布”“问题整改”等页面表格中的“查看”进入某项评价，或在链接中加上 ?eval=评价编号。")
    st.stop()

ctx.link_extra[url_state.EVAL] = eval_id
widgets.header(
    ctx,
    ev["project_name"],
    "单项评价的全部信息：金额与执行率、得分与等级、一级指标、问题与整改、建议和来源文件。",
    synthetic=ev["synthetic"],
)
if ev["synthetic"]:
    st.warning("这是演示用的模拟数据，不是真实评价记录。", icon=":material/science:")

grade_note = "原文公布" if ev["grade_published"] else "按分数段计算"
if ev["score"] is not None and ev["computed_grade"] != ev["grade"]:
    st.warning(
        f"公布等级「{fmt.md(ev['grade'])}」与得分 {fmt.score(ev['score'])} "
        f"所在分数段（「{ev['computed_grade']}」）不一致；"
        "按原文保留公布等级。"
    )
amount_label, amount_help = (
    ("计入金额", "原文未给出评价金额，按预算金额计") if ev["amount_from_budget"] else ("评价金额", "原文给出的评价金额")
)
detail_tiles = [
    widgets.Tile(
        "评价得分",
        fmt.score(ev["score"]) if ev["score"] is not None else labels.NO_SCORE,
        None if ev["score"] is not None else "原文只公布了等级；得分不按等级推算",
        signal=signals.UNKNOWN if ev["score"] is None else None,
    ),
    widgets.Tile("评价等级", ev["grade"], grade_note, signal=signals.grade(ev["grade"])),
    widgets.Tile(
        amount_label,
        fmt.wan(ev["amount_wan"], UNKNOWN),
        amount_help,
        signal=signals.UNKNOWN if ev["amount_wan"] is None else None,
    ),
    widgets.Tile(
        "预算执行率",
        fmt.pct(ev["execution_rate"]),
        "执行金额 ÷ 预算金额",
        signal=signals.UNKNOWN if ev["execution_rate"] is None else None,
    ),
]
widgets.tiles(detail_tiles)

fields = [
    ("评价编号", ev["eval_id"]),
    ("地区", ev["region"]),
    ("评价年度", ev["eval_year"]),
    (
        "预算年度",
        labels.NO_BUDGET_YEAR
        if ev["budget_year"] is None
        else f"{ev['budget_year']}" + ("（按评价年度−1 推定）" if ev["budget_year_assumed"] else ""),
    ),
    ("评价类型", ev["eval_type"]),
    ("主管部门", ev["department"]),
    ("实施单位", ev["unit"]),
    ("评价机构", ev["evaluator"]),
    ("预算金额", fmt.wan(ev["budget_wan"], "原文未给出")),
    ("执行金额", fmt.wan(ev["executed_wan"], "原文未给出")),
    ("评价金额", fmt.wan(ev["evaluated_wan"], "原文未给出")),
    ("金额口径", ev["amount_basis"]),
    ("来源文件", ev["source"]),
]
st.markdown("\n".join(f"- **{k}**：{'—' if v in (None, '') else fmt.md(v)}" for k, v in fields))

dims = detail.dimensions(con, ev)
figures = [charts.fig_dimensions_one(dims)] if dims.height else []
if figures:
    widgets.chart(figures[0], "dims", clickable=False)

st.subheader("存在的主要问题与整改")
probs = detail.problems(con, ev, as_of)
if probs.height:
    for p in probs.iter_rows(named=True):
        status = p["status"] or NO_FOLLOW_UP
        late = f"，已逾期 {p['days_past_due']} 天" if p["overdue"] else ""
        due = f"，整改期限 {fmt.date(p['due_date'])}" if p["due_date"] else ""
        with st.container(border=True):
            st.markdown(f"**［{fmt.md(p['category'])}］** {fmt.md(p['description'])}")
            st.caption(
                f"整改状态：{status}{due}{late}"
                + (f"；责任单位：{fmt.md(p['responsible_unit'])}" if p["responsible_unit"] else "")
                + (f"；完成于 {fmt.date(p['closed_date'])}" if p["closed_date"] else "")
            )
            if p["recommendation"]:
                st.markdown(f"整改建议：{fmt.md(p['recommendation'])}")
    widgets.table(ctx, probs, f"{eval_id} 问题", key="detail_problems", first=("description", "status", "due_date"))
else:
    st.caption("该评价没有单独列出的问题。")

if ev["recommendations"]:
    st.subheader("结果应用建议（原文）")
    st.text(ev["recommendations"])

batch = detail.batch(con, ev)  # None for a scope naming departments
if batch:
    st.subheader("所属评价批次")
    st.markdown(
        f"**{fmt.md(batch['title'])}**（{fmt.md(batch['region'])}，{batch['eval_year']}年评价，"
        f"预算年度 {batch['budget_year'] or labels.NO_BUDGET_YEAR}）"
    )
    if batch["title_generated"]:
        st.caption("该批次的标题在导入时生成（导入的评价没有对应的报告标题）；导入含报告标题的批次行后会被替换。")
    st.caption(
        f"报告公布的评价金额合计：{fmt.wan(batch['evaluated_total_wan'])}"
        + (f"；另有整批共性问题 {batch['batch_problems']} 个，见“问题整改”页。" if batch["batch_problems"] else "")
    )
    if batch["recommendations"]:
        with st.expander("整批改进措施（原文）"):
            st.text(batch["recommendations"])

followup.detail_section(ctx, ev)  # 结果应用 and the timeline of its problems

problem_columns = ("description", "category", "status", "due_date", "responsible_unit")
widgets.brief(
    ctx,
    detail_tiles,
    figures,
    probs.select(problem_columns) if probs.height else None,
    "存在的主要问题",
    ev["synthetic"],
)
