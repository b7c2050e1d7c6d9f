"""Keyword rules for problem categories (perfeval_dash/categories.py)."""

from __future__ import annotations

import polars as pl
import pytest

from perfeval_dash.domain.categories import CATEGORIES, OTHER, RULES, classify, classify_expr, explain
from perfeval_dash.store import seed

CASES = [
    ("绩效目标设置不够细化", "绩效目标设置"),
    ("绩效指标不可衡量", "绩效目标设置"),
    ("预算调整率偏高", "预算编制与执行"),
    ("预算执行进度缓慢", "预算编制与执行"),
    ("部分项目存在预算申报资金比较大的问题", "预算编制与执行"),
    ("工程预付款早于合同签订", "资金管理"),
    ("未按合同约定履行支付进度", "资金管理"),
    ("未制定专项资金管理办法", "资金管理"),
    ("未进行专账核算", "资金管理"),
    ("主管部门对乡镇村资金使用情况未履行监督", "资金管理"),
    ("项目实施与立项批复不一致", "项目与工程管理"),
    ("档案资料不规范", "项目与工程管理"),
    ("未进行财务竣工决算", "项目与工程管理"),
    ("未按规定程序结转固定资产", "项目与工程管理"),
    ("水源保护不严", "资产与运维"),
    ("运行维护不到位", "资产与运维"),
    ("设备利用率低", "资产与运维"),
    ("系统功能开通不完善", "服务质量与效益"),
    ("数据集成困难", "服务质量与效益"),
    ("残疾儿童救助力度不足", "服务质量与效益"),
    ("受益对象覆盖面不足", "服务质量与效益"),
    ("会议纪要未存档", OTHER),
    ("", OTHER),
]


@pytest.mark.parametrize("text, category", CASES, ids=[c[0] or "empty" for c in CASES])
def test_classify(text, category):
    assert classify(text) == category


def test_none_is_other():
    assert classify(None) == OTHER
    assert explain(None) == (OTHER, None)


def test_every_category_covered_by_cases():
    assert {c for _, c in CASES} == set(CATEGORIES)


def test_rules_use_known_categories():
    assert [c for c, _ in RULES] == [c for c in CATEGORIES if c != OTHER]
    assert all(kws for _, kws in RULES)


SEED_EXPECTED = {
    "xigong-2023-01-P1": "资金管理",  # 工程预付款早于合同
    "xigong-2023-02-P1": "资金管理",  # 未按合同约定履行支付进度
    "xigong-2023-03-P1": "绩效目标设置",  # 绩效目标设置不够细化
    "xigong-2023-03-P2": "预算编制与执行",  # 预算调整率17.97%
    "xigong-2023-04-P1": "服务质量与效益",  # 系统功能开通不完善
    "xigong-2023-04-P2": "服务质量与效益",  # 数据集成困难
    "xigong-2023-05-P1": "服务质量与效益",  # 救助力度不足、康复服务质量
    "xigong-2023-06-P1": "资产与运维",  # 水源保护不严
    "xigong-2023-06-P2": "资产与运维",  # 运行维护不到位
    "tekes-2024-B01": "绩效目标设置",
    "tekes-2024-B02": "资金管理",  # 专项资金管理办法 / 专账 (also mentions 结转固定资产)
    "tekes-2024-B03": "资金管理",  # 资金使用未履行监督
    "tekes-2024-B04": "预算编制与执行",  # 预算申报资金比较大
    "tekes-2024-B05": "项目与工程管理",  # 实施与立项批复不一致
    "tekes-2024-B06": "项目与工程管理",  # 档案资料不规范
    "tekes-2024-B07": "项目与工程管理",  # 未进行财务竣工决算
}


@pytest.mark.parametrize("problem_id, category", SEED_EXPECTED.items(), ids=list(SEED_EXPECTED))
def test_seed_problem_category(problem_id, category):
    (p,) = [p for p in seed.PROBLEMS if p["problem_id"] == problem_id]
    assert classify(p["description"]) == category


def test_seed_table_categories_and_expr_agree():
    problems = seed.seed_tables()["problems"]
    assert dict(zip(problems["problem_id"], problems["category"])) == SEED_EXPECTED
    vec = problems.select(classify_expr(pl.col("description")).alias("c"))["c"].to_list()
    assert vec == problems["category"].to_list()


def test_expr_matches_classify_on_cases():
    df = pl.DataFrame({"t": [t for t, _ in CASES] + [None]}, schema={"t": pl.String})
    assert df.select(classify_expr(pl.col("t")).alias("c"))["c"].to_list() == [c for _, c in CASES] + [OTHER]
