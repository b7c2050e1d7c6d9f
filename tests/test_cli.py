"""The command line: every subcommand has --help; errors go to stderr with a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from perfeval_dash.cli import commands as cli
from perfeval_dash.store import Store, bundled, schema

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfeval_dash", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_every_subcommand_has_help(capsys):
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        with pytest.raises(SystemExit) as e:
            cli.main([name, "--help"])
        assert e.value.code == 0
        assert "usage:" in capsys.readouterr().out


def test_demo_list_current_validate_use(tmp_path, capsys):
    d = str(tmp_path / "data")
    assert cli.main(["--data-dir", d, "demo", "--seed", "3", "--evaluations", "40"]) == 0
    first = Store(d).current_id()
    assert cli.main(["--data-dir", d, "demo", "--seed", "4", "--evaluations", "20", "--with-real"]) == 0
    second = Store(d).current_id()
    assert first != second
    capsys.readouterr()
    assert cli.main(["--data-dir", d, "list"]) == 0
    listing = capsys.readouterr().out
    assert first in listing and f"* {second}" in listing
    assert cli.main(["--data-dir", d, "current", "--json"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert manifest["id"] == second and manifest["tables"]["evaluations"]["rows"] == 20 + 11
    assert cli.main(["--data-dir", d, "validate", first]) == 0
    assert cli.main(["--data-dir", d, "use", first]) == 0
    assert Store(d).current_id() == first
    snap = Store(d).open(first)
    assert snap.read_table("evaluations")["synthetic"].all()


def test_errors_go_to_stderr_with_nonzero_exit(tmp_path):
    r = run("--data-dir", str(tmp_path / "none"), "current")
    assert r.returncode != 0 and "没有已发布的快照" in r.stderr and r.stdout == ""
    r = run("--data-dir", str(tmp_path / "none"), "use", "20990101T000000-abcdef")
    assert r.returncode != 0 and "不存在" in r.stderr


def test_validate_detects_a_tampered_snapshot(tmp_path, capsys):
    d = tmp_path / "data"
    assert cli.main(["--data-dir", str(d), "demo", "--evaluations", "10"]) == 0
    snap = Store(d).open()
    df = snap.read_table("evaluations").with_columns(score=pl.lit(1.0))
    df.write_parquet(snap.table_path("evaluations"))
    capsys.readouterr()
    assert cli.main(["--data-dir", str(d), "validate"]) == 1
    assert "哈希" in capsys.readouterr().err


def test_bundled_snapshot_is_the_real_records_plus_demo_set():
    """The committed data/ equals what `bundle` builds: rebuild it when seed.py or demo.py change."""
    store = Store(ROOT / "data")
    assert store.verify() == []
    snap = store.open()
    expected = bundled.bundled_tables()
    for name, table in schema.TABLES.items():
        kept = [c.name for c in table.columns if c.kept]  # the store's own columns (original deadlines)
        got = snap.read_table(name).drop(kept)
        assert got.equals(schema.conform(name, expected[name]).drop(kept)), f"{name}: rebuild with `bundle`"
    # the bundle is published after two earlier states of the demo rows, so it carries follow-up history
    assert snap.row_count("problem_events") > 0 and snap.base in store.list_ids()
    events = snap.read_table("problem_events")
    assert not events.filter(~pl.col("synthetic")).height, "real records never change: no events for them"
    ev = snap.read_table("evaluations")
    real, fake = ev.filter(~pl.col("synthetic")), ev.filter(pl.col("synthetic"))
    assert real.height == 11 and set(real["region"]) == {"洛阳市西工区", "特克斯县"}
    assert fake.height > 0 and all("模拟" in r for r in fake["region"].unique())
    assert snap.has_synthetic
    assert sum(snap.table_path(n).stat().st_size for n in schema.TABLES) < 2_000_000  # committed files only


def test_help_documents_exit_codes(capsys):
    for args in ([], ["demo"], ["use"], ["bundle"]):
        with pytest.raises(SystemExit):
            cli.main([*args, "--help"])
        assert "3 存储错误" in capsys.readouterr().out, args
    assert (cli.EXIT_OK, cli.EXIT_ERRORS, cli.EXIT_REFUSED, cli.EXIT_STORAGE) == (0, 1, 2, 3)


def test_storage_errors_exit_3_in_chinese_without_traceback(tmp_path, capsys, monkeypatch):
    import builtins
    import errno

    from perfeval_dash.store import snapshots as store_mod

    d = str(tmp_path / "data")
    assert cli.main(["--data-dir", d, "demo", "--evaluations", "10"]) == 0
    first = Store(d).current_id()
    capsys.readouterr()

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    assert cli.main(["--data-dir", d, "demo", "--evaluations", "10"]) == cli.EXIT_STORAGE
    err = capsys.readouterr().err
    assert err.startswith("发布失败：磁盘空间不足（写入 evaluations.parquet，") and "Traceback" not in err

    def read_only(path, *args, **kwargs):
        if Path(path).name.startswith(".CURRENT."):
            raise PermissionError(errno.EACCES, "Permission denied")
        return builtins.open(path, *args, **kwargs)

    monkeypatch.setattr(store_mod, "open", read_only, raising=False)
    assert cli.main(["--data-dir", d, "use", first]) == cli.EXIT_STORAGE
    assert capsys.readouterr().err.startswith("切换当前快照失败：没有写入权限（写入 CURRENT，")
    assert Store(d).list_ids() == [first] and Store(d).current_id() == first and Store(d).leftovers() == []


def test_writing_commands_clean_leftovers_first_reading_ones_do_not(tmp_path):
    d = tmp_path / "data"
    assert cli.main(["--data-dir", str(d), "demo", "--evaluations", "10"]) == 0
    sid = Store(d).current_id()
    (d / "snapshots" / ".tmp-killed").mkdir()
    (d / ".CURRENT.killed.tmp").write_text("")
    for args in (["list"], ["current"], ["validate"]):
        assert cli.main(["--data-dir", str(d), *args]) == 0
    assert len(Store(d).leftovers()) == 2
    assert cli.main(["--data-dir", str(d), "use", sid]) == 0
    assert Store(d).leftovers() == []
