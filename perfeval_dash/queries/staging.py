"""Staging CTEs shared by the queries: filtered evaluations and problems with their derived columns."""

from __future__ import annotations

import datetime as dt

from perfeval_dash.filters import Filters


def evaluations_cte(f: Filters, year_col: str = "eval_year") -> tuple[str, dict]:
    """`ev`: evaluations matching the filters, plus the amount figures use (评价金额, else 预算金额)."""
    where, params = f.where("e", year_col=year_col)
    sql = f"""
    ev AS (
        SELECT e.*,
               -- DOMAIN: where no evaluated amount is given, figures use the budget amount
               coalesce(e.evaluated_wan, e.budget_wan) AS amount_wan,
               (e.evaluated_wan IS NULL AND e.budget_wan IS NOT NULL) AS amount_from_budget
        FROM evaluations e
        WHERE {where}
    )"""
    return sql, params


def problems_cte(f: Filters, as_of: dt.date) -> tuple[str, dict]:
    """`pr`: problems in the filtered evaluations, plus batch-level problems when no filter narrows a batch."""
    batch_where, params = f.where("p", evaluation_level=False)
    eval_where, eval_params = f.where("e")
    params = params | eval_params | {"as_of": as_of}
    # Batch-level problems (eval_id NULL) belong to a whole region-year, not to one department, type or
    # grade: they are included only when the filters select whole batches.
    batch_ok = "FALSE" if f.narrows_evaluations else "TRUE"
    sql = f"""
    pr AS (
        SELECT p.*,
               e.department, e.project_name, e.eval_type, e.grade AS eval_grade,
               p.eval_id IS NULL AS batch_level,
               p.status IS NOT NULL AS tracked,
               coalesce(p.status IN ('已整改', '已销号'), FALSE) AS done,
               -- DOMAIN: overdue = followed up, not done, deadline before the snapshot's as-of date
               coalesce(p.status IS NOT NULL AND p.status NOT IN ('已整改', '已销号')
                        AND p.due_date < $as_of, FALSE) AS overdue,
               CASE WHEN p.due_date < $as_of THEN date_diff('day', p.due_date, $as_of) END AS days_past_due
        FROM problems p
        LEFT JOIN evaluations e ON e.eval_id = p.eval_id
        WHERE {batch_where}
          AND ((p.eval_id IS NOT NULL AND {eval_where}) OR (p.eval_id IS NULL AND {batch_ok}))
    )"""
    return sql, params
