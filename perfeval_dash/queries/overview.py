"""Queries behind the overview page: headline figures, grade distribution, trend over years."""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash.domain.rules import grade_values_sql
from perfeval_dash.domain.vocab import GRADES
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import BATCH_COLUMNS, Filters
from perfeval_dash.queries.staging import cube_cte


def headline(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """Headline figures: counts, funds (how many used the budget fallback), score, and evaluations per grade.

    `evaluations` and the grades count every evaluation; `avg_score` is over the `scored` ones only (a list may
    publish grades without scores, and a score is never derived from a grade).
    """
    c, params = cube_cte(f)
    df = fetch(
        con,
        f"""
    WITH {c},
    final AS (
        SELECT coalesce(sum(evaluations), 0)::BIGINT AS evaluations,
               sum(amount_wan) AS amount_wan,
               coalesce(sum(from_budget), 0)::BIGINT AS amount_from_budget,
               coalesce(sum(amount_missing), 0)::BIGINT AS amount_missing,
               coalesce(sum(score_n), 0)::BIGINT AS scored,
               CASE WHEN sum(score_n) > 0 THEN sum(score_sum) / sum(score_n) END AS avg_score,
               count(DISTINCT department) AS departments,
               coalesce(bool_or(synthetic), FALSE) AS any_synthetic,
               coalesce(bool_or(NOT synthetic), FALSE) AS any_real
        FROM c
    )
    SELECT * FROM final""",
        params,
    )
    row = df.row(0, named=True)
    grades = grade_distribution(con, f)
    return row | {"grades": dict(zip(grades["grade"].to_list(), grades["evaluations"].to_list()))}


def grade_distribution(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Evaluations and amount per grade, in band order (优 良 中 差), zero rows kept."""
    c, params = cube_cte(f)
    return fetch(
        con,
        f"""
    WITH {c},
    grades AS (SELECT * FROM {grade_values_sql("g")}),
    final AS (
        SELECT g.grade, coalesce(sum(c.evaluations), 0) AS evaluations, coalesce(sum(c.amount_wan), 0) AS amount_wan
        FROM grades g LEFT JOIN c ON c.grade = g.grade
        GROUP BY g.grade, g.ord ORDER BY g.ord
    )
    SELECT * FROM final""",
        params,
    ).with_columns(pl.col("evaluations").cast(pl.Int64))


def trend(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Per evaluation year: evaluations, evaluated funds, average score and share of the top grade (优)."""
    c, params = cube_cte(f)
    return fetch(
        con,
        f"""
    WITH {c},
    final AS (
        SELECT eval_year, sum(evaluations) AS evaluations, sum(amount_wan) AS amount_wan,
               CASE WHEN sum(score_n) > 0 THEN sum(score_sum) / sum(score_n) END AS avg_score,
               coalesce(sum(evaluations) FILTER (WHERE grade = $top), 0) / sum(evaluations) AS share_excellent
        FROM c GROUP BY eval_year ORDER BY eval_year
    )
    SELECT * FROM final""",
        params | {"top": GRADES[0]},
    ).with_columns(pl.col("evaluations").cast(pl.Int64))


def batches(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Published reports in view, with their published total and the per-evaluation sum beside it."""
    where, params = f.where("b", BATCH_COLUMNS)
    return fetch(
        con,
        f"""
    WITH per_eval AS (
        SELECT region, eval_year, sum(evaluations)::BIGINT AS evaluations, sum(amount_wan) AS sum_amount_wan
        FROM eval_cube GROUP BY region, eval_year
    ),
    final AS (
        SELECT b.region, b.eval_year, b.budget_year, b.title, b.evaluated_total_wan,
               p.evaluations, p.sum_amount_wan, b.source, b.synthetic
        FROM batches b LEFT JOIN per_eval p USING (region, eval_year)
        WHERE {where}
        ORDER BY b.synthetic, b.region, b.eval_year DESC
    )
    SELECT * FROM final""",
        params,
    )
