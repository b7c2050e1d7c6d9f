"""Import an .xlsx template or a one-table .csv: read, explain every problem, merge into the current data, publish."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from perfeval_dash.domain.rules import open_sql, overdue_sql
from perfeval_dash.ingest.changes import ROW, Scope, TableChanges, diff_tables, merge, strip_rows
from perfeval_dash.ingest.layout import TABLE_ORDER, display_table, header_of
from perfeval_dash.ingest.reader import FileRefused, RawFile, RawSheet, cell_finding, read_file
from perfeval_dash.ingest.rows import NATURAL, NO_OPTIONS, Conversion, ImportOptions, Resolver, SheetParser, frame
from perfeval_dash.store import Snapshot, Store, StoreError, schema
from perfeval_dash.store.schema import Finding

__all__ = ["Finding", "ImportResult", "ImportOptions", "Conversion", "read_import", "load_import", "publish_import"]
EXISTING = "现有数据"
GENERATED_TITLE = "{region}{eval_year}年重点绩效评价结果（导入时生成）"


@dataclass
class ImportResult:
    """Everything an import found and would do: findings, the imported rows, the merged tables and the changes."""

    file: str
    findings: list[Finding] = field(default_factory=list)
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # imported rows, converted; ROW = Excel row
    conversions: list[Conversion] = field(default_factory=list)
    merged: dict[str, pl.DataFrame] | None = None
    changes: dict[str, TableChanges] | None = None
    scopes: tuple[Scope, ...] = ()
    base_id: str | None = None
    refused: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "error"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks publishing."""
        return not self.refused and not self.errors and self.merged is not None


# ---- the whole import ------------------------------------------------------------------------------
def _raw_findings(raw: RawFile, out: ImportResult) -> dict[str, RawSheet]:
    by_table: dict[str, RawSheet] = {}
    for sheet in raw.sheets:
        if sheet.table is None:
            if sheet.rows or sheet.headers:
                out.findings.append(
                    cell_finding(
                        raw.name,
                        sheet.name,
                        None,
                        None,
                        None,
                        "未知工作表，已忽略；工作表名应为 " + " / ".join(display_table(t) for t in TABLE_ORDER),
                        "warning",
                    )
                )
        elif sheet.table in by_table:
            out.findings.append(
                cell_finding(
                    raw.name,
                    sheet.name,
                    None,
                    None,
                    None,
                    f"与工作表「{by_table[sheet.table].name}」是同一张表，请合并为一个工作表",
                )
            )
        else:
            by_table[sheet.table] = sheet
    if raw.kind == "xlsx":
        if not any(s.rows or s.headers for s in raw.sheets):
            raise FileRefused(cell_finding(raw.name, None, None, None, None, "工作簿是空的：没有任何内容"))
        for t in TABLE_ORDER:
            if t not in by_table:
                out.findings.append(
                    cell_finding(
                        raw.name,
                        display_table(t),
                        None,
                        None,
                        None,
                        f"缺少工作表「{display_table(t)}」（请使用模板；不需要的表留空即可，不要删除或改名）",
                    )
                )
    if by_table and not any(s.rows for s in by_table.values()):
        out.findings.append(cell_finding(raw.name, None, None, None, None, "文件中没有任何数据行（只有表头）"))
    return by_table


def read_import(
    data: bytes,
    filename: str,
    current: dict[str, pl.DataFrame] | None = None,
    scopes: list[Scope] | tuple = (),
    table: str | None = None,
    base_id: str | None = None,
    options: ImportOptions = NO_OPTIONS,
) -> ImportResult:
    """Read a file, check every cell and row, and merge it into `current` (empty when None); nothing is written."""
    out = ImportResult(filename, scopes=tuple((r, int(y)) for r, y in scopes), base_id=base_id)
    current = {
        n: schema.conform(n, current[n]) if current and n in current else schema.empty_table(n) for n in schema.TABLES
    }
    try:
        raw = read_file(data, filename, table)
        out.file = raw.name
        out.findings += raw.findings
        sheets = _raw_findings(raw, out)
    except FileRefused as exc:
        out.findings.append(exc.finding)
        out.refused = True
        return out
    rows = {t: SheetParser(s, raw.name, out.findings, out.conversions, options).rows() for t, s in sheets.items()}
    names = {t: s.name for t, s in sheets.items()}
    res = Resolver(raw.name, out.findings, current, names, out.conversions, options)
    for row in (r for t in rows.values() for r in t):
        row["source"] = row.get("source") or raw.name
        row["synthetic"] = bool(row.get("synthetic"))
    for row in rows.get("batches", ()):
        row["title_generated"] = bool(row.get("title_generated"))
    if "evaluations" in rows:
        res.evaluations(rows["evaluations"])
    if "problems" in rows:
        res.problem_rows(rows["problems"])
    if _structural(out, sheets):  # a missing sheet or column: cross-table checks would only repeat it
        out.tables = {t: _imported(t, r) for t, r in rows.items()}
        return out
    draft = (
        merge(current, {"evaluations": frame("evaluations", rows["evaluations"])}, out.scopes)
        if "evaluations" in rows
        else current
    )
    res.lookup(draft["evaluations"])
    if "dimension_scores" in rows:
        res.dimension_scores(rows["dimension_scores"])
    if "problems" in rows:
        res.problems(rows["problems"])
    out.tables = {t: _imported(t, r) for t, r in rows.items()}
    out.merged = merge(current, out.tables, out.scopes)
    _generated_batches(out, current, sheets.get("evaluations"))
    _natural_duplicates(out, sheets.get("evaluations"))
    _contract_findings(out, {t: s.name for t, s in sheets.items()})
    _scope_findings(out, current)
    out.changes = diff_tables(current, strip_rows(out.merged))
    return out


def _imported(table: str, rows: list[dict]) -> pl.DataFrame:
    """Imported rows in contract form plus their Excel row numbers."""
    df = frame(table, rows)
    return schema.conform(table, df).with_columns(df[ROW])


def _structural(out: ImportResult, sheets: dict[str, RawSheet]) -> bool:
    """True when an error concerns a whole sheet or its header row."""
    header_rows = {s.name: s.header_row for s in sheets.values()}
    return any(f.severity == "error" and (f.row is None or header_rows.get(f.sheet) == f.row) for f in out.findings)


def _generated_batches(out: ImportResult, current: dict[str, pl.DataFrame], sheet: RawSheet | None) -> None:
    """A batch row for every (地区, 评价年度) of the merged evaluations that has none, marked as generated.

    Lists of results rarely come with their report's title. The generated title says so; its budget year is the
    evaluations' when they all share one, else empty. A generated batch not in this file follows its evaluations'
    budget year; a batch row in the file (title_generated false) replaces it, and an import of evaluations alone
    never replaces a real title. One warning per batch this import generates (not for one generated before).
    """
    ev, bt = out.merged["evaluations"], out.merged["batches"]
    keys = ["region", "eval_year"]
    per_key = (
        ev.filter(pl.col("region").is_not_null() & pl.col("eval_year").is_not_null())
        .group_by(keys, maintain_order=True)
        .agg(
            shared=pl.when(pl.col("budget_year").is_not_null().all() & (pl.col("budget_year").n_unique() == 1))
            .then(pl.col("budget_year").first())
            .otherwise(pl.lit(None, dtype=pl.Int32)),
            synthetic=pl.col("synthetic").all(),
            first_row=pl.col(ROW).min(),
        )
        .with_columns(has_evaluations=pl.lit(True))
    )
    # generated batches kept from the current data follow their evaluations' budget year
    follow = bt.join(per_key.select(*keys, "shared", "has_evaluations"), on=keys, how="left", maintain_order="left")
    regenerated = pl.col("title_generated").fill_null(False) & pl.col(ROW).is_null() & pl.col("has_evaluations")
    bt = follow.with_columns(
        budget_year=pl.when(regenerated).then(pl.col("shared")).otherwise(pl.col("budget_year"))
    ).drop("shared", "has_evaluations")
    missing = per_key.join(bt.select(keys), on=keys, how="anti", maintain_order="left")
    if missing.height:
        titles = [GENERATED_TITLE.format(region=r, eval_year=y) for r, y in missing.select(keys).iter_rows()]
        made = schema.conform(
            "batches",
            missing.select(
                *keys,
                pl.col("shared").alias("budget_year"),
                pl.Series("title", titles, dtype=pl.String),
                pl.lit(True).alias("title_generated"),
                pl.lit(out.file).alias("source"),
                "synthetic",
            ),
        ).with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
        bt = pl.concat([bt, made])
    out.merged["batches"] = bt
    made_before = current["batches"].filter(pl.col("title_generated").fill_null(False)).select(keys)
    for r in missing.join(made_before, on=keys, how="anti", maintain_order="left").iter_rows(named=True):
        title = GENERATED_TITLE.format(region=r["region"], eval_year=r["eval_year"])
        out.findings.append(
            cell_finding(
                out.file,
                sheet.name if sheet is not None else display_table("evaluations"),
                r["first_row"],
                header_of("evaluations", "region"),
                f"{r['region']} {r['eval_year']}",
                f"该地区、评价年度没有评价批次（报告标题），已自动生成批次「{title}」"
                + ("" if r["shared"] is None else f"，预算年度 {r['shared']}")
                + "；以后导入含报告标题的「评价批次」行会替换它",
                "warning",
            )
        )


def _natural_duplicates(out: ImportResult, sheet: RawSheet | None) -> None:
    """Warn where an imported evaluation has an existing one's 地区+评价年度+项目名称 under another id."""
    ev = out.merged["evaluations"]
    dup = ev.filter(pl.len().over(NATURAL) > 1)
    if sheet is None or not dup.height:
        return
    existing = dup.filter(pl.col(ROW).is_null()).select(*NATURAL, pl.col("eval_id").alias("other"))
    clash = dup.filter(pl.col(ROW).is_not_null()).join(existing, on=list(NATURAL), how="inner")
    for r in clash.unique(subset=[ROW], keep="first", maintain_order=True).iter_rows(named=True):
        out.findings.append(
            cell_finding(
                out.file,
                sheet.name,
                r[ROW],
                header_of("evaluations", "project_name"),
                r["project_name"],
                f"现有数据中评价「{r['other']}」的 地区、评价年度、项目名称 与本行相同但编号不同；"
                f"若是同一评价，请把评价编号改为「{r['other']}」或留空",
                "warning",
            )
        )


def _contract_findings(out: ImportResult, sheets: dict[str, str]) -> None:
    """The data contract on the merged tables, reported at the imported rows (existing rows: errors only)."""
    seen = {(f.sheet, f.row, f.column) for f in out.findings}
    seen_rows = {(f.sheet, f.row) for f in out.findings if f.severity == "error"}
    for f in schema.validate(strip_rows(out.merged), limit_per_check=200):
        merged = out.merged.get(f.table)
        excel_row = None
        if merged is not None and f.row is not None:
            excel_row = merged[ROW][f.row - 1]
        header = "、".join(header_of(f.table, c) for c in f.column.split("、")) if f.column else None
        if excel_row is None and f.row is not None:
            if f.severity != "error":
                continue
            key = " / ".join(str(merged[k][f.row - 1]) for k in schema.TABLES[f.table].key)
            hint = "（整体替换删除了它所指的记录；请在文件中一并提供，或改用合并更新）" if out.scopes else ""
            out.findings.append(
                cell_finding(
                    out.file,
                    None,
                    None,
                    header,
                    f.value,
                    f"{EXISTING}「{display_table(f.table)}」中的记录「{key}」：{f.message}{hint}",
                )
            )
            continue
        sheet = sheets.get(f.table, display_table(f.table))
        if (sheet, excel_row, header) in seen or (f.row is None and (sheet, None) in seen_rows):
            continue
        if f.message == "必填，不能为空" and (sheet, excel_row) in seen_rows:
            continue  # the cell could not be read; already reported
        message = f.message
        if f.table == "problems" and "评价批次" in message:  # evaluations get a generated batch; problems do not
            message += "：该地区、评价年度既没有评价也没有评价批次"
        out.findings.append(cell_finding(out.file, sheet, excel_row, header, f.value, message, f.severity))


def _scope_findings(out: ImportResult, current: dict[str, pl.DataFrame]) -> None:
    for region, year in out.scopes:
        hits = sum(
            df.filter((pl.col("region") == region) & (pl.col("eval_year") == year)).height
            for t in ("evaluations", "batches")
            for df in (current[t], out.tables.get(t, current[t].clear()))
        )
        if not hits:
            out.findings.append(
                cell_finding(
                    out.file,
                    None,
                    None,
                    None,
                    f"{region} {year}",
                    "整体替换的地区、评价年度在现有数据和本文件中都没有记录",
                    "warning",
                )
            )


def load_import(
    store: Store,
    data: bytes,
    filename: str,
    scopes: list[Scope] | tuple = (),
    table: str | None = None,
    options: ImportOptions = NO_OPTIONS,
) -> ImportResult:
    """read_import against the store's current snapshot (or nothing when none is published)."""
    base_id = store.current_id()
    current = store.open(base_id).read_tables() if base_id else None
    return read_import(data, filename, current, scopes, table, base_id, options)


def publish_import(
    store: Store, result: ImportResult, as_of: dt.date, note: str = "", actor: str | None = None
) -> Snapshot:
    """Publish the merged tables as a new current snapshot; refuses when there are errors or the data moved on.

    The store records every change of a problem as an event, by `actor` (None = 未记录)."""
    if not result.ok:
        raise StoreError(f"导入有 {len(result.errors)} 个错误，未发布")
    if store.current_id() != result.base_id:
        raise StoreError("预览之后数据已被更新（当前快照已变），请重新上传并预览后再发布")
    made_from = store.open(result.base_id).made_from if result.base_id else []
    mode = "整体替换 " + "、".join(f"{r}{y}" for r, y in result.scopes) if result.scopes else "合并更新"
    return store.publish(
        strip_rows(result.merged),
        as_of=as_of,
        made_from=[*made_from, result.file],
        note=note or f"导入 {result.file}（{mode}，基于快照 {result.base_id or '无'}）",
        actor=actor,
        expect_current=result.base_id,  # checked again under the publish lock
    )


def overdue_not_imported(result: ImportResult, as_of: dt.date) -> int:
    """How many problems of the merged data that this file does not touch are overdue at `as_of` (rules.overdue_sql)."""
    rows = result.merged["problems"].filter(pl.col(ROW).is_null()).select("status", "due_date")
    con = duckdb.connect()
    con.register("kept", rows.to_arrow())
    sql = f"SELECT count(*) FILTER (WHERE {overdue_sql(open_sql())}) FROM kept"
    return int(con.execute(sql, {"as_of": as_of}).fetchall()[0][0])
