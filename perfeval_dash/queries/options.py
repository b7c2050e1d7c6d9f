"""Values offered by the sidebar filters (what exists in the snapshot, within the reader's scope).

Unlimited scopes read the small tables derived once per snapshot; a limited scope reads the same values from
the evaluation cube and the budgets within it, so an option list never names what the reader may not see.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import duckdb

from perfeval_dash.domain.scope import Scope
from perfeval_dash.queries import fetch

OWNED = frozenset({"region", "department"})  # the option tables' columns a scope limits
_ONCE: dict[tuple, tuple] = {}
_ONCE_LOCK = threading.Lock()
_ONCE_MAX = 4096


def once(snapshot_key: str, con: duckdb.DuckDBPyConnection, fn: Callable, *args) -> list:
    """`fn(con, *args)`, computed once per snapshot folder and arguments (scope included) in this process.

    A published snapshot never changes, so neither do its option lists; the frame asks for them on every run.
    """
    key = (snapshot_key, fn.__name__, *(tuple(a) if isinstance(a, list) else a for a in args))
    with _ONCE_LOCK:
        hit = _ONCE.get(key)
    if hit is None:
        hit = tuple(fn(con, *args))
        with _ONCE_LOCK:
            if len(_ONCE) >= _ONCE_MAX:
                _ONCE.clear()
            _ONCE[key] = hit
    return list(hit)


def regions(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[str]:
    """Regions in scope, real ones first, then by name."""
    where, params = scope.where("d", OWNED)
    df = fetch(
        con,
        f"""
        SELECT region, synthetic FROM snapshot_regions
        WHERE {"TRUE" if scope.is_all else f"region IN (SELECT region FROM region_departments d WHERE {where})"}
        ORDER BY synthetic, region""",
        params,
    )
    return list(dict.fromkeys(df["region"].to_list()))


def years(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[int]:
    """Evaluation years present in scope, newest first."""
    if scope.is_all:
        return _years(con, "eval")
    where, params = scope.where("e", OWNED)
    df = fetch(con, f"SELECT DISTINCT eval_year AS y FROM eval_cube e WHERE {where} ORDER BY y DESC", params)
    return [int(y) for y in df["y"].to_list()]


def budget_years(con: duckdb.DuckDBPyConnection, scope: Scope) -> list[int]:
    """Budget years present in scope (of evaluations and department budgets), newest first."""
    if scope.is_all:
        return _years(con, "budget")
    cube, params = scope.where("e", OWNED)
    budgets, _ = scope.where("b", OWNED)
    df = fetch(
        con,
        f"""
        SELECT budget_year AS y FROM eval_cube e WHERE {cube} AND budget_year IS NOT NULL
        UNION SELECT budget_year FROM dept_budgets b WHERE {budgets}
        ORDER BY y DESC""",
        params,
    )
    return [int(y) for y in df["y"].to_list()]


def _years(con: duckdb.DuckDBPyConnection, kind: str) -> list[int]:
    df = fetch(con, "SELECT y FROM snapshot_years WHERE kind = $kind ORDER BY y DESC", {"kind": kind})
    return [int(y) for y in df["y"].to_list()]


def departments(con: duckdb.DuckDBPyConnection, regions: list[str], scope: Scope) -> list[str]:
    """Departments in scope (with evaluations or budgets) in the chosen regions (all regions when none chosen)."""
    where, params = scope.where("d", OWNED)
    df = fetch(
        con,
        f"""
        SELECT DISTINCT department FROM region_departments d
        WHERE (len($regions) = 0 OR region = ANY($regions)) AND {where}
        ORDER BY department""",
        params | {"regions": regions},
    )
    return df["department"].to_list()
