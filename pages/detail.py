"""评价详情: one evaluation (?eval=<id>) — fields, amounts, dimensions, problems, recommendations, source."""

import streamlit as st

from perfeval_dash.domain.vocab import NO_FOLLOW_UP
from perfeval_dash.queries import detail
from perfeval_dash.ui import charts, fmt, followup, frame, url_state, widgets

ctx = frame.page_context()
frame.require_data(ctx)
con, as_of = ctx.con, ctx.snapshot.as_of

eval_id = frame.page_param(url_state.EVAL) or ""
ev = detail.evaluation(con, eval_id) if eval_id else None
if ev is None:
    widgets.header(
        ctx,
        "评价详情",
        "单项评价的全部信息：金额与执行率、得分与等级、一级指标、问题与整改、建议和来源文件。",
        synthetic=False,
    )
    if eval_id:
        st.error(
            f"当前数据快照中没有编号为「{fmt.md(fmt.clip(eval_id))}」的评价。请检查链接，或从其他页面的表格点击“查看”进入。"
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
if ev["computed_grade"] != ev["grade"]:
    st.warning(
        f"公布等级「{fmt.md(ev['grade'])}」与得分 {fmt.score(ev['score'])} "
        f"所在分数段（「{ev['computed_grade']}」）不一致；"
        "按原文保留公布等级。"
    )
amount_label, amount_help = (
    ("计入金额", "原文未给出评价金额，按预算金额计") if ev["amount_from_budget"] else ("评价金额", "原文给出的评价金额")
)
widgets.metric_row(
    [
        ("评价得分", fmt.score(ev["score"]), None),
        ("评价等级", ev["grade"], grade_note),
        (amount_label, fmt.wan(ev["amount_wan"]), amount_help),
        ("预算执行率", fmt.pct(ev["execution_rate"]), "执行金额 ÷ 预算金额"),
    ]
)

fields = [
    ("评价编号", ev["eval_id"]),
    ("地区", ev["region"]),
    ("评价年度", ev["eval_year"]),
    ("预算年度", ev["budget_year"]),
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

dims = detail.dimensions(con, eval_id)
if dims.height:
    widgets.chart(charts.fig_dimensions_one(dims), "dims")

st.subheader("存在的主要问题与整改")
probs = detail.problems(con, eval_id, as_of)
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
    widgets.table(ctx, probs, f"{eval_id} 问题", key="detail_problems")
else:
    st.caption("该评价没有单独列出的问题。")

if ev["recommendations"]:
    st.subheader("结果应用建议（原文）")
    st.text(ev["recommendations"])

batch = detail.batch(con, ev["region"], ev["eval_year"])
if batch:
    st.subheader("所属评价批次")
    st.markdown(
        f"**{fmt.md(batch['title'])}**（{fmt.md(batch['region'])}，{batch['eval_year']}年评价，"
        f"预算年度 {batch['budget_year']}）"
    )
    st.caption(
        f"报告公布的评价金额合计：{fmt.wan(batch['evaluated_total_wan'])}"
        + (f"；另有整批共性问题 {batch['batch_problems']} 个，见“问题整改”页。" if batch["batch_problems"] else "")
    )
    if batch["recommendations"]:
        with st.expander("整批改进措施（原文）"):
            st.text(batch["recommendations"])

followup.detail_section(ctx, eval_id)  # 结果应用 and the timeline of its problems
