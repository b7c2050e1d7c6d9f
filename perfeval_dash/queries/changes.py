"""Queries behind 本期变化: what changed for each problem between an earlier snapshot and the one in view.

The store records every change at publish (problem_events, carried into each new snapshot), so the snapshot in
view holds the history of its own line of snapshots. Between an earlier snapshot of that line and this one, each
problem's net change is read from its events after the earlier snapshot: found (absent then, present now),
removed, closed (open or untracked → done), reopened (done → open), deadline pushed back or brought forward,
responsible unit changed. A change made and undone in between is no change.
"""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import closed_sql, pulled_forward_sql, pushed_back_sql, reopened_sql
from perfeval_dash.domain.vocab import (
    CH_CLOSED,
    CH_FOUND,
    CH_PULLED,
    CH_PUSHED,
    CH_REMOVED,
    CH_REOPENED,
    CH_UNIT,
    CHANGE_KINDS,
    DEADLINE_CHANGED,
    FOUND,
    REMOVED,
    STATUS_CHANGED,
    UNIT_CHANGED,
)
from perfeval_dash.queries import fetch
from perfeval_dash.queries.filters import Filters
from perfeval_dash.queries.staging import events_where


def _net_cte(f: Filters) -> tuple[str, dict]:
    """`net`: one row per problem and net change since $since (CHANGE_KINDS), with old and new value."""
    where, params = events_where(f)
    field_kinds = f"('{STATUS_CHANGED}', '{DEADLINE_CHANGED}', '{UNIT_CHANGED}')"
    sql = f"""
    ev AS (
        SELECT * FROM event_facts x
        WHERE x.snap_ord > (SELECT coalesce(max(snap_ord), 0) FROM event_snapshots WHERE snapshot_id <= $since)
          AND x.snapshot_id > $since AND {where}
    ),
    ends AS (
        SELECT *, min(snapshot_id) OVER w AS first_snap, max(snapshot_id) OVER w AS last_snap
        FROM ev WINDOW w AS (PARTITION BY problem_id)
    ),
    presence AS (
        SELECT problem_id,
               NOT bool_or(kind = '{FOUND}' AND snapshot_id = first_snap) AS existed,
               NOT bool_or(kind = '{REMOVED}' AND snapshot_id = last_snap) AS present,
               arg_max_null(new_value, snapshot_id) FILTER (WHERE kind = '{FOUND}') AS found_status,
               arg_min_null(old_value, snapshot_id) FILTER (WHERE kind = '{REMOVED}') AS removed_status,
               max(snapshot_id) AS snapshot_id, arg_max(eval_id, snapshot_id) AS eval_id,
               arg_max(region, snapshot_id) AS region, arg_max(eval_year, snapshot_id) AS eval_year,
               arg_max(gid, snapshot_id) AS gid, bool_or(synthetic) AS synthetic
        FROM ends GROUP BY problem_id
    ),
    fields AS (
        SELECT problem_id, kind, arg_min_null(old_value, snapshot_id) AS old_value,
               arg_max_null(new_value, snapshot_id) AS new_value
        FROM ev WHERE kind IN {field_kinds} GROUP BY problem_id, kind
    ),
    changed AS (
        SELECT problem_id, '{CH_FOUND}' AS change, NULL AS old_value, found_status AS new_value
        FROM presence WHERE NOT existed AND present
        UNION ALL
        SELECT problem_id, '{CH_REMOVED}', removed_status, NULL FROM presence WHERE existed AND NOT present
        UNION ALL
        SELECT x.problem_id,
               CASE WHEN x.kind = '{STATUS_CHANGED}' AND {closed_sql("x.old_value", "x.new_value")} THEN '{CH_CLOSED}'
                    WHEN x.kind = '{STATUS_CHANGED}' AND {reopened_sql("x.old_value", "x.new_value")}
                        THEN '{CH_REOPENED}'
                    WHEN x.kind = '{DEADLINE_CHANGED}' AND {pushed_back_sql("x.old_value", "x.new_value")}
                        THEN '{CH_PUSHED}'
                    WHEN x.kind = '{DEADLINE_CHANGED}' AND {pulled_forward_sql("x.old_value", "x.new_value")}
                        THEN '{CH_PULLED}'
                    WHEN x.kind = '{UNIT_CHANGED}' AND x.old_value IS DISTINCT FROM x.new_value THEN '{CH_UNIT}'
               END,
               x.old_value, x.new_value
        FROM fields x JOIN presence p USING (problem_id) WHERE p.existed AND p.present
    ),
    net AS (
        SELECT c.problem_id, c.change, c.old_value, c.new_value, p.eval_id, p.region, p.eval_year, p.gid,
               p.snapshot_id, p.synthetic
        FROM changed c JOIN presence p USING (problem_id) WHERE c.change IS NOT NULL
    )"""
    return sql, params


def _order() -> str:
    return "(VALUES " + ", ".join(f"('{k}', {i})" for i, k in enumerate(CHANGE_KINDS)) + ") k(change, ord)"


def counts(con: duckdb.DuckDBPyConnection, f: Filters, since: str) -> pl.DataFrame:
    """Problems per net change since snapshot `since` (every kind of vocab.CHANGE_KINDS, zero where none)."""
    net, params = _net_cte(f)
    return fetch(
        con,
        f"""
    WITH {net},
    final AS (
        SELECT k.change, count(n.problem_id)::BIGINT AS problems, coalesce(bool_or(n.synthetic), FALSE) AS synthetic
        FROM {_order()} LEFT JOIN net n USING (change)
        GROUP BY k.change, k.ord ORDER BY k.ord
    )
    SELECT * FROM final""",
        params | {"since": since},
    )


def changes(
    con: duckdb.DuckDBPyConnection, f: Filters, since: str, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """The net changes since snapshot `since`, by kind then problem (top `limit`), and how many there are."""
    net, params = _net_cte(f)
    df = fetch(
        con,
        f"""
    WITH {net},
    top AS (
        SELECT n.*, k.ord FROM net n JOIN {_order()} USING (change) ORDER BY k.ord, n.problem_id LIMIT $limit
    ),
    final AS (
        SELECT t.change, t.problem_id, t.eval_id, t.region, t.eval_year, c.department, t.old_value, t.new_value,
               t.snapshot_id, t.eval_id IS NULL AS batch_level, t.synthetic, (SELECT count(*) FROM net) AS total
        FROM top t LEFT JOIN eval_cube c USING (gid)
        ORDER BY t.ord, t.problem_id
    )
    SELECT * FROM final""",
        params | {"since": since, "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total
