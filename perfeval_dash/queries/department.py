"""Queries behind the department sheet (部门档案): one department's evaluations over the years.

The sheet's other figures are the other pages' own queries (overview, coverage, problems, follow-up,
结果应用) under the same filters, so its numbers equal theirs.
"""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.vocab import NOT_RECORDED
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import Filters
from perfeval_dash.queries.staging import facts_cte


def evaluations(
    con: duckdb.DuckDBPyConnection, f: Filters, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """The evaluations in view, newest year first (top `limit`): score, grade, amount and 结果应用; and how many."""
    ev, params = facts_cte(f)
    df = fetch(
        con,
        f"""
    WITH {ev},
    top AS (SELECT * FROM ev ORDER BY eval_year DESC, score DESC, eval_id LIMIT $limit),
    final AS (
        SELECT t.eval_id, t.region, t.eval_year, t.budget_year, t.department, t.project_name, t.eval_type, t.score,
               t.grade, t.amount_wan, coalesce(a.application, $not_recorded) AS consequence, a.application_wan,
               a.application_year, t.synthetic, (SELECT count(*) FROM ev) AS total
        FROM top t LEFT JOIN (SELECT * FROM application_facts WHERE eval_id IN (SELECT eval_id FROM top)) a
            USING (eval_id)
        ORDER BY t.eval_year DESC, t.score DESC, t.eval_id
    )
    SELECT * FROM final""",
        params | {"limit": limit, "not_recorded": NOT_RECORDED},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total
