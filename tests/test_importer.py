import datetime as dt
import hashlib
import io
import time
import zipfile

import openpyxl
import polars as pl
import pytest
import xlsxwriter

from perfeval_dash.ingest import importer, template
from perfeval_dash.ingest import reader as workbook_reader
from perfeval_dash.ingest.changes import strip_rows
from perfeval_dash.store import Store, StoreError, schema

from fixtures import AS_OF, REGION, fixture_tables


# ---- helpers: the fixture exported to the template, as editable lists of rows ------------------------
def book_rows(tables=None) -> dict[str, list[list]]:
    """Every sheet of the exported template as lists of cell values (row 1 = header)."""
    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(tables or fixture_tables())))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


class Formula:
    def __init__(self, text, cached=None):
        self.text, self.cached = text, cached


def write_book(sheets: dict[str, list[list]], engine: str = "xlsxwriter") -> bytes:
    """An .xlsx from lists of rows; Formula cells keep a cached value with xlsxwriter, none with openpyxl."""
    buf = io.BytesIO()
    if engine == "openpyxl":
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([c.text if isinstance(c, Formula) else c for c in row])
        wb.save(buf)
        return buf.getvalue()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for i, row in enumerate(rows):
            for j, c in enumerate(row):
                if isinstance(c, Formula):
                    ws.write_formula(i, j, c.text, None, c.cached)
                elif isinstance(c, (dt.date, dt.datetime)):
                    ws.write_datetime(i, j, c, date_fmt)
                elif c is not None:
                    ws.write(i, j, c)
    wb.close()
    return buf.getvalue()


def rewrite_parts(data: bytes, edits: dict) -> bytes:
    """The .xlsx with some parts' bytes passed through an edit function, written as a new zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            part = src.read(item)
            dst.writestr(item.filename, edits[item.filename](part) if item.filename in edits else part)
    return buf.getvalue()


def put(sheets, sheet, row, header, value):
    """Set one cell by Excel row number and column header."""
    col = sheets[sheet][0].index(header)
    sheets[sheet][row - 1][col] = value


def add_row(sheets, sheet, **by_header):
    head = sheets[sheet][0]
    sheets[sheet].append([by_header.get(h) for h in head])
    return len(sheets[sheet])  # its Excel row number


def run(sheets, current=None, **kw) -> importer.ImportResult:
    return importer.read_import(write_book(sheets), "测试.xlsx", current=current, **kw)


# the fixture's t-2024-01 (row 5) publishes 良 for 79.99 on purpose: that warning is always there
BASELINE = ("评价结果", 5, "评价等级")


def only(result, severity="error"):
    """The single finding of a severity, apart from the fixture's baseline warning."""
    found = [f for f in result.findings if f.severity == severity and (f.sheet, f.row, f.column) != BASELINE]
    assert len(found) == 1, [str(f) for f in result.findings]
    return found[0]


def where(f):
    return f.file, f.sheet, f.row, f.column


def dir_hashes(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---- the happy path ----------------------------------------------------------------------------------
def test_clean_fixture_has_no_findings():
    result = run(book_rows())
    assert result.ok and [(f.sheet, f.row, f.column, f.severity) for f in result.findings] == [(*BASELINE, "warning")]
    assert result.tables["evaluations"].height == 5


def test_written_forms_are_converted_and_listed():
    s = book_rows()
    put(s, "评价结果", 2, "预算金额（万元）", "0.01亿元")
    put(s, "评价结果", 2, "评价得分", "95分")
    put(s, "评价结果", 2, "评价等级", "优秀")
    put(s, "问题整改", 2, "整改期限", "2024年6月30日")
    put(s, "问题整改", 3, "整改状态", "正在整改")
    result = run(s)
    assert result.ok, [str(f) for f in result.findings]
    ev = result.tables["evaluations"].row(0, named=True)
    assert (ev["budget_wan"], ev["score"], ev["grade"]) == (100.0, 95.0, "优")
    pr = result.tables["problems"]
    assert pr["due_date"][0] == dt.date(2024, 6, 30) and pr["status"][1] == "整改中"
    conv = {(c.sheet, c.row, c.column): (c.written, c.value) for c in result.conversions}
    assert conv[("评价结果", 2, "预算金额（万元）")] == ("0.01亿元", 100.0)
    assert conv[("评价结果", 2, "评价等级")] == ("优秀", "优")
    assert conv[("问题整改", 2, "整改期限")] == ("2024年6月30日", dt.date(2024, 6, 30))


def test_header_row_below_a_title_and_headers_with_units_are_found():
    s = book_rows()
    s["部门预算"][0] = [h.replace("（万元）", "(万元)") for h in s["部门预算"][0]]  # half-width brackets too
    s["部门预算"].insert(0, ["测试县部门预算表"])
    result = run(s)
    assert result.ok, [str(f) for f in result.findings]
    assert result.tables["dept_budgets"]["_row"].to_list() == [3, 4]


# ---- one test per finding: each names file, sheet, Excel row and column header ------------------------
def test_missing_required_sheet():
    s = book_rows()
    del s["评价批次"]
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价批次", None, None) and "缺少工作表" in f.message


def test_missing_required_column():
    s = book_rows()
    col = s["评价结果"][0].index("项目名称")
    s["评价结果"] = [r[:col] + r[col + 1 :] for r in s["评价结果"]]
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", 1, "项目名称") and "缺少必填列" in f.message


def test_unknown_column_is_a_warning():
    s = book_rows()
    s["评价结果"][0].append("备注")
    result = run(s)
    f = only(result, "warning")
    assert where(f) == ("测试.xlsx", "评价结果", 1, "备注") and "未知列" in f.message
    assert result.ok


def test_empty_required_cell():
    s = book_rows()
    put(s, "评价结果", 4, "主管部门", None)
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", 4, "主管部门") and "必填" in f.message


def test_unreadable_number():
    s = book_rows()
    put(s, "评价结果", 3, "预算金额（万元）", "五十万")
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", 3, "预算金额（万元）") and f.value == "五十万" and "金额" in f.message


def test_unreadable_date():
    s = book_rows()
    put(s, "问题整改", 3, "整改期限", "明年六月")
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 3, "整改期限") and "日期" in f.message


def test_score_outside_0_100():
    s = book_rows()
    put(s, "评价结果", 2, "评价得分", 101)
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", 2, "评价得分") and "0–100" in f.message


def test_negative_amount():
    s = book_rows()
    put(s, "部门预算", 3, "年度项目预算总额（万元）", -300)
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "部门预算", 3, "年度项目预算总额（万元）") and "负数" in f.message


def test_executed_above_budget_is_a_warning():
    s = book_rows()
    put(s, "评价结果", 3, "执行金额（万元）", 60)
    result = run(s)
    f = only(result, "warning")
    assert where(f) == ("测试.xlsx", "评价结果", 3, "执行金额（万元）") and "大于预算金额" in f.message
    assert result.ok


def test_unknown_grade_word():
    s = book_rows()
    put(s, "评价结果", 2, "评价等级", "合格")
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", 2, "评价等级") and "评价等级" in f.message and f.value == "合格"


def test_grade_disagreeing_with_score_is_a_warning_and_the_published_grade_is_kept():
    s = book_rows()
    put(s, "评价结果", 3, "评价等级", "优")  # score 85.5 is 良
    result = run(s)
    f = only(result, "warning")
    assert where(f) == ("测试.xlsx", "评价结果", 3, "评价等级") and "良" in f.message
    row = result.tables["evaluations"].row(1, named=True)
    assert (row["grade"], row["grade_published"]) == ("优", True)


def test_duplicate_evaluation_by_id():
    s = book_rows()
    row = add_row(s, "评价结果", **dict(zip(s["评价结果"][0], s["评价结果"][1])))
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "评价结果", row, "评价编号") and "与第 2 行" in f.message


def test_duplicate_evaluation_by_region_year_name_without_ids():
    s = book_rows()
    put(s, "评价结果", 2, "评价编号", None)  # both rows resolve to the existing t-2023-01 by region, year, name
    values = dict(zip(s["评价结果"][0], s["评价结果"][1]))
    row = add_row(s, "评价结果", **values)
    f = only(run(s, current=fixture_tables()))
    assert where(f) == ("测试.xlsx", "评价结果", row, "评价编号") and "评价重复" in f.message


def test_same_name_with_distinct_ids_is_a_warning():
    s = book_rows()
    values = dict(zip(s["评价结果"][0], s["评价结果"][1])) | {"评价编号": "t-2023-77"}
    row = add_row(s, "评价结果", **values)
    f = only(run(s), "warning")
    assert where(f) == ("测试.xlsx", "评价结果", row, "项目名称") and "编号不同" in f.message


def test_problem_referring_to_a_missing_evaluation():
    s = book_rows()
    put(s, "问题整改", 3, "评价编号", "t-2099-99")
    put(s, "问题整改", 3, "项目名称", None)
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 3, "评价编号") and "不存在" in f.message


def test_problem_referring_by_name_to_a_missing_evaluation():
    s = book_rows()
    put(s, "问题整改", 3, "评价编号", None)
    put(s, "问题整改", 3, "项目名称", "没有这个项目")
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 3, "项目名称") and "不存在" in f.message


def test_unknown_status_word():
    s = book_rows()
    put(s, "问题整改", 4, "整改状态", "处理中")
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 4, "整改状态") and "整改状态" in f.message


def test_due_date_before_the_evaluation_year():
    s = book_rows()
    put(s, "问题整改", 2, "整改期限", dt.date(2022, 12, 31))  # evaluation year 2023
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 2, "整改期限") and "早于评价年度" in f.message


def test_dimension_score_above_weight_comes_from_the_contract():
    s = book_rows()
    put(s, "维度得分", 2, "得分", 16)
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "维度得分", 2, "得分") and "权重" in f.message


def test_evaluation_without_a_batch_gets_a_generated_one_with_a_warning():
    s = book_rows()
    put(s, "评价结果", 5, "评价年度", 2022)  # t-2024-01: no problems or dimensions point at it
    put(s, "评价结果", 5, "预算年度", 2021)
    result = run(s)
    assert result.ok, [str(f) for f in result.errors]
    f = only(result, "warning")
    assert where(f) == ("测试.xlsx", "评价结果", 5, "地区")
    assert "测试县2022年重点绩效评价结果（导入时生成）" in f.message
    made = result.merged["batches"].filter(pl.col("eval_year") == 2022).row(0, named=True)
    assert made["title_generated"] and made["budget_year"] == 2021 and made["_row"] is None


def test_a_batch_level_problem_without_evaluations_or_batch_is_explained():
    s = book_rows()
    put(s, "问题整改", 5, "评价年度", 2021)  # p4, a batch-level problem, moved to a year with nothing
    f = only(run(s))
    assert where(f) == ("测试.xlsx", "问题整改", 5, "地区、评价年度") and "既没有评价也没有评价批次" in f.message


def test_a_finding_reads_as_one_chinese_sentence():
    s = book_rows()
    put(s, "评价结果", 3, "评价得分", "九十")
    assert str(only(run(s))) == (
        "错误：测试.xlsx 工作表「评价结果」 第 3 行 列「评价得分」，值「九十」："
        "应为分数（数字，可带“分”），如 90.97 或 90.97分"
    )


def test_replacing_only_evaluations_reports_the_orphaned_existing_problems():
    csv = (
        "评价编号,地区,评价年度,预算年度,评价类型,项目名称,主管部门,评价得分\n"
        "t-2023-01,测试县,2023,2022,项目,教育局t-2023-01项目,教育局,95\n"
    )
    result = importer.read_import(csv.encode(), "评价结果.csv", current=fixture_tables(), scopes=[(REGION, 2023)])
    orphans = [f for f in result.errors if f.sheet is None]
    assert {f.value for f in orphans} == {"t-2023-02", "t-2023-03"}
    assert all("现有数据「问题整改」" in f.message and "整体替换" in f.message for f in orphans)


def test_the_contract_refuses_text_longer_than_an_excel_cell_in_every_text_column():
    tables = fixture_tables()
    long = "长" * (schema.EXCEL_CELL_MAX_CHARS + 1)
    astral = "\U00020000" * (schema.EXCEL_CELL_MAX_CHARS // 2 + 1)  # fewer characters, but Excel counts each twice
    text_cols = {(n, c.name) for n, t in schema.TABLES.items() for c in t.columns if c.dtype == pl.String}
    tables = {
        n: df.with_row_index("_i")
        .with_columns(
            pl.when(pl.col("_i") == 0).then(pl.lit(astral if n == "batches" else long)).otherwise(pl.col(c)).alias(c)
            for c, t in df.schema.items()
            if t == pl.String
        )
        .drop("_i")
        for n, df in tables.items()
    }
    found = {
        (f.table, f.column)
        for f in schema.validate(tables)
        if f.row == 1 and f"{schema.EXCEL_CELL_MAX_CHARS:,}" in f.message
    }
    assert found == text_cols
    at_limit = {
        n: df.with_columns(pl.lit("长" * schema.EXCEL_CELL_MAX_CHARS).alias("source"))
        for n, df in fixture_tables().items()
        if n != "dimension_scores"
    } | {"dimension_scores": fixture_tables()["dimension_scores"]}
    assert schema.errors(schema.validate(at_limit)) == []


def test_a_cell_longer_than_excel_holds_is_refused_in_csv_and_xlsx():
    long = "未专账核算" * 8000  # 40,000 characters
    csv = f"问题编号,地区,评价年度,问题描述\np9,测试县,2023,{long}\n"
    f = only(importer.read_import(csv.encode("utf-8"), "问题整改.csv", current=fixture_tables()))
    assert where(f) == ("问题整改.csv", "问题整改", 2, "问题描述") and "32,767" in f.message
    assert len(str(f.value)) < 100  # the finding shows a preview, not 40,000 characters
    s = book_rows()
    put(s, "问题整改", 3, "问题描述", "PLACEHOLDER")
    data = rewrite_parts(write_book(s), {"xl/sharedStrings.xml": lambda x: x.replace(b"PLACEHOLDER", long.encode())})
    f = only(importer.read_import(data, "测试.xlsx"))  # written into the zip: xlsxwriter and openpyxl would cut it
    assert where(f) == ("测试.xlsx", "问题整改", 3, "问题描述") and "32,767" in f.message


def test_csv_whose_table_cannot_be_told_is_refused():
    assert "属于哪张表" in refused(b"a,b\n1,2\n", "数据.csv").message


def test_all_problems_are_reported_at_once():
    s = book_rows()
    put(s, "评价结果", 2, "评价得分", "abc")
    put(s, "评价结果", 3, "评价等级", "合格")
    put(s, "问题整改", 4, "整改状态", "处理中")
    put(s, "部门预算", 2, "年度项目预算总额（万元）", -1)
    result = run(s)
    assert {(f.sheet, f.row) for f in result.errors} == {
        ("评价结果", 2),
        ("评价结果", 3),
        ("问题整改", 4),
        ("部门预算", 2),
    }


# ---- refused files ------------------------------------------------------------------------------------
def refused(data: bytes, name: str = "测试.xlsx") -> importer.Finding:
    result = importer.read_import(data, name)
    assert result.refused and not result.ok and result.merged is None
    f = only(result)
    assert (f.file, f.row, f.column) == (name, None, None)  # the whole file is refused
    return f


def test_file_that_is_not_a_workbook():
    assert "不是有效的 .xlsx" in refused("这只是文字".encode()).message
    assert "不支持的文件类型" in refused(b"%PDF-1.7 ...", "报告.pdf").message


def test_zip_that_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert "不是 Excel 工作簿" in refused(buf.getvalue()).message


def test_corrupt_workbook():
    data = template.export_workbook(fixture_tables())
    f = refused(data[: len(data) // 2])
    assert f.file == "测试.xlsx" and "损坏" in f.message


def test_password_protected_workbook():
    # an encrypted .xlsx is an OLE compound file holding an EncryptionInfo stream
    data = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 504 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 512
    assert "密码" in refused(data).message


def test_old_xls_workbook():
    data = bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 1024
    assert ".xls" in refused(data, "旧表.xls").message


def test_empty_workbook():
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    assert "空" in refused(buf.getvalue()).message


def test_template_without_rows_is_an_error():
    result = importer.read_import(template.build_template(), "模板.xlsx")
    assert not result.ok and "没有任何数据行" in only(result).message


def test_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(workbook_reader, "MAX_FILE_BYTES", 1000)
    assert "过大" in refused(template.export_workbook(fixture_tables())).message


def test_formulas_are_read_from_their_cached_values():
    s = book_rows()
    put(s, "评价结果", 2, "预算金额（万元）", Formula("=50+50", 100))
    result = run(s)
    assert result.ok and result.tables["evaluations"]["budget_wan"][0] == 100.0


def test_formula_without_a_cached_value_is_an_error():
    s = book_rows()
    put(s, "评价结果", 2, "预算金额（万元）", Formula("=50+50"))
    result = importer.read_import(write_book(s, engine="openpyxl"), "测试.xlsx")
    f = only(result)
    assert where(f) == ("测试.xlsx", "评价结果", 2, "预算金额（万元）") and "没有保存计算结果" in f.message


# ---- slow bombs: refused from streamed counts, before openpyxl parses anything ------------------------------
MAIN_NS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<%s xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def refused_quickly(data: bytes) -> importer.Finding:
    """The refusal of a file, which must come back within 5 seconds (a bound against a hang, not a benchmark)."""
    start = time.monotonic()
    f = refused(data)
    assert time.monotonic() - start < 5, f"took {time.monotonic() - start:.1f} s"
    return f


def test_shared_strings_bomb_is_refused_quickly():
    sst = MAIN_NS % b"sst" + b"<si><t>a</t></si>" * 3_000_000 + b"</sst>"
    data = rewrite_parts(write_book(book_rows()), {"xl/sharedStrings.xml": lambda _: sst})
    assert len(data) < 1_000_000  # a few hundred KB that openpyxl would spend minutes and gigabytes on
    f = refused_quickly(data)
    assert "共享字符串" in f.message and f"{workbook_reader.MAX_SHARED_STRINGS:,}" in f.message


def test_dense_cells_bomb_is_refused_quickly_naming_the_sheet():
    sheet = (
        MAIN_NS % b"worksheet"
        + b'<sheetData><row r="1">'
        + b'<c r="A1"/>' * 3_000_000
        + b"</row></sheetData></worksheet>"
    )
    data = rewrite_parts(write_book(book_rows()), {"xl/worksheets/sheet2.xml": lambda _: sheet})
    assert len(data) < 1_000_000
    f = refused_quickly(data)
    assert f.sheet == "评价结果" and "单元格" in f.message and f"{workbook_reader.MAX_CELLS:,}" in f.message


def test_text_split_into_countless_runs_is_refused_by_the_tag_limit(monkeypatch):
    monkeypatch.setattr(workbook_reader, "MAX_XML_TAGS", 1_000_000)  # the real limit needs a 60 MB part
    runs = b"<r><t>a</t></r>" * 300_000  # one shared string, one cell: the other counts stay tiny
    sst = MAIN_NS % b"sst" + b"<si>" + runs + b"</si></sst>"
    f = refused_quickly(rewrite_parts(write_book(book_rows()), {"xl/sharedStrings.xml": lambda _: sst}))
    assert "XML 标记" in f.message and "1,000,000" in f.message


def test_sheet_with_too_many_rows_is_refused_before_reading():
    rows = b"".join(b'<row r="%d"/>' % r for r in range(1, workbook_reader.MAX_ROWS + 100))
    sheet = MAIN_NS % b"worksheet" + b"<sheetData>" + rows + b"</sheetData></worksheet>"
    f = refused_quickly(rewrite_parts(write_book(book_rows()), {"xl/worksheets/sheet3.xml": lambda _: sheet}))
    assert f.sheet == "维度得分" and f"{workbook_reader.MAX_ROWS:,}" in f.message


def test_scan_counts_the_same_whatever_the_chunk_size(monkeypatch):
    """Tokens and <row hidden> tags split across two chunks are counted once."""
    s = book_rows()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in s.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb["问题整改"].row_dimensions[3].hidden = True
    wb["问题整改"].column_dimensions["B"].hidden = True
    buf = io.BytesIO()
    wb.save(buf)

    def counts():
        with zipfile.ZipFile(buf) as z:
            scan = workbook_reader.xlsx_scan.scan(z, workbook_reader._limits())
        return (
            scan.cells,
            scan.shared_strings,
            scan.tags,
            {p.name: (p.rows, p.hidden_rows, p.hidden_cols) for p in scan.parts.values()},
        )

    whole = counts()
    assert whole[3]["问题整改"] == (5, {3}, {(2, 2)})
    for size in (3, 7, 64):
        monkeypatch.setattr(workbook_reader.xlsx_scan, "CHUNK", size)
        assert counts() == whole, size


def test_row_reaching_far_to_the_right_is_refused():
    s = book_rows()
    s["问题整改"][2] += [None] * 300 + ["备注"]
    f = refused(write_book(s))
    assert f.sheet == "问题整改" and "第 3 行" in f.message and f"{workbook_reader.MAX_COLUMNS} 列" in f.message


def test_csv_with_too_many_cells_is_refused_quickly():
    line = ",".join(["1"] * 25) + "\n"
    data = ("问题编号,地区,评价年度,问题描述\n" + line * (workbook_reader.MAX_CELLS // 25 + 10)).encode()
    start = time.monotonic()
    f = refused(data, "问题整改.csv")
    assert time.monotonic() - start < 5
    assert "单元格" in f.message and f"{workbook_reader.MAX_CELLS:,}" in f.message


def test_excel_escapes_in_text_are_decoded():
    s = book_rows()
    put(s, "问题整改", 2, "整改建议", "第一条\r\n第二条")  # xlsxwriter, like Excel, writes the CR as _x000D_
    result = run(s)
    assert result.tables["problems"]["recommendation"][0] == "第一条\r\n第二条"


# ---- hidden sheets and rows ----------------------------------------------------------------------------------
def test_hidden_sheets_and_hidden_rows_are_imported_with_a_warning():
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in book_rows().items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb["部门预算"].sheet_state = "hidden"
    wb["评价批次"].sheet_state = "veryHidden"
    wb["问题整改"].row_dimensions[3].hidden = True
    wb["问题整改"].row_dimensions[40].hidden = True  # hidden but empty: nothing to say
    headers = [c.value for c in wb["评价结果"][1]]
    hidden_col = openpyxl.utils.get_column_letter(headers.index("评价得分") + 1)
    wb["评价结果"].column_dimensions[hidden_col].hidden = True
    wb["评价结果"].column_dimensions["ZZ"].hidden = True  # hidden but without a header: nothing to say
    buf = io.BytesIO()
    wb.save(buf)
    result = importer.read_import(buf.getvalue(), "隐藏.xlsx")
    assert result.ok, [str(f) for f in result.errors]
    hidden = {where(f): f.message for f in result.warnings if "隐藏" in f.message}
    assert set(hidden) == {
        ("隐藏.xlsx", "部门预算", None, None),
        ("隐藏.xlsx", "评价批次", None, None),
        ("隐藏.xlsx", "问题整改", 3, None),
        ("隐藏.xlsx", "评价结果", 1, "评价得分"),
    }
    assert hidden[("隐藏.xlsx", "评价结果", 1, "评价得分")] == "该列在 Excel 中是隐藏列，其中的数据已照常导入，请确认"
    assert result.tables["evaluations"]["score"].null_count() < result.tables["evaluations"].height
    assert hidden[("隐藏.xlsx", "问题整改", 3, None)] == "该行在 Excel 中是隐藏行，已照常导入，请确认"
    assert "2 行数据已照常导入" in hidden[("隐藏.xlsx", "部门预算", None, None)]
    assert "深度隐藏" in hidden[("隐藏.xlsx", "评价批次", None, None)]
    assert result.tables["dept_budgets"].height == 2 and 3 in result.tables["problems"]["_row"].to_list()


# ---- linking without ids, defaults -----------------------------------------------------------------
def test_rows_refer_to_evaluations_by_region_year_and_name():
    s = book_rows()
    put(s, "问题整改", 2, "评价编号", None)  # 项目名称 still says 教育局t-2023-01项目
    put(s, "维度得分", 2, "评价编号", None)
    result = run(s)
    assert result.ok, [str(f) for f in result.findings]
    assert result.tables["problems"]["eval_id"][0] == "t-2023-01"
    assert result.tables["dimension_scores"]["eval_id"][0] == "t-2024-02"


def test_ids_categories_and_grades_are_filled_when_left_empty():
    s = book_rows()
    head = s["评价结果"][0]
    new = add_row(
        s,
        "评价结果",
        地区=REGION,
        评价年度=2024,
        预算年度=2023,
        评价类型="项目",
        项目名称="新项目",
        主管部门="教育局",
        评价得分="82分",
    )
    add_row(s, "问题整改", 地区=REGION, 评价年度=2024, 项目名称="新项目", 问题描述="未专账核算，资金使用不规范")
    result = run(s)
    assert result.ok, [str(f) for f in result.findings]
    ev = result.tables["evaluations"].filter(pl.col("_row") == new).row(0, named=True)
    assert ev["eval_id"].startswith("ev-2024-") and ev["grade"] == "良" and ev["grade_published"] is False
    assert ev["source"] == "测试.xlsx" and ev["synthetic"] is False
    pr = result.tables["problems"].row(-1, named=True)
    assert pr["eval_id"] == ev["eval_id"] and pr["category"] == "资金管理" and pr["problem_id"].startswith("pr-2024-")
    # the same file again: the generated ids are stable, so nothing is added twice
    again = run(s, current=strip_rows(result.merged))
    assert again.changes["evaluations"].counts == {"新增": 0, "修改": 0, "未变": 6, "删除": 0}
    assert again.changes["problems"].counts["新增"] == 0
    assert head == s["评价结果"][0]


def test_csv_with_chinese_or_english_headers(tmp_path):
    tables = fixture_tables()
    csv_cn = (
        "问题编号,评价编号,地区,评价年度,问题描述,整改状态,整改期限\n"
        "p9,t-2023-02,测试县,2023,目标不清,整改中,2025/3/31\n"
    )
    result = importer.read_import(csv_cn.encode("utf-8-sig"), "问题整改.csv", current=tables)
    assert result.ok, [str(f) for f in result.findings]
    assert result.changes["problems"].counts["新增"] == 1 and list(result.tables) == ["problems"]
    csv_en = 'region,budget_year,department,project_budget_wan\n测试县,2022,教育局,"1,200万元"\n'
    result = importer.read_import(csv_en.encode("gb18030"), "budgets.csv", current=tables)
    assert result.ok, [str(f) for f in result.findings]
    assert result.tables["dept_budgets"]["project_budget_wan"].to_list() == [1200.0]
    assert result.changes["dept_budgets"].counts == {"新增": 0, "修改": 1, "未变": 1, "删除": 0}
    bad = importer.read_import(
        "region,budget_year,department,project_budget_wan\n测试县,2022,教育局,abc\n".encode(),
        "部门预算.csv",
        current=tables,
    )
    f = only(bad)
    assert where(f) == ("部门预算.csv", "部门预算", 2, "年度项目预算总额（万元）")


# ---- merging, preview, publishing ----------------------------------------------------------------------
def test_upsert_updates_existing_keys_adds_new_rows_and_touches_nothing_else():
    current = fixture_tables()
    s = book_rows()
    s["评价结果"] = s["评价结果"][:3]  # only t-2023-01 and t-2023-02
    put(s, "评价结果", 3, "评价得分", 91)
    put(s, "评价结果", 3, "评价等级", "优")
    values = dict(zip(s["评价结果"][0], s["评价结果"][1])) | {"评价编号": "t-2023-09", "项目名称": "新增项目"}
    add_row(s, "评价结果", **values)
    for sheet in ("维度得分", "问题整改", "部门预算", "评价批次"):
        s[sheet] = s[sheet][:1]
    result = run(s, current=current)
    assert result.ok, [str(f) for f in result.findings]
    assert result.changes["evaluations"].counts == {"新增": 1, "修改": 1, "未变": 4, "删除": 0}
    assert result.changes["problems"].counts == {"新增": 0, "修改": 0, "未变": 4, "删除": 0}
    changed = result.changes["evaluations"].values
    assert sorted(changed.select("列", "原值", "新值").rows()) == [
        ("评价得分", "85.5", "91.0"),
        ("评价等级", "良", "优"),
    ]


def test_replace_mode_removes_the_region_year_first():
    current = fixture_tables()
    s = book_rows()
    s["评价结果"] = [r for r in s["评价结果"] if r[0] in ("评价编号", "t-2023-01")]
    s["问题整改"] = [r for r in s["问题整改"] if r[0] in ("问题编号", "p1")]
    s["维度得分"] = s["维度得分"][:1]
    s["部门预算"] = s["部门预算"][:1]
    s["评价批次"] = [r for r in s["评价批次"] if r[1] in ("评价年度", 2023)]
    result = run(s, current=current, scopes=[(REGION, 2023)])
    assert result.ok, [str(f) for f in result.findings]
    assert result.changes["evaluations"].counts == {"新增": 0, "修改": 0, "未变": 3, "删除": 2}
    assert result.changes["problems"].counts == {"新增": 0, "修改": 0, "未变": 2, "删除": 2}
    assert result.changes["dept_budgets"].counts["删除"] == 2  # budget year 2022 belongs to evaluation year 2023
    assert result.changes["dimension_scores"].counts["删除"] == 0  # those belong to 2024


def test_publish_makes_a_new_snapshot_and_keeps_the_old_one(store):
    first = store.current_id()
    before = dir_hashes(store.snapshots_dir / first)
    s = book_rows()
    put(s, "问题整改", 3, "整改状态", "已整改")
    result = importer.load_import(store, write_book(s), "整改更新.xlsx")
    assert result.base_id == first and result.changes["problems"].counts["修改"] == 1
    snap = importer.publish_import(store, result, dt.date(2025, 7, 1))
    assert store.current_id() == snap.id != first
    assert snap.made_from[-1] == "整改更新.xlsx" and snap.as_of == dt.date(2025, 7, 1)
    assert snap.read_table("problems").filter(pl.col("problem_id") == "p2")["status"].item() == "已整改"
    assert dir_hashes(store.snapshots_dir / first) == before


def test_failed_import_after_partly_reading_leaves_the_data_folder_unchanged(store):
    before = dir_hashes(store.root)
    good = template.export_workbook(fixture_tables())
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet5.xml":  # the 4th data sheet: earlier sheets read fine
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    result = importer.load_import(store, buf.getvalue(), "坏文件.xlsx")
    assert result.refused and where(result.errors[0])[:2] == ("坏文件.xlsx", "部门预算")
    with pytest.raises(StoreError):
        importer.publish_import(store, result, AS_OF)
    assert dir_hashes(store.root) == before


def test_import_with_errors_or_a_crash_while_publishing_leaves_the_data_folder_unchanged(store, monkeypatch):
    before = dir_hashes(store.root)
    s = book_rows()
    put(s, "评价结果", 2, "评价得分", 101)
    with pytest.raises(StoreError):
        importer.publish_import(store, importer.load_import(store, write_book(s), "错.xlsx"), AS_OF)
    ok = importer.load_import(store, write_book(book_rows()), "对.xlsx")
    real_publish = Store.publish
    monkeypatch.setattr(Store, "publish", lambda self, *a, **k: real_publish(self, *a, **k, _fail_after="write"))
    with pytest.raises(StoreError):
        importer.publish_import(store, ok, AS_OF)
    assert dir_hashes(store.root) == before


def test_publishing_a_stale_preview_is_refused(store):
    s = book_rows()
    put(s, "评价结果", 2, "评价得分", 96)
    preview = importer.load_import(store, write_book(s), "a.xlsx")
    importer.publish_import(store, importer.load_import(store, write_book(book_rows()), "b.xlsx"), AS_OF)
    with pytest.raises(StoreError, match="重新上传"):
        importer.publish_import(store, preview, AS_OF)


def test_a_downloaded_csv_reimports_formula_like_text_exactly():
    """Downloads put a quote before text a spreadsheet would evaluate (=, +, -, @, TAB, CR); the import takes it off
    again, so the text comes back as it was (and stays text); a quote before other text is kept."""
    from perfeval_dash.ui import exports

    texts = ["=1+1", "+86 电话", "-资金闲置", "@所有人", "\t缩进", "'原文带引号", "普通问题"]
    df = pl.DataFrame(
        {
            "问题编号": [f"q{i}" for i in range(len(texts))],
            "评价编号": ["t-2023-02"] * len(texts),
            "地区": ["测试县"] * len(texts),
            "评价年度": [2023] * len(texts),
            "问题描述": texts,
        }
    )
    data = exports.to_csv(df)
    assert b"'=1+1" in data, "the download itself is inert"
    result = importer.read_import(data, "问题整改.csv", current=fixture_tables())
    assert result.ok, [str(f) for f in result.findings]
    got = dict(zip(result.tables["problems"]["problem_id"], result.tables["problems"]["description"]))
    assert [got[f"q{i}"] for i in range(len(texts))] == [t.strip() if t.startswith("\t") else t for t in texts]
