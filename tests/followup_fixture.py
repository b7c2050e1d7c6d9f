"""Three hand-made snapshots of follow-up progress on the shared fixture, every figure countable by hand.

Snapshot A (as of 2025-06-30): the fixture as it is (tests/fixtures.py), with the 2023 report published on
2023-07-01 (the 2024 report's date unknown). p1 已整改 (due 2024-06-30, closed 2024-05-01), p2 整改中 (due
2025-03-31), p3 未整改 (due 2025-12-31), p4 a batch problem without follow-up.
Snapshot B (as of 2026-01-31): p3 整改中 and its deadline moved to 2026-06-30 (reason 资金未到位); p1 reopened
(整改中, closed date cleared).
Snapshot C (as of 2026-09-30): p3 已整改, closed 2026-08-15 (evidence 验收报告).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from perfeval_dash.store import Store

from fixtures import fixture_tables

D = dt.date
AS_OF_A, AS_OF_B, AS_OF_C = D(2025, 6, 30), D(2026, 1, 31), D(2026, 9, 30)
REASON, EVIDENCE = "资金未到位", "验收报告"


def _set(tables: dict, problem_id: str, **values) -> dict:
    pr = tables["problems"].with_columns(
        pl.when(pl.col("problem_id") == problem_id).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )
    return tables | {"problems": pr}


def state_a() -> dict:
    t = fixture_tables()
    published = pl.when(pl.col("eval_year") == 2023).then(pl.lit(D(2023, 7, 1)))
    return t | {"batches": t["batches"].with_columns(published_date=published)}


def state_b() -> dict:
    t = _set(state_a(), "p3", status="整改中", due_date=D(2026, 6, 30))
    t = _set(t, "p1", status="整改中")
    return t | {
        "problems": t["problems"].with_columns(
            pl.when(pl.col("problem_id") == "p1").then(None).otherwise(pl.col("closed_date")).alias("closed_date")
        )
    }


def state_c() -> dict:
    return _set(state_b(), "p3", status="已整改", closed_date=D(2026, 8, 15))


def publish_three(store: Store, actor: str | None = "李四") -> tuple[str, str, str]:
    """Publish A, B and C into an empty store (B by `actor` with the deadline's reason, C with the evidence)."""
    a = store.publish(state_a(), as_of=AS_OF_A, made_from=["A.xlsx"]).id
    b = store.publish(
        state_b(), as_of=AS_OF_B, made_from=["B.xlsx"], actor=actor, event_notes={("p3", "期限调整"): REASON}
    ).id
    c = store.publish(state_c(), as_of=AS_OF_C, made_from=["C.xlsx"], event_notes={("p3", "状态变化"): EVIDENCE}).id
    return a, b, c
