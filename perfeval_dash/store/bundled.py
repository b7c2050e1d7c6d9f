"""The bundled default snapshot: every real seed record plus a small, labelled synthetic demo set."""

from __future__ import annotations

import datetime as dt

import polars as pl

from perfeval_dash import settings
from perfeval_dash.store import Snapshot, Store, schema

BUNDLED_AS_OF = settings.DEMO_AS_OF.value
DEMO_SEED = settings.DEMO_SEED.value
DEMO_EVALUATIONS = settings.DEMO_EVALUATIONS.value


def real_tables() -> dict[str, pl.DataFrame]:
    """The two seed reports' records (synthetic = false)."""
    from perfeval_dash.store.seed import seed_tables

    return seed_tables()


def combine(*parts: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Tables concatenated part by part, in contract column order."""
    return {name: pl.concat([schema.conform(name, p[name]) for p in parts]) for name in schema.TABLES}


def bundled_tables() -> dict[str, pl.DataFrame]:
    """Real records followed by the deterministic demo set."""
    from perfeval_dash.store import demo

    return combine(real_tables(), demo.generate(seed=DEMO_SEED, n_evaluations=DEMO_EVALUATIONS, as_of=BUNDLED_AS_OF))


def history_as_ofs() -> list[dt.date]:
    """As-of dates of the earlier states published before the bundled snapshot (3 and 6 months before), latest first."""
    end = pl.Series([BUNDLED_AS_OF]).dt
    return [end.offset_by(f"-{m}mo").dt.month_end().item() for m in (3, 6)]


def publish_bundled(store: Store) -> Snapshot:
    """Publish two earlier states of the demo rows, then the bundled tables as the new current snapshot.

    The earlier states (demo.earlier_states) let the store record follow-up history: the bundled snapshot carries
    events (problems found, closed, reopened, deadlines moved) for the synthetic rows; real records never change.
    """
    from perfeval_dash.store import demo

    tables = bundled_tables()
    dates = history_as_ofs()
    for i, (as_of, earlier) in enumerate(reversed(list(zip(dates, demo.earlier_states(tables, dates, DEMO_SEED))))):
        store.publish(
            earlier,
            as_of=as_of,
            made_from=[f"演示数据生成器 seed={DEMO_SEED}（模拟数据，{as_of.isoformat()} 的整改进展）"],
            note="内置快照的较早状态：模拟数据的整改进展（真实记录不变）",
            start_history=i == 0,  # the bundle starts its own history, whatever was current before
        )
    return store.publish(
        bundled_tables(),
        as_of=BUNDLED_AS_OF,
        made_from=[
            "西工区2023年重大政策和重点项目执行效果说明",
            "特克斯县2024年度重点项目绩效评价工作总结报告",
            f"演示数据生成器（随机种子 {DEMO_SEED}，模拟数据）",
        ],
        note="内置默认快照：两份公开报告的真实记录 + 模拟演示数据",
    )
