"""The rules the dashboard computes, each declared once in the form the app runs.

Grade bands are one table; the Python, polars and SQL forms and the chart edges are generated from it.
The amount fallback, done/open status, overdue and the coverage rule are named SQL fragments used by the
derived tables (store/derived.py) and every query. Column names passed in are code, never user input;
user values reach SQL only as bound parameters ($as_of, $thr).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.vocab import (
    BELOW,
    DONE_STATUSES,
    EVAL_TYPE_NAME_KEYWORDS,
    EXCELLENT,
    FAIR,
    GOOD,
    MET,
    OPEN_STATUSES,
    POOR,
    PROJECT,
    STATUSES,
    UNKNOWN,
)


# ---- grade bands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradeBand:
    """A grade and the lowest score it takes (the band runs up to the next grade's lowest score)."""

    grade: str
    low: float
    label: str


# 财政部《项目支出绩效评价管理办法》（财预〔2020〕10号）第二十九条: 优 90–100, 良 80–<90, 中 60–<80, 差 <60.
# Texts that write 良 80–89 leave 89.5 between bands; this rule places it in 良 (DOMAIN.md).
GRADE_BANDS: tuple[GradeBand, ...] = (
    GradeBand(EXCELLENT, 90, "90–100分"),
    GradeBand(GOOD, 80, "80–<90分"),
    GradeBand(FAIR, 60, "60–<80分"),
    GradeBand(POOR, 0, "<60分"),
)
BAND_EDGES: tuple[float, ...] = tuple(sorted(float(b.low) for b in GRADE_BANDS if b.low > 0))  # 60, 80, 90


def grade_for_score(score: float | None) -> str | None:
    """The grade band of a score (财预〔2020〕10号); None for None (a grade is never derived from nothing)."""
    if score is None:
        return None
    return next(b.grade for b in GRADE_BANDS if score >= b.low or b is GRADE_BANDS[-1])


def grade_expr(score: pl.Expr) -> pl.Expr:
    """Polars expression: the grade band of a score column (null for null)."""
    *upper, last = GRADE_BANDS
    expr = pl.when(score >= upper[0].low).then(pl.lit(upper[0].grade))
    for band in upper[1:]:
        expr = expr.when(score >= band.low).then(pl.lit(band.grade))
    return expr.when(score.is_not_null()).then(pl.lit(last.grade)).otherwise(pl.lit(None, dtype=pl.String))


def grade_sql(score_col: str = "score") -> str:
    """SQL CASE expression for the grade band of a score column (NULL for NULL)."""
    *upper, last = GRADE_BANDS
    whens = " ".join(f"WHEN {score_col} >= {b.low} THEN '{b.grade}'" for b in upper)
    return f"CASE {whens} WHEN {score_col} IS NOT NULL THEN '{last.grade}' END"


def near_edge_sql(score_col: str = "score") -> str:
    """SQL: TRUE when a score lies within the `near_edge_points` setting of a band edge (60, 80, 90)."""
    within = settings.NEAR_EDGE_POINTS.value
    return " OR ".join(f"abs({score_col} - {e}) <= {within}" for e in BAND_EDGES)


def grade_values_sql(alias: str = "g") -> str:
    """SQL: the grades in band order as a VALUES table `alias(grade, ord)`."""
    rows = ", ".join(f"('{b.grade}', {i})" for i, b in enumerate(GRADE_BANDS, 1))
    return f"(VALUES {rows}) {alias}(grade, ord)"


# ---- evaluation type ----------------------------------------------------------------------------
def eval_type_from_name(project_name: str) -> str:
    """The evaluation type a project name suggests (vocab.EVAL_TYPE_NAME_KEYWORDS), else 项目."""
    return next((t for t, words in EVAL_TYPE_NAME_KEYWORDS if any(w in project_name for w in words)), PROJECT)


# ---- budget year ---------------------------------------------------------------------------------
# Lists often name only the year of the evaluation. The budget year is then left empty; only when the user
# explicitly chooses 按评价年度−1 推定 on import is it assumed as below, and the row is marked as assumed.
ASSUMED_BUDGET_YEAR_LAG = 1


def assumed_budget_year(eval_year: int) -> int:
    """The budget year assumed for an evaluation year (评价年度−1), used only on the user's explicit choice."""
    return eval_year - ASSUMED_BUDGET_YEAR_LAG


# ---- evaluated amount ----------------------------------------------------------------------------
def amount_sql(e: str = "") -> str:
    """SQL: the amount a figure counts for an evaluation — its evaluated amount, else its budget (DOMAIN.md)."""
    p = f"{e}." if e else ""
    return f"coalesce({p}evaluated_wan, {p}budget_wan)"


def amount_from_budget_sql(e: str = "") -> str:
    """SQL: TRUE where the amount counted is the budget amount because no evaluated amount was given."""
    p = f"{e}." if e else ""
    return f"({p}evaluated_wan IS NULL AND {p}budget_wan IS NOT NULL)"


# ---- follow-up status ----------------------------------------------------------------------------
def _in_list(words: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{w}'" for w in words) + ")"


def status_code_sql(status_col: str = "status") -> str:
    """SQL: the status as a small code (its position in STATUSES); NULL where no follow-up is recorded."""
    return f"CASE {status_col} " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUSES)) + " END"


def status_name_sql(code_col: str = "status_code") -> str:
    """SQL: the status word of a status code (NULL for NULL)."""
    return f"CASE {code_col} " + " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(STATUSES)) + " END"


DONE_CODES = "(" + ", ".join(str(STATUSES.index(s)) for s in DONE_STATUSES) + ")"  # 已整改, 已销号
OPEN_CODES = "(" + ", ".join(str(STATUSES.index(s)) for s in OPEN_STATUSES) + ")"  # 未整改, 整改中


def done_sql(status_col: str = "status") -> str:
    """SQL: TRUE when a follow-up is done (已整改 or 已销号); FALSE when open; NULL when none is recorded."""
    return f"({status_col} IN {_in_list(DONE_STATUSES)})"


def open_sql(status_col: str = "status") -> str:
    """SQL: TRUE when a follow-up is open (未整改 or 整改中); NULL when none is recorded."""
    return f"({status_col} IN {_in_list(OPEN_STATUSES)})"


def overdue_sql(open_expr: str, due_col: str = "due_date", as_of: str = "$as_of") -> str:
    """SQL: overdue = followed up, not done, deadline strictly before the snapshot's as-of date (never NULL)."""
    return f"coalesce({open_expr} AND {due_col} < {as_of}, FALSE)"


def rectification_rate(done: int, tracked: int) -> float | None:
    """整改完成率 = done ÷ problems with a follow-up; None (未知) when none is tracked."""
    return None if tracked == 0 else done / tracked


# ---- the coverage rule ---------------------------------------------------------------------------
# 特克斯县报告: 按照部门单位不低于本部门单位年度项目预算总额20%的比例 — per department and budget year,
# Σ evaluated amount ÷ annual project budget ≥ threshold. A 部门整体 evaluation covers its department (100%);
# no budget total on file → 未知 (never 0%); the gap is what is still to evaluate to reach the threshold.
# An evaluation with neither an evaluated nor a budget amount leaves the department-year's sum unknown: it is
# 达标 when the known amounts already reach the threshold, otherwise 未知 (never 未达标 on a guessed 0).
def coverage_ratio_sql(evaluated: str, budget: str, whole: str) -> str:
    """SQL: the coverage ratio of the known amounts (1.0 for a whole-department evaluation; NULL without budget)."""
    return f"CASE WHEN {whole} THEN 1.0 WHEN {budget} > 0 THEN {evaluated} / {budget} END"


def coverage_verdict_sql(evaluated: str, budget: str, whole: str, missing: str, threshold: str = "$thr") -> str:
    """SQL: 达标 / 未达标 / 未知 under the coverage rule (`missing`: evaluations in the group without any amount)."""
    return (
        f"CASE WHEN {whole} THEN '{MET}' WHEN {budget} IS NULL OR {budget} <= 0 THEN '{UNKNOWN}' "
        f"WHEN {evaluated} / {budget} >= {threshold} THEN '{MET}' WHEN {missing} > 0 THEN '{UNKNOWN}' "
        f"ELSE '{BELOW}' END"
    )


def coverage_gap_sql(evaluated: str, budget: str, whole: str, missing: str, threshold: str = "$thr") -> str:
    """SQL: 万元 still to evaluate to reach the threshold (0 when met; NULL when the verdict is unknown)."""
    gap = f"greatest(0, {threshold} * {budget} - {evaluated})"
    return f"CASE WHEN {whole} THEN 0.0 WHEN {budget} > 0 AND ({missing} = 0 OR {gap} = 0) THEN {gap} END"


def verdict_order_sql(verdict_col: str = "status") -> str:
    """SQL ORDER BY terms putting 未达标 first, then 未知, then 达标."""
    return f"{verdict_col} = '{BELOW}' DESC, {verdict_col} = '{UNKNOWN}' DESC"
