"""Built-in logins that last across reloads and tabs: a signed, expiring token kept in a browser cookie.

The token names the login, an expiry, a random id and a fingerprint of the account's password hash, signed with
HMAC-SHA256 under the `session_secret` setting (else Streamlit's `server.cookieSecret`, random per server start
unless configured). It is never put in a link. It stops working when it expires, when the account is removed or
its password hash changes, when the secret changes, or (in this process) when the person logs out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time

from perfeval_dash import settings

COOKIE = "perfeval_login"
_REVOKED: set[str] = set()
_LOCK = threading.Lock()


def _secret() -> bytes:
    configured = settings.SESSION_SECRET.value
    if not configured:
        from streamlit import config

        configured = config.get_option("server.cookieSecret")
    return str(configured).encode("utf-8")


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode("utf-8")).hexdigest()[:16]


def _sign(body: str) -> str:
    return hmac.new(_secret(), body.encode("ascii"), hashlib.sha256).hexdigest()


def issue(login: str, password_hash: str | None, now: float | None = None) -> str:
    """A token for this login, valid for `login_hours` (characters: A–Z a–z 0–9 - _ . only)."""
    now = time.time() if now is None else now
    claims = {
        "l": login,
        "e": int(now + settings.LOGIN_HOURS.value * 3600),
        "n": secrets.token_hex(8),
        "p": _fingerprint(password_hash),
    }
    body = base64.urlsafe_b64encode(json.dumps(claims, separators=(",", ":")).encode("utf-8")).decode("ascii")
    return f"{body.rstrip('=')}.{_sign(body.rstrip('='))}"


def login_of(token: str | None, password_hash_of, now: float | None = None) -> str | None:
    """The login a token proves, or None (bad signature, expired, revoked, account gone or password changed).

    `password_hash_of(login)` gives the account's current hash, or raises KeyError when there is no such account.
    """
    if not token or token.count(".") != 1 or len(token) > 2048:
        return None
    body, signature = token.split(".")
    if not hmac.compare_digest(signature, _sign(body)):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        login, expiry, nonce, fingerprint = claims["l"], claims["e"], claims["n"], claims["p"]
    except (ValueError, KeyError, TypeError):
        return None
    with _LOCK:
        if nonce in _REVOKED:
            return None
    if expiry < (time.time() if now is None else now):
        return None
    try:
        current = password_hash_of(login)
    except KeyError:
        return None
    return login if hmac.compare_digest(fingerprint, _fingerprint(current)) else None


def revoke(token: str | None) -> None:
    """Refuse this token from now on in this process (logout)."""
    if not token or token.count(".") != 1:
        return
    try:
        body = token.split(".")[0]
        nonce = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["n"]
    except (ValueError, KeyError, TypeError):
        return
    with _LOCK:
        _REVOKED.add(str(nonce))


def set_cookie_script(token: str) -> str:
    """HTML that stores the token in this browser (SameSite=Strict; Secure on https)."""
    age = int(settings.LOGIN_HOURS.value * 3600)
    return _script(f"{COOKIE}={token}; path=/; max-age={age}; SameSite=Strict")


def clear_cookie_script() -> str:
    """HTML that removes the token from this browser."""
    return _script(f"{COOKIE}=; path=/; max-age=0; SameSite=Strict")


def _script(cookie: str) -> str:
    assert all(c.isalnum() or c in "=;-_. /" for c in cookie)  # built by code from the token's safe alphabet
    return f"<script>document.cookie = '{cookie}' + (location.protocol === 'https:' ? '; Secure' : '');</script>"
