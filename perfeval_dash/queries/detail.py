"""Queries behind the evaluation detail page: one evaluation, its dimensions, problems and batch.

Each takes the reader's scope: an evaluation outside it reads as unknown (None / no rows), exactly like an id
that does not exist, so a link to another department's evaluation shows nothing of it.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from perfeval_dash.domain.rules import amount_from_budget_sql, amount_sql, grade_sql, open_sql, overdue_sql
from perfeval_dash.domain.scope import Scope
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import BATCH_COLUMNS, EVALUATION_COLUMNS


def _in_scope(scope: Scope) -> tuple[str, str, dict]:
    """(CTE, condition) for "evaluation $id is in scope", read from the derived cube; no CTE for an unlimited scope.

    The evaluation is looked up once (materialized), then its cube row checked against the scope.
    """
    if scope.is_all:
        return "", "TRUE", {}
    where, params = scope.where("c", EVALUATION_COLUMNS)
    cte = f"""WITH one AS MATERIALIZED (SELECT gid FROM eval_facts WHERE eval_id = $id),
    in_scope AS MATERIALIZED (SELECT count(*) > 0 AS ok FROM one JOIN eval_cube c USING (gid) WHERE {where})"""
    return cte, "(SELECT ok FROM in_scope)", params


def evaluation(con: duckdb.DuckDBPyConnection, eval_id: str, scope: Scope) -> dict | None:
    """All fields of one evaluation plus amount used, execution rate and computed grade; None if unknown."""
    where, params = scope.where("e", EVALUATION_COLUMNS)
    df = fetch(
        con,
        f"""
    WITH one AS MATERIALIZED (SELECT * FROM evaluations WHERE eval_id = $id),  -- the lookup first, then the scope
    final AS (
        SELECT e.*,
               {amount_sql("e")} AS amount_wan, {amount_from_budget_sql("e")} AS amount_from_budget,
               CASE WHEN e.budget_wan > 0 THEN e.executed_wan / e.budget_wan END AS execution_rate,
               {grade_sql("e.score")} AS computed_grade  -- the band per 财预〔2020〕10号 (rules.py)
        FROM one e WHERE {where}
    )
    SELECT * FROM final""",
        params | {"id": eval_id},
    )
    return df.row(0, named=True) if df.height else None


def dimensions(con: duckdb.DuckDBPyConnection, eval_id: str, scope: Scope) -> pl.DataFrame:
    """Dimension scores of one evaluation with 得分率."""
    cte, in_scope, params = _in_scope(scope)
    return fetch(
        con,
        f"""{cte}
        SELECT dimension, weight, score, CASE WHEN weight > 0 THEN score / weight END AS rate
        FROM dimension_scores WHERE eval_id = $id AND {in_scope} ORDER BY weight DESC, dimension""",
        params | {"id": eval_id},
    )


def problems(con: duckdb.DuckDBPyConnection, eval_id: str, as_of: dt.date, scope: Scope) -> pl.DataFrame:
    """Problems of one evaluation with follow-up status and overdue days."""
    cte, in_scope, params = _in_scope(scope)
    return fetch(
        con,
        f"""{cte}
        SELECT problem_id, category, description, recommendation, responsible_unit, due_date, status,
               closed_date, {overdue_sql(open_sql())} AS overdue,
               CASE WHEN due_date < $as_of THEN date_diff('day', due_date, $as_of) END AS days_past_due
        FROM problems WHERE eval_id = $id AND {in_scope} ORDER BY problem_id""",
        params | {"id": eval_id, "as_of": as_of},
    )


def batch(con: duckdb.DuckDBPyConnection, region: str, eval_year: int, scope: Scope) -> dict | None:
    """The published report (batch) an evaluation belongs to, with its batch-level problem count.

    None outside the scope, and for a scope naming departments: the batch's total and problems are the whole
    region-year's.
    """
    where, params = scope.where("b", BATCH_COLUMNS)
    df = fetch(
        con,
        f"""
        SELECT b.*, (SELECT count(*) FROM problems p
                     WHERE p.eval_id IS NULL AND p.region = b.region AND p.eval_year = b.eval_year)
                    AS batch_problems
        FROM batches b WHERE b.region = $region AND b.eval_year = $year AND {where}""",
        params | {"region": region, "year": eval_year},
    )
    return df.row(0, named=True) if df.height else None
