"""The domain rules in the form the app runs them: SQL fragments evaluated in DuckDB, on tiny tables."""

import datetime as dt

import duckdb
import polars as pl
import pytest

from perfeval_dash.domain import rules
from perfeval_dash.domain.vocab import BELOW, MET, UNKNOWN


def sql_value(expr: str, **params):
    """One SQL expression evaluated with bound parameters."""
    return duckdb.sql(f"SELECT {expr}", params=params or None).fetchall()[0][0]


@pytest.mark.parametrize(
    "score, grade",
    [
        (100, "优"),
        (90, "优"),
        (89.99, "良"),
        (89.5, "良"),
        (80, "良"),
        (79.99, "中"),
        (60, "中"),
        (59.99, "差"),
        (0, "差"),
        (None, None),
    ],
)
def test_grade_band_edges_in_python_polars_and_sql(score, grade):
    """财预〔2020〕10号: 优 ≥90, 良 80–<90, 中 60–<80, 差 <60 — the three forms come from one table."""
    assert rules.grade_for_score(score) == grade
    assert pl.select(rules.grade_expr(pl.lit(score, dtype=pl.Float64))).item() == grade
    assert sql_value(rules.grade_sql("$s::DOUBLE"), s=score) == grade


def test_band_edges_come_from_the_band_table():
    assert rules.BAND_EDGES == (60.0, 80.0, 90.0)
    assert duckdb.sql(f"SELECT grade FROM {rules.grade_values_sql()} ORDER BY ord").fetchall() == [
        ("优",),
        ("良",),
        ("中",),
        ("差",),
    ]


@pytest.mark.parametrize(
    "score, near",
    [(90.46, True), (91.0, True), (91.01, False), (79.0, True), (70, False), (59.0, True), (58.99, False)],
)
def test_near_band_edge(score, near):
    assert sql_value(rules.near_edge_sql("$s::DOUBLE"), s=score) is near


@pytest.mark.parametrize(
    "evaluated, budget, amount, from_budget",
    [
        (40.0, 50.0, 40.0, False),
        (None, 50.0, 50.0, True),
        (None, None, None, False),
        (30.0, None, 30.0, False),
    ],
)
def test_evaluated_amount_falls_back_to_budget(evaluated, budget, amount, from_budget):
    row = duckdb.sql(
        f"SELECT {rules.amount_sql('t')}, {rules.amount_from_budget_sql('t')} "
        "FROM (SELECT $e::DOUBLE AS evaluated_wan, $b::DOUBLE AS budget_wan) t",
        params={"e": evaluated, "b": budget},
    ).fetchall()[0]
    assert row == (amount, from_budget)


@pytest.mark.parametrize(
    "evaluated, budget, whole, missing, thr, ratio, verdict, gap",
    [
        (30, 300, False, 0, 0.2, 0.1, BELOW, 30.0),  # 10% < 20%: 30 万元 short
        (140, 500, False, 0, 0.2, 0.28, MET, 0.0),
        (100, 500, False, 0, 0.2, 0.2, MET, 0.0),  # exactly the threshold meets it
        (100, None, False, 0, 0.2, None, UNKNOWN, None),  # no budget total on file: unknown, never 0%
        (100, 0, False, 0, 0.2, None, UNKNOWN, None),
        (10, 10_000, True, 0, 0.2, 1.0, MET, 0.0),  # 部门整体 covers the department
        (30, 300, False, 0, 0.1, 0.1, MET, 0.0),  # the threshold is a setting
        (30, 300, False, 1, 0.2, 0.1, UNKNOWN, None),  # an evaluation without any amount: not judged on a 0
        (70, 300, False, 1, 0.2, 70 / 300, MET, 0.0),  # … unless the known amounts already reach the threshold
    ],
)
def test_coverage_rule(evaluated, budget, whole, missing, thr, ratio, verdict, gap):
    cols = ("$ev::DOUBLE", "$b::DOUBLE", "$w::BOOLEAN", "$m::INTEGER")
    row = duckdb.sql(
        f"SELECT {rules.coverage_ratio_sql(*cols[:3])}, {rules.coverage_verdict_sql(*cols)}, "
        f"{rules.coverage_gap_sql(*cols)}",
        params={"ev": evaluated, "b": budget, "w": whole, "m": missing, "thr": thr},
    ).fetchall()[0]
    assert (row[0] if row[0] is None else pytest.approx(row[0])) == ratio
    assert row[1] == verdict
    assert (row[2] if row[2] is None else pytest.approx(row[2])) == gap


@pytest.mark.parametrize(
    "status, due, overdue",
    [
        ("未整改", dt.date(2025, 6, 29), True),
        ("整改中", dt.date(2025, 6, 29), True),
        ("整改中", dt.date(2025, 6, 30), False),
        ("已整改", dt.date(2020, 1, 1), False),
        ("已销号", dt.date(2020, 1, 1), False),
        (None, dt.date(2020, 1, 1), False),
        ("未整改", None, False),
    ],
)
def test_overdue(status, due, overdue):
    """Overdue = followed up, not done, deadline strictly before the as-of date; no follow-up is never overdue."""
    expr = rules.overdue_sql(rules.open_sql("$st::VARCHAR"), "$due::DATE")
    assert sql_value(expr, st=status, due=due, as_of=dt.date(2025, 6, 30)) is overdue


@pytest.mark.parametrize(
    "status, done, code",
    [("未整改", False, 0), ("整改中", False, 1), ("已整改", True, 2), ("已销号", True, 3), (None, None, None)],
)
def test_status_codes_and_done(status, done, code):
    assert sql_value(rules.done_sql("$st::VARCHAR"), st=status) is done
    assert sql_value(rules.status_code_sql("$st::VARCHAR"), st=status) == code
    assert sql_value(rules.status_name_sql("$c::INTEGER"), c=code) == status
    if code is not None:
        assert (str(code) in rules.DONE_CODES.strip("()").split(", ")) is done


def test_rectification_rate():
    assert rules.rectification_rate(1, 4) == 0.25
    assert rules.rectification_rate(0, 0) is None
