"""Run the whole benchmark for a list of scales, print the tables and write docs/benchmarks.md."""

from __future__ import annotations

import json
import time
from pathlib import Path

from perfeval_dash.bench import apprun, data, querybench, report, roles

DEFAULT_SCALES = (10_000, 100_000, 1_000_000)
# (query states per page, usual-way states per page, AppTest runs per page, cold-start repeats)
FULL = (12, 3, 12, 3)
QUICK = (4, 1, 4, 1)


def run_scale(data_dir: Path, n: int, quick: bool, regenerate: bool, seed: int, log) -> dict:
    """Generate (or reuse) one scale, then measure queries, page runs and cold start, each in a child process."""
    runs, usual_runs, app_runs, cold = QUICK if quick else FULL
    t0 = time.perf_counter()
    gen = data.ensure(data_dir, n, seed, regenerate)
    log(f"[{n:,}] data ready in {time.perf_counter() - t0:.1f} s ({'reused' if gen.get('reused') else 'generated'})")
    root = str(data.scale_root(data_dir, n))
    t0 = time.perf_counter()
    q = querybench.run_child(root, runs, usual_runs)
    log(
        f"[{n:,}] queries, floor and usual way measured in {time.perf_counter() - t0:.1f} s"
        + (f"; {len(q['_mismatches'])} MISMATCHES" if q["_mismatches"] else "; every figure equals its floor")
    )
    t0 = time.perf_counter()
    a = apprun.run_child(root, app_runs)
    log(f"[{n:,}] page runs measured in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    r = roles.run_child(root, app_runs)
    log(f"[{n:,}] page runs as 领导 and 部门 (paired with open mode) measured in {time.perf_counter() - t0:.1f} s")
    cs = apprun.cold_start(root, cold)
    log(f"[{n:,}] cold start {', '.join(f'{c:.2f}' for c in cs)} s")
    return {"generation": gen, "queries": q, "pages": a, "roles": r, "cold_start": cs}


def run_all(
    scales=DEFAULT_SCALES,
    data_dir: str | Path = "bench-data",
    out: str | Path | None = "docs/benchmarks.md",
    quick: bool = False,
    regenerate: bool = False,
    seed: int = 7,
    json_out: str | Path | None = None,
    log=print,
) -> dict[int, dict]:
    """Measure every scale; print the text table; write the Markdown block (and raw JSON) when asked."""
    data_dir = Path(data_dir)
    results = {n: run_scale(data_dir, n, quick, regenerate, seed, log) for n in scales}
    log(report.plain(results))
    if out:
        note = "Quick run (fewer repeats)." if quick else ""
        report.write(Path(out), report.markdown_block(results, report.machine(), note))
        log(f"written {out}")
    if json_out:
        Path(json_out).write_text(json.dumps({str(k): v for k, v in results.items()}, indent=1))
    return results


def failed(results: dict[int, dict]) -> bool:
    """True when any page figure differed from its floor (or the usual way's) figure."""
    return any(r["queries"]["_mismatches"] for r in results.values())
