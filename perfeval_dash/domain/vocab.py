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

# ---- follow-up over time (整改跟踪) -------------------------------------------------------------------
NOT_RECORDED = "未记录"  # nothing on file: a consequence, an actor, a note (never counted as compliant or done)

# Event kinds the store records when a publish changes a problem (store/history.py)
EVENT_KINDS = ("新发现", "状态变化", "期限调整", "完成日期变化", "责任单位变化", "移除")
FOUND, STATUS_CHANGED, DEADLINE_CHANGED, CLOSED_DATE_CHANGED, UNIT_CHANGED, REMOVED = EVENT_KINDS

# Net changes of a problem between two snapshots (本期变化), in display order
CHANGE_KINDS = ("新发现", "完成整改", "重新打开", "期限推迟", "期限提前", "责任单位变化", "移除")
CH_FOUND, CH_CLOSED, CH_REOPENED, CH_PUSHED, CH_PULLED, CH_UNIT, CH_REMOVED = CHANGE_KINDS

# Which deadline the overdue counts read: the current one (default) or the original one (first seen)
DEADLINE_BASES = ("现行期限", "原定期限")
CURRENT_DEADLINE, ORIGINAL_DEADLINE = DEADLINE_BASES

# The problems page's tabs (?ptab=): the state on the as-of date, follow-up over time, repeat problems
PROBLEM_VIEWS = ("问题与逾期", "整改跟踪", "屡查屡犯")

# Age buckets in days (ageing of open problems since publication; days overdue): (label, last day of the bucket)
AGE_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("≤30天", 30),
    ("31–90天", 90),
    ("91–180天", 180),
    ("181–365天", 365),
    (">365天", None),
)
AGE_LABELS = tuple(label for label, _ in AGE_BUCKETS)
YEAR_DAYS = 365  # "open more than a year"

# 结果应用: what was done with a result in the next budget (DOMAIN.md); NULL on file reads as NOT_RECORDED
APPLICATIONS = ("继续支持", "调整优化", "核减", "暂停", "取消", "未应用")
CONTINUE, ADJUST, CUT, SUSPEND, CANCEL, NOT_APPLIED = APPLICATIONS
APPLICATION_WORDS: dict[str, str] = {a: a for a in APPLICATIONS} | {
    "继续安排": CONTINUE,
    "据实保障": CONTINUE,
    "优先保障": CONTINUE,
    "调整": ADJUST,
    "优化调整": ADJUST,
    "压减": CUT,
    "调减": CUT,
    "核减预算": CUT,
    "按比例核减": CUT,
    "暂停安排": SUSPEND,
    "取消安排": CANCEL,
    "不再安排": CANCEL,
    "未运用": NOT_APPLIED,
}
# Whether a recorded consequence follows the bureau's rule (settings.APPLICATION_RULE)
FOLLOWS, BREAKS, UNVERIFIABLE, NO_RULE = "符合规则", "不符合规则", "无法核实", "规则未涉及"
RULE_VERDICTS = (FOLLOWS, BREAKS, UNVERIFIABLE, NOT_RECORDED, NO_RULE)  # 未记录 is never FOLLOWS
