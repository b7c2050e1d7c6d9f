"""The rules the dashboard computes, each declared once in the form the app runs.

Grade bands are one table; the Python, polars and SQL forms and the chart edges are generated from it.
The amount fallback, done/open status, overdue and the coverage rule are named SQL fragments used by the
derived tables (store/derived.py) and every query. Column names passed in are code, never user input;
user values reach SQL only as bound parameters ($as_of, $thr).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.vocab import (
    AGE_BUCKETS,
    APPLICATIONS,
    BELOW,
    BREAKS,
    CUT,
    DONE_STATUSES,
    EVAL_TYPE_NAME_KEYWORDS,
    EXCELLENT,
    FAIR,
    FOLLOWS,
    GOOD,
    GRADES,
    MET,
    NO_RULE,
    NOT_RECORDED,
    OPEN_STATUSES,
    POOR,
    PROJECT,
    STATUSES,
    UNKNOWN,
    UNVERIFIABLE,
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


# ---- follow-up over time -------------------------------------------------------------------------
def original_due_sql(p: str = "") -> str:
    """SQL: a problem's original deadline (first seen); the store keeps it only where it differs from the current."""
    q = f"{p}." if p else ""
    return f"coalesce({q}original_due_date, {q}due_date)"


def pushed_back_sql(old: str = "old_value", new: str = "new_value") -> str:
    """SQL: TRUE when a deadline event moved the deadline later (both dates known); a deadline set or cleared is not."""
    return f"coalesce(TRY_CAST({new} AS DATE) > TRY_CAST({old} AS DATE), FALSE)"


def pulled_forward_sql(old: str = "old_value", new: str = "new_value") -> str:
    """SQL: TRUE when a deadline event moved the deadline earlier (both dates known)."""
    return f"coalesce(TRY_CAST({new} AS DATE) < TRY_CAST({old} AS DATE), FALSE)"


def reopened_sql(old: str = "old_value", new: str = "new_value") -> str:
    """SQL: TRUE when a status went from done (已整改/已销号) back to open (未整改/整改中)."""
    return f"coalesce({old} IN {_in_list(DONE_STATUSES)} AND {new} IN {_in_list(OPEN_STATUSES)}, FALSE)"


def closed_sql(old: str = "old_value", new: str = "new_value") -> str:
    """SQL: TRUE when a status became done from open or from no follow-up record."""
    done, open_ = _in_list(DONE_STATUSES), _in_list(OPEN_STATUSES)
    return f"coalesce({new} IN {done} AND ({old} IS NULL OR {old} IN {open_}), FALSE)"


def age_bucket_sql(days: str) -> str:
    """SQL: the index in vocab.AGE_BUCKETS of an age in days (NULL when the age is unknown)."""
    whens = " ".join(f"WHEN {days} <= {last} THEN {i}" for i, (_, last) in enumerate(AGE_BUCKETS) if last is not None)
    return f"CASE WHEN {days} IS NULL THEN NULL {whens} ELSE {len(AGE_BUCKETS) - 1} END"


def age_bucket(days: int | None) -> str | None:
    """The label of vocab.AGE_BUCKETS an age in days falls in (None when unknown)."""
    if days is None:
        return None
    return next(label for label, last in AGE_BUCKETS if last is None or days <= last)


# ---- 结果应用: the bureau's rule -------------------------------------------------------------------
class SettingError(ValueError):
    """A setting's value cannot be used; the message says which and why, in Chinese."""


@dataclass(frozen=True)
class ApplicationRule:
    """For one grade: the consequences that follow the rule, and the least share of the amount cut (or None)."""

    grade: str
    actions: tuple[str, ...]
    min_share: float | None


_RULE_LINE = re.compile(r"^\s*(\S+?)\s*[:：=＝→]\s*([^>≥]+?)\s*(?:(?:>=|≥|＞＝)\s*(\d+(?:\.\d+)?)\s*[%％])?\s*$")


def parse_application_rule(text: str) -> tuple[ApplicationRule, ...]:
    """The rule written as `中:核减>=10%; 差:取消/暂停`; SettingError (Chinese, naming the part) when malformed."""
    setting = f"结果应用规则（{settings.APPLICATION_RULE.env}）"
    rules: list[ApplicationRule] = []
    for part in (p for p in re.split(r"[;；\n]", text or "") if p.strip()):
        m = _RULE_LINE.match(part)
        if not m:
            raise SettingError(f"{setting}无法读取「{part.strip()}」：应写成 等级:结果/结果>=N%，如 中:核减>=10%")
        grade, actions_text, share = m.group(1), m.group(2), m.group(3)
        actions = tuple(a.strip() for a in re.split(r"[/／|、,，]", actions_text) if a.strip())
        if grade not in GRADES:
            raise SettingError(f"{setting}中的等级「{grade}」应为 {' / '.join(GRADES)} 之一")
        bad = [a for a in actions if a not in APPLICATIONS]
        if bad or not actions:
            raise SettingError(
                f"{setting}中「{part.strip()}」的结果「{'、'.join(bad)}」应为 {' / '.join(APPLICATIONS)} 之一"
            )
        if share is not None and not 0 < float(share) <= 100:
            raise SettingError(f"{setting}中「{part.strip()}」的比例应在 0–100% 之间")
        if any(r.grade == grade for r in rules):
            raise SettingError(f"{setting}中等级「{grade}」出现了两次")
        rules.append(ApplicationRule(grade, actions, None if share is None else float(share) / 100))
    return tuple(rules)


@functools.cache
def _parsed_rule(text: str) -> tuple[ApplicationRule, ...]:
    return parse_application_rule(text)


def application_rule() -> tuple[ApplicationRule, ...]:
    """The rule in force (settings.APPLICATION_RULE), parsed once per value; SettingError when malformed."""
    return _parsed_rule(settings.APPLICATION_RULE.value)


def describe_rule(rule: tuple[ApplicationRule, ...]) -> str:
    """The rule in one Chinese line, e.g. "中 → 核减（≥10%）；差 → 取消或暂停"."""
    parts = [
        f"{r.grade} → {'或'.join(r.actions)}" + (f"（≥{r.min_share * 100:g}%）" if r.min_share is not None else "")
        for r in rule
    ]
    return "；".join(parts) or "（未设置规则）"


def rule_params(rule: tuple[ApplicationRule, ...]) -> dict:
    """The rule as bound parameters for rule_verdict_sql: $rule_grade, $rule_actions, $rule_share (parallel lists)."""
    return {
        "rule_grade": [r.grade for r in rule] or [""],
        "rule_actions": [list(r.actions) for r in rule] or [[]],
        "rule_share": [r.min_share for r in rule] or [None],
    }


def rule_table_sql(alias: str = "r") -> str:
    """SQL: the rule as a table `alias(grade, actions, min_share)` from the bound parameters of rule_params."""
    return (
        f"(SELECT unnest($rule_grade) AS grade, unnest($rule_actions) AS actions, "
        f"unnest($rule_share)::DOUBLE AS min_share) {alias}"
    )


def rule_verdict_sql(application: str, share: str, r: str = "r") -> str:
    """SQL: vocab.RULE_VERDICTS for an evaluation joined (LEFT) to the rule table `r` on its grade.

    `share` is the cut as a share of the evaluated amount (NULL when either amount is unknown). 未记录 (no
    consequence on file) is never 符合规则; a cut whose share cannot be computed is 无法核实.
    """
    return (
        f"CASE WHEN {r}.grade IS NULL THEN '{NO_RULE}' WHEN {application} IS NULL THEN '{NOT_RECORDED}' "
        f"WHEN NOT list_contains({r}.actions, {application}) THEN '{BREAKS}' "
        f"WHEN {r}.min_share IS NULL OR {application} <> '{CUT}' THEN '{FOLLOWS}' "
        f"WHEN {share} IS NULL THEN '{UNVERIFIABLE}' "
        f"WHEN {share} >= {r}.min_share - 1e-9 THEN '{FOLLOWS}' ELSE '{BREAKS}' END"
    )
