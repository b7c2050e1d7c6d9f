"""Chinese column labels for every column a page shows or exports (contract headers + derived columns)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from perfeval_dash.domain.vocab import UNKNOWN
from perfeval_dash.store.schema import ALL_TABLES

DERIVED = {
    "amount_wan": "计入金额（万元）",
    "amount_from_budget": "按预算金额计",
    "rank": "排名",
    "computed_grade": "按分数应得等级",
    "near_edge": "距等级线1分内",
    "evaluations": "评价项数",
    "ratio": "覆盖率",
    "status": "状态",
    "gap_wan": "距门槛差额（万元）",
    "whole_department": "部门整体评价",
    "project_budget_wan": "年度项目预算总额（万元）",
    "evaluated_wan": "评价金额（万元）",
    "from_budget": "按预算金额计的项数",
    "problems": "问题数",
    "tracked": "有整改记录",
    "done": "已完成",
    "open": "未完成",
    "overdue": "逾期",
    "rate": "整改完成率",
    "days_overdue": "逾期天数",
    "batch_level": "整批共性问题",
    "grp": "分组",
    "min": "最低分",
    "q1": "下四分位",
    "median": "中位数",
    "q3": "上四分位",
    "max": "最高分",
    "mean": "平均分",
    "avg_weight": "平均权重",
    "dimension": "一级指标",
    "weight": "权重",
    "sum_amount_wan": "逐项金额合计（万元）",
    "evaluated_total_wan": "公布评价金额合计（万元）",
    "passed": "达标部门",
    "failed": "未达标部门",
    "unknown": "覆盖率未知部门",
    "departments": "部门数",
    "budget_wan": "预算金额（万元）",
    "evaluated_known_wan": "已知预算部门的评价金额（万元）",
    "link": "详情",
    "synthetic": "模拟数据",
    "executed_wan": "执行金额（万元）",
    "scored": "公布得分的项数",
    "avg_score": "平均得分",
    "share_lower": "良及以下占比",
    "coverage_status": "覆盖率状态",
    "below_years": "未达标年度数",
    "amount_missing": "无金额的评价",
    "execution_rate": "预算执行率",
    # follow-up over time
    "overdue_cur": "逾期（按现行期限）",
    "overdue_orig": "逾期（按原定期限）",
    "revised": "改期问题",
    "pushes": "改期（推迟）次数",
    "reopened": "重新打开的问题",
    "open_over_year": "未完成超过一年",
    "original_due": "原定整改期限",
    "deadline_changes": "期限调整次数",
    "reopens": "重新打开次数",
    "days_overdue_orig": "按原定期限逾期天数",
    "years": "出现年度",
    "n_years": "年度数",
    "first_year": "最早年度",
    "last_year": "最近年度",
    "categories": "屡查屡犯类别数",
    "change": "变化",
    "consequence": "结果应用",
    "share": "核减比例",
    "verdict": "规则核对",
    "with_amount": "记录了金额的项数",
    "bucket": "天数分段",
    "dept_link": "部门档案",
    "application_wan": "结果应用涉及金额（万元）",
}


def label(column: str) -> str:
    """The Chinese label of a column: derived labels first, then the contract's headers (with unit)."""
    if column in DERIVED:
        return DERIVED[column]
    for table in ALL_TABLES.values():
        for c in table.columns:
            if c.name == column:
                return f"{c.header}（{c.unit}）" if c.unit and c.unit != "分" else c.header
    return column


def chinese(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with Chinese column names; booleans read 是/否 (a missing one stays missing: 未知, not 否)."""
    out = df.with_columns(
        pl.when(pl.col(c)).then(pl.lit("是")).when(~pl.col(c)).then(pl.lit("否")).alias(c)
        for c, t in df.schema.items()
        if t == pl.Boolean
    )
    return out.rename({c: label(c) for c in df.columns})


MISSING = UNKNOWN  # how a missing value reads in a table (st.dataframe placeholder): never None, never 0
NO_SCORE = "未公布得分"  # an evaluation that published a grade only: no score, no rank (never derived from the grade)
NO_BUDGET_YEAR = "未注明"  # a list that names only the evaluation year
# columns whose missing value has its own words (the table shows them as text where the column has gaps)
MISSING_WORDS = {"rank": NO_SCORE, "score": NO_SCORE, "budget_year": NO_BUDGET_YEAR}
PERCENT = frozenset(
    {"ratio", "rate", "execution_rate", "share_excellent", "share_lower", "share", "rate_cur", "rate_orig"}
)
WIDE = frozenset({"project_name", "description", "title", "recommendation", "recommendations", "responsible_unit"})


def _kind(column: str, dtype: pl.DataType) -> str | None:
    """How a column's values are formatted: year, percent, amount, score, count (None: as they are)."""
    if column.endswith("year"):
        return "year"
    if column in PERCENT:
        return "percent"
    if column.endswith("_wan"):
        return "amount"
    if column in ("score", "avg_score", "min", "q1", "median", "q3", "max", "mean", "weight", "avg_weight"):
        return "score"
    if dtype.is_integer():
        return "count"
    return None


_COLUMN_FORMATS = {"year": "%d", "percent": "percent", "amount": "localized", "score": "%.2f", "count": "localized"}
EXCEL_FORMATS = {"year": "0", "percent": "0.0%", "amount": "#,##0.00##", "score": "0.00##", "count": "#,##0"}


def width(column: str, dtype: pl.DataType) -> int:
    """A column's width in px: long text wide, names medium, numbers and the 查看 link narrow."""
    if column == "link":
        return 64
    if column in WIDE:
        return 260
    if dtype == pl.String:
        return 150
    return 96


def column_config(df: pl.DataFrame, overrides: dict | None = None) -> dict:
    """st.dataframe column settings keyed by Chinese label: number formats by meaning, fixed widths.

    Fixed widths keep a table's key columns (first) in view at 1440 px, whatever the data.
    """
    config = {}
    for c, dtype in df.schema.items():
        kind, w = _kind(c, dtype), width(c, dtype)
        if kind and dtype.is_numeric():
            config[label(c)] = st.column_config.NumberColumn(label(c), format=_COLUMN_FORMATS[kind], width=w)
        elif dtype == pl.Date:  # a date reads as a date (the grid would show a time of 00:00 otherwise)
            config[label(c)] = st.column_config.DateColumn(label(c), format="YYYY-MM-DD", width=w)
        elif c == "link":
            config[label(c)] = st.column_config.TextColumn(label(c), width=w, help="点击打开该评价的详情页")
        else:
            config[label(c)] = st.column_config.Column(label(c), width=w)
    return config | dict(overrides or {})


def excel_formats(df: pl.DataFrame) -> dict[str, str]:
    """Excel number formats keyed by Chinese label: years without separators, percentages, amounts, scores."""
    out = {}
    for c, dtype in df.schema.items():
        kind = _kind(c, dtype)
        if kind and dtype.is_numeric():
            out[label(c)] = EXCEL_FORMATS[kind]
    return out


def text(value, column: str) -> str:
    """A value as plain text for print and PDF tables, formatted by its column's meaning (未知 when missing)."""
    if value is None:
        return MISSING_WORDS.get(column, MISSING)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return value
    kind = _kind(column, pl.Float64 if isinstance(value, float) else pl.Int64 if isinstance(value, int) else pl.String)
    if kind == "percent":
        return f"{value * 100:.1f}%"
    if kind == "year":
        return str(value)
    if kind in ("amount", "count"):
        return f"{value:,.4f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    if kind == "score":
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def with_missing_words(df: pl.DataFrame) -> pl.DataFrame:
    """Columns with their own words for a gap (未公布得分, 未注明) as text where they have gaps; others unchanged.

    Formatted by a plain loop on the calling thread (no Python callback inside a polars expression).
    """
    cols = [c for c in MISSING_WORDS if c in df.columns and df[c].null_count()]
    return df.with_columns(pl.Series(c, [text(v, c) for v in df[c].to_list()], dtype=pl.String) for c in cols)
