"""评分分布: histogram with grade bands, spread by department and type, dimension 得分率, ranked list."""

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.queries import overview, scores
from perfeval_dash.ui import charts, fmt, frame, headlines, labels, widgets

ctx = frame.page_context()
frame.require_data(ctx)
f, con = ctx.filters, ctx.con

head = overview.headline(con, f)
widgets.header(
    ctx,
    "评分分布",
    "评价总分的分布（按财预〔2020〕10号分段：优≥90、良80–<90、中60–<80、差<60），"
    "各部门与各评价类型的得分离散情况，以及一级指标得分率（得分 ÷ 权重）。",
    synthetic=head["any_synthetic"],
)
if head["evaluations"] == 0:
    st.info("当前筛选条件下没有评价记录。")
    st.stop()

widgets.tiles(headlines.score_tiles(head))
unscored = head["evaluations"] - head["scored"]
if unscored:
    st.caption(
        f"{fmt.scored(head['evaluations'], head['scored'])}：得分分布、箱线图和排名只计公布了得分的评价；"
        f"只公布等级的 {unscored:,} 项列在排名表末尾，不按等级推算得分。"
    )
figures = []
if head["scored"]:
    figures.append(charts.fig_score_histogram(scores.histogram(con, f)))
    widgets.chart(figures[0], "histogram")
    c1, c2 = st.columns(2)
    with c1:
        by_dept = scores.spread(con, f, "department")
        widgets.chart(charts.fig_spread(by_dept, "各主管部门得分（箱线：最低、四分位、中位、最高）"), "by_dept")
        if by_dept.height > settings.CHART_MAX_GROUPS.value:
            cap = settings.CHART_MAX_GROUPS.value
            st.caption(f"共 {by_dept.height} 个部门，图中显示评价项数最多的 {cap} 个；完整数据见下表下载。")
    with c2:
        widgets.chart(charts.fig_spread(scores.spread(con, f, "eval_type"), "各评价类型得分"), "by_type")
else:
    st.info("所选评价均只公布了等级、未公布得分，没有得分分布可画；等级分布见“总览”页。")
dims = scores.dimension_rates(con, f)
if dims.height:
    widgets.chart(charts.fig_dimension_rates(dims), "dimensions", clickable=False)
else:
    st.caption("所选评价未公布一级指标得分。")

st.subheader("得分排名")
ranked, total = scores.ranked(con, f)
ranked = ranked.select(
    "project_name",
    "department",
    "score",
    "grade",
    "rank",
    "computed_grade",
    "near_edge",
    "region",
    "eval_year",
    "eval_type",
    "eval_id",
    "synthetic",
)
note = "“距等级线1分内”：得分与60、80、90分的差不超过1分。“按分数应得等级”与公布等级不一致时保留公布等级。"
if unscored:
    note += f"只公布等级的评价排在最后，排名与得分显示为“{labels.NO_SCORE}”。"
if total > ranked.height:
    note += f" 共 {total:,} 项，表中显示前 {ranked.height:,} 项。"
widgets.table(
    ctx,
    ranked,
    "得分排名",
    key="ranked",
    note=note,
    first=("project_name", "department", "score", "grade"),
)
key_columns = ("project_name", "department", "score", "grade", "rank", "region")
widgets.brief(ctx, headlines.score_tiles(head), figures, ranked.select(key_columns), "得分排名", head["any_synthetic"])
