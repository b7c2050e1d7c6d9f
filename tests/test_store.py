import threading

import polars as pl
import pytest

from perfeval_dash import settings
from perfeval_dash.store import Store, StoreError, ValidationError, schema
from perfeval_dash.store import snapshots as store_mod

from fixtures import AS_OF, fixture_tables


def _dir_state(root):
    """Every file under root with its bytes: a byte-for-byte picture of the data folder."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_publish_and_reopen(store):
    snap = store.open()
    assert store.list_ids() == [snap.id]
    assert snap.as_of == AS_OF
    assert snap.row_count("evaluations") == 5
    assert snap.read_table("evaluations")["eval_id"].to_list()[0] == "t-2023-01"
    assert store.verify() == []
    con = store_mod.connect(snap)
    assert con.execute("select count(*) from problems").fetchone()[0] == 4


def test_refused_snapshot_names_table_row_column(store):
    before = _dir_state(store.root)
    tables = fixture_tables()
    tables["evaluations"] = tables["evaluations"].with_columns(
        pl.when(pl.col("eval_id") == "t-2023-03").then(101.0).otherwise(pl.col("score")).alias("score")
    )
    with pytest.raises(ValidationError) as e:
        store.publish(tables, as_of=AS_OF, made_from=["bad"])
    msg = str(e.value)
    assert "表「评价结果」" in msg and "第 3 行" in msg and "列「评价得分」" in msg and "101" in msg  # in Chinese only
    assert _dir_state(store.root) == before


@pytest.mark.parametrize(
    "mutate, where",
    [
        (lambda t: t | {"problems": t["problems"].with_columns(status=pl.lit("处理中"))}, ("problems", "status")),
        (
            lambda t: t | {"evaluations": pl.concat([t["evaluations"], t["evaluations"].head(1)])},
            ("evaluations", "eval_id"),
        ),
        (
            lambda t: t | {"dimension_scores": t["dimension_scores"].with_columns(eval_id=pl.lit("nope"))},
            ("dimension_scores", "eval_id"),
        ),
        (
            lambda t: t | {"dept_budgets": t["dept_budgets"].with_columns(project_budget_wan=pl.lit(-1.0))},
            ("dept_budgets", "project_budget_wan"),
        ),
        (
            lambda t: t | {"evaluations": t["evaluations"].with_columns(region=pl.lit(None, pl.String))},
            ("evaluations", "region"),
        ),
    ],
)
def test_contract_checks(mutate, where):
    findings = schema.errors(schema.validate(mutate(fixture_tables())))
    assert any(f.table == where[0] and where[1] in (f.column or "") and f.row for f in findings), findings


@pytest.mark.parametrize("stage", ["write", "rename"])
def test_interrupted_publish_keeps_previous_current(store, stage):
    first = store.current_id()
    before = _dir_state(store.root / "snapshots" / first)
    tables = fixture_tables()
    with pytest.raises(StoreError):
        store.publish(tables, as_of=AS_OF, made_from=["crash"], _fail_after=stage)
    assert store.current_id() == first
    assert _dir_state(store.root / "snapshots" / first) == before
    assert store.verify(first) == []
    assert not list((store.root / "snapshots").glob(".tmp-*"))


def test_readers_keep_reading_while_publishing(store):
    errors, counts = [], []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                snap = Store(store.root).open()
                con = store_mod.connect(snap)
                counts.append(con.execute("select count(*) from evaluations").fetchone()[0])
            except Exception as exc:  # noqa: BLE001 - any failure is what we count
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    tables = fixture_tables()
    for i in range(5):
        bigger = tables | {"evaluations": tables["evaluations"].with_columns(pl.col("eval_id") + f"-{i}")}
        bigger["dimension_scores"] = bigger["dimension_scores"].with_columns(pl.col("eval_id") + f"-{i}")
        bigger["problems"] = bigger["problems"].with_columns(pl.col("eval_id") + f"-{i}")
        store.publish(bigger, as_of=AS_OF, made_from=[f"round {i}"])
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    assert counts and set(counts) == {5}
    assert len(store.list_ids()) == 6


def test_unknown_snapshot_is_refused(store):
    assert not store.exists("../../etc")
    with pytest.raises(StoreError):
        store.open("20990101T000000-abcdef")


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.DATA_DIR.env, str(tmp_path / "elsewhere"))
    assert Store().root == tmp_path / "elsewhere"
    assert Store().current_id() is None


def test_derived_tables_written_at_publish_and_equal_when_built_in_memory(store, tmp_path):
    """derived.duckdb is a cache beside the Parquet files: attached when present, rebuilt in memory when not."""
    import shutil

    from perfeval_dash.queries import coverage, problems
    from perfeval_dash.queries.filters import Filters
    from perfeval_dash.store import derived

    snap = store.open()
    assert (snap.path / derived.FILE).is_file() and derived.FILE not in str(snap.manifest)
    attached = store_mod.connect(snap)
    assert attached.execute("select count(*) from duckdb_databases() where database_name = 'derived'").fetchall()[0][0]
    copy = Store(tmp_path / "copy")
    shutil.copytree(store.root, copy.root)
    (copy.snapshots_dir / snap.id / derived.FILE).unlink()
    built = store_mod.connect(copy.open(snap.id))
    assert not built.execute("select count(*) from duckdb_databases() where database_name = 'derived'").fetchall()[0][0]
    for fn in (
        lambda c: coverage.by_department(c, Filters(), 0.2),
        lambda c: problems.by_department(c, Filters(), AS_OF),
    ):
        assert fn(attached).equals(fn(built))
    assert copy.verify(snap.id) == []


def test_outdated_derived_file_is_not_used(store, monkeypatch):
    """A derived.duckdb written by other code is ignored and the tables are built in memory instead."""
    from perfeval_dash.store import derived

    snap = store.open()
    monkeypatch.setattr(derived, "VERSION", "something-else")
    store_mod.reset_connections()
    con = store_mod.connect(snap)
    assert not con.execute("select count(*) from duckdb_databases() where database_name = 'derived'").fetchall()[0][0]
    assert con.execute("select count(*) from eval_facts").fetchall()[0][0] == 5
    store_mod.reset_connections()


def test_twenty_publishes_in_a_tight_loop_list_in_publish_order(store, monkeypatch):
    """Ids made within one second (or one millisecond) still sort in publish order, so "newer" is right."""
    frozen = store_mod.dt.datetime(2026, 11, 23, 12, 0, 0, 500_000, tzinfo=store_mod.dt.timezone.utc)

    class Clock(store_mod.dt.datetime):
        @classmethod
        def now(cls, tz=None):  # every publish sees the same instant: ids must still increase
            return frozen

    published = [store.current_id()]
    monkeypatch.setattr(store_mod.dt, "datetime", Clock)
    for i in range(20):
        published.append(store.publish(fixture_tables(), as_of=AS_OF, made_from=[f"loop {i}"]).id)
    assert store.list_ids() == published
    assert [s.manifest["made_from"] for s in store.list()[1:]] == [[f"loop {i}"] for i in range(20)]
    assert store.current_id() == published[-1]


def test_ids_of_the_first_release_sort_before_later_ids_of_the_same_second():
    old, new = "20261122T133317-ffffff", "20261122T133317000-000000"
    assert store_mod.SNAPSHOT_ID_RE.match(old) and store_mod.SNAPSHOT_ID_RE.match(new)
    assert sorted([new, old]) == [old, new]


def test_a_snapshot_written_under_an_older_contract_still_reads(store):
    """The contract grows, snapshots never change: a missing column reads as null, a missing table as empty."""
    import json

    snap = store.open()
    ev = pl.read_parquet(snap.table_path("evaluations")).drop("recommendations", "unit")
    ev.write_parquet(snap.table_path("evaluations"))  # as if written before these columns existed
    manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
    del manifest["tables"]["dimension_scores"]  # as if written before this table existed
    (snap.path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (snap.path / "derived.duckdb").unlink()
    store_mod.reset_connections()
    old = store.open(snap.id)
    assert old.read_table("evaluations")["unit"].null_count() == 5
    assert old.read_table("dimension_scores").height == 0 and old.row_count("dimension_scores") == 0
    con = store_mod.connect(old)
    assert con.sql("SELECT count(*), count(unit) FROM evaluations").fetchall() == [(5, 0)]
    assert con.sql("SELECT count(*) FROM dimension_scores").fetchall() == [(0,)]
    assert con.sql("SELECT sum(evaluations) FROM eval_cube").fetchall() == [(5,)]
