"""The URL is the state: every query parameter the app reads, with its parser, and the links built from the state.

Keys are ASCII, values Chinese where the data is. Filter keys are bound to the sidebar's widgets of the same
key (Streamlit's `bind="query-params"`); page keys are parsed here and read through `ui.frame.page_param`.
Pages never read `st.query_params` themselves.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from urllib.parse import quote, urlencode

from perfeval_dash import settings
from perfeval_dash.domain.vocab import CURRENT_DEADLINE, DEADLINE_BASES, PROBLEM_VIEWS
from perfeval_dash.queries.filters import Filters

REGION, YEAR, BUDGET_YEAR, DEPT, TYPE, GRADE = "region", "year", "byear", "dept", "type", "grade"
SNAPSHOT, EVAL, THRESHOLD = "snap", "eval", "thr"
DEADLINE, SINCE, PROBLEM_VIEW = "dl", "since", "ptab"
# sidebar filters: URL key -> Filters field (each bound to a multiselect of the same key, repeatable)
FILTER_FIELDS = {
    REGION: "regions",
    YEAR: "years",
    BUDGET_YEAR: "budget_years",
    DEPT: "depts",
    TYPE: "types",
    GRADE: "grades",
}
MAX_VALUE_CHARS = settings.URL_VALUE_CHARS.value  # longer than any name in the data: dropped unread
MAX_VALUES = settings.URL_VALUES.value  # values per key; more are dropped
_SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}(\d{3})?-[0-9a-f]{6}$")


def parse_text(raw: str) -> str:
    """A non-empty text value (an evaluation id)."""
    if not raw.strip():
        raise ValueError("为空")
    return raw.strip()


def parse_snapshot(raw: str) -> str:
    """A snapshot id of the store's form (time + random suffix)."""
    if not _SNAPSHOT_ID.match(raw):
        raise ValueError("不是数据快照编号的格式")
    return raw


def parse_percent(raw: str) -> int:
    """A whole percentage from 1 to 100."""
    if not (raw.isdigit() and 1 <= int(raw) <= 100):
        raise ValueError("应为 1–100 的整数")
    return int(raw)


def parse_deadline(raw: str) -> str:
    """Which deadline overdue counts read: one of vocab.DEADLINE_BASES (the current one is the default)."""
    if raw not in DEADLINE_BASES:
        raise ValueError(f"应为 {' 或 '.join(DEADLINE_BASES)}")
    return raw


def parse_problem_view(raw: str) -> str:
    """One of the problems page's tabs (vocab.PROBLEM_VIEWS; the first is the default)."""
    if raw not in PROBLEM_VIEWS:
        raise ValueError(f"应为 {'、'.join(PROBLEM_VIEWS)} 之一")
    return raw


@dataclass(frozen=True)
class Param:
    """One URL key: its Chinese meaning, where it applies, an example, and its parser (None for bound filters)."""

    key: str
    label: str
    where: str
    example: str
    parse: Callable[[str], object] | None = None


PARAMS: dict[str, Param] = {
    p.key: p
    for p in (
        Param(REGION, "地区", "every page (repeatable)", "?region=特克斯县"),
        Param(
            YEAR,
            "评价年度",
            "every page: when the evaluation was done and published (repeatable)",
            "?year=2023&year=2024",
        ),
        Param(
            BUDGET_YEAR,
            "预算年度",
            "every page: whose money was evaluated; coverage counts per budget year",
            "?byear=2022",
        ),
        Param(DEPT, "主管部门", "every page (repeatable)", "?dept=教育局"),
        Param(TYPE, "评价类型", "every page (repeatable)", "?type=部门整体"),
        Param(GRADE, "等级", "every page (repeatable)", "?grade=良&grade=中"),
        Param(
            SNAPSHOT,
            "数据快照编号",
            "every page: the snapshot the link is pinned to (added automatically)",
            "?snap=20261123T203048123-3f9a1c",
            parse_snapshot,
        ),
        Param(EVAL, "评价编号", "detail page: the evaluation shown", "/detail?eval=tekes-2024-05", parse_text),
        Param(
            THRESHOLD,
            "覆盖率门槛（%）",
            "coverage page: the threshold (default: the coverage_threshold setting)",
            "/coverage?thr=25",
            parse_percent,
        ),
        Param(
            DEADLINE,
            "逾期按哪个整改期限计",
            f"problems page, department sheet: overdue against the original deadline (first seen) instead of the "
            f"current one (default {CURRENT_DEADLINE}, out of the URL)",
            "/problems?dl=原定期限",
            parse_deadline,
        ),
        Param(
            PROBLEM_VIEW,
            "问题整改页的分页",
            f"problems page: the tab shown ({', '.join(PROBLEM_VIEWS)}; default {PROBLEM_VIEWS[0]}, out of the URL); "
            "only the open tab is computed",
            f"/problems?ptab={PROBLEM_VIEWS[1]}",
            parse_problem_view,
        ),
        Param(
            SINCE,
            "比较起点快照",
            "本期变化 page: the earlier snapshot changes are counted from (default: the one this snapshot was "
            "published on top of)",
            "/changes?since=20261123T203048123-3f9a1c",
            parse_snapshot,
        ),
    )
}


def oversized(values: list[str]) -> tuple[list[str], int]:
    """The values of one URL key within the bounds (length and count), and how many were dropped."""
    kept = [v for v in values if len(v) <= MAX_VALUE_CHARS][:MAX_VALUES]
    return kept, len(values) - len(kept)


def unknown_values(raw: list[str], options: list) -> list[str]:
    """URL values that are not among the options (they will be dropped, with a notice)."""
    allowed = {str(o) for o in options}
    return [v for v in raw if v != "" and v not in allowed]


def filter_params(f: Filters) -> list[tuple[str, str]]:
    """Query pairs for a filter selection; empty selections (the default) stay out of the URL."""
    pairs: list[tuple[str, str]] = []
    for key, attr in FILTER_FIELDS.items():
        pairs += [(key, str(v)) for v in getattr(f, attr)]
    return pairs


def share_link(base_url: str, f: Filters, snapshot_id: str, extra: dict[str, str] | None = None) -> str:
    """The link of a view (absolute, or relative to a page path): filters + pinned snapshot + page parameters.

    Chinese stays readable in the link (only characters a URL cannot hold are percent-encoded).
    """
    pairs = filter_params(f) + [(k, v) for k, v in (extra or {}).items() if v not in (None, "")]
    pairs.append((SNAPSHOT, snapshot_id))
    return f"{base_url.split('?')[0]}?{urlencode(pairs, quote_via=lambda s, *_: _component(s))}"


def department_links(page: str, f: Filters, snapshot_id: str, rows: Iterable[tuple[str, str]]) -> list[str]:
    """`share_link(page, f narrowed to the row's region and department, snapshot_id)` for each (region, department)
    row: the link is encoded once with two holes that each row fills (a table of a thousand departments would
    otherwise encode a thousand links). The holes are random per call, so no value in the link can match one."""
    token = secrets.token_hex(16)
    holes = {f"r{token}": 0, f"d{token}": 1}
    template = share_link(page, replace(f, regions=(f"r{token}",), depts=(f"d{token}",)), snapshot_id)
    tokens = re.split(f"(r{token}|d{token})", template)
    return ["".join(_component(row[holes[t]]) if t in holes else t for t in tokens) for row in rows]


def _component(value: str) -> str:
    """One value as share_link writes it into a link."""
    return re.sub(r"(?:%[89A-F][0-9A-F])+", _decode_non_ascii, quote(value, safe="", encoding="utf-8"))


def _decode_non_ascii(m: re.Match) -> str:
    """Percent-encoded UTF-8 bytes of non-ASCII characters back to the characters (they are safe in a link)."""
    try:
        return bytes.fromhex(m.group(0).replace("%", "")).decode("utf-8")
    except UnicodeDecodeError:
        return m.group(0)


def params_markdown() -> str:
    """The URL keys as a Markdown table (pasted into README.md; a test keeps them in agreement)."""
    rows = ["| key | meaning | where | example |", "| --- | --- | --- | --- |"]
    rows += [f"| `{p.key}` | {p.label} | {p.where} | `{p.example}` |" for p in PARAMS.values()]
    return "\n".join(rows)
