"""The floor of the follow-up figures: one hand-written DuckDB query per figure straight over the Parquet files.

Deadlines (current and original), ageing, revisions and reopenings from problem_events, 屡查屡犯, 本期变化,
结果应用 and the department sheet's lists: what an expert would type, with the filters' own semantics (floor._where
and floor._problems_from), no derived tables.
"""

from __future__ import annotations

import re

import polars as pl

from perfeval_dash.bench import floor_sql
from perfeval_dash.bench.floor_sql import DONE, OPEN, _problems_from, _row, _where
from perfeval_dash.domain.rules import ApplicationRule
from perfeval_dash.domain.vocab import (
    APPLICATIONS,
    BREAKS,
    CH_CLOSED,
    CH_FOUND,
    CH_PULLED,
    CH_PUSHED,
    CH_REMOVED,
    CH_REOPENED,
    CH_UNIT,
    CHANGE_KINDS,
    CUT,
    DEADLINE_CHANGED,
    EVENT_KINDS,
    FOLLOWS,
    FOUND,
    GRADES,
    NO_RULE,
    NOT_RECORDED,
    REMOVED,
    RULE_VERDICTS,
    STATUS_CHANGED,
    UNIT_CHANGED,
    UNVERIFIABLE,
)
from perfeval_dash.queries.filters import BATCH_COLUMNS, Filters

BATCH = "（整批共性问题）"
CONSEQUENCES = (*APPLICATIONS, NOT_RECORDED)
GRADE_ORDER = "(VALUES " + ", ".join(f"('{g}', {i})" for i, g in enumerate(GRADES)) + ") g(grade, ord)"


def _q(con, sql: str, params: dict | None = None) -> pl.DataFrame:
    """floor._q with only the parameters the statement names (DuckDB refuses unused ones)."""
    used = set(re.findall(r"\$(\w+)", sql))
    return floor_sql._q(con, sql, {k: v for k, v in (params or {}).items() if k in used})


def _bucket(days: str) -> str:
    """The age bucket (0 ≤30 days, 1 31–90, 2 91–180, 3 181–365, 4 more; NULL unknown) of a number of days."""
    return (
        f"CASE WHEN {days} IS NULL THEN NULL WHEN {days} <= 30 THEN 0 WHEN {days} <= 90 THEN 1 "
        f"WHEN {days} <= 180 THEN 2 WHEN {days} <= 365 THEN 3 ELSE 4 END"
    )


def _late(due: str) -> str:
    return f"date_diff('day', {due}, $as_of)"


def _revisions(t) -> str:
    return f"""(SELECT problem_id,
               count(*) FILTER (kind = '{DEADLINE_CHANGED}') AS deadline_changes,
               count(*) FILTER (kind = '{DEADLINE_CHANGED}'
                                AND TRY_CAST(new_value AS DATE) > TRY_CAST(old_value AS DATE)) AS pushes,
               count(*) FILTER (kind = '{STATUS_CHANGED}' AND old_value IN {DONE} AND new_value IN {OPEN}) AS reopens
        FROM {t["problem_events"]} GROUP BY problem_id)"""


def _follow_rows(t, f: Filters) -> tuple[str, dict]:
    """SQL of the problems in view with department, original deadline, report age, pushes and reopens."""
    src, p = _problems_from(t, f, need_eval=True)
    return (
        f"""
        SELECT pv.*, coalesce(pv.original_due_date, pv.due_date) AS orig,
               date_diff('day', b.published_date, $as_of) AS age, coalesce(r.pushes, 0) AS pushes,
               coalesce(r.reopens, 0) AS reopens
        FROM (SELECT p.*, e.department AS dept FROM {src}) pv
        LEFT JOIN (SELECT region, eval_year, published_date FROM {t["batches"]}) b USING (region, eval_year)
        LEFT JOIN {_revisions(t)} r USING (problem_id)""",
        p,
    )


def summary(con, t, f: Filters, as_of) -> dict:
    rows, p = _follow_rows(t, f)
    buckets = ", ".join(
        f"count(*) FILTER (status IN {OPEN} AND {_bucket('age')} = {i}) AS open_age_{i}, "
        f"count(*) FILTER (status IN {OPEN} AND due_date < $as_of AND {_bucket(_late('due_date'))} = {i}) "
        f"AS late_cur_{i}, "
        f"count(*) FILTER (status IN {OPEN} AND orig < $as_of AND {_bucket(_late('orig'))} = {i}) AS late_orig_{i}"
        for i in range(5)
    )
    row = _q(
        con,
        f"""
        SELECT count(*) AS problems, count(status) AS tracked, count(*) FILTER (status IN {DONE}) AS done,
               count(*) FILTER (status IN {OPEN}) AS open,
               count(*) FILTER (status IS NOT NULL AND due_date < $as_of) AS due_cur,
               count(*) FILTER (status IN {OPEN} AND due_date < $as_of) AS overdue_cur,
               count(*) FILTER (status IS NOT NULL AND orig < $as_of) AS due_orig,
               count(*) FILTER (status IN {OPEN} AND orig < $as_of) AS overdue_orig,
               count(*) FILTER (pushes > 0) AS revised, coalesce(sum(pushes), 0) AS pushes,
               count(*) FILTER (reopens > 0) AS reopened,
               count(*) FILTER (status IN {OPEN} AND age IS NULL) AS open_age_unknown,
               count(*) FILTER (status IN {OPEN} AND due_date IS NULL) AS open_no_due,
               {buckets}, coalesce(bool_or(synthetic), FALSE) AS any_synthetic
        FROM ({rows})""",
        p | {"as_of": as_of},
    ).row(0, named=True)
    row["open_over_year"] = row["open_age_4"]
    for b in ("cur", "orig"):
        due, late = row[f"due_{b}"], row[f"overdue_{b}"]
        row[f"rate_{b}"] = (due - late) / due if due else None
    return row


def by_department(con, t, f: Filters, as_of) -> tuple[pl.DataFrame, int]:
    rows, p = _follow_rows(t, f)
    sql = f"""
        SELECT region, coalesce(dept, '{BATCH}') AS department, count(*) AS problems,
               count(*) FILTER (status IN {OPEN}) AS open,
               count(*) FILTER (status IN {OPEN} AND due_date < $as_of) AS overdue_cur,
               count(*) FILTER (status IN {OPEN} AND orig < $as_of) AS overdue_orig,
               count(*) FILTER (pushes > 0) AS revised, sum(pushes) AS pushes,
               count(*) FILTER (reopens > 0) AS reopened,
               count(*) FILTER (status IN {OPEN} AND age > 365) AS open_over_year, bool_or(synthetic) AS synthetic
        FROM ({rows}) GROUP BY ALL"""
    p = p | {"as_of": as_of}
    df = _q(
        con,
        sql + " ORDER BY pushes DESC, overdue_orig DESC, problems DESC, region, department LIMIT 1000",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM ({sql})", p)["n"][0])


def revised(con, t, f: Filters, as_of) -> tuple[pl.DataFrame, int]:
    src, p = _problems_from(t, f, need_eval=True)
    hit = f"""
        SELECT x.*, r.pushes, r.deadline_changes, r.reopens
        FROM (SELECT p.*, e.department AS dept FROM {src}) x JOIN {_revisions(t)} r USING (problem_id)
        WHERE r.deadline_changes > 0 OR r.reopens > 0"""
    p = p | {"as_of": as_of}
    df = _q(
        con,
        f"""
        SELECT problem_id, eval_id, region, eval_year, dept AS department, category, description, responsible_unit,
               status, coalesce(original_due_date, due_date) AS original_due, due_date, pushes, deadline_changes,
               reopens,
               CASE WHEN status IN {OPEN} AND coalesce(original_due_date, due_date) < $as_of
                    THEN date_diff('day', coalesce(original_due_date, due_date), $as_of) END AS days_overdue_orig,
               CASE WHEN status IN {OPEN} AND due_date < $as_of THEN date_diff('day', due_date, $as_of) END
                   AS days_overdue,
               eval_id IS NULL AS batch_level, synthetic
        FROM ({hit})
        ORDER BY pushes DESC, deadline_changes DESC, original_due NULLS LAST, problem_id LIMIT 1000""",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM ({hit})", p)["n"][0])


def repeats(con, t, f: Filters) -> pl.DataFrame:
    src, p = _problems_from(t, f, need_eval=True)
    return _q(
        con,
        f"""
        WITH y AS (
            SELECT e.region AS region, e.department AS department, p.category AS category, e.eval_year AS eval_year,
                   count(*) AS n, bool_or(p.synthetic) AS syn
            FROM {src} AND p.eval_id IS NOT NULL GROUP BY ALL)
        SELECT region, department, category, string_agg(eval_year::VARCHAR, '、' ORDER BY eval_year) AS years,
               count(*) AS n_years, min(eval_year) AS first_year, max(eval_year) AS last_year, sum(n) AS problems,
               bool_or(syn) AS synthetic
        FROM y GROUP BY ALL HAVING count(*) >= 2
        ORDER BY n_years DESC, problems DESC, region, department, category""",
        p,
    )


def repeat_problems(con, t, f: Filters) -> tuple[pl.DataFrame, int]:
    src, p = _problems_from(t, f, need_eval=True)
    hit = f"""
        SELECT * FROM (
            SELECT e.region AS region, e.department AS department, p.category AS category, e.eval_year AS eval_year,
                   p.problem_id, p.eval_id, p.status, p.due_date, p.synthetic,
                   count(DISTINCT e.eval_year) OVER (PARTITION BY e.region, e.department, p.category) AS years
            FROM {src} AND p.eval_id IS NOT NULL)
        WHERE years >= 2"""
    df = _q(
        con,
        f"""
        SELECT region, department, category, eval_year, problem_id, eval_id, status, due_date, synthetic
        FROM ({hit}) ORDER BY region, department, category, eval_year, problem_id LIMIT 1000""",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM ({hit})", p)["n"][0])


def open_problems(con, t, f: Filters, as_of) -> tuple[pl.DataFrame, int]:
    src, p = _problems_from(t, f, need_eval=True)
    hit = f"""
        SELECT p.*, e.department AS dept FROM {src} AND p.status IN {OPEN} AND p.due_date IS NOT NULL"""
    p = p | {"as_of": as_of}
    df = _q(
        con,
        f"""
        SELECT h.problem_id, h.eval_id, h.region, h.eval_year, h.dept AS department, h.category, h.description,
               h.responsible_unit, h.status, coalesce(h.original_due_date, h.due_date) AS original_due, h.due_date,
               coalesce(r.pushes, 0) AS pushes,
               CASE WHEN h.due_date < $as_of THEN date_diff('day', h.due_date, $as_of) END AS days_overdue,
               CASE WHEN coalesce(h.original_due_date, h.due_date) < $as_of
                    THEN date_diff('day', coalesce(h.original_due_date, h.due_date), $as_of) END AS days_overdue_orig,
               h.eval_id IS NULL AS batch_level, h.synthetic
        FROM ({hit}) h LEFT JOIN {_revisions(t)} r USING (problem_id)
        ORDER BY h.due_date, h.problem_id LIMIT 1000""",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM ({hit})", p)["n"][0])


# ---- 本期变化 -----------------------------------------------------------------------------------------
def _net(t, f: Filters) -> tuple[str, dict]:
    w, p = _where(f, "v", BATCH_COLUMNS - {"budget_year"})
    ew, ep = _where(f, "e")
    batch_ok = "FALSE" if f.narrows_evaluations else "TRUE"
    by = "b.b_budget_year = ANY($f_budget_years)" if f.budget_years else "TRUE"
    bp = {"f_budget_years": [int(y) for y in f.budget_years]} if f.budget_years else {}
    order = ", ".join(f"('{k}', {i})" for i, k in enumerate(CHANGE_KINDS))
    sql = f"""
        WITH ev AS (
            SELECT v.*, e.department AS dept
            FROM {t["problem_events"]} v
            LEFT JOIN (SELECT eval_id, region, eval_year, budget_year, department, eval_type, grade
                       FROM {t["evaluations"]}) e ON e.eval_id = v.eval_id
            LEFT JOIN (SELECT region, eval_year, budget_year AS b_budget_year FROM {t["batches"]}) b
                ON b.region = v.region AND b.eval_year = v.eval_year
            WHERE v.snapshot_id > $since AND {w}
              AND ((e.eval_id IS NOT NULL AND {ew}) OR (e.eval_id IS NULL AND {batch_ok} AND {by}))
        ),
        per AS (
            SELECT problem_id, min(snapshot_id) AS first_snap, max(snapshot_id) AS last_snap FROM ev GROUP BY 1
        ),
        pres AS (
            SELECT problem_id,
                   NOT bool_or(kind = '{FOUND}' AND snapshot_id = first_snap) AS existed,
                   NOT bool_or(kind = '{REMOVED}' AND snapshot_id = last_snap) AS present,
                   max(new_value) FILTER (kind = '{FOUND}' AND snapshot_id = last_found) AS found_status,
                   max(old_value) FILTER (kind = '{REMOVED}' AND snapshot_id = first_removed) AS removed_status,
                   max(snapshot_id) AS snapshot_id,
                   max(eval_id) FILTER (snapshot_id = last_snap) AS eval_id,
                   max(region) FILTER (snapshot_id = last_snap) AS region,
                   max(eval_year) FILTER (snapshot_id = last_snap) AS eval_year,
                   max(dept) FILTER (snapshot_id = last_snap) AS department,
                   bool_or(synthetic) AS synthetic
            FROM (SELECT ev.*, per.first_snap, per.last_snap,
                         max(snapshot_id) FILTER (kind = '{FOUND}') OVER (PARTITION BY problem_id) AS last_found,
                         min(snapshot_id) FILTER (kind = '{REMOVED}') OVER (PARTITION BY problem_id) AS first_removed
                  FROM ev JOIN per USING (problem_id))
            GROUP BY problem_id
        ),
        firsts AS (
            SELECT problem_id, kind,
                   max(old_value) FILTER (snapshot_id = lo) AS old_value, max(new_value) FILTER (snapshot_id = hi)
                   AS new_value
            FROM (SELECT *, min(snapshot_id) OVER (PARTITION BY problem_id, kind) AS lo,
                            max(snapshot_id) OVER (PARTITION BY problem_id, kind) AS hi
                  FROM ev WHERE kind IN ('{STATUS_CHANGED}', '{DEADLINE_CHANGED}', '{UNIT_CHANGED}'))
            GROUP BY problem_id, kind
        ),
        net AS (
            SELECT problem_id, '{CH_FOUND}' AS change, NULL::VARCHAR AS old_value, found_status AS new_value
            FROM pres WHERE NOT existed AND present
            UNION ALL
            SELECT problem_id, '{CH_REMOVED}', removed_status, NULL FROM pres WHERE existed AND NOT present
            UNION ALL
            SELECT x.problem_id,
                   CASE WHEN kind = '{STATUS_CHANGED}' AND new_value IN {DONE}
                             AND (old_value IS NULL OR old_value IN {OPEN}) THEN '{CH_CLOSED}'
                        WHEN kind = '{STATUS_CHANGED}' AND old_value IN {DONE} AND new_value IN {OPEN}
                            THEN '{CH_REOPENED}'
                        WHEN kind = '{DEADLINE_CHANGED}' AND TRY_CAST(new_value AS DATE) > TRY_CAST(old_value AS DATE)
                            THEN '{CH_PUSHED}'
                        WHEN kind = '{DEADLINE_CHANGED}' AND TRY_CAST(new_value AS DATE) < TRY_CAST(old_value AS DATE)
                            THEN '{CH_PULLED}'
                        WHEN kind = '{UNIT_CHANGED}' AND old_value IS DISTINCT FROM new_value THEN '{CH_UNIT}' END,
                   x.old_value, x.new_value
            FROM firsts x JOIN pres USING (problem_id) WHERE existed AND present
        ),
        rows AS (
            SELECT n.change, n.problem_id, pres.eval_id, pres.region, pres.eval_year, pres.department, n.old_value,
                   n.new_value, pres.snapshot_id, pres.eval_id IS NULL AS batch_level, pres.synthetic, k.ord
            FROM net n JOIN pres USING (problem_id) JOIN (VALUES {order}) k(change, ord) USING (change)
        )"""
    return sql, p | ep | bp


def change_counts(con, t, f: Filters, since: str) -> pl.DataFrame:
    sql, p = _net(t, f)
    order = ", ".join(f"('{k}', {i})" for i, k in enumerate(CHANGE_KINDS))
    return _q(
        con,
        sql
        + f"""
        SELECT k.change, count(r.problem_id) AS problems, coalesce(bool_or(r.synthetic), FALSE) AS synthetic
        FROM (VALUES {order}) k(change, ord) LEFT JOIN rows r USING (change) GROUP BY k.change, k.ord ORDER BY k.ord""",
        p | {"since": since},
    )


def changes(con, t, f: Filters, since: str) -> tuple[pl.DataFrame, int]:
    sql, p = _net(t, f)
    df = _q(con, sql + " SELECT * EXCLUDE (ord) FROM rows ORDER BY ord, problem_id LIMIT 1000", p | {"since": since})
    return df, int(_q(con, sql + " SELECT count(*) AS n FROM rows", p | {"since": since})["n"][0])


# ---- 结果应用 -----------------------------------------------------------------------------------------
def _app(t, f: Filters) -> tuple[str, dict]:
    w, p = _where(f, "e")
    return (
        f"""
        SELECT eval_id, region, eval_year, department, project_name, grade, synthetic, application, application_wan,
               application_year, coalesce(evaluated_wan, budget_wan) AS amount_wan,
               coalesce(application, '{NOT_RECORDED}') AS consequence,
               CASE WHEN coalesce(evaluated_wan, budget_wan) > 0
                    THEN application_wan / coalesce(evaluated_wan, budget_wan) END AS share
        FROM {t["evaluations"]} e WHERE {w}""",
        p,
    )


def app_matrix(con, t, f: Filters) -> pl.DataFrame:
    rows, p = _app(t, f)
    cols = ", ".join(
        f"count(*) FILTER (a.grade IS NOT NULL AND a.consequence = '{k}') AS \"{k}\"" for k in CONSEQUENCES
    )
    return _q(
        con,
        f"""
        SELECT g.grade, {cols}, count(a.grade) AS evaluations
        FROM {GRADE_ORDER} LEFT JOIN ({rows}) a USING (grade) GROUP BY g.grade, g.ord ORDER BY g.ord""",
        p,
    )


def app_money(con, t, f: Filters) -> pl.DataFrame:
    rows, p = _app(t, f)
    order = ", ".join(f"('{k}', {i})" for i, k in enumerate(CONSEQUENCES))
    return _q(
        con,
        f"""
        SELECT k.consequence, count(a.eval_id) AS evaluations, sum(a.amount_wan) AS amount_wan,
               sum(a.application_wan) AS application_wan, count(a.application_wan) AS with_amount,
               coalesce(bool_or(a.synthetic), FALSE) AS synthetic
        FROM (VALUES {order}) k(consequence, ord) LEFT JOIN ({rows}) a USING (consequence)
        GROUP BY k.consequence, k.ord ORDER BY k.ord""",
        p,
    )


def _verdict(rule: tuple[ApplicationRule, ...]) -> tuple[str, dict]:
    """CASE over columns grade, application, share: the rule written out, its values bound."""
    whens, params = [], {}
    for i, r in enumerate(rule):
        params |= {f"rg{i}": r.grade, f"ra{i}": list(r.actions), f"rm{i}": r.min_share}
        share_ok = (
            f"CASE WHEN $rm{i} IS NULL OR application <> '{CUT}' THEN '{FOLLOWS}' WHEN share IS NULL THEN "
            f"'{UNVERIFIABLE}' WHEN share >= $rm{i} - 1e-9 THEN '{FOLLOWS}' ELSE '{BREAKS}' END"
        )
        whens.append(
            f"WHEN grade = $rg{i} THEN CASE WHEN application IS NULL THEN '{NOT_RECORDED}' "
            f"WHEN NOT list_contains($ra{i}, application) THEN '{BREAKS}' ELSE {share_ok} END"
        )
    return f"CASE {' '.join(whens)} ELSE '{NO_RULE}' END", params


def app_compliance(con, t, f: Filters, rule) -> pl.DataFrame:
    rows, p = _app(t, f)
    case, rp = _verdict(rule)
    cols = ", ".join(f"count(*) FILTER (j.verdict = '{v}') AS \"{v}\"" for v in RULE_VERDICTS)
    grades = ", ".join(f"'{r.grade}'" for r in rule) or "NULL"
    return _q(
        con,
        f"""
        SELECT g.grade, {cols}, count(j.grade) AS evaluations
        FROM {GRADE_ORDER} LEFT JOIN (SELECT grade, {case} AS verdict FROM ({rows})) j USING (grade)
        WHERE g.grade IN ({grades}) GROUP BY g.grade, g.ord ORDER BY g.ord""",
        p | rp,
    )


def app_flagged(con, t, f: Filters, rule, verdicts) -> tuple[pl.DataFrame, int]:
    rows, p = _app(t, f)
    case, rp = _verdict(rule)
    hit = f"SELECT *, {case} AS verdict FROM ({rows}) WHERE {case} = ANY($verdicts)"
    p = p | rp | {"verdicts": list(verdicts)}
    df = _q(
        con,
        f"""
        SELECT h.eval_id, h.region, h.eval_year, h.department, h.project_name, h.grade, h.verdict, h.consequence,
               h.application_wan, h.amount_wan, h.share, h.application_year, h.synthetic
        FROM ({hit}) h JOIN {GRADE_ORDER} USING (grade)
        ORDER BY g.ord DESC, h.eval_year DESC, h.eval_id LIMIT 1000""",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM ({hit})", p)["n"][0])


def verdict(con, t, eval_id: str, rule) -> dict | None:
    rows, p = _app(t, Filters())
    case, rp = _verdict(rule)
    return _row(
        _q(
            con,
            f"""
        SELECT consequence, application_wan, application_year, amount_wan, share, grade, {case} AS verdict
        FROM ({rows}) WHERE eval_id = $id""",
            p | rp | {"id": eval_id},
        )
    )


# ---- the department sheet and the detail page ---------------------------------------------------------
def dept_evaluations(con, t, f: Filters) -> tuple[pl.DataFrame, int]:
    w, p = _where(f, "e")
    df = _q(
        con,
        f"""
        SELECT eval_id, region, eval_year, budget_year, department, project_name, eval_type, score, grade,
               coalesce(evaluated_wan, budget_wan) AS amount_wan,
               coalesce(application, '{NOT_RECORDED}') AS consequence,
               application_wan, application_year, synthetic
        FROM {t["evaluations"]} e WHERE {w}
        ORDER BY eval_year DESC, score DESC, eval_id LIMIT 1000""",
        p,
    )
    return df, int(_q(con, f"SELECT count(*) AS n FROM {t['evaluations']} e WHERE {w}", p)["n"][0])


def timeline(con, t, eval_id: str) -> pl.DataFrame:
    order = ", ".join(f"('{k}', {i})" for i, k in enumerate(EVENT_KINDS))
    return _q(
        con,
        f"""
        SELECT problem_id, snapshot_id, effective_date, kind, old_value, new_value, source,
               coalesce(actor, '{NOT_RECORDED}') AS actor, note, synthetic
        FROM {t["problem_events"]} JOIN (VALUES {order}) k(kind, ord) USING (kind)
        WHERE eval_id = $id ORDER BY problem_id, snapshot_id, ord""",
        {"id": eval_id},
    )


def deadlines(con, t, eval_id: str) -> pl.DataFrame:
    return _q(
        con,
        f"""
        SELECT problem_id, due_date, coalesce(original_due_date, due_date) AS original_due,
               coalesce(r.pushes, 0) AS pushes, coalesce(r.deadline_changes, 0) AS deadline_changes,
               coalesce(r.reopens, 0) AS reopens
        FROM {t["problems"]} LEFT JOIN {_revisions(t)} r USING (problem_id)
        WHERE eval_id = $id ORDER BY problem_id""",
        {"id": eval_id},
    )
