"""History kept with the data: events recorded at publish, original deadlines, figures on each as-of date."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from perfeval_dash.domain.scope import ALL
from perfeval_dash.ingest import importer, template
from perfeval_dash.queries import changes, detail, followup
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Store, StoreError, connect, history
from perfeval_dash.store import snapshots as store_mod

from fixtures import AS_OF, fixture_tables
from followup_fixture import AS_OF_A, AS_OF_B, AS_OF_C, EVIDENCE, REASON, publish_three, state_a, state_b

D = dt.date
EVENT_COLS = ["problem_id", "kind", "old_value", "new_value", "actor", "note", "source", "effective_date"]


@pytest.fixture
def three(tmp_path) -> tuple[Store, tuple[str, str, str]]:
    store = Store(tmp_path / "data")
    return store, publish_three(store)


def events_of(store: Store, sid: str) -> list[tuple]:
    return store.open(sid).read_table("problem_events").select(EVENT_COLS).rows()


def test_three_snapshots_record_exactly_the_changes(three):
    store, (a, b, c) = three
    assert events_of(store, a) == [], "the first snapshot is the starting point: nothing to compare with"
    expected_b = [
        ("p1", "状态变化", "已整改", "整改中", "李四", None, "B.xlsx", AS_OF_B),
        ("p1", "完成日期变化", "2024-05-01", None, "李四", None, "B.xlsx", AS_OF_B),
        ("p3", "状态变化", "未整改", "整改中", "李四", None, "B.xlsx", AS_OF_B),
        ("p3", "期限调整", "2025-12-31", "2026-06-30", "李四", REASON, "B.xlsx", AS_OF_B),
    ]
    assert events_of(store, b) == expected_b
    expected_c = expected_b + [
        ("p3", "状态变化", "整改中", "已整改", None, EVIDENCE, "C.xlsx", AS_OF_C),
        ("p3", "完成日期变化", None, "2026-08-15", None, None, "C.xlsx", AS_OF_C),
    ]
    assert events_of(store, c) == expected_c, "events are carried forward whole and new ones appended"
    ids = store.open(c).read_table("problem_events")["snapshot_id"].to_list()
    assert ids == [b] * 4 + [c] * 2
    assert [store.open(s).manifest["events"] for s in (a, b, c)] == [0, 4, 2]
    assert (store.open(b).base, store.open(c).base) == (a, b)
    assert [s.id for s in store.lineage(c)] == [b, a]
    assert store.verify(c) == []


def test_original_deadline_is_first_seen_and_kept_only_where_it_differs(three):
    store, (a, b, c) = three
    for sid in (b, c):
        pr = store.open(sid).read_table("problems").select("problem_id", "due_date", "original_due_date")
        assert pr.rows() == [
            ("p1", D(2024, 6, 30), None),
            ("p2", D(2025, 3, 31), None),
            ("p3", D(2026, 6, 30), D(2025, 12, 31)),
            ("p4", None, None),
        ]


def test_overdue_on_each_as_of_date_against_current_and_original_deadlines(three):
    store, ids = three
    got = {}
    for sid in ids:
        snap = store.open(sid)
        got[sid] = followup.summary(connect(snap), Filters(), snap.as_of)
    a, b, c = (got[s] for s in ids)
    keys = ("tracked", "done", "open", "due_cur", "overdue_cur", "due_orig", "overdue_orig")
    assert [a[k] for k in keys] == [3, 1, 2, 2, 1, 2, 1]
    assert [b[k] for k in keys] == [3, 0, 3, 2, 2, 3, 3]  # p3 overdue only against its original deadline
    assert [c[k] for k in keys] == [3, 1, 2, 3, 2, 3, 2]
    assert (a["rate_cur"], b["rate_orig"], c["rate_cur"]) == (0.5, 0.0, pytest.approx(1 / 3))
    assert [(x["revised"], x["pushes"], x["reopened"]) for x in (a, b, c)] == [(0, 0, 0), (1, 1, 1), (1, 1, 1)]
    # ageing: every open problem is from the 2023 report (published 2023-07-01): more than a year on each date
    assert [x["open_over_year"] for x in (a, b, c)] == [2, 3, 2] and a["open_age_unknown"] == 0
    assert followup.ageing(a)["overdue_cur"].to_list() == [0, 0, 1, 0, 0, None]  # p2: 91 days overdue
    assert followup.ageing(b)["overdue_cur"].to_list()[:5] == [0, 0, 0, 1, 1]  # p2 306 days, p1 580 days
    assert followup.ageing(b)["overdue_orig"].to_list()[:5] == [0, 1, 0, 1, 1]  # p3 31 days past 2025-12-31
    assert followup.ageing(c)["overdue_cur"].to_list()[:5] == [0, 0, 0, 0, 2]


def test_revision_counts_and_timeline_per_problem(three):
    store, (a, b, c) = three
    con = connect(store.open(c))
    dl = followup.deadlines(con, detail.evaluation(con, "t-2023-03", ALL)).row(0, named=True)
    assert (dl["original_due"], dl["due_date"], dl["pushes"], dl["deadline_changes"]) == (
        D(2025, 12, 31),
        D(2026, 6, 30),
        1,
        1,
    )
    assert followup.deadlines(con, detail.evaluation(con, "t-2023-01", ALL))["reopens"].to_list() == [1]
    tl = followup.timeline(con, detail.evaluation(con, "t-2023-03", ALL))
    assert tl.select("kind", "old_value", "new_value", "actor").rows() == [
        ("状态变化", "未整改", "整改中", "李四"),
        ("期限调整", "2025-12-31", "2026-06-30", "李四"),
        ("状态变化", "整改中", "已整改", "未记录"),
        ("完成日期变化", None, "2026-08-15", "未记录"),
    ]
    old = connect(store.open(b))
    pinned = followup.timeline(old, detail.evaluation(old, "t-2023-03", ALL))
    assert pinned.height == 2, "a pinned link shows the history as it stood"
    rev, total = followup.revised(con, Filters(), AS_OF_C)
    assert total == 2 and rev.select("problem_id", "pushes", "reopens").rows() == [("p3", 1, 0), ("p1", 0, 1)]
    depts, _ = followup.by_department(con, Filters(), AS_OF_C)
    row = depts.filter(pl.col("department") == "民政局").row(0, named=True)
    assert (row["revised"], row["pushes"]) == (1, 1)


def test_changes_between_snapshots_are_net(three):
    store, (a, b, c) = three
    con = connect(store.open(c))
    counts = dict(changes.counts(con, Filters(), a).select("change", "problems").rows())
    assert counts == {
        "新发现": 0,
        "完成整改": 1,
        "重新打开": 1,
        "期限推迟": 1,
        "期限提前": 0,
        "责任单位变化": 0,
        "移除": 0,
    }
    since_b = dict(changes.counts(con, Filters(), b).select("change", "problems").rows())
    assert since_b["完成整改"] == 1 and since_b["期限推迟"] == 0 and since_b["重新打开"] == 0
    rows, total = changes.changes(con, Filters(), a)
    assert total == 3
    assert rows.select("change", "problem_id", "old_value", "new_value").rows() == [
        ("完成整改", "p3", "未整改", "已整改"),
        ("重新打开", "p1", "已整改", "整改中"),
        ("期限推迟", "p3", "2025-12-31", "2026-06-30"),
    ]
    only_civil = dict(changes.counts(con, Filters(depts=("民政局",)), a).select("change", "problems").rows())
    assert only_civil["重新打开"] == 0 and only_civil["完成整改"] == 1, "filterable like every page"


def test_found_removed_and_undone_changes(tmp_path):
    store = Store(tmp_path / "data")
    a = store.publish(state_a(), as_of=AS_OF_A, made_from=["A"]).id
    t = state_a()
    new = t["problems"].filter(pl.col("problem_id") == "p2").with_columns(problem_id=pl.lit("p9"))
    t["problems"] = pl.concat([t["problems"].filter(pl.col("problem_id") != "p3"), new])
    b = store.publish(t, as_of=AS_OF_B, made_from=["B"]).id
    assert [(e[0], e[1]) for e in events_of(store, b)] == [("p3", "移除"), ("p9", "新发现")]
    c = store.publish(state_a(), as_of=AS_OF_C, made_from=["C"]).id  # p3 back, p9 gone
    counts = dict(changes.counts(connect(store.open(c)), Filters(), a).select("change", "problems").rows())
    assert set(counts.values()) == {0}, "removed then found again, found then removed: no net change"
    removed = changes.changes(connect(store.open(b)), Filters(), a)[0]
    assert removed.select("change", "problem_id", "eval_id").rows() == [
        ("新发现", "p9", "t-2023-02"),
        ("移除", "p3", "t-2023-03"),
    ]
    assert store.open(c).read_table("problems").filter(pl.col("problem_id") == "p3")["original_due_date"].item() is None


def test_republishing_unchanged_problems_records_nothing(store):
    before = store.open().read_table("problem_events").height
    snap = store.publish(fixture_tables(), as_of=AS_OF, made_from=["again"])
    assert snap.manifest["events"] == 0 and snap.read_table("problem_events").height == before


def test_reimporting_an_unchanged_file_records_no_event(store):
    data = template.export_workbook(store.open().read_tables())
    first = importer.publish_import(store, importer.load_import(store, data, "整改台账.xlsx"), AS_OF)
    again = importer.publish_import(store, importer.load_import(store, data, "整改台账.xlsx"), AS_OF)
    assert first.manifest["events"] == 0 and again.manifest["events"] == 0
    assert again.read_table("problem_events").height == 0


def _edit(tables: dict, problem_id: str, **values) -> dict:
    pr = tables["problems"].with_columns(
        pl.when(pl.col("problem_id") == problem_id).then(pl.lit(v)).otherwise(pl.col(k)).alias(k)
        for k, v in values.items()
    )
    return tables | {"problems": pr}


def _history(store: Store) -> list[tuple]:
    ev = store.open().read_table("problem_events")
    return sorted(ev.select("problem_id", "kind", "old_value", "new_value").rows())


def test_import_order_does_not_change_history(tmp_path):
    """Two imports touching different problems, in either order: the same events, the same final problems."""
    results = []
    for order in ((("p2", "已整改"), ("p3", "整改中")), (("p3", "整改中"), ("p2", "已整改"))):
        store = Store(tmp_path / f"order-{order[0][0]}")
        store.publish(fixture_tables(), as_of=AS_OF, made_from=["base"])
        for problem_id, status in order:
            tables = _edit(store.open().read_tables(), problem_id, status=status)
            data = template.export_workbook(tables)
            importer.publish_import(store, importer.load_import(store, data, f"{problem_id}.xlsx"), AS_OF)
        results.append((_history(store), store.open().read_table("problems").sort("problem_id").rows()))
    assert results[0] == results[1]
    assert results[0][0] == [("p2", "状态变化", "整改中", "已整改"), ("p3", "状态变化", "未整改", "整改中")]


def test_same_second_publishes_keep_every_change_in_order(store, monkeypatch):
    frozen = store_mod.dt.datetime(2026, 11, 23, 12, 0, 0, 500_000, tzinfo=store_mod.dt.timezone.utc)

    class Clock(store_mod.dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    monkeypatch.setattr(store_mod.dt, "datetime", Clock)
    one = store.publish(_edit(fixture_tables(), "p2", status="已整改"), as_of=AS_OF, made_from=["1"])
    two = store.publish(
        _edit(_edit(fixture_tables(), "p2", status="已整改"), "p3", status="整改中"), as_of=AS_OF, made_from=["2"]
    )
    ev = two.read_table("problem_events").select("snapshot_id", "problem_id", "new_value").rows()
    assert ev == [(one.id, "p2", "已整改"), (two.id, "p3", "整改中")], "the second compares with the first"
    assert one.id < two.id and two.base == one.id


def test_a_publish_refuses_when_the_current_snapshot_moved(store):
    base = store.current_id()
    store.publish(_edit(fixture_tables(), "p2", status="已整改"), as_of=AS_OF, made_from=["other"])
    before = store.list_ids()
    with pytest.raises(StoreError, match="当前快照已变"):
        store.publish(
            _edit(fixture_tables(), "p3", status="整改中"), as_of=AS_OF, made_from=["late"], expect_current=base
        )
    assert store.list_ids() == before


def test_events_are_a_pure_function_of_two_problem_tables():
    a, b = state_a()["problems"], state_b()["problems"]
    pub = history.Publication("S", AS_OF_B, "f.xlsx", None, {("p3", "期限调整"): REASON})
    ev = history.events(a, b, pub)
    assert ev["kind"].to_list() == ["状态变化", "完成日期变化", "状态变化", "期限调整"]
    assert ev.filter(pl.col("kind") == "期限调整")["note"].item() == REASON
    assert history.events(a, a, pub).height == 0
    assert history.events(None, a, pub).height == 0
    orig = history.original_deadlines(a, b).to_list()
    assert orig == [None, None, D(2025, 12, 31), None]


def test_a_new_line_of_history_compares_with_nothing(three):
    store, (a, b, c) = three
    snap = store.publish(state_a(), as_of=AS_OF_A, made_from=["fresh"], start_history=True)
    assert snap.base is None and snap.manifest["events"] == 0
    assert snap.read_table("problem_events").height == 0, "a new line carries no earlier history"
    assert store.lineage(snap.id) == []
    again = store.publish(state_b(), as_of=AS_OF_B, made_from=["next"])
    assert again.base == snap.id and again.manifest["events"] == 4
