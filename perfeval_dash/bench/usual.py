"""The usual way: pandas reads the Parquet files into memory (cached with st.cache_data), filters and groups.

This is how a typical Streamlit dashboard is written. It computes the same figures as figures.page so that
the benchmark can check them before it compares times. st.cache_data returns a copy on every hit (its
documented semantics), which is part of what a warm run costs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd

from perfeval_dash import settings
from perfeval_dash.bench import usual_followup as fu
from perfeval_dash.bench.figures import FLAG_VERDICTS
from perfeval_dash.bench.states import State
from perfeval_dash.bench.usual_data import (  # noqa: F401  (re-exported: usual.Data, usual.clear, usual.load)
    DONE,
    Data,
    _amounts,
    _num,
    _pl,
    clear,
    filter_evaluations,
    load,
    load_problems,
    problems_in_view,
)
from perfeval_dash.domain.rules import BAND_EDGES, application_rule, grade_for_score
from perfeval_dash.domain.vocab import BELOW, GRADES, MET, NO_FOLLOW_UP, UNKNOWN, WHOLE_DEPARTMENT
from perfeval_dash.queries.filters import Filters


def frame(d: Data, s: State) -> dict:
    ev, b, bud = d.evaluations, d.batches, d.dept_budgets
    reg = (
        pd.concat([ev.groupby("region")["synthetic"].any(), b.groupby("region")["synthetic"].any()])
        .groupby(level=0)
        .min()
        .reset_index()
        .sort_values(["synthetic", "region"])
    )
    years = sorted(set(ev["eval_year"]), reverse=True)
    budget_years = sorted((set(ev["budget_year"].dropna()) | set(bud["budget_year"])), reverse=True)
    pairs = pd.concat([ev[["region", "department"]], bud[["region", "department"]]])
    chosen = pairs[pairs["region"].isin(list(s.filters.regions))] if s.filters.regions else pairs
    return {
        "regions": reg["region"].tolist(),
        "years": [int(y) for y in years],
        "budget_years": [int(y) for y in budget_years],
        "departments": sorted(pairs["department"].unique()),
        "departments_in_regions": sorted(chosen["department"].unique()),
    }


def headline(ev: pd.DataFrame, f: Filters) -> dict:
    e = _amounts(ev[filter_evaluations(ev, f)])
    g = e["grade"]
    return {
        "evaluations": len(e),
        "amount_wan": _num(e["amount_wan"].sum(min_count=1)),
        "amount_from_budget": int(e["amount_from_budget"].sum()),
        "amount_missing": int(e["amount_wan"].isna().sum()),
        "scored": int(e["score"].notna().sum()),
        "avg_score": _num(e["score"].mean()),
        "grades": {x: int((g == x).sum()) for x in GRADES},
        "departments": e["department"].nunique(),
        "any_synthetic": bool(e["synthetic"].any()),
        "any_real": bool((~e["synthetic"]).any()),
    }


def coverage(d: Data, f: Filters, thr: float = settings.COVERAGE_THRESHOLD.value) -> pd.DataFrame:
    ev = d.evaluations
    e = _amounts(ev[filter_evaluations(ev, f) & ev["budget_year"].notna()])
    e = e.assign(whole=e["eval_type"] == WHOLE_DEPARTMENT)
    keys = ["region", "budget_year", "department"]
    g = e.groupby(keys, as_index=False).agg(
        evaluations=("eval_id", "size"),
        evaluated_wan=("amount_wan", "sum"),
        from_budget=("amount_from_budget", "sum"),
        amount_missing=("amount_wan", lambda s: int(s.isna().sum())),
        whole_department=("whole", "any"),
        synthetic=("synthetic", "any"),
    )
    b = d.dept_budgets
    bm = filter_evaluations(b, Filters(regions=f.regions, budget_years=f.budget_years, depts=f.depts))
    if f.years and not f.budget_years:  # the budget years the chosen evaluation years cover
        bm &= b["budget_year"].isin(list(e["budget_year"].unique()))
    b = b[bm][keys + ["project_budget_wan", "synthetic"]].rename(columns={"synthetic": "b_syn"})
    j = g.merge(b, on=keys, how="left" if (f.types or f.grades) else "outer")
    j["evaluations"] = j["evaluations"].fillna(0).astype("int64")
    j["evaluated_wan"] = j["evaluated_wan"].fillna(0.0)
    j["from_budget"] = j["from_budget"].fillna(0).astype("int64")
    j["amount_missing"] = j["amount_missing"].fillna(0).astype("int64")
    j["whole_department"] = j["whole_department"].fillna(False).astype(bool)
    j["synthetic"] = j["synthetic"].fillna(j["b_syn"]).astype(bool)
    pb, amt, whole = j["project_budget_wan"], j["evaluated_wan"], j["whole_department"]
    ok = pb > 0
    j["ratio"] = np.where(whole, 1.0, np.where(ok, amt / pb.where(ok), np.nan))
    met = amt / pb.where(ok) >= thr
    missing = j["amount_missing"] > 0
    j["status"] = np.where(whole, MET, np.where(~ok, UNKNOWN, np.where(met, MET, np.where(missing, UNKNOWN, BELOW))))
    gap = np.where(ok & (met | ~missing), np.maximum(0, thr * pb - amt), np.nan)
    j["gap_wan"] = np.where(whole, 0.0, gap)
    j["_f"], j["_u"] = j["status"] == BELOW, j["status"] == UNKNOWN
    j = j.sort_values(
        ["_f", "_u", "ratio", "region", "budget_year", "department"],
        ascending=[False, False, True, True, False, True],
        na_position="first",
    )
    return j[
        keys
        + [
            "evaluations",
            "evaluated_wan",
            "from_budget",
            "amount_missing",
            "whole_department",
            "project_budget_wan",
            "synthetic",
            "ratio",
            "status",
            "gap_wan",
        ]
    ]


def coverage_unbudgeted(ev: pd.DataFrame, f: Filters) -> dict:
    e = _amounts(ev[filter_evaluations(ev, replace(f, budget_years=())) & ev["budget_year"].isna()])
    return {
        "evaluations": len(e),
        "amount_wan": _num(e["amount_wan"].sum(min_count=1)),
        "from_budget": int(e["amount_from_budget"].sum()),
    }


def coverage_regions(rows: pd.DataFrame) -> pd.DataFrame:
    r = rows.assign(known=rows["ratio"].notna() & ~rows["whole_department"])
    r = r.assign(kb=r["project_budget_wan"].where(r["known"]), ke=r["evaluated_wan"].where(r["known"]))
    g = r.groupby(["region", "budget_year"], as_index=False).agg(
        departments=("status", "size"),
        passed=("status", lambda s: int((s == MET).sum())),
        failed=("status", lambda s: int((s == BELOW).sum())),
        unknown=("status", lambda s: int((s == UNKNOWN).sum())),
        evaluated_wan=("evaluated_wan", "sum"),
        budget_wan=("kb", lambda s: s.sum(min_count=1)),
        evaluated_known_wan=("ke", lambda s: s.sum(min_count=1)),
        gap_wan=("gap_wan", lambda s: s.sum(min_count=1)),
    )
    g["ratio"] = np.where(
        g["budget_wan"] > 0, g["evaluated_known_wan"] / g["budget_wan"].where(g["budget_wan"] > 0), np.nan
    )
    return g.sort_values(["region", "budget_year"], ascending=[True, False])


def problem_totals(p: pd.DataFrame) -> dict:
    out = {
        "problems": len(p),
        "tracked": int(p["tracked"].sum()),
        "done": int(p["done"].sum()),
        "open": int(p["open"].sum()),
        "overdue": int(p["overdue"].sum()),
        "batch_level": int(p["batch_level"].sum()),
        "any_synthetic": bool(p["synthetic"].any()),
    }
    out["rate"] = out["done"] / out["tracked"] if out["tracked"] else None
    return out


def by_category(p: pd.DataFrame) -> pd.DataFrame:
    g = (
        p.assign(status=p["status"].fillna(NO_FOLLOW_UP))
        .groupby(["category", "status"])
        .size()
        .rename("problems")
        .reset_index()
    )
    g["_t"] = g.groupby("category")["problems"].transform("sum")
    return g.sort_values(["_t", "category", "status"], ascending=[False, True, True])[
        ["category", "status", "problems"]
    ]


def by_department(p: pd.DataFrame) -> pd.DataFrame:
    g = (
        p.assign(department=p["department"].fillna("（整批共性问题）"))
        .groupby(["region", "department"], as_index=False)
        .agg(
            problems=("tracked", "size"),
            tracked=("tracked", "sum"),
            done=("done", "sum"),
            open=("open", "sum"),
            overdue=("overdue", "sum"),
            synthetic=("synthetic", "any"),
        )
    )
    g["rate"] = g["done"] / g["tracked"].where(g["tracked"] > 0)
    for c in ("done", "open", "overdue"):  # unknown, not 0, where nothing is followed up
        g[c] = g[c].where(g["tracked"] > 0).astype("Int64")
    g = g.sort_values(
        ["overdue", "rate", "problems", "region", "department"],
        ascending=[False, True, False, True, True],
        na_position="last",
    )
    return g[["region", "department", "problems", "tracked", "done", "open", "overdue", "rate", "synthetic"]]


def overdue(p: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    o = p[p["overdue"]].rename(columns={"days": "days_overdue"})
    top = o.sort_values(["days_overdue", "problem_id"], ascending=[False, True]).head(1000)
    cols = [
        "problem_id",
        "eval_id",
        "region",
        "eval_year",
        "department",
        "project_name",
        "category",
        "description",
        "responsible_unit",
        "due_date",
        "status",
        "days_overdue",
        "batch_level",
        "synthetic",
    ]
    return top[cols], len(o)


def batch_level(p: pd.DataFrame) -> pd.DataFrame:
    b = (
        p[p["batch_level"]]
        .sort_values(["synthetic", "region", "eval_year", "problem_id"], ascending=[True, True, False, True])
        .head(1000)
    )
    return b[
        [
            "problem_id",
            "region",
            "eval_year",
            "category",
            "description",
            "recommendation",
            "status",
            "due_date",
            "source",
            "synthetic",
        ]
    ]


def grade_distribution(e: pd.DataFrame) -> pd.DataFrame:
    rows = [(g, int((e["grade"] == g).sum()), float(e.loc[e["grade"] == g, "amount_wan"].sum())) for g in GRADES]
    return pd.DataFrame(rows, columns=["grade", "evaluations", "amount_wan"])


def trend(e: pd.DataFrame) -> pd.DataFrame:
    return (
        e.assign(top=(e["grade"] == GRADES[0]).astype(float))
        .groupby("eval_year", as_index=False)
        .agg(
            evaluations=("eval_id", "size"),
            amount_wan=("amount_wan", lambda s: s.sum(min_count=1)),
            avg_score=("score", "mean"),
            share_excellent=("top", "mean"),
        )
        .sort_values("eval_year")
    )


def batches(d: Data, f: Filters) -> pd.DataFrame:
    ev = _amounts(d.evaluations)
    per = ev.groupby(["region", "eval_year"], as_index=False).agg(
        evaluations=("eval_id", "size"), sum_amount_wan=("amount_wan", lambda s: s.sum(min_count=1))
    )
    b = d.batches
    b = b[filter_evaluations(b, Filters(regions=f.regions, years=f.years, budget_years=f.budget_years))].merge(
        per, on=["region", "eval_year"], how="left"
    )
    b = b.sort_values(["synthetic", "region", "eval_year"], ascending=[True, True, False])
    return b[
        [
            "region",
            "eval_year",
            "budget_year",
            "title",
            "evaluated_total_wan",
            "evaluations",
            "sum_amount_wan",
            "source",
            "synthetic",
        ]
    ]


def published_amount(d: Data, f: Filters) -> dict:
    e = _amounts(d.evaluations[filter_evaluations(d.evaluations, f)])
    keys = ["region", "eval_year"]
    per = e.groupby(keys, as_index=False).agg(
        n=("eval_id", "size"),
        items_wan=("amount_wan", lambda s: s.sum(min_count=1)),
        missing=("amount_wan", lambda s: int(s.isna().sum())),
    )
    j = per.merge(d.batches[keys + ["evaluated_total_wan"]], on=keys, how="left")
    j = j.merge(d.evaluations.groupby(keys).size().rename("all_n").reset_index(), on=keys)
    total = j["evaluated_total_wan"]
    out = {
        "batches": len(j),
        "published_batches": int(total.notna().sum()),
        "published_wan": _num(total.sum(min_count=1)),
        "other_items_wan": _num(j.loc[total.isna(), "items_wan"].sum(min_count=1)),
        "items_wan": _num(j["items_wan"].sum(min_count=1)),
        "amount_missing": int(j["missing"].sum()),
        "partial_batches": int((total.notna() & (j["n"] < j["all_n"])).sum()),
    }
    # a batch's published total is the whole batch's: not for a department, type or grade, nor a department scope,
    # nor when a 预算年度 filter takes only some of a published batch's evaluations
    whole = not (f.depts or f.types or f.grades) and f.scope.departments is None and not out["partial_batches"]
    out["batch_totals_apply"] = whole and out["published_batches"] > 0
    other = out["other_items_wan"] or 0
    out["headline_wan"] = (out["published_wan"] or 0) + other if out["batch_totals_apply"] else out["items_wan"]
    return out


def department_ranking(d: Data, f: Filters, as_of: dt.date) -> pd.DataFrame:
    keys = ["region", "department"]
    e = d.evaluations[filter_evaluations(d.evaluations, f)]
    scores = (
        e.assign(lower=e["grade"].notna() & (e["grade"] != GRADES[0]), cents=np.floor(e["score"] * 100 + 0.5))
        .groupby(keys, as_index=False)
        .agg(
            evaluations=("eval_id", "size"),
            scored=("score", "count"),
            avg_score=("score", "mean"),
            cents=("cents", "sum"),
            share_lower=("lower", "mean"),
            synthetic=("synthetic", "any"),
        )
    )
    c = coverage(d, f)
    known = c["ratio"].notna() & ~c["whole_department"]
    per = (
        c.assign(
            below=c["status"] == BELOW,
            unknown=c["status"] == UNKNOWN,
            kb=c["project_budget_wan"].where(known),
            ke=c["evaluated_wan"].where(known),
        )
        .groupby(keys, as_index=False)
        .agg(below_years=("below", "sum"), unknown=("unknown", "any"), kb=("kb", "sum"), ke=("ke", "sum"))
    )
    per["coverage_status"] = np.where(per["below_years"] > 0, BELOW, np.where(per["unknown"], UNKNOWN, MET))
    per["ratio"] = per["ke"] / per["kb"].where(per["kb"] > 0)
    probs = by_department(problems_in_view(d, f, as_of))[keys + ["problems", "open", "overdue", "rate"]]
    r = scores.merge(per[keys + ["coverage_status", "ratio", "below_years"]], on=keys, how="left")
    r = r.merge(probs, on=keys, how="left")
    r["score_key"] = (r["cents"] / r["scored"]).where(r["scored"] > 0)  # as the app: exact sums, equal averages tie
    return r.sort_values(
        ["overdue", "below_years", "score_key", "region", "department"],
        ascending=[False, False, True, True, True],
        na_position="last",
    ).drop(columns=["score_key", "cents"])


def spread(e: pd.DataFrame, col: str) -> pd.DataFrame:
    keys = ["region", col] if col == "department" else [col]
    s = e[e["score"].notna()].groupby(keys)["score"]
    g = (
        pd.DataFrame(
            {
                "evaluations": s.size(),
                "min": s.min(),
                "q1": s.quantile(0.25),
                "median": s.median(),
                "q3": s.quantile(0.75),
                "max": s.max(),
                "mean": s.mean(),
            }
        )
        .rename_axis(keys[:-1] + ["grp"])
        .reset_index()
    )
    order = ["evaluations", "grp"] + (["region"] if col == "department" else [])
    return g.sort_values(order, ascending=[False] + [True] * (len(order) - 1))


def ranked(e: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    n = settings.RANKED_ROWS.value
    scored = e[e["score"].notna()]
    top = scored.sort_values(["score", "eval_id"], ascending=[False, True]).head(n)
    sc = top["score"]
    top = top.assign(
        rank=sc.rank(method="min", ascending=False).astype("Int64"),
        computed_grade=[grade_for_score(x) for x in sc],
        near_edge=pd.array(
            np.minimum.reduce([(sc - x).abs() for x in BAND_EDGES]) <= settings.NEAR_EDGE_POINTS.value, dtype="boolean"
        ),
    )
    rest = e[e["score"].isna()].assign(_ord=lambda x: x["grade"].map({g: i for i, g in enumerate(GRADES)}))
    rest = rest.sort_values(["_ord", "eval_id"]).head(max(0, n - len(top)))
    rest = rest.assign(
        rank=pd.array([None] * len(rest), dtype="Int64"),
        computed_grade=None,
        near_edge=pd.array([None] * len(rest), dtype="boolean"),
    )
    both = pd.concat([top, rest.drop(columns="_ord")]) if len(rest) else top
    cols = [
        "rank",
        "eval_id",
        "region",
        "eval_year",
        "department",
        "project_name",
        "eval_type",
        "score",
        "grade",
        "computed_grade",
        "near_edge",
        "amount_wan",
        "amount_from_budget",
        "synthetic",
    ]
    return both[cols], len(e)


def detail(d: Data, s: State, as_of: dt.date) -> dict:
    ev = d.evaluations
    row = ev[ev["eval_id"] == s.eval_id]
    if row.empty:
        return {"evaluation": None}
    r = _amounts(row).iloc[0].to_dict()
    r["execution_rate"] = r["executed_wan"] / r["budget_wan"] if r["budget_wan"] and r["budget_wan"] > 0 else None
    sc = r["score"]
    r["computed_grade"] = None if pd.isna(sc) else grade_for_score(sc)  # a grade-only evaluation has no band
    dims = d.dimension_scores
    dm = dims[dims["eval_id"] == s.eval_id]
    dm = dm.assign(rate=dm["score"] / dm["weight"].where(dm["weight"] > 0)).sort_values(
        ["weight", "dimension"], ascending=[False, True]
    )[["dimension", "weight", "score", "rate"]]
    pr = load(d.paths["problems"])
    pm = pr[pr["eval_id"] == s.eval_id].sort_values("problem_id")
    cutoff = pd.Timestamp(as_of)
    late = pm["due_date"] < cutoff
    pm = pm.assign(
        overdue=pm["status"].notna() & ~pm["status"].isin(DONE) & late,
        days_past_due=(cutoff - pm["due_date"]).dt.days.where(late),
    )
    b = d.batches
    b = b[(b["region"] == r["region"]) & (b["eval_year"] == r["eval_year"])]
    batch = None
    if not b.empty:
        batch = b.iloc[0].to_dict()
        batch["batch_problems"] = int(
            (pr["eval_id"].isna() & (pr["region"] == r["region"]) & (pr["eval_year"] == r["eval_year"])).sum()
        )
    return {
        "evaluation": r,
        "dimensions": _pl(dm),
        "batch": batch,
        "problems": _pl(
            pm[
                [
                    "problem_id",
                    "category",
                    "description",
                    "recommendation",
                    "responsible_unit",
                    "due_date",
                    "status",
                    "closed_date",
                    "overdue",
                    "days_past_due",
                ]
            ]
        ),
    }


def page(d: Data, name: str, s: State, as_of: dt.date, since: str | None = None) -> dict:
    """The usual way's figures for one page run, keyed like figures.page."""
    rule = application_rule()
    f = s.filters
    out = frame(d, s)
    if name in ("overview", "scores"):
        e = _amounts(d.evaluations[filter_evaluations(d.evaluations, f)])
        out["headline"] = headline(d.evaluations, f)
    if name == "overview":
        out["coverage"] = _pl(coverage(d, f))
        out["coverage_unbudgeted"] = coverage_unbudgeted(d.evaluations, f)
        out["problem_totals"] = problem_totals(problems_in_view(d, f, as_of))
        out["published_amount"] = published_amount(d, f)
        if len(f.years) == 1:  # 同比: the same view one evaluation year earlier
            before = replace(f, years=(f.years[0] - 1,))
            out["headline_prev"] = headline(d.evaluations, before)
            if out["headline_prev"]["evaluations"]:
                out["published_amount_prev"] = published_amount(d, before)
        if len(e):
            out |= {"grade_distribution": _pl(grade_distribution(e)), "trend": _pl(trend(e))}
        out["department_ranking"] = _pl(department_ranking(d, f, as_of))
        if f.scope.departments is None:  # a batch's published total carries every department's figures
            out["batches"] = _pl(batches(d, f))
    elif name == "scores" and len(e):
        top, total = ranked(e)
        dims = d.dimension_scores
        dims = dims[(dims["weight"] > 0) & dims["eval_id"].isin(e["eval_id"])]
        rates = (
            dims.assign(r=dims["score"] / dims["weight"])
            .groupby("dimension", as_index=False)
            .agg(evaluations=("r", "size"), avg_weight=("weight", "mean"), rate=("r", "mean"))
            .sort_values(["evaluations", "dimension"], ascending=[False, True])
        )
        sc = e[e["score"].notna()]
        if len(sc):
            hist = (
                sc.assign(bin_start=np.minimum(np.floor(sc["score"]), 99.0))
                .groupby(["bin_start", "grade"])
                .size()
                .rename("evaluations")
                .reset_index()
            )
            out |= {
                "histogram": _pl(hist),
                "spread_department": _pl(spread(e, "department")),
                "spread_type": _pl(spread(e, "eval_type")),
            }
        out |= {"dimension_rates": _pl(rates), "ranked": (_pl(top), total)}
    elif name == "coverage":
        rows = coverage(d, f)
        out |= {
            "coverage": _pl(rows),
            "coverage_unbudgeted": coverage_unbudgeted(d.evaluations, f),
            "coverage_regions": _pl(coverage_regions(rows)),
        }
    elif name.startswith("problems"):  # one tab each (figures.PAGES)
        p = problems_in_view(d, f, as_of)
        out["problem_totals"] = problem_totals(p)
        if len(p) and name == "problems":
            late, total = overdue(p)
            out |= {
                "by_category": _pl(by_category(p)),
                "by_department": _pl(by_department(p)),
                "overdue": (_pl(late), total),
                "batch_level": _pl(batch_level(p)),
            }
        elif len(p) and name == "problems_tracking":
            out["fu_summary"] = fu.summary(d, f, as_of)
            if out["fu_summary"]["tracked"]:
                out["fu_by_department"] = fu.by_department(d, f, as_of)
                out["fu_revised"] = fu.revised(d, f, as_of)
        elif len(p):
            out["fu_repeats"] = fu.repeats(d, f, as_of)
    elif name == "detail":
        out |= detail(d, s, as_of)
        if out["evaluation"] is not None:
            out["verdict"] = fu.verdict(d, s.eval_id, rule)
            out["timeline"] = fu.timeline(d, s.eval_id)
            out["deadlines"] = fu.deadlines(d, s.eval_id)
    elif name == "changes":
        if since is not None:
            out["change_counts"] = fu.change_counts(d, f, since)
            if out["change_counts"]["problems"].sum():
                out["changes"] = fu.changes(d, f, since)
    elif name == "application":
        out["app_matrix"], out["app_money"] = fu.app_matrix(d, f), fu.app_money(d, f)
        if out["app_matrix"]["evaluations"].sum():
            out["app_compliance"] = fu.app_compliance(d, f, rule)
            if out["app_compliance"].height:
                out["app_flagged"] = fu.app_flagged(d, f, rule, FLAG_VERDICTS)
    elif name == "department":
        if not f.depts:
            out["department_index"] = out["departments_in_regions"]
            return out
        out["headline"] = headline(d.evaluations, f)
        out["problem_totals"] = problem_totals(problems_in_view(d, f, as_of))
        out["fu_summary"] = fu.summary(d, f, as_of)
        if out["headline"]["evaluations"]:
            out["trend"] = _pl(trend(_amounts(d.evaluations[filter_evaluations(d.evaluations, f)])))
        out["dept_evaluations"] = fu.dept_evaluations(d, f)
        out["coverage"] = _pl(coverage(d, f))
        out["open_problems"] = fu.open_problems(d, f, as_of)
        out["fu_repeats"] = fu.repeats(d, f, as_of)
        if out["fu_repeats"].height:
            out["repeat_problems"] = fu.repeat_problems(d, f, as_of)
        out["app_matrix"] = fu.app_matrix(d, f)
        out["app_flagged"] = fu.app_flagged(d, f, rule, FLAG_VERDICTS)
    return out
