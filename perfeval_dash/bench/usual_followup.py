"""The usual way for the follow-up figures: pandas over the cached Parquet tables, filtered and grouped in memory.

Same figures as figures.page's follow-up parts (deadlines, ageing, revisions, 屡查屡犯, 本期变化, 结果应用, the
department sheet's lists), computed the way a typical Streamlit dashboard would.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl

from perfeval_dash.bench.usual_data import Data, _amounts, _pl, filter_evaluations, problems_in_view
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
    DONE_STATUSES,
    EVENT_KINDS,
    FOLLOWS,
    FOUND,
    GRADES,
    NO_RULE,
    NOT_RECORDED,
    OPEN_STATUSES,
    REMOVED,
    RULE_VERDICTS,
    STATUS_CHANGED,
    UNIT_CHANGED,
    UNVERIFIABLE,
)
from perfeval_dash.queries.filters import Filters

BATCH = "（整批共性问题）"
CONSEQUENCES = (*APPLICATIONS, NOT_RECORDED)
BINS = [-np.inf, 30, 90, 180, 365, np.inf]


def _date(text: pd.Series) -> pd.Series:
    """Event values as dates (YYYY-MM-DD); anything else (a status word, empty) is NaT."""
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")


def _bucket(days: pd.Series) -> pd.Series:
    return pd.cut(days, BINS, labels=False)


def revisions(d: Data) -> pd.DataFrame:
    """Per problem: deadline changes, pushes back, reopenings (from the events)."""
    ev = d.problem_events
    dl = ev[ev["kind"] == DEADLINE_CHANGED]
    pushed = _date(dl["new_value"]) > _date(dl["old_value"])
    st = ev[ev["kind"] == STATUS_CHANGED]
    reopen = st["old_value"].isin(DONE_STATUSES) & st["new_value"].isin(OPEN_STATUSES)
    out = pd.DataFrame(
        {
            "deadline_changes": dl.groupby("problem_id").size(),
            "pushes": pushed.groupby(dl["problem_id"]).sum(),
            "reopens": reopen.groupby(st["problem_id"]).sum(),
        }
    )
    return out.fillna(0).astype("int64").rename_axis("problem_id").reset_index()


def follow_rows(d: Data, f: Filters, as_of: dt.date) -> pd.DataFrame:
    """Problems in view with original deadline, report age, pushes and reopens."""
    p = problems_in_view(d, f, as_of)
    cutoff = pd.Timestamp(as_of)
    pub = d.batches[["region", "eval_year", "published_date"]]
    p = p.merge(pub, on=["region", "eval_year"], how="left").merge(revisions(d), on="problem_id", how="left")
    orig = p["original_due_date"].fillna(p["due_date"])
    return p.assign(
        orig=orig,
        age=(cutoff - p["published_date"]).dt.days,
        pushes=p["pushes"].fillna(0).astype("int64"),
        deadline_changes=p["deadline_changes"].fillna(0).astype("int64"),
        reopens=p["reopens"].fillna(0).astype("int64"),
        due_cur=p["tracked"] & (p["due_date"] < cutoff),
        due_orig=p["tracked"] & (orig < cutoff),
        late_cur=p["open"] & (p["due_date"] < cutoff),
        late_orig=p["open"] & (orig < cutoff),
        days_cur=(cutoff - p["due_date"]).dt.days,
        days_orig=(cutoff - orig).dt.days,
    )


def summary(d: Data, f: Filters, as_of: dt.date) -> dict:
    p = follow_rows(d, f, as_of)
    out = {
        "problems": len(p),
        "tracked": int(p["tracked"].sum()),
        "done": int(p["done"].sum()),
        "open": int(p["open"].sum()),
        "due_cur": int(p["due_cur"].sum()),
        "overdue_cur": int(p["late_cur"].sum()),
        "due_orig": int(p["due_orig"].sum()),
        "overdue_orig": int(p["late_orig"].sum()),
        "revised": int((p["pushes"] > 0).sum()),
        "pushes": int(p["pushes"].sum()),
        "reopened": int((p["reopens"] > 0).sum()),
        "open_age_unknown": int((p["open"] & p["age"].isna()).sum()),
        "open_no_due": int((p["open"] & p["due_date"].isna()).sum()),
        "any_synthetic": bool(p["synthetic"].any()),
    }
    age, cur, orig = _bucket(p["age"]), _bucket(p["days_cur"]), _bucket(p["days_orig"])
    for i in range(5):
        out[f"open_age_{i}"] = int((p["open"] & (age == i)).sum())
        out[f"late_cur_{i}"] = int((p["late_cur"] & (cur == i)).sum())
        out[f"late_orig_{i}"] = int((p["late_orig"] & (orig == i)).sum())
    out["open_over_year"] = out["open_age_4"]
    for b in ("cur", "orig"):
        due, late = out[f"due_{b}"], out[f"overdue_{b}"]
        out[f"rate_{b}"] = (due - late) / due if due else None
    return out


def by_department(d: Data, f: Filters, as_of: dt.date) -> tuple[pl.DataFrame, int]:
    p = follow_rows(d, f, as_of)
    p = p.assign(
        department=p["department"].fillna(BATCH),
        revised=p["pushes"] > 0,
        reopened=p["reopens"] > 0,
        over_year=p["open"] & (p["age"] > 365),
    )
    g = p.groupby(["region", "department"], as_index=False).agg(
        problems=("problem_id", "size"),
        open=("open", "sum"),
        overdue_cur=("late_cur", "sum"),
        overdue_orig=("late_orig", "sum"),
        revised=("revised", "sum"),
        pushes=("pushes", "sum"),
        reopened=("reopened", "sum"),
        open_over_year=("over_year", "sum"),
        synthetic=("synthetic", "any"),
    )
    g = g.sort_values(
        ["pushes", "overdue_orig", "problems", "region", "department"], ascending=[False, False, False, True, True]
    )
    return _pl(g.head(1000)), len(g)


def revised(d: Data, f: Filters, as_of: dt.date) -> tuple[pl.DataFrame, int]:
    p = follow_rows(d, f, as_of)
    hit = p[(p["deadline_changes"] > 0) | (p["reopens"] > 0)]
    cutoff = pd.Timestamp(as_of)
    hit = hit.assign(
        original_due=hit["orig"],
        days_overdue_orig=hit["days_orig"].where(hit["open"] & (hit["orig"] < cutoff)),
        days_overdue=hit["days_cur"].where(hit["open"] & (hit["due_date"] < cutoff)),
    )
    top = hit.sort_values(
        ["pushes", "deadline_changes", "original_due", "problem_id"],
        ascending=[False, False, True, True],
        na_position="last",
    ).head(1000)
    cols = [
        "problem_id",
        "eval_id",
        "region",
        "eval_year",
        "department",
        "category",
        "description",
        "responsible_unit",
        "status",
        "original_due",
        "due_date",
        "pushes",
        "deadline_changes",
        "reopens",
        "days_overdue_orig",
        "days_overdue",
        "batch_level",
        "synthetic",
    ]
    return _pl(top[cols]), len(hit)


def _with_eval(d: Data, f: Filters, as_of: dt.date) -> pd.DataFrame:
    """Problems in view that belong to an evaluation, with the evaluation's region and year."""
    p = problems_in_view(d, f, as_of)
    p = p[p["eval_id"].notna()]
    return p.assign(region=p["region_e"], eval_year=p["eval_year_e"])


def repeats(d: Data, f: Filters, as_of: dt.date) -> pl.DataFrame:
    p = _with_eval(d, f, as_of)
    keys = ["region", "department", "category"]
    y = p.groupby([*keys, "eval_year"], as_index=False).agg(n=("problem_id", "size"), syn=("synthetic", "any"))
    g = (
        y.sort_values("eval_year")
        .groupby(keys, as_index=False)
        .agg(
            years=("eval_year", lambda s: "、".join(str(int(v)) for v in s)),
            n_years=("eval_year", "size"),
            first_year=("eval_year", "min"),
            last_year=("eval_year", "max"),
            problems=("n", "sum"),
            synthetic=("syn", "any"),
        )
    )
    g = g[g["n_years"] >= 2].sort_values(["n_years", "problems", *keys], ascending=[False, False, True, True, True])
    return _pl(g)


def repeat_problems(d: Data, f: Filters, as_of: dt.date) -> tuple[pl.DataFrame, int]:
    p = _with_eval(d, f, as_of)
    keys = ["region", "department", "category"]
    hit = p[p.groupby(keys)["eval_year"].transform("nunique") >= 2]
    top = hit.sort_values([*keys, "eval_year", "problem_id"]).head(1000)
    cols = [*keys, "eval_year", "problem_id", "eval_id", "status", "due_date", "synthetic"]
    return _pl(top[cols]), len(hit)


def open_problems(d: Data, f: Filters, as_of: dt.date) -> tuple[pl.DataFrame, int]:
    p = follow_rows(d, f, as_of)
    cutoff = pd.Timestamp(as_of)
    hit = p[p["open"] & p["due_date"].notna()]
    hit = hit.assign(
        original_due=hit["orig"],
        days_overdue=hit["days_cur"].where(hit["due_date"] < cutoff),
        days_overdue_orig=hit["days_orig"].where(hit["orig"] < cutoff),
    )
    top = hit.sort_values(["due_date", "problem_id"]).head(1000)
    cols = [
        "problem_id",
        "eval_id",
        "region",
        "eval_year",
        "department",
        "category",
        "description",
        "responsible_unit",
        "status",
        "original_due",
        "due_date",
        "pushes",
        "days_overdue",
        "days_overdue_orig",
        "batch_level",
        "synthetic",
    ]
    return _pl(top[cols]), len(hit)


# ---- 本期变化 -----------------------------------------------------------------------------------------
def _net(d: Data, f: Filters, since: str) -> pd.DataFrame:
    ev = d.problem_events
    ev = ev[(ev["snapshot_id"] > since) & filter_evaluations(ev, Filters(regions=f.regions, years=f.years))]
    cols = ["eval_id", "region", "eval_year", "budget_year", "department", "eval_type", "grade"]
    e = d.evaluations[cols].rename(columns={c: f"{c}_e" for c in ("region", "eval_year", "budget_year")})
    b = d.batches[["region", "eval_year", "budget_year"]].rename(columns={"budget_year": "b_budget_year"})
    j = ev.merge(e, on="eval_id", how="left", indicator="_m").merge(b, on=["region", "eval_year"], how="left")
    found = j["_m"] == "both"
    ok = found & filter_evaluations(j, f, sfx="_e")
    if not f.narrows_evaluations:
        by = j["b_budget_year"].isin(list(f.budget_years)) if f.budget_years else True
        ok |= ~found & by
    j = j[ok].sort_values(["problem_id", "snapshot_id"])
    if j.empty:
        return pd.DataFrame(columns=["change", "problem_id", "old_value", "new_value", "ord", "synthetic"])
    g = j.groupby("problem_id")
    first, last = g["snapshot_id"].transform("min"), g["snapshot_id"].transform("max")
    j = j.assign(
        f_found=(j["kind"] == FOUND) & (j["snapshot_id"] == first),
        l_removed=(j["kind"] == REMOVED) & (j["snapshot_id"] == last),
        at_last=j["snapshot_id"] == last,
    )
    pres = j.groupby("problem_id").agg(
        existed=("f_found", lambda s: not s.any()),
        present=("l_removed", lambda s: not s.any()),
        snapshot_id=("snapshot_id", "max"),
        synthetic=("synthetic", "any"),
    )
    lastrow = j[j["at_last"]].groupby("problem_id").first(skipna=False)
    pres = pres.join(lastrow[["eval_id", "region", "eval_year", "department"]])
    fnd = j[j["kind"] == FOUND].groupby("problem_id").last(skipna=False)["new_value"].rename("found_status")
    rmv = j[j["kind"] == REMOVED].groupby("problem_id").first(skipna=False)["old_value"].rename("removed_status")
    pres = pres.join(fnd).join(rmv)
    rows = [
        pd.DataFrame(
            {
                "change": CH_FOUND,
                "old_value": None,
                "new_value": pres.loc[~pres["existed"] & pres["present"], "found_status"],
            }
        ),
        pd.DataFrame(
            {
                "change": CH_REMOVED,
                "old_value": pres.loc[pres["existed"] & ~pres["present"], "removed_status"],
                "new_value": None,
            }
        ),
    ]
    both = pres.index[pres["existed"] & pres["present"]]
    fields = j[j["kind"].isin([STATUS_CHANGED, DEADLINE_CHANGED, UNIT_CHANGED]) & j["problem_id"].isin(both)]
    g = fields.groupby(["problem_id", "kind"])  # rows are in snapshot order; a missing value counts (skipna=False)
    fg = pd.DataFrame(
        {"old_value": g["old_value"].first(skipna=False), "new_value": g["new_value"].last(skipna=False)}
    ).reset_index()
    old, new, kind = fg["old_value"], fg["new_value"], fg["kind"]
    old_d, new_d = _date(old), _date(new)
    change = np.select(
        [
            (kind == STATUS_CHANGED) & new.isin(DONE_STATUSES) & (old.isna() | old.isin(OPEN_STATUSES)),
            (kind == STATUS_CHANGED) & old.isin(DONE_STATUSES) & new.isin(OPEN_STATUSES),
            (kind == DEADLINE_CHANGED) & (new_d > old_d),
            (kind == DEADLINE_CHANGED) & (new_d < old_d),
            (kind == UNIT_CHANGED) & ~(old.isna() & new.isna()) & (old.fillna("\0") != new.fillna("\0")),
        ],
        [CH_CLOSED, CH_REOPENED, CH_PUSHED, CH_PULLED, CH_UNIT],
        default="",
    )
    fg = fg.assign(change=change)
    rows.append(fg[fg["change"] != ""].set_index("problem_id")[["change", "old_value", "new_value"]])
    net = pd.concat([r.rename_axis("problem_id").reset_index() for r in rows], ignore_index=True)
    net = net.merge(pres.reset_index(), on="problem_id", how="left")
    net["ord"] = net["change"].map({k: i for i, k in enumerate(CHANGE_KINDS)})
    net["batch_level"] = net["eval_id"].isna()
    return net


def change_counts(d: Data, f: Filters, since: str) -> pl.DataFrame:
    net = _net(d, f, since)
    rows = []
    for k in CHANGE_KINDS:
        sub = net[net["change"] == k]
        rows.append(
            {"change": k, "problems": len(sub), "synthetic": bool(sub["synthetic"].any()) if len(sub) else False}
        )
    return pl.DataFrame(rows)


def changes(d: Data, f: Filters, since: str) -> tuple[pl.DataFrame, int]:
    net = _net(d, f, since)
    top = net.sort_values(["ord", "problem_id"]).head(1000)
    cols = [
        "change",
        "problem_id",
        "eval_id",
        "region",
        "eval_year",
        "department",
        "old_value",
        "new_value",
        "snapshot_id",
        "batch_level",
        "synthetic",
    ]
    return _pl(top[cols]), len(net)


# ---- 结果应用 -----------------------------------------------------------------------------------------
def _apps(d: Data, f: Filters) -> pd.DataFrame:
    ev = d.evaluations
    e = _amounts(ev[filter_evaluations(ev, f)])
    return e.assign(
        consequence=e["application"].fillna(NOT_RECORDED),
        share=e["application_wan"] / e["amount_wan"].where(e["amount_wan"] > 0),
    )


def verdict_of(grade: str, application, share, rule: tuple[ApplicationRule, ...]) -> str:
    """The rule applied to one evaluation (Python, the usual way)."""
    r = next((x for x in rule if x.grade == grade), None)
    if r is None:
        return NO_RULE
    if application is None or (isinstance(application, float) and np.isnan(application)):
        return NOT_RECORDED
    if application not in r.actions:
        return BREAKS
    if r.min_share is None or application != CUT:
        return FOLLOWS
    if share is None or (isinstance(share, float) and np.isnan(share)):
        return UNVERIFIABLE
    return FOLLOWS if share >= r.min_share - 1e-9 else BREAKS


def _judged(d: Data, f: Filters, rule) -> pd.DataFrame:
    a = _apps(d, f)
    return a.assign(verdict=[verdict_of(g, x, s, rule) for g, x, s in zip(a["grade"], a["application"], a["share"])])


def app_matrix(d: Data, f: Filters) -> pl.DataFrame:
    a = _apps(d, f)
    rows = []
    for g in GRADES:
        sub = a[a["grade"] == g]
        rows.append(
            {"grade": g, **{k: int((sub["consequence"] == k).sum()) for k in CONSEQUENCES}, "evaluations": len(sub)}
        )
    return pl.DataFrame(rows)


def app_money(d: Data, f: Filters) -> pl.DataFrame:
    a = _apps(d, f)
    rows = []
    for k in CONSEQUENCES:
        sub = a[a["consequence"] == k]
        rows.append(
            {
                "consequence": k,
                "evaluations": len(sub),
                "amount_wan": sub["amount_wan"].sum(min_count=1) if len(sub) else None,
                "application_wan": sub["application_wan"].sum(min_count=1) if len(sub) else None,
                "with_amount": int(sub["application_wan"].notna().sum()),
                "synthetic": bool(sub["synthetic"].any()),
            }
        )
    return pl.DataFrame(rows, strict=False)


def app_compliance(d: Data, f: Filters, rule) -> pl.DataFrame:
    a = _judged(d, f, rule)
    rows = []
    for g in GRADES:
        if not any(r.grade == g for r in rule):
            continue
        sub = a[a["grade"] == g]
        rows.append(
            {"grade": g, **{v: int((sub["verdict"] == v).sum()) for v in RULE_VERDICTS}, "evaluations": len(sub)}
        )
    return pl.DataFrame(rows)


def app_flagged(d: Data, f: Filters, rule, verdicts) -> tuple[pl.DataFrame, int]:
    a = _judged(d, f, rule)
    hit = a[a["verdict"].isin(list(verdicts))]
    hit = hit.assign(g_ord=hit["grade"].map({g: i for i, g in enumerate(GRADES)}))
    top = hit.sort_values(["g_ord", "eval_year", "eval_id"], ascending=[False, False, True]).head(1000)
    cols = [
        "eval_id",
        "region",
        "eval_year",
        "department",
        "project_name",
        "grade",
        "verdict",
        "consequence",
        "application_wan",
        "amount_wan",
        "share",
        "application_year",
        "synthetic",
    ]
    return _pl(top[cols]), len(hit)


def verdict(d: Data, eval_id: str, rule) -> dict | None:
    a = _judged(d, Filters(), rule)
    row = a[a["eval_id"] == eval_id]
    if row.empty:
        return None
    cols = ["consequence", "application_wan", "application_year", "amount_wan", "share", "grade", "verdict"]
    return row.iloc[0][cols].to_dict()


# ---- the department sheet and the detail page ---------------------------------------------------------
def dept_evaluations(d: Data, f: Filters) -> tuple[pl.DataFrame, int]:
    a = _apps(d, f)
    top = a.sort_values(["eval_year", "score", "eval_id"], ascending=[False, False, True]).head(1000)
    cols = [
        "eval_id",
        "region",
        "eval_year",
        "budget_year",
        "department",
        "project_name",
        "eval_type",
        "score",
        "grade",
        "amount_wan",
        "consequence",
        "application_wan",
        "application_year",
        "synthetic",
    ]
    return _pl(top[cols]), len(a)


def timeline(d: Data, eval_id: str) -> pl.DataFrame:
    ev = d.problem_events
    ev = ev[ev["eval_id"] == eval_id]
    ev = ev.assign(
        ord=ev["kind"].map({k: i for i, k in enumerate(EVENT_KINDS)}), actor=ev["actor"].fillna(NOT_RECORDED)
    ).sort_values(["problem_id", "snapshot_id", "ord"])
    cols = [
        "problem_id",
        "snapshot_id",
        "effective_date",
        "kind",
        "old_value",
        "new_value",
        "source",
        "actor",
        "note",
        "synthetic",
    ]
    return _pl(ev[cols])


def deadlines(d: Data, eval_id: str) -> pl.DataFrame:
    from perfeval_dash.bench.usual_data import load

    pr = load(d.paths["problems"])
    p = pr[pr["eval_id"] == eval_id].merge(revisions(d), on="problem_id", how="left").sort_values("problem_id")
    p = p.assign(original_due=p["original_due_date"].fillna(p["due_date"]))
    for c in ("pushes", "deadline_changes", "reopens"):
        p[c] = p[c].fillna(0).astype("int64")
    return _pl(p[["problem_id", "due_date", "original_due", "pushes", "deadline_changes", "reopens"]])
