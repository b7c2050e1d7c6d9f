"""Values offered by the sidebar filters (what exists in the snapshot), from tables derived once per snapshot."""

from __future__ import annotations

import duckdb

from perfeval_dash.queries import fetch


def regions(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Regions, real ones first, then by name."""
    df = fetch(
        con,
        """
        SELECT region, synthetic FROM snapshot_regions ORDER BY synthetic, region""",
    )
    return list(dict.fromkeys(df["region"].to_list()))


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Evaluation years present, newest first."""
    return _years(con, "eval")


def budget_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Budget years present (of evaluations and department budgets), newest first."""
    return _years(con, "budget")


def _years(con: duckdb.DuckDBPyConnection, kind: str) -> list[int]:
    df = fetch(con, "SELECT y FROM snapshot_years WHERE kind = $kind ORDER BY y DESC", {"kind": kind})
    return [int(y) for y in df["y"].to_list()]


def departments(con: duckdb.DuckDBPyConnection, regions: list[str]) -> list[str]:
    """Departments (with evaluations or budgets) in the chosen regions (all regions when none chosen)."""
    df = fetch(
        con,
        """
        SELECT DISTINCT department FROM region_departments
        WHERE len($regions) = 0 OR region = ANY($regions)
        ORDER BY department""",
        {"regions": regions},
    )
    return df["department"].to_list()
