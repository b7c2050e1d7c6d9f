"""Queries behind the problems page: categories, rectification by department, overdue and batch lists."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from perfeval_dash.filters import Filters
from perfeval_dash.queries import fetch
from perfeval_dash.queries.staging import problems_cte


def totals(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> dict:
    """All problems, tracked (with a follow-up), done, open, overdue, batch-level; and the 整改完成率."""
    pr, params = problems_cte(f, as_of)
    row = fetch(con, f"""
    WITH {pr},
    final AS (
        SELECT count(*) AS problems,
               count(*) FILTER (WHERE tracked) AS tracked,
               count(*) FILTER (WHERE done) AS done,
               count(*) FILTER (WHERE tracked AND NOT done) AS open,
               count(*) FILTER (WHERE overdue) AS overdue,
               count(*) FILTER (WHERE batch_level) AS batch_level,
               coalesce(bool_or(synthetic), FALSE) AS any_synthetic
        FROM pr
    )
    SELECT * FROM final""", params).row(0, named=True)
    out = {k: (int(v) if k != "any_synthetic" else bool(v)) for k, v in row.items()}
    out["rate"] = out["done"] / out["tracked"] if out["tracked"] else None
    return out


def by_category(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Problems per category and status ('无整改记录' where no follow-up exists)."""
    pr, params = problems_cte(f, as_of)
    return fetch(con, f"""
    WITH {pr},
    counted AS (
        SELECT category, coalesce(status, '无整改记录') AS status, count(*) AS problems
        FROM pr GROUP BY category, coalesce(status, '无整改记录')
    ),
    final AS (
        SELECT * FROM counted
        ORDER BY sum(problems) OVER (PARTITION BY category) DESC, category, status
    )
    SELECT * FROM final""", params).with_columns(pl.col("problems").cast(pl.Int64))


def by_department(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Per department: problems, tracked, done, open, overdue and 整改完成率 (done ÷ tracked)."""
    pr, params = problems_cte(f, as_of)
    return fetch(con, f"""
    WITH {pr},
    final AS (
        SELECT region, coalesce(department, '（整批共性问题）') AS department,
               count(*) AS problems, count(*) FILTER (WHERE tracked) AS tracked,
               count(*) FILTER (WHERE done) AS done, count(*) FILTER (WHERE tracked AND NOT done) AS open,
               count(*) FILTER (WHERE overdue) AS overdue,
               CASE WHEN count(*) FILTER (WHERE tracked) > 0
                    THEN count(*) FILTER (WHERE done) / count(*) FILTER (WHERE tracked) END AS rate,
               bool_or(synthetic) AS synthetic
        FROM pr GROUP BY ALL
        ORDER BY overdue DESC, rate NULLS LAST, problems DESC, region, department
    )
    SELECT * FROM final""", params).with_columns(
        pl.col("problems", "tracked", "done", "open", "overdue").cast(pl.Int64))


def overdue(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = 1000) -> tuple[pl.DataFrame, int]:
    """Overdue problems, most days overdue first (top `limit`), and how many there are in all."""
    pr, params = problems_cte(f, as_of)
    df = fetch(con, f"""
    WITH {pr},
    final AS (
        SELECT problem_id, eval_id, region, eval_year, department, project_name, category, description,
               responsible_unit, due_date, status, days_past_due AS days_overdue, batch_level, synthetic,
               count(*) OVER () AS total
        FROM pr WHERE overdue
        ORDER BY days_past_due DESC, problem_id
        LIMIT $limit
    )
    SELECT * FROM final""", params | {"limit": limit})
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total").with_columns(pl.col("days_overdue").cast(pl.Int64)), total


def batch_level(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Problems stated for a whole batch (region + year), not for one evaluation."""
    pr, params = problems_cte(f, as_of)
    return fetch(con, f"""
    WITH {pr},
    final AS (
        SELECT problem_id, region, eval_year, category, description, recommendation,
               status, due_date, source, synthetic
        FROM pr WHERE batch_level
        ORDER BY synthetic, region, eval_year DESC, problem_id
        LIMIT 1000
    )
    SELECT * FROM final""", params)
