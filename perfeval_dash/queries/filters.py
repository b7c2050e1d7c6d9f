"""Global filters: each one is a SQL fragment, its bound parameters and a Chinese sentence for humans."""

from __future__ import annotations

from dataclasses import dataclass

from perfeval_dash.domain.vocab import GRADES


@dataclass(frozen=True)
class Filters:
    """The sidebar selection; an empty tuple means "all" for that filter."""

    regions: tuple[str, ...] = ()
    years: tuple[int, ...] = ()
    depts: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()

    @property
    def narrows_evaluations(self) -> bool:
        """True when a filter selects within a batch (department, type, grade), not whole batches."""
        return bool(self.depts or self.types or self.grades)

    def where(self, alias: str = "e", year_col: str = "eval_year", evaluation_level: bool = True) -> tuple[str, dict]:
        """SQL condition over table alias `alias` and its bound parameters (values are never formatted in).

        `year_col` picks which year the year filter means (eval_year, or budget_year on budget pages).
        With `evaluation_level=False` only region and year apply (tables without department/type/grade).
        """
        parts, params = [], {}
        if self.regions:
            parts.append(f"{alias}.region = ANY($f_regions)")
            params["f_regions"] = list(self.regions)
        if self.years:
            parts.append(f"{alias}.{year_col} = ANY($f_years)")
            params["f_years"] = [int(y) for y in self.years]
        if evaluation_level:
            if self.depts:
                parts.append(f"{alias}.department = ANY($f_depts)")
                params["f_depts"] = list(self.depts)
            if self.types:
                parts.append(f"{alias}.eval_type = ANY($f_types)")
                params["f_types"] = list(self.types)
            if self.grades:
                parts.append(f"{alias}.grade = ANY($f_grades)")
                params["f_grades"] = list(self.grades)
        return (" AND ".join(parts) or "TRUE"), params

    def describe(self, year_word: str = "评价年度") -> str:
        """The selection in one Chinese sentence, e.g. "筛选：教育局；2023–2024年；等级 良及以下"."""
        parts = []
        if self.regions:
            parts.append("、".join(self.regions))
        if self.years:
            parts.append(f"{year_word} {_years_text(self.years)}")
        if self.depts:
            parts.append("主管部门 " + "、".join(self.depts))
        if self.types:
            parts.append("类型 " + "、".join(self.types))
        if self.grades:
            parts.append("等级 " + _grades_text(self.grades))
        return "筛选：" + ("；".join(parts) if parts else "全部数据（未筛选）")


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
