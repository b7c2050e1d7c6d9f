"""Pure chart builders: fig_*(frame) -> plotly Figure; aggregates in, never one point per raw row.

Every hover is written in Chinese (no Plotly default labels), long names are shortened on the axis with the full
name in the hover, colours with a rule come from ui.signals, and each clickable mark carries in `customdata[0]` the
filter values a click narrows to (see widgets.chart).
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import BAND_EDGES, GRADE_BANDS
from perfeval_dash.domain.vocab import CLOSED, IN_PROGRESS, NO_FOLLOW_UP, NOT_STARTED, RECTIFIED, UNKNOWN
from perfeval_dash.ui import signals
from perfeval_dash.ui.fmt import plot_text

FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
LABEL_CHARS = 14  # axis labels longer than this are shortened (full text in the hover)
GRADE_COLORS = signals.GRADE_COLORS
STATUS_COLORS = {
    CLOSED: "#1b5e20",
    RECTIFIED: signals.COLORS[signals.GOOD],
    IN_PROGRESS: "#f9a825",
    NOT_STARTED: signals.COLORS[signals.BAD],
    NO_FOLLOW_UP: signals.COLORS[signals.UNKNOWN],
}


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "font": {"size": 15}},
        height=height,
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 56, "b": 10},
        legend={"orientation": "h", "y": -0.18},
        separators=".,",
        plot_bgcolor="white",
        paper_bgcolor="white",
        hoverlabel={"font": {"family": FONT}},
        modebar={"orientation": "v"},  # down the right edge: it never covers the title
        clickmode="event+select",
    )
    fig.update_xaxes(gridcolor="#eee", zeroline=False)
    fig.update_yaxes(gridcolor="#eee", zeroline=False)
    return fig


def pick(**values) -> str:
    """What a click on a mark narrows to: sidebar filter keys and their values, as JSON in customdata[0]."""
    return json.dumps({k: v for k, v in values.items() if v is not None}, ensure_ascii=False)


def short(text: str, limit: int = LABEL_CHARS) -> str:
    """A long name shortened for an axis label: its first characters and an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dept_names(df: pl.DataFrame) -> list[str]:
    """Department names, with the region added when the frame spans several regions (names repeat)."""
    depts = df["department"].to_list()
    if "region" not in df.columns or df["region"].n_unique() <= 1:
        return depts
    return [f"{d} · {r}" for d, r in zip(depts, df["region"].to_list())]


def _axis_labels(names: list[str], suffix: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(short unique axis labels, full names for the hover), both escaped for Plotly."""
    full = [f"{n}（{s}）" if suffix else n for n, s in zip(names, suffix or names)]
    shown, seen = [], {}
    for n, s in zip(names, suffix or [None] * len(names)):
        label = short(n) + (f"（{s}）" if s is not None else "")
        seen[label] = seen.get(label, 0) + 1
        shown.append(label + "\u200b" * (seen[label] - 1))  # keep shortened twins apart
    return [plot_text(x) for x in shown], [plot_text(x) for x in full]


def fig_grade_distribution(df: pl.DataFrame) -> go.Figure:
    """Bar per grade (优 良 中 差): evaluations, with the 万元 amount in the hover; a click narrows to the grade."""
    grades = df["grade"].to_list()
    fig = go.Figure(
        go.Bar(
            x=grades,
            y=df["evaluations"].to_list(),
            marker_color=[GRADE_COLORS[g] for g in grades],
            text=df["evaluations"].to_list(),
            textposition="outside",
            customdata=[[pick(grade=[g]), a] for g, a in zip(grades, df["amount_wan"].to_list())],
            hovertemplate="等级 %{x}：%{y} 项<br>金额 %{customdata[1]:,.2f} 万元<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="评价项数", rangemode="tozero")
    fig.update_layout(yaxis={"range": [0, max(df["evaluations"].to_list() + [1]) * 1.2]})
    return _layout(fig, "等级分布（按公布等级，含未公布得分的评价）")


def fig_trend(df: pl.DataFrame) -> go.Figure:
    """Evaluations per evaluation year (bars) and average score of the scored ones (line, right axis)."""
    years = [str(y) for y in df["eval_year"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        x=years,
        y=df["evaluations"].to_list(),
        name="评价项数",
        marker_color="#90caf9",
        customdata=[[pick(year=[int(y)])] for y in years],
        hovertemplate="%{x}年：%{y} 项<extra></extra>",
    )
    fig.add_scatter(
        x=years,
        y=df["avg_score"].to_list(),
        name="平均得分",
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#0d47a1"},
        hovertemplate="%{x}年 平均 %{y:.2f} 分<extra></extra>",
    )
    fig.update_layout(
        yaxis={"title": "评价项数"},
        yaxis2={
            "title": "平均得分",
            "overlaying": "y",
            "side": "right",
            "range": [0, 100],
            "dtick": 20,
            "showgrid": False,
        },
        xaxis={"title": "评价年度", "type": "category"},
    )
    return _layout(fig, "历年评价项数与平均得分")


def fig_score_histogram(df: pl.DataFrame, bin_width: float = 1.0) -> go.Figure:
    """Stacked bars of score bins by grade, with the grade band edges (60/80/90) drawn and labelled."""
    fig = go.Figure()
    for band in GRADE_BANDS:
        part = df.filter(pl.col("grade") == band.grade)
        starts = part["bin_start"].to_list()
        fig.add_bar(
            x=[b + bin_width / 2 for b in starts],
            y=part["evaluations"].to_list(),
            width=bin_width * 0.95,
            name=f"{band.grade}（{band.label}）",
            marker_color=GRADE_COLORS[band.grade],
            customdata=[[pick(grade=[band.grade]), f"{b:g}–<{b + bin_width:g}分"] for b in starts],
            hovertemplate="%{customdata[1]}：%{y} 项<extra>" + band.grade + "</extra>",
        )
    lo = min([BAND_EDGES[0]] + df["bin_start"].to_list()) if df.height else BAND_EDGES[0]
    for edge in BAND_EDGES:
        above, below = next((a.grade, b.grade) for a, b in zip(GRADE_BANDS, GRADE_BANDS[1:]) if a.low == edge)
        fig.add_vline(
            x=edge,
            line_dash="dash",
            line_color="#555",
            annotation_text=f"{above}/{below} {edge:g}分",
            annotation_position="top",
        )
    fig.update_layout(barmode="stack", bargap=0.05)
    fig.update_xaxes(title_text="评价得分（分）", range=[max(0, lo - 2), 101])
    fig.update_yaxes(title_text="评价项数")
    return _layout(fig, "得分分布（虚线为等级分数线，财预〔2020〕10号）", height=380)


def fig_spread(df: pl.DataFrame, title: str, max_groups: int = settings.CHART_MAX_GROUPS.value) -> go.Figure:
    """Horizontal box per group from precomputed quartiles; the hover lists them in Chinese; n in the label.

    Rows carry `grp` (and `region` when grouped by department, so same-named departments of two regions stay
    apart); a click narrows to the department (or type).
    """
    df = df.head(max_groups)
    by_dept = "region" in df.columns
    names = _dept_names(df.rename({"grp": "department"})) if by_dept else df["grp"].to_list()
    labels, full = _axis_labels(names, [f"{n}项" for n in df["evaluations"].to_list()])
    stats = ("min", "q1", "median", "q3", "max", "mean")
    fig = go.Figure(
        go.Box(
            y=labels,
            q1=df["q1"].to_list(),
            median=df["median"].to_list(),
            q3=df["q3"].to_list(),
            lowerfence=df["min"].to_list(),
            upperfence=df["max"].to_list(),
            mean=df["mean"].to_list(),
            orientation="h",
            marker_color="#1565c0",
            name="得分",
            hoverinfo="skip",
        )
    )
    if by_dept:
        picks = [pick(region=[r], dept=[g]) for r, g in zip(df["region"].to_list(), df["grp"].to_list())]
    else:
        picks = [pick(type=[g]) for g in df["grp"].to_list()]
    fig.add_scatter(  # one invisible point per box carries the Chinese hover and the click
        x=df["median"].to_list(),
        y=labels,
        mode="markers",
        marker={"size": 14, "opacity": 0},
        showlegend=False,
        customdata=[[p, f, *[row[s] for s in stats]] for p, f, row in zip(picks, full, df.iter_rows(named=True))],
        hovertemplate="%{customdata[1]}<br>最低 %{customdata[2]:.2f} · 下四分位 %{customdata[3]:.2f} · "
        "中位数 %{customdata[4]:.2f}<br>上四分位 %{customdata[5]:.2f} · 最高 %{customdata[6]:.2f} · "
        "平均 %{customdata[7]:.2f} 分<extra></extra>",
    )
    for edge in BAND_EDGES:
        fig.add_vline(x=edge, line_dash="dot", line_color="#999")
    fig.update_xaxes(title_text="评价得分（分）")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(260, 60 + 26 * len(labels)))


def fig_dimension_rates(df: pl.DataFrame) -> go.Figure:
    """Bar per dimension: average 得分率 (score ÷ weight), with how many evaluations report it."""
    labels, full = _axis_labels(df["dimension"].to_list())
    fig = go.Figure(
        go.Bar(
            x=[r * 100 for r in df["rate"].to_list()],
            y=labels,
            orientation="h",
            marker_color="#5c6bc0",
            text=[f"{r * 100:.1f}%" for r in df["rate"].to_list()],
            textposition="outside",
            customdata=[[f, n] for f, n in zip(full, df["evaluations"].to_list())],
            hovertemplate="%{customdata[0]}：得分率 %{x:.1f}%（%{customdata[1]} 项评价）<extra></extra>",
        )
    )
    fig.update_xaxes(title_text="平均得分率（得分 ÷ 权重，%）", range=[0, 115])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "一级指标得分率", height=max(240, 60 + 30 * df.height))


def fig_coverage(df: pl.DataFrame, threshold: float, max_rows: int = settings.CHART_MAX_BARS.value) -> go.Figure:
    """Bar per department-year: coverage coloured by verdict; the threshold above the plot; 未知 as a grey stub.

    The axis fits the data (bars over 150% are drawn at 150% with their value written); a click narrows to the
    department and budget year.
    """
    df = df.head(max_rows)
    years = [str(y) for y in df["budget_year"].to_list()]
    labels, full = _axis_labels(_dept_names(df), [f"{y}年" for y in years])
    ratios = df["ratio"].to_list()
    cap = 150.0
    shown = [min(r * 100, cap) if r is not None else 0 for r in ratios]
    top = max([threshold * 100 * 1.4, *shown]) * 1.18
    text = [
        "未知（无预算总额）" if r is None else ("部门整体 100%" if w else f"{r * 100:.1f}%")
        for r, w in zip(ratios, df["whole_department"].to_list())
    ]
    stub = top * 0.02
    picks = [
        pick(region=[r], dept=[d], byear=[int(y)])
        for r, d, y in zip(df["region"].to_list(), df["department"].to_list(), years)
    ]
    fig = go.Figure(
        go.Bar(
            x=[s if r is not None else stub for s, r in zip(shown, ratios)],
            y=labels,
            orientation="h",
            marker_color=[signals.COLORS[signals.coverage(s)] for s in df["status"].to_list()],
            text=text,
            textposition="outside",
            cliponaxis=False,
            customdata=[[p, f, t] for p, f, t in zip(picks, full, text)],
            hovertemplate="%{customdata[1]}：%{customdata[2]}<extra></extra>",
        )
    )
    fig.add_vline(x=threshold * 100, line_dash="dash", line_color=signals.COLORS[signals.BAD])
    fig.add_annotation(
        x=threshold * 100,
        y=1,
        yref="paper",
        yanchor="bottom",
        showarrow=False,
        text=f"门槛 {threshold * 100:g}%",
        font={"color": signals.COLORS[signals.BAD]},
    )
    fig.update_xaxes(title_text="评价覆盖率（评价金额 ÷ 年度项目预算总额，%）", range=[0, top])
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, "各部门评价覆盖率", height=max(260, 80 + 24 * len(labels)))
    fig.update_layout(margin={"t": 72})
    return fig


def fig_problem_categories(df: pl.DataFrame) -> go.Figure:
    """Stacked horizontal bars: problems per category by follow-up status."""
    fig = go.Figure()
    categories = list(dict.fromkeys(plot_text(c) for c in df["category"].to_list()))
    for status, color in STATUS_COLORS.items():
        part = df.filter(pl.col("status") == status)
        if part.height:
            fig.add_bar(
                y=[plot_text(c) for c in part["category"].to_list()],
                x=part["problems"].to_list(),
                name=status,
                orientation="h",
                marker_color=color,
                hovertemplate="%{y}：" + status + " %{x} 个<extra></extra>",
            )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(categoryorder="array", categoryarray=categories, autorange="reversed")
    fig.update_xaxes(title_text=None)
    return _layout(fig, "问题类别（共性问题）与整改状态（问题数）", height=max(260, 80 + 34 * len(categories)))


def fig_rectification(df: pl.DataFrame, max_rows: int = settings.CHART_MAX_GROUPS.value) -> go.Figure:
    """Bar per department: 整改完成率 (done ÷ tracked), coloured against the target; no follow-ups left out."""
    df = df.filter(pl.col("tracked") > 0).sort("rate").head(max_rows)
    labels, full = _axis_labels(_dept_names(df))
    text = [
        f"{r * 100:.1f}%（{d}/{t}）"
        for r, d, t in zip(df["rate"].to_list(), df["done"].to_list(), df["tracked"].to_list())
    ]
    picks = [pick(region=[r], dept=[d]) for r, d in zip(df["region"].to_list(), df["department"].to_list())]
    fig = go.Figure(
        go.Bar(
            x=[r * 100 for r in df["rate"].to_list()],
            y=labels,
            orientation="h",
            marker_color=[signals.COLORS[signals.rate(r)] for r in df["rate"].to_list()],
            text=text,
            textposition="outside",
            cliponaxis=False,
            customdata=[[p, f, t] for p, f, t in zip(picks, full, text)],
            hovertemplate="%{customdata[1]}：%{customdata[2]}<extra></extra>",
        )
    )
    target = settings.RECTIFICATION_TARGET.value * 100
    fig.add_vline(x=target, line_dash="dash", line_color="#555")
    fig.add_annotation(x=target, y=1, yref="paper", yanchor="bottom", showarrow=False, text=f"目标 {target:g}%")
    fig.update_xaxes(title_text="整改完成率（已整改 ÷ 有整改记录的问题，%）", range=[0, 135])
    fig.update_yaxes(autorange="reversed")
    fig = _layout(fig, "各部门整改完成率（由低到高）", height=max(240, 80 + 24 * df.height))
    fig.update_layout(margin={"t": 72})
    return fig


def fig_dimensions_one(df: pl.DataFrame) -> go.Figure:
    """One evaluation's dimensions: score against weight, 得分率 in the label."""
    dims = [plot_text(d) for d in df["dimension"].to_list()]
    fig = go.Figure()
    fig.add_bar(
        y=dims,
        x=df["weight"].to_list(),
        orientation="h",
        name="权重（满分）",
        marker_color="#e0e0e0",
        hovertemplate="%{y} 权重 %{x:g} 分<extra></extra>",
    )
    fig.add_bar(
        y=dims,
        x=df["score"].to_list(),
        orientation="h",
        name="得分",
        marker_color="#1565c0",
        text=[f"{s:g}分 / 得分率 {r * 100:.1f}%" for s, r in zip(df["score"].to_list(), df["rate"].to_list())],
        textposition="outside",
        hovertemplate="%{y} 得分 %{x:g} 分<extra></extra>",
    )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(range=[0, max(df["weight"].to_list() + [1]) * 1.6], title_text="分")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "一级指标得分", height=max(220, 80 + 40 * df.height))


# ---- follow-up over time ------------------------------------------------------------------------------
def fig_ageing(df: pl.DataFrame, overdue_col: str, deadline_label: str) -> go.Figure:
    """Two bar groups per age bucket: open problems by days since publication, overdue by days overdue."""
    buckets = df["bucket"].to_list()
    fig = go.Figure()
    fig.add_bar(
        x=buckets,
        y=df["open"].to_list(),
        name="未完成问题（按报告公布以来天数）",
        marker_color=[signals.COLORS[signals.UNKNOWN if b == UNKNOWN else signals.WARN] for b in buckets],
        text=df["open"].to_list(),
        textposition="outside",
        hovertemplate="公布以来 %{x}：未完成 %{y} 个<extra></extra>",
    )
    known = df.filter(pl.col(overdue_col).is_not_null())
    fig.add_bar(
        x=known["bucket"].to_list(),
        y=known[overdue_col].to_list(),
        name=f"逾期问题（按{deadline_label}逾期天数）",
        marker_color=signals.COLORS[signals.BAD],
        text=known[overdue_col].to_list(),
        textposition="outside",
        hovertemplate=f"按{deadline_label}逾期 %{{x}}：%{{y}} 个<extra></extra>",
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="问题数（个）")
    return _layout(fig, "账龄：未完成问题与逾期问题（天数分段）", height=380)


def fig_application(matrix: pl.DataFrame, consequences: tuple[str, ...]) -> go.Figure:
    """Stacked bars per grade: evaluations by the consequence recorded in the next budget (未记录 grey, last)."""
    c = signals.COLORS  # cut / suspend / cancel in the warning colours, 未记录 grey (last)
    palette = (c[signals.GOOD], "#1976d2", "#f9a825", c[signals.WARN], c[signals.BAD], "#6d4c41", c[signals.UNKNOWN])
    fig = go.Figure()
    grades = matrix["grade"].to_list()
    for name, color in zip(consequences, palette):
        fig.add_bar(
            x=grades,
            y=matrix[name].to_list(),
            name=name,
            marker_color=color,
            hovertemplate=f"%{{x}}：{name} %{{y}} 项<extra></extra>",
        )
    fig.update_layout(barmode="stack")  # the ticks are the grades: no axis title under them to meet the legend
    fig.update_yaxes(title_text="评价项数")
    return _layout(fig, "评价等级与结果应用（下一年度预算中的实际运用）", height=380)


def fig_change_counts(df: pl.DataFrame) -> go.Figure:
    """Bar per net change kind (found, closed, reopened, deadlines moved …): problems."""
    fig = go.Figure(
        go.Bar(
            x=df["change"].to_list(),
            y=df["problems"].to_list(),
            marker_color="#5c6bc0",
            text=df["problems"].to_list(),
            textposition="outside",
            hovertemplate="%{x}：%{y} 个问题<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="问题数（个）")
    return _layout(fig, "本期变化（问题数）", height=320)


def fig_score_years(trend: pl.DataFrame) -> go.Figure:
    """Average score per evaluation year with the number of evaluations in the hover."""
    fig = go.Figure(
        go.Scatter(
            x=trend["eval_year"].to_list(),
            y=trend["avg_score"].to_list(),
            mode="lines+markers+text",
            text=[f"{v:.1f}" if v is not None else "" for v in trend["avg_score"].to_list()],
            textposition="top center",
            customdata=trend["evaluations"].to_list(),
            hovertemplate="%{x}年：平均 %{y:.2f} 分（%{customdata} 项）<extra></extra>",
            line={"color": "#1976d2"},
        )
    )
    for edge in BAND_EDGES:
        fig.add_hline(y=edge, line_dash="dot", line_color="#bdbdbd")
    fig.update_xaxes(title_text="评价年度", dtick=1)
    fig.update_yaxes(title_text="平均得分（分）")
    return _layout(fig, "历年平均得分", height=320)
