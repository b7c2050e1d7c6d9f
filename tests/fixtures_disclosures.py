"""A grade-only result list as city finance bureaus publish it: a table, not a report.

The shape of a 2022 city notice: 序号 | 主管部门 | 项目名称 | 资金量（万元） | 评价等级 — nine evaluations worth
17,815.56万元, eight 良 and one 中, no scores, no budget years, no report title, long official names.
`notice_rows()` is the list as copied from the page; `disclosure_tables()` is what an import of it with the
default region and evaluation year makes (types inferred from the names, a generated batch), written by hand.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from perfeval_dash.store import schema

REGION = "某某省某某市某某县某某镇（某某经济技术开发区管理委员会）"  # 27 characters, bracketed zone
EVAL_YEAR = 2022
TOTAL_WAN = 17_815.56
HEADERS = ("序号", "主管部门", "项目名称", "资金量（万元）", "评价等级")
GENERATED_TITLE = f"{REGION}{EVAL_YEAR}年重点绩效评价结果（导入时生成）"

# 主管部门, 项目名称, 资金量（万元）, 评价等级 as published (良好 / 良 / 中 / 一般 are all written somewhere)
_NOTICE = (
    ("某某市某某县农业农村和水利局（乡村振兴局）", "高标准农田建设项目", "3,200.00", "良好"),
    ("某某市某某县住房和城乡建设局（人民防空办公室）", "老旧小区改造提升项目", "2650.45", "良"),
    ("某某市某某县教育体育局（县委教育工作领导小组秘书组）", "义务教育薄弱环节改善与能力提升项目", "1980.30", "良"),
    ("某某市某某县卫生健康委员会（县中医药管理局）", "基层医疗卫生机构能力建设项目", "2400", "良好"),
    ("某某市某某县民政局（县老龄工作委员会办公室）", "民政局部门整体支出绩效评价", "1530.81", "良"),
    ("某某市某某县交通运输局（县公路事业发展中心）", "农村公路养护工程项目", "980.00", "中"),
    ("某某市某某县农业农村和水利局（乡村振兴局）", "农业产业化龙头企业扶持政策", "2105.60", "良"),
    ("某某市某某县生态环境分局（县环境监察大队）", "农村生活污水治理项目", "1688.40", "良好"),
    ("某某市某某县文化广电和旅游局（县文物局）", "公共文化服务体系建设项目", "1280.00", "良"),
)
GRADES = ("良", "良", "良", "良", "良", "中", "良", "良", "良")
TYPES = ("项目", "项目", "项目", "项目", "部门整体", "项目", "政策", "项目", "项目")
AMOUNTS = (3200.0, 2650.45, 1980.3, 2400.0, 1530.81, 980.0, 2105.6, 1688.4, 1280.0)


def notice_rows() -> list[tuple]:
    """The list as copied from the notice: header row, then one row per evaluation (序号 first)."""
    return [HEADERS, *((i, *row) for i, row in enumerate(_NOTICE, start=1))]


def notice_csv(grade_header: str = "评价等级") -> bytes:
    """The list as a UTF-8 CSV (Excel's 'CSV UTF-8'), with the grade column under `grade_header`."""
    buf = io.StringIO()
    w = csv.writer(buf)
    rows = notice_rows()
    w.writerow([grade_header if h == "评价等级" else h for h in rows[0]])
    w.writerows(rows[1:])
    return buf.getvalue().encode("utf-8-sig")


def disclosure_tables(source: str = "某某县2022年重点绩效评价结果公告") -> dict[str, pl.DataFrame]:
    """The nine evaluations in contract form: scores and budget years empty, one generated batch."""
    ev = [
        {
            "eval_id": f"notice-{EVAL_YEAR}-{i:02d}",
            "region": REGION,
            "eval_year": EVAL_YEAR,
            "budget_year": None,
            "budget_year_assumed": False,
            "eval_type": eval_type,
            "project_name": name,
            "department": dept,
            "evaluated_wan": amount,
            "score": None,
            "grade": grade,
            "grade_published": True,
            "source": source,
            "synthetic": False,
        }
        for i, ((dept, name, _, _), grade, eval_type, amount) in enumerate(
            zip(_NOTICE, GRADES, TYPES, AMOUNTS), start=1
        )
    ]
    batches = [
        {
            "region": REGION,
            "eval_year": EVAL_YEAR,
            "budget_year": None,
            "title": GENERATED_TITLE,
            "title_generated": True,
            "source": source,
            "synthetic": False,
        }
    ]
    raw = {"evaluations": ev, "batches": batches}
    return {
        name: schema.conform(
            name, pl.DataFrame(raw.get(name, []), schema=schema.TABLES[name].polars_schema, strict=False)
        )
        if name in raw
        else schema.empty_table(name)
        for name in schema.TABLES
    }
