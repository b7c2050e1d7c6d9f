"""Queries behind the evaluation detail page: one evaluation, its dimensions, problems and batch.

`evaluation` reads one evaluation within the reader's scope: outside it the evaluation reads as unknown (None),
exactly like an id that does not exist, so a link to another department's evaluation shows nothing of it. The
row it returns (an `Evaluation`, carrying that scope) is the only key the other queries take, so they read
nothing the scope did not already allow, at no extra cost.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from perfeval_dash.domain.rules import amount_from_budget_sql, amount_sql, grade_sql, open_sql, overdue_sql
from perfeval_dash.domain.scope import Scope
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import BATCH_COLUMNS, EVALUATION_COLUMNS


class Evaluation(dict):
    """One evaluation's fields as `evaluation` read them within `scope`: the key to its dimensions, problems, batch."""

    def __init__(self, row: dict, scope: Scope):
        super().__init__(row)
        self.scope = scope


def checked_id(ev: Evaluation) -> str:
    """The id of an evaluation read within the reader's scope; anything else (a hand-made row) is refused."""
    if not isinstance(ev, Evaluation):
        raise TypeError("pass the Evaluation that detail.evaluation() returned: it applied the reader's scope")
    return ev["eval_id"]


def evaluation(con: duckdb.DuckDBPyConnection, eval_id: str, scope: Scope) -> Evaluation | None:
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
    return Evaluation(df.row(0, named=True), scope) if df.height else None


def dimensions(con: duckdb.DuckDBPyConnection, ev: Evaluation) -> pl.DataFrame:
    """Dimension scores of one evaluation with 得分率."""
    return fetch(
        con,
        """
        SELECT dimension, weight, score, CASE WHEN weight > 0 THEN score / weight END AS rate
        FROM dimension_scores WHERE eval_id = $id ORDER BY weight DESC, dimension""",
        {"id": checked_id(ev)},
    )


def problems(con: duckdb.DuckDBPyConnection, ev: Evaluation, as_of: dt.date) -> pl.DataFrame:
    """Problems of one evaluation with follow-up status and overdue days."""
    return fetch(
        con,
        f"""
        SELECT problem_id, category, description, recommendation, responsible_unit, due_date, status,
               closed_date, {overdue_sql(open_sql())} AS overdue,
               CASE WHEN due_date < $as_of THEN date_diff('day', due_date, $as_of) END AS days_past_due
        FROM problems WHERE eval_id = $id ORDER BY problem_id""",
        {"id": checked_id(ev), "as_of": as_of},
    )


def batch(con: duckdb.DuckDBPyConnection, ev: Evaluation) -> dict | None:
    """The published report (batch) an evaluation belongs to, with its batch-level problem count.

    None for a scope naming departments: the batch's total and problems are the whole region-year's.
    """
    checked_id(ev)
    region, eval_year = ev["region"], ev["eval_year"]
    where, params = ev.scope.where("b", BATCH_COLUMNS)
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
