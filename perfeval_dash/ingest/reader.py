"""Reading an uploaded file safely: refuse what is not a readable workbook or CSV, else yield its sheets' cells."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import openpyxl

from perfeval_dash.ingest import xlsx_scan
from perfeval_dash.ingest.layout import (
    GUIDE_SHEET,
    IMPORT_DEFAULTS,
    TABLE_ORDER,
    display_table,
    fields,
    match_field,
    table_for_sheet,
)
from perfeval_dash.store.schema import CSV_FORMULA_START, INERT_QUOTE, Finding

# Limits on what is read, so that a small crafted file cannot keep the server busy for minutes (openpyxl reads
# about 150,000 cells or 70,000 shared strings a second here). A real import has at most tens of thousands of rows
# of about 20 columns; .xlsx limits are checked by streaming the zip parts before openpyxl parses anything.
MAX_FILE_BYTES = 20 * 1024 * 1024  # uploads above this are refused
MAX_UNZIPPED_BYTES = 300 * 1024 * 1024  # an .xlsx whose parts unzip to more than this is refused (zip bomb)
MAX_ROWS = 200_000  # rows per sheet
ROWS_ABOVE_TABLE = 20  # title and header rows a sheet may have above its data, on top of MAX_ROWS
MAX_CELLS = 2_000_000  # cells in the whole file (.xlsx: <c> elements, empty or not; CSV: fields)
MAX_SHARED_STRINGS = 1_000_000  # distinct texts in an .xlsx (xl/sharedStrings.xml <si> elements)
# XML tags ("<") in all parts of an .xlsx: bounds openpyxl's work on anything the counts above miss (text split
# into thousands of formatted runs, bloated styles); a file at the cell and string limits has about 12 million
MAX_XML_TAGS = 16_000_000
MAX_COLUMNS = 200  # columns per row, counting empty cells that only carry a format (openpyxl pads rows to them)
HIDDEN_ROWS_LISTED = 20  # hidden rows listed one by one per sheet; more are summed up in one warning
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")  # how the file format spells a character, e.g. _x000D_ for CR


def cell_finding(
    file: str,
    sheet: str | None,
    row: int | None,
    column: str | None,
    value: object,
    message: str,
    severity: str = "error",
) -> Finding:
    """A finding in an imported file: file, sheet, row as Excel shows it, column header, value, message."""
    return Finding(None, row, column, value, message, severity, file=file, sheet=sheet)


class FileRefused(Exception):
    """The file as a whole cannot be read; `finding` says why, in Chinese."""

    def __init__(self, finding: Finding):
        self.finding = finding
        super().__init__(str(finding))


@dataclass
class RawSheet:
    """The cells of one sheet (or CSV file): which table it holds, its header row, its data rows."""

    name: str
    table: str | None
    header_row: int = 1
    headers: list[tuple[int, str]] = field(default_factory=list)  # (0-based column index, header text)
    rows: list[tuple[int, tuple]] = field(default_factory=list)  # (Excel row number, cell values)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column index) -> formula without value


@dataclass
class RawFile:
    """What was read from a file: its sheets and the findings made while reading."""

    name: str
    kind: str  # "xlsx" or "csv"
    sheets: list[RawSheet]
    findings: list[Finding]


def _refuse(name: str, message: str, sheet: str | None = None) -> FileRefused:
    return FileRefused(cell_finding(name, sheet, None, None, None, message))


def xlsx_text(value: object) -> object:
    """A cell value with the file format's _xHHHH_ escapes decoded (Excel writes a carriage return as _x000D_)."""
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _ESCAPE.sub(
        lambda m: m.group(0) if 0xD800 <= int(m.group(1), 16) <= 0xDFFF else chr(int(m.group(1), 16)), value
    )


def read_file(data: bytes, filename: str, table: str | None = None) -> RawFile:
    """The sheets of an .xlsx workbook or a one-table .csv file; FileRefused when it cannot be read at all."""
    name = PurePath(filename).name or "上传文件"
    suffix = PurePath(name).suffix.lower()
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            name, f"文件过大（{len(data) / 1048576:.1f} MB），上限为 {MAX_FILE_BYTES // 1048576} MB；请拆分后分批导入"
        )
    if not data:
        raise _refuse(name, "文件是空的（0 字节）")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_MARK in data:
            raise _refuse(name, "工作簿设置了打开密码（已加密），无法读取；请在 Excel 中取消密码后另存再上传")
        raise _refuse(name, "这是旧版 Excel 97-2003（.xls）文件，不支持；请在 Excel 中另存为 .xlsx 后上传")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name)
    if suffix in (".csv", ".txt"):
        return _read_csv(data, name, table)
    if suffix in (".xlsx", ".xlsm"):
        raise _refuse(name, "文件不是有效的 .xlsx 工作簿（可能已损坏，或只是改了扩展名）")
    raise _refuse(name, "不支持的文件类型：请上传 .xlsx 工作簿（可下载模板）或单张表的 .csv 文件")


# ---- xlsx ------------------------------------------------------------------------------------------
def _limits() -> xlsx_scan.Limits:
    return xlsx_scan.Limits(MAX_UNZIPPED_BYTES, MAX_SHARED_STRINGS, MAX_CELLS, MAX_XML_TAGS, MAX_ROWS, ROWS_ABOVE_TABLE)


def _scan(data: bytes, name: str) -> xlsx_scan.Scan:
    """The zip's parts checked against the limits by streaming them (this also checks every part's CRC)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        if "xl/workbook.xml" not in z.namelist():
            raise _refuse(name, "文件是压缩包，但不是 Excel 工作簿（.xlsx）")
        try:
            return xlsx_scan.scan(z, _limits())
        except xlsx_scan.OverLimit as exc:
            raise _refuse(name, exc.message, sheet=exc.sheet) from exc
        except zipfile.BadZipFile as exc:
            raise _refuse(name, "工作簿已损坏（压缩包校验失败），请在 Excel 中重新保存后上传") from exc


def _open_workbooks(data: bytes, name: str):
    """(values workbook, formulas workbook or None, scan) — read-only openpyxl workbooks of a checked file."""
    try:
        scan = _scan(data, name)
        values = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        # a second pass, only when some cell holds a formula, tells formulas without a stored result from blanks
        formulas = (
            openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False) if scan.has_formulas else None
        )
    except FileRefused:
        raise
    except Exception as exc:  # zipfile, XML and openpyxl errors alike mean a damaged file
        raise _refuse(
            name, f"工作簿已损坏或格式不正确，无法读取（{type(exc).__name__}）；请在 Excel 中打开并另存为 .xlsx 后重试"
        ) from exc
    return values, formulas, scan


def _read_xlsx(data: bytes, name: str) -> RawFile:
    values, formulas, scan = _open_workbooks(data, name)
    sheets: list[RawSheet] = []
    findings: list[Finding] = []
    try:
        for i, ws_v in enumerate(values.worksheets):
            ws_f = formulas.worksheets[i] if formulas is not None else None
            for ws in (ws_v, ws_f):
                if ws is not None:
                    ws.reset_dimensions()  # rows as wide as their cells, not as the file's <dimension> claims
            title = ws_v.title
            if title.strip() == GUIDE_SHEET:
                continue
            sheet = RawSheet(title, table_for_sheet(title))
            try:
                grid = _sheet_rows(ws_v, ws_f, sheet, name)
            except FileRefused:
                raise
            except Exception as exc:
                raise _refuse(name, f"工作表内容损坏，无法读取（{type(exc).__name__}）", sheet=title) from exc
            _split_header(sheet, grid)
            headers = dict(sheet.headers)
            findings += [
                cell_finding(
                    name,
                    title,
                    r,
                    headers.get(j),
                    text,
                    "单元格是公式，但文件中没有保存计算结果；请在 Excel 中打开并保存，或把公式粘贴为数值后再上传",
                )
                for (r, j), text in sorted(sheet.formulas.items())
            ]
            findings += _hidden_findings(name, sheet, ws_v.sheet_state, scan.sheet(title))
            sheets.append(sheet)
    finally:
        values.close()
        if formulas is not None:
            formulas.close()
    return RawFile(name, "xlsx", sheets, findings)


def _hidden_findings(name: str, sheet: RawSheet, state: str, part: xlsx_scan.SheetPart | None) -> list[Finding]:
    """Warnings for a hidden sheet whose rows are imported and for imported rows and columns hidden in Excel."""
    if sheet.table is None or not sheet.rows:
        return []
    out = []
    if state != "visible":
        kind = "深度隐藏（veryHidden，只能用宏取消隐藏）" if state == "veryHidden" else "隐藏"
        out.append(
            cell_finding(
                name,
                sheet.name,
                None,
                None,
                None,
                f"该工作表在 Excel 中是{kind}的工作表，其中 {len(sheet.rows)} 行数据已照常导入，请确认",
                "warning",
            )
        )
    if part is not None:  # a column with a header is imported: hidden in Excel, it is easily overlooked
        out += [
            cell_finding(
                name,
                sheet.name,
                sheet.header_row,
                header,
                None,
                "该列在 Excel 中是隐藏列，其中的数据已照常导入，请确认",
                "warning",
            )
            for j, header in sheet.headers
            if part.col_hidden(j + 1)
        ]
    hidden = sorted({r for r, _ in sheet.rows} & (part.hidden_rows if part is not None else set()))
    out += [
        cell_finding(name, sheet.name, r, None, None, "该行在 Excel 中是隐藏行，已照常导入，请确认", "warning")
        for r in hidden[:HIDDEN_ROWS_LISTED]
    ]
    if len(hidden) > HIDDEN_ROWS_LISTED:
        out.append(
            cell_finding(
                name,
                sheet.name,
                None,
                None,
                None,
                f"共有 {len(hidden)} 个隐藏行已照常导入（上面只列出前 {HIDDEN_ROWS_LISTED} 个），"
                "可能是筛选后隐藏的行，请确认",
                "warning",
            )
        )
    return out


def _sheet_rows(ws_v, ws_f, sheet: RawSheet, name: str) -> list[tuple[int, tuple]]:
    grid: list[tuple[int, tuple]] = []
    formula_rows = ws_f.iter_rows() if ws_f is not None else iter(())
    for r, row_v in enumerate(ws_v.iter_rows(values_only=True), start=1):
        if r > MAX_ROWS + ROWS_ABOVE_TABLE:
            raise _refuse(name, f"行数超过上限 {MAX_ROWS:,} 行，请拆分后分批导入", sheet=sheet.name)
        if len(row_v) > MAX_COLUMNS:
            raise _refuse(
                name,
                f"第 {r} 行延伸到第 {len(row_v)} 列（含只有格式的空单元格），超过上限 {MAX_COLUMNS} 列；"
                "请删除表格右侧多余的列后重试",
                sheet=sheet.name,
            )
        cells = [xlsx_text(v) for v in row_v] if row_v.count(None) < len(row_v) else []
        for j, cell in enumerate(next(formula_rows, ())):
            if getattr(cell, "data_type", None) == "f" and (j >= len(cells) or cells[j] is None):
                sheet.formulas[(r, j)] = str(cell.value)
        if any(v is not None and not (isinstance(v, str) and not v.strip()) for v in cells):
            grid.append((r, tuple(cells)))
    return grid


def _split_header(sheet: RawSheet, grid: list[tuple[int, tuple]]) -> None:
    """Find the header row (the first of the first 10 rows naming known columns) and keep the rows below it."""
    if not grid:
        return
    header_at = 0
    if sheet.table is not None:
        for i, (_, cells) in enumerate(grid[:10]):
            hits = sum(1 for c in cells if c is not None and match_field(sheet.table, c) is not None)
            if hits >= min(2, len(fields(sheet.table))):
                header_at = i
                break
    sheet.header_row, header = grid[header_at]
    sheet.headers = [(j, str(h).strip()) for j, h in enumerate(header) if h is not None and str(h).strip()]
    sheet.rows = grid[header_at + 1 :]
    sheet.formulas = {(r, j): t for (r, j), t in sheet.formulas.items() if r > sheet.header_row}


# ---- csv -------------------------------------------------------------------------------------------
def _decode(data: bytes, name: str) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(name, "文件不是文本 CSV（含二进制内容）；请上传 .xlsx 工作簿或 CSV 文本")
    for enc in ("utf-8-sig", "utf-16", "gb18030"):
        if enc == "utf-16" and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _refuse(name, "无法识别 CSV 的文字编码；请另存为“CSV UTF-8（逗号分隔）”后上传")


def _csv_table(name: str, header: list[str], table: str | None) -> str:
    if table is not None:
        resolved = table_for_sheet(table)
        if resolved is None:
            raise _refuse(name, f"未知的表「{table}」")
        return resolved
    by_name = table_for_sheet(PurePath(name).stem)
    if by_name is not None:
        return by_name
    scores = {}
    for t in TABLE_ORDER:
        flds = fields(t)
        hits = {f.name for h in header if (f := match_field(t, h)) is not None}
        required = {f.name for f in flds if f.required} - set(IMPORT_DEFAULTS)  # 地区/评价年度 may come with the upload
        if required <= hits:
            scores[t] = len(hits) / len(flds)
    best = sorted(scores.items(), key=lambda kv: -kv[1])
    if not best or (len(best) > 1 and best[0][1] == best[1][1]):
        raise _refuse(
            name,
            "无法判断这个 CSV 属于哪张表；请把文件命名为表名（如 问题整改.csv），"
            "或指明所属的表（网页上选“CSV 所属的表”，命令行用 --table）",
        )
    return best[0][0]


def _csv_grid(text: str, name: str, delimiter: str) -> list[tuple[int, tuple]]:
    """The non-blank records as (line number, fields), read one at a time and refused past the limits."""
    grid, cells = [], 0
    try:
        for i, rec in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            cells += len(rec)
            if i > MAX_ROWS + 1:
                raise _refuse(name, f"行数超过上限 {MAX_ROWS:,} 行，请拆分后分批导入")
            if cells > MAX_CELLS:
                raise _refuse(name, f"单元格超过上限 {MAX_CELLS:,} 个（第 {i} 行处），拒绝读取；请拆分后分批导入")
            if any(c.strip() for c in rec):
                grid.append((i, tuple(_uninert(c) for c in rec)))
    except csv.Error as exc:
        raise _refuse(name, f"CSV 格式错误：{exc}") from exc
    return grid


_INERT = re.compile(re.escape(INERT_QUOTE) + CSV_FORMULA_START[1:])


def _uninert(cell: str) -> str:
    """A CSV cell with the quote our downloads put before formula-like text taken off ('=x -> =x), so a downloaded
    CSV re-imports as it was; the text stays text (the import never evaluates a cell)."""
    return cell[1:] if _INERT.match(cell) else cell


def _read_csv(data: bytes, name: str, table: str | None) -> RawFile:
    text = _decode(data, name)
    first = text.partition("\n")[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    grid = _csv_grid(text, name, delimiter)
    if not grid:
        raise _refuse(name, "CSV 文件没有内容")
    header = [h.strip() for h in grid[0][1]]
    resolved = _csv_table(name, header, table)
    sheet = RawSheet(display_table(resolved), resolved)
    _split_header(sheet, grid)
    return RawFile(name, "csv", [sheet], [])
