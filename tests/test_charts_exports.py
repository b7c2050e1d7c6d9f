"""Charts are pure and aggregated; exports carry Chinese headers and the filters."""

from __future__ import annotations

import io
import json

import openpyxl
import polars as pl
import pytest

from perfeval_dash.ingest.reader import xlsx_text
from perfeval_dash.queries import coverage, overview, problems, scores
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import connect, schema
from perfeval_dash.ui import charts, exports, labels

from fixtures import AS_OF


@pytest.fixture
def con(store):
    return connect(store.open())


def test_histogram_marks_grade_bands(con):
    fig = charts.fig_score_histogram(scores.histogram(con, Filters()))
    lines = [s["x0"] for s in fig.layout.shapes]
    assert sorted(lines) == [60, 80, 90]
    assert {t.name[0] for t in fig.data} == {"优", "良", "中", "差"}
    assert sum(sum(t.y) for t in fig.data) == 5


def test_all_charts_build_and_use_a_cjk_font(con):
    f = Filters()
    figs = [
        charts.fig_grade_distribution(overview.grade_distribution(con, f)),
        charts.fig_trend(overview.trend(con, f)),
        charts.fig_spread(scores.spread(con, f, "department"), "部门"),
        charts.fig_dimension_rates(scores.dimension_rates(con, f)),
        charts.fig_coverage(coverage.by_department(con, f, 0.2), 0.2),
        charts.fig_problem_categories(problems.by_category(con, f, AS_OF)),
        charts.fig_rectification(problems.by_department(con, f, AS_OF)),
    ]
    for fig in figs:
        assert "Noto Sans CJK SC" in fig.layout.font.family
        assert fig.layout.title.text


def test_coverage_chart_shows_unknown_not_zero(con):
    df = coverage.by_department(con, Filters(), 0.2)
    fig = charts.fig_coverage(df, 0.2)
    texts = dict(zip(fig.data[0].y, fig.data[0].text))
    assert texts["教育局（2023年）"] == "未知（无预算总额）"
    assert texts["财政局（2023年）"] == "部门整体 100%"
    colors = dict(zip(fig.data[0].y, fig.data[0].marker.color))
    assert colors["教育局（2023年）"] == "#9e9e9e", "unknown coverage is grey, never green"
    assert colors["民政局（2022年）"] == "#c62828", "10% coverage is red"
    assert fig.layout.xaxis.range[1] == pytest.approx(118), "the axis fits the data (100% at most), not a fixed 170%"


def test_chart_hovers_speak_chinese(con):
    """No Plotly default hover (min, lower fence, q1 …): every trace has a Chinese template or no hover."""
    f = Filters()
    spread = charts.fig_spread(scores.spread(con, f, "department"), "部门")
    assert spread.data[0].hoverinfo == "skip" and "中位数" in spread.data[1].hovertemplate
    hist = charts.fig_score_histogram(scores.histogram(con, f))
    assert any("59–<60分" in c[1] for t in hist.data for c in t.customdata)


def test_long_names_are_shortened_on_the_axis_with_the_full_name_in_the_hover():
    name = "某某省某某市某某区（某某经济开发区）社会事业发展和公共服务局"
    df = pl.DataFrame(
        {
            "region": ["某县"],
            "department": [name],
            "budget_year": [2024],
            "ratio": [0.1],
            "status": ["未达标"],
            "whole_department": [False],
        }
    )
    fig = charts.fig_coverage(df, 0.2)
    assert len(fig.data[0].y[0]) < 24 and fig.data[0].y[0].startswith(name[:10])
    assert name in fig.data[0].customdata[0][1]


def test_department_labels_disambiguate_regions():
    df = pl.DataFrame(
        {
            "region": ["甲县", "乙县"],
            "department": ["教育局", "教育局"],
            "budget_year": [2024, 2024],
            "ratio": [0.1, 0.3],
            "status": ["未达标", "达标"],
            "whole_department": [False, False],
        }
    )
    fig = charts.fig_coverage(df, 0.2)
    assert len(set(fig.data[0].y)) == 2


def test_chart_payload_is_aggregated(tmp_path):
    """A histogram of many scores sends one bar per bin, not one point per evaluation."""
    df = pl.DataFrame(
        {
            "bin_start": [float(b) for b in range(40, 100)] * 4,
            "grade": ["优"] * 60 + ["良"] * 60 + ["中"] * 60 + ["差"] * 60,
            "evaluations": [1000] * 240,
        }
    )
    fig = charts.fig_score_histogram(df)
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 200_000


def test_excel_export_has_filters_and_chinese_headers():
    df = labels.chinese(pl.DataFrame({"department": ["教育局"], "ratio": [0.1], "synthetic": [True]}))
    data = exports.to_excel(df, "部门覆盖率", ["部门覆盖率", Filters(depts=("教育局",)).describe(), "快照 x"])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert ws.title == "部门覆盖率" and rows[1][0] == "筛选：主管部门 教育局"
    assert list(rows[4]) == ["主管部门", "覆盖率", "模拟数据"] and list(rows[5]) == ["教育局", 0.1, "是"]


def test_csv_export_opens_in_excel():
    data = exports.to_csv(labels.chinese(pl.DataFrame({"score": [90.97]})))
    assert data.startswith(b"\xef\xbb\xbf") and "评价得分".encode() in data


def test_tables_keep_numbers_and_say_unknown_for_missing_values():
    df = pl.DataFrame(
        {"ratio": [0.28, None], "flag": [True, None], "eval_year": [2023, 2024], "budget_wan": [1.5, 2.0]}
    )
    shown = labels.chinese(df)
    assert shown["覆盖率"].to_list() == [0.28, None], "numbers stay numbers (sortable); the grid shows 未知"
    assert shown["flag"].to_list() == ["是", None], "an unknown yes/no stays unknown, never 否"
    config = labels.column_config(df)
    assert config["覆盖率"]["type_config"]["format"] == "percent"
    assert config["评价年度"]["type_config"]["format"] == "%d", "years without a thousands separator"
    assert labels.MISSING == "未知"


def test_excel_download_is_formatted_for_reading(tmp_path):
    df = pl.DataFrame(
        {"eval_year": [2023], "ratio": [0.2834], "budget_wan": [2525.95], "score": [90.46], "department": ["教育局"]}
    )
    data = exports.to_excel(labels.chinese(df), "表", ["表", "筛选：全部数据", "快照 x"], labels.excel_formats(df))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    header = [c.value for c in ws[5]]
    row = dict(zip(header, ws[6]))
    assert row["评价年度"].number_format == "0" and row["评价年度"].value == 2023
    assert row["覆盖率"].number_format == "0.0%"
    assert row["预算金额（万元）"].number_format == "#,##0.00##"
    assert ws.freeze_panes == "A6", "the header row stays in view"
    assert ws.tables and list(ws.tables.values())[0].autoFilter is not None, "the table has an auto-filter"


# values a spreadsheet would run as a formula or open as a link (OWASP CSV injection, xlsxwriter's write())
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


def test_excel_export_writes_formula_and_link_payloads_as_plain_text():
    df = pl.DataFrame({"项目名称": PAYLOADS, "预算金额": [-5.0] * len(PAYLOADS)})
    data = exports.to_excel(df, "评价结果", ['=HYPERLINK("http://evil","标题")', "筛选：主管部门 =1+1"])
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" and c.hyperlink is None for c in cells), [
        (c.coordinate, c.value) for c in cells if c.data_type == "f" or c.hyperlink
    ]
    assert not ws._hyperlinks
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == '=HYPERLINK("http://evil","标题")'
    # openpyxl leaves the _x000D_ by which the file spells a carriage return; the importer decodes it
    assert [xlsx_text(r[0]) for r in rows[4:]] == PAYLOADS and [r[1] for r in rows[4:]] == [-5.0] * len(PAYLOADS)


def test_csv_export_quotes_text_that_a_spreadsheet_would_evaluate():
    df = pl.DataFrame({"项目名称": [*PAYLOADS, "教育局项目", "1-1班"], "预算金额": [-5.0] * (len(PAYLOADS) + 2)})
    back = pl.read_csv(io.BytesIO(exports.to_csv(df)[3:]), schema=df.schema)
    assert back["项目名称"].to_list() == ["'" + p for p in PAYLOADS[:-1]] + [PAYLOADS[-1], "教育局项目", "1-1班"]
    assert back["预算金额"].to_list() == [-5.0] * (len(PAYLOADS) + 2), "numbers stay numbers, negatives unquoted"


def test_excel_export_marks_cut_text_and_says_so_above_the_table():
    long = "长" * (schema.EXCEL_CELL_MAX_CHARS + 10)
    df = pl.DataFrame({"问题描述": ["短", long, "𠀀" * 20000], "问题数": [1, 2, 3]})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(exports.to_excel(df, "问题", ["问题", "筛选：无"]))).active.iter_rows(
            values_only=True
        )
    )
    assert "2 个单元格" in rows[2][0] and "CSV" in rows[2][0]
    table = [r[0] for r in rows[5:]]
    assert table[0] == "短"
    for cell in table[1:]:
        assert cell.endswith(exports.CUT_MARK) and schema.utf16_length(cell) <= schema.EXCEL_CELL_MAX_CHARS
    assert table[1].startswith("长" * 30000) and table[2].startswith("𠀀" * 16000)
    assert long in exports.to_csv(df).decode("utf-8"), "the CSV holds the full text"


def test_date_columns_read_as_dates_not_midnight_times():
    import datetime as dt

    df = pl.DataFrame({"due_date": [dt.date(2023, 5, 31)], "description": ["x"]})
    config = labels.column_config(df)[labels.label("due_date")]
    assert config["type_config"]["type"] == "date" and config["type_config"]["format"] == "YYYY-MM-DD"
