"""Values offered by the sidebar filters (what exists in the snapshot)."""

from __future__ import annotations

import duckdb

from perfeval_dash.queries import fetch


def regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Regions, real ones first, then by name."""
    df = fetch(con, """
        SELECT region, bool_or(synthetic) AS synthetic FROM evaluations GROUP BY region
        UNION
        SELECT region, bool_or(synthetic) FROM batches GROUP BY region
        ORDER BY synthetic, region""")
    return list(dict.fromkeys(df["region"].to_list()))


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Evaluation and budget years present, newest first."""
    df = fetch(con, """
        SELECT DISTINCT y FROM (
            SELECT eval_year AS y FROM evaluations UNION SELECT budget_year FROM evaluations
            UNION SELECT budget_year FROM dept_budgets)
        ORDER BY y DESC""")
    return [int(y) for y in df["y"].to_list()]


def departments(con: duckdb.DuckDBPyConnection, regions: list[str]) -> list[str]:
    """Departments (with evaluations or budgets) in the chosen regions (all regions when none chosen)."""
    df = fetch(con, """
        SELECT DISTINCT department FROM (
            SELECT region, department FROM evaluations UNION SELECT region, department FROM dept_budgets)
        WHERE len($regions) = 0 OR region = ANY($regions)
        ORDER BY department""", {"regions": regions})
    return df["department"].to_list()


def snapshot_has_synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """True when any row of the snapshot is synthetic."""
    return bool(fetch(con, "SELECT coalesce(bool_or(synthetic), FALSE) AS s FROM evaluations")["s"][0])
