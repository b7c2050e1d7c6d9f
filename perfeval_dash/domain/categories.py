"""Problem categories (共性问题) and the keyword rules that assign them; edit the rules here only."""

from __future__ import annotations

import polars as pl

OTHER = "其他"

# name -> what it covers (DOMAIN.md, "Problem categories")
CATEGORIES: dict[str, str] = {
    "绩效目标设置": "绩效目标不细化、不可衡量，目标与自评衔接不畅",
    "预算编制与执行": "预算调整率高、执行慢、申报资金偏大",
    "资金管理": "先付款后签合同、未按合同进度支付、未专账核算、缺资金管理办法、监督不到位",
    "项目与工程管理": "实施与批复不一致、档案不规范、未做竣工决算、资产未入账",
    "资产与运维": "运行维护不到位、设备利用率低、水源保护",
    "服务质量与效益": "受益对象覆盖不足、功能缺失、数据集成困难、服务质量",
    OTHER: "以上规则均未命中",
}

# THE RULES. Checked top to bottom; a problem gets the category of the first rule with a keyword that occurs
# in its text (plain substring match). Order matters, the more specific rules come first:
# - 资金管理 before 项目与工程管理: payment problems also mention 工程/合同/竣工, and the 特克斯县 专账核算
#   problem also mentions 结转固定资产.
# - 项目与工程管理 before 资产与运维: "未结转固定资产" is a project-closing problem, not an asset-use one.
# - No bare "工程"/"管理"/"资金"/"目标": they occur in almost every problem text.
RULES: list[tuple[str, tuple[str, ...]]] = [
    ("绩效目标设置", ("绩效目标", "目标设置", "绩效指标")),
    ("预算编制与执行", ("预算调整", "调整率", "预算编制", "预算申报", "执行率", "执行进度", "执行缓慢", "结转结余")),
    ("资金管理", ("预付款", "支付", "付款", "专账", "专项资金", "资金管理办法", "资金使用", "资金监管", "挪用")),
    ("项目与工程管理", ("立项", "批复不一致", "审批程序", "档案", "竣工决算", "固定资产", "招标")),
    ("资产与运维", ("运行维护", "维护不", "管护", "水源", "利用率", "使用率", "闲置", "资产")),
    ("服务质量与效益", ("功能", "数据集成", "数据共享", "救助力度", "覆盖", "服务质量", "质量控制", "满意度", "受益")),
]


def _check_rules() -> None:
    unknown = [c for c, _ in RULES if c not in CATEGORIES or c == OTHER]
    if unknown:
        raise ValueError(f"规则中的类别不在 CATEGORIES 中：{unknown}")


_check_rules()


def explain(text: str | None) -> tuple[str, str | None]:
    """The category of a problem text and the keyword that decided it (None when no rule matched)."""
    if text:
        for category, keywords in RULES:
            for kw in keywords:
                if kw in text:
                    return category, kw
    return OTHER, None


def classify(text: str | None) -> str:
    """The category of a problem text: the first rule in RULES with a matching keyword, else 其他."""
    return explain(text)[0]


def classify_expr(text: pl.Expr) -> pl.Expr:
    """Polars expression giving the same category as classify() for a string column (alias it yourself)."""
    expr = None
    for category, keywords in RULES:
        cond = text.fill_null("").str.contains_any(list(keywords))
        expr = pl.when(cond).then(pl.lit(category)) if expr is None else expr.when(cond).then(pl.lit(category))
    if expr is None:
        return pl.lit(OTHER)
    return expr.otherwise(pl.lit(OTHER))
