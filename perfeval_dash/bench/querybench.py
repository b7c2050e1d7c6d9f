"""Page queries against the floor and the usual way, in a child process: times, ratios and figure checks.

Run as `python -m perfeval_dash.bench.querybench STORE_DIR RUNS USUAL_RUNS` (prints one JSON object).
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import duckdb

from perfeval_dash.bench import compare, figures, floor, usual
from perfeval_dash.bench.states import make_states
from perfeval_dash.store import Store, connect, reset_connections


def reset_ours() -> None:
    """Forget everything the app keeps per process (a cold start of our queries)."""
    reset_connections()


def _timed(fn, *args):
    t0 = time.perf_counter()
    value = fn(*args)
    return value, time.perf_counter() - t0


def _figure_times(runs: list) -> dict[str, float]:
    """Median seconds per figure over runs (the sidebar option queries summed as 'frame')."""
    keys: dict[str, list[float]] = {}
    for times in runs:
        merged: dict[str, float] = {}
        for k, v in times.items():
            k = "frame" if k in ("regions", "years", "budget_years", "departments", "departments_in_regions") else k
            k = (
                "detail"
                if k in ("evaluation", "dimensions", "problems", "batch") and "problem_totals" not in times
                else k
            )
            merged[k] = merged.get(k, 0.0) + v
        for k, v in merged.items():
            keys.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in keys.items()}


def measure(root: str, runs: int, usual_runs: int) -> dict:
    """Per page: cold and warm seconds of ours, the floor and the usual way; paired ratios; mismatches."""
    snap = Store(root).open()
    as_of, tables, since = snap.as_of, floor.tables(snap), snap.base  # 本期变化 compares with the base snapshot
    data = usual.Data(snap)
    out: dict = {}
    mismatches: list[str] = []

    def check(page, label, ours, other, who):
        diff = compare.differences(dict(ours), dict(other))
        if diff:
            mismatches.append(f"{page} [{label}] {who}: " + "; ".join(diff[:3]))
        return not diff

    for i, page in enumerate(figures.PAGES):
        states = make_states(connect(snap), runs + 1, offset=i + 1)
        # cold: nothing cached in this process for ours, a new DuckDB connection for the floor, empty st.cache_data
        reset_ours()
        ours0, ours_cold = _timed(lambda p=page, s=states[0]: figures.page(connect(snap), p, s, as_of, since))
        fcon = duckdb.connect()
        floor0, floor_cold = _timed(floor.page, fcon, tables, page, states[0], as_of, since)
        usual.clear()
        usual0, usual_cold = _timed(usual.page, data, page, states[0], as_of, since)
        check(page, states[0].label(), ours0, floor0, "floor")
        check(page, states[0].label(), ours0, usual0, "usual")
        ours_t, floor_t, ratios, o_times, f_times = [], [], [], [], []
        for k, s in enumerate(states[1:]):
            if k % 2:
                f, tf = _timed(floor.page, fcon, tables, page, s, as_of, since)
                o, to = _timed(figures.page, connect(snap), page, s, as_of, since)
            else:
                o, to = _timed(figures.page, connect(snap), page, s, as_of, since)
                f, tf = _timed(floor.page, fcon, tables, page, s, as_of, since)
            if check(page, s.label(), o, f, "floor"):
                ours_t.append(to), floor_t.append(tf), ratios.append(to / tf)
                o_times.append(o.times), f_times.append(f.times)
        u_ratios, usual_t = [], []
        for s, to in zip(states[1 : 1 + usual_runs], ours_t):
            u, tu = _timed(usual.page, data, page, s, as_of, since)
            o = figures.page(connect(snap), page, s, as_of, since)
            if check(page, s.label(), o, u, "usual"):
                usual_t.append(tu), u_ratios.append(tu / to)
        med = lambda xs: statistics.median(xs) if xs else None
        out[page] = {
            "ours": med(ours_t),
            "floor": med(floor_t),
            "ratio_floor": med(ratios),
            "ratio_floor_max": max(ratios) if ratios else None,
            "usual_warm": med(usual_t),
            "ratio_usual_warm": med(u_ratios),
            "ours_cold": ours_cold,
            "floor_cold": floor_cold,
            "usual_cold": usual_cold,
            "ratio_usual_cold": usual_cold / ours_cold,
            "states": len(ours_t),
            "figures_ours": _figure_times(o_times),
            "figures_floor": _figure_times(f_times),
        }
    out["_mismatches"] = mismatches
    return out


def run_child(root: str, runs: int, usual_runs: int, timeout: float = 3600) -> dict:
    """`measure` in a fresh interpreter, parsed from its JSON line."""
    from perfeval_dash.bench.apprun import child_json

    return child_json("perfeval_dash.bench.querybench", [root, runs, usual_runs], "query benchmark", timeout)


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
