"""Numbers and dates written for Chinese readers: 万元/亿元, 90.97分, 85.3%, 2024年6月30日."""

from __future__ import annotations

import datetime as dt


def wan(amount: float | None, digits: int = 2) -> str:
    """An amount in 万元, switched to 亿元 from 10,000万元 on: '1,234.56万元', '2.35亿元'; '—' for None."""
    if amount is None:
        return "—"
    if abs(amount) >= 10_000:
        return f"{amount / 10_000:,.2f}亿元"
    return f"{amount:,.{digits}f}万元"


def score(value: float | None) -> str:
    """A score with as many decimals as it has (up to two): '90.97分', '92分'; '—' for None."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}分"


def pct(ratio: float | None, digits: int = 1) -> str:
    """A ratio as a percentage: '85.3%'; '未知' for None."""
    return "未知" if ratio is None else f"{ratio * 100:.{digits}f}%"


def count(n: int | None, unit: str = "") -> str:
    """A count with thousands separators and an optional unit: '1,234个'."""
    return "—" if n is None else f"{n:,}{unit}"


def date(d: dt.date | None) -> str:
    """A date as '2024年6月30日'; '—' for None."""
    return "—" if d is None else f"{d.year}年{d.month}月{d.day}日"
