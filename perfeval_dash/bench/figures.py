"""What each page computes, through the app's own query functions, exactly as the page scripts call them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time

import duckdb

from perfeval_dash import settings
from perfeval_dash.bench.states import State
from perfeval_dash.domain.rules import application_rule
from perfeval_dash.domain.vocab import BREAKS, UNVERIFIABLE
from perfeval_dash.queries import (
    application,
    changes,
    coverage,
    department,
    detail,
    followup,
    options,
    overview,
    problems,
    scores,
)

# the problems page's tabs are measured as pages of their own: only the open tab runs (pages/problems.py)
PAGES = (
    "overview",
    "scores",
    "coverage",
    "problems",
    "problems_tracking",
    "problems_repeats",
    "detail",
    "changes",
    "application",
    "department",
)
THR = settings.COVERAGE_THRESHOLD.value
FLAG_VERDICTS = (BREAKS, UNVERIFIABLE)  # as ui.followup.FLAG_VERDICTS


class Timed(dict):
    """A dict of figures that also records how long each took (seconds) in `.times`."""

    def __init__(self):
        super().__init__()
        self.times: dict[str, float] = {}

    def add(self, name: str, fn, *args):
        t0 = time.perf_counter()
        self[name] = value = fn(*args)
        self.times[name] = time.perf_counter() - t0
        return value


def frame(out: Timed, con, s: State) -> None:
    """The sidebar's option lists (view.frame runs these on every page run)."""
    scope = s.filters.scope
    out.add("regions", options.regions, con, scope)
    out.add("years", options.years, con, scope)
    out.add("budget_years", options.budget_years, con, scope)
    every = out.add("departments", options.departments, con, [], scope)
    if s.filters.regions:
        out.add("departments_in_regions", options.departments, con, list(s.filters.regions), scope)
    else:  # as view.frame: no region chosen, the full list serves without a second query
        out["departments_in_regions"], out.times["departments_in_regions"] = every, 0.0


def follow_up(out: Timed, con, f, as_of: dt.date) -> None:
    """The problems page's 整改跟踪 tab (ui.followup.tracking_section)."""
    fs = out.add("fu_summary", followup.summary, con, f, as_of)
    if fs["tracked"]:
        out.add("fu_by_department", followup.by_department, con, f, as_of)
        out.add("fu_revised", followup.revised, con, f, as_of)


def department_sheet(out: Timed, con, s: State, as_of: dt.date) -> None:
    """The department sheet (pages/department.py)."""
    f = s.filters
    if not f.depts:
        out.add("department_index", options.departments, con, list(f.regions), f.scope)
        return
    head = out.add("headline", overview.headline, con, f)
    out.add("problem_totals", problems.totals, con, f, as_of)
    out.add("fu_summary", followup.summary, con, f, as_of)
    if head["evaluations"]:
        out.add("trend", overview.trend, con, f)
    out.add("dept_evaluations", department.evaluations, con, f)
    out.add("coverage", coverage.by_department, con, f, THR)
    out.add("open_problems", followup.open_problems, con, f, as_of)
    if out.add("fu_repeats", followup.repeats, con, f, as_of).height:
        out.add("repeat_problems", followup.repeat_problems, con, f, as_of)
    out.add("app_matrix", application.matrix, con, f)
    out.add("app_flagged", application.flagged, con, f, application_rule(), FLAG_VERDICTS)


def page(con: duckdb.DuckDBPyConnection, name: str, s: State, as_of: dt.date, since: str | None = None) -> Timed:
    """All figures one page run computes (sidebar options included), keyed by figure name.

    `since`: the earlier snapshot 本期变化 counts from (the snapshot's base; None when it has none)."""
    f, out = s.filters, Timed()
    frame(out, con, s)
    if name == "overview":
        head = out.add("headline", overview.headline, con, f)
        out.add("published_amount", overview.published_amount, con, f)
        out.add("coverage", coverage.by_department, con, f, THR)
        out.add("coverage_unbudgeted", coverage.unbudgeted, con, f)
        out.add("problem_totals", problems.totals, con, f, as_of)
        if len(f.years) == 1:  # 同比: the same view one evaluation year earlier (pages/overview.py)
            before = dataclasses.replace(f, years=(f.years[0] - 1,))
            if out.add("headline_prev", overview.headline, con, before)["evaluations"]:
                out.add("published_amount_prev", overview.published_amount, con, before)
        if head["evaluations"]:
            out.add("grade_distribution", overview.grade_distribution, con, f)
            out.add("trend", overview.trend, con, f)
        out.add("department_ranking", overview.department_ranking, con, f, THR, as_of)
        if not f.scope.names_departments:
            out.add("batches", overview.batches, con, f)
    elif name == "scores":
        head = out.add("headline", overview.headline, con, f)
        if head["evaluations"]:
            if head["scored"]:  # a grade-only selection has no score distribution to draw
                out.add("histogram", scores.histogram, con, f)
                out.add("spread_department", scores.spread, con, f, "department")
                out.add("spread_type", scores.spread, con, f, "eval_type")
            out.add("dimension_rates", scores.dimension_rates, con, f)
            out.add("ranked", scores.ranked, con, f)
    elif name == "coverage":
        rows = out.add("coverage", coverage.by_department, con, f, THR)
        out.add("coverage_unbudgeted", coverage.unbudgeted, con, f)
        out.add("coverage_regions", coverage.summarize, rows)
    elif name.startswith("problems"):  # the tiles above the tabs, then the open tab's figures
        if out.add("problem_totals", problems.totals, con, f, as_of)["problems"]:
            if name == "problems":
                out.add("by_category", problems.by_category, con, f, as_of)
                out.add("by_department", problems.by_department, con, f, as_of)
                out.add("overdue", problems.overdue, con, f, as_of)
                out.add("batch_level", problems.batch_level, con, f, as_of)
            elif name == "problems_tracking":
                follow_up(out, con, f, as_of)
            else:
                out.add("fu_repeats", followup.repeats, con, f, as_of)
    elif name == "detail":
        ev = out.add("evaluation", detail.evaluation, con, s.eval_id, f.scope)
        if ev is not None:
            out.add("dimensions", detail.dimensions, con, ev)
            out.add("problems", detail.problems, con, ev, as_of)
            out.add("batch", detail.batch, con, ev)
            out.add("verdict", application.verdict, con, ev, application_rule())
            out.add("timeline", followup.timeline, con, ev)
            out.add("deadlines", followup.deadlines, con, ev)
    elif name == "changes":
        if since is not None and out.add("change_counts", changes.counts, con, f, since)["problems"].sum():
            out.add("changes", changes.changes, con, f, since)
    elif name == "application":
        out.add("app_matrix", application.matrix, con, f)
        out.add("app_money", application.money, con, f)
        if out["app_matrix"]["evaluations"].sum():
            comp = out.add("app_compliance", application.compliance, con, f, application_rule())
            if comp.height:
                out.add("app_flagged", application.flagged, con, f, application_rule(), FLAG_VERDICTS)
    elif name == "department":
        department_sheet(out, con, s, as_of)
    return out
