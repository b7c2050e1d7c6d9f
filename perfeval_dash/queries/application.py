"""Queries behind 结果应用: what the next budget did with each result, against the grade and the bureau's rule.

An evaluation with no consequence on file is 未记录: shown as such, never counted as applied or as following
the rule. The rule (settings.APPLICATION_RULE, parsed by rules.application_rule) reaches SQL as bound
parameters. Reads the derived table application_facts (one narrow row per evaluation).
"""

from __future__ import annotations

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.domain.rules import (
    ApplicationRule,
    grade_values_sql,
    rule_params,
    rule_table_sql,
    rule_verdict_sql,
)
from perfeval_dash.domain.vocab import APPLICATIONS, CANCEL, CUT, NO_RULE, NOT_RECORDED, RULE_VERDICTS, SUSPEND
from perfeval_dash.queries import fetch
from perfeval_dash.queries.detail import Evaluation, checked_id
from perfeval_dash.queries.filters import Filters

CONSEQUENCES = (*APPLICATIONS, NOT_RECORDED)  # the columns of the grade × consequence table
MOVES_MONEY = (CUT, SUSPEND, CANCEL)  # consequences whose amount is money taken from the next budget


def _cube_cte(f: Filters) -> tuple[str, dict]:
    """`ac`: application_cube rows (counts and sums per group and consequence) of the evaluations in view."""
    where, params = f.where("e")
    sql = f"""
    c AS (SELECT gid, grade, synthetic FROM eval_cube e WHERE {where}),
    ac AS (
        SELECT x.*, c.grade, c.synthetic, coalesce(x.application, $not_recorded) AS consequence
        FROM application_cube x JOIN c USING (gid)
    )"""
    return sql, params | {"not_recorded": NOT_RECORDED}


def _facts_cte(f: Filters, rule_grades_only: bool = False) -> tuple[str, dict]:
    """`a`: application_facts of the evaluations in view, with grade, department and the share of amount cut
    (only those of the grades the rule speaks of when `rule_grades_only`; $rule_grade must then be bound)."""
    where, params = f.where("e")
    graded = "AND e.grade IN (SELECT unnest($rule_grade))" if rule_grades_only else ""
    sql = f"""
    c AS (SELECT gid, region, eval_year, department, grade, synthetic FROM eval_cube e WHERE {where} {graded}),
    a AS (
        SELECT x.*, c.region, c.eval_year, c.department, c.grade, c.synthetic,
               coalesce(x.application, $not_recorded) AS consequence,
               CASE WHEN x.amount_wan > 0 THEN x.application_wan / x.amount_wan END AS share
        FROM application_facts x JOIN c USING (gid)
    )"""
    return sql, params | {"not_recorded": NOT_RECORDED}


def matrix(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Grade × consequence: per grade (best first) the evaluations of each consequence (未记录 last) and all."""
    cube, params = _cube_cte(f)
    cols = ", ".join(
        f"coalesce(sum(ac.evaluations) FILTER (WHERE ac.consequence = $k{i}), 0)::BIGINT AS c{i}"
        for i in range(len(CONSEQUENCES))
    )
    df = fetch(
        con,
        f"""
    WITH {cube},
    final AS (
        SELECT g.grade, {cols}, coalesce(sum(ac.evaluations), 0)::BIGINT AS evaluations
        FROM {grade_values_sql("g")} LEFT JOIN ac USING (grade)
        GROUP BY g.grade, g.ord ORDER BY g.ord
    )
    SELECT * FROM final""",
        params | {f"k{i}": k for i, k in enumerate(CONSEQUENCES)},
    )
    return df.rename({f"c{i}": k for i, k in enumerate(CONSEQUENCES)})


def money(con: duckdb.DuckDBPyConnection, f: Filters) -> pl.DataFrame:
    """Per consequence: evaluations, their evaluated amount, and the amount the consequence moved (万元; NULL where
    no amount is recorded), and how many of them record one."""
    cube, params = _cube_cte(f)
    order = "(VALUES " + ", ".join(f"($k{i}, {i})" for i in range(len(CONSEQUENCES))) + ") k(consequence, ord)"
    return fetch(
        con,
        f"""
    WITH {cube},
    final AS (
        SELECT k.consequence, coalesce(sum(ac.evaluations), 0)::BIGINT AS evaluations, sum(ac.amount_wan) AS amount_wan,
               sum(ac.application_wan) AS application_wan, coalesce(sum(ac.with_amount), 0)::BIGINT AS with_amount,
               coalesce(bool_or(ac.synthetic), FALSE) AS synthetic
        FROM {order} LEFT JOIN ac USING (consequence)
        GROUP BY k.consequence, k.ord ORDER BY k.ord
    )
    SELECT * FROM final""",
        params | {f"k{i}": k for i, k in enumerate(CONSEQUENCES)},
    )


def compliance(con: duckdb.DuckDBPyConnection, f: Filters, rule: tuple[ApplicationRule, ...]) -> pl.DataFrame:
    """Per grade with a rule: evaluations by verdict (vocab.RULE_VERDICTS) under the bureau's rule."""
    facts, params = _facts_cte(f, rule_grades_only=True)
    cols = ", ".join(f"count(*) FILTER (WHERE verdict = $v{i})::BIGINT AS v{i}" for i in range(len(RULE_VERDICTS)))
    df = fetch(
        con,
        f"""
    WITH {facts},
    judged AS (
        SELECT a.grade, {rule_verdict_sql("a.application", "a.share")} AS verdict
        FROM a LEFT JOIN {rule_table_sql("r")} ON r.grade = a.grade
    ),
    final AS (
        SELECT g.grade, {cols}, count(j.grade)::BIGINT AS evaluations
        FROM {grade_values_sql("g")} LEFT JOIN judged j USING (grade)
        WHERE g.grade IN (SELECT unnest($rule_grade))
        GROUP BY g.grade, g.ord ORDER BY g.ord
    )
    SELECT * FROM final""",
        params | rule_params(rule) | {f"v{i}": v for i, v in enumerate(RULE_VERDICTS)},
    )
    return df.rename({f"v{i}": v for i, v in enumerate(RULE_VERDICTS)})


def flagged(
    con: duckdb.DuckDBPyConnection,
    f: Filters,
    rule: tuple[ApplicationRule, ...],
    verdicts: tuple[str, ...],
    limit: int = settings.LIST_ROWS.value,
) -> tuple[pl.DataFrame, int]:
    """Evaluations whose verdict under the rule is one of `verdicts` (top `limit`, worst grade first), and how many."""
    facts, params = _facts_cte(f, rule_grades_only=NO_RULE not in verdicts)  # other grades are all 规则未涉及
    df = fetch(
        con,
        f"""
    WITH {facts},
    judged AS (
        SELECT a.*, {rule_verdict_sql("a.application", "a.share")} AS verdict
        FROM a LEFT JOIN {rule_table_sql("r")} ON r.grade = a.grade
    ),
    hit AS (SELECT * FROM judged WHERE verdict = ANY($verdicts)),
    top AS (
        SELECT h.* FROM hit h JOIN {grade_values_sql("g")} USING (grade)
        ORDER BY g.ord DESC, h.eval_year DESC, h.eval_id LIMIT $limit
    ),
    final AS (
        SELECT t.eval_id, t.region, t.eval_year, t.department, ef.project_name, t.grade, t.verdict, t.consequence,
               t.application_wan, t.amount_wan, t.share, t.application_year, t.synthetic,
               (SELECT count(*) FROM hit) AS total
        FROM top t JOIN {grade_values_sql("g")} USING (grade)
        LEFT JOIN (SELECT eval_id, project_name FROM eval_facts WHERE eval_id IN (SELECT eval_id FROM top)) ef
            USING (eval_id)
        ORDER BY g.ord DESC, t.eval_year DESC, t.eval_id
    )
    SELECT * FROM final""",
        params | rule_params(rule) | {"verdicts": list(verdicts), "limit": limit},
    )
    total = int(df["total"][0]) if df.height else 0
    return df.drop("total"), total


def verdict(con: duckdb.DuckDBPyConnection, ev: Evaluation, rule: tuple[ApplicationRule, ...]) -> dict | None:
    """One evaluation's (as detail.evaluation read it, within the scope) consequence (未记录 when none), amount,
    year, share cut and verdict under the rule."""
    df = fetch(
        con,
        f"""
    WITH a AS (
        SELECT x.*, c.grade, coalesce(x.application, $not_recorded) AS consequence,
               CASE WHEN x.amount_wan > 0 THEN x.application_wan / x.amount_wan END AS share
        FROM application_facts x JOIN eval_cube c USING (gid) WHERE x.eval_id = $id
    ),
    final AS (
        SELECT a.consequence, a.application_wan, a.application_year, a.amount_wan, a.share, a.grade,
               {rule_verdict_sql("a.application", "a.share")} AS verdict
        FROM a LEFT JOIN {rule_table_sql("r")} ON r.grade = a.grade
    )
    SELECT * FROM final""",
        {"id": checked_id(ev), "not_recorded": NOT_RECORDED} | rule_params(rule),
    )
    return df.row(0, named=True) if df.height else None


def moved(money_rows: pl.DataFrame) -> dict:
    """From money(): the amount cut, suspended or cancelled (万元; None when no amount is recorded), how many such
    evaluations, and how many of them record no amount."""
    rows = money_rows.filter(pl.col("consequence").is_in(MOVES_MONEY))
    n, with_amount = int(rows["evaluations"].sum()), int(rows["with_amount"].sum())
    return {
        "amount_wan": float(rows["application_wan"].sum()) if with_amount else None,
        "evaluations": n,
        "without_amount": n - with_amount,
    }
