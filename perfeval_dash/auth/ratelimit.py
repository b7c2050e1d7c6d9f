"""Failed logins, counted per account and per client address over a sliding window (this server process).

After `login_max_failures` failures for one account (or `login_max_failures_per_address` from one address)
within `login_window` seconds, further tries are refused without checking the password until the oldest
counted failure leaves the window. The counts live in the server process (two processes behind a proxy each
count their own); every failure and refusal is also in the audit log.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from perfeval_dash import settings

_FAILURES: dict[str, deque[float]] = {}
_LOCK = threading.Lock()


def _keys(login: str, address: str | None) -> list[tuple[str, int]]:
    keys = [(f"login:{login.strip().lower()}", settings.LOGIN_MAX_FAILURES.value)]
    if address:
        keys.append((f"address:{address}", settings.LOGIN_MAX_FAILURES_PER_ADDRESS.value))
    return keys


def _recent(key: str, now: float) -> deque[float]:
    q = _FAILURES.setdefault(key, deque())
    while q and q[0] <= now - settings.LOGIN_WINDOW.value:
        q.popleft()
    return q


def wait_seconds(login: str, address: str | None, now: float | None = None) -> float:
    """0 when a login may be tried now; else seconds until the account (or address) may try again."""
    now = time.monotonic() if now is None else now
    with _LOCK:
        waits = [
            q[len(q) - limit] + settings.LOGIN_WINDOW.value - now
            for key, limit in _keys(login, address)
            if len(q := _recent(key, now)) >= limit
        ]
    return max([0.0, *waits])


def failed(login: str, address: str | None, now: float | None = None) -> None:
    """Count one failed login for the account and the address."""
    now = time.monotonic() if now is None else now
    with _LOCK:
        for key, _ in _keys(login, address):
            _recent(key, now).append(now)


def succeeded(login: str) -> None:
    """A successful login clears the account's count (the address keeps its own)."""
    with _LOCK:
        _FAILURES.pop(f"login:{login.strip().lower()}", None)


def reset() -> None:
    """Forget every count (tests)."""
    with _LOCK:
        _FAILURES.clear()
