"""What the floor's hand-written queries share: the snapshot's Parquet files, the filters' WHERE, status lists."""

from __future__ import annotations

import polars as pl

from perfeval_dash.domain.vocab import DONE_STATUSES, OPEN_STATUSES
from perfeval_dash.queries.filters import EVALUATION_COLUMNS, Filters
from perfeval_dash.store import Snapshot

OPEN = "(" + ", ".join(f"'{x}'" for x in OPEN_STATUSES) + ")"
DONE = "(" + ", ".join(f"'{x}'" for x in DONE_STATUSES) + ")"


def tables(snapshot: Snapshot) -> dict[str, str]:
    """`read_parquet('…')` expressions for the snapshot's five files (paths come from the store)."""
    return {
        n: "read_parquet('" + str(snapshot.table_path(n)).replace("'", "''") + "')" for n in snapshot.manifest["tables"]
    }


def _where(f: Filters, a: str, columns: frozenset[str] = EVALUATION_COLUMNS) -> tuple[str, dict]:
    """The filters as a condition on alias `a` (the app's own filter semantics; the queries below are the floor's)."""
    return f.where(a, columns)


def _q(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    return con.sql(sql, params=params or None).pl()


def _row(df: pl.DataFrame) -> dict | None:
    return df.row(0, named=True) if df.height else None


def _problems_from(t, f: Filters, need_eval: bool = False) -> tuple[str, dict]:
    """FROM clause over problems, joined to evaluations only when a filter or an output column needs it."""
    pw, pp = _where(f, "p", frozenset({"region", "eval_year"}))
    bw, bp = _where(f, "bt", frozenset({"budget_year"}))
    pp |= bp
    if f.budget_years:  # an evaluation's problem by its evaluation's budget year; a batch-level one by its batch's
        pw += f" AND (p.eval_id IS NOT NULL OR p.eval_id IS NULL AND {bw})"
        need_eval = True
    if not f.narrows_evaluations and not need_eval:
        return f"{t['problems']} p WHERE {pw}", pp
    ew, ep = _where(f, "e")
    batch = "FALSE" if f.narrows_evaluations else "TRUE"
    return (
        f"{t['problems']} p LEFT JOIN (SELECT eval_id, region, eval_year, budget_year, department, eval_type, grade "
        f"FROM {t['evaluations']}) e USING (eval_id) "
        f"LEFT JOIN (SELECT region, eval_year, budget_year FROM {t['batches']}) bt "
        f"ON bt.region = p.region AND bt.eval_year = p.eval_year "
        f"WHERE {pw} AND ((p.eval_id IS NOT NULL AND {ew}) OR (p.eval_id IS NULL AND {batch}))"
    ), pp | ep
