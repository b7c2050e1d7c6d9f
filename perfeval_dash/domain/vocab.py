"""The closed vocabularies, declared once: evaluation types, grades, follow-up statuses, coverage verdicts.

Every other module (contract, parsing, queries, charts, pages) imports these names; the words themselves
are written nowhere else. Written forms seen in real disclosures map to them in the *_WORDS tables.
"""

from __future__ import annotations

# 评价类型 (DOMAIN.md glossary)
EVAL_TYPES = ("项目", "部门整体", "政策")
PROJECT, WHOLE_DEPARTMENT, POLICY = EVAL_TYPES

# 评价等级, best first (财预〔2020〕10号)
GRADES = ("优", "良", "中", "差")
EXCELLENT, GOOD, FAIR, POOR = GRADES

# 整改状态: 未整改 → 整改中 → 已整改 (→ 已销号 once the finance bureau checks it)
STATUSES = ("未整改", "整改中", "已整改", "已销号")
NOT_STARTED, IN_PROGRESS, RECTIFIED, CLOSED = STATUSES
DONE_STATUSES = (RECTIFIED, CLOSED)
OPEN_STATUSES = (NOT_STARTED, IN_PROGRESS)
NO_FOLLOW_UP = "无整改记录"  # a problem with no follow-up record: not counted as open, done or overdue

# 20% coverage rule verdicts; UNKNOWN is also the word for any figure that is not on file (never 0)
VERDICTS = ("达标", "未达标", "未知")
MET, BELOW, UNKNOWN = VERDICTS

# Written forms accepted on import (written form -> vocabulary word); the words themselves are accepted too.
GRADE_WORDS: dict[str, str] = {g: g for g in GRADES} | {
    "优秀": EXCELLENT,
    "良好": GOOD,
    "中等": FAIR,
    "一般": FAIR,
    "较差": POOR,
}
STATUS_WORDS: dict[str, str] = {s: s for s in STATUSES} | {
    "未开始": NOT_STARTED,
    "正在整改": IN_PROGRESS,
    "部分整改": IN_PROGRESS,
    "整改完成": RECTIFIED,
    "已完成整改": RECTIFIED,
    "已完成": RECTIFIED,
    "销号": CLOSED,
}
EVAL_TYPE_WORDS: dict[str, str] = {t: t for t in EVAL_TYPES} | {
    "项目支出": PROJECT,
    "项目支出绩效评价": PROJECT,
    "部门整体支出": WHOLE_DEPARTMENT,
    "部门整体支出绩效评价": WHOLE_DEPARTMENT,
    "政策评价": POLICY,
}
# An empty evaluation type is inferred from the project name on import (and reported per row, never silently):
# the first type whose keyword the name contains, else PROJECT.
EVAL_TYPE_NAME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (WHOLE_DEPARTMENT, ("部门整体",)),
    (POLICY, ("政策",)),
)
