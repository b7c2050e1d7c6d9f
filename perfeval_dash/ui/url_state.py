"""The URL is the state: filters, snapshot and page parameters <-> query parameters (ASCII keys)."""

from __future__ import annotations

from urllib.parse import urlencode

from perfeval_dash import settings
from perfeval_dash.queries.filters import Filters

# ASCII key -> what it holds; filter keys are bound to sidebar widgets of the same key
REGION, YEAR, DEPT, TYPE, GRADE = "region", "year", "dept", "type", "grade"
SNAPSHOT, EVAL, THRESHOLD = "snap", "eval", "thr"
FILTER_KEYS = (REGION, YEAR, DEPT, TYPE, GRADE)
MAX_VALUE_CHARS = settings.URL_VALUE_CHARS.value  # longer than any name in the data: dropped unread
MAX_VALUES = settings.URL_VALUES.value  # values per key; more are dropped
KEYS = {
    REGION: "地区", YEAR: "年度", DEPT: "主管部门", TYPE: "评价类型", GRADE: "等级",
    SNAPSHOT: "数据快照编号", EVAL: "评价编号（评价详情页）", THRESHOLD: "覆盖率门槛 %（评价覆盖页）",
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
    for key, values in ((REGION, f.regions), (YEAR, f.years), (DEPT, f.depts), (TYPE, f.types),
                        (GRADE, f.grades)):
        pairs += [(key, str(v)) for v in values]
    return pairs


def share_link(base_url: str, f: Filters, snapshot_id: str, extra: dict[str, str] | None = None) -> str:
    """The full link of a view: page URL + filters + pinned snapshot + page parameters."""
    pairs = filter_params(f) + [(k, v) for k, v in (extra or {}).items() if v not in (None, "")]
    pairs.append((SNAPSHOT, snapshot_id))
    return f"{base_url.split('?')[0]}?{urlencode(pairs)}"


def relative_link(page: str, f: Filters, snapshot_id: str, extra: dict[str, str] | None = None) -> str:
    """A link to another page of the app keeping filters and snapshot (for table link columns)."""
    return share_link(page, f, snapshot_id, extra)
