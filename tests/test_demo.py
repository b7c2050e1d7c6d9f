"""The synthetic demo generator: deterministic, labelled as simulated, valid, and varied enough to demo every rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from perfeval_dash import settings
from perfeval_dash.domain import vocab
from perfeval_dash.domain.categories import CATEGORIES, classify_expr
from perfeval_dash.domain.rules import grade_expr
from perfeval_dash.store import demo, schema

DEFAULT_COVERAGE_THRESHOLD = settings.COVERAGE_THRESHOLD.value

AS_OF = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return demo.generate()


def test_same_seed_same_frames_other_seed_differs():
    a, b = demo.generate(seed=3, n_evaluations=150), demo.generate(seed=3, n_evaluations=150)
    c = demo.generate(seed=4, n_evaluations=150)
    assert all(a[name].equals(b[name]) for name in schema.TABLES)
    assert not a["evaluations"].equals(c["evaluations"])


def test_returns_all_tables_in_contract_shape(tables):
    assert set(tables) == set(schema.TABLES)
    for name, df in tables.items():
        assert df.columns == schema.TABLES[name].column_names
        assert df.height > 0


def test_validates_without_errors(tables):
    assert schema.errors(schema.validate(tables)) == []


def test_every_row_synthetic_with_source(tables):
    labelled = [name for name, t in schema.TABLES.items() if "synthetic" in t.column_names]
    assert len(labelled) == 4  # dimension_scores inherits it from its evaluation
    for name in labelled:
        assert tables[name]["synthetic"].all()
        assert (tables[name]["source"] == "演示数据生成器 seed=7").all()


def test_region_names_say_simulated(tables):
    regions = tables["evaluations"]["region"].unique().to_list()
    assert len(regions) == 2
    assert all("模拟" in r and "演示" in r for r in regions)
    for name in ("dept_budgets", "batches", "problems"):
        assert set(tables[name]["region"].unique().to_list()) <= set(regions)


def test_default_n_regions_scales():
    assert demo.default_n_regions(300) == 2
    assert demo.default_n_regions(100_000) == 10
    assert demo.default_n_regions(10_000_000) == 120
    t = demo.generate(n_evaluations=400, n_regions=5)
    assert t["evaluations"]["region"].n_unique() == 5
    assert schema.errors(schema.validate(t)) == []


def test_all_grades_eval_types_and_edge_scores(tables):
    ev = tables["evaluations"]
    assert set(ev["grade"].unique().to_list()) == set(vocab.GRADES)
    assert set(ev["eval_type"].unique().to_list()) == set(vocab.EVAL_TYPES)
    assert set(demo.EDGE_SCORES) <= set(ev["score"].to_list())
    years = sorted(ev["eval_year"].unique().to_list())
    assert len(years) >= 4 and years[-1] == 2026


def test_grade_disagreements_are_few_and_published(tables):
    ev = tables["evaluations"]
    mismatch = ev.filter(grade_expr(pl.col("score")) != pl.col("grade"))
    assert 1 <= mismatch.height <= 0.03 * ev.height
    assert mismatch["grade_published"].all()


def test_amounts(tables):
    ev = tables["evaluations"]
    assert ev["budget_wan"].min() >= 20
    executed = ev.filter(pl.col("executed_wan").is_not_null())
    assert (executed["executed_wan"] <= executed["budget_wan"]).mean() > 0.9
    assert 0.5 < ev["evaluated_wan"].is_not_null().mean() < 0.9


def test_dimension_scores_sum_to_score_within_weight(tables):
    ev, dims = tables["evaluations"], tables["dimension_scores"]
    assert (dims["score"] <= dims["weight"]).all()
    sums = dims.group_by("eval_id").agg(pl.col("score").sum().alias("dim_sum"), pl.col("weight").sum().alias("w"))
    joined = ev.select("eval_id", "score").join(sums, on="eval_id", how="left")
    assert joined["dim_sum"].null_count() == 0
    assert ((joined["dim_sum"] - joined["score"]).abs() < 0.005).all()
    assert (joined["w"] == 100).all()


def _coverage(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    ev = tables["evaluations"].with_columns(amount=pl.coalesce("evaluated_wan", "budget_wan"))
    keys = ["region", "budget_year", "department"]
    per = ev.group_by(keys).agg(pl.col("amount").sum(), whole=(pl.col("eval_type") == "部门整体").any())
    per = per.join(tables["dept_budgets"].select(*keys, "project_budget_wan"), on=keys, how="left")
    return per.with_columns(ratio=pl.when("whole").then(1.0).otherwise(pl.col("amount") / pl.col("project_budget_wan")))


def test_coverage_has_pass_fail_and_unknown(tables):
    cov = _coverage(tables)
    known = cov.filter(pl.col("ratio").is_not_null())
    below = (known["ratio"] < DEFAULT_COVERAGE_THRESHOLD).sum()
    assert below >= 0.1 * known.height
    assert (known["ratio"] >= DEFAULT_COVERAGE_THRESHOLD).sum() > below
    assert cov["ratio"].null_count() >= 2  # department-years with evaluations but no budget total


def test_batches_match_evaluations(tables):
    ev, bt = tables["evaluations"], tables["batches"]
    assert ev.select("region", "eval_year").unique().height == bt.height
    assert bt["title"].str.contains("模拟").all()


def test_problems_ids_and_batch_level(tables):
    pr = tables["problems"]
    per_eval = pr.filter(pl.col("eval_id").is_not_null())
    assert per_eval["problem_id"].str.contains(r"^demo-\d+-\d{4}-\d+-P\d+$").all()
    batch_level = pr.filter(pl.col("eval_id").is_null())
    assert batch_level.height >= tables["batches"].height
    assert batch_level["problem_id"].str.contains(r"^demo-\d+-\d{4}-B\d+$").all()
    assert set(pr["category"].unique().to_list()) <= set(CATEGORIES)
    assert pr["category"].n_unique() >= 6
    assert not pr["description"].str.contains("{x}", literal=True).any()


def test_problem_categories_agree_with_classifier(tables):
    pr = tables["problems"].with_columns(classified=classify_expr(pl.col("description")))
    assert pr.filter(pl.col("classified") != pl.col("category")).height == 0


def test_closed_date_set_exactly_for_done_statuses(tables):
    pr = tables["problems"]
    done = pr["status"].is_in(list(vocab.DONE_STATUSES)).fill_null(False)
    assert (pr["closed_date"].is_not_null() == done).all()
    closed = pr.filter(pl.col("closed_date").is_not_null())
    assert (closed["closed_date"] <= AS_OF).all()
    assert closed.filter(pl.col("closed_date") < pl.date(pl.col("eval_year"), 1, 1)).height == 0


def test_some_problems_overdue(tables):
    pr = tables["problems"].filter(pl.col("status").is_not_null())
    overdue = pr.filter(~pl.col("status").is_in(list(vocab.DONE_STATUSES)) & (pl.col("due_date") < AS_OF))
    assert 0.05 * pr.height <= overdue.height <= 0.3 * pr.height
    assert set(pr["status"].unique().to_list()) == set(vocab.STATUSES)


def test_as_of_before_everything_means_nothing_done():
    t = demo.generate(n_evaluations=60, as_of=dt.date(2018, 6, 30))
    pr = t["problems"]
    assert pr["closed_date"].null_count() == pr.height
    assert set(pr["status"].drop_nulls().unique().to_list()) == {"未整改"}
