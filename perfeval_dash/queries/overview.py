"""Queries behind the overview page: headline figures, grade distribution, trend over years."""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash.domain.rules import grade_values_sql
from perfeval_dash.domain.vocab import BELOW, GRADES, MET, UNKNOWN
from perfeval_dash.queries import coverage, fetch, problems
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


def published_amount(con: duckdb.DuckDBPyConnection, f: Filters) -> dict:
    """Evaluated funds as the reports publish them: each batch's published total where it gives one, else the sum
    of its evaluations; with the per-evaluation sum beside it. A filter within a batch (department, type, grade)
    makes batch totals inapplicable: then only the per-evaluation sum counts (`batch_totals_apply` False). So does a
    预算年度 filter that takes only some of a published batch's evaluations (`partial_batches`): a batch's
    evaluations may be of several budget years, and its total covers them all."""
    c, params = cube_cte(f)
    df = fetch(
        con,
        f"""
    WITH {c},
    per_batch AS (
        SELECT region, eval_year, sum(evaluations) AS evaluations, sum(amount_wan) AS items_wan,
               sum(amount_missing) AS missing
        FROM c GROUP BY ALL
    ),
    whole_batch AS (SELECT region, eval_year, sum(evaluations) AS evaluations FROM eval_cube GROUP BY ALL),
    final AS (
        SELECT count(*) AS batches,
               count(b.evaluated_total_wan) AS published_batches,
               sum(b.evaluated_total_wan) AS published_wan,
               sum(p.items_wan) FILTER (WHERE b.evaluated_total_wan IS NULL) AS other_items_wan,
               sum(p.items_wan) AS items_wan,
               coalesce(sum(p.missing), 0)::BIGINT AS amount_missing,
               count(b.evaluated_total_wan) FILTER (WHERE p.evaluations < w.evaluations) AS partial_batches
        FROM per_batch p LEFT JOIN batches b USING (region, eval_year) JOIN whole_batch w USING (region, eval_year)
    )
    SELECT * FROM final""",
        params,
    )
    row = df.row(0, named=True)
    # a report's total is the whole batch's: not for a selection within it, nor for a reader limited to departments
    row["batch_totals_apply"] = (
        not f.narrows_evaluations
        and not f.scope.names_departments
        and row["published_batches"] > 0
        and row["partial_batches"] == 0
    )
    if row["batch_totals_apply"]:
        row["headline_wan"] = (row["published_wan"] or 0) + (row["other_items_wan"] or 0)
    else:
        row["headline_wan"] = row["items_wan"]
    return row


def department_ranking(con: duckdb.DuckDBPyConnection, f: Filters, threshold: float, as_of) -> pl.DataFrame:
    """One row per region and department: evaluations, average score (of the scored), share graded below the top
    grade, coverage over the budget years in view (worst verdict of its years; Σ evaluated ÷ Σ budget of the years
    with a budget), open and overdue problems and the 整改完成率. Weakest departments first (most overdue, most
    years below the coverage rule, lowest average score; unknowns last), then by region and department."""
    c, params = cube_cte(f)
    scores = fetch(
        con,
        f"""
    WITH {c},
    final AS (
        SELECT region, department, sum(evaluations)::BIGINT AS evaluations, sum(score_n)::BIGINT AS scored,
               CASE WHEN sum(score_n) > 0 THEN sum(score_sum) / sum(score_n) END AS avg_score,
               CASE WHEN sum(score_n) > 0 THEN sum(score_cents) / sum(score_n) END AS score_key,
               coalesce(sum(evaluations) FILTER (WHERE grade <> $top), 0) / sum(evaluations) AS share_lower,
               bool_or(synthetic) AS synthetic
        FROM c GROUP BY ALL
    )
    SELECT * FROM final""",
        params | {"top": GRADES[0]},
    )
    cov = coverage.by_department(con, f, threshold)
    known = pl.col("ratio").is_not_null() & ~pl.col("whole_department")
    per_dept = (
        cov.group_by("region", "department")
        .agg(
            coverage_years=pl.len(),
            below_years=(pl.col("status") == BELOW).sum().cast(pl.Int64),
            unknown_years=(pl.col("status") == UNKNOWN).sum().cast(pl.Int64),
            coverage_known_wan=pl.col("evaluated_wan").filter(known).sum(),
            coverage_budget_wan=pl.col("project_budget_wan").filter(known).sum(),
        )
        .with_columns(
            coverage_status=pl.when(pl.col("below_years") > 0)
            .then(pl.lit(BELOW))
            .when(pl.col("unknown_years") > 0)
            .then(pl.lit(UNKNOWN))
            .otherwise(pl.lit(MET)),
            ratio=pl.when(pl.col("coverage_budget_wan") > 0).then(
                pl.col("coverage_known_wan") / pl.col("coverage_budget_wan")
            ),
        )
    )
    probs = problems.by_department(con, f, as_of).select("region", "department", "problems", "open", "overdue", "rate")
    return (
        scores.join(
            per_dept.select("region", "department", "coverage_status", "ratio", "below_years"),
            on=["region", "department"],
            how="left",
        )
        .join(probs, on=["region", "department"], how="left")
        .sort(  # ties (e.g. grade-only departments, no problems) by region and department: a stable table
            # score_key: the average in hundredths from exact integer sums, so that two equal averages tie
            # whatever order their scores were added in (the float average can differ in its last bit)
            ["overdue", "below_years", "score_key", "region", "department"],
            descending=[True, True, False, False, False],
            nulls_last=True,
        )
        .drop("score_key")
        .with_columns(pl.col("evaluations", "scored").cast(pl.Int64))
    )
