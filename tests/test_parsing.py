import datetime as dt

import pytest

from perfeval_dash.ingest import parsing
from perfeval_dash.ingest.parsing import ParseError

D = dt.date(2024, 6, 30)


@pytest.mark.parametrize(
    "parse, written, expected",
    [
        # amounts -> 万元
        (parsing.parse_amount, "1,000.5", 1000.5),
        (parsing.parse_amount, "1000.5万元", 1000.5),
        (parsing.parse_amount, "1000.5 万元", 1000.5),
        (parsing.parse_amount, "0.4亿元", 4000.0),
        (parsing.parse_amount, "1.1亿", 11000.0),
        (parsing.parse_amount, "¥123.77万", 123.77),
        (parsing.parse_amount, "￥123.77万", 123.77),
        (parsing.parse_amount, "１２３．７７万元", 123.77),
        (parsing.parse_amount, "１，０００．５", 1000.5),
        (parsing.parse_amount, "5000元", 0.5),
        (parsing.parse_amount, "人民币2,525.95万元", 2525.95),
        (parsing.parse_amount, 912.87, 912.87),
        (parsing.parse_amount, 2000, 2000.0),
        (parsing.parse_amount, "-5", -5.0),  # parsed; the importer reports the negative amount
        (parsing.parse_amount, "", None),
        (parsing.parse_amount, "  ", None),
        (parsing.parse_amount, None, None),
        # scores
        (parsing.parse_score, "90.97分", 90.97),
        (parsing.parse_score, "90.97 分", 90.97),
        (parsing.parse_score, "９０．９７", 90.97),
        (parsing.parse_score, 97.12, 97.12),
        (parsing.parse_score, "100", 100.0),
        # grades
        (parsing.parse_grade, "优", "优"),
        (parsing.parse_grade, "优秀", "优"),
        (parsing.parse_grade, "良好", "良"),
        (parsing.parse_grade, "良", "良"),
        (parsing.parse_grade, "中等", "中"),
        (parsing.parse_grade, "较差", "差"),
        (parsing.parse_grade, " 优 ", "优"),
        # dates
        (parsing.parse_date, "2024-06-30", D),
        (parsing.parse_date, "2024/6/30", D),
        (parsing.parse_date, "2024年6月30日", D),
        (parsing.parse_date, "2024 年 6 月 30 日", D),
        (parsing.parse_date, "2024.6.30", D),
        (parsing.parse_date, "２０２４－０６－３０", D),
        (parsing.parse_date, "2024-06-30 00:00:00", D),
        (parsing.parse_date, dt.datetime(2024, 6, 30), D),  # an Excel date cell as openpyxl reads it
        (parsing.parse_date, D, D),
        # status words
        (parsing.parse_status, "整改中", "整改中"),
        (parsing.parse_status, "正在整改", "整改中"),
        (parsing.parse_status, "整改完成", "已整改"),
        (parsing.parse_status, "已销号", "已销号"),
        # evaluation types, years, yes/no, text
        (parsing.parse_eval_type, "部门整体支出", "部门整体"),
        (parsing.parse_eval_type, "项目", "项目"),
        (parsing.parse_year, "2024年", 2024),
        (parsing.parse_year, "2024年度", 2024),
        (parsing.parse_year, 2024.0, 2024),
        (parsing.parse_bool, "是", True),
        (parsing.parse_bool, "FALSE", False),
        (parsing.parse_bool, True, True),
        (parsing.parse_text, 1.0, "1"),
        (parsing.parse_text, "  樱桃沟  ", "樱桃沟"),
    ],
)
def test_written_forms(parse, written, expected):
    assert parse(written) == expected


@pytest.mark.parametrize(
    "parse, written, says",
    [
        (parsing.parse_amount, "一千万", "金额"),
        (parsing.parse_amount, "1,00", "金额"),
        (parsing.parse_amount, "12.3.4", "金额"),
        (parsing.parse_amount, "约100万元", "金额"),
        (parsing.parse_amount, "100美元", "金额"),
        (parsing.parse_amount, "#VALUE!", "错误值"),
        (parsing.parse_amount, float("nan"), "金额"),
        (parsing.parse_amount, True, "金额"),
        (parsing.parse_score, "九十分", "分数"),
        (parsing.parse_score, "95%", "分数"),
        (parsing.parse_grade, "合格", "评价等级"),
        (parsing.parse_grade, "A", "优 / 良 / 中 / 差"),
        (parsing.parse_date, "2024-02-30", "不存在的日期"),
        (parsing.parse_date, "2024年6月", "日期"),
        (parsing.parse_date, "30/6/2024", "日期"),
        (parsing.parse_date, "2024-6/30", "日期"),
        (parsing.parse_date, 45473, "日期格式"),
        (parsing.parse_status, "处理中", "整改状态"),
        (parsing.parse_eval_type, "专项", "评价类型"),
        (parsing.parse_year, "24", "年份"),
        (parsing.parse_bool, "也许", "是 或 否"),
    ],
)
def test_unreadable_values_are_errors_with_a_chinese_reason(parse, written, says):
    with pytest.raises(ParseError) as e:
        parse(written)
    assert says in e.value.reason


def test_amount_units_are_exact_decimals():
    assert parsing.parse_amount("0.7亿元") == 7000.0
    assert parsing.parse_amount("1234元") == 0.1234
