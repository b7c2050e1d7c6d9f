"""Numbers and dates written for Chinese readers: 万元/亿元, 90.97分, 85.3%, 2024年6月30日."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from perfeval_dash import settings
from perfeval_dash.domain.vocab import UNKNOWN


def wan(amount: float | None, missing: str = "—", max_decimals: int = 4, yi: bool = True) -> str:
    """An amount in 万元 with its published precision (2–4 decimals): '258.7049万元'; ≥1亿 as '2.35亿元'.

    Computed figures (sums, gaps) pass max_decimals=2; headline figures pass yi=False (always 万元, as published).
    """
    if amount is None:
        return missing
    if yi and abs(amount) >= 10_000:
        return f"{amount / 10_000:,.2f}亿元"
    text = f"{amount:,.{max(2, max_decimals)}f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    return f"{whole}.{decimals.ljust(2, '0')}万元"


def score(value: float | None) -> str:
    """A score with as many decimals as it has (up to two): '90.97分', '92分'; '—' for None."""
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}分"


def pct(ratio: float | None, digits: int = 1) -> str:
    """A ratio as a percentage: '85.3%'; '未知' for None."""
    return UNKNOWN if ratio is None else f"{ratio * 100:.{digits}f}%"


def count(n: int | None, unit: str = "") -> str:
    """A count with thousands separators and an optional unit: '1,234个'."""
    return "—" if n is None else f"{n:,}{unit}"


def scored(total: int, with_score: int) -> str:
    """What a score figure counts when some evaluations published a grade only: '9 项中 3 项公布了得分'."""
    return f"{total:,} 项中 {with_score:,} 项公布了得分"


def unbudgeted(n: int, amount_wan: float | None) -> str:
    """Evaluations left out of the coverage rule: '另有 2 项评价（金额 300.00万元）未注明预算年度，未计入覆盖率'."""
    return f"另有 {n:,} 项评价（金额 {wan(amount_wan, UNKNOWN, max_decimals=2)}）未注明预算年度，未计入覆盖率"


def local_time(iso: str | None) -> str:
    """An ISO time (UTC, as the store records it) in the `timezone` setting: '2026年11月22日 21:33'; '—' for None."""
    if not iso:
        return "—"
    try:
        t = dt.datetime.fromisoformat(iso)
    except ValueError:
        return str(iso)  # shown as recorded rather than hidden
    t = (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(ZoneInfo(settings.TIMEZONE.value))
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


_NUMERALS = "零一二三四五六七八九十"


def zone_label() -> str:
    """The `timezone` setting in words, e.g. "东八区" (Asia/Shanghai)."""
    offset = dt.datetime.now(ZoneInfo(settings.TIMEZONE.value)).utcoffset() or dt.timedelta(0)
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    if hours == 0 and minutes == 0:
        return "零时区"
    number = _NUMERALS[hours] if hours <= 10 else "十" + _NUMERALS[hours - 10]
    return f"{'东' if offset > dt.timedelta(0) else '西'}{number}区" + (f"{minutes}分" if minutes else "")


def date(d: dt.date | None) -> str:
    """A date as '2024年6月30日'; '—' for None."""
    return "—" if d is None else f"{d.year}年{d.month}月{d.day}日"


# ASCII punctuation: CommonMark lets a backslash escape each of these, so escaped text renders literally
_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$:\"'&=;/@%^?,")
CLIP = 60  # characters of a URL value echoed back in a notice
WORD_JOINER = "\u2060"  # invisible; breaks the patterns GFM turns into links even in escaped text
_AUTOLINK = re.compile(r"(?i)(https?|ftps?|mailto|xmpp|www)(?=[:.])|(@)")


def md(value: object) -> str:
    """Text from data, a file name or the URL made inert for Streamlit Markdown: every punctuation escaped.

    Links, images, HTML, headings, lists, colour and icon directives and formulas all need punctuation,
    so `[点我](http://x)` or `<img src=x>` shows as typed instead of becoming a link or an element. Bare
    addresses (http://…, www.…, a@b.c) become links by pattern after escapes are read, so an invisible
    word joiner goes after their scheme, `www` or `@`.
    """
    text = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, "" if value is None else str(value))
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text).replace("\n", "  \n")


def clip(value: object, limit: int = CLIP) -> str:
    """A value shortened for echoing: the first `limit` characters and how long it was."""
    text = "" if value is None else str(value)
    return text if len(text) <= limit else f"{text[:limit]}…（共 {len(text):,} 个字符）"


def plot_text(value: object) -> str:
    """Text from data made inert for Plotly labels and hovers (which render <a>, <b>, <br> and entities)."""
    text = "" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
