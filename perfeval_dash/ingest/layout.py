"""The import sheets' layout, declared once: per table the columns users fill, how each is read, and defaults."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import polars as pl

from perfeval_dash.ingest import parsing
from perfeval_dash.store import schema
from perfeval_dash.store.schema import Column

GUIDE_SHEET = "说明"
TABLE_ORDER = ("evaluations", "dimension_scores", "problems", "dept_budgets", "batches")

# Columns that are not in the contract: they let a row name its evaluation by (地区, 评价年度, 项目名称)
# instead of by 评价编号. Their names double as the English headers accepted in CSV files.
_LINK_REGION = Column(
    "region",
    pl.String,
    "地区",
    "所属评价的地区（不填评价编号时，与评价年度、项目名称一起指明评价）",
    example="特克斯县",
)
_LINK_YEAR = Column("eval_year", pl.Int32, "评价年度", "所属评价的评价年度（不填评价编号时使用）", example="2024")
_LINK_PROJECT = Column(
    "project_name",
    pl.String,
    "项目名称",
    "所属评价的项目名称（不填评价编号时，与地区、评价年度一起指明评价）",
    example="2024年基层民政工作经办能力项目",
)
_LINKS: dict[str, tuple[tuple[str, tuple[Column, ...]], ...]] = {
    # table -> (insert after column, link columns)
    "dimension_scores": (("eval_id", (_LINK_REGION, _LINK_YEAR, _LINK_PROJECT)),),
    "problems": (("eval_year", (_LINK_PROJECT,)),),
}

# (table, column) -> what the importer does when the cell is empty; these columns are optional in the sheet
# even where the contract requires them, because the importer fills them.
DEFAULTS: dict[tuple[str, str], str] = {
    ("evaluations", "eval_id"): "留空时按 地区+评价年度+项目名称 沿用现有评价的编号，没有则自动生成",
    ("evaluations", "budget_year_assumed"): "留空为“否”；导入时选择“按评价年度−1 推定”时，"
    "预算年度为空的行填评价年度−1 并记为“是”",
    ("evaluations", "eval_type"): "留空时按项目名称推断（含“部门整体”为部门整体，含“政策”为政策，否则为项目），"
    "逐行提示",
    ("evaluations", "grade"): "留空时按得分计算等级，并记“等级为原文公布”为否；得分和等级不能都为空",
    ("evaluations", "grade_published"): "留空时：填了评价等级为“是”，否则为“否”",
    ("batches", "title_generated"): "留空为“否”",
    ("dimension_scores", "eval_id"): "可留空，改填 地区+评价年度+项目名称",
    ("problems", "problem_id"): "留空时按 地区+评价年度+所属评价+问题描述 沿用现有问题的编号，没有则自动生成",
    ("problems", "eval_id"): "留空且项目名称也留空 = 整批评价的共性问题；也可只填项目名称",
    ("problems", "category"): "留空时按关键词规则自动归类（规则见 categories.py）",
}
_ANY_TABLE_DEFAULTS = {
    "source": "留空时填导入的文件名",
    "synthetic": "留空为“否”（真实记录）",
}
# Columns an import may fill from values given with the upload (lists copied from a web page often lack them);
# they stay required in the sheet: without the column or the default the import says which is missing.
IMPORT_DEFAULTS: dict[str, str] = {
    "region": "默认地区",  # web: an input on the upload form; CLI: --region
    "eval_year": "默认评价年度",  # web: an input on the upload form; CLI: --eval-year
}
IMPORT_DEFAULT_HOW = {
    "region": "网页上传表单的“默认地区”，命令行 --region",
    "eval_year": "网页上传表单的“默认评价年度”，命令行 --eval-year",
}
# Headers real result lists use for template columns (Chinese headers of copied tables), per table;
# matched after header_key(), so units in brackets (资金量（万元）) are already removed.
HEADER_SYNONYMS: dict[str, dict[str, str]] = {
    "evaluations": {
        "资金量": "evaluated_wan",
        "评价资金": "evaluated_wan",
        "评价结果": "grade",
        "绩效评价结果": "grade",
        "等级": "grade",
        "预算单位": "department",
        "单位名称": "department",
    },
}
# Headers of columns that carry nothing to import (row numbers of a copied table): ignored without a warning.
IGNORED_HEADERS = ("序号",)


@dataclass(frozen=True)
class Field:
    """One column of an import sheet: the contract (or link) column, whether the sheet needs it, how to read it."""

    table: str
    column: Column
    required: bool
    kind: str  # text, year, amount, score, date, bool, grade, status, eval_type, application
    link: bool = False
    default: str = ""

    @property
    def header(self) -> str:
        """The column's name as the template writes it: amounts carry their unit, e.g. 预算金额（万元）."""
        unit = self.column.unit
        return f"{self.column.header}（{unit}）" if unit == "万元" else self.column.header

    @property
    def name(self) -> str:
        return self.column.name

    @property
    def unit(self) -> str | None:
        return self.column.unit

    @property
    def allowed(self) -> tuple[str, ...] | None:
        if self.kind == "bool":
            return ("是", "否")
        return self.column.allowed

    @property
    def dtype(self) -> pl.DataType:
        return self.column.dtype() if isinstance(self.column.dtype, type) else self.column.dtype


def _kind(col: Column) -> str:
    if col.name == "grade":
        return "grade"
    if col.name == "status":
        return "status"
    if col.name == "eval_type":
        return "eval_type"
    if col.name == "application":
        return "application"
    dtype = col.dtype() if isinstance(col.dtype, type) else col.dtype
    if dtype == pl.Int32:
        return "year"
    if dtype == pl.Date:
        return "date"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.Float64:
        return "amount" if col.unit == "万元" else "score"
    return "text"


PARSERS = {
    "text": parsing.parse_text,
    "year": parsing.parse_year,
    "amount": parsing.parse_amount,
    "score": parsing.parse_score,
    "date": parsing.parse_date,
    "bool": parsing.parse_bool,
    "grade": parsing.parse_grade,
    "status": parsing.parse_status,
    "eval_type": parsing.parse_eval_type,
    "application": parsing.parse_application,
}


@cache
def fields(table: str) -> tuple[Field, ...]:
    """The columns of a table's import sheet, in sheet order (columns the store keeps itself are never imported)."""
    out: list[Field] = []
    links = dict(_LINKS.get(table, ()))
    for col in (c for c in schema.TABLES[table].columns if not c.kept):
        default = DEFAULTS.get((table, col.name)) or _ANY_TABLE_DEFAULTS.get(col.name, "")
        required = col.required and not default
        out.append(Field(table, col, required, _kind(col), default=default or _import_default(col.name)))
        for link in links.get(col.name, ()):
            out.append(Field(table, link, False, _kind(link), link=True, default=_import_default(link.name)))
    return tuple(out)


def _import_default(name: str) -> str:
    if name not in IMPORT_DEFAULTS:
        return ""
    return f"可在导入时指定{IMPORT_DEFAULTS[name]}（{IMPORT_DEFAULT_HOW[name]}），留空的行取该值"


def header_key(text: object) -> str:
    """A header reduced for matching: full-width folded, spaces, '*' and a trailing （单位） removed, lower case."""
    s = unicodedata.normalize("NFKC", str(text or "")).strip()
    s = re.sub(r"\s+", "", s).replace("*", "")
    s = re.sub(r"\((万元|元|分|%|是/否|YYYY-MM-DD|yyyy-mm-dd)\)$", "", s)
    return s.lower()


@cache
def _headers(table: str) -> dict[str, Field]:
    out = {}
    for f in fields(table):
        out.setdefault(f.name.lower(), f)
        out[header_key(f.header)] = f
    by_name = {f.name: f for f in fields(table)}
    for synonym, name in HEADER_SYNONYMS.get(table, {}).items():
        out.setdefault(header_key(synonym), by_name[name])
    return out


def match_field(table: str, header: object) -> Field | None:
    """The field a header names (Chinese header, a synonym real lists use, or the contract's English name), or None."""
    return _headers(table).get(header_key(header))


def ignored_header(header: object) -> bool:
    """True for a header whose column carries nothing to import (序号): skipped without a warning."""
    return header_key(header) in {header_key(h) for h in IGNORED_HEADERS}


def table_for_sheet(sheet_name: str) -> str | None:
    """The table a sheet (or CSV file stem) stands for: its Chinese sheet name or English table name."""
    key = header_key(sheet_name)
    for name, table in schema.TABLES.items():
        if key in (header_key(table.header), name):
            return name
    return None


def display_table(name: str) -> str:
    """'评价结果' for 'evaluations'."""
    return schema.TABLES[name].header


def header_of(table: str, column: str) -> str:
    """The Chinese header of a column (contract or link); the name itself when unknown."""
    for f in fields(table):
        if f.name == column:
            return f.header
    return column
