"""Queries behind the problems page: categories, rectification by department, overdue and batch lists."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import rectification_rate, status_name_sql
from perfeval_dash.domain.vocab import NO_FOLLOW_UP
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import BATCH_COLUMNS, Filters
from perfeval_dash.queries.staging import groups_where, problems_cte
from perfeval_dash.store.derived import check_as_of


def totals(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> dict:
    """All problems, tracked (with a follow-up), done, open, overdue, batch-level; and the 整改完成率.

    Read from followup_cube (counts per evaluation group and batch), a tenth of problem_cube's rows."""
    check_as_of(con, as_of)  # overdue flags in the derived tables are for the snapshot's as-of date
    where, params = groups_where(f)
    row = fetch(
        con,
        f"""
    WITH final AS (
        SELECT coalesce(sum(problems), 0) AS problems, coalesce(sum(tracked), 0) AS tracked,
               coalesce(sum(done), 0) AS done, coalesce(sum(open), 0) AS open,
               coalesce(sum(overdue_cur), 0) AS overdue,
               coalesce(sum(problems) FILTER (WHERE gid IS NULL), 0) AS batch_level,
               coalesce(bool_or(synthetic), FALSE) AS any_synthetic
        FROM followup_cube x WHERE {where}
    )
    SELECT * FROM final""",
        params,
    ).row(0, named=True)
    out = {k: (int(v) if k != "any_synthetic" else bool(v)) for k, v in row.items()}
    out["rate"] = rectification_rate(out["done"], out["tracked"])
    return out


def by_category(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Problems per category and status (vocab.NO_FOLLOW_UP where no follow-up exists)."""
    check_as_of(con, as_of)
    pr, params = problems_cte(f)
    return fetch(
        con,
        f"""
    WITH {pr},
    coded AS (SELECT category, status_code, sum(problems) AS problems FROM pr GROUP BY ALL),
    counted AS (SELECT category, coalesce({status_name_sql()}, $no_follow_up) AS status, problems FROM coded),
    final AS (
        SELECT * FROM counted
        ORDER BY sum(problems) OVER (PARTITION BY category) DESC, category, status
    )
    SELECT * FROM final""",
        params | {"no_follow_up": NO_FOLLOW_UP},
    ).with_columns(pl.col("problems").cast(pl.Int64))


def by_department(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Per department: problems, tracked, done, open, overdue and 整改完成率 (done ÷ tracked).

    Done, open and overdue are unknown (NULL), not 0, for a department none of whose problems is followed up.
    """
    check_as_of(con, as_of)
    where, params = groups_where(f)
    return fetch(
        con,
        f"""
    WITH per_group AS (                             -- narrow integer keys first, names after (followup_cube)
        SELECT bid, gid, sum(problems) AS problems, sum(tracked) AS tracked, sum(done) AS done,
               sum(open) AS open, sum(overdue_cur) AS overdue, bool_or(synthetic) AS synthetic
        FROM followup_cube x WHERE {where} GROUP BY ALL
    ),
    final AS (
        SELECT b.region, coalesce(c.department, '（整批共性问题）') AS department,
               sum(g.problems) AS problems, sum(g.tracked) AS tracked,
               CASE WHEN sum(g.tracked) > 0 THEN sum(g.done) END AS done,
               CASE WHEN sum(g.tracked) > 0 THEN sum(g.open) END AS open,
               CASE WHEN sum(g.tracked) > 0 THEN sum(g.overdue) END AS overdue,
               CASE WHEN sum(g.tracked) > 0 THEN sum(g.done) / sum(g.tracked) END AS rate,
               bool_or(g.synthetic) AS synthetic
        FROM per_group g JOIN problem_batches b USING (bid) LEFT JOIN eval_cube c USING (gid)
        GROUP BY ALL
        ORDER BY overdue DESC NULLS LAST, rate NULLS LAST, problems DESC, region, department
    )
    SELECT * FROM final""",
        params,
    ).with_columns(pl.col("problems", "tracked", "done", "open", "overdue").cast(pl.Int64))


def overdue(
    con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """Overdue problems, most days overdue first (top `limit`), and how many there are in all."""
    check_as_of(con, as_of)
    pr, params = problems_cte(f, source="overdue_facts")
    df = fetch(
        con,
        f"""
    WITH {pr},
    late AS (SELECT pid, gid, problem_id, category, due_date, synthetic FROM pr),
    -- most days overdue first = earliest deadline first; text columns are read for these rows only
    top AS (SELECT * FROM late ORDER BY due_date, pid LIMIT $limit),  -- pid is numbered in problem_id order
    final AS (
        SELECT t.problem_id, o.eval_id, o.region, o.eval_year, c.department, ef.project_name, t.category,
               o.description, o.responsible_unit, t.due_date, o.status,
               date_diff('day', t.due_date, $as_of) AS days_overdue, t.gid IS NULL AS batch_level, t.synthetic,
               (SELECT count(*) FROM late) AS total
        FROM top t
        JOIN open_problem_text o USING (pid)
        LEFT JOIN eval_cube c USING (gid)
        LEFT JOIN (SELECT eval_id, project_name FROM eval_facts
                   WHERE eval_id IN (SELECT eval_id FROM open_problem_text WHERE pid IN (SELECT pid FROM top)))
                  ef ON ef.eval_id = o.eval_id
        ORDER BY days_overdue DESC, t.problem_id
    )
    SELECT * FROM final""",
        params | {"as_of": as_of, "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total").with_columns(pl.col("days_overdue").cast(pl.Int64)), total


def batch_level(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """Problems stated for a whole batch (region + year), not for one evaluation; none when a filter narrows."""
    where, params = f.where("b", BATCH_COLUMNS)
    batch_ok = "FALSE" if f.narrows_evaluations else "TRUE"  # same rule as staging.problems_cte
    return fetch(
        con,
        f"""
    WITH final AS (
        SELECT p.problem_id, p.region, p.eval_year, p.category, p.description, p.recommendation,
               p.status, p.due_date, p.source, p.synthetic
        FROM problems p JOIN problem_batches b USING (region, eval_year)  -- b: the batch's budget year
        WHERE p.eval_id IS NULL AND {where} AND {batch_ok}
        ORDER BY p.synthetic, p.region, p.eval_year DESC, p.problem_id
        LIMIT $limit
    )
    SELECT * FROM final""",
        params | {"limit": settings.LIST_ROWS.value},
    )
