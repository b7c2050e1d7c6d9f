"""Synthetic demo data: a deterministic, seedable, vectorised generator of all five contract tables."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import BAND_EDGES, GRADE_BANDS
from perfeval_dash.domain.vocab import (
    APPLICATIONS,
    EVAL_TYPES,
    EXCELLENT,
    FAIR,
    GOOD,
    GRADES,
    POOR,
    PROJECT,
    STATUSES,
    WHOLE_DEPARTMENT,
)
from perfeval_dash.store import schema

SOURCE_PREFIX = "演示数据生成器"
# scores on and just below each band edge (89.99, 90, 80, 79.99, 60, 59.99) always occur when n_evaluations >= 6
EDGE_SCORES = tuple(s for e in reversed(BAND_EDGES) for s in (round(e - 0.01, 2), e))
NEAR_EDGE_SCORES = EDGE_SCORES + tuple(round(e + d, 2) for e in reversed(BAND_EDGES) for d in (0.01, -0.5, 0.5))

# (department, popularity weight, implementing sub-unit or "", project themes, policy themes)
DEPARTMENTS: tuple[tuple[str, float, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "教育局",
        3.0,
        "实验小学",
        (
            "义务教育薄弱环节改善与能力提升",
            "学生营养改善计划",
            "学前教育发展资金",
            "中小学校舍维修改造",
            "乡村教师培训",
            "第一小学教学楼建设",
        ),
        ("学生资助",),
    ),
    (
        "卫生健康委员会",
        2.5,
        "人民医院",
        (
            "基本公共卫生服务",
            "医疗服务与保障能力提升",
            "基层医疗卫生机构设备购置",
            "妇幼健康服务",
            "疾病预防控制能力建设",
        ),
        ("计划生育家庭奖励扶助",),
    ),
    (
        "民政局",
        2.0,
        "社会福利中心",
        (
            "基层民政工作经办能力",
            "困难群众救助补助资金",
            "特困人员供养服务设施改造",
            "社区养老服务中心建设",
            "临时救助资金",
        ),
        ("城乡最低生活保障",),
    ),
    (
        "农业农村局",
        2.5,
        "农业技术推广中心",
        ("高标准农田建设", "农业技术推广", "动物防疫补助", "农村人居环境整治", "设施农业发展"),
        ("耕地地力保护补贴",),
    ),
    (
        "水利局",
        2.0,
        "水利工程管理站",
        ("农村安全饮水工程", "小型水库除险加固", "中小河流治理", "水土保持综合治理", "灌区节水改造"),
        ("农业水价综合改革",),
    ),
    (
        "交通运输局",
        2.0,
        "公路管理站",
        ("农村公路养护", "县乡道路安全生命防护工程", "客运站维修改造", "危桥加固改造"),
        ("农村客运补贴",),
    ),
    (
        "住房和城乡建设局",
        2.0,
        "市政工程服务中心",
        ("老旧小区改造", "城市污水管网建设", "农村危房改造", "市政道路维修", "保障性住房维修"),
        ("住房租赁补贴",),
    ),
    (
        "人力资源和社会保障局",
        1.5,
        "就业服务中心",
        ("就业补助资金", "职业技能培训", "公益性岗位补贴", "人才引进专项"),
        ("创业担保贷款贴息",),
    ),
    (
        "残疾人联合会",
        1.2,
        "残疾人康复中心",
        ("残疾人事业发展资金", "残疾儿童康复救助", "困难重度残疾人家庭无障碍改造", "残疾人辅助器具适配"),
        ("残疾人两项补贴",),
    ),
    (
        "应急管理局",
        1.2,
        "",
        ("应急指挥平台建设", "应急物资储备", "森林防灭火能力提升", "安全生产监管执法装备购置"),
        ("自然灾害救助",),
    ),
    (
        "发展和改革委员会",
        1.2,
        "粮食储备中心",
        ("地方储备及应急成品粮油费用补贴", "粮食仓储设施维修", "价格监测体系建设"),
        ("地方粮食储备费用补贴",),
    ),
    (
        "文化广电和旅游局",
        1.2,
        "文化馆",
        ("公共文化服务体系建设", "文物保护修缮", "乡村旅游基础设施建设", "广播电视户户通运维"),
        ("公共文化场馆免费开放",),
    ),
    (
        "生态环境局",
        1.2,
        "生态环境监测站",
        ("大气污染防治", "水污染防治", "农村环境综合整治", "生态环境监测能力建设"),
        ("生态保护补偿",),
    ),
    (
        "财政局",
        0.8,
        "财政国库支付中心",
        ("预算绩效管理第三方服务", "财政信息化建设", "政府采购监管"),
        ("政府购买服务",),
    ),
    (
        "自然资源局",
        1.0,
        "不动产登记中心",
        ("国土空间规划编制", "不动产登记信息化", "地质灾害防治", "土地整理"),
        ("耕地占补平衡",),
    ),
    (
        "市场监督管理局",
        1.0,
        "综合执法大队",
        ("食品安全抽检", "特种设备安全检验", "计量检定设备购置"),
        ("小微企业扶持",),
    ),
    (
        "林业和草原局",
        1.2,
        "林业工作站",
        ("森林生态效益补偿", "退耕还林", "草原生态修复", "林业有害生物防治"),
        ("草原生态保护补助奖励",),
    ),
    ("科学技术局", 0.7, "", ("科技特派员服务", "科技创新引导资金", "农业科技示范基地建设"), ("科技创新券",)),
    (
        "公安局",
        1.0,
        "交通警察大队",
        ("道路交通安全设施建设", "视频监控系统建设", "执法办案中心建设"),
        ("见义勇为奖励",),
    ),
    ("司法局", 0.7, "公共法律服务中心", ("公共法律服务体系建设", "人民调解工作经费"), ("法律援助",)),
    ("退役军人事务局", 0.8, "退役军人服务中心", ("退役军人服务站建设", "优抚对象医疗保障"), ("优抚对象抚恤补助",)),
    ("医疗保障局", 0.8, "医疗保障服务中心", ("医保信息化建设", "医保基金监管"), ("城乡居民医疗救助",)),
    (
        "商务和工业信息化局",
        0.9,
        "",
        ("电子商务进农村综合示范", "县域商业体系建设", "工业园区基础设施建设"),
        ("消费券发放",),
    ),
    (
        "城市管理局",
        1.0,
        "环境卫生管理所",
        ("城区环卫保洁购买服务", "生活垃圾清运", "城区路灯维修改造"),
        ("垃圾分类激励",),
    ),
    ("统计局", 0.5, "", ("经济普查", "统计信息化建设"), ("统计调查补助",)),
    ("档案馆", 0.4, "", ("档案数字化", "档案库房改造"), ("档案抢救保护补助",)),
    ("体育运动中心", 0.5, "", ("全民健身设施建设", "体育场馆免费开放"), ("全民健身补助",)),
    ("供销合作社", 0.5, "", ("农资储备", "农村综合服务社建设"), ("化肥储备补贴",)),
    ("城关镇人民政府", 1.0, "", ("人居环境整治", "乡村振兴衔接资金", "农村道路维修"), ("村级组织运转经费保障",)),
    ("东城街道办事处", 1.0, "", ("社区综合服务设施建设", "老旧楼院改造", "社区养老服务站建设"), ("社区工作者补贴",)),
    ("西城街道办事处", 0.9, "", ("社区青年创客中心建设", "背街小巷改造", "综合性养老中心建设"), ("社区治理补助",)),
    ("河口乡人民政府", 0.8, "", ("安全饮水工程", "特色种植示范", "村庄道路硬化"), ("脱贫人口小额信贷贴息",)),
    ("南山镇人民政府", 0.8, "", ("乡村振兴示范村建设", "小型水利设施维修", "集体经济发展"), ("村级公益事业补助",)),
    ("北关街道办事处", 0.7, "", ("社区文化活动中心建设", "老旧管网改造"), ("社区惠民补助",)),
)
CORE_DEPARTMENTS = 10  # the first ten appear in every region

EVALUATORS = (
    "模拟甲会计师事务所有限公司",
    "模拟乙资产评估咨询有限公司",
    "模拟丙工程造价咨询有限公司",
    "模拟丁管理咨询有限公司",
    "模拟戊会计师事务所有限公司",
    "财政局（自行组织评价）",
)

# (scheme eval type, dimension names, weights); weights sum to 100
DIM_SCHEMES: tuple[tuple[str, tuple[str, ...], tuple[float, ...]], ...] = (
    (PROJECT, ("决策", "过程", "产出", "效益"), (20, 20, 30, 30)),
    (PROJECT, ("决策", "过程", "产出", "效益"), (20, 20, 40, 20)),
    (PROJECT, ("决策", "过程", "产出", "效益"), (15, 25, 30, 30)),
    (PROJECT, ("投入", "过程", "产出", "效果"), (20, 20, 30, 30)),  # older scheme, budget years before 2020
    (WHOLE_DEPARTMENT, ("部门决策", "部门管理", "部门绩效"), (15, 25, 60)),
)

# (category, description, recommendation); "{x}" becomes a number; each description contains a keyword that
# makes categories.classify() return exactly its category (tests/test_demo.py checks this)
PROBLEM_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    (
        "绩效目标设置",
        "绩效目标设置不够细化量化，部分指标无法衡量",
        "按照细化、量化、可衡量的要求修订绩效目标，完善指标体系",
    ),
    (
        "绩效目标设置",
        "绩效指标与项目实际内容关联度不高，产出指标缺少数量和时效目标值",
        "结合实施内容设置产出、效益指标并明确目标值",
    ),
    (
        "绩效目标设置",
        "绩效目标与绩效自评衔接不畅，自评结果与实际完成情况存在偏差",
        "加强绩效运行监控，确保自评如实反映绩效目标完成情况",
    ),
    ("绩效目标设置", "效益类绩效目标表述笼统，满意度指标未设置目标值", "细化效益指标，规范开展满意度调查"),
    ("绩效目标设置", "预算调整后年度绩效目标未同步修订", "预算调整时同步修订绩效目标并报财政部门备案"),
    ("预算编制与执行", "预算调整率达{x}%，预算编制不够精准", "加强项目前期论证，提高预算编制的准确性"),
    ("预算编制与执行", "预算执行进度缓慢，年末结转资金较多", "建立预算执行进度通报机制，加快资金支出"),
    ("预算编制与执行", "申报资金与实际需求不符，预算编制偏大", "按实际需求和支出标准测算申报资金"),
    ("预算编制与执行", "预算编制依据不充分，测算标准未附明细", "完善预算测算依据，细化支出标准"),
    ("预算编制与执行", "资金未按计划时间下达，预算执行进度滞后", "及时下达资金，合理安排实施计划"),
    (
        "资金管理",
        "工程预付款支付时间早于施工合同签订时间，存在先付款后签合同的情况",
        "严格按照资金管理办法支付，确保审批手续齐全",
    ),
    ("资金管理", "未按合同约定进度支付工程款", "按合同约定的节点和比例支付资金"),
    ("资金管理", "项目资金未实行专账核算，支出凭证附件不全", "设立项目辅助账，实行专账核算"),
    ("资金管理", "单位未制定项目资金管理办法，资金使用缺乏制度约束", "制定专项资金管理办法，规范资金使用"),
    ("资金管理", "主管部门对资金使用监督不到位，未开展跟踪检查", "加强资金使用全过程监督检查"),
    ("资金管理", "资金使用不规范，存在超范围列支{x}万元的情况", "严格按规定用途使用资金，对超范围支出予以纠正"),
    ("项目与工程管理", "项目实施内容与批复不一致，变更未履行审批程序", "严格按批复内容实施，变更事项及时报批"),
    ("项目与工程管理", "项目档案资料不完整，验收资料归档不规范", "完善项目档案管理，及时整理归档"),
    ("项目与工程管理", "工程竣工验收后未及时办理竣工决算", "尽快完成竣工决算审计并办理移交"),
    ("项目与工程管理", "项目形成的资产未及时入账，固定资产登记不完整", "及时办理资产移交和入账手续"),
    ("项目与工程管理", "项目招标采购程序不规范，部分采购未按规定公开招标", "严格执行政府采购和招标投标制度"),
    ("资产与运维", "设施建成后运行维护不到位，缺少日常管护机制", "建立长效运维管护机制，落实运维责任"),
    ("资产与运维", "设备利用率低，年均使用率仅{x}%", "统筹调配设备，提高设备使用效率"),
    ("资产与运维", "饮水工程水源保护措施不到位，未划定水源保护范围", "划定水源保护范围，设置防护设施"),
    ("资产与运维", "购置设备部分闲置，设备利用率不高", "盘活闲置设备，建立使用登记制度"),
    ("资产与运维", "后续运行维护经费未落实，部分设施存在损坏", "落实运行维护经费，及时修复损坏设施"),
    ("服务质量与效益", "受益对象覆盖不足，部分符合条件的群众未纳入", "扩大受益对象覆盖面，做到应保尽保"),
    ("服务质量与效益", "平台部分功能缺失，未实现预期应用效果", "完善系统功能，加强推广应用"),
    ("服务质量与效益", "各部门数据集成困难，信息未实现互联互通", "推动数据共享和系统对接"),
    ("服务质量与效益", "服务质量有待提升，群众满意度未达到目标值", "完善服务流程，提升服务质量"),
    ("服务质量与效益", "项目效益未充分显现，对受益群众的带动作用有限", "加强后续管理，跟踪项目效益发挥情况"),
    ("其他", "项目单位对绩效管理工作重视不够，相关人员业务能力不足", "加强绩效管理培训，明确专人负责"),
    ("其他", "评价所需资料提供不及时，部分情况说明缺失", "建立资料报送责任制，及时提供评价资料"),
)

EVAL_RECOMMENDATIONS = {  # per grade, best first (vocab.GRADES)
    EXCELLENT: (
        "评价结果为优，建议下年度预算优先保障，继续保持。",
        "绩效良好，建议总结经验做法并推广，对发现的问题限期整改。",
    ),
    GOOD: (
        "建议针对存在问题限期整改，下年度预算原则上按原规模安排。",
        "建议完善绩效目标和资金管理，整改结果报财政局备案。",
    ),
    FAIR: ("建议整改到位后再安排下年度预算，适当压减资金规模。", "建议对项目实施方案进行调整，下年度预算从严审核。"),
    POOR: ("建议暂停或调减下年度预算，整改不到位的不再安排资金。", "建议对项目进行全面清理，整改完成前不新增预算。"),
}
BATCH_RECOMMENDATIONS = (
    "一是加强绩效目标管理，提高指标的可衡量性；二是加快预算执行进度；三是规范资金和项目管理；四是强化评价结果应用，将结果作为下年度预算安排的重要依据。",
    "一是压实部门绩效管理主体责任；二是健全专项资金管理制度；三是建立问题整改台账，按期销号；四是推动评价结果与预算安排挂钩。",
    "一是提升预算编制的科学性；二是加强项目全过程监管；三是完善资产管理和运行维护机制；四是加大绩效信息公开力度。",
)


def region_name(i: int) -> str:
    """The fictional, clearly simulated name of region i (0-based): 模拟示例县（演示）, 模拟示例区（演示）, …"""
    kind = "县" if i % 2 == 0 else "区"
    k = i // 2 + 1
    return f"模拟示例{kind}{'' if k == 1 else k}（演示）"


def default_n_regions(n_evaluations: int) -> int:
    """2 for small sets; about one region per 10,000 evaluations for large ones, at most 120."""
    return int(max(2, min(120, round(n_evaluations / 10_000))))


def _july_first(years: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of 1 July of each year."""
    return (
        ((years.astype("int64") - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 6)
        .astype("datetime64[D]")
        .astype("int64")
    )


def _month_end_after_july(years: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Days since epoch of the last day before (1 July of year + months), e.g. 3 → 30 Sept."""
    m = (years.astype("int64") - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 6 + months.astype("int64")
    return m.astype("datetime64[D]").astype("int64") - 1


def _date_series(name: str, days: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    s = pl.Series(name, days.astype("int32")).cast(pl.Date)
    if valid is not None:
        s = pl.select(pl.when(pl.Series(valid)).then(s).otherwise(None).alias(name)).to_series()
    return s


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _lookup(values: tuple[str, ...] | list[str], idx: np.ndarray, name: str) -> pl.Series:
    """A string column made by indexing a small list (cheap: string views are shared)."""
    return pl.Series(name, list(values), dtype=pl.String).gather(pl.Series(idx.astype("int64")))


def generate(
    seed: int = 7,
    n_evaluations: int = 300,
    n_regions: int | None = None,
    as_of: dt.date = settings.DEMO_AS_OF.value,
    first_year: int = 2019,
    last_year: int = 2026,
) -> dict[str, pl.DataFrame]:
    """All five contract tables of a synthetic, clearly labelled demo snapshot (same arguments → same frames).

    Choices worth knowing:
    - Every row has synthetic=True and source "演示数据生成器 seed=<seed>"; regions are named
      模拟示例县（演示）, 模拟示例区（演示）, 模拟示例县2（演示）…; departments are NOT prefixed with the region
      (教育局, 民政局, 城关镇人民政府 …), so one department name filters across regions.
    - Each region starts its key evaluations in a year between first_year and first_year+3 and runs
      them every year up to last_year, with more evaluations in later years; evaluators are fictional.
    - grade_published: about 1% of evaluations carry a published grade one band away from their score
      (always grade_published=True); of the rest about 80% are True (report stated the grade, which
      agrees with the score) and 20% False (grade computed from the score).
    - The six edge scores 89.99, 90, 80, 79.99, 60, 59.99 always occur (n ≥ 6), plus ~2% near-edge ones.
    - 部门整体 evaluations are 8% of all (at most one per department and eval year, so fewer at scale).
    - dept_budgets has one row per (region, budget_year, department) with evaluations, except ~6% left
      out on purpose (coverage unknown; never a department-year with a 部门整体 evaluation); the project
      budget total puts about a quarter of department-years below 20% coverage.
    - About 2% of problems have no follow-up record (status, due_date and closed_date null).
    - Reports are published on 1 July of the evaluation year (batches.published_date).
    - 结果应用: evaluations of years before as_of's year carry a consequence in the next budget year for about
      85% (the rest 未记录), depending on the grade (优 mostly 继续支持, 中 mostly 核减 of 5–30% of the amount,
      差 mostly 取消 or 暂停 of the whole amount). Drawn from a generator of their own (seed, 2), so the other
      columns are those of earlier versions.
    """
    if n_evaluations < 1:
        raise ValueError("n_evaluations must be at least 1")
    if last_year < first_year:
        raise ValueError("last_year must not be before first_year")
    rng = np.random.default_rng(seed)
    source = f"{SOURCE_PREFIX} seed={seed}"
    n = int(n_evaluations)
    R = default_n_regions(n) if n_regions is None else int(n_regions)
    if R < 1:
        raise ValueError("n_regions must be at least 1")
    regions = [region_name(i) for i in range(R)]
    as_of_days = (as_of - dt.date(1970, 1, 1)).days

    # Every step that draws takes rng: the steps run in this order, and so do the draws (the output depends on it).
    depts = _departments(rng, n, R)
    batches = _batches(rng, n, R, first_year, last_year)
    rows = _evaluation_rows(rng, n, batches, depts)
    scores = _scores(rng, n)
    amounts = _amounts(rng, rows.whole, scores.score)
    names = _names(rng, rows, batches.size)
    evaluations = _evaluations_frame(regions, source, rows, scores, amounts, names).with_columns(
        _applications(np.random.default_rng([seed, 2]), rows, scores.grade, amounts.used, as_of)
    )
    dimension_scores = _dimension_scores(rng, rows, scores.score, evaluations["eval_id"])
    dept_budgets = _dept_budgets(rng, regions, source, _department_years(rows, amounts))
    batches_frame = _batches_frame(rng, regions, source, batches, rows, amounts)
    problem_rows = _problem_rows(rng, rows, batches, scores.score)
    follow_up = _follow_up(rng, problem_rows.year, as_of_days)
    problems = _problems_frame(rng, regions, source, problem_rows, follow_up, evaluations)

    return {
        "evaluations": evaluations,
        "dimension_scores": dimension_scores,
        "problems": problems,
        "dept_budgets": dept_budgets,
        "batches": batches_frame,
    }


# ---- the steps of generate(), in the order it runs them --------------------------------------------------------
@dataclass(frozen=True)
class _Departments:
    """The departments present in each region, listed region by region."""

    base: np.ndarray  # index into DEPARTMENTS
    cum: np.ndarray  # each region's cumulative popularity weights, normalised to (r, r+1]


def _departments(rng: np.random.Generator, n: int, n_regions: int) -> _Departments:
    """Each region's departments (the core ones plus a random few) and their cumulative popularity weights."""
    n_base = len(DEPARTMENTS)
    per_region = n / n_regions
    upper = int(np.clip(15 + per_region / 20, 16, 40))
    dept_region, dept_base = [], []
    for r in range(n_regions):  # loop over regions only
        k = int(min(n_base, rng.integers(15, upper + 1)))
        extra = rng.choice(np.arange(CORE_DEPARTMENTS, n_base), size=k - CORE_DEPARTMENTS, replace=False)
        chosen = np.sort(np.concatenate([np.arange(CORE_DEPARTMENTS), extra]))
        dept_region.append(np.full(chosen.size, r))
        dept_base.append(chosen)
    dept_region_a = np.concatenate(dept_region)
    dept_base_a = np.concatenate(dept_base)
    base_weight = np.array([d[1] for d in DEPARTMENTS])
    w = base_weight[dept_base_a]
    region_tot = np.bincount(dept_region_a, weights=w, minlength=n_regions)
    # each region's cumulative weights normalised to (r, r+1]: one searchsorted picks for all evaluations
    cum = (
        dept_region_a
        + (np.cumsum(w) - np.concatenate([[0.0], np.cumsum(region_tot)])[dept_region_a]) / region_tot[dept_region_a]
    )
    return _Departments(base=dept_base_a, cum=cum)


@dataclass(frozen=True)
class _Batches:
    """The batches (region × eval year) that hold evaluations, in (region, eval year) order."""

    region: np.ndarray
    year: np.ndarray  # eval year
    count: np.ndarray  # evaluations in the batch, at least 1

    @property
    def size(self) -> int:
        """The number of batches."""
        return self.region.size


def _batches(rng: np.random.Generator, n: int, n_regions: int, first_year: int, last_year: int) -> _Batches:
    """The batches from each region's start year on, with the number of evaluations in each (more in later years)."""
    n_years = last_year - first_year + 1
    start = first_year + rng.integers(0, min(4, n_years), size=n_regions)
    region_size = rng.lognormal(0.0, 0.35, size=n_regions)
    b_region = np.repeat(np.arange(n_regions), n_years)
    b_year = np.tile(np.arange(first_year, last_year + 1), n_regions)
    active = b_year >= start[b_region]
    b_region, b_year = b_region[active], b_year[active]
    bw = region_size[b_region] * (1.0 + 0.35 * (b_year - start[b_region]))
    nb = b_region.size
    if n >= nb:
        counts = 1 + rng.multinomial(n - nb, bw / bw.sum())
    else:
        counts = rng.multinomial(n, bw / bw.sum())
    keep = counts > 0
    return _Batches(region=b_region[keep], year=b_year[keep], count=counts[keep])


@dataclass(frozen=True)
class _Rows:
    """One entry per evaluation, in eval_id order."""

    batch: np.ndarray  # index into _Batches
    region: np.ndarray
    year: np.ndarray  # eval year
    budget_year: np.ndarray
    seq: np.ndarray  # 1, 2, … within the batch
    base: np.ndarray  # department: index into DEPARTMENTS
    etype: np.ndarray  # index into EVAL_TYPES: 0 项目, 1 部门整体, 2 政策
    whole: np.ndarray  # etype is 部门整体


def _evaluation_rows(rng: np.random.Generator, n: int, batches: _Batches, depts: _Departments) -> _Rows:
    """Each evaluation's batch, region, years, number in the batch, department (by popularity) and eval type."""
    counts = batches.count
    e_batch = np.repeat(np.arange(batches.size), counts)
    e_region = batches.region[e_batch]
    e_year = batches.year[e_batch]
    e_seq = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts) + 1

    e_dept = np.searchsorted(depts.cum, e_region + rng.random(n) * (1 - 1e-12), side="left")
    e_dept = np.minimum(e_dept, depts.base.size - 1)

    u = rng.random(n)
    e_budget_year = np.where(u < 0.88, e_year - 1, np.where(u < 0.98, e_year, e_year - 2))

    etype = _eval_types(rng, e_batch.astype("int64") * depts.base.size + e_dept)
    return _Rows(
        batch=e_batch,
        region=e_region,
        year=e_year,
        budget_year=e_budget_year,
        seq=e_seq,
        base=depts.base[e_dept],
        etype=etype,
        whole=etype == 1,
    )


def _eval_types(rng: np.random.Generator, key: np.ndarray) -> np.ndarray:
    """Each evaluation's type (0 项目, 1 部门整体, 2 政策) from its (batch, department) key."""
    n = key.size
    # 部门整体 only on the first evaluation of a department in a batch
    _, first_idx = np.unique(key, return_index=True)
    n_groups = first_idx.size
    n_whole = min(int(round(0.08 * n)), int(0.35 * n_groups))
    etype = np.zeros(n, dtype="int64")
    etype[rng.choice(first_idx, size=n_whole, replace=False)] = 1
    etype[(etype == 0) & (rng.random(n) < 0.044)] = 2
    return etype


@dataclass(frozen=True)
class _Scores:
    """Each evaluation's total score and grade."""

    score: np.ndarray
    grade: np.ndarray  # index into GRADES: the grade the row carries
    published: np.ndarray  # grade_published


def _scores(rng: np.random.Generator, n: int) -> _Scores:
    """Scores by grade band (edge scores forced in), their grades, and ~1% published grades one band away."""
    g = rng.choice(4, size=n, p=[0.42, 0.38, 0.15, 0.05])
    lows = [b.low for b in GRADE_BANDS]  # 90, 80, 60, 0: each grade's scores start at its band's low edge
    score = np.select(
        [g == 0, g == 1, g == 2],
        [
            lows[0] + 9.2 * rng.beta(1.3, 2.0, n),
            lows[1] + 9.99 * rng.beta(2.0, 1.5, n),
            lows[2] + 19.99 * rng.beta(2.5, 1.2, n),
        ],
        lows[2] - 20 + 19.99 * rng.beta(2.0, 1.2, n),
    )
    ur = rng.random(n)
    score = np.where(ur < 0.75, np.round(score, 2), np.where(ur < 0.9, np.round(score, 1), np.round(score)))
    edge_extra = rng.random(n) < 0.02
    score[edge_extra] = rng.choice(np.array(NEAR_EDGE_SCORES), size=int(edge_extra.sum()))
    forced = rng.choice(n, size=min(n, len(EDGE_SCORES)), replace=False)
    score[forced] = np.array(EDGE_SCORES)[: forced.size]
    score = np.clip(score, 0, 100)
    computed = np.select(
        [score >= b.low for b in GRADE_BANDS[:-1]], list(range(len(GRADE_BANDS) - 1)), len(GRADE_BANDS) - 1
    )
    published = rng.random(n) < 0.8
    n_mis = int(round(0.01 * n)) if n >= 50 else 0
    grade_idx = computed.copy()
    if n_mis:
        candidates = np.setdiff1d(np.arange(n), forced)  # the six edge scores keep their computed grade
        mis = rng.choice(candidates, size=n_mis, replace=False)
        grade_idx[mis] = np.where(computed[mis] == 0, 1, computed[mis] - 1)
        published[mis] = True
    return _Scores(score=score, grade=grade_idx, published=published)


_AMOUNT_BASES = ("总投资估算", "项目资金：预算/执行", "计划投资/实际投资", "多渠道资金合计：预算/执行")


@dataclass(frozen=True)
class _Amounts:
    """Each evaluation's amounts in 万元 (NaN where the report states none)."""

    budget: np.ndarray
    executed: np.ndarray
    evaluated: np.ndarray
    basis: np.ndarray  # index into _AMOUNT_BASES
    used: np.ndarray  # the evaluated amount, else the budget


def _amounts(rng: np.random.Generator, whole: np.ndarray, score: np.ndarray) -> _Amounts:
    """Budget, executed and evaluated amounts (万元), the basis they were stated on, and the amount counted."""
    n = score.size
    budget = np.where(whole, rng.lognormal(np.log(1500), 0.7, n), rng.lognormal(np.log(220), 1.0, n))
    budget = np.round(np.where(whole, np.clip(budget, 200, 9000), np.clip(budget, 20, 5000)), 2)
    ua = rng.random(n)
    rate = np.select(
        [ua < 0.35, ua < 0.90, ua < 0.95],
        [np.ones(n), 1 - 0.4 * rng.beta(1.2, 4.0, n), 1 + rng.uniform(0.005, 0.08, n)],
        np.full(n, np.nan),
    )
    rate = np.where(score < 70, rate - 0.08, rate)
    rate = np.where(np.isnan(rate), np.nan, np.maximum(rate, 0.6))
    executed = np.round(budget * rate, 2)
    no_exec = np.isnan(executed)
    ue = rng.random(n)
    evaluated = np.where(ue < 0.35, budget, np.where(ue < 0.70, np.where(no_exec, budget, executed), np.nan))
    basis_idx = np.where(no_exec, 0, np.select([ua < 0.5, ua < 0.8], [1, 2], 3))
    amount_used = np.where(np.isnan(evaluated), budget, evaluated)
    return _Amounts(budget=budget, executed=executed, evaluated=evaluated, basis=basis_idx, used=amount_used)


def _flatten(lists: list[tuple[str, ...]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """All the lists' strings in one list, with each list's length and offset in it."""
    flat = [t for ts in lists for t in ts]
    cnt = np.array([len(ts) for ts in lists])
    return flat, cnt, np.concatenate([[0], np.cumsum(cnt)[:-1]])


_DEPT_NAMES = [d[0] for d in DEPARTMENTS]
_SUB_UNITS = [d[2] for d in DEPARTMENTS]
_THEMES, _THEME_COUNT, _THEME_OFFSET = _flatten([d[3] for d in DEPARTMENTS])
_POLICIES, _POLICY_COUNT, _POLICY_OFFSET = _flatten([d[4] for d in DEPARTMENTS])
_EVAL_RECOMMENDATIONS_FLAT = [t for gr in GRADES for t in EVAL_RECOMMENDATIONS[gr]]  # grade g, variant v at 2g + v


@dataclass(frozen=True)
class _Names:
    """Each evaluation's picks for its project name, unit, evaluator and recommendation."""

    theme: np.ndarray  # index into _THEMES
    policy: np.ndarray  # index into _POLICIES
    style: np.ndarray  # project name style 0, 1 or 2
    use_sub: np.ndarray  # the department's sub-unit (if it has one) is the unit
    firm: np.ndarray  # index into EVALUATORS
    rec_variant: np.ndarray  # which of the grade's two EVAL_RECOMMENDATIONS


def _names(rng: np.random.Generator, rows: _Rows, n_batches: int) -> _Names:
    """Theme or policy, name style, unit, evaluator (one of two firms per batch) and recommendation picks."""
    n = rows.base.size
    e_base = rows.base
    ut = rng.random(n)
    theme_i = _THEME_OFFSET[e_base] + np.minimum((ut * _THEME_COUNT[e_base]).astype("int64"), _THEME_COUNT[e_base] - 1)
    policy_i = _POLICY_OFFSET[e_base] + np.minimum(
        (ut * _POLICY_COUNT[e_base]).astype("int64"), _POLICY_COUNT[e_base] - 1
    )
    name_style = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
    use_sub = (rng.random(n) < 0.2) & ~rows.whole
    batch_firms = rng.integers(0, len(EVALUATORS), size=(n_batches, 2))
    e_firm = batch_firms[rows.batch, rng.integers(0, 2, size=n)]
    rec_variant = rng.integers(0, 2, size=n)
    return _Names(
        theme=theme_i, policy=policy_i, style=name_style, use_sub=use_sub, firm=e_firm, rec_variant=rec_variant
    )


def _evaluations_frame(
    regions: list[str], source: str, rows: _Rows, scores: _Scores, amounts: _Amounts, names: _Names
) -> pl.DataFrame:
    """The evaluations table."""
    ev = pl.DataFrame(
        {
            "r": rows.region + 1,
            "eval_year": rows.year,
            "budget_year": rows.budget_year,
            "seq": rows.seq,
            "etype": rows.etype,
            "style": names.style,
            "use_sub": names.use_sub,
        }
    ).with_columns(
        _lookup(regions, rows.region, "region"),
        _lookup(_DEPT_NAMES, rows.base, "department"),
        _lookup(_SUB_UNITS, rows.base, "sub"),
        _lookup(_THEMES, names.theme, "theme"),
        _lookup(_POLICIES, names.policy, "policy"),
        _lookup(EVALUATORS, names.firm, "evaluator"),
        _lookup(EVAL_TYPES, rows.etype, "eval_type"),
        _lookup(GRADES, scores.grade, "grade"),
        _lookup(_AMOUNT_BASES, amounts.basis, "amount_basis"),
        _lookup(_EVAL_RECOMMENDATIONS_FLAT, scores.grade * 2 + names.rec_variant, "recommendations"),
        pl.Series("budget_wan", amounts.budget),
        pl.Series("executed_wan", amounts.executed, nan_to_null=True),
        pl.Series("evaluated_wan", amounts.evaluated, nan_to_null=True),
        pl.Series("score", scores.score),
        pl.Series("grade_published", scores.published),
    )
    width = max(3, len(str(int(rows.seq.max()))))
    ev = ev.with_columns(
        eval_id=pl.concat_str(
            [
                pl.lit("demo-"),
                pl.col("r").cast(pl.String),
                pl.lit("-"),
                pl.col("eval_year").cast(pl.String),
                pl.lit("-"),
                pl.col("seq").cast(pl.String).str.zfill(width),
            ]
        ),
        project_name=_project_name(),
        unit=pl.when(pl.col("use_sub") & (pl.col("sub") != "")).then(pl.col("sub")).otherwise(pl.col("department")),
        source=pl.lit(source),
        synthetic=pl.lit(True),
    )
    return schema.conform("evaluations", ev)


def _project_name() -> pl.Expr:
    """The project name from budget_year, etype, style, department, theme and policy."""
    by = pl.col("budget_year").cast(pl.String)
    return (
        pl.when(pl.col("etype") == 1)
        .then(pl.concat_str([by, pl.lit("年"), pl.col("department"), pl.lit("部门整体支出绩效评价")]))
        .when(pl.col("etype") == 2)
        .then(pl.concat_str([by, pl.lit("年"), pl.col("policy"), pl.lit("政策")]))
        .when(pl.col("style") == 0)
        .then(pl.concat_str([by, pl.lit("年"), pl.col("theme"), pl.lit("项目")]))
        .when(pl.col("style") == 1)
        .then(pl.concat_str([by, pl.lit("年度"), pl.col("theme"), pl.lit("项目")]))
        .otherwise(pl.concat_str([pl.col("theme"), pl.lit("项目（"), by, pl.lit("年度）")]))
    )


def _dimension_scores(rng: np.random.Generator, rows: _Rows, score: np.ndarray, eval_id: pl.Series) -> pl.DataFrame:
    """The dimension_scores table: each evaluation's scheme of dimensions, scores summing exactly to its score."""
    n = score.size
    scheme = np.where(rows.whole, 4, np.where(rows.budget_year < 2020, 3, rng.choice(3, size=n, p=[0.6, 0.25, 0.15])))
    scheme_w = np.array([list(s[2]) + [0] * (4 - len(s[2])) for s in DIM_SCHEMES], dtype="int64") * 100
    dim_names = sorted({d for s in DIM_SCHEMES for d in s[1]})
    scheme_names = np.array([[dim_names.index(d) for d in s[1]] + [0] * (4 - len(s[1])) for s in DIM_SCHEMES])
    # integer cents so that they sum exactly
    wc = scheme_w[scheme]  # (n, 4) weight in cents
    sc = np.rint(score * 100).astype("int64")
    frac = np.clip(rng.normal(1.0, 0.07, size=(n, 4)), 0, None)
    dc = np.clip(np.rint(wc * (sc[:, None] / 10_000) * frac), 0, wc).astype("int64")
    resid = sc - dc.sum(axis=1)
    for j in (3, 2, 1, 0):  # put the remainder on the last dimensions, within [0, weight]
        adj = np.clip(resid, -dc[:, j], wc[:, j] - dc[:, j])
        dc[:, j] += adj
        resid -= adj
    present = (wc > 0).ravel()
    eval_rows = np.repeat(np.arange(n), 4)[present]
    dims = pl.DataFrame(
        {
            "eval_id": eval_id.gather(pl.Series(eval_rows)),
            "dimension": _lookup(dim_names, scheme_names[scheme].ravel()[present], "dimension"),
            "weight": wc.ravel()[present] / 100.0,
            "score": dc.ravel()[present] / 100.0,
        }
    )
    return schema.conform("dimension_scores", dims)


def _department_years(rows: _Rows, amounts: _Amounts) -> pl.DataFrame:
    """Per (region r, budget_year, department d) with evaluations: project amount, 部门整体 budget and whether any."""
    whole = rows.whole
    return (
        pl.DataFrame(
            {
                "r": rows.region,
                "budget_year": rows.budget_year,
                "d": rows.base,
                "whole": whole,
                "amt": np.where(whole, 0.0, amounts.used),
                "wb": np.where(whole, amounts.budget, 0.0),
            }
        )
        .group_by("r", "budget_year", "d")
        .agg(pl.col("amt").sum(), pl.col("wb").max(), pl.col("whole").any())
        .sort("r", "budget_year", "d")
    )


def _dept_budgets(rng: np.random.Generator, regions: list[str], source: str, dy: pl.DataFrame) -> pl.DataFrame:
    """The dept_budgets table (the coverage denominator): project budget totals, ~6% of department-years left out."""
    G = dy.height
    amt = dy["amt"].to_numpy()
    has_whole = dy["whole"].to_numpy()
    uc = rng.random(G)
    cov = np.where(
        uc < 0.27,
        rng.uniform(0.04, 0.19, G),
        np.where(uc < 0.67, rng.uniform(0.205, 0.35, G), rng.uniform(0.35, 0.95, G)),
    )
    pb = np.where(amt > 0, amt / cov, dy["wb"].to_numpy() * rng.uniform(0.3, 0.8, G))
    drop = np.zeros(G, dtype=bool)
    eligible = np.flatnonzero(~has_whole)
    n_drop = min(eligible.size, max(2, int(round(0.06 * G))) if G >= 10 else (1 if G >= 3 else 0))
    if n_drop:
        drop[rng.choice(eligible, size=n_drop, replace=False)] = True
    return schema.conform(
        "dept_budgets",
        dy.with_columns(
            region=_lookup(regions, dy["r"].to_numpy(), "region"),
            department=_lookup(_DEPT_NAMES, dy["d"].to_numpy(), "department"),
            project_budget_wan=pl.Series(np.round(pb, 2)),
            source=pl.lit(source),
            synthetic=pl.lit(True),
        ).filter(pl.Series(~drop)),
    )


def _batches_frame(
    rng: np.random.Generator, regions: list[str], source: str, batches: _Batches, rows: _Rows, amounts: _Amounts
) -> pl.DataFrame:
    """The batches table: evaluated totals (~15% a little off the sum of their evaluations) and recommendations."""
    nb = batches.size
    b_total = np.bincount(rows.batch, weights=amounts.used, minlength=nb)
    off = rng.random(nb) < 0.15
    b_total = np.round(np.where(off, b_total * rng.uniform(0.97, 1.03, nb), b_total), 2)
    bt = (
        pl.DataFrame({"r": batches.region, "eval_year": batches.year, "budget_year": batches.year - 1})
        .with_columns(
            region=_lookup(regions, batches.region, "region"),
            evaluated_total_wan=pl.Series(b_total),
            recommendations=_lookup(BATCH_RECOMMENDATIONS, rng.integers(0, len(BATCH_RECOMMENDATIONS), nb), "rec"),
            source=pl.lit(source),
            synthetic=pl.lit(True),
        )
        .with_columns(
            title=pl.concat_str(
                [pl.col("region"), pl.col("eval_year").cast(pl.String), pl.lit("年度财政重点绩效评价结果（模拟）")]
            ),
            published_date=_date_series("published_date", _july_first(batches.year)),
        )
    )
    return schema.conform("batches", bt)


# 结果应用 per grade (vocab.GRADES order): probabilities over vocab.APPLICATIONS
# (继续支持, 调整优化, 核减, 暂停, 取消, 未应用)
_APPLICATION_P = np.array(
    [
        [0.85, 0.15, 0.0, 0.0, 0.0, 0.0],
        [0.60, 0.35, 0.05, 0.0, 0.0, 0.0],
        [0.0, 0.25, 0.55, 0.10, 0.0, 0.10],
        [0.0, 0.0, 0.20, 0.30, 0.40, 0.10],
    ]
)
_MOVES_MONEY = np.array([a in (APPLICATIONS[2], APPLICATIONS[3], APPLICATIONS[4]) for a in APPLICATIONS])


def _applications(
    rng: np.random.Generator, rows: _Rows, grade: np.ndarray, used: np.ndarray, as_of: dt.date
) -> list[pl.Series]:
    """application, application_wan, application_year: what the next budget did with each result (or nothing)."""
    n = grade.size
    cum = np.cumsum(_APPLICATION_P, axis=1)[grade]
    pick = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(APPLICATIONS) - 1)
    recorded = (rows.year < as_of.year) & (rng.random(n) < 0.85)
    share = np.where(pick == 2, rng.uniform(0.05, 0.30, n), 1.0)
    amount = np.round(used * share, 2)
    with_amount = recorded & _MOVES_MONEY[pick] & ~np.isnan(used)
    return [
        pl.Series("application", [APPLICATIONS[i] for i in pick], dtype=pl.String).set(pl.Series(~recorded), None),
        pl.Series("application_wan", np.where(with_amount, amount, np.nan), nan_to_null=True),
        pl.Series("application_year", np.where(recorded, rows.year + 1, 0), dtype=pl.Int32).set(
            pl.Series(~recorded), None
        ),
    ]


@dataclass(frozen=True)
class _ProblemRows:
    """One entry per problem: first each evaluation's problems, then each batch's."""

    of_eval: np.ndarray  # the evaluation (row) of each evaluation's problem
    n_batch: int  # number of batch problems, which follow
    region: np.ndarray
    year: np.ndarray  # eval year
    k: np.ndarray  # 1, 2, … within the evaluation or batch
    template: np.ndarray  # index into PROBLEM_TEMPLATES, distinct within an evaluation or batch


def _problem_rows(rng: np.random.Generator, rows: _Rows, batches: _Batches, score: np.ndarray) -> _ProblemRows:
    """How many problems each evaluation (more for lower scores) and batch has, and their templates."""
    n, nb = score.size, batches.size
    lam = 1.5 + (100 - score) / 9
    pc = np.clip(rng.poisson(lam), 0, 6)
    P = int(pc.sum())
    p_eval = np.repeat(np.arange(n), pc)
    p_k = np.arange(P) - np.repeat(np.cumsum(pc) - pc, pc) + 1
    bpc = rng.integers(2, 6, size=nb)
    PB = int(bpc.sum())
    pb_batch = np.repeat(np.arange(nb), bpc)
    pb_k = np.arange(PB) - np.repeat(np.cumsum(bpc) - bpc, bpc) + 1

    T = len(PROBLEM_TEMPLATES)
    steps = np.array([s for s in range(1, T) if math.gcd(s, T) == 1])
    # distinct templates within one evaluation / batch: offset + k·step (mod T), step coprime with T
    tm_off, tm_step = rng.integers(0, T, size=n), rng.choice(steps, size=n)
    tb_off, tb_step = rng.integers(0, T, size=nb), rng.choice(steps, size=nb)
    tmpl = np.concatenate(
        [(tm_off[p_eval] + (p_k - 1) * tm_step[p_eval]) % T, (tb_off[pb_batch] + (pb_k - 1) * tb_step[pb_batch]) % T]
    )
    return _ProblemRows(
        of_eval=p_eval,
        n_batch=PB,
        region=np.concatenate([rows.region[p_eval], batches.region[pb_batch]]),
        year=np.concatenate([rows.year[p_eval], batches.year[pb_batch]]),
        k=np.concatenate([p_k, pb_k]),
        template=tmpl,
    )


@dataclass(frozen=True)
class _FollowUp:
    """Each problem's follow-up record, dates in days since 1970-01-01."""

    tracked: np.ndarray  # has a record (else status, due_date and closed_date are null)
    due: np.ndarray
    done: np.ndarray  # closed by as_of (closed_date set)
    closed: np.ndarray
    status: np.ndarray  # index into STATUSES


def _follow_up(rng: np.random.Generator, pr_year: np.ndarray, as_of_days: int) -> _FollowUp:
    """Due dates, and whether, when and how each problem was closed by as_of (older ones more likely)."""
    NP = pr_year.size
    pub = _july_first(pr_year)
    due = _month_end_after_july(pr_year, rng.integers(3, 13, size=NP))
    tracked = rng.random(NP) >= 0.02
    age = (as_of_days - due) / 365.25
    hard = rng.random(NP) < 0.2
    p_done = _sigmoid(-0.6 + 2.0 * age - 1.8 * hard)
    published_by = pub <= as_of_days  # results are published on 1 July of the eval year
    done = tracked & published_by & (rng.random(NP) < p_done)
    hi = np.maximum(np.minimum(as_of_days, due + 60), pub)  # closed on or after publication, by as_of
    closed = pub + np.floor(rng.random(NP) * (hi - pub + 1)).astype("int64")
    since_pub = (as_of_days - pub) / 365.25
    in_progress = published_by & (rng.random(NP) < _sigmoid(-0.3 + 1.5 * since_pub))
    cancelled = rng.random(NP) < np.clip(0.1 + 0.35 * (as_of_days - closed) / 365.25, 0, 0.6)
    status = np.where(done, np.where(cancelled, 3, 2), np.where(in_progress, 1, 0))
    return _FollowUp(tracked=tracked, due=due, done=done, closed=closed, status=status)


def _problems_frame(
    rng: np.random.Generator,
    regions: list[str],
    source: str,
    prows: _ProblemRows,
    follow_up: _FollowUp,
    evaluations: pl.DataFrame,
) -> pl.DataFrame:
    """The problems table, with the number in each "{x}" template drawn here."""
    P, PB = prows.of_eval.size, prows.n_batch
    NP = P + PB
    is_batch = np.concatenate([np.zeros(P, dtype=bool), np.ones(PB, dtype=bool)])
    cats = [t[0] for t in PROBLEM_TEMPLATES]
    x = rng.integers(8, 46, size=NP)
    eval_ids = evaluations["eval_id"]
    pr = (
        pl.DataFrame(
            {
                "eval_id": pl.concat(
                    [eval_ids.gather(pl.Series(prows.of_eval)), pl.Series([None] * PB, dtype=pl.String)]
                ),
                "r": prows.region + 1,
                "eval_year": prows.year,
                "k": prows.k,
                "is_batch": is_batch,
                "tracked": follow_up.tracked,
                "x": x,
            }
        )
        .with_columns(
            region=_lookup(regions, prows.region, "region"),
            category=_lookup(cats, prows.template, "category"),
            description=_lookup([t[1] for t in PROBLEM_TEMPLATES], prows.template, "description"),
            recommendation=_lookup([t[2] for t in PROBLEM_TEMPLATES], prows.template, "recommendation"),
            responsible_unit=pl.concat(
                [
                    evaluations["department"].gather(pl.Series(prows.of_eval)),
                    pl.Series(["各预算部门"] * PB, dtype=pl.String),
                ]
            ),
            due_date=_date_series("due_date", follow_up.due, follow_up.tracked),
            status=_lookup(STATUSES, follow_up.status, "status"),
            closed_date=_date_series("closed_date", follow_up.closed, follow_up.done),
        )
        .with_columns(
            description=pl.col("description").str.replace("{x}", pl.col("x").cast(pl.String), literal=True),
            status=pl.when(pl.col("tracked")).then(pl.col("status")),
            problem_id=_problem_id(),
            source=pl.lit(source),
            synthetic=pl.lit(True),
        )
    )
    return schema.conform("problems", pr)


def _problem_id() -> pl.Expr:
    """The problem id: demo-<r>-<eval year>-B<k> for a batch's problem, else <eval_id>-P<k>."""
    return (
        pl.when(pl.col("is_batch"))
        .then(
            pl.concat_str(
                [
                    pl.lit("demo-"),
                    pl.col("r").cast(pl.String),
                    pl.lit("-"),
                    pl.col("eval_year").cast(pl.String),
                    pl.lit("-B"),
                    pl.col("k").cast(pl.String),
                ]
            )
        )
        .otherwise(pl.concat_str([pl.col("eval_id"), pl.lit("-P"), pl.col("k").cast(pl.String)]))
    )


# ---- earlier states: follow-up progress over time, so that the bundled snapshot carries history ---------------
def earlier_states(
    tables: dict[str, pl.DataFrame], as_ofs: list[dt.date], seed: int = 7
) -> list[dict[str, pl.DataFrame]]:
    """The tables as they stood at earlier as-of dates (latest first), each one step back from the one after it.

    Only synthetic rows change, deterministically: reports published after the date are absent; problems closed
    after it are still 整改中; about 4% of open problems had a deadline three months earlier (moved later on);
    about 1% of open problems had been marked 已整改 (reopened later); about 0.5% had no responsible unit yet.
    Publishing the states in date order and then `tables` gives the store's history events to show.
    """
    out, later = [], tables
    for step, as_of in enumerate(as_ofs):
        later = _step_back(later, as_of, np.random.default_rng([seed, 3, step]))
        out.append(later)
    return out


def _step_back(tables: dict[str, pl.DataFrame], as_of: dt.date, rng: np.random.Generator) -> dict[str, pl.DataFrame]:
    """One step back in time to `as_of` (see earlier_states)."""
    batches = tables["batches"]
    later = batches.filter(pl.col("synthetic") & (pl.col("published_date") > as_of)).select("region", "eval_year")
    ids = tables["evaluations"].join(later, on=["region", "eval_year"], how="semi")["eval_id"].implode()
    out = {
        "batches": batches.join(later, on=["region", "eval_year"], how="anti", maintain_order="left"),
        "evaluations": tables["evaluations"].filter(~pl.col("eval_id").is_in(ids)),
        "dimension_scores": tables["dimension_scores"].filter(~pl.col("eval_id").is_in(ids)),
        "dept_budgets": tables["dept_budgets"],
    }
    pr = tables["problems"].join(later, on=["region", "eval_year"], how="anti", maintain_order="left")
    published = pr.join(batches.select("region", "eval_year", "published_date"), on=["region", "eval_year"], how="left")
    u = pl.Series(rng.random(pr.height))
    syn, open_ = pl.col("synthetic"), pl.col("status").is_in([STATUSES[0], STATUSES[1]])
    done_after = syn & pl.col("closed_date").is_not_null() & (pl.col("closed_date") > as_of)
    reopen_on = as_of - dt.timedelta(days=15)
    reopened = syn & open_ & pl.col("due_date").is_not_null() & (u < 0.01) & (published["published_date"] <= reopen_on)
    moved = syn & open_ & pl.col("due_date").is_not_null() & (u >= 0.01) & (u < 0.05)
    moved &= pl.col("due_date").dt.offset_by("-3mo") > published["published_date"]
    unassigned = syn & pl.col("status").is_not_null() & (u >= 0.05) & (u < 0.055)
    out["problems"] = pr.with_columns(
        status=pl.when(reopened)
        .then(pl.lit(STATUSES[2]))
        .when(done_after)
        .then(pl.lit(STATUSES[1]))
        .otherwise(pl.col("status")),
        closed_date=pl.when(reopened)
        .then(pl.lit(reopen_on))
        .when(done_after)
        .then(None)
        .otherwise(pl.col("closed_date")),
        due_date=pl.when(moved).then(pl.col("due_date").dt.offset_by("-3mo")).otherwise(pl.col("due_date")),
        responsible_unit=pl.when(unassigned).then(None).otherwise(pl.col("responsible_unit")),
    )
    return {name: out[name] for name in tables}
