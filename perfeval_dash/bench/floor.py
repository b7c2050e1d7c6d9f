"""The floor: every page figure as one hand-written DuckDB query straight over the snapshot's Parquet files.

No views, no shared staging CTEs, no helpers beyond a WHERE builder: what an expert would type for each figure.
The evaluation join is made only where a figure needs a column of the evaluation (department, type, grade).
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.bench import floor_followup as fu
from perfeval_dash.bench.figures import FLAG_VERDICTS, Timed
from perfeval_dash.bench.floor_sql import DONE, OPEN, _problems_from, _q, _row, _where, tables  # noqa: F401
from perfeval_dash.bench.states import State
from perfeval_dash.domain.rules import application_rule, grade_sql, grade_values_sql, near_edge_sql
from perfeval_dash.domain.vocab import (
    BELOW,
    GRADES,
    MET,
    NO_FOLLOW_UP,
    UNKNOWN,
    WHOLE_DEPARTMENT,
)
from perfeval_dash.queries.filters import BATCH_COLUMNS, BUDGET_COLUMNS, Filters


def frame(con, t: dict, s: State) -> dict:
    regions = _q(
        con,
        f"""
        SELECT region FROM (SELECT region, bool_or(synthetic) AS s FROM {t["evaluations"]} GROUP BY region
                            UNION ALL SELECT region, bool_or(synthetic) FROM {t["batches"]} GROUP BY region)
        GROUP BY region ORDER BY min(s), region""",
    )["region"].to_list()
    years = _q(
        con,
        f"""
        SELECT DISTINCT eval_year AS y FROM {t["evaluations"]} ORDER BY y DESC""",
    )["y"].to_list()
    budget_years = _q(
        con,
        f"""
        SELECT y FROM (SELECT budget_year AS y FROM {t["evaluations"]} WHERE budget_year IS NOT NULL
                       UNION SELECT budget_year FROM {t["dept_budgets"]}) ORDER BY y DESC""",
    )["y"].to_list()
    depts = f"""SELECT DISTINCT department FROM (SELECT region, department FROM {t["evaluations"]}
                UNION SELECT region, department FROM {t["dept_budgets"]}) {{w}} ORDER BY department"""
    all_depts = _q(con, depts.format(w=""))["department"].to_list()
    in_regions = (
        _q(con, depts.format(w="WHERE region = ANY($r)"), {"r": list(s.filters.regions)})["department"].to_list()
        if s.filters.regions
        else all_depts
    )
    return {
        "regions": regions,
        "years": [int(y) for y in years],
        "budget_years": [int(y) for y in budget_years],
        "departments": all_depts,
        "departments_in_regions": in_regions,
    }


def headline(con, t, f: Filters) -> dict:
    w, p = _where(f, "e")
    row = _q(
        con,
        f"""
        SELECT count(*) AS evaluations, sum(coalesce(evaluated_wan, budget_wan)) AS amount_wan,
               count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NOT NULL) AS amount_from_budget,
               count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NULL) AS amount_missing,
               count(score) AS scored, avg(score) AS avg_score, count(DISTINCT department) AS departments,
               coalesce(bool_or(synthetic), FALSE) AS any_synthetic,
               coalesce(bool_or(NOT synthetic), FALSE) AS any_real
        FROM {t["evaluations"]} e WHERE {w}""",
        p,
    ).row(0, named=True)
    counts = dict(_q(con, f"SELECT grade, count(*) AS n FROM {t['evaluations']} e WHERE {w} GROUP BY grade", p).rows())
    return row | {"grades": {g: counts.get(g, 0) for g in GRADES}}


def coverage_sql(t, f: Filters) -> tuple[str, dict]:
    w, p = _where(f, "e")
    bw, bp = _where(f, "b", BUDGET_COLUMNS)
    if f.years and not f.budget_years:  # the budget years the chosen evaluation years cover
        bw += f" AND b.budget_year IN (SELECT budget_year FROM {t['evaluations']} e WHERE {w})"
    join = "LEFT" if (f.types or f.grades) else "FULL"
    sql = f"""
        SELECT coalesce(e.region, b.region) AS region, coalesce(e.budget_year, b.budget_year) AS budget_year,
               coalesce(e.department, b.department) AS department, coalesce(e.n, 0) AS evaluations,
               coalesce(e.amt, 0) AS evaluated_wan, coalesce(e.fb, 0) AS from_budget,
               coalesce(e.nm, 0) AS amount_missing,
               coalesce(e.whole, FALSE) AS whole_department, b.project_budget_wan,
               coalesce(e.syn, b.synthetic) AS synthetic,
               CASE WHEN e.whole THEN 1.0 WHEN b.project_budget_wan > 0 THEN coalesce(e.amt, 0) / b.project_budget_wan
                    END AS ratio,
               CASE WHEN e.whole THEN '{MET}'
                    WHEN b.project_budget_wan IS NULL OR b.project_budget_wan <= 0 THEN '{UNKNOWN}'
                    WHEN coalesce(e.amt, 0) / b.project_budget_wan >= $thr THEN '{MET}'
                    WHEN coalesce(e.nm, 0) > 0 THEN '{UNKNOWN}' ELSE '{BELOW}' END AS status,
               CASE WHEN e.whole THEN 0.0
                    WHEN b.project_budget_wan > 0 AND coalesce(e.amt, 0) / b.project_budget_wan >= $thr THEN 0.0
                    WHEN b.project_budget_wan > 0 AND coalesce(e.nm, 0) = 0
                    THEN greatest(0, $thr * b.project_budget_wan - coalesce(e.amt, 0)) END AS gap_wan
        FROM (SELECT region, budget_year, department, count(*) AS n,
                     coalesce(sum(coalesce(evaluated_wan, budget_wan)), 0) AS amt,
                     count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NOT NULL) AS fb,
                     count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NULL) AS nm,
                     bool_or(eval_type = '{WHOLE_DEPARTMENT}') AS whole, bool_or(synthetic) AS syn
              FROM {t["evaluations"]} e WHERE {w} AND budget_year IS NOT NULL GROUP BY ALL) e
        {join} JOIN (SELECT * FROM {t["dept_budgets"]} b WHERE {bw}) b
          ON e.region = b.region AND e.budget_year = b.budget_year AND e.department = b.department"""
    return sql, p | bp | {"thr": settings.COVERAGE_THRESHOLD.value}


def coverage_unbudgeted(con, t, f: Filters) -> dict:
    w, p = _where(replace(f, budget_years=()), "e")
    return _q(
        con,
        f"""
        SELECT count(*) AS evaluations, sum(coalesce(evaluated_wan, budget_wan)) AS amount_wan,
               count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NOT NULL) AS from_budget
        FROM {t["evaluations"]} e WHERE {w} AND budget_year IS NULL""",
        p,
    ).row(0, named=True)


def coverage(con, t, f: Filters) -> pl.DataFrame:
    sql, p = coverage_sql(t, f)
    return _q(
        con,
        sql
        + f"""
        ORDER BY status = '{BELOW}' DESC, status = '{UNKNOWN}' DESC, ratio NULLS FIRST, region,
                 budget_year DESC, department""",
        p,
    )


def coverage_regions(con, t, f: Filters) -> pl.DataFrame:
    sql, p = coverage_sql(t, f)
    return _q(
        con,
        f"""
        WITH c AS ({sql}), k AS (SELECT *, ratio IS NOT NULL AND NOT whole_department AS known FROM c)
        SELECT region, budget_year, count(*) AS departments, count(*) FILTER (status = '{MET}') AS passed,
               count(*) FILTER (status = '{BELOW}') AS failed, count(*) FILTER (status = '{UNKNOWN}') AS unknown,
               sum(evaluated_wan) AS evaluated_wan, sum(project_budget_wan) FILTER (known) AS budget_wan,
               sum(evaluated_wan) FILTER (known) AS evaluated_known_wan, sum(gap_wan) AS gap_wan,
               CASE WHEN sum(project_budget_wan) FILTER (known) > 0
                    THEN sum(evaluated_wan) FILTER (known) / sum(project_budget_wan) FILTER (known) END AS ratio
        FROM k GROUP BY ALL ORDER BY region, budget_year DESC""",
        p,
    )


def problem_totals(con, t, f: Filters, as_of) -> dict:
    src, p = _problems_from(t, f)
    row = _q(
        con,
        f"""
        SELECT count(*) AS problems, count(status) AS tracked, count(*) FILTER (status IN {DONE}) AS done,
               count(*) FILTER (status IN {OPEN}) AS open,
               count(*) FILTER (status IN {OPEN} AND due_date < $as_of) AS overdue,
               count(*) FILTER (p.eval_id IS NULL) AS batch_level,
               coalesce(bool_or(p.synthetic), FALSE) AS any_synthetic
        FROM {src}""",
        p | {"as_of": as_of},
    ).row(0, named=True)
    row["rate"] = row["done"] / row["tracked"] if row["tracked"] else None
    return row


def grade_distribution(con, t, f: Filters) -> pl.DataFrame:
    w, p = _where(f, "e")
    return _q(
        con,
        f"""
        SELECT g.grade, count(e.grade) AS evaluations, coalesce(sum(coalesce(e.evaluated_wan, e.budget_wan)), 0)
               AS amount_wan
        FROM {grade_values_sql("g")}
        LEFT JOIN (SELECT grade, evaluated_wan, budget_wan FROM {t["evaluations"]} e WHERE {w}) e USING (grade)
        GROUP BY g.grade, g.ord ORDER BY g.ord""",
        p,
    )


def trend(con, t, f: Filters) -> pl.DataFrame:
    w, p = _where(f, "e")
    return _q(
        con,
        f"""
        SELECT eval_year, count(*) AS evaluations, sum(coalesce(evaluated_wan, budget_wan)) AS amount_wan,
               avg(score) AS avg_score, avg(CASE WHEN grade = '{GRADES[0]}' THEN 1.0 ELSE 0.0 END) AS share_excellent
        FROM {t["evaluations"]} e WHERE {w} GROUP BY eval_year ORDER BY eval_year""",
        p,
    )


def batches(con, t, f: Filters) -> pl.DataFrame:
    w, p = _where(f, "b", BATCH_COLUMNS)
    return _q(
        con,
        f"""
        SELECT b.region, b.eval_year, b.budget_year, b.title, b.evaluated_total_wan, e.evaluations, e.sum_amount_wan,
               b.source, b.synthetic
        FROM {t["batches"]} b LEFT JOIN (
            SELECT region, eval_year, count(*) AS evaluations,
                   sum(coalesce(evaluated_wan, budget_wan)) AS sum_amount_wan
            FROM {t["evaluations"]} GROUP BY ALL) e USING (region, eval_year)
        WHERE {w} ORDER BY b.synthetic, b.region, b.eval_year DESC""",
        p,
    )


def published_amount(con, t, f: Filters) -> dict:
    w, p = _where(f, "e")
    row = _q(
        con,
        f"""
        SELECT count(*) AS batches, count(b.evaluated_total_wan) AS published_batches,
               sum(b.evaluated_total_wan) AS published_wan,
               sum(e.items_wan) FILTER (b.evaluated_total_wan IS NULL) AS other_items_wan,
               sum(e.items_wan) AS items_wan, coalesce(sum(e.missing), 0) AS amount_missing,
               count(b.evaluated_total_wan) FILTER (e.n < a.n) AS partial_batches
        FROM (SELECT region, eval_year, count(*) AS n, sum(coalesce(evaluated_wan, budget_wan)) AS items_wan,
                     count(*) FILTER (evaluated_wan IS NULL AND budget_wan IS NULL) AS missing
              FROM {t["evaluations"]} e WHERE {w} GROUP BY ALL) e
        LEFT JOIN (SELECT region, eval_year, evaluated_total_wan FROM {t["batches"]}) b USING (region, eval_year)
        JOIN (SELECT region, eval_year, count(*) AS n FROM {t["evaluations"]} GROUP BY ALL) a
          USING (region, eval_year)""",
        p,
    ).row(0, named=True)
    # a batch's published total is the whole batch's: not for a department, type or grade, nor a department scope,
    # nor when a 预算年度 filter takes only some of a published batch's evaluations
    whole = not (f.depts or f.types or f.grades) and f.scope.departments is None and not row["partial_batches"]
    row["batch_totals_apply"] = whole and row["published_batches"] > 0
    other = row["other_items_wan"] or 0
    row["headline_wan"] = (row["published_wan"] or 0) + other if row["batch_totals_apply"] else row["items_wan"]
    return row


def department_ranking(con, t, f: Filters, as_of) -> pl.DataFrame:
    w, p = _where(f, "e")
    cov, cp = coverage_sql(t, f)
    prob, pp = by_department_sql(t, f)
    return _q(
        con,
        f"""
        WITH s AS (
            SELECT region, department, count(*) AS evaluations, count(score) AS scored, avg(score) AS avg_score,
                   sum(round(score * 100)) / count(score) AS score_key,
                   count(*) FILTER (grade <> '{GRADES[0]}') / count(*) AS share_lower, bool_or(synthetic) AS synthetic
            FROM {t["evaluations"]} e WHERE {w} GROUP BY ALL),
        c AS ({cov}), k AS (SELECT *, ratio IS NOT NULL AND NOT whole_department AS known FROM c),
        d AS (
            SELECT region, department, count(*) FILTER (status = '{BELOW}') AS below_years,
                   CASE WHEN count(*) FILTER (status = '{BELOW}') > 0 THEN '{BELOW}'
                        WHEN count(*) FILTER (status = '{UNKNOWN}') > 0 THEN '{UNKNOWN}' ELSE '{MET}' END
                   AS coverage_status,
                   CASE WHEN sum(project_budget_wan) FILTER (known) > 0
                        THEN sum(evaluated_wan) FILTER (known) / sum(project_budget_wan) FILTER (known) END AS ratio
            FROM k GROUP BY ALL),
        p AS ({prob})
        SELECT s.* EXCLUDE (score_key), d.coverage_status, d.ratio, d.below_years, p.problems, p.open, p.overdue,
               p.rate
        FROM s LEFT JOIN d USING (region, department) LEFT JOIN p USING (region, department)
        ORDER BY p.overdue DESC NULLS LAST, d.below_years DESC NULLS LAST, s.score_key NULLS LAST,
                 region, department""",
        p | cp | pp | {"as_of": as_of},
    )


def histogram(con, t, f: Filters) -> pl.DataFrame:
    w, p = _where(f, "e")
    return _q(
        con,
        f"""
        SELECT least(floor(score), 99.0) AS bin_start, grade, count(*) AS evaluations
        FROM {t["evaluations"]} e WHERE {w} AND score IS NOT NULL GROUP BY ALL ORDER BY bin_start, grade""",
        p,
    )


def spread(con, t, f: Filters, col: str) -> pl.DataFrame:
    w, p = _where(f, "e")
    return _q(
        con,
        f"""
        SELECT {"region, " if col == "department" else ""}{col} AS grp, count(*) AS evaluations, min(score) AS min,
               quantile_cont(score, 0.25) AS q1, median(score) AS median, quantile_cont(score, 0.75) AS q3,
               max(score) AS max, avg(score) AS mean
        FROM {t["evaluations"]} e WHERE {w} AND score IS NOT NULL GROUP BY ALL
        ORDER BY evaluations DESC, grp{", region" if col == "department" else ""}""",
        p,
    )


def dimension_rates(con, t, f: Filters) -> pl.DataFrame:
    w, p = _where(f, "e")
    join = "" if w == "TRUE" else f"SEMI JOIN (SELECT eval_id FROM {t['evaluations']} e WHERE {w}) e USING (eval_id)"
    return _q(
        con,
        f"""
        SELECT dimension, count(*) AS evaluations, avg(weight) AS avg_weight, avg(score / weight) AS rate
        FROM {t["dimension_scores"]} d {join} WHERE d.weight > 0
        GROUP BY dimension ORDER BY evaluations DESC, dimension""",
        p,
    )


def ranked(con, t, f: Filters) -> tuple[pl.DataFrame, int]:
    w, p = _where(f, "e")
    n = settings.RANKED_ROWS.value
    df = _q(
        con,
        f"""
        WITH top AS (SELECT * FROM {t["evaluations"]} e WHERE {w} AND score IS NOT NULL
                     ORDER BY score DESC, eval_id LIMIT {n}),
        rest AS (SELECT e.* FROM {t["evaluations"]} e JOIN {grade_values_sql("g")} USING (grade)
                 WHERE {w} AND score IS NULL ORDER BY g.ord, eval_id LIMIT {n}),
        both_parts AS (SELECT rank() OVER (ORDER BY score DESC) AS rank, 0 AS part, * FROM top
                       UNION ALL BY NAME SELECT NULL AS rank, 1 AS part, * FROM rest)
        SELECT rank, eval_id, region, eval_year, department, project_name, eval_type, score, grade,
               {grade_sql("score")}
                   AS computed_grade,
               {near_edge_sql("score")} AS near_edge,
               coalesce(evaluated_wan, budget_wan) AS amount_wan,
               evaluated_wan IS NULL AND budget_wan IS NOT NULL AS amount_from_budget, synthetic
        FROM both_parts
        ORDER BY part, score DESC,
                 CASE WHEN part = 1 THEN CASE grade {" ".join(f"WHEN '{g}' THEN {i}" for i, g in enumerate(GRADES))}
                      END END,
                 eval_id
        LIMIT {n}""",
        p,
    )
    total = _q(con, f"SELECT count(*) AS n FROM {t['evaluations']} e WHERE {w}", p)["n"][0]
    return df, int(total)


def by_category(con, t, f: Filters, as_of) -> pl.DataFrame:
    src, p = _problems_from(t, f)
    return _q(
        con,
        f"""
        SELECT category, status, problems FROM (
            SELECT category, coalesce(status, '{NO_FOLLOW_UP}') AS status, count(*) AS problems FROM {src}
            GROUP BY category, coalesce(status, '{NO_FOLLOW_UP}'))
        ORDER BY sum(problems) OVER (PARTITION BY category) DESC, category, status""",
        p,
    )


def by_department_sql(t, f: Filters) -> tuple[str, dict]:
    src, p = _problems_from(t, f, need_eval=True)
    return (
        f"""
        SELECT p.region, coalesce(e.department, '（整批共性问题）') AS department, count(*) AS problems,
               count(status) AS tracked,
               CASE WHEN count(status) > 0 THEN count(*) FILTER (status IN {DONE}) END AS done,
               CASE WHEN count(status) > 0 THEN count(*) FILTER (status IN {OPEN}) END AS open,
               CASE WHEN count(status) > 0 THEN count(*) FILTER (status IN {OPEN} AND due_date < $as_of) END
               AS overdue,
               CASE WHEN count(status) > 0 THEN count(*) FILTER (status IN {DONE}) / count(status) END AS rate,
               bool_or(p.synthetic) AS synthetic
        FROM {src} GROUP BY ALL""",
        p,
    )


def by_department(con, t, f: Filters, as_of) -> pl.DataFrame:
    sql, p = by_department_sql(t, f)
    return _q(
        con,
        sql
        + """
        ORDER BY overdue DESC NULLS LAST, rate NULLS LAST, problems DESC, region, department""",
        p | {"as_of": as_of},
    )


def overdue(con, t, f: Filters, as_of) -> tuple[pl.DataFrame, int]:
    src, p = _problems_from(t, f)
    p = p | {"as_of": as_of}
    df = _q(
        con,
        f"""
        WITH top AS (SELECT p.problem_id, p.eval_id, p.region, p.eval_year, p.category, p.description,
                            p.responsible_unit, p.due_date, p.status,
                            date_diff('day', p.due_date, $as_of) AS days_overdue,
                            p.eval_id IS NULL AS batch_level, p.synthetic
                     FROM {src} AND p.status IN {OPEN} AND p.due_date < $as_of
                     ORDER BY days_overdue DESC, p.problem_id LIMIT 1000)
        SELECT problem_id, eval_id, region, eval_year, e.department, e.project_name, category, description,
               responsible_unit, due_date, status, days_overdue, batch_level, synthetic
        FROM top LEFT JOIN (SELECT eval_id, department, project_name FROM {t["evaluations"]}) e USING (eval_id)
        ORDER BY days_overdue DESC, problem_id""",
        p,
    )
    total = _q(con, f"SELECT count(*) AS n FROM {src} AND p.status IN {OPEN} AND p.due_date < $as_of", p)["n"][0]
    return df, int(total)


def batch_level(con, t, f: Filters, as_of) -> pl.DataFrame:
    w, p = _where(f, "p", BATCH_COLUMNS - {"budget_year"})
    bw, bp = _where(f, "bt", frozenset({"budget_year"}))
    if f.narrows_evaluations:
        w, p, bw, bp = "FALSE", {}, "TRUE", {}
    return _q(
        con,
        f"""
        SELECT problem_id, region, eval_year, category, description, recommendation, status, due_date, source, synthetic
        FROM {t["problems"]} p
        LEFT JOIN (SELECT region, eval_year, budget_year FROM {t["batches"]}) bt USING (region, eval_year)
        WHERE p.eval_id IS NULL AND {w} AND {bw}
        ORDER BY p.synthetic, p.region, p.eval_year DESC, p.problem_id LIMIT 1000""",
        p | bp,
    )


def detail(con, t, s: State, as_of) -> dict:
    ev = _row(
        _q(
            con,
            f"""
        SELECT *, coalesce(evaluated_wan, budget_wan) AS amount_wan,
               (evaluated_wan IS NULL AND budget_wan IS NOT NULL) AS amount_from_budget,
               CASE WHEN budget_wan > 0 THEN executed_wan / budget_wan END AS execution_rate,
               {grade_sql("score")} AS computed_grade
        FROM {t["evaluations"]} WHERE eval_id = $id""",
            {"id": s.eval_id},
        )
    )
    out = {"evaluation": ev}
    if ev is None:
        return out
    out["dimensions"] = _q(
        con,
        f"""
        SELECT dimension, weight, score, CASE WHEN weight > 0 THEN score / weight END AS rate
        FROM {t["dimension_scores"]} WHERE eval_id = $id ORDER BY weight DESC, dimension""",
        {"id": s.eval_id},
    )
    out["problems"] = _q(
        con,
        f"""
        SELECT problem_id, category, description, recommendation, responsible_unit, due_date, status, closed_date,
               coalesce(status IN {OPEN} AND due_date < $as_of, FALSE) AS overdue,
               CASE WHEN due_date < $as_of THEN date_diff('day', due_date, $as_of) END AS days_past_due
        FROM {t["problems"]} WHERE eval_id = $id ORDER BY problem_id""",
        {"id": s.eval_id, "as_of": as_of},
    )
    out["batch"] = _row(
        _q(
            con,
            f"""
        SELECT b.*, (SELECT count(*) FROM {t["problems"]} p WHERE p.eval_id IS NULL AND p.region = b.region
                     AND p.eval_year = b.eval_year) AS batch_problems
        FROM {t["batches"]} b WHERE b.region = $r AND b.eval_year = $y""",
            {"r": ev["region"], "y": ev["eval_year"]},
        )
    )
    return out


def page(
    con: duckdb.DuckDBPyConnection, t: dict, name: str, s: State, as_of: dt.date, since: str | None = None
) -> Timed:
    """The floor's figures for one page run, keyed like figures.page (with times per figure)."""
    rule = application_rule()
    f, out = s.filters, Timed()
    t0 = time.perf_counter()
    out.update(frame(con, t, s))
    out.times["frame"] = time.perf_counter() - t0
    if name == "overview":
        head = out.add("headline", headline, con, t, f)
        out.add("published_amount", published_amount, con, t, f)
        out.add("coverage", coverage, con, t, f)
        out.add("coverage_unbudgeted", coverage_unbudgeted, con, t, f)
        out.add("problem_totals", problem_totals, con, t, f, as_of)
        if len(f.years) == 1:  # 同比: the same view one evaluation year earlier
            before = replace(f, years=(f.years[0] - 1,))
            if out.add("headline_prev", headline, con, t, before)["evaluations"]:
                out.add("published_amount_prev", published_amount, con, t, before)
        if head["evaluations"]:
            out.add("grade_distribution", grade_distribution, con, t, f)
            out.add("trend", trend, con, t, f)
        out.add("department_ranking", department_ranking, con, t, f, as_of)
        if f.scope.departments is None:  # a batch's published total carries every department's figures
            out.add("batches", batches, con, t, f)
    elif name == "scores":
        head = out.add("headline", headline, con, t, f)
        if head["evaluations"]:
            if head["scored"]:
                out.add("histogram", histogram, con, t, f)
                out.add("spread_department", spread, con, t, f, "department")
                out.add("spread_type", spread, con, t, f, "eval_type")
            out.add("dimension_rates", dimension_rates, con, t, f)
            out.add("ranked", ranked, con, t, f)
    elif name == "coverage":
        out.add("coverage", coverage, con, t, f)
        out.add("coverage_unbudgeted", coverage_unbudgeted, con, t, f)
        out.add("coverage_regions", coverage_regions, con, t, f)
    elif name.startswith("problems"):  # one tab each (figures.PAGES)
        if out.add("problem_totals", problem_totals, con, t, f, as_of)["problems"]:
            if name == "problems":
                out.add("by_category", by_category, con, t, f, as_of)
                out.add("by_department", by_department, con, t, f, as_of)
                out.add("overdue", overdue, con, t, f, as_of)
                out.add("batch_level", batch_level, con, t, f, as_of)
            elif name == "problems_tracking":
                if out.add("fu_summary", fu.summary, con, t, f, as_of)["tracked"]:
                    out.add("fu_by_department", fu.by_department, con, t, f, as_of)
                    out.add("fu_revised", fu.revised, con, t, f, as_of)
            else:
                out.add("fu_repeats", fu.repeats, con, t, f)
    elif name == "detail":
        t0 = time.perf_counter()
        out.update(detail(con, t, s, as_of))
        if out["evaluation"] is not None:
            out["verdict"] = fu.verdict(con, t, s.eval_id, rule)
            out["timeline"] = fu.timeline(con, t, s.eval_id)
            out["deadlines"] = fu.deadlines(con, t, s.eval_id)
        out.times["detail"] = time.perf_counter() - t0
    elif name == "changes":
        if since is not None and out.add("change_counts", fu.change_counts, con, t, f, since)["problems"].sum():
            out.add("changes", fu.changes, con, t, f, since)
    elif name == "application":
        out.add("app_matrix", fu.app_matrix, con, t, f)
        out.add("app_money", fu.app_money, con, t, f)
        evaluations = out["app_matrix"]["evaluations"].sum()
        if evaluations and out.add("app_compliance", fu.app_compliance, con, t, f, rule).height:
            out.add("app_flagged", fu.app_flagged, con, t, f, rule, FLAG_VERDICTS)
    elif name == "department":
        if not f.depts:
            out["department_index"] = out["departments_in_regions"]
            return out
        head = out.add("headline", headline, con, t, f)
        out.add("problem_totals", problem_totals, con, t, f, as_of)
        out.add("fu_summary", fu.summary, con, t, f, as_of)
        if head["evaluations"]:
            out.add("trend", trend, con, t, f)
        out.add("dept_evaluations", fu.dept_evaluations, con, t, f)
        out.add("coverage", coverage, con, t, f)
        out.add("open_problems", fu.open_problems, con, t, f, as_of)
        if out.add("fu_repeats", fu.repeats, con, t, f).height:
            out.add("repeat_problems", fu.repeat_problems, con, t, f)
        out.add("app_matrix", fu.app_matrix, con, t, f)
        out.add("app_flagged", fu.app_flagged, con, t, f, rule, FLAG_VERDICTS)
    return out
