"""Chinese column labels for every column a page shows or exports (contract headers + derived columns)."""

from __future__ import annotations

import polars as pl

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
    """The frame with Chinese column names (booleans shown as 是/否)."""
    out = df.with_columns(
        pl.when(pl.col(c)).then(pl.lit("是")).otherwise(pl.lit("否")).alias(c)
        for c, t in df.schema.items()
        if t == pl.Boolean
    )
    return out.rename({c: label(c) for c in df.columns})


# how a missing value reads in a table, per column (others: "—")
MISSING = {"ratio": UNKNOWN, "project_budget_wan": UNKNOWN, "gap_wan": UNKNOWN}
PERCENT = ("ratio", "rate", "share", "rate_cur", "rate_orig")


def _text(value: float | None, column: str) -> str:
    if value is None:
        return MISSING.get(column, "—")
    if column in PERCENT:
        return f"{value * 100:.1f}%"
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def readable_nulls(df: pl.DataFrame) -> pl.DataFrame:
    """Numeric columns holding missing values as text, so a table says 未知 / — instead of None.

    Formatted by a plain loop on the calling thread: a Python callback inside a polars expression
    (map_elements) runs on polars' worker threads and deadlocked the server under concurrent sessions.
    """
    cols = [c for c, t in df.schema.items() if t.is_numeric() and df[c].null_count()]
    return df.with_columns(pl.Series(c, [_text(v, c) for v in df[c].to_list()], dtype=pl.String) for c in cols)
