"""Filter states a benchmark cycles through: each a sidebar selection plus an evaluation for the detail page."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from perfeval_dash.domain.scope import ALL, Scope
from perfeval_dash.domain.vocab import EVAL_TYPES, GRADES
from perfeval_dash.queries import options
from perfeval_dash.queries.filters import EVALUATION_COLUMNS, Filters


@dataclass(frozen=True)
class State:
    """One filter change: the sidebar filters and the evaluation the detail page shows."""

    filters: Filters
    eval_id: str

    def label(self) -> str:
        f = self.filters
        parts = [*f.regions, *map(str, f.years), *(f"预算{y}" for y in f.budget_years), *f.depts, *f.types, *f.grades]
        return "+".join(parts) or "全部"


def make_states(con: duckdb.DuckDBPyConnection, count: int, offset: int = 0, scope: Scope = ALL) -> list[State]:
    """`count` distinct states (no two alike for one offset), deterministic for a snapshot.

    The first state of offset 0 selects everything (the heaviest query); the others mix what leaders click:
    one department, one year, department + year, one region, a grade, a type, region + year, a budget year.
    With a scope, the states choose among what that reader is offered (and evaluations within it).
    """
    regions, years = options.regions(con, scope), options.years(con, scope)
    depts = options.departments(con, [], scope)
    where, params = scope.where("e", EVALUATION_COLUMNS)
    ids = [
        r[0]
        for r in con.sql(
            f"SELECT eval_id FROM evaluations e WHERE {where} ORDER BY hash(eval_id), eval_id LIMIT 512",
            params=params or None,
        ).fetchall()
    ]
    if not ids or not depts:
        return [State(Filters(), "") for _ in range(count)]
    kinds = ("all", "dept", "year", "dept_year", "region", "grade", "type", "region_year", "budget_year", "dept2")
    out: list[State] = []
    seen: set[Filters] = set()
    i = offset * 7
    while len(out) < count and i < offset * 7 + 50 * count:
        k = kinds[i % len(kinds)]
        j = i // len(kinds)
        d, y, r = depts[(j * 5 + i) % len(depts)], years[(j + i) % len(years)], regions[(j * 3 + i) % len(regions)]
        f = {
            "all": Filters(),
            "dept": Filters(depts=(d,)),
            "year": Filters(years=(y,)),
            "dept_year": Filters(depts=(d,), years=(y,)),
            "region": Filters(regions=(r,)),
            "grade": Filters(grades=(GRADES[::-1][j % 3],)),
            "type": Filters(types=(EVAL_TYPES[::-1][j % 3],)),
            "region_year": Filters(regions=(r,), years=(y,)),
            "budget_year": Filters(budget_years=(y - 1,)),
            "dept2": Filters(depts=tuple(sorted({d, depts[(j * 7 + 3) % len(depts)]}))),
        }[k]
        i += 1
        if f in seen:
            continue
        seen.add(f)
        out.append(State(f, ids[(len(out) + offset * 31) % len(ids)]))
    while len(out) < count:  # tiny snapshots: repeat
        out.append(out[len(out) % max(1, len(seen))])
    return out
