"""Signals: red / amber / green (and grey for unknown) on every figure that has a rule, the same colours everywhere.

A signal is never green for a figure that is not known: unknown is grey. Rules: the coverage verdict; overdue
problems (any is red; none is green only when some problems are followed up); the rectification rate against
the `rectification_target` setting; grades (中 amber, 差 red).
"""

from __future__ import annotations

from perfeval_dash import settings
from perfeval_dash.domain.vocab import BELOW, FAIR, GRADES, MET, POOR
from perfeval_dash.domain.vocab import UNKNOWN as UNKNOWN_WORD

GOOD, WARN, BAD, UNKNOWN = "good", "warn", "bad", "unknown"
COLORS = {GOOD: "#2e7d32", WARN: "#ef6c00", BAD: "#c62828", UNKNOWN: "#9e9e9e"}
_BADGE = {GOOD: "green", WARN: "orange", BAD: "red", UNKNOWN: "gray"}
WORDS = {GOOD: "正常", WARN: "关注", BAD: "预警", UNKNOWN: UNKNOWN_WORD}  # a signal in words (the brief)
# grades: the best two need no signal; 中 is amber, 差 red (categorical colours for charts)
GRADE_COLORS = dict(zip(GRADES, (COLORS[GOOD], "#1565c0", COLORS[WARN], COLORS[BAD])))


def coverage(verdict: str | None) -> str:
    """The coverage rule's verdict as a signal (未知 is grey, never green)."""
    return {MET: GOOD, BELOW: BAD}.get(verdict, UNKNOWN)


def overdue(count: int, tracked: int) -> str:
    """Overdue problems: any is red; none is green only when problems are followed up at all."""
    if tracked == 0:
        return UNKNOWN
    return BAD if count else GOOD


def rate(value: float | None) -> str:
    """整改完成率 against the rectification_target setting: green at or above, amber up to 20 points below."""
    if value is None:
        return UNKNOWN
    target = settings.RECTIFICATION_TARGET.value
    return GOOD if value >= target else WARN if value >= target - 0.2 else BAD


def grade(word: str) -> str | None:
    """中 amber, 差 red; the better grades carry no signal."""
    return {FAIR: WARN, POOR: BAD}.get(word)


def badge(signal: str | None, text: str | None = None) -> str:
    """A coloured Markdown badge for a label (empty for no signal), e.g. ':red-badge[预警]'."""
    if signal is None:
        return ""
    return f":{_BADGE[signal]}-badge[{text or WORDS[signal]}]"


def colored(signal: str | None, text: str) -> str:
    """Text coloured by its signal with Streamlit's Markdown colour directive (unchanged for no signal)."""
    return text if signal is None else f":{_BADGE[signal]}[{text}]"
