"""Queries of follow-up over time: deadlines (current and original), ageing, revisions, repeat problems, timelines.

Figures read the derived tables built at publish (followup_cube, revised_facts, problem_cube, problem_events):
they hold each problem's original deadline (first seen, kept by the store), how often its deadline was pushed
back, whether it was reopened, and the age of its report. Every function returns figures for both deadlines;
the page's switch (?dl=orig) only chooses which to show.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import OPEN_CODES, status_name_sql
from perfeval_dash.domain.vocab import AGE_BUCKETS, AGE_LABELS, EVENT_KINDS, NOT_RECORDED, UNKNOWN, YEAR_DAYS
from perfeval_dash.queries import fetch
from perfeval_dash.queries.detail import Evaluation, checked_id
from perfeval_dash.queries.filters import Filters
from perfeval_dash.queries.staging import groups_where
from perfeval_dash.store.derived import check_as_of

_DEPARTMENT_YEAR = frozenset({"region", "department", "eval_year"})  # the keys of category_years
BATCH_DEPARTMENT = "（整批共性问题）"  # the department column of batch-level problems (as queries.problems)
_N = len(AGE_BUCKETS)
OVER_YEAR = next(i for i, (_, last) in enumerate(AGE_BUCKETS) if last is None)  # the bucket "> a year"
assert AGE_BUCKETS[OVER_YEAR - 1][1] == YEAR_DAYS  # "open more than a year" is the last age bucket
_SUMS = (
    "problems",
    "tracked",
    "done",
    "open",
    "due_cur",
    "overdue_cur",
    "due_orig",
    "overdue_orig",
    "revised",
    "pushes",
    "reopened",
    "open_age_unknown",
    "open_no_due",
    *(f"{k}_{i}" for k in ("open_age", "late_cur", "late_orig") for i in range(_N)),
)


def _due_rate(due: int, overdue: int) -> float | None:
    """到期整改完成率: of the problems whose deadline has passed, the share done; None (未知) when none is due."""
    return None if due == 0 else (due - overdue) / due


def summary(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> dict:
    """Counts of the problems in view: tracked, done, open, due and overdue against the current and the original
    deadline (with the share of due problems done), revised deadlines, reopened, open more than a year."""
    check_as_of(con, as_of)
    where, params = groups_where(f)
    sums = ", ".join(f"coalesce(sum({c}), 0)::BIGINT AS {c}" for c in _SUMS)
    row = fetch(
        con,
        f"""
    WITH final AS (
        SELECT {sums}, coalesce(bool_or(synthetic), FALSE) AS any_synthetic
        FROM followup_cube x WHERE {where}
    )
    SELECT * FROM final""",
        params,
    ).row(0, named=True)
    out = {k: (bool(v) if k == "any_synthetic" else int(v)) for k, v in row.items()}
    out["open_over_year"] = out[f"open_age_{OVER_YEAR}"]
    out["rate_cur"] = _due_rate(out["due_cur"], out["overdue_cur"])
    out["rate_orig"] = _due_rate(out["due_orig"], out["overdue_orig"])
    return out


def ageing(summary_row: dict) -> pl.DataFrame:
    """Per age bucket: open problems by days since their report was published, overdue problems by days overdue
    (current and original deadline); a last row 未知 for open problems whose report has no publication date."""
    rows = [
        {
            "bucket": label,
            "open": summary_row[f"open_age_{i}"],
            "overdue_cur": summary_row[f"late_cur_{i}"],
            "overdue_orig": summary_row[f"late_orig_{i}"],
        }
        for i, label in enumerate(AGE_LABELS)
    ]
    rows.append({"bucket": UNKNOWN, "open": summary_row["open_age_unknown"], "overdue_cur": None, "overdue_orig": None})
    types = {"bucket": pl.String, "open": pl.Int64, "overdue_cur": pl.Int64, "overdue_orig": pl.Int64}
    return pl.DataFrame(rows, schema=types)


def by_department(
    con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """Per department (改期 n 次): problems, open, overdue against both deadlines, problems with a deadline pushed
    back and how many times, reopened, open more than a year; most pushes first (top `limit`), and how many rows."""
    check_as_of(con, as_of)
    where, params = groups_where(f)
    df = fetch(
        con,
        f"""
    WITH fc AS (SELECT * FROM followup_cube x WHERE {where}),
    per_group AS (
        SELECT bid, gid, sum(problems) AS problems, sum(open) AS open, sum(overdue_cur) AS overdue_cur,
               sum(overdue_orig) AS overdue_orig, sum(revised) AS revised, sum(pushes) AS pushes,
               sum(reopened) AS reopened, sum(open_age_{OVER_YEAR}) AS open_over_year, bool_or(synthetic) AS synthetic
        FROM fc GROUP BY ALL
    ),
    per_dept AS (
        SELECT b.region, coalesce(c.department, $batch) AS department,
               sum(g.problems)::BIGINT AS problems, sum(g.open)::BIGINT AS open,
               sum(g.overdue_cur)::BIGINT AS overdue_cur, sum(g.overdue_orig)::BIGINT AS overdue_orig,
               sum(g.revised)::BIGINT AS revised, sum(g.pushes)::BIGINT AS pushes,
               sum(g.reopened)::BIGINT AS reopened, sum(g.open_over_year)::BIGINT AS open_over_year,
               bool_or(g.synthetic) AS synthetic
        FROM per_group g JOIN problem_batches b USING (bid) LEFT JOIN eval_cube c USING (gid)
        GROUP BY ALL
    ),
    final AS (
        SELECT *, count(*) OVER () AS total FROM per_dept
        ORDER BY pushes DESC, overdue_orig DESC, problems DESC, region, department
        LIMIT $limit
    )
    SELECT * FROM final""",
        params | {"batch": BATCH_DEPARTMENT, "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total


def revised(
    con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """Problems whose deadline was moved or that were reopened: most pushes first (top `limit`), and how many."""
    check_as_of(con, as_of)
    where, params = groups_where(f)
    df = fetch(
        con,
        f"""
    WITH r AS (SELECT * FROM revised_facts x WHERE {where}),
    top AS (SELECT * FROM r ORDER BY pushes DESC, deadline_changes DESC, original_due NULLS LAST, pid LIMIT $limit),
    final AS (
        SELECT t.problem_id, t.eval_id, t.region, t.eval_year, c.department, t.category, t.description,
               t.responsible_unit, {status_name_sql("t.status_code")} AS status,
               t.original_due, t.due_date, t.pushes, t.deadline_changes, t.reopens,
               CASE WHEN t.status_code IN {OPEN_CODES} AND t.original_due < $as_of
                    THEN date_diff('day', t.original_due, $as_of) END AS days_overdue_orig,
               CASE WHEN t.status_code IN {OPEN_CODES} AND t.due_date < $as_of
                    THEN date_diff('day', t.due_date, $as_of) END AS days_overdue,
               t.gid IS NULL AS batch_level, t.synthetic, (SELECT count(*) FROM r) AS total
        FROM top t LEFT JOIN eval_cube c USING (gid)
        ORDER BY t.pushes DESC, t.deadline_changes DESC, t.original_due NULLS LAST, t.problem_id
    )
    SELECT * FROM final""",
        params | {"as_of": as_of, "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total


def repeats(con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date) -> pl.DataFrame:
    """屡查屡犯: per department and problem category found in two or more evaluation years (within the filters):
    the years, how many, and the problems. Batch-level problems belong to no department and are not counted."""
    check_as_of(con, as_of)
    if f.types or f.grades or f.budget_years:  # a filter finer than department and year: per evaluation group
        where, params = f.where("c")
        per_year = f"""
        SELECT c.region, c.department, x.category, c.eval_year, sum(x.problems) AS problems,
               bool_or(x.synthetic) AS synthetic
        FROM category_cube x JOIN eval_cube c USING (gid) WHERE {where}
        GROUP BY ALL"""
    else:  # region, year, department and the scope are all columns of category_years
        where, params = f.where("c", _DEPARTMENT_YEAR)
        per_year = (
            f"SELECT region, department, category, eval_year, problems, synthetic FROM category_years c WHERE {where}"
        )
    return fetch(
        con,
        f"""
    WITH per_year AS ({per_year}),
    final AS (
        SELECT region, department, category,
               string_agg(eval_year::VARCHAR, '、' ORDER BY eval_year) AS years,
               count(*)::BIGINT AS n_years, min(eval_year) AS first_year, max(eval_year) AS last_year,
               sum(problems)::BIGINT AS problems, bool_or(synthetic) AS synthetic
        FROM per_year GROUP BY ALL
        HAVING count(*) >= 2
        ORDER BY n_years DESC, problems DESC, region, department, category
    )
    SELECT * FROM final""",
        params,
    )


def repeat_departments(rep: pl.DataFrame) -> pl.DataFrame:
    """Per department: the categories found in two or more years (屡查屡犯) and their problems, most first."""
    if rep.is_empty():
        return pl.DataFrame(
            schema={
                "region": pl.String,
                "department": pl.String,
                "categories": pl.Int64,
                "problems": pl.Int64,
                "synthetic": pl.Boolean,
            }
        )
    return (
        rep.group_by("region", "department")
        .agg(
            pl.len().cast(pl.Int64).alias("categories"),
            pl.col("problems").sum().cast(pl.Int64),
            pl.col("synthetic").any(),
        )
        .sort(["categories", "problems", "region", "department"], descending=[True, True, False, False])
    )


def repeat_problems(
    con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """The problems behind 屡查屡犯: those of a department and category found in two or more years (top `limit`),
    with their evaluation (its page holds the text); and how many there are."""
    check_as_of(con, as_of)
    where, params = groups_where(f)
    df = fetch(
        con,
        f"""
    WITH facts AS (
        SELECT x.pid, x.gid, x.problem_id, x.eval_id, x.category, x.status_code, x.due_date, x.synthetic
        FROM problem_facts x WHERE {where} AND x.gid IS NOT NULL
    ),
    named AS (
        SELECT f.*, c.region, c.department, c.eval_year FROM facts f JOIN eval_cube c USING (gid)
    ),
    groups AS (
        SELECT region, department, category FROM named GROUP BY ALL HAVING count(DISTINCT eval_year) >= 2
    ),
    hit AS (SELECT * FROM named SEMI JOIN groups USING (region, department, category)),
    final AS (
        SELECT region, department, category, eval_year, problem_id, eval_id,
               {status_name_sql("status_code")} AS status, due_date, synthetic, count(*) OVER () AS total
        FROM hit ORDER BY region, department, category, eval_year, problem_id LIMIT $limit
    )
    SELECT * FROM final""",
        params | {"limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total


def open_problems(
    con: duckdb.DuckDBPyConnection, f: Filters, as_of: dt.date, limit: int = settings.LIST_ROWS.value
) -> tuple[pl.DataFrame, int]:
    """Open problems with a deadline, most overdue first (top `limit`) with their original deadline and how often
    it was pushed back; and how many there are."""
    check_as_of(con, as_of)
    where, params = groups_where(f)
    df = fetch(
        con,
        f"""
    WITH o AS (
        SELECT x.pid, x.gid, x.problem_id, x.category, x.due_date, x.original_due, x.synthetic
        FROM problem_facts x WHERE {where} AND x.status_code IN {OPEN_CODES} AND x.due_date IS NOT NULL
    ),
    top AS (SELECT * FROM o ORDER BY due_date, pid LIMIT $limit),
    final AS (
        SELECT t.problem_id, txt.eval_id, txt.region, txt.eval_year, c.department, t.category, txt.description,
               txt.responsible_unit, txt.status, t.original_due, t.due_date, coalesce(r.pushes, 0) AS pushes,
               CASE WHEN t.due_date < $as_of THEN date_diff('day', t.due_date, $as_of) END AS days_overdue,
               CASE WHEN t.original_due < $as_of THEN date_diff('day', t.original_due, $as_of) END
                   AS days_overdue_orig,
               t.gid IS NULL AS batch_level, t.synthetic, (SELECT count(*) FROM o) AS total
        FROM top t JOIN open_problem_text txt USING (pid) LEFT JOIN eval_cube c USING (gid)
        LEFT JOIN (SELECT pid, pushes FROM revised_facts) r USING (pid)
        ORDER BY t.due_date, t.problem_id
    )
    SELECT * FROM final""",
        params | {"as_of": as_of, "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total


def timeline(con: duckdb.DuckDBPyConnection, ev: Evaluation) -> pl.DataFrame:
    """Every recorded change of the problems of one evaluation (detail.evaluation's row), oldest first
    (problem, snapshot, kind)."""
    kinds = ", ".join(f"('{k}', {i})" for i, k in enumerate(EVENT_KINDS))
    return fetch(
        con,
        f"""
    WITH final AS (
        SELECT v.problem_id, v.snapshot_id, v.effective_date, v.kind, v.old_value, v.new_value, v.source,
               coalesce(v.actor, $not_recorded) AS actor, v.note, v.synthetic
        FROM event_facts v JOIN (VALUES {kinds}) k(kind, ord) USING (kind)
        WHERE v.eval_id = $id
        ORDER BY v.problem_id, v.snapshot_id, k.ord
    )
    SELECT * FROM final""",
        {"id": checked_id(ev), "not_recorded": NOT_RECORDED},
    )


def deadlines(con: duckdb.DuckDBPyConnection, ev: Evaluation) -> pl.DataFrame:
    """Per problem of one evaluation (detail.evaluation's row): its current and original deadline, pushes back
    and reopenings."""
    return fetch(
        con,
        """
    WITH final AS (
        SELECT p.problem_id, p.due_date, p.original_due,
               coalesce(r.pushes, 0) AS pushes, coalesce(r.deadline_changes, 0) AS deadline_changes,
               coalesce(r.reopens, 0) AS reopens
        FROM problem_facts p LEFT JOIN problem_revisions r USING (problem_id)
        WHERE p.eval_id = $id ORDER BY p.problem_id
    )
    SELECT * FROM final""",
        {"id": checked_id(ev)},
    )


def find_problems(con: duckdb.DuckDBPyConnection, f: Filters, text: str = "", limit: int = 200) -> pl.DataFrame:
    """Problems in view with a follow-up record whose id, evaluation, description or responsible unit contains `text`
    (all when empty): open ones first, by deadline (top `limit`), for the editor's update form."""
    where, params = groups_where(f)
    return fetch(
        con,
        f"""
    WITH x AS (SELECT pid, bid, gid, problem_id, status_code, due_date FROM problem_facts x
               WHERE {where} AND x.status_code IS NOT NULL),
    hit AS (
        SELECT x.*, p.eval_id, p.description, p.responsible_unit, p.status, p.closed_date, p.region, p.eval_year
        FROM x JOIN problems p USING (problem_id)
        WHERE $text = '' OR contains(lower(concat_ws(' ', p.problem_id, p.eval_id, p.description, p.responsible_unit)),
                                     lower($text))
    ),
    final AS (
        SELECT problem_id, eval_id, region, eval_year, description, responsible_unit, status, due_date, closed_date
        FROM hit ORDER BY status_code IN {OPEN_CODES} DESC, due_date NULLS LAST, problem_id LIMIT $limit
    )
    SELECT * FROM final""",
        params | {"text": text.strip(), "limit": limit},
    )


def problem_rows(con: duckdb.DuckDBPyConnection, f: Filters, problem_ids: list[str]) -> pl.DataFrame:
    """The follow-up columns of the given problems (as in the snapshot) that are in view, in id order."""
    where, params = groups_where(f)
    return fetch(
        con,
        f"""
    WITH final AS (
        SELECT p.problem_id, p.eval_id, p.description, p.status, p.due_date, p.closed_date, p.responsible_unit
        FROM problems p JOIN problem_facts x USING (problem_id)
        WHERE {where} AND p.problem_id = ANY($ids) ORDER BY p.problem_id
    )
    SELECT * FROM final""",
        params | {"ids": list(problem_ids)},
    )
