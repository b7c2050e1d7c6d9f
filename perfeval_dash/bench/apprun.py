"""Complete page runs through AppTest in a child process: time after each filter change, payload, peak memory.

Run as `python -m perfeval_dash.bench.apprun DATA_DIR RUNS` (prints one JSON object); `cold_start` spawns a fresh
interpreter and times it to the overview page's first complete run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from perfeval_dash.domain.vocab import PROBLEM_VIEWS
from perfeval_dash.ui import url_state

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGE_SCRIPTS = {
    "overview": "pages/overview.py",
    "scores": "pages/scores.py",
    "coverage": "pages/coverage.py",
    "problems": "pages/problems.py",
    "problems_tracking": "pages/problems.py",
    "problems_repeats": "pages/problems.py",
    "detail": "pages/detail.py",
    "changes": "pages/changes.py",
    "application": "pages/application.py",
    "department": "pages/department.py",
}
# URL parameters a page is opened with: the problems page's tabs (only the open one runs)
PAGE_PARAMS = {
    "problems_tracking": {url_state.PROBLEM_VIEW: PROBLEM_VIEWS[1]},
    "problems_repeats": {url_state.PROBLEM_VIEW: PROBLEM_VIEWS[2]},
}
WIDGETS = (
    ("region", "regions"),
    ("year", "years"),
    ("byear", "budget_years"),
    ("dept", "depts"),
    ("type", "types"),
    ("grade", "grades"),
)


def peak_rss_mb(pid: str = "self") -> float:
    """Peak resident memory (VmHWM) of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def payload(at) -> dict:
    """Bytes of what the run sends to the browser: chart figure JSON, tables (Arrow), everything."""
    charts = tables = total = 0
    for node in at._tree:
        if not hasattr(node, "children") and getattr(node, "proto", None) is not None:
            size = node.proto.ByteSize()
            total += size
            kind = getattr(node, "type", "")
            if "plotly" in kind:
                charts += size
            elif "arrow" in kind or "dataframe" in kind:
                tables += size
    return {"charts": charts, "tables": tables, "total": total}


def switch(at, page: str):
    """Open one of PAGE_SCRIPTS in the AppTest session (with its PAGE_PARAMS; no other page's left over)."""
    for params in PAGE_PARAMS.values():
        for key in params:
            at.query_params.pop(key, None)
    at.query_params.update(PAGE_PARAMS.get(page, {}))
    return at.switch_page(PAGE_SCRIPTS[page])


def _apply(at, state) -> None:
    for key, attr in WIDGETS:
        at.sidebar.multiselect(key=key).set_value(list(getattr(state.filters, attr)))
    at.query_params["eval"] = state.eval_id


def measure(data_dir: str, runs: int) -> dict:
    """Per page: seconds of each complete run after a filter change, payload at 'all data', peak RSS."""
    os.environ["PERFEVAL_DATA_DIR"] = data_dir
    from streamlit.testing.v1 import AppTest

    from perfeval_dash.bench.states import State, make_states
    from perfeval_dash.queries.filters import Filters
    from perfeval_dash.store import Store, connect

    snap = Store(data_dir).open()
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    out: dict = {}
    for i, page in enumerate(PAGE_SCRIPTS):
        states = make_states(connect(snap), runs + 1, offset=i + 1)
        switch(at, page)
        _apply(at, states[0])
        at.run()
        times = []
        for s in states[1:]:
            _apply(at, s)
            t0 = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - t0)
            if at.exception:
                raise RuntimeError(f"{page}: {at.exception}")
        _apply(at, State(Filters(), states[0].eval_id))
        at.run()
        out[page] = {"times": times, "payload": payload(at), "median": statistics.median(times), "p95": _p95(times)}
    out["_peak_rss_mb"] = peak_rss_mb()
    return out


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(0.95 * (len(xs) - 1))))]


def child_json(module: str, args: list, what: str, timeout: float) -> dict:
    """Run `python -m <module> <args>` in a fresh interpreter and parse the JSON line it prints last.

    Every benchmark part that must not share this process (its memory, its caches) runs through here."""
    proc = subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )
    if proc.returncode:
        raise RuntimeError(f"{what} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_child(data_dir: str, runs: int, timeout: float = 1800) -> dict:
    """`measure` in a fresh interpreter (its peak memory is the server's), parsed from its JSON line."""
    return child_json("perfeval_dash.bench.apprun", [data_dir, runs], "page runs", timeout)


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


COLD = """
import os, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300).run()
assert not at.exception and at.metric, at.exception
print("ok", flush=True)
os._exit(0)
"""


def cold_start(data_dir: str, repeats: int = 3) -> list[float]:
    """Seconds from spawning a fresh interpreter to the overview page's first complete run (each repeat)."""
    out = []
    env = _env() | {"PERFEVAL_DATA_DIR": data_dir}
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", COLD, APP], cwd=ROOT, capture_output=True, text=True, timeout=600, env=env
        )
        if proc.returncode or "ok" not in proc.stdout:
            raise RuntimeError(f"cold start failed:\n{proc.stderr[-3000:]}")
        out.append(time.perf_counter() - t0)
    return out


if __name__ == "__main__":
    import logging

    logging.disable(logging.WARNING)
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]))))
