"""The usual way's data access: pandas reads each Parquet file whole, cached with st.cache_data; shared helpers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import streamlit as st

from perfeval_dash.domain.vocab import DONE_STATUSES
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Snapshot

DONE = DONE_STATUSES


@st.cache_data(show_spinner=False)
def load(path: str) -> pd.DataFrame:
    """One table of the snapshot, whole, with dates as datetimes."""
    df = pd.read_parquet(path)
    for c in ("due_date", "closed_date", "original_due_date", "published_date", "effective_date"):
        if c in df.columns:
            df[c] = pd.to_datetime(df[c])
    return df


@st.cache_data(show_spinner=False)
def load_problems(problems_path: str, evaluations_path: str, batches_path: str) -> pd.DataFrame:
    """Problems with the columns of their evaluation (department, type, grade …) and their batch's budget year."""
    cols = ["eval_id", "region", "eval_year", "budget_year", "department", "project_name", "eval_type", "grade"]
    ev = load(evaluations_path)[cols].rename(columns={"budget_year": "budget_year_e"})
    p = load(problems_path).merge(ev, on="eval_id", how="left", suffixes=("", "_e"))
    batches = load(batches_path)[["region", "eval_year", "budget_year"]].rename(
        columns={"budget_year": "budget_year_b"}
    )
    return p.merge(batches, on=["region", "eval_year"], how="left")


class Data:
    """Lazy access to the snapshot's tables the usual way (every access goes through the cache)."""

    def __init__(self, snapshot: Snapshot):
        self.paths = {n: str(snapshot.table_path(n)) for n in snapshot.manifest["tables"]}

    def __getattr__(self, name: str) -> pd.DataFrame:
        if name == "problems":
            return load_problems(self.paths["problems"], self.paths["evaluations"], self.paths["batches"])
        return load(self.paths[name])


def clear() -> None:
    """Forget every cached table (a cold start of the usual way)."""
    load.clear()
    load_problems.clear()


def _pl(df: pd.DataFrame) -> pl.DataFrame:
    return pl.from_pandas(df.reset_index(drop=True))


def _num(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else x


def filter_evaluations(ev: pd.DataFrame, f: Filters, sfx: str = "") -> pd.Series:
    """Rows matching the filters; columns a frame lacks (a budget table has no eval_year) are not filtered."""
    m = pd.Series(True, index=ev.index)
    for col, values in (
        ("region", f.regions),
        ("eval_year", f.years),
        ("budget_year", f.budget_years),
        ("department", f.depts),
        ("eval_type", f.types),
        ("grade", f.grades),
    ):
        c = col + sfx if col in ("region", "eval_year", "budget_year") else col
        if values and c in ev.columns:
            m &= ev[c].isin(list(values))
    return m


def _amounts(e: pd.DataFrame) -> pd.DataFrame:
    return e.assign(
        amount_wan=e["evaluated_wan"].fillna(e["budget_wan"]),
        amount_from_budget=e["evaluated_wan"].isna() & e["budget_wan"].notna(),
    )


def problems_in_view(d: Data, f: Filters, as_of: dt.date) -> pd.DataFrame:
    p = d.problems
    m = filter_evaluations(p, Filters(regions=f.regions, years=f.years))
    if f.budget_years:  # batch-level problems: the batch's budget year
        m &= p["eval_id"].notna() | p["budget_year_b"].isin(list(f.budget_years))
    ev_ok = p["eval_id"].notna() & filter_evaluations(p, f, sfx="_e")
    p = p[m & (ev_ok | (p["eval_id"].isna() & (not f.narrows_evaluations)))]
    cutoff = pd.Timestamp(as_of)
    tracked = p["status"].notna()
    done = p["status"].isin(DONE)
    return p.assign(
        tracked=tracked,
        done=done,
        open=tracked & ~done,
        overdue=tracked & ~done & (p["due_date"] < cutoff),
        batch_level=p["eval_id"].isna(),
        days=(cutoff - p["due_date"]).dt.days,
    )
