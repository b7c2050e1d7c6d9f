"""Table downloads: Excel with the filters written above the table, and UTF-8 CSV that Excel opens.

Both are inert: a data value never becomes a live formula or hyperlink (values come from uploaded files).
"""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter

from perfeval_dash.store.schema import (
    CSV_FORMULA_START,
    EXCEL_CELL_MAX_CHARS,
    INERT_QUOTE,
    text_length,
    utf16_length,
)

# xlsxwriter's write() (which polars' write_excel uses for every cell) would otherwise turn text starting with
# "=" into a formula and text like http://… into a hyperlink.
INERT_WORKBOOK = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
CUT_MARK = "…【已截断】"


def _cut_long_text(df: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The frame with text longer than an Excel cell cut and marked, and how many cells were cut."""
    keep = EXCEL_CELL_MAX_CHARS - utf16_length(CUT_MARK)
    cut, columns = 0, []
    for c, dtype in df.schema.items():
        if dtype != pl.String or not df.select((text_length(pl.col(c)) > EXCEL_CELL_MAX_CHARS).any()).item():
            continue
        values = df[c].to_list()
        for i, v in enumerate(values):
            if v is not None and utf16_length(v) > EXCEL_CELL_MAX_CHARS:
                values[i] = v.encode("utf-16-le")[: 2 * keep].decode("utf-16-le", "ignore") + CUT_MARK
                cut += 1
        columns.append(pl.Series(c, values, dtype=pl.String))
    return df.with_columns(columns), cut


def to_excel(df: pl.DataFrame, sheet: str, header_lines: list[str], formats: dict[str, str] | None = None) -> bytes:
    """An .xlsx for reading: `header_lines` (filters, snapshot, notes) above the table; frozen header, auto-filter,
    fitted widths and number formats per column (`formats`: Excel format by column name)."""
    df, cut = _cut_long_text(df)
    if cut:
        header_lines = [
            *header_lines,
            f"注意：有 {cut} 个单元格的文字超过 Excel 单元格上限 {EXCEL_CELL_MAX_CHARS:,} "
            f"个字符，已截断并标注「{CUT_MARK}」；完整内容请下载 CSV",
        ]
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, INERT_WORKBOOK) as wb:
        ws = wb.add_worksheet(sheet[:31])
        bold = wb.add_format({"bold": True})
        for i, line in enumerate(header_lines):
            ws.write_string(i, 0, line, bold if i == 0 else None)
        top = len(header_lines) + 1
        df.write_excel(
            workbook=wb,
            worksheet=sheet[:31],
            position=(top, 0),
            autofit=True,
            autofilter=True,
            freeze_panes=(top + 1, 0),
            column_formats={c: f for c, f in (formats or {}).items() if c in df.columns},
            table_style="Table Style Light 9",
        )
    return buf.getvalue()


def _inert_csv_text(df: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that a spreadsheet would evaluate prefixed with a single quote."""
    text = [c for c, dtype in df.schema.items() if dtype == pl.String]
    return df.with_columns(
        pl.when(pl.col(c).str.contains(CSV_FORMULA_START))
        .then(pl.lit(INERT_QUOTE) + pl.col(c))
        .otherwise(pl.col(c))
        .alias(c)
        for c in text
    )


def to_csv(df: pl.DataFrame) -> bytes:
    """CSV encoded as UTF-8 with a BOM, so Excel shows the Chinese headers correctly; formula-like text quoted."""
    return b"\xef\xbb\xbf" + _inert_csv_text(df).write_csv().encode("utf-8")


def to_excel_book(sheets: list[tuple[str, pl.DataFrame]], header_lines: list[str]) -> bytes:
    """An .xlsx with one sheet per (name, table): `header_lines` then the sheet's name above each table."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, INERT_WORKBOOK) as wb:
        bold = wb.add_format({"bold": True})
        for name, df in sheets:
            df, cut = _cut_long_text(df)
            lines = [name, *header_lines]
            if cut:
                lines.append(f"注意：有 {cut} 个单元格的文字超过 Excel 单元格上限，已截断并标注「{CUT_MARK}」")
            ws = wb.add_worksheet(name[:31])
            for i, line in enumerate(lines):
                ws.write_string(i, 0, line, bold if i == 0 else None)
            if df.width:
                df.write_excel(workbook=wb, worksheet=name[:31], position=(len(lines) + 1, 0), autofit=True)
    return buf.getvalue()
