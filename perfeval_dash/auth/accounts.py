"""Accounts: who may log in, with which roles and scope — from `.streamlit/secrets.toml` or the file it names.

```toml
# .streamlit/secrets.toml (or the file PERFEVAL_ACCOUNTS_FILE names; same tables)
[accounts.wang]                       # the login (for OIDC: the identity's e-mail, e.g. [accounts."wang@x.gov.cn"])
name = "王科长"                        # shown on screen and in the audit log
roles = ["部门"]                       # 领导 / 部门 / 编辑 (or leader / department / editor); several allowed
regions = ["特克斯县"]                 # 部门 only: the regions and departments it may read (both apply together)
departments = ["教育局", "民政局"]
password_hash = "$argon2id$v=19$..."  # built-in login only: `python -m perfeval_dash hash-password`
```

No accounts anywhere = open mode (everyone reads everything, as before). A mistake in the accounts never opens
the app: `load` raises AccountsError and the gate shows it instead of any data.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from perfeval_dash import settings
from perfeval_dash.auth import passwords
from perfeval_dash.auth.roles import BY_WORD, DEPARTMENT, ROLES, Role
from perfeval_dash.domain.scope import ALL, Scope

SECTION = "accounts"
PASSWORD, OIDC = "password", "oidc"
_KEYS = {"name", "roles", "regions", "departments", "password_hash"}
_ROLE_WORDS = "、".join(f"{r.name}（{r.alias}）" for r in ROLES)


class AccountsError(Exception):
    """The accounts cannot be used as declared; the message says where and what, in Chinese."""


@dataclass(frozen=True)
class User:
    """The person of a session: login, name, roles and the scope they read. `open_mode`: no accounts exist."""

    login: str
    name: str
    roles: tuple[Role, ...] = ()
    regions: tuple[str, ...] | None = None
    departments: tuple[str, ...] | None = None
    open_mode: bool = False

    @property
    def scope(self) -> Scope:
        """What this person may read: everything for 领导 / 编辑 (and in open mode), else their listed scope."""
        if self.open_mode or any(r.reads_all for r in self.roles):
            return ALL
        return Scope(self.regions, self.departments)

    @property
    def can_edit(self) -> bool:
        """May import, publish and update follow-ups: the 编辑 role; in open mode, the `editor` setting."""
        return settings.EDITOR.value if self.open_mode else any(r.edits for r in self.roles)

    def describe(self) -> str:
        """ "王科长（部门 · 查看范围：特克斯县 · 教育局）"; the open mode says so."""
        if self.open_mode:
            return "未登录（未配置账户，开放模式）"
        roles = "、".join(r.name for r in self.roles)
        scope = self.scope.describe()
        return f"{self.name}（{roles}{' · ' + scope if scope else ''}）"


OPEN_USER = User(login="", name="开放模式", open_mode=True)


@dataclass(frozen=True)
class Account:
    """One declared account: the user it logs in as and its password hash (None: no built-in login)."""

    user: User
    password_hash: str | None = None


@dataclass(frozen=True)
class Accounts:
    """Every account, the login mode, and where they were declared."""

    by_login: dict[str, Account] = field(default_factory=dict)  # keys lower-cased
    mode: str = PASSWORD
    source: str = ""

    @property
    def open(self) -> bool:
        """True when no account is declared: the app runs open, as before accounts existed."""
        return not self.by_login

    def find(self, login: str | None) -> Account | None:
        """The account of a login (case-insensitive, surrounding spaces ignored); None when there is none."""
        return self.by_login.get((login or "").strip().lower())


def _secrets() -> Mapping:
    """The parsed secrets (st.secrets), {} when there is no secrets file; AccountsError when one cannot be read."""
    import streamlit as st
    from streamlit import config

    if st.secrets.load_if_toml_exists():
        return st.secrets
    unreadable = [p for p in config.get_option("secrets.files") if Path(p).is_file()]
    if unreadable:  # Streamlit treats a file it cannot parse as absent: never let that open the app
        raise AccountsError(f"无法读取 {unreadable[0]}（TOML 格式有误？）")
    return {}


def _plain(value):
    """Secrets' AttrDicts as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_FILE_CACHE: dict[tuple, dict] = {}


def _read_file(path: Path) -> dict:
    """The accounts file's tables (cached while the file is unchanged)."""
    try:
        stat = path.stat()
    except OSError as exc:
        env = settings.ACCOUNTS_FILE.env
        raise AccountsError(f"账户文件 {path} 无法读取（{env} 指向的文件不存在或无权限）") from exc
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _FILE_CACHE:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AccountsError(f"账户文件 {path} 无法解析：{exc}") from exc
        _FILE_CACHE.clear()
        _FILE_CACHE[key] = data
    return _FILE_CACHE[key]


def load() -> Accounts:
    """The accounts in force (file named by the `accounts_file` setting, else secrets.toml), checked."""
    secrets = _secrets()
    # the setting (environment), or the same key at the top of secrets.toml (Streamlit exports those to the
    # environment when it first parses the file; read it here too, for secrets given otherwise, e.g. in tests)
    configured = settings.ACCOUNTS_FILE.value or str(secrets.get(settings.ACCOUNTS_FILE.env, "") or "")
    if configured:
        path = Path(configured)
        raw, source = _read_file(path).get(SECTION, {}), str(path)
    else:
        raw, source = _plain(secrets.get(SECTION, {})), "secrets.toml"
    if not isinstance(raw, dict):
        raise AccountsError(f"{source}：[{SECTION}] 应为表（每个账户一个 [{SECTION}.登录名]）")
    by_login: dict[str, Account] = {}
    for login, entry in raw.items():
        account = parse_account(str(login), entry, source)
        key = account.user.login.lower()
        if key in by_login:
            raise AccountsError(f"{source}：账户「{login}」重复（登录名不区分大小写）")
        by_login[key] = account
    return Accounts(by_login, _mode(secrets, source), source)


def _mode(secrets: Mapping, source: str) -> str:
    mode = str(settings.AUTH_MODE.value).strip().lower()
    if mode == "auto":
        return OIDC if secrets.get("auth") else PASSWORD
    if mode not in (PASSWORD, OIDC):
        raise AccountsError(f"{settings.AUTH_MODE.env} 应为 auto、{PASSWORD} 或 {OIDC}，收到「{mode}」")
    if mode == OIDC and not secrets.get("auth"):
        raise AccountsError("登录方式为 oidc，但 secrets.toml 中没有 [auth] 设置（身份提供方）")
    return mode


def _names(entry: dict, key: str, where: str) -> tuple[str, ...] | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise AccountsError(f'{where}：{key} 应为非空文字的列表，如 {key} = ["教育局"]')
    return tuple(v.strip() for v in value)


def parse_account(login: str, entry: object, source: str) -> Account:
    """One `[accounts.<login>]` table, checked: roles known, 部门 with a scope, a hash (never a password)."""
    where = f"{source}：账户「{login}」"
    if not login.strip():
        raise AccountsError(f"{source}：登录名不能为空")
    if not isinstance(entry, dict):
        raise AccountsError(f"{where} 应为表（[{SECTION}.{login}]）")
    if "password" in entry:
        raise AccountsError(
            f"{where} 写了明文密码（password）：请删除，改用 `python -m perfeval_dash hash-password` 生成的散列值，"
            "写入 password_hash"
        )
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise AccountsError(f"{where} 有未知的设置项 {', '.join(unknown)}（可用：{', '.join(sorted(_KEYS))}）")
    words = entry.get("roles")
    if isinstance(words, str):
        words = [words]
    if not isinstance(words, list) or not words:
        raise AccountsError(f"{where} 缺少 roles（可用：{_ROLE_WORDS}）")
    roles = []
    for w in words:
        role = BY_WORD.get(str(w).strip())
        if role is None:
            raise AccountsError(f"{where} 的角色「{w}」未知（可用：{_ROLE_WORDS}）")
        if role not in roles:
            roles.append(role)
    regions, departments = _names(entry, "regions", where), _names(entry, "departments", where)
    if DEPARTMENT in roles and regions is None and departments is None:
        raise AccountsError(f"{where} 的角色为「{DEPARTMENT.name}」，但没有列出 regions 或 departments（可查看的范围）")
    password_hash = entry.get("password_hash")
    if password_hash is not None and not passwords.is_hash(password_hash):
        raise AccountsError(
            f"{where} 的 password_hash 不是 argon2id 散列值：请用 `python -m perfeval_dash hash-password` 生成"
        )
    name = entry.get("name") or login
    if not isinstance(name, str):
        raise AccountsError(f"{where} 的 name 应为文字")
    user = User(login.strip(), name.strip(), tuple(roles), regions, departments)
    return Account(user, password_hash)
