"""Immutable Parquet snapshots: list, open, publish atomically; DuckDB views over a snapshot's files."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.store import derived, schema

# id = UTC time to the millisecond + random suffix, e.g. 20261123T203048123-3f9a1c; ids sort in publish order
# (publish makes each id greater than every existing one). Ids of the first release carry whole seconds only.
SNAPSHOT_ID_RE = re.compile(r"^\d{8}T\d{6}(\d{3})?-[0-9a-f]{6}$")
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".publish.lock"
SNAPSHOTS_DIR = "snapshots"


class StoreError(Exception):
    """A store operation failed; the message is Chinese and names what failed."""


class ValidationError(StoreError):
    """Tables failed the data contract; `findings` lists every violation."""

    def __init__(self, findings: list[schema.Finding]):
        self.findings = findings
        lines = "\n".join(str(f) for f in findings[:50])
        super().__init__(f"数据未通过校验，未发布（共 {len(findings)} 项问题）：\n{lines}")


@dataclass(frozen=True)
class Snapshot:
    """One published snapshot: its folder and manifest."""

    id: str
    path: Path
    manifest: dict

    @property
    def as_of(self) -> dt.date:
        return dt.date.fromisoformat(self.manifest["as_of"])

    @property
    def created_at(self) -> str:
        return self.manifest["created_at"]

    @property
    def made_from(self) -> list[str]:
        return list(self.manifest.get("made_from", []))

    def table_path(self, name: str) -> Path:
        return self.path / self.manifest["tables"][name]["file"]

    def row_count(self, name: str) -> int:
        return int(self.manifest["tables"][name]["rows"])

    @property
    def has_synthetic(self) -> bool:
        return bool(self.manifest.get("has_synthetic", False))

    def read_table(self, name: str) -> pl.DataFrame:
        """One table of the snapshot as a polars frame."""
        return pl.read_parquet(self.table_path(name))

    def read_tables(self) -> dict[str, pl.DataFrame]:
        """All tables of the snapshot."""
        return {name: self.read_table(name) for name in schema.TABLES}


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The data folder: the argument, else the `data_dir` setting ($PERFEVAL_DATA_DIR, else the repository's data/)."""
    return Path(data_dir) if data_dir is not None else settings.DATA_DIR.value


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """The snapshot store rooted at a data folder (`snapshots/<id>/`, pointer file `CURRENT`)."""

    def __init__(self, data_dir: str | os.PathLike | None = None):
        self.root = resolve_data_dir(data_dir)
        self.snapshots_dir = self.root / SNAPSHOTS_DIR

    # ---- reading -------------------------------------------------------------------------
    def list_ids(self) -> list[str]:
        """Ids of all published snapshots, oldest first (ids sort in publish order)."""
        if not self.snapshots_dir.is_dir():
            return []
        return sorted(p.name for p in self.snapshots_dir.iterdir()
                      if SNAPSHOT_ID_RE.match(p.name) and (p / "manifest.json").is_file())

    def list(self) -> list[Snapshot]:
        """All published snapshots, oldest first."""
        return [self.open(i) for i in self.list_ids()]

    def current_id(self) -> str | None:
        """Id named by the CURRENT pointer, or None when nothing is published."""
        try:
            sid = (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return sid if self.exists(sid) else None

    def exists(self, snapshot_id: str) -> bool:
        """True when the id is well-formed and names a published snapshot."""
        return bool(SNAPSHOT_ID_RE.match(snapshot_id or "")) and \
            (self.snapshots_dir / snapshot_id / "manifest.json").is_file()

    def open(self, snapshot_id: str | None = None) -> Snapshot:
        """A snapshot by id (default: the current one); StoreError if there is none such."""
        sid = snapshot_id or self.current_id()
        if sid is None:
            raise StoreError(f"数据目录 {self.root} 中还没有已发布的快照")
        if not self.exists(sid):
            raise StoreError(f"快照 {sid} 不存在")
        path = self.snapshots_dir / sid
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        return Snapshot(sid, path, manifest)

    # ---- publishing ----------------------------------------------------------------------
    def publish(self, tables: dict[str, pl.DataFrame], as_of: dt.date, made_from: list[str],
                note: str = "", make_current: bool = True, _fail_after: str | None = None) -> Snapshot:
        """Validate, write a complete new snapshot under a temporary name, rename it in, then move CURRENT.

        `_fail_after` simulates a crash for tests: "write", "rename" (snapshot in place, CURRENT untouched).
        """
        conformed = {name: schema.conform(name, tables[name]) if name in tables else schema.empty_table(name)
                     for name in schema.TABLES}
        findings = schema.errors(schema.validate(conformed))
        if findings:
            raise ValidationError(findings)
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        with self._publish_lock():
            return self._publish_locked(conformed, as_of, made_from, note, make_current, _fail_after)

    @contextlib.contextmanager
    def _publish_lock(self):
        """One publish at a time per data folder, across threads and processes (an advisory file lock)."""
        with open(self.root / LOCK_FILE, "a+b") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _new_id(self) -> tuple[str, dt.datetime]:
        """An id greater than every existing one: UTC time in milliseconds, or 1 ms after the newest id."""
        t = dt.datetime.now(dt.timezone.utc)
        now = t.replace(microsecond=t.microsecond // 1000 * 1000)
        last = max(self.list_ids(), default=None)
        if last is not None:
            stamp = last.split("-")[0]
            last_time = dt.datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(
                tzinfo=dt.timezone.utc) + dt.timedelta(milliseconds=int(stamp[15:] or 0))
            now = max(now, last_time + dt.timedelta(milliseconds=1))
        return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}-{uuid.uuid4().hex[:6]}", now

    def _publish_locked(self, conformed: dict[str, pl.DataFrame], as_of: dt.date, made_from: list[str], note: str,
                        make_current: bool, _fail_after: str | None) -> Snapshot:
        sid, now = self._new_id()
        tmp = self.snapshots_dir / f".tmp-{sid}"
        tmp.mkdir()
        try:
            manifest = {
                "id": sid, "schema_version": schema.SCHEMA_VERSION,
                "created_at": now.isoformat(timespec="milliseconds"), "as_of": as_of.isoformat(),
                "made_from": list(made_from), "note": note,
                "has_synthetic": any(bool(df["synthetic"].any()) for df in conformed.values()
                                     if "synthetic" in df.columns and df.height),
                "tables": {},
            }
            for name, df in conformed.items():
                file = f"{name}.parquet"
                df.write_parquet(tmp / file, statistics=True)
                manifest["tables"][name] = {"file": file, "rows": df.height, "sha256": _sha256(tmp / file)}
            with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
                json.dump(manifest, f, ensure_ascii=False, indent=2)
                f.flush()
                os.fsync(f.fileno())
            derived.write(tmp, lambda name: tmp / manifest["tables"][name]["file"], as_of)
            for file in tmp.iterdir():
                with open(file, "rb") as f:
                    os.fsync(f.fileno())
            _fsync_dir(tmp)
            if _fail_after == "write":
                raise StoreError("模拟中断：写入后")
            os.rename(tmp, self.snapshots_dir / sid)
            _fsync_dir(self.snapshots_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if _fail_after == "rename":
            raise StoreError("模拟中断：快照已就位，CURRENT 未更新")
        if make_current:
            self.set_current(sid)
        return self.open(sid)

    def set_current(self, snapshot_id: str) -> None:
        """Point CURRENT at a published snapshot, atomically (write temp file, fsync, os.replace)."""
        if not self.exists(snapshot_id):
            raise StoreError(f"快照 {snapshot_id} 不存在")
        tmp = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(snapshot_id + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.root / CURRENT_FILE)
        _fsync_dir(self.root)

    def clean_temp(self) -> list[str]:
        """Remove leftovers of interrupted publishes; the names removed."""
        removed = []
        if self.snapshots_dir.is_dir():
            for p in self.snapshots_dir.iterdir():
                if p.name.startswith(".tmp-"):
                    shutil.rmtree(p, ignore_errors=True)
                    removed.append(p.name)
        return removed

    def verify(self, snapshot_id: str | None = None) -> list[str]:
        """Problems with a published snapshot: hashes, row counts, contract (empty = sound)."""
        snap = self.open(snapshot_id)
        problems = []
        for name, meta in snap.manifest["tables"].items():
            path = snap.path / meta["file"]
            if not path.is_file():
                problems.append(f"{name}: 文件 {meta['file']} 缺失")
                continue
            if _sha256(path) != meta["sha256"]:
                problems.append(f"{name}: 内容哈希与清单不符")
        if not problems:
            tables = snap.read_tables()
            for name, df in tables.items():
                if df.height != snap.row_count(name):
                    problems.append(f"{name}: 行数 {df.height} 与清单 {snap.row_count(name)} 不符")
            problems += [str(f) for f in schema.errors(schema.validate(tables))]
        return problems


# ---- DuckDB over a snapshot ----------------------------------------------------------------
_BASES: dict[Path, duckdb.DuckDBPyConnection] = {}
_BASES_LOCK = threading.Lock()


def reset_connections() -> None:
    """Forget the per-snapshot databases this process keeps (the next `connect` starts cold)."""
    with _BASES_LOCK:
        _BASES.clear()


def connect(snapshot: Snapshot) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB connection (own cursor, safe for the calling thread) with one view per table.

    The views live in one in-memory database per snapshot; each call returns a new cursor on it, so
    no connection object is ever shared between threads. Paths come from the store, never from users.
    The derived tables (derived.py) written at publish time are attached read-only; where that file is
    missing they are built in memory on the first call for the snapshot.
    """
    with _BASES_LOCK:
        base = _BASES.get(snapshot.path)
        if base is None:
            base = duckdb.connect(":memory:")
            derived.parquet_views(base, snapshot.table_path)
            if not derived.attach(base, snapshot.path, snapshot.as_of):
                derived.build(base, snapshot.as_of)
            _BASES[snapshot.path] = base
        return base.cursor()
