"""Follow-up history: the changes of each problem between the snapshot current at publish and the new one.

Pure functions of two problem tables (no files): `Store.publish` calls `record` while it holds the publish lock,
against the snapshot that is current at that moment, so neither the order of imports nor two publishes in one
second can make history skip or repeat a change. Re-publishing unchanged problems records nothing.

- An event is one change of one problem: found (new in this snapshot), its status, deadline, closed date or
  responsible unit changed (old → new), or removed. It carries the snapshot id, the as-of date it took effect
  by, the source (import file or action), who published it (None = 未记录) and an optional note (a deadline's
  reason, a note on the evidence); and the problem's evaluation, region and year, so that a removed problem's
  events still say where they belong.
- The original deadline (first seen) is carried from the previous snapshot and kept only where it differs from
  the current deadline (NULL = never moved), so unchanged data publishes exactly as given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from perfeval_dash.domain.vocab import (
    CLOSED_DATE_CHANGED,
    DEADLINE_CHANGED,
    EVENT_KINDS,
    FOUND,
    REMOVED,
    STATUS_CHANGED,
    UNIT_CHANGED,
)
from perfeval_dash.store import schema

EVENTS = "problem_events"
# problem column -> event kind, in the order events of one problem are listed
FIELDS = (
    ("status", STATUS_CHANGED),
    ("due_date", DEADLINE_CHANGED),
    ("closed_date", CLOSED_DATE_CHANGED),
    ("responsible_unit", UNIT_CHANGED),
)
CONTEXT = ("eval_id", "region", "eval_year", "synthetic")
COLUMNS = ("problem_id", *(c for c, _ in FIELDS), "original_due_date", *CONTEXT)  # what history reads of problems
_SEEN = "__seen"


@dataclass(frozen=True)
class Publication:
    """Who and what a publish records events for: the new snapshot's id and as-of date, its source and actor."""

    snapshot_id: str
    as_of: dt.date
    source: str = ""
    actor: str | None = None
    notes: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (problem_id, kind) -> note


def _text(column: str) -> pl.Expr:
    """A value as event text: dates as YYYY-MM-DD, words as they are, NULL stays NULL."""
    return pl.col(column).cast(pl.String)


def _differs(column: str) -> pl.Expr:
    old = pl.col(f"{column}__old")
    return pl.col(column).ne_missing(old)


def _events_frame(df: pl.DataFrame, kind: str, old: pl.Expr, new: pl.Expr, context_suffix: str = "") -> pl.DataFrame:
    return df.select(
        "problem_id",
        pl.lit(kind).alias("kind"),
        old.cast(pl.String).alias("old_value"),
        new.cast(pl.String).alias("new_value"),
        *(pl.col(f"{c}{context_suffix}").alias(c) for c in CONTEXT),
    )


def changes(previous: pl.DataFrame | None, new: pl.DataFrame) -> pl.DataFrame:
    """problem_id, kind, old_value, new_value and context of every change from `previous` to `new` problems.

    None as `previous` (nothing published yet) is no change at all: the first snapshot is the starting point.
    """
    empty = pl.DataFrame(
        schema={
            "problem_id": pl.String,
            "kind": pl.String,
            "old_value": pl.String,
            "new_value": pl.String,
            **{c: schema.PROBLEMS.column(c).dtype for c in CONTEXT},
        }
    )
    if previous is None:
        return empty
    old = _select(previous).with_columns(pl.lit(True).alias(_SEEN))
    both = _select(new).join(old, on="problem_id", how="left", suffix="__old", maintain_order="left")
    seen = pl.col(_SEEN)
    parts = [_events_frame(both.filter(seen.is_null()), FOUND, pl.lit(None), pl.col("status"))]
    known = both.filter(seen.is_not_null())
    for column, kind in FIELDS:
        parts.append(_events_frame(known.filter(_differs(column)), kind, pl.col(f"{column}__old"), pl.col(column)))
    gone = old.join(new.select("problem_id"), on="problem_id", how="anti", maintain_order="left")
    parts.append(_events_frame(gone, REMOVED, pl.col("status"), pl.lit(None)))
    order = {k: i for i, k in enumerate(EVENT_KINDS)}
    out = pl.concat([empty, *parts], how="vertical_relaxed")
    return out.sort(
        pl.col("problem_id"), pl.col("kind").replace_strict(order, return_dtype=pl.Int8), maintain_order=True
    )


def _select(problems: pl.DataFrame) -> pl.DataFrame:
    """The columns history compares (a column an older snapshot lacks reads as null)."""
    return schema.conform("problems", problems).select(COLUMNS)


def events(previous: pl.DataFrame | None, new: pl.DataFrame, pub: Publication) -> pl.DataFrame:
    """The new rows of problem_events (contract form) for one publish."""
    ch = changes(previous, new)
    notes = pl.DataFrame(
        [{"problem_id": p, "kind": k, "note": n} for (p, k), n in pub.notes.items() if n],
        schema={"problem_id": pl.String, "kind": pl.String, "note": pl.String},
    )
    out = ch.join(notes, on=["problem_id", "kind"], how="left", maintain_order="left").with_columns(
        pl.lit(pub.snapshot_id).alias("snapshot_id"),
        pl.lit(pub.as_of, dtype=pl.Date).alias("effective_date"),
        pl.lit(pub.source or None, dtype=pl.String).alias("source"),
        pl.lit(pub.actor or None, dtype=pl.String).alias("actor"),
    )
    return schema.conform(EVENTS, out)


def original_deadlines(previous: pl.DataFrame | None, new: pl.DataFrame) -> pl.Series:
    """original_due_date of the `new` problems: first seen (carried from `previous`), NULL where equal to due_date."""
    if previous is None:
        return pl.Series("original_due_date", [None] * new.height, dtype=pl.Date)
    old = _select(previous).select("problem_id", "due_date", "original_due_date")
    j = new.select("problem_id", "due_date").join(
        old, on="problem_id", how="left", suffix="__old", maintain_order="left"
    )
    first = pl.coalesce("original_due_date", "due_date__old", "due_date")
    return j.select(
        pl.when(first.eq_missing(pl.col("due_date"))).then(None).otherwise(first).alias("original_due_date")
    ).to_series()


def record(
    previous: dict[str, pl.DataFrame] | None, tables: dict[str, pl.DataFrame], pub: Publication
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The tables to publish (problems with their original deadlines, problem_events = previous + new) and the new
    events alone. `previous` holds the current snapshot's problems and problem_events (None: nothing published)."""
    old_problems = None if previous is None else previous["problems"]
    problems = schema.conform("problems", tables["problems"])
    problems = problems.with_columns(original_deadlines(old_problems, problems))
    new_events = events(old_problems, problems, pub)
    carried = schema.empty_table(EVENTS) if previous is None else schema.conform(EVENTS, previous[EVENTS])
    return tables | {"problems": problems, EVENTS: pl.concat([carried, new_events])}, new_events
