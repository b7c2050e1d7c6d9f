"""A tiny hand-made snapshot shared by query, page and store tests; every figure is countable by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

from perfeval_dash.store import schema

AS_OF = dt.date(2025, 6, 30)
REGION = "测试县"


def _ev(eval_id, year, eval_type, dept, budget, evaluated, score, grade, published=True, synthetic=False):
    return {
        "eval_id": eval_id,
        "region": REGION,
        "eval_year": year,
        "budget_year": year - 1,
        "eval_type": eval_type,
        "project_name": f"{dept}{eval_id}项目",
        "department": dept,
        "unit": dept,
        "evaluator": None,
        "budget_wan": budget,
        "executed_wan": budget,
        "evaluated_wan": evaluated,
        "amount_basis": None,
        "score": score,
        "grade": grade,
        "grade_published": published,
        "recommendations": None,
        "source": "测试夹具",
        "synthetic": synthetic,
    }


def fixture_tables() -> dict[str, pl.DataFrame]:
    """Five evaluations in 测试县 (2023: 教育局 ×2, 民政局; 2024: 教育局, 财政局 部门整体)."""
    ev = [
        _ev("t-2023-01", 2023, "项目", "教育局", 100.0, None, 95.0, "优"),  # evaluated falls back to budget
        _ev("t-2023-02", 2023, "项目", "教育局", 50.0, 40.0, 85.5, "良"),
        _ev("t-2023-03", 2023, "项目", "民政局", 30.0, 30.0, 59.99, "差"),
        _ev("t-2024-01", 2024, "项目", "教育局", 200.0, 200.0, 79.99, "良"),  # published 良 disagrees (中)
        _ev("t-2024-02", 2024, "部门整体", "财政局", 500.0, None, 90.0, "优"),
    ]
    dims = [
        {"eval_id": "t-2024-02", "dimension": "部门决策", "weight": 15.0, "score": 14.0},
        {"eval_id": "t-2024-02", "dimension": "部门管理", "weight": 25.0, "score": 20.0},
        {"eval_id": "t-2024-02", "dimension": "部门绩效", "weight": 60.0, "score": 56.0},
    ]
    d = dt.date
    pr = [
        {
            "problem_id": "p1",
            "eval_id": "t-2023-01",
            "region": REGION,
            "eval_year": 2023,
            "category": "资金管理",
            "description": "未专账核算",
            "status": "已整改",
            "due_date": d(2024, 6, 30),
            "closed_date": d(2024, 5, 1),
        },
        {
            "problem_id": "p2",
            "eval_id": "t-2023-02",
            "region": REGION,
            "eval_year": 2023,
            "category": "绩效目标设置",
            "description": "绩效目标不细化",
            "status": "整改中",
            "due_date": d(2025, 3, 31),
            "closed_date": None,
        },
        {
            "problem_id": "p3",
            "eval_id": "t-2023-03",
            "region": REGION,
            "eval_year": 2023,
            "category": "资产与运维",
            "description": "运行维护不到位",
            "status": "未整改",
            "due_date": d(2025, 12, 31),
            "closed_date": None,
        },
        {
            "problem_id": "p4",
            "eval_id": None,
            "region": REGION,
            "eval_year": 2024,
            "category": "项目与工程管理",
            "description": "档案资料不规范",
            "status": None,
            "due_date": None,
            "closed_date": None,
        },
    ]
    for p in pr:
        p.update(recommendation=None, responsible_unit=None, source="测试夹具", synthetic=False)
    budgets = [
        {"region": REGION, "budget_year": 2022, "department": "教育局", "project_budget_wan": 500.0},  # 140/500 = 28%
        {"region": REGION, "budget_year": 2022, "department": "民政局", "project_budget_wan": 300.0},  # 30/300 = 10%
        # 教育局 2023 has no budget row: coverage unknown
    ]
    for b in budgets:
        b.update(source="测试夹具", synthetic=False)
    batches = [
        {
            "region": REGION,
            "eval_year": y,
            "budget_year": y - 1,
            "title": f"测试县{y}年评价",
            "evaluated_total_wan": t,
            "recommendations": None,
            "source": "测试夹具",
            "synthetic": False,
        }
        for y, t in ((2023, 180.0), (2024, 700.0))
    ]
    raw = {"evaluations": ev, "dimension_scores": dims, "problems": pr, "dept_budgets": budgets, "batches": batches}
    return {
        name: schema.conform(name, pl.DataFrame(rows, schema_overrides=schema.TABLES[name].polars_schema, strict=False))
        for name, rows in raw.items()
    }
