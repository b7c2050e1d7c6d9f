"""The benchmark's code path at a small scale: every page figure equals its floor and usual-way figure.

Times are not asserted (machines are shared and noisy); `python -m perfeval_dash bench` reports them.
"""

from __future__ import annotations

import duckdb
import pytest

from perfeval_dash.bench import apprun, compare, data, figures, floor, querybench, report, roles, usual
from perfeval_dash.bench.states import State, make_states
from perfeval_dash.cli import build_parser
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import connect

from fixtures import AS_OF


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> str:
    """A 1,500-evaluation demo snapshot published through the normal store, as the benchmark makes it."""
    root = tmp_path_factory.mktemp("bench")
    rec = data.generate(root, 1_500, seed=11)
    assert rec["rows"]["evaluations"] == 1_500 and rec["rows"]["problems"] > 1_500
    assert data.existing(root, 1_500, 11) is not None, "a second run reuses the snapshot"
    return str(data.scale_root(root, 1_500))


@pytest.fixture(scope="module")
def measured(small) -> dict:
    return querybench.measure(small, runs=2, usual_runs=1)


def _check_all(snap, states):
    con, t, d = duckdb.connect(), floor.tables(snap), usual.Data(snap)
    for s in states:
        for page in figures.PAGES:
            ours = figures.page(connect(snap), page, s, snap.as_of)
            assert compare.differences(dict(ours), dict(floor.page(con, t, page, s, snap.as_of))) == [], (page, s)
            assert compare.differences(dict(ours), dict(usual.page(d, page, s, snap.as_of))) == [], (page, s)


def test_page_figures_equal_floor_and_usual_on_fixture(store):
    """The hand-made fixture has every edge: unknown coverage, 部门整体, batch problems, a grade mismatch."""
    snap = store.open()
    extra = [
        State(Filters(types=("部门整体",)), "t-2024-02"),
        State(Filters(grades=("良", "差")), "t-2023-03"),
        State(Filters(depts=("教育局",), years=(2023,)), "nope"),
    ]
    _check_all(snap, make_states(connect(snap), 4) + extra)


def test_page_figures_equal_floor_and_usual_with_grade_only_rows_and_no_budget_year(tmp_path):
    """Grade-only evaluations and evaluations without a budget year, alone and beside scored ones."""
    import fixtures_disclosures as notice
    from test_disclosures import mixed_tables

    from perfeval_dash.store import Store

    store = Store(tmp_path / "data")
    for tables in (notice.disclosure_tables(), mixed_tables()):
        snap = store.publish(tables, as_of=AS_OF, made_from=["disclosures"])
        states = [
            State(Filters(), "notice-2022-06"),
            State(Filters(regions=(notice.REGION,)), "notice-2022-01"),
            State(Filters(budget_years=(2022,)), "t-2023-02"),
            State(Filters(depts=("教育局",), grades=("良",)), "t-2023-02"),
            State(Filters(years=(2022, 2023)), "t-2023-01"),
        ]
        _check_all(snap, make_states(connect(snap), 2) + states)


def test_benchmark_measures_small_scale_and_finds_no_mismatch(measured):
    q = measured
    assert q["_mismatches"] == []
    for page in figures.PAGES:
        assert q[page]["states"] == 2 and q[page]["ratio_floor"] > 0 and q[page]["ratio_usual_cold"] > 0


def test_page_runs_payload_and_report(small, measured, monkeypatch, tmp_path):
    monkeypatch.setenv("PERFEVAL_DATA_DIR", small)
    a = apprun.measure(small, runs=1)
    for page in figures.PAGES:
        assert len(a[page]["times"]) == 1 and a[page]["payload"]["total"] > 0
    assert a["overview"]["payload"]["charts"] > 0 and a["_peak_rss_mb"] > 0
    r = roles.measure(small, runs=1)
    assert r["_department"]["evaluations"] > 0
    for page in figures.PAGES:
        assert r[page]["leader"]["ratio"] > 0 and r[page]["department"]["role"] > 0
    q = measured
    results = {
        1_500: {
            "generation": {"generate_s": 0.1, "publish_s": 0.1, "peak_rss_mb": 1.0, "rows": {"evaluations": 1_500}},
            "queries": q,
            "pages": a,
            "roles": r,
            "cold_start": [1.0],
        }
    }
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nHand-written notes stay.\n")
    report.write(out, report.markdown_block(results, report.machine()))
    report.write(out, report.markdown_block(results, report.machine()))  # replaces, never duplicates
    text = out.read_text()
    assert "Hand-written notes stay." in text and text.count(report.BEGIN) == 1
    assert "| overview |" in text and "nproc" not in text and "cores" in text
    assert len(report.targets(results[1_500])) == 8 and "| overview |" in "\n".join(report.roles_section(r))
    assert "overview" in report.plain(results)


def test_bench_command_parses_scales():
    args = build_parser().parse_args(["bench", "--scales", "10000,100_000", "--quick", "--data-dir", "x"])
    assert args.scales == [10_000, 100_000] and args.quick and args.bench_data_dir == "x"
    assert args.out == "docs/benchmarks.md"


def test_history_helper_builds_successive_snapshots_and_every_figure_equals_its_floor(tmp_path, monkeypatch):
    """Successive snapshots with 1–5% of problems changed each: events recorded; all figures agree."""
    from perfeval_dash.bench import history
    from perfeval_dash.store import Store

    rec = history.build(tmp_path, 800, seed=5, steps=3)
    assert len(rec["steps"]) == 3 and rec["scratch_publish_s"] > 0
    for s in rec["steps"]:
        assert 0.01 * rec["problems"] <= s["changed"] <= 0.06 * rec["problems"] and s["events"] > 0
    store = Store(history.root(tmp_path, 800))
    snap = store.open()
    assert snap.row_count("problem_events") == sum(s["events"] for s in rec["steps"])
    con, t, d = duckdb.connect(), floor.tables(snap), usual.Data(snap)
    states = make_states(connect(snap), 5) + [State(Filters(depts=("教育局",)), "")]
    for since in [snap.base, store.lineage(snap.id)[-1].id]:
        for s in states:
            for page in figures.PAGES:
                ours = figures.page(connect(snap), page, s, snap.as_of, since)
                assert compare.differences(dict(ours), dict(floor.page(con, t, page, s, snap.as_of, since))) == []
                assert compare.differences(dict(ours), dict(usual.page(d, page, s, snap.as_of, since))) == []
    assert sum(figures.page(connect(snap), "changes", states[0], snap.as_of, snap.base)["change_counts"]["problems"])
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(store.root))  # apprun.measure points the app at the store
    text = history.markdown(
        {
            800: {
                "history": rec,
                "queries": querybench.measure(str(store.root), 1, 1),
                "pages": apprun.measure(str(store.root), 1),
                "cold_start": [1.0],
            }
        },
        report.machine(),
    )
    assert history.BEGIN in text and "÷ no history" in text and "| changes |" in text
