"""结果应用: what the next budget did with each result, against the grade and the bureau's rule; 未记录 stays 未记录."""

import streamlit as st

from perfeval_dash.domain.rules import application_rule, describe_rule
from perfeval_dash.domain.vocab import NOT_RECORDED
from perfeval_dash.queries import application
from perfeval_dash.ui import charts, fmt, followup, frame, signals, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con = ctx.filters, ctx.con
rule = application_rule()

matrix = application.matrix(con, f)
money = application.money(con, f)
widgets.header(
    ctx,
    "结果应用",
    "评价结果在下一年度预算中的实际运用（继续支持 / 调整优化 / 核减 / 暂停 / 取消 / 未应用）与评价等级对照，"
    "以及本局结果应用规则的核对；没有记录的显示为“未记录”，不算作已应用，也不算符合规则。",
    synthetic=bool(money["synthetic"].any()),
)
evaluations = int(matrix["evaluations"].sum())
if evaluations == 0:
    st.info("当前筛选条件下没有评价记录。")
    st.stop()
unrecorded = int(matrix[NOT_RECORDED].sum())
moved = application.moved(money)
comp = application.compliance(con, f, rule)
breaks = int(comp[followup.FLAG_VERDICTS[0]].sum()) if comp.height else 0
widgets.tiles(
    [
        widgets.Tile("评价项数", fmt.count(evaluations, "项")),
        widgets.Tile(
            "有结果应用记录",
            fmt.count(evaluations - unrecorded, "项"),
            f"{NOT_RECORDED}的评价不算作已应用，也不算符合规则",
            signal=signals.UNKNOWN if unrecorded == evaluations else (signals.WARN if unrecorded else signals.GOOD),
            note=f"{NOT_RECORDED} {unrecorded:,} 项" if unrecorded else None,
        ),
        widgets.Tile(
            "核减、暂停、取消涉及金额",
            fmt.wan(moved["amount_wan"], missing=NOT_RECORDED, max_decimals=2),
            f"{moved['evaluations']:,} 项评价"
            + (f"，其中 {moved['without_amount']:,} 项未记录金额（未计入）" if moved["without_amount"] else ""),
            signal=signals.UNKNOWN if moved["amount_wan"] is None else None,
        ),
        widgets.Tile(
            "不符合本局规则",
            fmt.count(breaks, "项"),
            describe_rule(rule),
            signal=signals.BAD if breaks else (signals.UNKNOWN if unrecorded == evaluations else signals.GOOD),
        ),
    ]
)
widgets.chart(charts.fig_application(matrix, application.CONSEQUENCES), "application")
st.subheader("评价等级 × 结果应用")
widgets.table(ctx, matrix, "评价等级与结果应用", key="app_matrix")
st.subheader("各类结果应用涉及的资金")
widgets.table(ctx, money, "结果应用涉及资金", key="app_money")

st.subheader("本局结果应用规则核对")
st.caption(
    f"规则：{describe_rule(rule)}（本局规则可由管理员在设置中修改）。"
    "核减比例 = 结果应用涉及金额 ÷ 评价金额（无评价金额时按预算金额）；"
    f"核减但未记录金额或评价金额的为“无法核实”；{NOT_RECORDED}的不算符合规则。"
)
if comp.height:
    widgets.table(ctx, comp, "结果应用规则核对", key="app_compliance")
    flagged, total = application.flagged(con, f, rule, followup.FLAG_VERDICTS)
    if total:
        st.markdown("**不符合规则或无法核实的评价**")
        note = (
            f"共 {total:,} 项，表中显示前 {flagged.height:,} 项（等级低的在前）。" if total > flagged.height else None
        )
        widgets.table(ctx, flagged, "不符合规则或无法核实的评价", key="app_flagged", note=note)
    else:
        st.success("所选评价中，有记录的结果应用均符合本局规则。")
else:
    st.caption("本局规则没有涉及所选评价的等级。")
