"""An append-only journal beside the snapshots (the audit log): one JSON object per line, never rewritten.

Each append takes an exclusive lock on the file (so two server processes, or a server and the command line,
never interleave lines), writes one whole line, flushes and fsyncs it. Each line carries `prev`, a hash of the
line before it, so a line removed or changed later breaks the chain and `read` reports where. The journal is
not part of any snapshot: it lives in the data folder (or where the `audit_log` setting points).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

FILE = "audit.jsonl"
_TAIL = 1 << 16  # bytes read back from the end to find the last line (a line is far shorter)
GENESIS = "0" * 16  # `prev` of the first line


def line_hash(line: bytes) -> str:
    """The short hash one line's successor carries as `prev`."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()[:16]


def _last_line(fd: int) -> bytes | None:
    """The file's last complete line (None for an empty file); read under the lock."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return None
    start = max(0, size - _TAIL)
    os.lseek(fd, start, os.SEEK_SET)
    tail = os.read(fd, size - start)
    lines = tail.rstrip(b"\n").split(b"\n")
    return lines[-1] if (start == 0 or len(lines) > 1) else None


def append(path: Path, record: dict) -> dict:
    """Append one record as a line (with `prev`), under an exclusive lock; flushed and fsynced. Returns it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            last = _last_line(fd)
            size = os.lseek(fd, 0, os.SEEK_END)
            os.lseek(fd, max(0, size - 1), os.SEEK_SET)
            torn = size > 0 and os.read(fd, 1) != b"\n"  # a write cut short before: start on a fresh line
            full = {**record, "prev": GENESIS if last is None else line_hash(last)}
            data = json.dumps(full, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
            os.write(fd, (b"\n" if torn else b"") + data + b"\n")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    if created:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return full


@dataclass
class Journal:
    """What `read` found: the records in file order, unreadable line numbers, and lines whose `prev` is wrong."""

    records: list[dict] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    broken: list[int] = field(default_factory=list)  # 1-based line numbers whose predecessor was changed/removed

    @property
    def intact(self) -> bool:
        return not self.unreadable and not self.broken


def read(path: Path) -> Journal:
    """Every record of the journal (a missing file is an empty journal), checking the chain of `prev` hashes."""
    out = Journal()
    if not path.exists():
        return out
    prev = GENESIS
    with open(path, "rb") as f:
        for number, line in enumerate(f, start=1):
            body = line.rstrip(b"\n")
            if not body:
                continue
            try:
                record = json.loads(body)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError:
                out.unreadable.append(number)
                prev = line_hash(body)
                continue
            if record.get("prev") != prev:
                out.broken.append(number)
            out.records.append(record)
            prev = line_hash(body)
    return out
