"""Query results on the hand-countable fixture snapshot and on the real seed records."""

from __future__ import annotations

import pytest

from perfeval_dash.domain.scope import ALL
from perfeval_dash.queries import coverage, detail, options, overview, problems, scores
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Store, bundled, connect

from fixtures import AS_OF


@pytest.fixture
def con(store):
    return connect(store.open())


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A snapshot of the real seed records only."""
    s = Store(tmp_path_factory.mktemp("real") / "data")
    snap = s.publish(bundled.real_tables(), as_of=bundled.BUNDLED_AS_OF, made_from=["seed"])
    return connect(snap)


def test_headline_uses_budget_when_no_evaluated_amount(con):
    h = overview.headline(con, Filters())
    assert h["evaluations"] == 5 and h["amount_wan"] == pytest.approx(870)
    assert h["amount_from_budget"] == 2 and h["grades"] == {"优": 2, "良": 2, "中": 0, "差": 1}
    assert h["avg_score"] == pytest.approx((95 + 85.5 + 59.99 + 79.99 + 90) / 5)


def test_grade_distribution_keeps_empty_grades(con):
    df = overview.grade_distribution(con, Filters())
    assert df["grade"].to_list() == ["优", "良", "中", "差"] and df["evaluations"].to_list() == [2, 2, 0, 1]


def test_trend_by_year(con):
    df = overview.trend(con, Filters(depts=("教育局",)))
    assert df["eval_year"].to_list() == [2023, 2024] and df["evaluations"].to_list() == [2, 1]


@pytest.mark.parametrize(
    "filters, n",
    [
        (Filters(years=(2024,)), 2),
        (Filters(types=("部门整体",)), 1),
        (Filters(grades=("良", "差")), 3),
        (Filters(regions=("别的县",)), 0),
        (Filters(depts=("教育局", "民政局"), years=(2023,)), 3),
    ],
)
def test_filters_narrow_headline(con, filters, n):
    assert overview.headline(con, filters)["evaluations"] == n


def test_histogram_is_aggregated_and_last_bin_holds_100(con):
    df = scores.histogram(con, Filters())
    assert df["evaluations"].sum() == 5 and df.height <= 5
    assert 59.0 in df["bin_start"].to_list()


def test_ranked_flags(con):
    df, total = scores.ranked(con, Filters())
    assert total == 5 and df["eval_id"].to_list()[0] == "t-2023-01"
    row = df.filter(df["eval_id"] == "t-2024-01").row(0, named=True)
    assert row["computed_grade"] == "中" and row["grade"] == "良" and row["near_edge"]
    assert not df.filter(df["eval_id"] == "t-2023-02")["near_edge"][0]


def test_spread_and_dimensions(con):
    by_type = scores.spread(con, Filters(), "eval_type")
    assert dict(zip(by_type["grp"], by_type["evaluations"])) == {"项目": 4, "部门整体": 1}
    dims = scores.dimension_rates(con, Filters())
    assert dict(zip(dims["dimension"], dims["rate"])) == pytest.approx(
        {"部门决策": 14 / 15, "部门管理": 20 / 25, "部门绩效": 56 / 60}
    )
    with pytest.raises(KeyError):
        scores.spread(con, Filters(), "score; drop table x")


def test_coverage_rule_per_department_year(con):
    df = coverage.by_department(con, Filters(), 0.2)
    got = {
        (r["department"], r["budget_year"]): (r["status"], r["ratio"], r["gap_wan"]) for r in df.iter_rows(named=True)
    }
    assert got[("教育局", 2022)] == ("达标", pytest.approx(140 / 500), 0.0)
    assert got[("民政局", 2022)] == ("未达标", pytest.approx(0.1), pytest.approx(30))
    assert got[("教育局", 2023)] == ("未知", None, None)
    assert got[("财政局", 2023)] == ("达标", 1.0, 0.0)
    assert set(coverage.by_department(con, Filters(), 0.05)["status"]) == {"达标", "未知"}


def test_coverage_reads_both_years_each_in_its_own_meaning(con):
    """预算年度 selects the budget year counted; 评价年度 the evaluations, and with them the budget years they cover."""
    by_budget = coverage.by_department(con, Filters(budget_years=(2022,)), 0.2)
    assert sorted(zip(by_budget["department"], by_budget["budget_year"])) == [("教育局", 2022), ("民政局", 2022)]
    by_eval = coverage.by_department(con, Filters(years=(2024,)), 0.2)  # evaluated in 2024: budget year 2023
    assert sorted(zip(by_eval["department"], by_eval["status"])) == [("教育局", "未知"), ("财政局", "达标")]
    assert coverage.by_department(con, Filters(years=(2024,), budget_years=(2022,)), 0.2).height == 2  # budgets only


def test_coverage_counts_budget_without_evaluations_as_zero(store):
    import polars as pl

    from fixtures import fixture_tables

    tables = fixture_tables()
    tables["dept_budgets"] = pl.concat(
        [tables["dept_budgets"], tables["dept_budgets"].head(1).with_columns(department=pl.lit("水利局"))]
    )
    snap = store.publish(tables, as_of=AS_OF, made_from=["x"])
    df = coverage.by_department(connect(snap), Filters(), 0.2)
    row = df.filter(df["department"] == "水利局").row(0, named=True)
    assert row["status"] == "未达标" and row["ratio"] == 0 and row["gap_wan"] == pytest.approx(100)


def test_coverage_region_totals(con):
    totals = coverage.summarize(coverage.by_department(con, Filters(), 0.2))
    y2022 = totals.filter(totals["budget_year"] == 2022).row(0, named=True)
    assert (y2022["passed"], y2022["failed"], y2022["unknown"]) == (1, 1, 0)
    assert y2022["ratio"] == pytest.approx(170 / 800) and y2022["gap_wan"] == pytest.approx(30)


def test_problem_totals_and_batch_level_rule(con):
    t = problems.totals(con, Filters(), AS_OF)
    assert (t["problems"], t["tracked"], t["done"], t["open"], t["overdue"], t["batch_level"]) == (4, 3, 1, 2, 1, 1)
    assert t["rate"] == pytest.approx(1 / 3)
    narrowed = problems.totals(con, Filters(depts=("教育局",)), AS_OF)
    assert narrowed["problems"] == 2 and narrowed["batch_level"] == 0


def test_overdue_days_relative_to_as_of(con):
    df, total = problems.overdue(con, Filters(), AS_OF)
    assert (
        total == 1 and df.row(0, named=True)["days_overdue"] == (AS_OF - __import__("datetime").date(2025, 3, 31)).days
    )


def test_problem_breakdowns(con):
    cats = problems.by_category(con, Filters(), AS_OF)
    assert dict(zip(cats["category"], cats["status"]))["项目与工程管理"] == "无整改记录"
    depts = problems.by_department(con, Filters(), AS_OF)
    edu = depts.filter(depts["department"] == "教育局").row(0, named=True)
    assert (edu["tracked"], edu["done"], edu["rate"], edu["overdue"]) == (2, 1, 0.5, 1)
    assert problems.batch_level(con, Filters(), AS_OF)["problem_id"].to_list() == ["p4"]


def test_detail_queries(con):
    ev = detail.evaluation(con, "t-2023-01", ALL)
    assert ev["amount_from_budget"] and ev["amount_wan"] == 100 and ev["execution_rate"] == 1.0
    assert detail.evaluation(con, "nope", ALL) is None
    assert detail.dimensions(con, detail.evaluation(con, "t-2024-02", ALL))["score"].sum() == 90
    assert detail.problems(con, detail.evaluation(con, "t-2023-02", ALL), AS_OF)["overdue"].to_list() == [True]
    assert detail.batch(con, detail.evaluation(con, "t-2024-01", ALL))["batch_problems"] == 1


def test_options(con):
    assert options.regions(con, ALL) == ["测试县"]
    assert options.years(con, ALL) == [2024, 2023]
    assert options.budget_years(con, ALL) == [2023, 2022]
    assert options.departments(con, ["别处"], ALL) == []


# ---- the real records, through the same queries the pages use ----------------------------------------


def test_published_totals_only_for_whole_batches(con, store):
    """A batch's published total counts only when all its evaluations are in view; a 预算年度 filter may take part."""
    import polars as pl

    from fixtures import fixture_tables

    whole = overview.published_amount(con, Filters(budget_years=(2022,)))  # the whole 2023 batch (budget 2022)
    assert whole["batch_totals_apply"] and whole["headline_wan"] == pytest.approx(180)
    assert not overview.published_amount(con, Filters(depts=("教育局",)))["batch_totals_apply"]
    tables = fixture_tables()  # one 2023 evaluation spends 2023 money: its batch is now of two budget years
    ev = tables["evaluations"]
    tables["evaluations"] = ev.with_columns(
        budget_year=pl.when(ev["eval_id"] == "t-2023-03").then(2023).otherwise(ev["budget_year"])
    )
    part = overview.published_amount(
        connect(store.publish(tables, as_of=AS_OF, made_from=["x"])), Filters(budget_years=(2022,))
    )
    assert part["partial_batches"] == 1 and not part["batch_totals_apply"]
    assert part["headline_wan"] == pytest.approx(140)  # 100 (budget fallback) + 40, not the batch's 180


def test_real_records_headline(real):
    xg = overview.headline(real, Filters(regions=("洛阳市西工区",)))
    assert xg["evaluations"] == 6 and xg["grades"]["优"] == 6 and xg["any_real"] and not xg["any_synthetic"]
    tk = overview.headline(real, Filters(regions=("特克斯县",)))
    assert tk["evaluations"] == 5 and tk["amount_wan"] == pytest.approx(8780.09)
    assert tk["avg_score"] == pytest.approx((97.17 + 94.8 + 96.07 + 93.61 + 92.49) / 5)


def test_real_batches_keep_published_totals(real):
    b = overview.batches(real, Filters())
    got = {r["region"]: (r["evaluated_total_wan"], r["evaluations"]) for r in b.iter_rows(named=True)}
    assert got == {"洛阳市西工区": (2525.95, 6), "特克斯县": (8780.09, 5)}


def test_real_coverage_is_unknown_except_whole_department(real):
    df = coverage.by_department(real, Filters(regions=("特克斯县",)), 0.2)
    status = dict(zip(df["department"], df["status"]))
    assert status.pop("特克斯县人力资源和社会保障局") == "达标"  # 部门整体 → 100%
    assert set(status.values()) == {"未知"} and len(status) == 4  # no budget totals published: never 0%


def test_real_problems_have_no_invented_follow_up(real):
    t = problems.totals(real, Filters(), bundled.BUNDLED_AS_OF)
    assert t["problems"] == 16 and t["tracked"] == 0 and t["rate"] is None and t["overdue"] == 0
    assert problems.batch_level(real, Filters(regions=("特克斯县",)), bundled.BUNDLED_AS_OF).height == 7


def test_real_detail_of_every_seed_evaluation(real):
    ids = real.execute("select eval_id from evaluations order by eval_id").fetchall()
    assert len(ids) == 11
    for (eval_id,) in ids:
        ev = detail.evaluation(real, eval_id, ALL)
        assert ev["grade"] == "优" and ev["computed_grade"] == "优" and ev["grade_published"]
    assert detail.dimensions(real, detail.evaluation(real, "tekes-2024-05", ALL))["score"].sum() == pytest.approx(92.49)


def test_problem_queries_refuse_another_as_of_date(con):
    """Overdue flags are derived for the snapshot's as-of date; asking about another date is an error."""
    import datetime as dt

    with pytest.raises(ValueError, match="as-of"):
        problems.totals(con, Filters(), dt.date(2030, 1, 1))
