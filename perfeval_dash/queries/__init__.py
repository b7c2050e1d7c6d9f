"""Named queries: one function per result a page needs; values are always bound parameters.

Each module layers its SQL: a staging CTE from `staging` (filtered rows, derived columns), then named
CTEs, ending in `SELECT * FROM final`. Functions take a DuckDB connection from `store.connect`.
"""

from __future__ import annotations

import duckdb
import polars as pl


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> pl.DataFrame:
    """Run one query with bound parameters and return a polars frame."""
    return con.sql(sql, params=params or None).pl()
