"""Table downloads: Excel with the filters written above the table, and UTF-8 CSV that Excel opens."""

from __future__ import annotations

import io

import polars as pl
import xlsxwriter


def to_excel(df: pl.DataFrame, sheet: str, header_lines: list[str]) -> bytes:
    """An .xlsx with `header_lines` (filters, snapshot, notes) in the first rows and the table below."""
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf, {"in_memory": True}) as wb:
        ws = wb.add_worksheet(sheet[:31])
        bold = wb.add_format({"bold": True})
        for i, line in enumerate(header_lines):
            ws.write(i, 0, line, bold if i == 0 else None)
        df.write_excel(workbook=wb, worksheet=sheet[:31], position=(len(header_lines) + 1, 0),
                       autofit=True, table_style="Table Style Light 9")
    return buf.getvalue()


def to_csv(df: pl.DataFrame) -> bytes:
    """CSV encoded as UTF-8 with a BOM, so Excel shows the Chinese headers correctly."""
    return b"\xef\xbb\xbf" + df.write_csv().encode("utf-8")
