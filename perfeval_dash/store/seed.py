"""The real records of the two seed reports (shared/seeds/), transcribed as published.

- 洛阳市西工区《西工区2023年重大政策和重点项目执行效果说明》: six evaluations of budget year 2022.
- 特克斯县《特克斯县2024年度重点项目绩效评价工作总结报告》: five evaluations of budget year 2024.

Rules of the transcription: texts are copied as published (typos included, e.g. 很据、系統、往务、诸水设施);
only the leading "1." of a problem is dropped. An amount, evaluator or status the report does not give is
None, never estimated. Nothing here is synthetic.
"""

from __future__ import annotations

import polars as pl

from perfeval_dash.domain.categories import classify
from perfeval_dash.store.schema import conform, empty_table

XIGONG_TITLE = "西工区2023年重大政策和重点项目执行效果说明"
TEKES_TITLE = "特克斯县2024年度重点项目绩效评价工作总结报告"

_XIGONG = {"region": "洛阳市西工区", "eval_year": 2023, "budget_year": 2022, "source": XIGONG_TITLE, "synthetic": False}
_TEKES = {"region": "特克斯县", "eval_year": 2024, "budget_year": 2024, "source": TEKES_TITLE, "synthetic": False}

_KAIQIAO = "河南凯桥会计师事务所有限公司"
_ZHENGYI = "河南正义评估咨询有限公司"

# ---------------------------------------------------------------------------------------------- batches

BATCHES: list[dict] = [
    {
        **_XIGONG,
        "title": XIGONG_TITLE,
        # "评价金额总计2525.95万元" for the six evaluations; not the sum of the per-project figures.
        "evaluated_total_wan": 2525.95,
        "recommendations": None,  # recommendations are given per evaluation
    },
    {
        **_TEKES,
        "title": TEKES_TITLE,
        "evaluated_total_wan": 8780.09,  # "共计评价金额8780.09万元"
        # 四、（一）改进措施 (1)–(5)
        "recommendations": "\n".join(
            [
                "（1）加强预算绩效管理工作，认真分析影响预算执行进度的因素，结合项目实际情况，做到预算编制的科学性、合理性、"
                "可行性等，提高预算编制的准确性。",
                "（2）完善绩效目标内容，根据项目性质、内容等，合理设置绩效目标，细化量化绩效指标。通过对项目效益目标的分析、"
                "分解，明确责任，为项目建设过程中相关政策的落实、资金的使用提供更有效的指导和保障。",
                "（3）对项目资金进行分类管理，项目单位加强专项资金核算管理，制定专项资金财务管理制度，规范资金拨付程序。"
                "加强对项目资金使用的监督检查，避免专项资金违规使用，防止专项资金大量长时间结余在项目执行部门而影响专项资金的"
                "预算执行率。",
                "（4）加强对项目实施的必要性和效果的了解，设置更合理可靠的目标，并据此进行收集和整理资料。",
                "（5）加强会计基础工作，严格按照《会计基础工作规范》、《政府会计制度》相关规定，获取真实、合法、有效的原始票据，"
                "严格执行单位内控管理制度，完善项目财务资料，规范经费报销手续，规范账务处理和会计核算业务，正确使用会计科目。",
            ]
        ),
    },
]

# ------------------------------------------------------------------------------------------ evaluations

EVALUATIONS: list[dict] = [
    # ---- 洛阳市西工区, in report order
    {
        **_XIGONG,
        "eval_id": "xigong-2023-01",
        "eval_type": "项目",
        "project_name": "樱桃沟综合性养老中心项目",
        "department": "红山街道办事处",
        "unit": "红山街道办事处",
        "evaluator": _KAIQIAO,
        "budget_wan": 912.87,
        "executed_wan": None,
        "evaluated_wan": None,
        "amount_basis": "总投资估算912.87万元（工程建设费用805.49、工程建设其他费用63.91、预备费43.47），"
        "未给出实际投资",
        "score": 90.97,
        "grade": "优",
        "grade_published": True,
        "recommendations": "加强资金使用管理，严格按照相关资金管理办法进行资金使用，确保审批手续齐全，使用过程合规。",
    },
    {
        **_XIGONG,
        "eval_id": "xigong-2023-02",
        "eval_type": "项目",
        "project_name": "枣园社区青年创客中心一期项目",
        "department": "红山街道办事处",
        "unit": "红山街道办事处",
        "evaluator": _KAIQIAO,
        "budget_wan": 760.0,
        "executed_wan": None,
        "evaluated_wan": None,
        "amount_basis": "预计投资760万元（工程费651.37、其他费用72.44、预备费36.19），未给出实际投资",
        "score": 91.61,
        "grade": "优",
        "grade_published": True,
        "recommendations": "\n".join(
            [
                "1.加强项目政策宣传，发挥办事处及社区的力量。按合同要求，及时向街道脱贫户及监测对象发放收益。及时对接承租方，"
                "并定期跟踪评价。加强项目资产后续管理，做好后期维护保修工作，合理延长相关设施的使用年限，提高项目的可持续性。"
                "注重项目资产的使用效率，降低房屋建筑物的空置率，最大限度青年创客中心一期项目的经济效能。",
                "2.加强资金筹措，按照合同条款履行付款义务，避免因款项支付不及时影响工程施工进度等违约风险。",
            ]
        ),
    },
    {
        **_XIGONG,
        "eval_id": "xigong-2023-03",
        "eval_type": "部门整体",
        "project_name": "洛阳市西工区人力资源和社会保障局2022年度部门整体支出绩效评价",
        "department": "洛阳市西工区人力资源和社会保障局",
        "unit": "洛阳市西工区人力资源和社会保障局",
        "evaluator": _KAIQIAO,
        "budget_wan": 1470.93,
        "executed_wan": 1294.61,
        "evaluated_wan": None,
        "amount_basis": "预算调整数1470.93万元（年初预算批复1101.72万元）/总支出1294.61万元",
        "score": 93.47,
        "grade": "优",
        "grade_published": True,
        "recommendations": "\n".join(
            [
                "1.加强部门绩效目标编制和预算绩效管理，构建绩效目标体系，选取能体现绩效评价对象特征的共性指标，"
                "设计具有可实现性、可考核性的个性绩效评价指标，做好下一年度绩效目标编制工作，从而形成更加科学的绩效评价指标体系。",
                "2.加强与各预算实施部门对预算编制工作的认知、提升预算预测能力，在年度部门预算编制时，根据资金申报、批复情况，"
                "将部门使用的，尽量纳入本年度部门预算中，提高预算编制的准确性，尽可能避免年中预算调整。",
            ]
        ),
    },
    {
        **_XIGONG,
        "eval_id": "xigong-2023-04",
        "eval_type": "项目",
        "project_name": "西工区应急指挥平台建设项目",
        "department": "西工区应急管理局",
        "unit": "西工区应急管理局",
        "evaluator": _ZHENGYI,
        "budget_wan": 262.8,
        "executed_wan": 258.7049,
        "evaluated_wan": None,
        "amount_basis": "计划投资262.8万元/实际投资258.7049万元",
        "score": 97.12,
        "grade": "优",
        "grade_published": True,
        "recommendations": "\n".join(
            [
                "1.提高设备利用率，建立长效管理机制。项目建设完成后硬件配套设施配备齐全，设备使用率较低，智能化突出性不明显，"
                "建议在条件允许的情况下，提高设备利用率，建立长效管理机制，在后续使用过程中及时发现不足之处，"
                "向其他地区优秀单位学习，加强投资，加强软件配套，真正达到智能化的目的，改善突发事件应急指挥及调度能力，"
                "保障人民群众生命安全和财产安全。",
                "2.规范应急预案的编制工作。需要安排专门的管理人员，根据单位的实际情况，科学的编制应急预案，"
                "保证应急预案的规范合理。在实际进行应急预案的编写时，要成立专门的小组来开展这项工作，"
                "对生产工作中存在的风险进行分析，并对目前单位中的应急措施和设备的进行评估，根据评估结果进行应急预案的编写，"
                "保证应急预案的完善性，编与完成后，待其通过审核后发布到单位的各个部门。",
            ]
        ),
    },
    {
        **_XIGONG,
        "eval_id": "xigong-2023-05",
        "eval_type": "项目",
        "project_name": "残疾儿童康复救助项目",
        "department": "西工区残疾人联合会",
        "unit": "西工区残疾人联合会",
        "evaluator": _ZHENGYI,
        "budget_wan": None,
        "executed_wan": 110.6,
        "evaluated_wan": None,
        "amount_basis": "未给出预算；共计支付资金110.6万元（中央32.29+省14.56+市30.992+区配套32.758）",
        "score": 92.0,
        "grade": "优",
        "grade_published": True,
        "recommendations": (
            "强化康复服务规范管理与质量控制，进一步提升康复救助水平，认真组织做好残疾儿童康复服务相关培训，"
            "强化康复服务规范管理与质量控制，切实提升康复服务能力，为残疾儿童提供安全、有效的基本康复服务。"
            "建立常规督导和抽查督导相结合的督导检查机制，对行政区域内的机构进行常态化督导检查。"
        ),
    },
    {
        **_XIGONG,
        "eval_id": "xigong-2023-06",
        "eval_type": "项目",
        "project_name": "红山办张岭、王村沟安全饮水工程",
        "department": "红山街道办事处",
        "unit": "红山街道办事处",
        "evaluator": _ZHENGYI,
        "budget_wan": 240.43,  # 116.55 + 123.88
        "executed_wan": 238.72,  # 116.24 + 122.48
        "evaluated_wan": None,
        "amount_basis": "两个子项目合计：预算116.55+123.88，实际116.24+122.48（张岭社区/王沟村工程总价）",
        "score": 90.46,
        "grade": "优",
        "grade_published": True,
        "recommendations": "\n".join(
            [
                "1.建立完善的管理机制。要制定健全的饮水安全管理办法和规章制度，建立饮水安全工作组织机构，明确责任、权利和往务。"
                "同时，要加强对饮用水水源地、井口及存水设施的日常巡查和管理，确保水源地周围的环境卫生。",
                "2.加强建设和维护水利设施。要加强对水井、水泵、管道和诸水设施等设施的维护和保养，同时定期进行检测和维修，"
                "确保饮水工程的正常运行，农田水利设施的维护保养是保障设施长期有效运行的重要措施，定期检查灌溉管道、"
                "水泵等设备的状况，进行清洗和维修，保持设备的正常功能。同时要加强水质监测工作，定期进行检验和评估，"
                "对出现的问题及时采取措施，保证饮用水的安全和卫生。",
            ]
        ),
    },
    # ---- 特克斯县, in report order ("项目资金：预算X万元，执行Y万元"); the report names no evaluator
    {
        **_TEKES,
        "eval_id": "tekes-2024-01",
        "eval_type": "项目",
        "project_name": "2024年基层民政工作经办能力项目",
        "department": "特克斯县民政局",
        "unit": "特克斯县民政局",
        "evaluator": None,
        "budget_wan": 123.77,
        "executed_wan": 123.77,
        "evaluated_wan": None,
        "amount_basis": "项目资金：预算123.77万元，执行123.77万元",
        "score": 97.17,
        "grade": "优",
        "grade_published": True,
        "recommendations": None,
    },
    {
        **_TEKES,
        "eval_id": "tekes-2024-02",
        "eval_type": "项目",
        "project_name": "2024年自治区彩票公益金残疾人事业发展资金项目",
        "department": "特克斯县残疾人联合会",
        "unit": "特克斯县残疾人联合会",
        "evaluator": None,
        "budget_wan": 55.03,
        "executed_wan": 55.03,
        "evaluated_wan": None,
        "amount_basis": "项目资金：预算55.03万元，执行55.03万元",
        "score": 94.8,
        "grade": "优",
        "grade_published": True,
        "recommendations": None,
    },
    {
        **_TEKES,
        "eval_id": "tekes-2024-03",
        "eval_type": "项目",
        "project_name": "2024年特克斯县县级地方储备及应急成品粮油费用补贴项目",
        "department": "特克斯县发展和改革委员会",
        "unit": "特克斯县发展和改革委员会",
        "evaluator": None,
        "budget_wan": 251.99,
        "executed_wan": 251.99,
        "evaluated_wan": None,
        "amount_basis": "项目资金：预算251.99万元，执行251.99万元",
        "score": 96.07,
        "grade": "优",
        "grade_published": True,
        "recommendations": None,
    },
    {
        **_TEKES,
        "eval_id": "tekes-2024-04",
        "eval_type": "项目",
        "project_name": "2024年特克斯第一小学债券项目",
        "department": "特克斯县教育局",
        "unit": "特克斯县教育局",
        "evaluator": None,
        "budget_wan": 1000.0,
        "executed_wan": 1000.0,
        "evaluated_wan": None,
        "amount_basis": "项目资金：预算1000万元，执行1000万元",
        "score": 93.61,
        "grade": "优",
        "grade_published": True,
        "recommendations": None,
    },
    {
        **_TEKES,
        "eval_id": "tekes-2024-05",
        "eval_type": "部门整体",
        "project_name": "2024年人力资源和社会保障局部门整体支出绩效评价",
        "department": "特克斯县人力资源和社会保障局",
        "unit": "特克斯县人力资源和社会保障局",
        "evaluator": None,
        "budget_wan": 7349.3,
        "executed_wan": 7349.3,
        "evaluated_wan": None,
        "amount_basis": "项目资金：预算7349.3万元，执行7349.3万元",
        "score": 92.49,
        "grade": "优",
        "grade_published": True,
        "recommendations": None,
    },
]

# ------------------------------------------------------------------------------------- dimension_scores
# Only 特克斯县人社局 publishes dimension scores. 西工区 names 投入/过程/产出/效果 but gives no figures.

DIMENSION_SCORES: list[dict] = [
    {"eval_id": "tekes-2024-05", "dimension": "部门决策", "weight": 15.0, "score": 14.0},
    {"eval_id": "tekes-2024-05", "dimension": "部门管理", "weight": 25.0, "score": 22.0},
    {"eval_id": "tekes-2024-05", "dimension": "部门绩效", "weight": 60.0, "score": 56.49},
]

# --------------------------------------------------------------------------------------------- problems
# 西工区: each numbered 存在的主要问题 item of an evaluation. 特克斯县: the batch's 共性问题 (三、评价情况分析),
# eval_id None. Category is not stored here: seed_tables() assigns it with categories.classify().
# Neither report gives rectification follow-up, so recommendation/responsible_unit/due_date/status stay None.

_XIGONG_P = {k: _XIGONG[k] for k in ("region", "eval_year", "source", "synthetic")}
_TEKES_P = {k: _TEKES[k] for k in ("region", "eval_year", "source", "synthetic")}

PROBLEMS: list[dict] = [
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-01-P1",
        "eval_id": "xigong-2023-01",
        "description": "工程预付款支付时间早于中标通知书发放及施工合同签订时间。"
        "该项目于2022年6月29日预付工程款170.00万元，"
        "但项目中标通知书发放及施工合同签订时间2022年7月4日，未签订工程施工合同先行付款，"
        "不符合相关资金管理使用办法。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-02-P1",
        "eval_id": "xigong-2023-02",
        "description": "未按合同约定履行支付进度。根据与施工单位签订的工程施工合同约定，工程主体完工后付至工程款的90%，"
        "该部分计划以社区自筹资金予以支付。项目2022年11月20日竣工，并于2022年11月27日通过工程验收，"
        "但未按照合同条款约定按工程节点支付款项。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-03-P1",
        "eval_id": "xigong-2023-03",
        "description": "预算绩效管理工作不够完善，绩效目标设置不够细化完整。如：设置的整体目标未细化全年的工作目标等。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-03-P2",
        "eval_id": "xigong-2023-03",
        "description": "洛阳市西工区人力资源和社会保障局财务部门与各预算实施部门对预算工作的编制、年中预算调整偏高，"
        "预算调整率为17.97%。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-04-P1",
        "eval_id": "xigong-2023-04",
        "description": "系统功能开通不完善。应急管理信息化系统缺乏一些必要的功能例如指挥调度、资源调配等功能。"
        "需完善功能很据实际需求，针对不同应急管理阶段的需求，完善应急管理信息化系统的功能，"
        "确保系統能够满足实际应急工作的需要。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-04-P2",
        "eval_id": "xigong-2023-04",
        "description": "数据集成困难。目前应急管理信息化系统无法与其他相关系统进行数据共享和集成，导致信息不流通、"
        "数据重复录入等问题。需加强数据共享和集成，制定相关标准和规范，推动各相关系统间的数据集成和共享，"
        "提高应急管理信息化系统的数据互通性。",
    },
    {
        # one unnumbered paragraph in the report; kept whole (its run-on "待强化虽然" is as published)
        **_XIGONG_P,
        "problem_id": "xigong-2023-05-P1",
        "eval_id": "xigong-2023-05",
        "description": "残疾儿童救助力度不足，康复服务规范管理与质量控制待强化虽然残疾儿童救助工作进展比较顺利，"
        "但离预期目标任务还有一些差距，缺乏后续工作跟进，对残疾儿童及家庭心理疏导不到位，"
        "如极个别家长对残疾儿童关心不够，已被筛选上了却对是否参加康复训练抱着无所谓的态度等。"
        "康复服务规范管理与质量控制水平有待提升，对残疾儿童的救助方式和康复服务不够科学系统，"
        "督导检查机制不完善，对行政区域内的机构缺少常态化督导检查。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-06-P1",
        "eval_id": "xigong-2023-06",
        "description": "水源保护不严，通过现场考察，一些地方的水源周边环境脏乱差，存在着一些生活垃圾，"
        "严重影响了水质的安全性，为了保障饮水安全工程设施的正常运行，需要加强对设备设施的管理和维护。",
    },
    {
        **_XIGONG_P,
        "problem_id": "xigong-2023-06-P2",
        "eval_id": "xigong-2023-06",
        "description": "运行维护不到位，管理维护人员不到位，对设备设施的维护不及时，"
        "导致设备部分生锈，影响了水质的安全性。"
        "为了保障饮水安全工程设施的正常运行，需要加强对设备设施的管理和维护，建立定期检查、保养、维修制度，"
        "确保设备的长期稳定运行。建立健全的管理团队，加强员工的维修，操作技能培训，提高管理水平。",
    },
    # ---- 特克斯县 共性问题: （一）绩效目标设置及考核方面
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B01",
        "eval_id": None,
        "description": "部分单位仍存在绩效目标设置不够细化、明晰，导致在收集和提供绩效评价指标资料过程中，方向不明确、"
        "提供资料的相关性差；绩效目标与绩效自评价工作衔接不畅。",
    },
    # （二）资金管理方面
    {
        # the published item ends with a suggestion ("建议项目单位……"); kept in the description as published
        **_TEKES_P,
        "problem_id": "tekes-2024-B02",
        "eval_id": None,
        "description": "未制定专项资金管理办法，或提供的专项资金管理办法规定与目前情况不符；未进行专账核算，"
        "项目资金有多方来源时，不能完整的反映。不便于对项目整体资金来源和使用情况的归集、核算、考核；"
        "建议项目单位由批复确定的建设单位对项目进行整体核算，包括：资金来源、成本归集、财务决算及结转固定资产，"
        "特别是下达到乡镇或村的资金部分。",
    },
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B03",
        "eval_id": None,
        "description": "项目主管部门对下达到乡镇或村级的资金使用情况未完善履行监督管理的办法、未明确奖惩机制，"
        "往往会造成“令不行禁不止”的结果。",
    },
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B04",
        "eval_id": None,
        "description": "部分项目存在预算申报资金比较大的问题，不利于县预算资金的统筹管理。",
    },
    # （三）工程项目管理方面
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B05",
        "eval_id": None,
        "description": "项目实施与项目立项批复不一致，未履行重新审批程序。",
    },
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B06",
        "eval_id": None,
        "description": "部分项目管理单位过程管理档案资料不规范。单位未明确档案管理的部门、人员、职责，"
        "导致项目竣工验收后不能提供过程管理档案资料。",
    },
    {
        **_TEKES_P,
        "problem_id": "tekes-2024-B07",
        "eval_id": None,
        "description": "基建项目竣工验收后，未进行财务竣工决算，未按规定程序结转固定资产。",
    },
]


def _frame(name: str, rows: list[dict]) -> pl.DataFrame:
    if not rows:
        return empty_table(name)
    return conform(name, pl.DataFrame(rows, infer_schema_length=None))


def seed_tables() -> dict[str, pl.DataFrame]:
    """All five tables of the seed records, cast to the contract (dept_budgets is empty: no real figures)."""
    problems = [{**p, "category": classify(p["description"])} for p in PROBLEMS]
    return {
        "evaluations": _frame("evaluations", EVALUATIONS),
        "dimension_scores": _frame("dimension_scores", DIMENSION_SCORES),
        "problems": _frame("problems", problems),
        "dept_budgets": empty_table("dept_budgets"),
        "batches": _frame("batches", BATCHES),
    }
