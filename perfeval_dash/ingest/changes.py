"""Merging imported rows into a snapshot's tables (upsert by key, or replace a region+year) and diffing tables."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from perfeval_dash.ingest.layout import header_of
from perfeval_dash.store import schema

ROW = "_row"  # Excel row of an imported row; null for rows kept from the current snapshot
EMPTY = "（空）"
Scope = tuple[str, int]  # (region, eval_year)


def _with_row(name: str, df: pl.DataFrame) -> pl.DataFrame:
    conformed = schema.conform(name, df)
    row = df[ROW].cast(pl.Int64) if ROW in df.columns else pl.Series(ROW, [None] * df.height, pl.Int64)
    return conformed.with_columns(row.alias(ROW))


def _in_scopes(df: pl.DataFrame, scopes: list[Scope], year_col: str = "eval_year") -> pl.Expr:
    if not scopes:
        return pl.lit(False)
    return pl.any_horizontal([(pl.col("region") == r) & (pl.col(year_col) == y) for r, y in scopes])


def scope_budget_years(tables: list[dict[str, pl.DataFrame]], scopes: list[Scope]) -> list[Scope]:
    """(region, budget_year) pairs covered by replaced (region, eval_year) scopes, from batches and evaluations."""
    pairs: set[Scope] = set()
    for t in tables:
        for name in ("batches", "evaluations"):
            if name in t and t[name].height:
                df = t[name].filter(_in_scopes(t[name], scopes)).select("region", "budget_year").drop_nulls()
                pairs |= {(r, int(y)) for r, y in df.unique().iter_rows()}
    return sorted(pairs)


def removed_by_scopes(
    current: dict[str, pl.DataFrame], present: list[str], scopes: list[Scope], budget_scopes: list[Scope]
) -> dict[str, pl.DataFrame]:
    """Per table, the current rows that replace mode deletes (only tables the import holds)."""
    out = {}
    scoped_ids = current["evaluations"].filter(_in_scopes(current["evaluations"], scopes))["eval_id"]
    for name in present:
        df = current[name]
        if name == "dimension_scores":
            mask = pl.col("eval_id").is_in(scoped_ids.implode())
        elif name == "dept_budgets":
            mask = _in_scopes(df, budget_scopes, "budget_year")
        else:
            mask = _in_scopes(df, scopes)
        out[name] = df.filter(mask)
    return out


def merge(
    current: dict[str, pl.DataFrame], imported: dict[str, pl.DataFrame], scopes: list[Scope] = ()
) -> dict[str, pl.DataFrame]:
    """Current tables with imported rows upserted by key (after deleting the scopes' rows); ROW marks imports."""
    scopes = list(scopes)
    budget_scopes = scope_budget_years([current, imported], scopes)
    removed = removed_by_scopes(current, list(imported), scopes, budget_scopes) if scopes else {}
    out = {}
    for name, table in schema.TABLES.items():
        cur = _with_row(name, current[name])
        if name not in imported:
            out[name] = cur
            continue
        if name in removed and removed[name].height:
            cur = cur.join(
                removed[name].select(table.key), on=list(table.key), how="anti", nulls_equal=True, maintain_order="left"
            )
        new = _with_row(name, imported[name])
        kept = cur.join(
            new.select(table.key).unique(), on=list(table.key), how="anti", nulls_equal=True, maintain_order="left"
        )
        out[name] = pl.concat([kept, new])
    return out


def strip_rows(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Tables without the ROW marker column, in contract form."""
    return {name: schema.conform(name, df) for name, df in tables.items()}


# ---- diffs -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableChanges:
    """What turns `old` into `new` for one table: row counts and every changed value."""

    table: str
    added: pl.DataFrame  # new rows (contract columns)
    removed: pl.DataFrame  # old rows that are gone
    changed_keys: pl.DataFrame  # keys of rows present in both with at least one changed value
    unchanged: int
    values: pl.DataFrame  # 键, 列 (Chinese header), column (name), 原值, 新值

    @property
    def counts(self) -> dict[str, int]:
        return {
            "新增": self.added.height,
            "修改": self.changed_keys.height,
            "未变": self.unchanged,
            "删除": self.removed.height,
        }


def _display(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return pl.when(expr).then(pl.lit("是")).when(~expr).then(pl.lit("否")).otherwise(pl.lit(EMPTY))
    return expr.cast(pl.String).fill_null(EMPTY)


def _differs(a: pl.Expr, b: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    nulls = a.is_null() != b.is_null()
    if dtype == pl.Float64:  # exported and re-read numbers may differ in the last binary digit
        return nulls | ((a - b).abs() > 1e-9 * pl.max_horizontal(pl.lit(1.0), a.abs())).fill_null(False)
    return nulls | (a != b).fill_null(False)


def key_label(name: str, df: pl.DataFrame) -> pl.Expr:
    """A readable key for a row: its key values joined with ' / '."""
    return pl.concat_str([pl.col(k).cast(pl.String).fill_null(EMPTY) for k in schema.TABLES[name].key], separator=" / ")


def diff_table(name: str, old: pl.DataFrame, new: pl.DataFrame) -> TableChanges:
    """Rows added, removed, changed (with each changed value) and unchanged between two versions of a table."""
    table = schema.TABLES[name]
    key = list(table.key)
    old, new = schema.conform(name, old), schema.conform(name, new)
    added = new.join(old.select(key), on=key, how="anti", nulls_equal=True, maintain_order="left")
    removed = old.join(new.select(key), on=key, how="anti", nulls_equal=True, maintain_order="left")
    both = new.join(old, on=key, how="inner", suffix="__old", nulls_equal=True, maintain_order="left")
    others = [c for c in table.columns if c.name not in key and not c.kept]  # kept columns: the store's own
    flags = [_differs(pl.col(c.name), pl.col(f"{c.name}__old"), both.schema[c.name]).alias(c.name) for c in others]
    flagged = both.with_columns(key_label(name, both).alias("键")).with_columns(
        [f.alias(f"{c.name}__chg") for f, c in zip(flags, others)]
    )
    any_change = pl.any_horizontal([pl.col(f"{c.name}__chg") for c in others]) if others else pl.lit(False)
    changed = flagged.filter(any_change)
    parts = [
        changed.filter(pl.col(f"{c.name}__chg")).select(
            pl.col("键"),
            pl.lit(header_of(name, c.name)).alias("列"),
            pl.lit(c.name).alias("column"),
            _display(pl.col(f"{c.name}__old"), both.schema[c.name]).alias("原值"),
            _display(pl.col(c.name), both.schema[c.name]).alias("新值"),
        )
        for c in others
    ]
    values = (
        pl.concat(parts)
        if parts
        else pl.DataFrame(
            schema={"键": pl.String, "列": pl.String, "column": pl.String, "原值": pl.String, "新值": pl.String}
        )
    )
    return TableChanges(name, added, removed, changed.select(key), both.height - changed.height, values)


def diff_tables(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> dict[str, TableChanges]:
    """diff_table for every table of the contract."""
    return {
        name: diff_table(name, old.get(name, schema.empty_table(name)), new.get(name, schema.empty_table(name)))
        for name in schema.TABLES
    }


def counts_frame(changes: dict[str, TableChanges]) -> pl.DataFrame:
    """One row per table: 表, 新增, 修改, 未变, 删除."""
    return pl.DataFrame([{"表": schema.TABLES[n].header, **c.counts} for n, c in changes.items()])


# ---- comparing two snapshots -----------------------------------------------------------------------
_EV_SHOWN = ("eval_id", "region", "eval_year", "project_name", "department", "score", "grade")


@dataclass(frozen=True)
class SnapshotComparison:
    """What changed between two snapshots, shaped for display (Chinese column names)."""

    tables: dict[str, TableChanges]
    evaluations_added: pl.DataFrame
    evaluations_removed: pl.DataFrame
    evaluation_changes: pl.DataFrame  # 评价编号, 项目名称, 列, 原值, 新值, 得分或等级变化
    problem_changes: pl.DataFrame  # 问题编号, 问题描述, 列, 原值, 新值 (only 整改状态 and 整改期限)


def _chinese(name: str, df: pl.DataFrame, cols: tuple[str, ...]) -> pl.DataFrame:
    return df.select([pl.col(c).alias(header_of(name, c)) for c in cols])


def compare(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> SnapshotComparison:
    """Evaluations added / removed / changed (score, grade flagged); problems whose status or deadline changed."""
    tables = diff_tables(old, new)
    ev = tables["evaluations"]
    names = (
        pl.concat(
            [schema.conform("evaluations", new["evaluations"]), schema.conform("evaluations", old["evaluations"])]
        )
        .unique(subset=["eval_id"], keep="first", maintain_order=True)
        .select(pl.col("eval_id").alias("键"), pl.col("project_name").alias("项目名称"))
    )
    ev_changes = ev.values.join(names, on="键", how="left", maintain_order="left").select(
        pl.col("键").alias("评价编号"),
        "项目名称",
        "列",
        "原值",
        "新值",
        pl.col("column").is_in(["score", "grade"]).alias("得分或等级变化"),
    )
    pr = tables["problems"]
    desc = schema.conform("problems", new["problems"]).select(
        pl.col("problem_id").alias("键"), pl.col("description").alias("问题描述")
    )
    pr_changes = (
        pr.values.filter(pl.col("column").is_in(["status", "due_date"]))
        .join(desc, on="键", how="left", maintain_order="left")
        .select(pl.col("键").alias("问题编号"), "问题描述", "列", "原值", "新值")
    )
    return SnapshotComparison(
        tables,
        _chinese("evaluations", ev.added, _EV_SHOWN),
        _chinese("evaluations", ev.removed, _EV_SHOWN),
        ev_changes,
        pr_changes,
    )
