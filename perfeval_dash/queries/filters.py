"""Global filters: each one is a SQL fragment, its bound parameters and a Chinese sentence for humans.

The filters also carry the reader's scope (domain/scope.py: the regions and departments their role lets them
see). `where` always applies it, so every query built on `Filters.where` or the staging CTEs reads only rows in
scope; the sidebar's choices can only narrow within it. The scope is set by the frame from the login, never
from the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfeval_dash.domain.scope import ALL, Scope
from perfeval_dash.domain.vocab import GRADES

# the columns each filter applies to, and the parameter that carries its values
_COLUMNS = (
    ("regions", "region", "f_regions"),
    ("years", "eval_year", "f_years"),
    ("budget_years", "budget_year", "f_budget_years"),
    ("depts", "department", "f_depts"),
    ("types", "eval_type", "f_types"),
    ("grades", "grade", "f_grades"),
)
EVALUATION_COLUMNS = frozenset(c for _, c, _ in _COLUMNS)  # an evaluation (or cube) row has them all
BATCH_COLUMNS = frozenset({"region", "eval_year", "budget_year"})
BUDGET_COLUMNS = frozenset({"region", "budget_year", "department"})


@dataclass(frozen=True)
class Filters:
    """The sidebar selection; an empty tuple means "all" for that filter.

    Two years, two meanings: `years` is the 评价年度 (when the evaluation was done and published), `budget_years`
    the 预算年度 (whose money was evaluated; the coverage rule counts per budget year).
    """

    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    budget_years: tuple[int, ...] = ()
    depts: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    scope: Scope = ALL  # who is looking (set by the frame from the login); applied by every `where`

    @property
    def narrows_evaluations(self) -> bool:
        """True when a filter selects within a batch (department, type, grade), not whole batches."""
        return bool(self.depts or self.types or self.grades)

    def where(self, alias: str = "e", columns: frozenset[str] = EVALUATION_COLUMNS) -> tuple[str, dict]:
        """SQL condition over table alias `alias` and its bound parameters (values are never formatted in).

        Only the filters whose column the table has (`columns`) apply: a table of batches has no department.
        The scope always applies: a table lacking a column the scope limits yields no rows ("FALSE").
        """
        scope_sql, params = self.scope.where(alias, columns)
        if scope_sql == "FALSE":
            return "FALSE", {}  # a plain FALSE lets the planner drop the branch (see staging.problems_cte)
        parts = [] if scope_sql == "TRUE" else [scope_sql]
        for attr, column, param in _COLUMNS:
            values = getattr(self, attr)
            if values and column in columns:
                parts.append(f"{alias}.{column} = ANY(${param})")
                params[param] = [int(v) for v in values] if column.endswith("year") else list(values)
        return (" AND ".join(parts) or "TRUE"), params

    def describe(self) -> str:
        """The selection in one Chinese sentence, e.g. "筛选：教育局；评价年度 2023–2024年；等级 良及以下"."""
        parts = []
        if self.regions:
            parts.append("、".join(self.regions))
        if self.years:
            parts.append(f"评价年度 {_years_text(self.years)}")
        if self.budget_years:
            parts.append(f"预算年度 {_years_text(self.budget_years)}")
        if self.depts:
            parts.append("主管部门 " + "、".join(self.depts))
        if self.types:
            parts.append("类型 " + "、".join(self.types))
        if self.grades:
            parts.append("等级 " + _grades_text(self.grades))
        if self.scope.is_all:
            return "筛选：" + ("；".join(parts) if parts else "全部数据（未筛选）")
        return f"{self.scope.describe()}　筛选：" + ("；".join(parts) if parts else "范围内全部数据（未筛选）")


def _years_text(years: tuple[int, ...]) -> str:
    ys = sorted({int(y) for y in years})
    if len(ys) > 1 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}–{ys[-1]}年"
    return "、".join(str(y) for y in ys) + "年"


def _grades_text(grades: tuple[str, ...]) -> str:
    chosen = [g for g in GRADES if g in grades]
    if len(chosen) > 1 and chosen == list(GRADES[GRADES.index(chosen[0]) :]) and chosen[-1] == GRADES[-1]:
        return f"{chosen[0]}及以下"
    return "、".join(chosen)
