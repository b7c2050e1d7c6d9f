"""Queries behind the overview page: headline figures, grade distribution, trend over years."""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash.filters import Filters
from perfeval_dash.queries import fetch
from perfeval_dash.queries.staging import evaluations_cte


def headline(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """One row of headline figures: counts, funds (and how many used the budget fallback), score, grades."""
    ev, params = evaluations_cte(f)
    df = fetch(con, f"""
    WITH {ev},
    final AS (
        SELECT count(*) AS evaluations,
               sum(amount_wan) AS amount_wan,
               count(*) FILTER (WHERE amount_from_budget) AS amount_from_budget,
               count(*) FILTER (WHERE amount_wan IS NULL) AS amount_missing,
               avg(score) AS avg_score,
               count(*) FILTER (WHERE grade = '优') AS n_you,
               count(*) FILTER (WHERE grade = '良') AS n_liang,
               count(*) FILTER (WHERE grade = '中') AS n_zhong,
               count(*) FILTER (WHERE grade = '差') AS n_cha,
               count(DISTINCT department) AS departments,
               coalesce(bool_or(synthetic), FALSE) AS any_synthetic,
               coalesce(bool_or(NOT synthetic), FALSE) AS any_real
        FROM ev
    )
    SELECT * FROM final""", params)
    row = df.row(0, named=True)
    return {k: (int(v) if isinstance(v, (int,)) or k.startswith("n_") else v) for k, v in row.items()}


def grade_distribution(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Evaluations and amount per grade, in band order (优 良 中 差), zero rows kept."""
    ev, params = evaluations_cte(f)
    return fetch(con, f"""
    WITH {ev},
    grades AS (SELECT * FROM (VALUES ('优', 1), ('良', 2), ('中', 3), ('差', 4)) g(grade, ord)),
    final AS (
        SELECT g.grade, count(ev.eval_id) AS evaluations, coalesce(sum(ev.amount_wan), 0) AS amount_wan
        FROM grades g LEFT JOIN ev ON ev.grade = g.grade
        GROUP BY g.grade, g.ord ORDER BY g.ord
    )
    SELECT * FROM final""", params).with_columns(pl.col("evaluations").cast(pl.Int64))


def trend(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Per evaluation year: evaluations, evaluated funds, average score and share graded 优."""
    ev, params = evaluations_cte(f)
    return fetch(con, f"""
    WITH {ev},
    final AS (
        SELECT eval_year, count(*) AS evaluations, sum(amount_wan) AS amount_wan,
               avg(score) AS avg_score, avg(CASE WHEN grade = '优' THEN 1.0 ELSE 0.0 END) AS share_you
        FROM ev GROUP BY eval_year ORDER BY eval_year
    )
    SELECT * FROM final""", params).with_columns(pl.col("evaluations").cast(pl.Int64))


def batches(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Published reports in view, with their published total and the per-evaluation sum beside it."""
    where, params = f.where("b", evaluation_level=False)
    return fetch(con, f"""
    WITH per_eval AS (
        SELECT region, eval_year, count(*) AS evaluations,
               sum(coalesce(evaluated_wan, budget_wan)) AS sum_amount_wan
        FROM evaluations GROUP BY region, eval_year
    ),
    final AS (
        SELECT b.region, b.eval_year, b.budget_year, b.title, b.evaluated_total_wan,
               p.evaluations, p.sum_amount_wan, b.source, b.synthetic
        FROM batches b LEFT JOIN per_eval p USING (region, eval_year)
        WHERE {where}
        ORDER BY b.synthetic, b.region, b.eval_year DESC
    )
    SELECT * FROM final""", params)
