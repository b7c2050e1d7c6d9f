"""The seed records (perfeval_dash/seed.py) against the two published reports."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from perfeval_dash.store import seed
from perfeval_dash.store.schema import TABLES, errors, validate


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return seed.seed_tables()


def _evaluation(tables, eval_id: str) -> dict:
    rows = tables["evaluations"].filter(pl.col("eval_id") == eval_id).to_dicts()
    assert len(rows) == 1, eval_id
    return rows[0]


HONGSHAN = "红山街道办事处"
XG_HRSS = "洛阳市西工区人力资源和社会保障局"
KAIQIAO = "河南凯桥会计师事务所有限公司"
ZHENGYI = "河南正义评估咨询有限公司"

# eval_id, eval_type, department, unit, evaluator, budget_wan, executed_wan, score, grade
EXPECTED = [
    ("xigong-2023-01", "项目", HONGSHAN, HONGSHAN, KAIQIAO, 912.87, None, 90.97, "优"),
    ("xigong-2023-02", "项目", HONGSHAN, HONGSHAN, KAIQIAO, 760.0, None, 91.61, "优"),
    ("xigong-2023-03", "部门整体", XG_HRSS, XG_HRSS, KAIQIAO, 1470.93, 1294.61, 93.47, "优"),
    ("xigong-2023-04", "项目", "西工区应急管理局", "西工区应急管理局", ZHENGYI, 262.8, 258.7049, 97.12, "优"),
    ("xigong-2023-05", "项目", "西工区残疾人联合会", "西工区残疾人联合会", ZHENGYI, None, 110.6, 92.0, "优"),
    ("xigong-2023-06", "项目", HONGSHAN, HONGSHAN, ZHENGYI, 240.43, 238.72, 90.46, "优"),
    ("tekes-2024-01", "项目", "特克斯县民政局", "特克斯县民政局", None, 123.77, 123.77, 97.17, "优"),
    ("tekes-2024-02", "项目", "特克斯县残疾人联合会", "特克斯县残疾人联合会", None, 55.03, 55.03, 94.8, "优"),
    (
        "tekes-2024-03",
        "项目",
        "特克斯县发展和改革委员会",
        "特克斯县发展和改革委员会",
        None,
        251.99,
        251.99,
        96.07,
        "优",
    ),
    ("tekes-2024-04", "项目", "特克斯县教育局", "特克斯县教育局", None, 1000.0, 1000.0, 93.61, "优"),
    (
        "tekes-2024-05",
        "部门整体",
        "特克斯县人力资源和社会保障局",
        "特克斯县人力资源和社会保障局",
        None,
        7349.3,
        7349.3,
        92.49,
        "优",
    ),
]


@pytest.mark.parametrize(
    "eval_id, eval_type, department, unit, evaluator, budget, executed, score, grade",
    EXPECTED,
    ids=[e[0] for e in EXPECTED],
)
def test_evaluation_as_published(
    tables, eval_id, eval_type, department, unit, evaluator, budget, executed, score, grade
):
    row = _evaluation(tables, eval_id)
    assert row["eval_type"] == eval_type
    assert row["department"] == department
    assert row["unit"] == unit
    assert row["evaluator"] == evaluator
    assert row["score"] == score  # exact: transcribed, never computed
    assert row["grade"] == grade
    assert row["grade_published"] is True
    assert row["budget_wan"] == (None if budget is None else pytest.approx(budget))
    assert row["executed_wan"] == (None if executed is None else pytest.approx(executed))
    assert row["evaluated_wan"] is None  # neither report gives per-evaluation evaluated amounts
    assert row["amount_basis"]
    assert row["project_name"]


def test_evaluation_ids_and_batches(tables):
    ev = tables["evaluations"]
    assert ev["eval_id"].to_list() == [e[0] for e in EXPECTED]
    xg = ev.filter(pl.col("region") == "洛阳市西工区")
    tk = ev.filter(pl.col("region") == "特克斯县")
    assert xg.height == 6 and tk.height == 5
    assert set(xg["eval_year"]) == {2023} and set(xg["budget_year"]) == {2022}
    assert set(tk["eval_year"]) == {2024} and set(tk["budget_year"]) == {2024}
    assert set(xg["source"]) == {"西工区2023年重大政策和重点项目执行效果说明"}
    assert set(tk["source"]) == {"特克斯县2024年度重点项目绩效评价工作总结报告"}


def test_recommendations_per_evaluation(tables):
    ev = tables["evaluations"]
    assert ev.filter(pl.col("region") == "洛阳市西工区")["recommendations"].null_count() == 0
    assert ev.filter(pl.col("region") == "特克斯县")["recommendations"].null_count() == 5
    two_items = _evaluation(tables, "xigong-2023-02")["recommendations"].split("\n")
    assert [s[:2] for s in two_items] == ["1.", "2."]


def test_batch_totals_kept(tables):
    b = {r["region"]: r for r in tables["batches"].to_dicts()}
    assert b["洛阳市西工区"]["evaluated_total_wan"] == 2525.95
    assert b["特克斯县"]["evaluated_total_wan"] == 8780.09
    assert (b["洛阳市西工区"]["eval_year"], b["洛阳市西工区"]["budget_year"]) == (2023, 2022)
    assert (b["特克斯县"]["eval_year"], b["特克斯县"]["budget_year"]) == (2024, 2024)
    assert b["洛阳市西工区"]["recommendations"] is None
    assert b["特克斯县"]["recommendations"].count("\n") == 4  # 改进措施 (1)–(5)


def test_tekes_budgets_sum_to_published_total(tables):
    tk = tables["evaluations"].filter(pl.col("region") == "特克斯县")
    assert tk["budget_wan"].sum() == pytest.approx(8780.09)


def test_xigong_budgets_do_not_sum_to_published_total(tables):
    xg = tables["evaluations"].filter(pl.col("region") == "洛阳市西工区")
    total = xg["budget_wan"].sum()  # nulls skipped
    assert total != pytest.approx(2525.95)
    assert xg["budget_wan"].null_count() == 1  # 残联: no budget figure published


def test_dimension_scores_sum_to_score(tables):
    dims = tables["dimension_scores"]
    assert set(dims["eval_id"]) == {"tekes-2024-05"}
    assert dict(zip(dims["dimension"], zip(dims["weight"], dims["score"]))) == {
        "部门决策": (15.0, 14.0),
        "部门管理": (25.0, 22.0),
        "部门绩效": (60.0, 56.49),
    }
    assert dims["weight"].sum() == pytest.approx(100)
    assert dims["score"].sum() == pytest.approx(_evaluation(tables, "tekes-2024-05")["score"])


def test_nothing_synthetic(tables):
    for name, df in tables.items():
        if "synthetic" in df.columns:
            assert df["synthetic"].to_list() == [False] * df.height, name


def test_problem_counts(tables):
    p = tables["problems"]
    xg = p.filter(pl.col("region") == "洛阳市西工区")
    tk = p.filter(pl.col("region") == "特克斯县")
    assert xg.height == 9 and xg["eval_id"].null_count() == 0
    assert dict(xg.group_by("eval_id").len().iter_rows()) == {
        "xigong-2023-01": 1,
        "xigong-2023-02": 1,
        "xigong-2023-03": 2,
        "xigong-2023-04": 2,
        "xigong-2023-05": 1,
        "xigong-2023-06": 2,
    }
    assert tk.height == 7 and tk["eval_id"].null_count() == 7
    assert tk["problem_id"].to_list() == [f"tekes-2024-B0{i}" for i in range(1, 8)]
    assert set(xg["eval_year"]) == {2023} and set(tk["eval_year"]) == {2024}


def test_problems_carry_no_invented_follow_up(tables):
    p = tables["problems"]
    for c in ("recommendation", "responsible_unit", "due_date", "status", "closed_date"):
        assert p[c].null_count() == p.height, c


def test_dept_budgets_empty(tables):
    assert tables["dept_budgets"].height == 0


def test_contract(tables):
    assert set(tables) == set(TABLES)
    for name, df in tables.items():
        assert df.columns == TABLES[name].column_names, name
    assert errors(validate(tables)) == []


_SEEDS = Path(__file__).resolve().parents[1] / "docs" / "sources"  # the reports, kept verbatim


def test_texts_verbatim_in_reports():
    """Every problem and recommendation line occurs word for word in its report (typos included)."""
    reports = {
        "洛阳市西工区": (_SEEDS / "000_cbb8656fa6db5762.txt").read_text(encoding="utf-8"),
        "特克斯县": (_SEEDS / "003_bcb247f54b3c8bb0.txt").read_text(encoding="utf-8"),
    }
    for p in seed.PROBLEMS:
        assert p["description"] in reports[p["region"]], p["problem_id"]
    for rec in seed.EVALUATIONS + seed.BATCHES:
        for line in (rec["recommendations"] or "").split("\n"):
            assert not line or line in reports[rec["region"]], line[:20]
