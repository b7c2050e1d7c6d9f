"""Derived tables: pure functions of a snapshot's Parquet files, so that a filter change answers at once.

A snapshot never changes, so these are computed once, when it is published, and written beside its Parquet
files as `derived.duckdb` (a cache: the Parquet files stay the data; the file is git-ignored and never in the
manifest). `store.connect` attaches that file read-only; where it is missing (a snapshot copied without it,
e.g. the bundled one in a fresh clone) the same tables are built in memory instead. Aggregates read them
instead of re-reading millions of Parquet rows per click (see docs/benchmarks.md for the before/after figures):

- `eval_cube`: one row per combination of the columns filters and charts group by (region, years, department,
  type, grade, synthetic), with counts and sums. The filters' own SQL (`Filters.where`) applies to it unchanged.
- `eval_facts`: one narrow row per evaluation (cube row id, score, amount) for score distributions and rankings.
- `dim_cube`: dimension counts and sums per cube row, for the dimension 得分率.
- `snapshot_regions`, `snapshot_years`, `region_departments`: the sidebar's option lists.
- `problem_batches` + `problem_facts`: one narrow row per problem, already joined to its evaluation's cube row,
  follow-up status as a small code (its position in vocab.STATUSES; NULL = no follow-up record).
- `open_problem_text`: the text columns of open problems with a deadline (the only ones that can be overdue).
- `category_cube`, `category_years`: problems per evaluation group (or department and year) and category, for
  屡查屡犯.
- `problem_cube`, `overdue_facts`: problem counts per group, category, status and overdue flag; the problems
  overdue at the snapshot's as-of date (`derived_info` records which date and which build).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import duckdb

from perfeval_dash.domain.rules import (
    DONE_CODES,
    OPEN_CODES,
    age_bucket_sql,
    amount_from_budget_sql,
    amount_sql,
    original_due_sql,
    overdue_sql,
    pushed_back_sql,
    reopened_sql,
    status_code_sql,
)
from perfeval_dash.domain.vocab import AGE_BUCKETS, DEADLINE_CHANGED, STATUS_CHANGED
from perfeval_dash.store.schema import ALL_TABLES as SNAPSHOT_TABLES
from perfeval_dash.store.schema import sql_type

# keys of the cube: every column a filter or a chart groups by. budget_year may be NULL (a list that names only
# the evaluation year): each join back to the cube compares its keys NULL-safely, so no evaluation drops out.
CUBE_KEYS = ("region", "eval_year", "budget_year", "department", "eval_type", "grade", "synthetic")


def _same_keys(a: str, b: str) -> str:
    """SQL: rows `a` and `b` agree on every cube key, NULL matching NULL (a plain USING join drops NULL keys)."""
    return " AND ".join(f"{a}.{k} IS NOT DISTINCT FROM {b}.{k}" for k in CUBE_KEYS)


BUILD = (
    f"""CREATE TABLE eval_cube AS
    WITH e AS (
        SELECT region, eval_year, budget_year, department, eval_type, grade, synthetic, score,
               {amount_sql()} AS amount_wan, {amount_from_budget_sql()} AS amount_from_budget
        FROM evaluations
    ),
    grouped AS (
        SELECT region, eval_year, budget_year, department, eval_type, grade, synthetic,
               count(*) AS evaluations,
               sum(amount_wan) AS amount_wan,                    -- NULL when no evaluation has an amount
               count(*) FILTER (WHERE amount_from_budget) AS from_budget,
               count(*) FILTER (WHERE amount_wan IS NULL) AS amount_missing,
               sum(score) AS score_sum, count(score) AS score_n,
               sum(round(score * 100))::BIGINT AS score_cents     -- exact: an order of averages free of float noise
        FROM e GROUP BY ALL
    )
    SELECT (row_number() OVER (ORDER BY region, eval_year, budget_year, department, eval_type, grade, synthetic))
               ::INTEGER AS gid, *
    FROM grouped""",
    f"""CREATE TABLE eval_facts AS
    SELECT c.gid, e.eval_id, e.score, e.project_name,
           {amount_sql("e")} AS amount_wan, {amount_from_budget_sql("e")} AS amount_from_budget
    FROM evaluations e
    JOIN eval_cube c ON {_same_keys("e", "c")}""",
    """CREATE TABLE dim_cube AS
    SELECT x.gid, d.dimension, count(*) AS evaluations, sum(d.weight) AS weight_sum,
           sum(d.score / d.weight) AS rate_sum
    FROM dimension_scores d JOIN (SELECT gid, eval_id FROM eval_facts) x USING (eval_id)
    WHERE d.weight > 0
    GROUP BY ALL""",
    """CREATE TABLE problem_batches AS
    SELECT (row_number() OVER (ORDER BY p.region, p.eval_year))::INTEGER AS bid, p.region, p.eval_year,
           b.budget_year,                                         -- the batch's budget year, for the filter
           b.published_date                                       -- problems age from here (NULL: unknown)
    FROM (SELECT DISTINCT region, eval_year FROM problems) p LEFT JOIN batches b USING (region, eval_year)""",
    # the sidebar's option lists, asked on every page run
    """CREATE TABLE region_departments AS
    SELECT DISTINCT region, department FROM eval_cube UNION SELECT region, department FROM dept_budgets""",
    """CREATE TABLE snapshot_regions AS
    SELECT region, bool_or(synthetic) AS synthetic FROM eval_cube GROUP BY region
    UNION SELECT region, bool_or(synthetic) FROM batches GROUP BY region""",
    """CREATE TABLE snapshot_years AS
    SELECT DISTINCT 'eval' AS kind, eval_year AS y FROM eval_cube
    UNION SELECT 'budget', budget_year FROM eval_cube WHERE budget_year IS NOT NULL
    UNION SELECT 'budget', budget_year FROM dept_budgets""",
    f"""CREATE TABLE problem_facts AS
    SELECT (row_number() OVER (ORDER BY p.problem_id))::INTEGER AS pid,
           b.bid, x.gid,                                         -- gid NULL: a batch-level problem
           p.category, ({status_code_sql("p.status")})::UTINYINT AS status_code, p.due_date, p.synthetic, p.problem_id,
           {original_due_sql("p")} AS original_due, p.eval_id
    FROM problems p
    JOIN problem_batches b USING (region, eval_year)
    LEFT JOIN (SELECT gid, eval_id FROM eval_facts) x ON x.eval_id = p.eval_id""",
    # text of the problems that can be overdue (open, with a deadline): the overdue list reads its rows here
    # instead of picking scattered rows out of problems.parquet
    f"""CREATE TABLE open_problem_text AS
    SELECT f.pid, p.eval_id, p.region, p.eval_year, p.description, p.responsible_unit, p.status
    FROM problems p JOIN problem_facts f USING (problem_id)
    WHERE f.status_code IN {OPEN_CODES} AND p.due_date IS NOT NULL""",
    # problems per evaluation group and category (屡查屡犯 reads it when a filter needs the group's keys) and per
    # department, evaluation year and category (屡查屡犯 without a type, grade or budget-year filter: 6× fewer rows)
    """CREATE TABLE category_cube AS
    SELECT gid, category, count(*) AS problems, bool_or(synthetic) AS synthetic
    FROM problem_facts WHERE gid IS NOT NULL GROUP BY ALL""",
    """CREATE TABLE category_years AS
    SELECT c.region, c.department, c.eval_year, x.category, sum(x.problems) AS problems,
           bool_or(x.synthetic) AS synthetic
    FROM category_cube x JOIN eval_cube c USING (gid) GROUP BY ALL""",
    # ---- follow-up over time (problem_events written by the store at each publish; see history.py)
    f"""CREATE TABLE problem_revisions AS
    SELECT problem_id,
           count(*) FILTER (WHERE kind = '{DEADLINE_CHANGED}')::INTEGER AS deadline_changes,
           count(*) FILTER (WHERE kind = '{DEADLINE_CHANGED}' AND {pushed_back_sql()})::INTEGER AS pushes,
           count(*) FILTER (WHERE kind = '{STATUS_CHANGED}' AND {reopened_sql()})::INTEGER AS reopens
    FROM problem_events WHERE kind IN ('{DEADLINE_CHANGED}', '{STATUS_CHANGED}')
    GROUP BY problem_id
    HAVING deadline_changes > 0 OR reopens > 0""",
    # problems in this snapshot whose deadline moved or that were reopened (a few per cent at most)
    """CREATE TABLE revised_facts AS
    SELECT f.pid, f.bid, f.gid, f.problem_id, f.category, f.status_code, f.due_date, f.original_due, f.synthetic,
           r.deadline_changes, r.pushes, r.reopens, p.eval_id, p.region, p.eval_year, p.description,
           p.responsible_unit
    FROM problem_facts f JOIN problem_revisions r USING (problem_id) JOIN problems p USING (problem_id)""",
    # every event with the evaluation group (gid) and batch budget year its problem belongs to, in publish order
    # (snap_ord numbers the snapshots, so "since a snapshot" skips the older row groups), for 本期变化 and timelines
    """CREATE TABLE event_facts AS
    SELECT (dense_rank() OVER (ORDER BY v.snapshot_id))::INTEGER AS snap_ord, v.*, x.gid,
           b.budget_year AS batch_budget_year
    FROM problem_events v
    LEFT JOIN (SELECT gid, eval_id FROM eval_facts) x ON x.eval_id = v.eval_id
    LEFT JOIN (SELECT region, eval_year, budget_year FROM batches) b USING (region, eval_year)
    ORDER BY v.snapshot_id, v.problem_id""",
    """CREATE TABLE event_snapshots AS SELECT DISTINCT snapshot_id, snap_ord FROM event_facts ORDER BY snap_ord""",
    # 结果应用 of every evaluation (NULL application = 未记录) with the amount a share of cut is measured against
    f"""CREATE TABLE application_facts AS
    SELECT x.gid, e.eval_id, e.application, e.application_wan, e.application_year, {amount_sql("e")} AS amount_wan
    FROM evaluations e JOIN (SELECT gid, eval_id FROM eval_facts) x USING (eval_id)""",
    # 结果应用 counts and sums per evaluation group and consequence (NULL = 未记录)
    """CREATE TABLE application_cube AS
    SELECT gid, application, count(*) AS evaluations, sum(amount_wan) AS amount_wan,
           sum(application_wan) AS application_wan, count(application_wan) AS with_amount
    FROM application_facts GROUP BY ALL""",
)


def _bucket_counts(flag: str, days: str, prefix: str) -> str:
    """SQL select items: problems with `flag` per age bucket of `days` (vocab.AGE_BUCKETS), as prefix_0 … prefix_4."""
    return ", ".join(
        f"count(*) FILTER (WHERE {flag} AND {age_bucket_sql(days)} = {i})::INTEGER AS {prefix}_{i}"
        for i in range(len(AGE_BUCKETS))
    )


_OPEN = f"coalesce(f.status_code IN {OPEN_CODES}, FALSE)"
_DONE = f"coalesce(f.status_code IN {DONE_CODES}, FALSE)"
_LATE_CUR = overdue_sql(_OPEN, "f.due_date")
_LATE_ORIG = overdue_sql(_OPEN, "f.original_due")


# Tables that depend on the snapshot's as-of date ($as_of): whether a problem is overdue is fixed per snapshot.
BUILD_AS_OF = (
    # overdue (rules.overdue_sql) is fixed per snapshot: it depends on the as-of date only
    f"""CREATE TABLE problem_cube AS
    SELECT bid, gid, category, status_code, {overdue_sql(f"status_code IN {OPEN_CODES}")} AS overdue,
           synthetic, count(*) AS problems
    FROM problem_facts GROUP BY ALL""",
    f"""CREATE TABLE overdue_facts AS
    SELECT * FROM problem_facts WHERE {overdue_sql(f"status_code IN {OPEN_CODES}")}
    ORDER BY due_date, pid""",
    # follow-up counts per group against the current and the original deadline, ageing and revisions
    f"""CREATE TABLE followup_cube AS
    SELECT f.bid, f.gid, f.synthetic,
           count(*)::INTEGER AS problems,
           count(f.status_code)::INTEGER AS tracked,
           count(*) FILTER (WHERE {_DONE})::INTEGER AS done,
           count(*) FILTER (WHERE {_OPEN})::INTEGER AS open,
           count(*) FILTER (WHERE f.status_code IS NOT NULL AND f.due_date < $as_of)::INTEGER AS due_cur,
           count(*) FILTER (WHERE {_LATE_CUR})::INTEGER AS overdue_cur,
           count(*) FILTER (WHERE f.status_code IS NOT NULL AND f.original_due < $as_of)::INTEGER AS due_orig,
           count(*) FILTER (WHERE {_LATE_ORIG})::INTEGER AS overdue_orig,
           count(r.pid) FILTER (WHERE r.pushes > 0)::INTEGER AS revised,
           coalesce(sum(r.pushes), 0)::INTEGER AS pushes,
           count(r.pid) FILTER (WHERE r.reopens > 0)::INTEGER AS reopened,
           count(*) FILTER (WHERE {_OPEN} AND b.published_date IS NULL)::INTEGER AS open_age_unknown,
           count(*) FILTER (WHERE {_OPEN} AND f.due_date IS NULL)::INTEGER AS open_no_due,
           {_bucket_counts(_OPEN, "date_diff('day', b.published_date, $as_of)", "open_age")},
           {_bucket_counts(_LATE_CUR, "date_diff('day', f.due_date, $as_of)", "late_cur")},
           {_bucket_counts(_LATE_ORIG, "date_diff('day', f.original_due, $as_of)", "late_orig")}
    FROM problem_facts f JOIN problem_batches b USING (bid) LEFT JOIN revised_facts r USING (pid)
    GROUP BY ALL""",
    """CREATE TABLE derived_info AS SELECT $version AS version, $as_of::DATE AS as_of""",
)

FILE = "derived.duckdb"
TABLES = tuple(re.match(r"\s*CREATE TABLE (\w+)", sql).group(1) for sql in BUILD + BUILD_AS_OF)
# a file written by other code (other build statements) is not used: the tables are rebuilt in memory instead
VERSION = hashlib.sha256("\n".join(BUILD + BUILD_AS_OF).encode()).hexdigest()[:16]


def build(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Create the derived tables in a connection that already has the snapshot's views."""
    for sql in BUILD:
        con.execute(sql)
    for sql in BUILD_AS_OF:
        con.execute(sql, {"as_of": as_of, "version": VERSION} if "$version" in sql else {"as_of": as_of})


def parquet_views(con: duckdb.DuckDBPyConnection, table_path, temporary: bool = False) -> None:
    """One view per contract table over the Parquet file `table_path(name)` names (paths chosen by the store).

    Snapshots never change, but the contract grows: a column a snapshot's file lacks reads as its `missing` value
    (NULL unless the contract says otherwise),
    and a table its manifest lacks (`table_path` gives None) reads as empty, so old pinned links keep working.
    """
    kind = "TEMP VIEW" if temporary else "VIEW"
    for name, table in SNAPSHOT_TABLES.items():
        path = table_path(name)
        source = f"read_parquet({sql_string(str(path))})" if path is not None else None
        present = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()} if source else set()
        cols = ", ".join(
            c.name if c.name in present else f"CAST({_literal(c.missing)} AS {sql_type(c)}) AS {c.name}"
            for c in table.columns
        )
        body = f"SELECT {cols} FROM {source}" if source else f"SELECT {cols} WHERE FALSE"
        con.execute(f"CREATE {kind} {name} AS {body}")


def write(folder: Path, table_path, as_of: dt.date) -> Path:
    """Build the derived tables into `folder/derived.duckdb` from the Parquet files `table_path(name)` names."""
    path = folder / FILE
    con = duckdb.connect(str(path))
    try:
        parquet_views(con, table_path, temporary=True)  # temporary: the file keeps only the derived tables
        build(con, as_of)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def attach(con: duckdb.DuckDBPyConnection, folder: Path, as_of: dt.date) -> bool:
    """Expose `folder/derived.duckdb` (read-only) as views in `con`; False when it is missing or outdated."""
    path = folder / FILE
    if not path.is_file():
        return False
    con.execute(f"ATTACH {sql_string(str(path))} AS derived (READ_ONLY)")
    info = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'derived' AND table_name = 'derived_info'"
    ).fetchall()[0][0]
    if not info or con.execute("SELECT version, as_of FROM derived.main.derived_info").fetchall() != [(VERSION, as_of)]:
        con.execute("DETACH derived")
        return False
    for name in TABLES:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM derived.main.{name}")
    return True


def check_as_of(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> None:
    """Raise when a query asks about another as-of date than the one the derived tables were built for."""
    built = con.execute("SELECT as_of FROM derived_info").fetchall()[0][0]
    if built != as_of:
        raise ValueError(f"derived tables were built for as-of {built}, not {as_of}")


def _literal(value: object) -> str:
    """SQL for a contract column's `missing` value (NULL, TRUE or FALSE: the only kinds the contract uses)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    raise TypeError(f"no SQL literal for {value!r}")


def sql_string(value: str) -> str:
    """A SQL string literal (for file paths the store chooses; never for user input)."""
    return "'" + value.replace("'", "''") + "'"
