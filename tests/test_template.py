import io

import openpyxl
import polars as pl
import pytest

from perfeval_dash.ingest import importer, template
from perfeval_dash.ingest.changes import strip_rows
from perfeval_dash.ingest.layout import GUIDE_SHEET, TABLE_ORDER, fields
from perfeval_dash.store import Store, bundled, schema

from fixtures import AS_OF, fixture_tables


@pytest.fixture(scope="module")
def book():
    return openpyxl.load_workbook(io.BytesIO(template.build_template()))


def test_sheets_are_the_tables_in_chinese_plus_a_guide(book):
    assert book.sheetnames == [GUIDE_SHEET, "评价结果", "维度得分", "问题整改", "部门预算", "评价批次"]
    for name in TABLE_ORDER:
        ws = book[schema.TABLES[name].header]
        assert [c.value for c in ws[1]] == [f.header for f in fields(name)]
        assert ws.freeze_panes == "A2"  # header row frozen
        assert ws.max_row == 1  # no data in the empty template


def test_guide_explains_every_column(book):
    ws = book[GUIDE_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[:2] == ["工作表", "列名"])
    assert rows[head] == ["工作表", "列名", "含义", "单位", "是否必填", "允许的值 / 写法", "示例", "留空时"]
    explained = {(r[0], r[1]): r for r in rows[head + 1 :]}
    for name in TABLE_ORDER:
        for f in fields(name):
            row = explained[(schema.TABLES[name].header, f.header)]
            assert row[2], f"{f.header} has no meaning"
            assert row[4] in ("必填", "选填")
            assert row[5]
            if f.unit:
                assert row[3] == f.unit
    assert explained[("评价结果", "项目名称")][4] == "必填"
    assert explained[("评价结果", "评价得分")][4] == "选填"  # grade-only lists leave it empty
    assert "不能都为空" in explained[("评价结果", "评价等级")][7]  # … but not both score and grade
    assert explained[("评价结果", "地区")][4] == "必填" and "--region" in explained[("评价结果", "地区")][7]
    assert explained[("评价结果", "评价编号")][4] == "选填"  # generated when empty
    assert explained[("评价结果", "预算金额（万元）")][3] == "万元"  # the header carries its unit
    assert "亿元" in explained[("评价结果", "预算金额（万元）")][5]
    assert explained[("评价结果", "等级为原文公布")][6] == "是", "examples use the drop-down words, not true"
    assert not any(r[6] in ("true", "false") for r in explained.values())


@pytest.mark.parametrize(
    "sheet, header, allowed",
    [
        ("评价结果", "评价类型", '"项目,部门整体,政策"'),
        ("评价结果", "评价等级", '"优,良,中,差"'),
        ("评价结果", "等级为原文公布", '"是,否"'),
        ("问题整改", "整改状态", '"未整改,整改中,已整改,已销号"'),
        ("部门预算", "模拟数据", '"是,否"'),
    ],
)
def test_closed_vocabularies_have_drop_down_lists(book, sheet, header, allowed):
    ws = book[sheet]
    col = [c.value for c in ws[1]].index(header)
    letter = openpyxl.utils.get_column_letter(col + 1)
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert lists[f"{letter}2:{letter}{template.VALIDATION_ROWS + 1}"] == allowed


def test_export_fills_rows_with_links_and_readable_values():
    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(fixture_tables())))
    ws = wb["问题整改"]
    head = [c.value for c in ws[1]]
    first = dict(zip(head, [c.value for c in ws[2]]))
    assert first["问题编号"] == "p1" and first["评价编号"] == "t-2023-01"
    assert first["项目名称"] == "教育局t-2023-01项目"  # the evaluation's name, for people reading the sheet
    assert first["整改期限"].date().isoformat() == "2024-06-30"  # a real Excel date cell
    assert first["模拟数据"] == "否"
    dims = wb["维度得分"]
    assert [c.value for c in dims[2]][:4] == ["t-2024-02", "测试县", 2024, "财政局t-2024-02项目"]


def test_fixture_round_trip_is_exact():
    tables = fixture_tables()
    result = importer.read_import(template.export_workbook(tables), "fixture.xlsx")
    assert result.ok, [str(f) for f in result.findings if f.severity == "error"]
    merged = strip_rows(result.merged)
    for name in schema.TABLES:
        assert merged[name].equals(schema.conform(name, tables[name])), name


def test_seed_records_round_trip_into_exactly_the_bundled_real_records(tmp_path):
    """Export the real records to the template, import into an empty store, publish, compare."""
    real = bundled.real_tables()
    store = Store(tmp_path / "data")
    result = importer.load_import(store, template.export_workbook(real), "真实记录.xlsx")
    assert result.ok, [str(f) for f in result.errors]
    assert {n: c.counts["新增"] for n, c in result.changes.items()} == {n: real[n].height for n in schema.TABLES}
    snap = importer.publish_import(store, result, AS_OF)
    published = snap.read_tables()
    for name in schema.TABLES:
        assert published[name].equals(schema.conform(name, real[name])), name
    # and importing the same file again changes nothing
    again = importer.load_import(store, template.export_workbook(real), "真实记录.xlsx")
    assert all(c.counts["新增"] == c.counts["修改"] == c.counts["删除"] == 0 for c in again.changes.values())


def test_real_records_carry_published_grades_and_no_synthetic_rows():
    real = bundled.real_tables()
    result = importer.read_import(template.export_workbook(real), "真实记录.xlsx")
    ev = result.tables["evaluations"]
    assert ev["grade_published"].to_list() == real["evaluations"]["grade_published"].to_list()
    assert not ev["synthetic"].any()
    assert ev.filter(pl.col("eval_id") == "tekes-2024-05")["eval_type"].item() == "部门整体"


# values a spreadsheet would run as a formula or open as a link
PAYLOADS = [
    '=HYPERLINK("http://evil","x")',
    "=1+1",
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    "http://evil.example/",
]


def payload_tables() -> dict[str, pl.DataFrame]:
    """The fixture with the payloads in optional text columns of evaluations (unit, evaluator) and problems."""
    tables = fixture_tables()
    ev, pr = tables["evaluations"], tables["problems"]
    tables["evaluations"] = ev.with_columns(unit=pl.Series(PAYLOADS[:5]), evaluator=pl.Series(PAYLOADS[5:] + [None]))
    tables["problems"] = pr.with_columns(
        recommendation=pl.Series(PAYLOADS[:4]), responsible_unit=pl.Series(PAYLOADS[-4:])
    )
    return tables


def test_export_writes_formula_and_link_payloads_as_plain_strings():
    from perfeval_dash.ingest.reader import xlsx_text

    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(payload_tables())))
    texts = []
    for ws in wb.worksheets:
        cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
        assert all(c.data_type == "s" for c in cells if isinstance(c.value, str)), ws.title
        assert all(c.data_type != "f" and c.hyperlink is None for c in cells) and not ws._hyperlinks, ws.title
        texts += [xlsx_text(c.value) for c in cells if isinstance(c.value, str)]
    assert all(p in texts for p in PAYLOADS)  # written as they are: no quote prefix


def test_export_with_payloads_round_trips():
    tables = payload_tables()
    result = importer.read_import(template.export_workbook(tables), "payloads.xlsx")
    assert result.ok, [str(f) for f in result.errors]
    merged = strip_rows(result.merged)
    # the importer strips the ends of every text cell, so a leading tab or carriage return does not survive it
    expected = {
        n: schema.conform(n, df).with_columns(
            pl.col(c).str.strip_chars() for c, t in df.schema.items() if t == pl.String
        )
        for n, df in tables.items()
    }
    for name in schema.TABLES:
        assert merged[name].equals(expected[name]), name
    ev = merged["evaluations"]
    assert ev["unit"].to_list() + ev["evaluator"].to_list()[:4] == [p.strip() for p in PAYLOADS]


def test_export_refuses_text_longer_than_a_cell_rather_than_cut_it():
    tables = fixture_tables()
    long = "长" * (schema.EXCEL_CELL_MAX_CHARS + 1)
    tables["problems"] = tables["problems"].with_columns(
        description=pl.when(pl.col("problem_id") == "p3").then(pl.lit(long)).otherwise(pl.col("description"))
    )
    with pytest.raises(template.TemplateError) as exc:
        template.export_workbook(tables)
    message = str(exc.value)
    assert "「问题整改」" in message and "第 4 行" in message and "问题编号 p3" in message
    assert "「问题描述」" in message and "32,767" in message
    at_limit = tables | {"problems": tables["problems"].with_columns(pl.col("description").str.slice(0, 32767))}
    assert template.export_workbook(at_limit)
