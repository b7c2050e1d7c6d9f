"""Page runs as each role: what the login gate and the reader's scope cost, paired against the open mode.

Three AppTest sessions run side by side in one child process, state by state, so that load on a shared machine
hits them alike: `open` (no accounts, as before access control), `领导` (logged in, reads everything) and `部门`
(logged in, scoped to the department with the most evaluations in its region). Pairs:

- 领导 ÷ open: the same filter states; the only difference is the gate and an unlimited scope.
- 部门 ÷ open: the department's states (chosen among what it is offered) against the open mode showing the same
  rows through the sidebar filters (its region and department chosen): the cost of the scope itself.

Run as `python -m perfeval_dash.bench.roles DATA_DIR RUNS` (prints one JSON object).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import replace

from perfeval_dash.bench.apprun import APP, PAGE_SCRIPTS, _apply, child_json, switch

LEADER, DEPARTMENT = "leader", "department"


def _department(con) -> tuple[str, str, int]:
    """The (region, department) with the most evaluations, and how many."""
    return con.sql(
        "SELECT region, department, sum(evaluations)::BIGINT AS n FROM eval_cube GROUP BY ALL "
        "ORDER BY n DESC, region, department LIMIT 1"
    ).fetchall()[0]


def _session(accounts: dict | None, login: str | None):
    from streamlit.testing.v1 import AppTest

    from perfeval_dash.auth import gate

    at = AppTest.from_file(APP, default_timeout=300)
    if accounts:
        at.secrets["accounts"] = accounts
        at.session_state[gate.SESSION_LOGIN] = login
    return at.run()


def _timed(at, state) -> float:
    _apply(at, state)
    t0 = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(str(at.exception))
    return elapsed


def measure(data_dir: str, runs: int) -> dict:
    """Per page and role: run seconds of the role and of the open mode on paired states, and their ratio."""
    import os

    os.environ["PERFEVAL_DATA_DIR"] = data_dir
    from perfeval_dash.bench.states import make_states
    from perfeval_dash.domain.scope import Scope
    from perfeval_dash.store import Store, connect

    snap = Store(data_dir).open()
    region, dept, n = _department(connect(snap))
    scope = Scope((region,), (dept,))
    accounts = {
        "leader": {"roles": ["领导"]},
        "head": {"roles": ["部门"], "regions": [region], "departments": [dept]},
    }
    sessions = {
        "open": _session(None, None),
        LEADER: _session(accounts, "leader"),
        DEPARTMENT: _session(accounts, "head"),
    }
    out: dict = {"_department": {"region": region, "department": dept, "evaluations": int(n)}}
    for i, page in enumerate(PAGE_SCRIPTS):
        for at in sessions.values():
            switch(at, page).run()
        leader_states = make_states(connect(snap), runs, offset=i + 1)
        dept_states = make_states(connect(snap), runs, offset=i + 1, scope=scope)
        times: dict[str, list[float]] = {k: [] for k in ("open_leader", LEADER, "open_department", DEPARTMENT)}
        for ls, ds in zip(leader_states, dept_states):
            same_rows = replace(ds, filters=replace(ds.filters, regions=(region,), depts=(dept,)))
            times["open_leader"].append(_timed(sessions["open"], ls))
            times[LEADER].append(_timed(sessions[LEADER], ls))
            times["open_department"].append(_timed(sessions["open"], same_rows))
            times[DEPARTMENT].append(_timed(sessions[DEPARTMENT], ds))
        out[page] = {
            role: {
                "open": statistics.median(times[f"open_{role}"]),
                "role": statistics.median(times[role]),
                "ratio": statistics.median(r / o for r, o in zip(times[role], times[f"open_{role}"])),
            }
            for role in (LEADER, DEPARTMENT)
        }
    return out


def run_child(data_dir: str, runs: int, timeout: float = 3600) -> dict:
    """`measure` in a fresh interpreter, parsed from its JSON line."""
    return child_json("perfeval_dash.bench.roles", [data_dir, runs], "role page runs", timeout)


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2])), ensure_ascii=False))
