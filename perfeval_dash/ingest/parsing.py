"""Pure value parsers for imported cells: each returns the converted value (None when empty) or raises ParseError."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from perfeval_dash.domain.vocab import (
    APPLICATION_WORDS,
    APPLICATIONS,
    EVAL_TYPE_WORDS,
    EVAL_TYPES,
    GRADE_WORDS,
    GRADES,
    STATUS_WORDS,
    STATUSES,
)


class ParseError(ValueError):
    """A value that cannot be read; `reason` says in Chinese what was expected."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


BOOL_WORDS: dict[str, bool] = {
    "是": True,
    "否": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
}
# unit written after an amount -> factor to 万元 (as a Decimal, so 0.4亿元 is exactly 4000)
AMOUNT_UNITS: dict[str, Decimal] = {
    "亿元": Decimal(10000),
    "亿": Decimal(10000),
    "万元": Decimal(1),
    "万": Decimal(1),
    "元": Decimal("0.0001"),
}
_CURRENCY = ("¥", "RMB", "CNY", "人民币")
_NUMBER = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")
_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
_YMD_CN = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$")
_ERROR_CELLS = {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!", "#CALC!"}


def normalize(text: str) -> str:
    """Text with full-width forms folded (NFKC: １２３，４ -> 123,4; ￥ -> ¥), minus signs unified, ends stripped."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _check_cell_error(value: object) -> None:
    if isinstance(value, str) and value.strip().upper() in _ERROR_CELLS:
        raise ParseError(f"单元格是 Excel 错误值 {value.strip()}，请修正公式或改填数值")


def _number(text: str, what: str) -> Decimal:
    if not text or not _NUMBER.match(text) or text in {"+", "-", "."}:
        raise ParseError(what)
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ParseError(what) from exc


def _finite(value: float, what: str) -> float:
    if math.isnan(value) or math.isinf(value):
        raise ParseError(what)
    return float(value)


AMOUNT_HELP = "应为金额数字（单位万元），可写作 1,000.5、1000.5万元、0.4亿元、¥123.77万 或 5000元"


def parse_amount(value: object) -> float | None:
    """An amount in 万元: bare numbers are 万元; 亿元/亿 ×10000, 元 ÷10000; ¥, thousands commas, full-width allowed."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ParseError(AMOUNT_HELP)
    if isinstance(value, (int, float)):
        return _finite(float(value), AMOUNT_HELP)
    _check_cell_error(value)
    text = normalize(str(value)).replace(" ", "")
    for cur in _CURRENCY:
        text = text.removeprefix(cur)
    factor = Decimal(1)
    for unit, f in AMOUNT_UNITS.items():  # longest units first: 亿元 before 亿, 万元 before 万 and 元
        if text.endswith(unit):
            text, factor = text[: -len(unit)], f
            break
    for cur in _CURRENCY:
        text = text.removeprefix(cur)
    return float(_number(text, AMOUNT_HELP) * factor)


SCORE_HELP = "应为分数（数字，可带“分”），如 90.97 或 90.97分"


def parse_score(value: object) -> float | None:
    """A score or weight in points: 90.97, '90.97分', full-width digits; range is checked by the caller."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ParseError(SCORE_HELP)
    if isinstance(value, (int, float)):
        return _finite(float(value), SCORE_HELP)
    _check_cell_error(value)
    text = normalize(str(value)).replace(" ", "").removesuffix("分")
    if "," in text:
        raise ParseError(SCORE_HELP)
    return float(_number(text, SCORE_HELP))


YEAR_HELP = "应为四位年份，如 2024 或 2024年"


def parse_year(value: object) -> int | None:
    """A year: 2024, 2024.0, '2024', '2024年', '2024年度'."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise ParseError(YEAR_HELP)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        if 1000 <= value <= 9999:
            return value
        raise ParseError(YEAR_HELP)
    _check_cell_error(value)
    text = normalize(str(value)).removesuffix("年度").removesuffix("年")
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    raise ParseError(YEAR_HELP)


DATE_HELP = "应为日期，如 2024-06-30、2024/6/30、2024年6月30日、2024.6.30，或 Excel 日期单元格"


def _date(year: str, month: str, day: str) -> dt.date:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise ParseError(f"不存在的日期（{year}年{int(month)}月{int(day)}日）；{DATE_HELP}") from exc


def parse_date(value: object) -> dt.date | None:
    """A date from an Excel date cell or text 2024-06-30 / 2024/6/30 / 2024年6月30日 / 2024.6.30."""
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ParseError(f"数字 {value:g} 不是日期：请把单元格设为日期格式，或写成 2024-06-30")
    _check_cell_error(value)
    text = normalize(str(value)).replace(" 年", "年").replace(" 月", "月")
    m = _YMD.match(text)
    if m:
        return _date(m.group(1), m.group(3), m.group(4))
    m = _YMD_CN.match(text.replace(" ", ""))
    if m:
        return _date(*m.groups())
    raise ParseError(DATE_HELP)


def _word(value: object, words: dict[str, str], allowed: tuple[str, ...], what: str) -> str | None:
    if _blank(value):
        return None
    _check_cell_error(value)
    text = normalize(str(value)).replace(" ", "")
    if text in words:
        return words[text]
    others = [w for w in words if w not in allowed]
    extra = f"（也可写 {'、'.join(others)}）" if others else ""
    raise ParseError(f"无法识别的{what}；应为 {' / '.join(allowed)} 之一{extra}")


def parse_grade(value: object) -> str | None:
    """A grade word (vocab.GRADE_WORDS: 优秀, 良好, 一般, 较差 …) -> one of vocab.GRADES."""
    return _word(value, GRADE_WORDS, GRADES, "评价等级")


def parse_status(value: object) -> str | None:
    """A rectification status word (vocab.STATUS_WORDS) -> one of vocab.STATUSES."""
    return _word(value, STATUS_WORDS, STATUSES, "整改状态")


def parse_application(value: object) -> str | None:
    """A 结果应用 word (vocab.APPLICATION_WORDS: 压减, 调减, 不再安排 …) -> one of vocab.APPLICATIONS."""
    return _word(value, APPLICATION_WORDS, APPLICATIONS, "结果应用")


def parse_eval_type(value: object) -> str | None:
    """An evaluation type word (vocab.EVAL_TYPE_WORDS) -> one of vocab.EVAL_TYPES."""
    return _word(value, EVAL_TYPE_WORDS, EVAL_TYPES, "评价类型")


def parse_bool(value: object) -> bool | None:
    """A yes/no cell: 是/否, TRUE/FALSE, 1/0, Excel booleans."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = normalize(str(value)).lower()
    if text in BOOL_WORDS:
        return BOOL_WORDS[text]
    raise ParseError("应为 是 或 否")


def parse_text(value: object) -> str | None:
    """Text with ends stripped; whole numbers lose a trailing .0 (an id typed as 1 stays '1'); empty -> None."""
    if _blank(value):
        return None
    _check_cell_error(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
