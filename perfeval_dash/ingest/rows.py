"""Import rows: cells parsed into typed rows, then ids, links and defaults filled and duplicates/references checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from perfeval_dash.domain.categories import classify
from perfeval_dash.domain.rules import assumed_budget_year, eval_type_from_name, grade_for_score
from perfeval_dash.ingest.changes import ROW
from perfeval_dash.ingest.layout import (
    IMPORT_DEFAULT_HOW,
    IMPORT_DEFAULTS,
    PARSERS,
    Field,
    display_table,
    fields,
    header_of,
    ignored_header,
    match_field,
)
from perfeval_dash.ingest.parsing import ParseError
from perfeval_dash.ingest.reader import RawSheet, cell_finding
from perfeval_dash.store.schema import Finding

NATURAL = ("region", "eval_year", "project_name")
BAD = "_bad"  # per row: the fields whose cell could not be read (already reported)


@dataclass(frozen=True)
class ImportOptions:
    """Choices made with the upload: values for rows that lack them, and whether to assume budget years.

    `region` / `eval_year` fill empty 地区 / 评价年度 cells (or a missing column) in every sheet; each use is
    listed as a conversion. `assume_budget_year` fills an empty 预算年度 of an evaluation as 评价年度−1 and marks
    the row (预算年度为推定); off by default, so an empty budget year stays empty.
    """

    region: str | None = None
    eval_year: int | None = None
    assume_budget_year: bool = False

    def default(self, name: str) -> object:
        """The value given for a column (`region` or `eval_year`), or None."""
        return {"region": self.region, "eval_year": self.eval_year}.get(name)


NO_OPTIONS = ImportOptions()  # nothing given with the upload
EMPTY_WRITTEN = "（空）"


@dataclass(frozen=True)
class Conversion:
    """A cell whose written form was converted (e.g. 0.4亿元 -> 4000): shown in the preview."""

    sheet: str
    row: int
    column: str
    written: str
    value: object


# ---- cells -> rows ---------------------------------------------------------------------------------
class SheetParser:
    """Parses one raw sheet into row dicts, collecting findings."""

    def __init__(
        self,
        raw: RawSheet,
        file: str,
        findings: list[Finding],
        conversions: list[Conversion],
        options: ImportOptions = NO_OPTIONS,
    ):
        self.raw, self.file, self.findings, self.conversions = raw, file, findings, conversions
        self.options = options
        self.table = raw.table
        self.name = raw.name

    def find(self, row, column, value, message, severity="error"):
        self.findings.append(cell_finding(self.file, self.name, row, column, value, message, severity))

    def columns(self) -> dict[int, Field]:
        cols: dict[int, Field] = {}
        seen: dict[str, str] = {}
        for j, header in self.raw.headers:
            f = match_field(self.table, header)
            if f is None and ignored_header(header):
                continue
            if f is None:
                self.find(
                    self.raw.header_row, header, None, "未知列，已忽略（列名应与模板一致，见「说明」工作表）", "warning"
                )
            elif f.name in seen:
                self.find(self.raw.header_row, header, None, f"列重复：与列「{seen[f.name]}」是同一列")
            else:
                seen[f.name] = header
                cols[j] = f
        for f in fields(self.table):
            if f.required and f.name not in seen and self.options.default(f.name) is None:
                how = (
                    f"，或在导入时指定{IMPORT_DEFAULTS[f.name]}（{IMPORT_DEFAULT_HOW[f.name]}）"
                    if f.name in IMPORT_DEFAULTS
                    else ""
                )
                self.find(self.raw.header_row, f.header, None, f"缺少必填列（请使用模板中的列名{how}）")
        return cols

    def rows(self) -> list[dict]:
        cols = self.columns()
        out = []
        for r, cells in self.raw.rows:
            row: dict = {ROW: r, BAD: set()}
            for j, f in cols.items():
                raw = cells[j] if j < len(cells) else None
                if (r, j) in self.raw.formulas:  # reported by the reader
                    row[f.name] = None
                    row[BAD].add(f.name)
                    continue
                row[f.name] = self.cell(r, f, raw, row[BAD])
            self.fill_defaults(row, {f.name for f in cols.values()})
            out.append(row)
        return out

    def fill_defaults(self, row: dict, present: set[str]) -> None:
        """Empty 地区 / 评价年度 (or a column the sheet lacks) take the values given with the upload; listed."""
        for f in fields(self.table):
            value = self.options.default(f.name)
            if value is None or row.get(f.name) is not None or f.name in row[BAD]:
                continue
            if f.link and row.get("eval_id") is not None:
                continue  # the evaluation is named by its id: a link column stays as written
            row[f.name] = value
            written = EMPTY_WRITTEN if f.name in present else "（无此列）"
            self.conversions.append(
                Conversion(self.name, row[ROW], f.header, written, f"{value}（{IMPORT_DEFAULTS[f.name]}）")
            )

    def cell(self, r: int, f: Field, raw: object, bad: set):
        """The converted value of one cell, or None with a finding (and the field added to `bad`)."""
        problem = None
        try:
            value = PARSERS[f.kind](raw)
        except ParseError as exc:
            value, problem = None, exc.reason
        if value is None and problem is None and f.required and self.options.default(f.name) is None:
            how = f"，或在导入时指定{IMPORT_DEFAULTS[f.name]}" if f.name in IMPORT_DEFAULTS else ""
            problem, raw = f"必填，不能为空{how}", None
        elif value is not None and f.kind in ("score", "year") and not _in_range(value, f):
            unit = "分" if f.kind == "score" else "年"
            problem = f"应在 {f.column.min_value:g}–{f.column.max_value:g}{unit} 之间"
        elif value is not None and f.kind == "amount" and value < 0:
            problem = "金额不能为负数"
        if problem is not None:
            self.find(r, f.header, raw, problem)
            bad.add(f.name)
            return None
        if isinstance(raw, str) and value is not None and f.kind != "text" and raw.strip() != _written(value):
            self.conversions.append(Conversion(self.name, r, f.header, raw, value))
        return value


def _in_range(value: float, f: Field) -> bool:
    lo, hi = f.column.min_value, f.column.max_value
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _written(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}" if value == int(value) else repr(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema_ = {f.name: f.dtype for f in fields(table)} | {ROW: pl.Int64}
    return pl.DataFrame(rows, schema=schema_, strict=False) if rows else pl.DataFrame(schema=schema_)


# ---- resolving ids and links -----------------------------------------------------------------------
def _gen_id(prefix: str, year: object, *parts: object) -> str:
    digest = hashlib.sha1("|".join("" if p is None else str(p) for p in parts).encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{year}-{digest}"


def _index(evaluations: pl.DataFrame) -> dict[tuple, list[str]]:
    """(地区, 评价年度, 项目名称) -> the ids of the evaluations with that name."""
    out: dict[tuple, list[str]] = {}
    for *key, eid in evaluations.select(*NATURAL, "eval_id").iter_rows():
        out.setdefault(tuple(key), []).append(eid)
    return out


class Resolver:
    """Fills ids, links and defaults; checks duplicates and references against the current data."""

    def __init__(
        self,
        file: str,
        findings: list[Finding],
        current: dict[str, pl.DataFrame],
        sheets: dict[str, str],
        conversions: list[Conversion] | None = None,
        options: ImportOptions = NO_OPTIONS,
    ):
        self.file, self.findings, self.current, self.sheets = file, findings, current, sheets
        self.conversions = conversions if conversions is not None else []
        self.options = options

    def find(self, table, row, column, value, message, severity="error"):
        self.findings.append(
            cell_finding(
                self.file,
                self.sheets.get(table, display_table(table)),
                row,
                header_of(table, column) if column else None,
                value,
                message,
                severity,
            )
        )

    def evaluations(self, rows: list[dict]) -> None:
        existing = _index(self.current["evaluations"])
        by_id: dict[str, int] = {}
        by_key: dict[tuple, tuple[int, bool]] = {}  # natural key -> (first row, had its own id)
        for row in rows:
            key = tuple(row.get(c) for c in NATURAL)
            complete = all(v is not None for v in key)
            explicit = row.get("eval_id") is not None
            if not explicit and complete:
                ids = existing.get(key, [])
                if len(ids) > 1:
                    self.find(
                        "evaluations",
                        row[ROW],
                        "eval_id",
                        None,
                        f"现有数据中有多个评价的 地区、评价年度、项目名称 与本行相同（{'、'.join(ids)}），"
                        "请填写评价编号",
                    )
                row["eval_id"] = ids[0] if ids else _gen_id("ev", key[1], *key)
            if row.get("eval_id") is not None and row["eval_id"] in by_id:
                self.find(
                    "evaluations",
                    row[ROW],
                    "eval_id",
                    row["eval_id"],
                    f"评价重复：与第 {by_id[row['eval_id']]} 行的评价编号相同",
                )
            elif complete and key in by_key:
                first, first_explicit = by_key[key]
                if explicit and first_explicit:
                    self.find(
                        "evaluations",
                        row[ROW],
                        "project_name",
                        row["project_name"],
                        f"与第 {first} 行的 地区、评价年度、项目名称 相同但评价编号不同，按两条评价导入；"
                        "其他表引用它们时须填评价编号",
                        "warning",
                    )
                else:
                    self.find(
                        "evaluations",
                        row[ROW],
                        "project_name",
                        row["project_name"],
                        f"评价重复：与第 {first} 行的 地区、评价年度、项目名称 相同",
                    )
            if row.get("eval_id") is not None:
                by_id.setdefault(row["eval_id"], row[ROW])
            if complete:
                by_key.setdefault(key, (row[ROW], explicit))
            self._eval_type(row)
            self._budget_year(row)
            self._grade(row)
            budget, executed = row.get("budget_wan"), row.get("executed_wan")
            if budget is not None and executed is not None and executed > budget:
                rate = f"，执行率 {executed / budget:.0%}" if budget else ""
                self.find(
                    "evaluations",
                    row[ROW],
                    "executed_wan",
                    executed,
                    f"执行金额大于预算金额 {budget:g} 万元{rate}；请核对",
                    "warning",
                )

    def _eval_type(self, row: dict) -> None:
        """An empty evaluation type is inferred from the project name, with a warning on the row."""
        if row.get("eval_type") is not None or "eval_type" in row[BAD] or row.get("project_name") is None:
            return
        row["eval_type"] = eval_type_from_name(row["project_name"])
        self.find(
            "evaluations",
            row[ROW],
            "eval_type",
            None,
            f"评价类型为空，按项目名称推断为「{row['eval_type']}」；如不对请填写评价类型",
            "warning",
        )

    def _budget_year(self, row: dict) -> None:
        """Budget year: left empty unless the user chose 按评价年度−1 推定 (then filled and marked as assumed)."""
        if row.get("budget_year_assumed") is None and "budget_year_assumed" not in row[BAD]:
            row["budget_year_assumed"] = False
        if not self.options.assume_budget_year or row[BAD] & {"budget_year", "eval_year", "budget_year_assumed"}:
            return
        if row.get("budget_year") is None and row.get("eval_year") is not None:
            row["budget_year"] = assumed_budget_year(row["eval_year"])
            row["budget_year_assumed"] = True
            self.conversions.append(
                Conversion(
                    self.sheets.get("evaluations", display_table("evaluations")),
                    row[ROW],
                    header_of("evaluations", "budget_year"),
                    EMPTY_WRITTEN,
                    f"{row['budget_year']}（按评价年度−1 推定）",
                )
            )

    def _grade(self, row: dict) -> None:
        if "grade" in row[BAD] or "grade_published" in row[BAD]:
            return
        if row.get("grade") is None and row.get("score") is None and "score" not in row[BAD]:
            both = f"{header_of('evaluations', 'score')}、{header_of('evaluations', 'grade')}"  # names both columns
            self.find(
                "evaluations",
                row[ROW],
                both,
                None,
                "评价得分和评价等级都为空：至少填写其中一项（只公布等级时得分留空；不会按等级推算得分）",
            )
            row[BAD].add("grade")
            return
        if row.get("grade") is None:
            if row.get("grade_published"):
                self.find("evaluations", row[ROW], "grade", None, "“等级为原文公布”为是，但评价等级为空")
            row["grade"] = grade_for_score(row.get("score"))
            row["grade_published"] = False
        elif row.get("grade_published") is None:
            row["grade_published"] = True

    def lookup(self, evaluations: pl.DataFrame) -> None:
        """Index the evaluations a row may refer to: this file's plus the current ones that stay."""
        self.ev_by_id = {r[0]: r for r in evaluations.select("eval_id", *NATURAL).iter_rows()}
        self.ev_by_key = _index(evaluations)

    def link(self, table: str, row: dict, region_col: str = "region", year_col: str = "eval_year") -> None:
        """Set row['eval_id'] from the 地区/评价年度/项目名称 columns, or check the given id against them."""
        eid, name = row.get("eval_id"), row.get("project_name")
        region, year = row.get(region_col), row.get(year_col)
        if eid is not None:
            ev = self.ev_by_id.get(eid)
            if ev is None:
                self.find(table, row[ROW], "eval_id", eid, "所指的评价不存在：本文件和现有数据中都没有这个评价编号")
            elif name is not None and ev[3] is not None and ev[3] != name:
                self.find(table, row[ROW], "project_name", name, f"与评价编号「{eid}」的项目名称「{ev[3]}」不一致")
            elif (region is not None and ev[1] != region) or (year is not None and ev[2] != year):
                self.find(table, row[ROW], "eval_id", eid, f"与该评价的地区、评价年度（{ev[1]}，{ev[2]}）不一致")
            return
        if name is None:
            return
        if region is None or year is None:
            self.find(table, row[ROW], "project_name", name, "按项目名称指明评价时，地区和评价年度也必须填写")
            return
        found = self.ev_by_key.get((region, year, name), [])
        if not found:
            self.find(
                table,
                row[ROW],
                "project_name",
                name,
                f"所指的评价不存在：本文件和现有数据中都没有 {region} {year} 年的「{name}」",
            )
        elif len(found) > 1:
            self.find(table, row[ROW], "project_name", name, f"有多个评价同名（{'、'.join(found)}），请改填评价编号")
        row["eval_id"] = found[0] if len(found) == 1 else None

    def dimension_scores(self, rows: list[dict]) -> None:
        for row in rows:
            if row[BAD] & {"eval_id", "project_name", "region", "eval_year"}:
                continue
            self.link("dimension_scores", row)
            if row.get("eval_id") is None and row.get("project_name") is None:
                self.find(
                    "dimension_scores", row[ROW], "eval_id", None, "必填：请填评价编号，或填 地区+评价年度+项目名称"
                )

    def problem_rows(self, rows: list[dict]) -> None:
        """Checks and defaults that need no other table: deadline vs year, category by keyword rules."""
        for row in rows:
            if row.get("category") is None and row.get("description") is not None and "category" not in row[BAD]:
                row["category"] = classify(row["description"])
            due, year = row.get("due_date"), row.get("eval_year")
            if due is not None and year is not None and due.year < year:
                self.find(
                    "problems", row[ROW], "due_date", due.isoformat(), f"整改期限早于评价年度 {year} 年，请检查日期"
                )

    def problems(self, rows: list[dict]) -> None:
        """Link each problem to its evaluation and give it an id (the existing one for the same problem)."""
        existing = {
            (r[0], r[1], r[2], r[3]): r[4]
            for r in self.current["problems"]
            .select("region", "eval_year", "eval_id", "description", "problem_id")
            .iter_rows()
        }
        for row in rows:
            if not row[BAD] & {"eval_id", "project_name", "region", "eval_year"}:
                self.link("problems", row)
            key = (row.get("region"), row.get("eval_year"), row.get("eval_id"), row.get("description"))
            if row.get("problem_id") is None and None not in (key[0], key[1], key[3]):
                row["problem_id"] = existing.get(key) or _gen_id("pr", key[1], *key)
