"""Pure domain rules: grade bands, evaluated amount, coverage, overdue, rectification rate."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from perfeval_dash.store.schema import DONE_STATUSES


@dataclass(frozen=True)
class GradeBand:
    """A grade and its score interval [low, high)."""

    grade: str
    low: float
    high: float  # exclusive, except 优 which includes 100
    label: str


# 财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）第二十九条
GRADE_BANDS: tuple[GradeBand, ...] = (
    GradeBand("优", 90, 100.0001, "90–100分"),
    GradeBand("良", 80, 90, "80–<90分"),
    GradeBand("中", 60, 80, "60–<80分"),
    GradeBand("差", 0, 60, "<60分"),
)
BAND_EDGES = (60.0, 80.0, 90.0)

DEFAULT_COVERAGE_THRESHOLD = 0.20  # 特克斯县报告：不低于本部门单位年度项目预算总额20%


def grade_for_score(score: float | None) -> str | None:
    """The grade band of a score per 财预〔2020〕10号 (优 ≥90, 良 ≥80, 中 ≥60, 差 <60); None for None."""
    if score is None:
        return None
    for band in GRADE_BANDS:
        if score >= band.low:
            return band.grade
    return GRADE_BANDS[-1].grade


def grade_expr(score: pl.Expr) -> pl.Expr:
    """Polars expression: the grade band of a score column."""
    return (pl.when(score >= 90).then(pl.lit("优"))
            .when(score >= 80).then(pl.lit("良"))
            .when(score >= 60).then(pl.lit("中"))
            .when(score.is_not_null()).then(pl.lit("差"))
            .otherwise(pl.lit(None, dtype=pl.String)))


GRADE_SQL = ("CASE WHEN {s} >= 90 THEN '优' WHEN {s} >= 80 THEN '良' WHEN {s} >= 60 THEN '中' "
             "WHEN {s} IS NOT NULL THEN '差' END")


def grade_sql(score_col: str = "score") -> str:
    """SQL CASE expression for the grade band of a score column (column name is code, never user input)."""
    return GRADE_SQL.format(s=score_col)


def near_band_edge(score: float, within: float = 1.0) -> bool:
    """True when a score lies within `within` points of a grade-band edge (60, 80, 90)."""
    return any(abs(score - e) <= within for e in BAND_EDGES)


def evaluated_amount(evaluated_wan: float | None, budget_wan: float | None) -> tuple[float | None, str]:
    """The evaluated amount a figure uses and which field it came from ('评价金额' or '预算金额')."""
    if evaluated_wan is not None:
        return evaluated_wan, "评价金额"
    if budget_wan is not None:
        return budget_wan, "预算金额"
    return None, "无金额"


def is_done(status: str | None) -> bool:
    """A follow-up counts as done when 已整改 or 已销号."""
    return status in DONE_STATUSES


def is_overdue(status: str | None, due_date: dt.date | None, as_of: dt.date) -> bool:
    """Overdue = has a follow-up, not done, and deadline strictly before the snapshot's as-of date."""
    return status is not None and not is_done(status) and due_date is not None and due_date < as_of


def days_overdue(due_date: dt.date, as_of: dt.date) -> int:
    """Whole days between the deadline and the as-of date."""
    return (as_of - due_date).days


def rectification_rate(done: int, tracked: int) -> float | None:
    """整改完成率 = done ÷ problems with a follow-up; None when none is tracked."""
    return None if tracked == 0 else done / tracked


@dataclass(frozen=True)
class Coverage:
    """Coverage of one department-year under the 20% rule."""

    ratio: float | None  # None = unknown (no budget total on file)
    status: str  # 达标 / 未达标 / 未知
    gap_wan: float | None  # 万元 still needed to reach the threshold; 0 when met; None when unknown
    whole_department: bool


def coverage(evaluated_wan: float, project_budget_wan: float | None, whole_department: bool,
             threshold: float = DEFAULT_COVERAGE_THRESHOLD) -> Coverage:
    """The 20% rule (特克斯县报告): Σ evaluated ÷ project budget total ≥ threshold; 部门整体 counts as 100%."""
    if whole_department:
        return Coverage(1.0, "达标", 0.0, True)
    if project_budget_wan is None or project_budget_wan <= 0:
        return Coverage(None, "未知", None, False)
    ratio = evaluated_wan / project_budget_wan
    gap = max(0.0, threshold * project_budget_wan - evaluated_wan)
    return Coverage(ratio, "达标" if ratio >= threshold else "未达标", gap, False)
