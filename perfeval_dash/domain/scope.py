"""Who may read what: the regions and departments a person's role lets them see, as SQL and as a table filter.

The login (auth) builds a Scope from the person's roles; queries apply it where data is read (`Filters.where`
applies it to every query built on it; the few queries that take no Filters take a Scope). One rule for every
table: a row is shown only when it can be attributed to the scope — by its own `region` / `department` columns,
or, for rows of one evaluation (dimension scores, problems), by its `eval_id`. A row that cannot be attributed
(a batch's published total, a batch-level problem: they belong to a whole region-year, not to one department)
is not shown to a person whose scope names departments, because it carries other departments' figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

# (scope attribute, column, bound parameter); parameter names never clash with the filters' (f_*)
_DIMENSIONS = (("regions", "region", "s_regions"), ("departments", "department", "s_departments"))


@dataclass(frozen=True)
class Scope:
    """Regions and departments one may read; None = no limit on that dimension. Both limits apply together."""

    regions: tuple[str, ...] | None = None
    departments: tuple[str, ...] | None = None

    @property
    def is_all(self) -> bool:
        """True when nothing is limited (leaders, editors, open mode)."""
        return self.regions is None and self.departments is None

    @property
    def names_departments(self) -> bool:
        """True when the scope is limited to departments: whole-batch and region-wide figures are not shown."""
        return self.departments is not None

    def where(self, alias: str, columns: Iterable[str]) -> tuple[str, dict]:
        """SQL condition over table alias `alias` with the given columns, and its bound parameters.

        "TRUE" for an unlimited scope; "FALSE" when the table lacks a column the scope limits (its rows cannot
        be attributed to the scope, so none is shown).
        """
        parts, params = [], {}
        for attr, column, param in _DIMENSIONS:
            values = getattr(self, attr)
            if values is None:
                continue
            if column not in columns:
                return "FALSE", {}
            parts.append(f"{alias}.{column} = ANY(${param})")
            params[param] = list(values)
        return (" AND ".join(parts) or "TRUE"), params

    def restrict(self, tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """The snapshot's tables with only the rows in scope (for exports and comparisons of whole tables).

        Rows are attributed by their own region/department columns, else by `eval_id` to a visible evaluation;
        a table with neither (or a new table this rule does not know) is emptied, never passed through.
        """
        if self.is_all:
            return dict(tables)
        ev = tables.get("evaluations")
        visible = self._rows(ev) if ev is not None else None
        ids = visible["eval_id"] if visible is not None else pl.Series("eval_id", [], pl.String)
        out = {}
        for name, df in tables.items():
            out[name] = visible if name == "evaluations" else self._rows(df, ids)
        return out

    def _rows(self, df: pl.DataFrame, eval_ids: pl.Series | None = None) -> pl.DataFrame:
        by_columns = pl.lit(True)
        for attr, column, _ in _DIMENSIONS:
            values = getattr(self, attr)
            if values is not None:
                by_columns &= pl.col(column).is_in(list(values)) if column in df.columns else pl.lit(False)
        by_eval = pl.lit(False)
        if eval_ids is not None and "eval_id" in df.columns:
            by_eval = pl.col("eval_id").is_in(eval_ids.implode())
        return df.filter((by_columns | by_eval).fill_null(False))

    def describe(self) -> str:
        """The scope in Chinese, e.g. "查看范围：特克斯县 · 教育局、民政局"; "" when unlimited."""
        if self.is_all:
            return ""
        regions = "、".join(self.regions) if self.regions is not None else "全部地区"
        depts = "、".join(self.departments) if self.departments is not None else "全部部门"
        return f"查看范围：{regions} · {depts}"


ALL = Scope()
