"""The command line's writes in the audit log, with the operating-system user as the actor."""

from __future__ import annotations

import sys

from perfeval_dash.auth import audit
from perfeval_dash.store import Store


def record(store: Store, action: str, snapshot: str | None = None, **detail) -> None:
    """Append one event for this command; if the log cannot be written, say so on stderr (the write stands)."""
    try:
        audit.record(store, audit.Actor.cli(), action, snapshot, **detail)
    except audit.AuditError as exc:
        print(f"警告：{exc}：本次操作未能记入审计日志。", file=sys.stderr)
