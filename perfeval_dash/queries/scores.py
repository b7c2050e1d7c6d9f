"""Queries behind the scores page: histogram, spread by group, dimension 得分率, ranked list."""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import grade_sql, grade_values_sql, near_edge_sql
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import Filters
from perfeval_dash.queries.staging import cube_cte, facts_cte

_GROUP_COLUMNS = {"department": ("region", "department"), "eval_type": ("eval_type",)}


def histogram(con: duckdb.DuckDBPyConnection, f: Filters, bin_width: float = 1.0) -> pl.DataFrame:
    """Counts per score bin and grade (bins of `bin_width` points; the last bin includes 100)."""
    ev, params = facts_cte(f)
    return fetch(
        con,
        f"""
    WITH {ev},
    binned AS (
        SELECT least(floor(score / $w) * $w, 100 - $w) AS bin_start, grade FROM ev WHERE score IS NOT NULL
    ),
    final AS (
        SELECT bin_start, grade, count(*) AS evaluations FROM binned GROUP BY ALL ORDER BY bin_start, grade
    )
    SELECT * FROM final""",
        params | {"w": bin_width},
    ).with_columns(pl.col("evaluations").cast(pl.Int64))


def spread(con: duckdb.DuckDBPyConnection, f: Filters, by: str) -> pl.DataFrame:
    """Five-number summary of scores per group, largest groups first.

    `by`: "department" (per region and department, so same-named departments of two regions stay apart; the
    frame has `region` and `grp`) or "eval_type" (`grp`).
    """
    keys = _GROUP_COLUMNS[by]  # code constants chosen from a fixed map, never user text
    col = keys[-1]
    ev, params = facts_cte(f)
    return fetch(
        con,
        f"""
    WITH {ev},
    final AS (
        SELECT {", ".join(keys[:-1] + (f"{col} AS grp",))}, count(*) AS evaluations,
               min(score) AS min, quantile_cont(score, 0.25) AS q1, median(score) AS median,
               quantile_cont(score, 0.75) AS q3, max(score) AS max, avg(score) AS mean
        FROM ev WHERE score IS NOT NULL
        GROUP BY ALL
        ORDER BY evaluations DESC, grp{", region" if by == "department" else ""}
    )
    SELECT * FROM final""",
        params,
    ).with_columns(pl.col("evaluations").cast(pl.Int64))


def dimension_rates(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Average 得分率 (dimension score ÷ weight) per dimension name, with how many evaluations report it."""
    c, params = cube_cte(f)
    return fetch(
        con,
        f"""
    WITH {c},
    final AS (
        SELECT d.dimension, sum(d.evaluations) AS evaluations, sum(d.weight_sum) / sum(d.evaluations) AS avg_weight,
               sum(d.rate_sum) / sum(d.evaluations) AS rate
        FROM dim_cube d JOIN c USING (gid)
        GROUP BY d.dimension
        ORDER BY evaluations DESC, d.dimension
    )
    SELECT * FROM final""",
        params,
    ).with_columns(pl.col("evaluations").cast(pl.Int64))


def ranked(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = settings.RANKED_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """Evaluations ranked by score (top `limit`), then grade-only ones (rank and score NULL); and how many in all.

    Scored rows carry the computed grade and the near-band-edge flag; evaluations that published a grade but no
    score follow them, best grade first, with no rank: a score is never derived from a grade.
    """
    ev, params = facts_cte(f)
    df = fetch(
        con,
        f"""
    WITH {ev},
    scored AS (SELECT * FROM ev WHERE score IS NOT NULL),
    -- the top rows by score are enough: a row's rank counts only rows scoring higher, all of them in the top
    top AS (SELECT * FROM scored ORDER BY score DESC, eval_id LIMIT $limit),
    ranked AS (SELECT rank() OVER (ORDER BY score DESC) AS rank, 0 AS part, NULL::INTEGER AS grade_ord, * FROM top),
    grades AS (SELECT * FROM {grade_values_sql("g")}),
    unscored AS (                                -- grade-only evaluations, after every scored one
        SELECT NULL::BIGINT AS rank, 1 AS part, g.ord AS grade_ord, ev.*
        FROM ev JOIN grades g USING (grade)
        WHERE ev.score IS NULL
        ORDER BY g.ord, ev.eval_id LIMIT $limit
    ),
    final AS (
        SELECT rank, eval_id, region, eval_year, department,
               project_name, eval_type, score, grade,
               {grade_sql("score")} AS computed_grade,  -- the band per 财预〔2020〕10号 (rules.py)
               {near_edge_sql("score")} AS near_edge,
               amount_wan, amount_from_budget, synthetic,
               (SELECT count(*) FROM ev) AS total
        FROM (SELECT * FROM ranked UNION ALL BY NAME SELECT * FROM unscored)
        ORDER BY part, score DESC, grade_ord, eval_id
        LIMIT $limit
    )
    SELECT * FROM final""",
        params | {"limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total").with_columns(pl.col("rank").cast(pl.Int64)), total
