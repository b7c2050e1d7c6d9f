"""Immutable Parquet snapshots: list, open, publish atomically; DuckDB views over a snapshot's files."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from perfeval_dash import settings
from perfeval_dash.store import derived, history, journal, schema

# id = UTC time to the millisecond + random suffix, e.g. 20261123T203048123-3f9a1c; ids sort in publish order
# (publish makes each id greater than every existing one). Ids of the first release carry whole seconds only.
SNAPSHOT_ID_RE = re.compile(r"^\d{8}T\d{6}(\d{3})?-[0-9a-f]{6}$")
CURRENT_FILE = "CURRENT"
LOCK_FILE = ".publish.lock"
SNAPSHOTS_DIR = "snapshots"
TEMP_PREFIX = ".tmp-"  # snapshots/.tmp-<id>: a snapshot being written; left behind only by a killed publish

# Failures of a write: OS errors, and polars / duckdb errors (which carry the OS error in their text only).
WRITE_ERRORS = (OSError, pl.exceptions.PolarsError, duckdb.Error)
NO_SPACE = (
    {errno.ENOSPC, errno.EDQUOT},
    ("no space left", "enospc", "os error 28", "disk quota exceeded", "os error 122"),
)
NO_PERMISSION = (
    {errno.EACCES, errno.EROFS, errno.EPERM},
    ("permission denied", "read-only file system", "os error 13", "os error 30"),
)
# (what failed, what happened to the data) for a StorageError, per operation
PUBLISHING = ("发布失败", "未发布：当前快照和已有快照均保持不变。")
UNCHECKED = object()  # publish(expect_current=UNCHECKED): publish on top of whatever is current
SWITCHING = ("切换当前快照失败", "当前快照保持不变。")


class StoreError(Exception):
    """A store operation failed; the message is Chinese and names what failed."""


class ValidationError(StoreError):
    """Tables failed the data contract; `findings` lists every violation."""

    def __init__(self, findings: list[schema.Finding]):
        self.findings = findings
        lines = "\n".join(str(f) for f in findings[:50])
        super().__init__(f"数据未通过校验，未发布（共 {len(findings)} 项问题）：\n{lines}")


class StorageError(StoreError):
    """Writing to the data folder failed (disk full, no permission, …); the message says what and why in Chinese."""


def _matches(exc: BaseException, kind: tuple[set[int], tuple[str, ...]]) -> bool:
    """True when the error's errno, or its text (polars, duckdb), names this kind of failure."""
    codes, texts = kind
    return getattr(exc, "errno", None) in codes or any(t in str(exc).lower() for t in texts)


def write_failure(exc: BaseException) -> tuple[str, str]:
    """(reason, advice) in plain Chinese words for a failed write."""
    if _matches(exc, NO_SPACE):
        return "磁盘空间不足", "请释放磁盘空间后重试。"
    if _matches(exc, NO_PERMISSION):
        return "没有写入权限", "请检查数据目录的写入权限。"
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"出现 {type(exc).__name__} 错误" + (f"「{detail}」" if detail else ""), ""


@dataclass(frozen=True)
class Publication:
    """Who publishes (None = 未记录) and the notes to attach to events, per (problem_id, event kind)."""

    actor: str | None = None
    notes: dict[tuple[str, str], str] = field(default_factory=dict)


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

    def table_path(self, name: str) -> Path | None:
        """The table's Parquet file; None when the snapshot predates the table (it then reads as empty)."""
        meta = self.manifest["tables"].get(name)
        return None if meta is None else self.path / meta["file"]

    def row_count(self, name: str) -> int:
        """Rows of a table as recorded in the manifest (0 for a table the snapshot predates)."""
        return int(self.manifest["tables"].get(name, {"rows": 0})["rows"])

    @property
    def has_synthetic(self) -> bool:
        return bool(self.manifest.get("has_synthetic", False))

    def read_table(self, name: str, columns: tuple[str, ...] | None = None) -> pl.DataFrame:
        """One table of the snapshot in today's contract form (a column or table the snapshot lacks is null/empty).

        With `columns`, only those columns (read from the file where it has them)."""
        path = self.table_path(name)
        if path is None:
            df = schema.empty_table(name)
        elif columns is None:
            df = pl.read_parquet(path)
        else:
            present = set(pl.read_parquet_schema(path))
            df = pl.read_parquet(path, columns=[c for c in columns if c in present])
        df = schema.conform(name, df)
        return df if columns is None else df.select(columns)

    def read_tables(self) -> dict[str, pl.DataFrame]:
        """All tables users supply (schema.TABLES); the store's own tables (problem_events) by read_table."""
        return {name: self.read_table(name) for name in schema.TABLES}

    @property
    def base(self) -> str | None:
        """The snapshot that was current when this one was published (its events are changes since that one)."""
        return self.manifest.get("base")


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

    @property
    def audit_path(self) -> Path:
        """The audit log (store/journal.py): the `audit_log` setting, else audit.jsonl in the data folder."""
        configured = settings.AUDIT_LOG.value
        return Path(configured) if configured else self.root / journal.FILE

    # ---- reading -------------------------------------------------------------------------
    def list_ids(self) -> list[str]:
        """Ids of all published snapshots, oldest first (ids sort in publish order)."""
        if not self.snapshots_dir.is_dir():
            return []
        return sorted(
            p.name
            for p in self.snapshots_dir.iterdir()
            if SNAPSHOT_ID_RE.match(p.name) and (p / "manifest.json").is_file()
        )

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
        return (
            bool(SNAPSHOT_ID_RE.match(snapshot_id or ""))
            and (self.snapshots_dir / snapshot_id / "manifest.json").is_file()
        )

    def lineage(self, snapshot_id: str) -> list[Snapshot]:
        """The snapshots a snapshot was published on top of, newest first (each one's `base`, while it exists).

        Its problem_events hold every change since the oldest of them; a snapshot published before history was
        recorded ends the line."""
        out, seen = [], {snapshot_id}
        base = self.open(snapshot_id).base
        while base and base not in seen and self.exists(base):
            seen.add(base)
            snap = self.open(base)
            out.append(snap)
            base = snap.base
        return out

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
    def publish(
        self,
        tables: dict[str, pl.DataFrame],
        as_of: dt.date,
        made_from: list[str],
        note: str = "",
        make_current: bool = True,
        _fail_after: str | None = None,
        actor: str | None = None,
        event_notes: dict[tuple[str, str], str] | None = None,
        expect_current: object = UNCHECKED,
        start_history: bool = False,
    ) -> Snapshot:
        """Validate, write a complete new snapshot under a temporary name, rename it in, then move CURRENT.

        Under the publish lock, the problems are compared with the snapshot current at that moment and every change
        is appended to problem_events (history.py), by `actor` (None = 未记录) with `event_notes` per (problem_id,
        kind). `expect_current` (a snapshot id, or None for an empty store) refuses the publish when the current
        snapshot moved since the caller read it. `start_history` starts a new line of history instead (no
        comparison, no events: e.g. the bundled data or a demo set replacing everything). Tables the store keeps
        itself are never taken from `tables`.
        A failed write raises StorageError and leaves the data folder as it was (CURRENT, every snapshot).
        `_fail_after` simulates a crash for tests: "write", "rename" (snapshot in place, CURRENT untouched).
        """
        conformed = {
            name: schema.conform(name, tables[name]) if name in tables else schema.empty_table(name)
            for name in schema.TABLES
        }
        findings = schema.errors(schema.validate(conformed))
        if findings:
            raise ValidationError(findings)
        with self._writing("创建快照目录", PUBLISHING):
            self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        with self._publish_lock(PUBLISHING):
            self._remove_leftovers()  # no live publish can own them while we hold the lock
            base = self.current_id()
            if expect_current is not UNCHECKED and base != expect_current:
                raise StoreError("数据已被更新（当前快照已变），未发布；请重新载入后再发布")
            who = Publication(actor, event_notes or {})
            history_base = None if start_history else base
            return self._publish_locked(conformed, as_of, made_from, note, make_current, _fail_after, history_base, who)

    @contextlib.contextmanager
    def _writing(self, what: str, during: tuple[str, str]):
        """Turn a write failure (OS, polars, duckdb) inside the block into a StorageError naming `what`."""
        try:
            yield
        except WRITE_ERRORS as exc:
            reason, advice = write_failure(exc)
            failed, outcome = during
            raise StorageError(f"{failed}：{reason}（{what}，数据目录 {self.root}）。{outcome}{advice}") from exc

    @contextlib.contextmanager
    def _publish_lock(self, during: tuple[str, str] = PUBLISHING, wait: bool = True):
        """One publish at a time per data folder, across threads and processes (an advisory file lock).

        Yields True once the lock is held; with `wait` off, yields False at once when another holder has it.
        """
        with self._writing(f"打开锁文件 {LOCK_FILE}", during):
            f = open(self.root / LOCK_FILE, "a+b")
        with f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)

    def _new_id(self) -> tuple[str, dt.datetime]:
        """An id greater than every existing one: UTC time in milliseconds, or 1 ms after the newest id."""
        t = dt.datetime.now(dt.UTC)
        now = t.replace(microsecond=t.microsecond // 1000 * 1000)
        last = max(self.list_ids(), default=None)
        if last is not None:
            stamp = last.split("-")[0]
            last_time = dt.datetime.strptime(stamp[:15], "%Y%m%dT%H%M%S").replace(tzinfo=dt.UTC) + dt.timedelta(
                milliseconds=int(stamp[15:] or 0)
            )
            now = max(now, last_time + dt.timedelta(milliseconds=1))
        return f"{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}-{uuid.uuid4().hex[:6]}", now

    def _with_history(
        self, conformed: dict[str, pl.DataFrame], base: str | None, pub: history.Publication
    ) -> tuple[dict[str, pl.DataFrame], int]:
        """The tables with problem history recorded against snapshot `base` (None: none), and how many new events."""
        previous = None
        if base is not None:
            snap = self.open(base)
            previous = {
                "problems": snap.read_table("problems", history.COLUMNS),
                history.EVENTS: snap.read_table(history.EVENTS),
            }
        tables, new_events = history.record(previous, conformed, pub)
        findings = schema.errors(schema.check_table(history.EVENTS, new_events))
        if findings:
            raise ValidationError(findings)
        return tables, new_events.height

    def _publish_locked(
        self,
        conformed: dict[str, pl.DataFrame],
        as_of: dt.date,
        made_from: list[str],
        note: str,
        make_current: bool,
        _fail_after: str | None,
        base: str | None = None,
        who: Publication | None = None,
    ) -> Snapshot:
        """Write, fsync and rename in the new snapshot, then move CURRENT; on any failure undo all of it."""
        sid, now = self._new_id()
        who = who or Publication()
        pub = history.Publication(sid, as_of, made_from[-1] if made_from else note, who.actor, who.notes)
        tables, n_events = self._with_history(conformed, base, pub)
        manifest = self._manifest(sid, now, tables, as_of, made_from, note) | {
            "base": base,
            "events": n_events,
            "actor": who.actor,
        }
        tmp, final = self.snapshots_dir / f"{TEMP_PREFIX}{sid}", self.snapshots_dir / sid
        with self._writing("创建临时目录", PUBLISHING):
            tmp.mkdir()
        try:
            self._write_snapshot(tmp, manifest, tables, as_of)
            if _fail_after == "write":
                raise StoreError("模拟中断：写入后")
            with self._writing("把新快照移入 snapshots 目录", PUBLISHING):
                os.rename(tmp, final)
                try:
                    _fsync_dir(self.snapshots_dir)
                except BaseException:
                    self._discard(final)
                    raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if _fail_after == "rename":
            raise StoreError("模拟中断：快照已就位，CURRENT 未更新")
        if make_current:
            try:
                self._set_current_locked(sid, PUBLISHING)
            except BaseException:
                if self._pointer() != sid:  # CURRENT not moved: the publish did not happen
                    self._discard(final)
                raise
        return self.open(sid)

    @staticmethod
    def _manifest(
        sid: str, now: dt.datetime, conformed: dict[str, pl.DataFrame], as_of: dt.date, made_from: list[str], note: str
    ) -> dict:
        """The manifest of a new snapshot, without its tables (filled in as they are written)."""
        return {
            "id": sid,
            "schema_version": schema.SCHEMA_VERSION,
            "created_at": now.isoformat(timespec="milliseconds"),
            "as_of": as_of.isoformat(),
            "made_from": list(made_from),
            "note": note,
            "has_synthetic": any(
                bool(df["synthetic"].any()) for df in conformed.values() if "synthetic" in df.columns and df.height
            ),
            "tables": {},
        }

    def _write_snapshot(self, tmp: Path, manifest: dict, conformed: dict[str, pl.DataFrame], as_of: dt.date) -> None:
        """Parquet files, manifest.json and derived.duckdb into `tmp`, all fsynced; StorageError on a failed write."""
        for name, df in conformed.items():
            file = f"{name}.parquet"
            with self._writing(f"写入 {file}", PUBLISHING):
                df.write_parquet(tmp / file, statistics=True)
                manifest["tables"][name] = {"file": file, "rows": df.height, "sha256": _sha256(tmp / file)}
        with self._writing("写入 manifest.json", PUBLISHING):
            with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
                json.dump(manifest, f, ensure_ascii=False, indent=2)
                f.flush()
                os.fsync(f.fileno())
        with self._writing(f"写入 {derived.FILE}", PUBLISHING):
            derived.write(tmp, lambda name: tmp / manifest["tables"][name]["file"], as_of)
        with self._writing("同步新快照的文件到磁盘", PUBLISHING):
            for file in tmp.iterdir():
                with open(file, "rb") as f:
                    os.fsync(f.fileno())
            _fsync_dir(tmp)

    def _discard(self, final: Path) -> None:
        """Take a snapshot folder out of the listing (back to a temporary name) and delete it."""
        tmp = final.with_name(f"{TEMP_PREFIX}{final.name}")
        try:
            os.rename(final, tmp)
        except OSError:
            tmp = final
        shutil.rmtree(tmp, ignore_errors=True)

    def _pointer(self) -> str | None:
        """The id the CURRENT file names, as written (None when there is no readable CURRENT)."""
        try:
            return (self.root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return None

    def set_current(self, snapshot_id: str) -> None:
        """Point CURRENT at a published snapshot, atomically; StorageError (CURRENT unchanged) when writing fails."""
        if not self.exists(snapshot_id):
            raise StoreError(f"快照 {snapshot_id} 不存在")
        with self._publish_lock(SWITCHING):  # pointer moves and publishes do not interleave
            self._set_current_locked(snapshot_id, SWITCHING)

    def _set_current_locked(self, snapshot_id: str, during: tuple[str, str]) -> None:
        """Write a temp file, fsync, os.replace it over CURRENT; the temp file never outlives a failure."""
        tmp = self.root / f".{CURRENT_FILE}.{uuid.uuid4().hex}.tmp"
        try:
            with self._writing(f"写入 {CURRENT_FILE}", during):
                with open(tmp, "w", encoding="utf-8") as f:
                    f.write(snapshot_id + "\n")
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.root / CURRENT_FILE)
        except BaseException:
            with contextlib.suppress(OSError):  # the write's own error is the one to report
                tmp.unlink(missing_ok=True)
            raise
        with self._writing("同步数据目录", (during[0], f"{CURRENT_FILE} 已指向 {snapshot_id}，但未能确认已写入磁盘。")):
            _fsync_dir(self.root)

    # ---- leftovers of interrupted publishes ----------------------------------------------
    def leftovers(self) -> list[Path]:
        """Temp folders (`snapshots/.tmp-*`) and pointer files (`.CURRENT.*.tmp`) of interrupted writes."""
        found = []
        if self.snapshots_dir.is_dir():
            found += [p for p in self.snapshots_dir.iterdir() if p.name.startswith(TEMP_PREFIX)]
        if self.root.is_dir():
            found += [
                p for p in self.root.iterdir() if p.name.startswith(f".{CURRENT_FILE}.") and p.name.endswith(".tmp")
            ]
        return sorted(found)

    def clean_leftovers(self) -> list[str] | None:
        """Start-up clean: remove leftovers unless a publish holds the lock; the names removed, None when skipped.

        Never waits and never raises: a running publish, a read-only folder or an unopenable lock file skip it.
        """
        try:
            if not self.leftovers():
                return []  # nothing to do: do not even create the lock file
            with self._publish_lock(wait=False) as locked:
                return self._remove_leftovers() if locked else None
        except (OSError, StoreError):
            return None

    def _remove_leftovers(self) -> list[str]:
        """Remove every leftover; only while holding the publish lock (then no live write owns one)."""
        removed = []
        for p in self.leftovers():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    p.unlink()
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
            kept = {name: snap.read_table(name) for name in schema.KEPT_TABLES}
            for name, df in (tables | kept).items():
                if df.height != snap.row_count(name):
                    problems.append(f"{name}: 行数 {df.height} 与清单 {snap.row_count(name)} 不符")
            problems += [str(f) for f in schema.errors(schema.validate(tables))]
            for name, df in kept.items():
                problems += [str(f) for f in schema.errors(schema.check_table(name, df))]
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
