"""The data contract: tables, columns, types, units, accepted values, and the checks run before publishing."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import polars as pl

from perfeval_dash.domain.rules import ASSUMED_BUDGET_YEAR_LAG, grade_expr
from perfeval_dash.domain.vocab import APPLICATIONS, EVAL_TYPES, EVENT_KINDS, GRADES, NOT_RECORDED, STATUSES

SCHEMA_VERSION = 2  # 2: problem_events, original_due_date, published_date, 结果应用 columns


# An Excel cell holds at most 32,767 characters, counted as Excel counts them (UTF-16 code units: a character
# outside the Basic Multilingual Plane, e.g. 𠀀, counts twice). Longer text would be cut when a table is
# exported to Excel or to the import template, so the contract refuses it in every text column.
EXCEL_CELL_MAX_CHARS = 32_767
# OWASP CSV injection: a spreadsheet evaluates a cell that starts with one of these; our CSV downloads prefix such
# text with a single quote (INERT_QUOTE) and the import takes that quote off again, so a download re-imports exactly.
CSV_FORMULA_START = r"^[=+\-@\t\r]"
INERT_QUOTE = "'"
_ASTRAL = r"[\x{10000}-\x{10FFFF}]"


@dataclass(frozen=True)
class Column:
    """One column of the contract: name, polars dtype, Chinese header, meaning, unit, rules."""

    name: str
    dtype: type[pl.DataType] | pl.DataType
    header: str  # Chinese header used in the UI, Excel template and exports
    description: str
    required: bool = False
    unit: str | None = None
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    example: str = ""
    # what a snapshot written before this column existed holds in it (None: NULL); a required column added
    # later needs a value here, so old snapshots still read and re-publish
    missing: object = None
    kept: bool = False  # written by the store when it publishes; never imported or typed by users


@dataclass(frozen=True)
class Table:
    """One table of a snapshot: columns, primary key, and references to other tables."""

    name: str
    header: str  # Chinese sheet name
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # (local columns, other table, other columns); a row whose local columns are all set must match
    references: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = field(default=())
    kept: bool = False  # the whole table is written by the store when it publishes (never imported)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}


_SYN = Column("synthetic", pl.Boolean, "模拟数据", "是 = 演示用模拟数据；否 = 真实记录", required=True, example="false")
_REGION = Column("region", pl.String, "地区", "开展评价的地区（本级政府）", required=True, example="特克斯县")
_EVAL_YEAR = Column(
    "eval_year",
    pl.Int32,
    "评价年度",
    "开展并发布评价的年度",
    required=True,
    min_value=2000,
    max_value=2100,
    example="2024",
)
_BUDGET_YEAR = Column(
    "budget_year",
    pl.Int32,
    "预算年度",
    "被评价资金所属的预算年度（常为评价年度−1）；原文未注明时留空",
    min_value=2000,
    max_value=2100,
    example="2023",
)
_SOURCE = Column(
    "source",
    pl.String,
    "来源文件",
    "记录所依据的文件（报告标题或导入文件名）",
    example="特克斯县2024年度重点项目绩效评价工作总结报告",
)

EVALUATIONS = Table(
    "evaluations",
    "评价结果",
    "每条重点绩效评价一行",
    (
        Column(
            "eval_id", pl.String, "评价编号", "稳定的评价编号（字母、数字、-）", required=True, example="tekes-2024-01"
        ),
        _REGION,
        _EVAL_YEAR,
        _BUDGET_YEAR,
        Column(
            "budget_year_assumed",
            pl.Boolean,
            "预算年度为推定",
            "是 = 原文未注明预算年度，导入时按用户选择以评价年度−1 推定；预算年度为空时必须为否",
            required=True,
            example="false",
            missing=False,
        ),
        Column(
            "eval_type",
            pl.String,
            "评价类型",
            "项目支出 / 部门整体支出 / 政策评价",
            required=True,
            allowed=EVAL_TYPES,
            example=EVAL_TYPES[0],
        ),
        Column(
            "project_name",
            pl.String,
            "项目名称",
            "被评价的项目、部门整体或政策名称",
            required=True,
            example="2024年基层民政工作经办能力项目",
        ),
        Column(
            "department",
            pl.String,
            "主管部门",
            "预算主管部门（20%覆盖率按此统计）",
            required=True,
            example="特克斯县民政局",
        ),
        Column("unit", pl.String, "实施单位", "实施单位 / 项目单位", example="特克斯县民政局"),
        Column(
            "evaluator",
            pl.String,
            "评价机构",
            "开展评价的机构（第三方或财政局）",
            example="河南凯桥会计师事务所有限公司",
        ),
        Column(
            "budget_wan", pl.Float64, "预算金额", "预算（或计划投资）金额", unit="万元", min_value=0, example="123.77"
        ),
        Column(
            "executed_wan", pl.Float64, "执行金额", "实际执行（支出）金额", unit="万元", min_value=0, example="123.77"
        ),
        Column(
            "evaluated_wan",
            pl.Float64,
            "评价金额",
            "纳入评价的金额；未给出时按预算金额计",
            unit="万元",
            min_value=0,
            example="",
        ),
        Column(
            "amount_basis",
            pl.String,
            "金额口径",
            "原文给出金额的方式（如 总投资估算、计划投资/实际投资）",
            example="项目资金：预算/执行",
        ),
        Column(
            "score",
            pl.Float64,
            "评价得分",
            "总分，0–100；只公布等级时留空（不按等级推算得分）",
            unit="分",
            min_value=0,
            max_value=100,
            example="97.17",
        ),
        Column(
            "grade",
            pl.String,
            "评价等级",
            "原文公布的等级；未公布时按分数计算（得分和等级至少有一项）",
            required=True,
            allowed=GRADES,
            example=GRADES[0],
        ),
        Column(
            "grade_published",
            pl.Boolean,
            "等级为原文公布",
            "是 = 等级取自原文；否 = 按分数段计算",
            required=True,
            example="true",
        ),
        Column(
            "recommendations", pl.String, "结果应用建议", "原文对该评价给出的结果应用 / 整改建议（整段）", example=""
        ),
        Column(
            "application",
            pl.String,
            "结果应用",
            f"评价结果在下一年度预算中的实际运用；为空表示{NOT_RECORDED}（不等于未应用）",
            allowed=APPLICATIONS,
            example=APPLICATIONS[2],
        ),
        Column(
            "application_wan",
            pl.Float64,
            "结果应用涉及金额",
            "结果应用涉及的金额（如核减、暂停或取消的金额）",
            unit="万元",
            min_value=0,
            example="12.5",
        ),
        Column(
            "application_year",
            pl.Int32,
            "结果应用预算年度",
            "结果应用所在的预算年度（常为评价年度+1）",
            min_value=2000,
            max_value=2100,
            example="2025",
        ),
        _SOURCE,
        _SYN,
    ),
    key=("eval_id",),
    references=((("region", "eval_year"), "batches", ("region", "eval_year")),),
)

DIMENSION_SCORES = Table(
    "dimension_scores",
    "维度得分",
    "评价的一级指标得分（名称、权重、得分）",
    (
        Column("eval_id", pl.String, "评价编号", "所属评价", required=True, example="tekes-2024-05"),
        Column(
            "dimension",
            pl.String,
            "一级指标",
            "如 决策/过程/产出/效益，部门决策/部门管理/部门绩效",
            required=True,
            example="部门决策",
        ),
        Column(
            "weight",
            pl.Float64,
            "权重",
            "该维度满分",
            required=True,
            unit="分",
            min_value=0,
            max_value=100,
            example="15",
        ),
        Column(
            "score",
            pl.Float64,
            "得分",
            "该维度得分（不超过权重）",
            required=True,
            unit="分",
            min_value=0,
            max_value=100,
            example="14",
        ),
    ),
    key=("eval_id", "dimension"),
    references=((("eval_id",), "evaluations", ("eval_id",)),),
)

PROBLEMS = Table(
    "problems",
    "问题整改",
    "评价发现的问题及整改跟踪；eval_id 为空表示整批评价的共性问题",
    (
        Column("problem_id", pl.String, "问题编号", "稳定的问题编号", required=True, example="tekes-2024-P01"),
        Column("eval_id", pl.String, "评价编号", "所属评价；为空表示该地区该年度整批评价的共性问题", example=""),
        _REGION,
        _EVAL_YEAR,
        Column(
            "category",
            pl.String,
            "问题类别",
            "共性问题类别（按关键词规则归类，见 categories.py）",
            required=True,
            example="资金管理",
        ),
        Column("description", pl.String, "问题描述", "存在的主要问题（原文）", required=True, example=""),
        Column("recommendation", pl.String, "整改建议", "针对该问题的整改建议", example=""),
        Column("responsible_unit", pl.String, "整改责任单位", "负责整改的单位", example=""),
        Column("due_date", pl.Date, "整改期限", "整改截止日期", example="2025-06-30"),
        Column(
            "original_due_date",
            pl.Date,
            "原定整改期限",
            "系统在发布时记录：首次出现时的整改期限；只在与现行整改期限不同时记录（为空 = 从未改期），不可导入",
            kept=True,
        ),
        Column(
            "status",
            pl.String,
            "整改状态",
            " → ".join(STATUSES[:3]) + f"（→ {STATUSES[3]}）；为空表示无整改跟踪记录",
            allowed=STATUSES,
            example=STATUSES[1],
        ),
        Column("closed_date", pl.Date, "完成日期", "整改完成（或销号）日期", example=""),
        _SOURCE,
        _SYN,
    ),
    key=("problem_id",),
    references=(
        (("eval_id",), "evaluations", ("eval_id",)),
        (("region", "eval_year"), "batches", ("region", "eval_year")),
    ),
)

DEPT_BUDGETS = Table(
    "dept_budgets",
    "部门预算",
    "各部门年度项目预算总额：20%覆盖率的分母",
    (
        _REGION,
        replace(_BUDGET_YEAR, description="部门年度项目预算所属的预算年度", required=True),
        Column("department", pl.String, "主管部门", "预算主管部门", required=True, example="特克斯县民政局"),
        Column(
            "project_budget_wan",
            pl.Float64,
            "年度项目预算总额",
            "该部门该年度项目支出预算总额",
            required=True,
            unit="万元",
            min_value=0,
            example="2500",
        ),
        _SOURCE,
        _SYN,
    ),
    key=("region", "budget_year", "department"),
)

BATCHES = Table(
    "batches",
    "评价批次",
    "每份公布的评价报告（地区 + 评价年度）一行",
    (
        _REGION,
        _EVAL_YEAR,
        _BUDGET_YEAR,
        Column(
            "title",
            pl.String,
            "报告标题",
            "报告标题",
            required=True,
            example="特克斯县2024年度重点项目绩效评价工作总结报告",
        ),
        Column(
            "title_generated",
            pl.Boolean,
            "标题为导入时生成",
            "是 = 导入的评价没有对应批次，标题由导入程序生成；以后导入含报告标题的批次行会替换它",
            required=True,
            example="false",
            missing=False,
        ),
        Column(
            "evaluated_total_wan",
            pl.Float64,
            "公布评价金额合计",
            "报告公布的本批评价金额合计（可能不等于逐项之和）",
            unit="万元",
            min_value=0,
            example="8780.09",
        ),
        Column(
            "published_date",
            pl.Date,
            "公布日期",
            "评价结果公布（印发）的日期；问题账龄从此日算起，为空表示未知",
            example="2024-07-01",
        ),
        Column("recommendations", pl.String, "整批改进措施", "报告针对整批评价提出的改进措施（整段）", example=""),
        _SOURCE,
        _SYN,
    ),
    key=("region", "eval_year"),
)

PROBLEM_EVENTS = Table(
    "problem_events",
    "整改变化记录",
    "系统在每次发布时与上一当前快照比较问题表，记录每个问题的新发现、状态、期限、完成日期、责任单位变化和移除；"
    "整张表随每个新快照带入新快照并追加新记录，不可导入",
    (
        Column("snapshot_id", pl.String, "记录快照", "记录该变化的快照编号（发布顺序）", required=True),
        Column("problem_id", pl.String, "问题编号", "发生变化的问题", required=True),
        Column("kind", pl.String, "变化", "变化的类别", required=True, allowed=EVENT_KINDS),
        Column("old_value", pl.String, "原值", "变化前的值（日期为 YYYY-MM-DD；为空表示无）"),
        Column("new_value", pl.String, "新值", "变化后的值（日期为 YYYY-MM-DD；为空表示无）"),
        Column("effective_date", pl.Date, "生效日期", "记录该变化的快照的数据截至日", required=True),
        Column("source", pl.String, "来源", "带来该变化的导入文件或操作"),
        Column("actor", pl.String, "记录人", f"发布者（登录用户）；为空表示{NOT_RECORDED}"),
        Column("note", pl.String, "说明", "改期原因或证明材料说明（网页更新时填写）"),
        Column("eval_id", pl.String, "评价编号", "问题所属评价（为空 = 整批共性问题）"),
        _REGION,
        _EVAL_YEAR,
        _SYN,
    ),
    key=("snapshot_id", "problem_id", "kind"),
    kept=True,
)

# The tables users supply (import, template, demo, seed) and the tables the store keeps itself when it publishes.
TABLES: dict[str, Table] = {t.name: t for t in (EVALUATIONS, DIMENSION_SCORES, PROBLEMS, DEPT_BUDGETS, BATCHES)}
KEPT_TABLES: dict[str, Table] = {PROBLEM_EVENTS.name: PROBLEM_EVENTS}
ALL_TABLES: dict[str, Table] = TABLES | KEPT_TABLES
_SQL_TYPES = {
    pl.String: "VARCHAR",
    pl.Int32: "INTEGER",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
    pl.Date: "DATE",
}


def sql_type(column: Column) -> str:
    """The DuckDB type of a contract column."""
    dtype = column.dtype if isinstance(column.dtype, type) else type(column.dtype)
    return _SQL_TYPES[dtype]


@dataclass(frozen=True)
class Finding:
    """One problem found in data: where (a contract table, or an imported file and sheet), row, column, value, why.

    The one finding type of the product: contract checks name the table (row = 1-based position); import checks
    name the file and sheet (row = the row number Excel shows, column = its header).
    """

    table: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    severity: str = "error"  # "error" blocks publishing, "warning" does not
    file: str | None = None
    sheet: str | None = None

    def _where(self) -> list[str]:
        if self.file is not None:
            where = [self.file] + ([f"工作表「{self.sheet}」"] if self.sheet else [])
        else:
            where = [f"表「{TABLES[self.table].header if self.table in TABLES else self.table}」"]
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"列「{self.column if self.file is not None else self._column_header()}」")
        return where

    def _column_header(self) -> str:
        """The contract column(s) named in Chinese ('地区、评价年度' for a key of two)."""
        table = TABLES.get(self.table)
        names = {c.name: c.header for c in table.columns} if table else {}
        return "、".join(names.get(c, c) for c in str(self.column).split("、"))

    def __str__(self) -> str:
        value = "" if self.value is None or self.value == "" else f"，值「{self.value}」"
        return f"{'错误' if self.severity == 'error' else '警告'}：{' '.join(self._where())}{value}：{self.message}"

    def as_row(self) -> dict:
        """A dict with Chinese keys for tables in the UI."""
        return {
            "级别": "错误" if self.severity == "error" else "警告",
            "文件": self.file or "",
            "工作表": self.sheet or (TABLES[self.table].header if self.table in TABLES else ""),
            "行": self.row,
            "列": self.column or "",
            "值": "" if self.value is None else str(self.value),
            "说明": self.message,
        }


def text_length(expr: pl.Expr) -> pl.Expr:
    """The length of text as Excel counts it (UTF-16 code units), as an expression."""
    return expr.str.len_chars() + expr.str.count_matches(_ASTRAL)


def utf16_length(text: str) -> int:
    """The length of a string as Excel counts it (UTF-16 code units)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def _preview(text: str) -> str:
    return f"{text[:20]}…（共 {utf16_length(text)} 字符）"


def empty_table(name: str) -> pl.DataFrame:
    """An empty frame with the table's contract schema."""
    return pl.DataFrame(schema=ALL_TABLES[name].polars_schema)


def conform(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """The frame cast to the contract's column order and dtypes (a missing column becomes `Column.missing`)."""
    table = ALL_TABLES[name]
    cols = []
    for c in table.columns:
        if c.name in df.columns:
            cols.append(pl.col(c.name).cast(c.dtype, strict=True))
        else:
            cols.append(pl.lit(c.missing, dtype=c.dtype).alias(c.name))
    return df.select(cols)


def _rows(mask_df: pl.DataFrame) -> list[tuple[int, object]]:
    return [(int(r), v) for r, v in mask_df.iter_rows()]


def _first(findings: list[Finding], limit: int) -> list[Finding]:
    return findings[:limit]


def validate(tables: dict[str, pl.DataFrame], limit_per_check: int = 20) -> list[Finding]:
    """All contract violations in a set of tables (empty list = publishable); rows are 1-based."""
    findings: list[Finding] = []
    for name in TABLES:
        if name not in tables:
            findings.append(Finding(name, None, None, None, "缺少该表"))
            continue
        findings += check_table(name, tables[name], limit_per_check)
    if any(f.severity == "error" and f.row is None for f in findings):
        return findings  # structure is broken; cross-table checks would only add noise
    findings += _check_references(tables, limit_per_check)
    findings += _check_rules(tables, limit_per_check)
    return findings


def check_table(name: str, df: pl.DataFrame, limit_per_check: int = 20) -> list[Finding]:
    """The checks of one table on its own: columns, types, required, text length, allowed values, ranges, key."""
    table = ALL_TABLES[name]
    findings: list[Finding] = []
    missing = [c for c in table.column_names if c not in df.columns]
    for c in missing:
        findings.append(Finding(name, None, c, None, "缺少该列"))
    if missing:
        return findings
    for c in table.columns:
        if df.schema[c.name] != (c.dtype() if isinstance(c.dtype, type) else c.dtype):
            findings.append(Finding(name, None, c.name, str(df.schema[c.name]), f"列类型应为 {c.dtype}"))
            continue
        idx = df.with_row_index("_row", offset=1).select("_row", c.name)
        if c.required:
            bad = idx.filter(pl.col(c.name).is_null())
            if c.dtype == pl.String:
                bad = idx.filter(pl.col(c.name).is_null() | (pl.col(c.name).str.strip_chars() == ""))
            findings += _first([Finding(name, r, c.name, v, "必填，不能为空") for r, v in _rows(bad)], limit_per_check)
        if c.dtype == pl.String:
            bad = idx.filter(text_length(pl.col(c.name)) > EXCEL_CELL_MAX_CHARS)
            findings += _first(
                [
                    Finding(
                        name,
                        r,
                        c.name,
                        _preview(v),
                        f"文字过长：超过 Excel 单元格上限 {EXCEL_CELL_MAX_CHARS:,} 个字符，"
                        "导出到 Excel 会被截断；请删减或拆分",
                    )
                    for r, v in _rows(bad)
                ],
                limit_per_check,
            )
        if c.allowed is not None:
            bad = idx.filter(pl.col(c.name).is_not_null() & ~pl.col(c.name).is_in(list(c.allowed)))
            findings += _first(
                [Finding(name, r, c.name, v, f"应为以下之一：{' / '.join(c.allowed)}") for r, v in _rows(bad)],
                limit_per_check,
            )
        if c.min_value is not None and c.dtype != pl.String:
            bad = idx.filter(pl.col(c.name) < c.min_value)
            findings += _first(
                [Finding(name, r, c.name, v, f"不能小于 {c.min_value:g}") for r, v in _rows(bad)], limit_per_check
            )
        if c.max_value is not None and c.dtype != pl.String:
            bad = idx.filter(pl.col(c.name) > c.max_value)
            findings += _first(
                [Finding(name, r, c.name, v, f"不能大于 {c.max_value:g}") for r, v in _rows(bad)], limit_per_check
            )
    dup = (
        df.with_row_index("_row", offset=1)
        .filter(pl.struct(list(table.key)).is_duplicated())
        .filter(pl.col("_row") > pl.col("_row").min().over(list(table.key)))
    )
    findings += _first(
        [
            Finding(name, int(r["_row"]), "、".join(table.key), " / ".join(str(r[k]) for k in table.key), "主键重复")
            for r in dup.iter_rows(named=True)
        ],
        limit_per_check,
    )
    return findings


def _check_references(tables: dict[str, pl.DataFrame], limit: int) -> list[Finding]:
    out: list[Finding] = []
    for name, table in TABLES.items():
        for local, other, remote in table.references:
            df = (
                tables[name]
                .with_row_index("_row", offset=1)
                .filter(pl.all_horizontal(pl.col(c).is_not_null() for c in local))
            )
            keys = tables[other].select([pl.col(r).alias(loc) for loc, r in zip(local, remote)]).unique()
            orphans = df.join(keys, on=list(local), how="anti", nulls_equal=True)
            out += _first(
                [
                    Finding(
                        name,
                        int(r["_row"]),
                        "、".join(local),
                        " / ".join(str(r[c]) for c in local),
                        f"在表「{TABLES[other].header}」中找不到对应记录",
                    )
                    for r in orphans.iter_rows(named=True)
                ],
                limit,
            )
    return out


def _check_rules(tables: dict[str, pl.DataFrame], limit: int) -> list[Finding]:
    """Rules that span columns: dimension score ≤ weight, assumed budget years, published grade vs score (warning)."""
    out: list[Finding] = []
    assumed = (
        tables["evaluations"]
        .with_row_index("_row", offset=1)
        .filter(
            pl.col("budget_year_assumed")
            & pl.col("budget_year").ne_missing(pl.col("eval_year") - ASSUMED_BUDGET_YEAR_LAG)  # NULL too
        )
    )
    out += _first(
        [
            Finding(
                "evaluations",
                int(r["_row"]),
                "budget_year_assumed",
                r["budget_year"],
                "预算年度为推定时，预算年度应为评价年度−1"
                + ("（预算年度为空）" if r["budget_year"] is None else f"（评价年度 {r['eval_year']}）"),
            )
            for r in assumed.iter_rows(named=True)
        ],
        limit,
    )
    dims = tables["dimension_scores"].with_row_index("_row", offset=1).filter(pl.col("score") > pl.col("weight"))
    out += _first(
        [
            Finding("dimension_scores", int(r["_row"]), "score", r["score"], f"得分不能超过权重 {r['weight']:g}")
            for r in dims.iter_rows(named=True)
        ],
        limit,
    )
    ev = (
        tables["evaluations"]
        .with_row_index("_row", offset=1)
        .filter(pl.col("score").is_not_null() & (grade_expr(pl.col("score")) != pl.col("grade")))
    )
    out += _first(
        [
            Finding(
                "evaluations",
                int(r["_row"]),
                "grade",
                r["grade"],
                f"与得分 {r['score']:g} 所在等级不一致（按分数应为「{r['computed']}」）；保留原文等级",
                severity="warning",
            )
            for r in ev.with_columns(computed=grade_expr(pl.col("score"))).iter_rows(named=True)
        ],
        limit,
    )
    return out


def errors(findings: list[Finding]) -> list[Finding]:
    """Only the findings that block publishing."""
    return [f for f in findings if f.severity == "error"]


def contract_markdown() -> str:
    """The data contract as Markdown tables (pasted into README.md; a test keeps them in agreement)."""
    out = []
    for t in ALL_TABLES.values():
        kept = " Kept by the store: written when a snapshot is published, never imported." if t.kept else ""
        out.append(f"#### `{t.name}` — {t.header}\n\n{t.description}. Key: `{', '.join(t.key)}`.{kept}\n")
        out.append("| column | 中文 | type | unit | required | allowed values | meaning |")
        out.append("| --- | --- | --- | --- | --- | --- | --- |")
        for c in t.columns:
            dtype = c.dtype.__name__ if isinstance(c.dtype, type) else str(c.dtype)
            allowed = " / ".join(c.allowed) if c.allowed else ""
            if c.min_value is not None or c.max_value is not None:
                lo = "" if c.min_value is None else f"≥ {c.min_value:g}"
                hi = "" if c.max_value is None else f"≤ {c.max_value:g}"
                allowed = (allowed + " " + " ".join(x for x in (lo, hi) if x)).strip()
            out.append(
                f"| `{c.name}` | {c.header} | {dtype} | {c.unit or ''} | {'yes' if c.required else ''} | "
                f"{allowed} | {c.description} |"
            )
        out.append("")
    return "\n".join(out)
