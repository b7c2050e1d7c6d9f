"""Password hashes: argon2id (argon2-cffi, the Password Hashing Competition winner); never plain text."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2-cffi's defaults (RFC 9106 low-memory profile: argon2id, 64 MiB, t=3, p=4)
PREFIX = "$argon2id$"
# checked when an account is unknown or has no hash, so that a wrong login takes as long as a wrong password
_DUMMY = _HASHER.hash("perfeval-dash: no such account")


def hash_password(password: str) -> str:
    """The argon2id hash to write into an account's `password_hash`."""
    if not password:
        raise ValueError("密码不能为空")
    return _HASHER.hash(password)


def is_hash(text: object) -> bool:
    """True when the text has the form of an argon2id hash (what `hash_password` makes)."""
    return isinstance(text, str) and text.startswith(PREFIX) and text.count("$") >= 4


def verify(password_hash: str | None, password: str) -> bool:
    """True when the password matches the hash; False otherwise (also for a missing or malformed hash)."""
    try:
        return _HASHER.verify(password_hash if is_hash(password_hash) else _DUMMY, password) and is_hash(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
