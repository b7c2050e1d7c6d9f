"""What each page computes, through the app's own query functions, exactly as the page scripts call them."""

from __future__ import annotations

import datetime as dt
import time

import duckdb

from perfeval_dash import settings
from perfeval_dash.bench.states import State
from perfeval_dash.queries import coverage, detail, options, overview, problems, scores

PAGES = ("overview", "scores", "coverage", "problems", "detail")
THR = settings.COVERAGE_THRESHOLD.value


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


def page(con: duckdb.DuckDBPyConnection, name: str, s: State, as_of: dt.date) -> Timed:
    """All figures one page run computes (sidebar options included), keyed by figure name."""
    f, out = s.filters, Timed()
    frame(out, con, s)
    if name == "overview":
        head = out.add("headline", overview.headline, con, f)
        out.add("coverage", coverage.by_department, con, f, THR)
        out.add("coverage_unbudgeted", coverage.unbudgeted, con, f)
        out.add("problem_totals", problems.totals, con, f, as_of)
        if head["evaluations"]:
            out.add("grade_distribution", overview.grade_distribution, con, f)
            out.add("trend", overview.trend, con, f)
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
    elif name == "problems":
        if out.add("problem_totals", problems.totals, con, f, as_of)["problems"]:
            out.add("by_category", problems.by_category, con, f, as_of)
            out.add("by_department", problems.by_department, con, f, as_of)
            out.add("overdue", problems.overdue, con, f, as_of)
            out.add("batch_level", problems.batch_level, con, f, as_of)
    elif name == "detail":
        ev = out.add("evaluation", detail.evaluation, con, s.eval_id, f.scope)
        if ev is not None:
            out.add("dimensions", detail.dimensions, con, ev)
            out.add("problems", detail.problems, con, ev, as_of)
            out.add("batch", detail.batch, con, ev)
    return out
