import datetime as dt

import polars as pl
import pytest

from perfeval_dash.domain import rules as metrics


@pytest.mark.parametrize("score, grade", [
    (100, "优"), (90, "优"), (89.99, "良"), (80, "良"), (79.99, "中"), (60, "中"), (59.99, "差"), (0, "差"),
    (None, None),
])
def test_grade_band_edges(score, grade):
    assert metrics.grade_for_score(score) == grade
    assert pl.select(metrics.grade_expr(pl.lit(score, dtype=pl.Float64))).item() == grade


def test_grade_sql_matches_python():
    import duckdb
    scores = [100, 90, 89.99, 80, 79.99, 60, 59.99, 0]
    got = duckdb.sql(f"select {metrics.grade_sql('s')} from unnest($s) t(s)", params={"s": scores}).fetchall()
    assert [g for (g,) in got] == [metrics.grade_for_score(s) for s in scores]


@pytest.mark.parametrize("score, near", [(90.46, True), (91.0, True), (91.01, False), (79.0, True), (70, False)])
def test_near_band_edge(score, near):
    assert metrics.near_band_edge(score) is near


@pytest.mark.parametrize("evaluated, budget, expected", [
    (40.0, 50.0, (40.0, "评价金额")), (None, 50.0, (50.0, "预算金额")), (None, None, (None, "无金额")),
])
def test_evaluated_amount_falls_back_to_budget(evaluated, budget, expected):
    assert metrics.evaluated_amount(evaluated, budget) == expected


def test_coverage_rule():
    below = metrics.coverage(30, 300, whole_department=False)
    assert below.status == "未达标" and below.ratio == pytest.approx(0.1) and below.gap_wan == pytest.approx(30)
    met = metrics.coverage(140, 500, whole_department=False)
    assert met.status == "达标" and met.gap_wan == 0
    unknown = metrics.coverage(100, None, whole_department=False)
    assert unknown.status == "未知" and unknown.ratio is None and unknown.gap_wan is None
    whole = metrics.coverage(10, 10_000, whole_department=True)
    assert whole.status == "达标" and whole.ratio == 1.0
    assert metrics.coverage(30, 300, False, threshold=0.1).status == "达标"


@pytest.mark.parametrize("status, due, overdue", [
    ("未整改", dt.date(2025, 6, 29), True), ("整改中", dt.date(2025, 6, 29), True),
    ("整改中", dt.date(2025, 6, 30), False), ("已整改", dt.date(2020, 1, 1), False),
    ("已销号", dt.date(2020, 1, 1), False), (None, dt.date(2020, 1, 1), False), ("未整改", None, False),
])
def test_overdue(status, due, overdue):
    assert metrics.is_overdue(status, due, dt.date(2025, 6, 30)) is overdue


def test_rectification_rate():
    assert metrics.rectification_rate(1, 4) == 0.25
    assert metrics.rectification_rate(0, 0) is None
