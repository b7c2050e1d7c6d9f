"""The 20% coverage rule per department and budget year (特克斯县报告: 不低于本部门单位年度项目预算总额20%)."""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash.queries.filters import Filters
from perfeval_dash.queries import fetch
from perfeval_dash.queries.staging import cube_cte


def by_department(con: duckdb.DuckDBPyConnection, f: Filters, threshold: float) -> pl.DataFrame:
    """One row per department-year with evaluations or a budget on file: coverage, status, gap (万元).

    Year filters mean the budget year here. A 部门整体 evaluation counts its department as 100% covered;
    no budget total on file → status 未知 (ratio NULL, never 0%); a budget with no evaluation → 0%.
    """
    c, params = cube_cte(f, year_col="budget_year")
    budget_where, budget_params = f.where("b", year_col="budget_year", evaluation_level=False)
    dept_filter = "AND b.department = ANY($f_depts)" if f.depts else ""
    params = params | budget_params | {"thr": threshold}
    return fetch(con, f"""
    WITH {c},
    evaluated AS (
        SELECT region, budget_year, department,
               sum(evaluations) AS evaluations,
               coalesce(sum(amount_wan), 0) AS evaluated_wan,
               sum(from_budget) AS from_budget,
               bool_or(eval_type = '部门整体') AS whole_department,
               bool_or(synthetic) AS synthetic
        FROM c GROUP BY ALL
    ),
    budgets AS (
        SELECT b.region, b.budget_year, b.department, b.project_budget_wan, b.synthetic
        FROM dept_budgets b
        WHERE {budget_where} {dept_filter}
    ),
    joined AS (
        SELECT coalesce(e.region, b.region) AS region,
               coalesce(e.budget_year, b.budget_year) AS budget_year,
               coalesce(e.department, b.department) AS department,
               coalesce(e.evaluations, 0) AS evaluations,
               coalesce(e.evaluated_wan, 0) AS evaluated_wan,
               coalesce(e.from_budget, 0) AS from_budget,
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
               CASE WHEN whole_department THEN 1.0
                    WHEN project_budget_wan > 0 THEN evaluated_wan / project_budget_wan END AS ratio,
               CASE WHEN whole_department THEN '达标'
                    WHEN project_budget_wan IS NULL OR project_budget_wan <= 0 THEN '未知'
                    WHEN evaluated_wan / project_budget_wan >= $thr THEN '达标'
                    ELSE '未达标' END AS status,
               CASE WHEN whole_department THEN 0.0
                    WHEN project_budget_wan > 0 THEN greatest(0, $thr * project_budget_wan - evaluated_wan)
                    END AS gap_wan
        FROM joined
    )
    SELECT * FROM final
    ORDER BY status = '未达标' DESC, status = '未知' DESC, ratio NULLS FIRST, region, budget_year DESC, department
    """, params).with_columns(pl.col("evaluations", "from_budget").cast(pl.Int64))


def summarize(rows: pl.DataFrame) -> pl.DataFrame:
    """Region totals per budget year from the per-department rows: counts by status, Σ gap, known coverage."""
    known = pl.col("ratio").is_not_null() & ~pl.col("whole_department")
    return (rows.group_by("region", "budget_year")
            .agg(departments=pl.len(),
                 passed=(pl.col("status") == "达标").sum(),
                 failed=(pl.col("status") == "未达标").sum(),
                 unknown=(pl.col("status") == "未知").sum(),
                 evaluated_wan=pl.col("evaluated_wan").sum(),
                 budget_wan=pl.col("project_budget_wan").filter(known).sum(),
                 evaluated_known_wan=pl.col("evaluated_wan").filter(known).sum(),
                 gap_wan=pl.col("gap_wan").sum())
            .with_columns(ratio=pl.when(pl.col("budget_wan") > 0)
                          .then(pl.col("evaluated_known_wan") / pl.col("budget_wan")))
            .with_columns(pl.col("departments", "passed", "failed", "unknown").cast(pl.Int64))
            .sort("region", "budget_year", descending=[False, True]))
