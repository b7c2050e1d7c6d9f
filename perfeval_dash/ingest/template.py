"""The Excel template: an empty workbook to fill, or tables exported into the same format (xlsxwriter).

Exported values are written as they are: text as string cells (never a formula or a link, whatever it starts
with, and without a quote prefix, so re-importing gives back the same values); text too long for a cell is refused.
"""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import xlsxwriter

from perfeval_dash.domain import vocab
from perfeval_dash.ingest.layout import GUIDE_SHEET, TABLE_ORDER, Field, display_table, fields, header_of
from perfeval_dash.store import schema

TEMPLATE_FILENAME = "预算绩效评价结果_导入模板.xlsx"
VALIDATION_ROWS = 5000  # rows below the header that get drop-down lists and formats in an empty template
_WIDE = {
    "project_name",
    "description",
    "recommendation",
    "recommendations",
    "amount_basis",
    "title",
    "source",
    "evaluator",
    "department",
    "unit",
    "responsible_unit",
}


def _choices(words: tuple[str, ...], written: dict[str, str]) -> str:
    """'优 / 良 / 中 / 差（也可写 优秀、良好 …）' for a vocabulary and its accepted written forms."""
    return " / ".join(words) + "（也可写 " + "、".join(w for w in written if w not in words) + "）"


KIND_NOTES = {
    "amount": "数字，单位万元；也可写 1,000.5、1000.5万元、0.4亿元、¥123.77万、5000元（自动换算为万元）",
    "score": "数字，0–100；可带“分”，如 90.97分",
    "year": "四位年份，如 2024",
    "date": "日期单元格，或写 2024-06-30、2024/6/30、2024年6月30日、2024.6.30",
    "bool": "是 / 否",
    "grade": _choices(vocab.GRADES, vocab.GRADE_WORDS),
    "status": _choices(vocab.STATUSES, vocab.STATUS_WORDS),
    "eval_type": _choices(vocab.EVAL_TYPES, vocab.EVAL_TYPE_WORDS),
    "application": _choices(vocab.APPLICATIONS, vocab.APPLICATION_WORDS) + f"；留空表示{vocab.NOT_RECORDED}",
    "text": "文字",
}
GUIDE_INTRO = [
    "预算绩效评价结果 导入模板",
    "1. 每个工作表对应一张数据表：评价结果、维度得分、问题整改、部门预算、评价批次。"
    "工作表名和第一行列名请勿修改；不需要的表留空即可。",
    "2. 橙色列名为必填列；其余可留空。下表逐列说明含义、单位、是否必填、允许的值和示例。",
    "3. 维度得分、问题整改可用“评价编号”指明所属评价，也可不填编号，改填 地区 + 评价年度 + 项目名称。",
    "4. 导入默认为“合并更新”：编号（主键）已存在的行被更新，新行被添加，其他数据不变；"
    "也可选择“整体替换”某地区某评价年度的全部数据。",
    "5. 导入前会列出全部问题（工作表、行号、列名、值），有错误时不会发布；发布前可预览新增、修改、未变的行数。",
    "6. 公式单元格按文件中保存的计算结果读取；没有保存结果的公式会报错，请在 Excel 中打开并保存，或粘贴为数值。",
    "7. 只公布等级的结果表：评价得分留空即可（不会按等级推算得分）；预算年度未注明时留空（不计入覆盖率）。"
    "表中没有地区、评价年度时，可在导入时指定默认值；某地区某评价年度没有「评价批次」行时，导入会自动生成一行"
    "（标题注明“导入时生成”），以后导入含报告标题的批次行即替换它。",
]
GUIDE_HEADERS = ("工作表", "列名", "含义", "单位", "是否必填", "允许的值 / 写法", "示例", "留空时")


class TemplateError(ValueError):
    """The tables cannot be exported into the template without changing them; the message says where, in Chinese."""


def _cell_value(kind: str, value: object) -> object:
    if value is None:
        return None
    if kind == "bool":
        return "是" if value else "否"
    return value


def _example(f: Field) -> str:
    """A column's example as the sheet takes it (是/否 for yes/no columns, like their drop-down)."""
    if f.kind == "bool" and f.column.example in ("true", "false"):
        return "是" if f.column.example == "true" else "否"
    return f.column.example


class _Writer:
    def __init__(self, buf: io.BytesIO):
        self.wb = xlsxwriter.Workbook(
            buf,
            {"in_memory": True, "strings_to_urls": False, "strings_to_formulas": False, "strings_to_numbers": False},
        )
        add = self.wb.add_format
        self.head = add({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
        self.head_req = add({"bold": True, "bg_color": "#F8CBAD", "border": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 14})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.formats = {
            "date": add({"num_format": "yyyy-mm-dd"}),
            "amount": add({"num_format": "#,##0.00##"}),
            "score": add({"num_format": "0.00##"}),
            "year": add({"num_format": "0"}),
            "text": add({"num_format": "@"}),
        }

    def guide(self) -> None:
        ws = self.wb.add_worksheet(GUIDE_SHEET)
        ws.write_string(0, 0, GUIDE_INTRO[0], self.title)
        for i, line in enumerate(GUIDE_INTRO[1:], start=1):
            ws.write_string(i, 0, line)
        top = len(GUIDE_INTRO) + 1
        for j, h in enumerate(GUIDE_HEADERS):
            ws.write_string(top, j, h, self.head)
        r = top + 1
        for table in TABLE_ORDER:
            for f in fields(table):
                allowed = KIND_NOTES[f.kind]
                row = (
                    display_table(table),
                    f.header,
                    f.column.description,
                    f.unit or "",
                    "必填" if f.required else "选填",
                    allowed,
                    _example(f),
                    f.default,
                )
                for j, v in enumerate(row):
                    ws.write_string(r, j, str(v), self.head_req if (j == 1 and f.required) else self.wrap)
                r += 1
        for j, w in enumerate((12, 16, 48, 6, 8, 48, 28, 44)):
            ws.set_column(j, j, w)
        ws.freeze_panes(top + 1, 2)

    def table(self, name: str, df: pl.DataFrame | None) -> None:
        ws = self.wb.add_worksheet(display_table(name))
        flds = fields(name)
        n = 0 if df is None else df.height
        last_row = max(VALIDATION_ROWS, n + 1000)
        for j, f in enumerate(flds):
            ws.write_string(0, j, f.header, self.head_req if f.required else self.head)
            note = (
                f"{f.column.description}"
                + (f"（单位：{f.unit}）" if f.unit else "")
                + f"\n{'必填' if f.required else '选填'}。{KIND_NOTES[f.kind]}"
                + (f"\n{f.default}" if f.default else "")
            )
            ws.write_comment(0, j, note, {"x_scale": 2, "y_scale": 1.5})
            width = 36 if f.name in _WIDE else max(10, 2 * len(f.header) + 4)
            ws.set_column(j, j, width, self.formats.get(f.kind))
            if f.allowed:
                ws.data_validation(
                    1,
                    j,
                    last_row,
                    j,
                    {
                        "validate": "list",
                        "source": list(f.allowed),
                        "error_type": "warning",
                        "error_title": f.header,
                        "error_message": f"{f.header} 应为 {' / '.join(f.allowed)} 之一",
                        "input_title": f.header[:32],
                        "input_message": KIND_NOTES[f.kind][:255],
                    },
                )
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(n, 1), len(flds) - 1)
        if df is not None:
            self._rows(ws, flds, df)

    def _rows(self, ws, flds: tuple[Field, ...], df: pl.DataFrame) -> None:
        cols = [f.name if f.name in df.columns else None for f in flds]
        for i, row in enumerate(df.iter_rows(named=True), start=1):
            for j, (f, c) in enumerate(zip(flds, cols)):
                value = _cell_value(f.kind, row[c]) if c else None
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(value, dt.time()), self.formats["date"])
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(i, j, value, self.formats.get(f.kind))
                else:
                    ws.write_string(i, j, str(value), self.formats["text"])

    def close(self) -> None:
        self.wb.get_worksheet_by_name(GUIDE_SHEET).activate()
        self.wb.close()


def _with_links(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Dimension and problem rows with the evaluation's 地区/评价年度/项目名称 filled in, for readability."""
    ev = tables["evaluations"].select("eval_id", "region", "eval_year", "project_name")
    out = dict(tables)
    out["dimension_scores"] = tables["dimension_scores"].join(ev, on="eval_id", how="left", maintain_order="left")
    out["problems"] = tables["problems"].join(
        ev.select("eval_id", "project_name"), on="eval_id", how="left", maintain_order="left"
    )
    return out


def _refuse_long_text(tables: dict[str, pl.DataFrame]) -> None:
    """TemplateError naming table, row and column of the first text an Excel cell cannot hold (Excel would cut it)."""
    limit = schema.EXCEL_CELL_MAX_CHARS
    for name, df in tables.items():
        key = schema.TABLES[name].key
        for c, dtype in df.schema.items():
            if dtype != pl.String:
                continue
            long = df.with_row_index("_i").filter(schema.text_length(pl.col(c)) > limit)
            if long.height:
                r = long.row(0, named=True)
                ids = "，".join(f"{header_of(name, k)} {r[k]}" for k in key)
                raise TemplateError(
                    f"表「{display_table(name)}」第 {r['_i'] + 2} 行（{ids}）列「{header_of(name, c)}」的文字有 "
                    f"{schema.utf16_length(r[c]):,} 个字符，超过 Excel 单元格上限 {limit:,} 个字符；写入模板会被截断，"
                    "重新导入时数据会改变，因此未导出。请先删减这段文字"
                )


def export_workbook(tables: dict[str, pl.DataFrame] | None = None) -> bytes:
    """The template workbook as .xlsx bytes; with tables, their rows filled in (importable as they are).

    Raises TemplateError when a text is longer than an Excel cell holds."""
    if tables is not None:
        tables = {n: schema.conform(n, tables[n]) if n in tables else schema.empty_table(n) for n in schema.TABLES}
        _refuse_long_text(tables)
        tables = _with_links(tables)
    buf = io.BytesIO()
    w = _Writer(buf)
    w.guide()
    for name in TABLE_ORDER:
        w.table(name, None if tables is None else tables[name])
    w.close()
    return buf.getvalue()


def build_template() -> bytes:
    """The empty template workbook as .xlsx bytes."""
    return export_workbook(None)
