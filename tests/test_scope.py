"""The reader's scope is applied where data is read: every query function, option list and whole-table export."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

import perfeval_dash.queries as queries_pkg
from perfeval_dash.domain.rules import application_rule
from perfeval_dash.domain.scope import ALL, Scope
from perfeval_dash.domain.vocab import RULE_VERDICTS
from perfeval_dash.queries import coverage, detail, options, overview, problems
from perfeval_dash.queries.filters import BATCH_COLUMNS, Filters
from perfeval_dash.store import Store, connect

ROOT = Path(__file__).resolve().parent.parent
REGION, DEPT = "模拟示例县（演示）", "教育局"  # 教育局 also exists in 模拟示例区（演示）: the scope must not leak it
SCOPE = Scope(regions=(REGION,), departments=(DEPT,))


@pytest.fixture(scope="module")
def snap():
    return Store(ROOT / "data").open()


@pytest.fixture(scope="module")
def con(snap):
    return connect(snap)


def parquet(snap, table: str) -> str:
    return f"read_parquet('{snap.table_path(table)}')"


@pytest.fixture(scope="module")
def outside(snap) -> dict[str, set[str]]:
    """Identifiers a reader scoped to 教育局 of 模拟示例县 must never see, computed straight from the Parquet files."""
    ev = duckdb.sql(f"SELECT eval_id, region, department FROM {parquet(snap, 'evaluations')}").pl()
    mine = ev.filter((pl.col("region") == REGION) & (pl.col("department") == DEPT))
    pr = duckdb.sql(f"SELECT problem_id, eval_id FROM {parquet(snap, 'problems')}").pl()
    assert mine.height > 5 and ev.filter(pl.col("department") == DEPT).height > mine.height
    return {
        "eval_ids": set(ev["eval_id"]) - set(mine["eval_id"]),
        "problem_ids": set(
            pr.filter(~pl.col("eval_id").is_in(mine["eval_id"].implode()) | pl.col("eval_id").is_null())["problem_id"]
        ),
        "departments": set(ev["department"]) - {DEPT},
        "regions": set(ev["region"]) - {REGION},
        "mine": set(mine["eval_id"]),
    }


def strings(value) -> set[str]:
    """Every text value inside a query result (frames, dicts, lists, tuples)."""
    if isinstance(value, pl.DataFrame):
        return {v for c, t in value.schema.items() if t == pl.String for v in value[c].drop_nulls().to_list()}
    if isinstance(value, dict):
        return set().union(*(strings(v) for v in value.values())) if value else set()
    if isinstance(value, (list, tuple)):
        return set().union(*(strings(v) for v in value)) if value else set()
    return {value} if isinstance(value, str) else set()


def query_functions():
    """Every public function of every module in perfeval_dash.queries that takes a connection."""
    for info in pkgutil.iter_modules(queries_pkg.__path__):
        module = importlib.import_module(f"perfeval_dash.queries.{info.name}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                params = inspect.signature(fn).parameters
                if "con" in params:
                    yield f"{info.name}.{name}", fn


def arguments(fn, con, snap, scope: Scope, eval_id: str, problem_ids=()) -> list:
    """Arguments by parameter name; a new query with a parameter not known here fails the test until added."""
    known = {
        "snapshot_key": f"leak-test-{eval_id}",  # options.once: the option list of the scope, through the memo
        "fn": options.regions,
        "con": con,
        "f": Filters(scope=scope),
        "scope": scope,
        "as_of": snap.as_of,
        "threshold": 0.2,
        "eval_id": eval_id,
        "regions": [],
        "by": "department",
        "region": REGION,
        "eval_year": 2024,
        "ev": detail.evaluation(con, eval_id, scope),  # the detail queries take what `evaluation` returned
        "rule": application_rule(),
        "problem_ids": sorted(problem_ids),
        "verdicts": RULE_VERDICTS,
        "since": "00000000T000000-000000",  # every event of the snapshot counts as a change since then
    }
    out = []
    for name, p in inspect.signature(fn).parameters.items():
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            out.append(scope)  # options.once(key, con, options.regions, scope)
        elif name in known:
            out.append(known[name])
        elif p.default is inspect.Parameter.empty:
            raise AssertionError(f"tests/test_scope.py: give {fn.__qualname__}'s parameter {name!r} a value")
        else:
            break
    return out


def test_no_query_shows_anything_outside_the_scope(con, snap, outside):
    """Every query function, asked with a department scope (and for another department's evaluation), leaks nothing."""
    forbidden_eval = sorted(outside["eval_ids"])[0]
    checked = []
    for name, fn in query_functions():
        for eval_id in (forbidden_eval, sorted(outside["mine"])[0]):
            args = arguments(fn, con, snap, SCOPE, eval_id, outside["problem_ids"])
            if "ev" in inspect.signature(fn).parameters and eval_id == forbidden_eval:
                assert args[1] is None  # `evaluation` refused it, so nothing keyed by it can be asked
                with pytest.raises(TypeError):
                    fn(con, {"eval_id": eval_id}, *args[2:])  # a hand-made row is refused too
                continue
            result = fn(*args)
            seen = strings(result)
            for kind in ("eval_ids", "problem_ids", "departments", "regions"):
                leaked = seen & outside[kind]
                assert not leaked, f"{name} shows {kind} outside the scope: {sorted(leaked)[:5]}"
        checked.append(name)
    assert {
        "overview.headline",
        "overview.batches",
        "problems.overdue",
        "problems.batch_level",
        "scores.ranked",
    } <= set(checked)
    assert {"detail.evaluation", "detail.problems", "options.departments", "options.regions"} <= set(checked)


def test_scope_counts_equal_a_hand_written_query_over_the_department(con, snap):
    f = Filters(scope=SCOPE)
    hand = duckdb.sql(
        f"""SELECT count(*) n, sum(coalesce(evaluated_wan, budget_wan)) amount, avg(score) score
            FROM {parquet(snap, "evaluations")} WHERE region = $r AND department = $d""",
        params={"r": REGION, "d": DEPT},
    ).fetchall()[0]
    head = overview.headline(con, f)
    assert head["evaluations"] == hand[0] and head["departments"] == 1
    assert head["amount_wan"] == pytest.approx(hand[1]) and head["avg_score"] == pytest.approx(hand[2])
    totals = problems.totals(con, f, snap.as_of)
    hand_problems = duckdb.sql(
        f"""SELECT count(*) FROM {parquet(snap, "problems")} p JOIN {parquet(snap, "evaluations")} e USING (eval_id)
            WHERE e.region = $r AND e.department = $d""",
        params={"r": REGION, "d": DEPT},
    ).fetchall()[0][0]
    assert totals["problems"] == hand_problems and totals["batch_level"] == 0
    rows = coverage.by_department(con, f, 0.2)
    assert set(rows["department"]) == {DEPT} and set(rows["region"]) == {REGION}


def test_filters_narrow_within_the_scope_and_never_widen_it(con):
    """A sidebar (or URL) choice outside the scope selects nothing; inside it, it narrows."""
    other = Filters(depts=("卫生健康委员会",), scope=SCOPE)
    assert overview.headline(con, other)["evaluations"] == 0
    other_region = Filters(regions=("模拟示例区（演示）",), scope=SCOPE)
    assert overview.headline(con, other_region)["evaluations"] == 0
    whole = overview.headline(con, Filters(scope=SCOPE))["evaluations"]
    year = overview.headline(con, Filters(years=(2024,), scope=SCOPE))["evaluations"]
    assert 0 < year < whole


def test_a_department_scope_hides_whole_batch_figures(con, snap, outside):
    """Batch totals and batch-level problems are a whole region-year's: hidden from a department scope only."""
    f = Filters(scope=SCOPE)
    assert overview.batches(con, f).height == 0 and problems.batch_level(con, f, snap.as_of).height == 0
    assert detail.batch(con, detail.evaluation(con, sorted(outside["mine"])[0], SCOPE)) is None
    assert detail.batch(con, detail.evaluation(con, sorted(outside["mine"])[0], ALL)) is not None
    region_only = Scope(regions=(REGION,))
    assert overview.batches(con, Filters(scope=region_only)).height > 0
    assert set(problems.batch_level(con, Filters(scope=region_only), snap.as_of)["region"]) == {REGION}
    assert problems.totals(con, Filters(scope=region_only), snap.as_of)["batch_level"] > 0


def test_the_scope_condition_is_bound_never_formatted():
    evil = "教育局'; DROP TABLE evaluations; --"
    sql, params = Filters(scope=Scope(departments=(evil,))).where("e")
    assert evil not in sql and params["s_departments"] == [evil]
    assert Scope(departments=("教育局",)).where("b", BATCH_COLUMNS) == ("FALSE", {})
    assert ALL.where("b", BATCH_COLUMNS) == ("TRUE", {})


def test_option_lists_name_only_what_is_in_scope(con):
    assert options.regions(con, SCOPE) == [REGION]
    assert options.departments(con, [], SCOPE) == [DEPT]
    assert options.departments(con, ["模拟示例区（演示）"], SCOPE) == []
    assert set(options.years(con, SCOPE)) < set(options.years(con, ALL))
    assert len(options.regions(con, ALL)) > 1


def test_restricting_whole_tables_keeps_rows_in_scope_and_empties_unknown_tables(snap):
    tables = snap.read_tables() | {"something_new": pl.DataFrame({"x": [1, 2]})}
    out = SCOPE.restrict(tables)
    ev = out["evaluations"]
    assert ev.height > 0 and set(ev["region"]) == {REGION} and set(ev["department"]) == {DEPT}
    assert set(out["problems"]["eval_id"].to_list()) <= set(ev["eval_id"])  # no batch-level problem (eval_id NULL)
    assert set(out["dimension_scores"]["eval_id"]) <= set(ev["eval_id"])
    assert set(out["dept_budgets"]["department"]) <= {DEPT} and out["batches"].height == 0
    assert out["something_new"].height == 0, "a table the rule does not know is never passed through"
    assert ALL.restrict(tables)["evaluations"].height == tables["evaluations"].height


def test_describe_says_what_the_totals_count():
    assert Filters(scope=SCOPE).describe() == f"查看范围：{REGION} · {DEPT}　筛选：范围内全部数据（未筛选）"
    assert Filters(years=(2024,)).describe() == "筛选：评价年度 2024年"


def test_another_departments_evaluation_reads_as_unknown_and_keys_nothing(con, snap, outside):
    """Dimensions and problems are read only through the row `evaluation` returned within the scope."""
    other, mine = (
        duckdb.sql(
            f"""SELECT e.eval_id FROM {parquet(snap, "evaluations")} e
                WHERE e.eval_id IN (SELECT eval_id FROM {parquet(snap, "dimension_scores")})
                  AND e.eval_id IN (SELECT eval_id FROM {parquet(snap, "problems")})
                  AND (e.region = $r AND e.department = $d) = $mine
                ORDER BY e.eval_id LIMIT 1""",
            params={"r": REGION, "d": DEPT, "mine": flag},
        ).fetchall()[0][0]
        for flag in (False, True)
    )
    assert other in outside["eval_ids"] and mine in outside["mine"]
    assert detail.evaluation(con, other, SCOPE) is None and detail.evaluation(con, other, ALL) is not None
    for query, extra in ((detail.dimensions, ()), (detail.problems, (snap.as_of,)), (detail.batch, ())):
        with pytest.raises(TypeError, match="detail.evaluation"):
            query(con, {"eval_id": other, "region": REGION, "eval_year": 2024}, *extra)
    ev = detail.evaluation(con, mine, SCOPE)
    assert ev["eval_id"] == mine and ev.scope == SCOPE
    assert detail.dimensions(con, ev).height > 0 and detail.problems(con, ev, snap.as_of).height > 0
