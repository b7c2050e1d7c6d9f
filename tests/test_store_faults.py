"""Faults while writing the store: leftovers of killed publishes are cleaned; a failed write (disk full, no
permission) is a StorageError in plain Chinese that leaves the data folder exactly as it was."""

from __future__ import annotations

import builtins
import contextlib
import errno
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import polars as pl
import pytest

from perfeval_dash.store import StorageError, Store
from perfeval_dash.store import snapshots as store_mod

from fixtures import AS_OF, fixture_tables

ROOT = Path(__file__).resolve().parent.parent
ENOSPC = OSError(errno.ENOSPC, "No space left on device")


def _dir_state(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: a byte-for-byte picture of the data folder."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _make_leftovers(store: Store) -> list[Path]:
    """A half-written snapshot folder and a pointer temp file, as a killed publish / `use` leaves them."""
    folder = store.snapshots_dir / ".tmp-x"
    folder.mkdir()
    (folder / "evaluations.parquet").write_bytes(b"PAR1 half written")
    pointer = store.root / ".CURRENT.abc.tmp"
    pointer.write_bytes(b"")
    return [folder, pointer]


# ---- 1. leftovers -----------------------------------------------------------------------------------
def test_publish_removes_leftovers_of_killed_publishes(store):
    leftovers = _make_leftovers(store)
    store.publish(fixture_tables(), as_of=AS_OF, made_from=["again"])
    assert not any(p.exists() for p in leftovers)
    assert store.leftovers() == [] and len(store.list_ids()) == 2


def test_startup_clean_removes_leftovers(store):
    leftovers = _make_leftovers(store)
    current = (store.root / "CURRENT").read_bytes()
    assert sorted(Store(store.root).clean_leftovers()) == [".CURRENT.abc.tmp", ".tmp-x"]
    assert not any(p.exists() for p in leftovers)
    assert (store.root / "CURRENT").read_bytes() == current and store.verify() == []


HOLD_LOCK = textwrap.dedent("""
    import fcntl, sys
    with open(sys.argv[1], "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        print("locked", flush=True)
        sys.stdin.read()   # hold the lock until the test closes our stdin
""")


def test_startup_clean_skips_while_another_process_holds_the_publish_lock(store):
    leftovers = _make_leftovers(store)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(store.root / store_mod.LOCK_FILE)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert Store(store.root).clean_leftovers() is None  # skipped at once, without waiting
        assert all(p.exists() for p in leftovers)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert sorted(Store(store.root).clean_leftovers()) == [".CURRENT.abc.tmp", ".tmp-x"]


def test_startup_clean_without_leftovers_writes_nothing(tmp_path):
    assert Store(tmp_path / "nowhere").clean_leftovers() == []
    assert not (tmp_path / "nowhere").exists()


# ---- 2a. every write stage failing (deterministic) --------------------------------------------------
def _fail_parquet(monkeypatch, exc):
    real = pl.DataFrame.write_parquet

    def write_parquet(self, file, *args, **kwargs):
        if Path(file).name == "problems.parquet":  # a few files in: earlier ones exist, this one is partial
            Path(file).write_bytes(b"PAR1")
            raise exc
        return real(self, file, *args, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", write_parquet)


def _fail_manifest(monkeypatch, exc):
    def dump(obj, f, **kwargs):
        f.write("{")
        raise exc

    monkeypatch.setattr(store_mod.json, "dump", dump)


def _fail_derived(monkeypatch, exc):
    def write(folder, table_path, as_of):
        (folder / "derived.duckdb").write_bytes(b"\0" * 4096)
        raise exc

    monkeypatch.setattr(store_mod.derived, "write", write)


def _fail_rename(monkeypatch, exc):
    def rename(src, dst):
        raise exc

    monkeypatch.setattr(store_mod.os, "rename", rename)


def _fail_current(monkeypatch, exc):
    """The CURRENT temp file is created, then writing it fails (the 0-byte `.CURRENT.*.tmp` of the review)."""

    def fake_open(path, *args, **kwargs):
        f = builtins.open(path, *args, **kwargs)
        if Path(path).name.startswith(".CURRENT."):
            f.close()
            raise exc
        return f

    monkeypatch.setattr(store_mod, "open", fake_open, raising=False)


STAGES = {
    "parquet": (_fail_parquet, "写入 problems.parquet"),
    "manifest": (_fail_manifest, "写入 manifest.json"),
    "derived": (_fail_derived, "写入 derived.duckdb"),
    "rename": (_fail_rename, "把新快照移入 snapshots 目录"),
    "current": (_fail_current, "写入 CURRENT"),
}


def _assert_unchanged(store: Store, before: dict[str, bytes], ids: list[str]) -> None:
    assert store.leftovers() == []
    assert not list(store.snapshots_dir.glob(".tmp-*")) and not list(store.root.glob(".CURRENT.*.tmp"))
    assert _dir_state(store.root) == before  # CURRENT and every snapshot byte-identical, nothing added
    assert store.list_ids() == ids and store.current_id() == ids[-1]
    assert store.verify() == []


@pytest.mark.parametrize("stage", list(STAGES))
def test_disk_full_at_each_publish_stage_changes_nothing(store, monkeypatch, stage):
    fail, what = STAGES[stage]
    before, ids = _dir_state(store.root), store.list_ids()
    fail(monkeypatch, ENOSPC)
    with pytest.raises(StorageError) as e:
        store.publish(fixture_tables(), as_of=AS_OF, made_from=["full disk"])
    monkeypatch.undo()
    msg = str(e.value)
    assert msg.startswith(f"发布失败：磁盘空间不足（{what}，数据目录 {store.root}）。未发布"), msg
    _assert_unchanged(store, before, ids)


def test_disk_full_while_switching_current_leaves_no_temp_file(store, monkeypatch):
    first = store.current_id()
    second = store.publish(fixture_tables(), as_of=AS_OF, made_from=["second"]).id
    before, ids = _dir_state(store.root), store.list_ids()
    _fail_current(monkeypatch, ENOSPC)
    with pytest.raises(StorageError) as e:
        store.set_current(first)
    monkeypatch.undo()
    msg = str(e.value)
    assert msg.startswith("切换当前快照失败：磁盘空间不足（写入 CURRENT，") and "当前快照保持不变" in msg, msg
    _assert_unchanged(store, before, ids)
    assert store.current_id() == second


@pytest.mark.parametrize(
    "exc, reason",
    [
        (
            pl.exceptions.ComputeError("parquet: underlying IO error: No space left on device (os error 28)"),
            "磁盘空间不足",
        ),
        (
            duckdb.IOException('IO Error: Could not write file "x/derived.duckdb": No space left on device'),
            "磁盘空间不足",
        ),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "磁盘空间不足"),
        (PermissionError(errno.EACCES, "Permission denied"), "没有写入权限"),
        (OSError(errno.EROFS, "Read-only file system"), "没有写入权限"),
        (OSError(errno.EIO, "Input/output error"), "出现 OSError 错误"),
    ],
)
def test_failed_write_reasons_in_plain_words(store, monkeypatch, exc, reason):
    before, ids = _dir_state(store.root), store.list_ids()
    _fail_derived(monkeypatch, exc)
    with pytest.raises(StorageError) as e:
        store.publish(fixture_tables(), as_of=AS_OF, made_from=["fails"])
    monkeypatch.undo()
    assert str(e.value).startswith(f"发布失败：{reason}"), str(e.value)
    assert "（写入 derived.duckdb，" in str(e.value)
    _assert_unchanged(store, before, ids)


# ---- 2b. a real full disk: a small tmpfs ----------------------------------------------------------
@contextlib.contextmanager
def _tmpfs(path: Path, size: str):
    """A tmpfs of `size` mounted at path (skips the test where mounting is not permitted); unmounted after."""
    path.mkdir()
    try:
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        pytest.skip(f"mount tmpfs not permitted here: {exc}")
    if r.returncode:
        pytest.skip(f"mount tmpfs not permitted here: {r.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False, timeout=30)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfeval_dash", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _fill(path: Path) -> None:
    """Write a file until the file system is full."""
    with contextlib.suppress(OSError), open(path, "wb", buffering=0) as f:
        while True:
            f.write(b"\0" * 65536)


def test_real_full_disk_exits_3_and_keeps_the_data_folder(tmp_path):
    # 5 MB holds the fixture snapshot (~3.5 MB, mostly derived.duckdb) but not a 20,000-evaluation one (~5.7 MB)
    with _tmpfs(tmp_path / "mnt", "5m") as mnt:
        data = mnt / "data"
        store = Store(data)
        sid = store.publish(fixture_tables(), as_of=AS_OF, made_from=["fixture"]).id
        before = _dir_state(data)
        r = _cli("--data-dir", str(data), "demo", "--evaluations", "20000")
        assert r.returncode == 3, r.stderr
        assert r.stderr.startswith("发布失败：") and "磁盘空间不足" in r.stderr and "Traceback" not in r.stderr
        assert store.leftovers() == [] and _dir_state(data) == before
        assert _cli("--data-dir", str(data), "validate").returncode == 0

        _fill(mnt / "filler")
        r = _cli("--data-dir", str(data), "use", sid)
        assert r.returncode == 3, r.stderr
        assert "切换当前快照失败" in r.stderr and "磁盘空间不足" in r.stderr and "Traceback" not in r.stderr
        assert store.leftovers() == [] and _dir_state(data) == before
        assert _cli("--data-dir", str(data), "validate").returncode == 0
