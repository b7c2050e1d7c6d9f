"""Staging CTEs shared by the queries: the filters applied to the derived tables (derived.py)."""

from __future__ import annotations

from dataclasses import replace

from perfeval_dash.domain.rules import DONE_CODES, OPEN_CODES
from perfeval_dash.domain.scope import ALL
from perfeval_dash.queries.filters import BATCH_COLUMNS, Filters


def cube_cte(f: Filters) -> tuple[str, dict]:
    """`c`: rows of eval_cube matching the filters (each row: counts and sums of a group of evaluations)."""
    where, params = f.where("e")
    return (
        f"""
    c AS (SELECT * FROM eval_cube e WHERE {where})""",
        params,
    )


def facts_cte(f: Filters) -> tuple[str, dict]:
    """`ev`: one narrow row per evaluation matching the filters (score, amount, name) with its cube columns."""
    where, params = f.where("e")
    return (
        f"""
    c AS (SELECT gid, region, eval_year, budget_year, department, eval_type, grade, synthetic
          FROM eval_cube e WHERE {where}),
    ev AS (SELECT x.*, c.* EXCLUDE (gid) FROM eval_facts x JOIN c USING (gid))""",
        params,
    )


_PROBLEM_SOURCES = ("problem_cube", "overdue_facts")  # derived tables with one row per group / per problem


def groups_where(f: Filters, alias: str = "x") -> tuple[str, dict]:
    """SQL condition for a row of a derived problem table (columns bid, gid) whose problems are in view.

    Problems of evaluations the filters select, plus batch-level problems (gid NULL) of the selected batches
    (region, evaluation year, the batch's budget year) only when no filter narrows within a batch: they belong
    to a whole batch, not to one department, type or grade.
    Scope: a problem of an evaluation follows its evaluation's scope (the cube condition); a batch-level problem
    is a whole batch's (its batch condition), so a scope naming departments never shows one.
    """
    # the problem's own region and year; this only narrows, the two conditions below apply the scope
    batch_where, params = replace(f, scope=ALL).where("p", BATCH_COLUMNS - {"budget_year"})
    batch_full, batch_params = f.where("p", BATCH_COLUMNS)  # a batch-level problem's batch, with its budget year
    eval_where, eval_params = f.where("e")
    # a literal FALSE (not an empty semi-join) when no batch-level problem can be in view, so the plan drops it
    batch_ok = "FALSE" if f.narrows_evaluations or batch_full == "FALSE" else "TRUE"
    sql = f"""{_in(alias, "bid", "problem_batches p", batch_where)}
          AND ({_in(alias, "gid", "eval_cube e", eval_where)}
               OR ({alias}.gid IS NULL AND {batch_ok} AND {_in(alias, "bid", "problem_batches p", batch_full)}))"""
    return sql, params | batch_params | eval_params


def _in(alias: str, key: str, table: str, where: str) -> str:
    """SQL: `alias.key` is one of `table`'s rows matching `where`. Without a condition every row of a derived
    problem table matches (its bid and gid come from those tables), so no semi-join over millions of rows is
    planned: NOT NULL for gid (NULL is a batch-level problem, handled apart), TRUE for bid (never NULL)."""
    if where == "TRUE":
        return f"{alias}.{key} IS NOT NULL" if key == "gid" else "TRUE"
    return f"{alias}.{key} IN (SELECT {key} FROM {table} WHERE {where})"


def problems_cte(f: Filters, source: str = "problem_cube") -> tuple[str, dict]:
    """`pr`: rows of `problem_cube` (counts in `problems`) or `overdue_facts` for the problems in view (groups_where).

    Flags: tracked (has a follow-up), done, open (rules.DONE_CODES / OPEN_CODES).
    """
    assert source in _PROBLEM_SOURCES  # a table name chosen by code, never by users
    where, params = groups_where(f)
    sql = f"""
    pr AS (
        SELECT x.*, x.gid IS NULL AS batch_level,
               x.status_code IS NOT NULL AS tracked,
               coalesce(x.status_code IN {DONE_CODES}, FALSE) AS done,   -- vocab.DONE_STATUSES
               coalesce(x.status_code IN {OPEN_CODES}, FALSE) AS open    -- vocab.OPEN_STATUSES
        FROM {source} x
        WHERE {where}
    )"""
    return sql, params


def events_where(f: Filters, alias: str = "x") -> tuple[str, dict]:
    """SQL condition for a row of event_facts in view: the problem's region and year, then groups_where's rule.

    An event of a problem whose evaluation is no longer in the snapshot (gid NULL, eval_id set) counts like a
    batch-level one: only when no filter narrows within a batch, and never for a scope naming departments.
    """
    where, params = replace(f, scope=ALL).where(alias, BATCH_COLUMNS - {"budget_year"})
    scope_batch, scope_params = f.scope.where(alias, BATCH_COLUMNS - {"budget_year"})
    eval_where, eval_params = f.where("e")
    batch_ok = "FALSE" if f.narrows_evaluations or scope_batch == "FALSE" else scope_batch
    batch_year = f"{alias}.batch_budget_year = ANY($f_budget_years)" if f.budget_years else "TRUE"
    year_params = {"f_budget_years": [int(y) for y in f.budget_years]} if f.budget_years else {}
    sql = f"""{where}
          AND ({alias}.gid IN (SELECT gid FROM eval_cube e WHERE {eval_where})
               OR ({alias}.gid IS NULL AND {batch_ok} AND {batch_year}))"""
    return sql, params | scope_params | year_params | eval_params
