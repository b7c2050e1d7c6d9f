"""AppTest runs of every page on a grade-only list alone, and beside scored evaluations: right counts, and every
figure saying what it counts (n 项中 m 项公布了得分, evaluations without a budget year left out of coverage)."""

from __future__ import annotations

import fixtures_disclosures as notice
import polars as pl
import pytest
from test_disclosures import mixed_tables
from test_pages import PAGES, metric, plain, run_page, texts

from perfeval_dash.store import Store

from fixtures import AS_OF


def _publish(tmp_path, monkeypatch, tables) -> Store:
    store = Store(tmp_path / "data")
    store.publish(tables, as_of=AS_OF, made_from=["公告"])
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(store.root))
    return store


@pytest.fixture
def notice_only(tmp_path, monkeypatch) -> Store:
    """Only the nine grade-only evaluations of the city notice: no score, no budget year, a generated batch."""
    tables = notice.disclosure_tables()
    # one evaluation with its budget year assumed on import (评价年度−1), to show on the detail page
    tables["evaluations"] = tables["evaluations"].with_columns(
        budget_year=pl.when(pl.col("eval_id") == "notice-2022-09").then(2021).otherwise(None).cast(pl.Int32),
        budget_year_assumed=pl.col("eval_id") == "notice-2022-09",
    )
    return _publish(tmp_path, monkeypatch, tables)


@pytest.fixture
def mixed(tmp_path, monkeypatch) -> Store:
    return _publish(tmp_path, monkeypatch, mixed_tables())


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_a_grade_only_list_alone(notice_only, page):
    at = run_page(page, {"eval": "notice-2022-06"} if page == "pages/detail.py" else None)
    assert not at.exception, at.exception
    assert at.title


def test_overview_counts_every_evaluation_and_says_none_has_a_score(notice_only):
    at = run_page("pages/overview.py")
    assert metric(at, "评价项数") == "9项"
    assert metric(at, "逐项评价金额") == "17,815.56万元"  # no report total: the generated batch publishes none
    assert metric(at, "平均得分") == "未公布得分"  # never a score from a grade
    assert metric(at, "中、差等级") == "1项" and metric(at, "等级为优") == "0.0%"
    assert "9 项中 0 项公布了得分" in texts(at)
    grades = at.get("plotly_chart")[0].proto.spec
    assert '"y":[0,8,1,0]' in grades.replace(" ", "")  # the grade distribution counts all nine
    # only notice-2022-09 (budget year assumed) belongs to a department-year: no budget total, so unknown
    assert metric(at, "覆盖率未达标") == "未知" and metric(at, "覆盖率未知") == "1个"  # nothing known: not 0
    tile = next(m for m in at.metric if m.label == "覆盖率未知")
    assert "另有 8 项评价" in tile.proto.help and "未计入覆盖率" in tile.proto.help  # the same rule as /coverage
    batches = next(d.value for d in at.dataframe if "报告标题" in d.value.columns)
    assert list(batches["报告标题"]) == [notice.GENERATED_TITLE] and list(batches["预算年度"]) == ["未注明"]


def test_scores_page_lists_grade_only_evaluations_without_inventing_scores(notice_only):
    at = run_page("pages/scores.py")
    shown = texts(at)
    assert "9 项中 0 项公布了得分" in shown and "均只公布了等级" in shown
    assert not at.get("plotly_chart")  # no score distribution to draw
    table = at.dataframe[0].value
    assert len(table) == 9 and set(table["排名"]) == {"未公布得分"} and set(table["评价得分"]) == {"未公布得分"}
    assert list(table["评价等级"]) == ["良"] * 8 + ["中"]


def test_scores_page_says_how_many_of_the_evaluations_are_scored(mixed):
    at = run_page("pages/scores.py")
    assert "14 项中 4 项公布了得分" in texts(at)
    table = at.dataframe[0].value
    assert list(table["排名"])[:4] == ["1", "2", "3", "4"] and set(list(table["排名"])[4:]) == {"未公布得分"}
    assert table["距等级线1分内"][4:].isna().all()  # no score, no flag (the grid shows 未知)
    assert len(at.get("plotly_chart")) >= 3


def test_coverage_page_on_the_notice_alone(notice_only):
    at = run_page("pages/coverage.py")
    shown = texts(at)
    # notice-2022-09 has an (assumed) budget year: it is counted, the other eight are left out
    left_out = sum(notice.AMOUNTS[:8])
    assert f"另有 8 项评价（金额 {left_out / 10_000:,.2f}亿元）未注明预算年度，未计入覆盖率" in shown
    assert metric(at, "覆盖率未知") == "1个"  # 文化广电和旅游局 2021: no budget total on file


def test_coverage_page_with_a_budget_year_filter_says_they_are_out(mixed):
    at = run_page("pages/coverage.py")
    left_out = 40 + notice.TOTAL_WAN
    assert f"另有 10 项评价（金额 {left_out / 10_000:,.2f}亿元）未注明预算年度，未计入覆盖率" in texts(at)
    filtered = run_page("pages/coverage.py", {"byear": ["2022"]})
    assert "已按预算年度筛选：10 项评价" in texts(filtered) and "不在其中" in texts(filtered)


def test_detail_page_of_a_grade_only_evaluation(notice_only):
    at = run_page("pages/detail.py", {"eval": "notice-2022-06"})
    assert metric(at, "评价得分") == "未公布得分" and metric(at, "评价等级") == "中"
    assert not at.warning, "no grade/score disagreement without a score"
    shown = plain(texts(at))
    assert "预算年度**：未注明" in shown and notice.GENERATED_TITLE in shown and "导入时生成" in shown
    assumed = run_page("pages/detail.py", {"eval": "notice-2022-09"})
    assert "预算年度**：2021（按评价年度−1 推定）" in plain(texts(assumed))


def test_long_names_filter_and_show(notice_only):
    dept = "某某市某某县住房和城乡建设局（人民防空办公室）"
    at = run_page("pages/overview.py", {"region": [notice.REGION], "dept": [dept]})
    assert not at.exception and not at.warning
    assert metric(at, "评价项数") == "1项"
    assert notice.REGION in plain(texts(at))
