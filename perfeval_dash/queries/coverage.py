"""The 20% coverage rule per department and budget year (特克斯县报告: 不低于本部门单位年度项目预算总额20%)."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from perfeval_dash.domain.rules import coverage_gap_sql, coverage_ratio_sql, coverage_verdict_sql, verdict_order_sql
from perfeval_dash.domain.vocab import BELOW, MET, UNKNOWN, WHOLE_DEPARTMENT
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import BUDGET_COLUMNS, Filters
from perfeval_dash.queries.staging import cube_cte

RULE_COLUMNS = ("evaluated_wan", "project_budget_wan", "whole_department", "amount_missing")  # the rule's inputs


def by_department(con: duckdb.DuckDBPyConnection, f: Filters, threshold: float) -> pl.DataFrame:
    """One row per department-year with evaluations or a budget on file: coverage, status, gap (万元).

    Both year filters apply to evaluations; budgets follow the 预算年度 filter, or, when only 评价年度 is chosen,
    the budget years of the evaluations in view. A 部门整体 evaluation counts its department as 100% covered;
    no budget total on file → status 未知 (ratio NULL, never 0%); a budget with no evaluation → 0%.
    Evaluations without a budget year belong to no department-year and are left out (see `unbudgeted`).
    """
    c, params = cube_cte(f)
    budget_where, budget_params = f.where("b", BUDGET_COLUMNS)
    if f.years and not f.budget_years:  # budgets of the budget years the chosen evaluation years cover
        budget_where += " AND b.budget_year IN (SELECT budget_year FROM c WHERE budget_year IS NOT NULL)"
    params = params | budget_params | {"thr": threshold, "whole_type": WHOLE_DEPARTMENT}
    return fetch(
        con,
        f"""
    WITH {c},
    evaluated AS (
        SELECT region, budget_year, department,
               sum(evaluations) AS evaluations,
               coalesce(sum(amount_wan), 0) AS evaluated_wan,
               sum(from_budget) AS from_budget,
               sum(amount_missing) AS amount_missing,               -- evaluations with no amount at all
               bool_or(eval_type = $whole_type) AS whole_department,
               bool_or(synthetic) AS synthetic
        FROM c WHERE budget_year IS NOT NULL            -- no budget year: no department-year to count in
        GROUP BY ALL
    ),
    budgets AS (
        SELECT b.region, b.budget_year, b.department, b.project_budget_wan, b.synthetic
        FROM dept_budgets b
        WHERE {budget_where}
    ),
    joined AS (
        SELECT coalesce(e.region, b.region) AS region,
               coalesce(e.budget_year, b.budget_year) AS budget_year,
               coalesce(e.department, b.department) AS department,
               coalesce(e.evaluations, 0) AS evaluations,
               coalesce(e.evaluated_wan, 0) AS evaluated_wan,
               coalesce(e.from_budget, 0) AS from_budget,
               coalesce(e.amount_missing, 0) AS amount_missing,
               coalesce(e.whole_department, FALSE) AS whole_department,
               b.project_budget_wan,
               coalesce(e.synthetic, b.synthetic) AS synthetic
        FROM evaluated e
        -- budgets without evaluations only count when no type/grade filter narrows the evaluations
        {"LEFT" if (f.types or f.grades) else "FULL OUTER"} JOIN budgets b
          ON e.region = b.region AND e.budget_year = b.budget_year AND e.department = b.department
    ),
    final AS (
        SELECT *,
               {coverage_ratio_sql(*RULE_COLUMNS[:3])} AS ratio,
               {coverage_verdict_sql(*RULE_COLUMNS)} AS status,
               {coverage_gap_sql(*RULE_COLUMNS)} AS gap_wan
        FROM joined
    )
    SELECT * FROM final
    ORDER BY {verdict_order_sql()}, ratio NULLS FIRST, region, budget_year DESC, department
    """,
        params,
    ).with_columns(pl.col("evaluations", "from_budget", "amount_missing").cast(pl.Int64))


def unbudgeted(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """Evaluations in view without a budget year, left out of the coverage rule: how many, how much money (万元).

    Every filter applies except 预算年度: these evaluations have none, so a budget-year selection never holds
    them, and the page says so with this count. `amount_wan` is NULL when none of them has an amount.
    """
    c, params = cube_cte(replace(f, budget_years=()))
    row = fetch(
        con,
        f"""
    WITH {c},
    final AS (
        SELECT coalesce(sum(evaluations), 0)::BIGINT AS evaluations, sum(amount_wan) AS amount_wan,
               coalesce(sum(from_budget), 0)::BIGINT AS from_budget
        FROM c WHERE budget_year IS NULL
    )
    SELECT * FROM final""",
        params,
    ).row(0, named=True)
    return row


def summarize(rows: pl.DataFrame) -> pl.DataFrame:
    """Region totals per budget year from the per-department rows: counts by status, Σ gap, known coverage.

    Sums over nothing known stay unknown (null), never 0: a region with no budget on file has an unknown budget.
    """
    known = pl.col("ratio").is_not_null() & ~pl.col("whole_department")
    any_known = known.any()
    return (
        rows.group_by("region", "budget_year")
        .agg(
            departments=pl.len(),
            passed=(pl.col("status") == MET).sum(),
            failed=(pl.col("status") == BELOW).sum(),
            unknown=(pl.col("status") == UNKNOWN).sum(),
            evaluated_wan=pl.col("evaluated_wan").sum(),
            budget_wan=pl.when(any_known).then(pl.col("project_budget_wan").filter(known).sum()),
            evaluated_known_wan=pl.when(any_known).then(pl.col("evaluated_wan").filter(known).sum()),
            gap_wan=pl.when(pl.col("gap_wan").is_not_null().any()).then(pl.col("gap_wan").sum()),
        )
        .with_columns(
            ratio=pl.when(pl.col("budget_wan") > 0).then(pl.col("evaluated_known_wan") / pl.col("budget_wan"))
        )
        .with_columns(pl.col("departments", "passed", "failed", "unknown").cast(pl.Int64))
        .sort("region", "budget_year", descending=[False, True])
    )
