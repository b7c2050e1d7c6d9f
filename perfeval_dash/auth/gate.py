"""The login gate: the frame's first call on every run; returns who is logged in, or draws the login and stops.

No page ever runs for someone who is not logged in (ui/frame.frame calls `require_login` before anything else).

- No accounts declared: open mode, as before accounts existed (`OPEN_USER`: reads everything; edits only with
  the `editor` setting).
- Built-in accounts (`password` mode): a login form; the password is checked against its argon2id hash; failed
  logins are rate-limited (ratelimit.py). The login then lasts in this browser (a signed, expiring cookie,
  sessions.py) across reloads and tabs; a link carries no credential, whoever opens it logs in as themselves.
- OIDC (`oidc` mode): Streamlit's `st.login` against the identity provider in secrets' `[auth]`; the identity's
  e-mail (else its subject) must be a declared account, whose roles and scope then apply.
Every login, failed login, refusal and logout is written to the audit log; if it cannot be written, nobody is
logged in.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import streamlit as st

from perfeval_dash import settings
from perfeval_dash.auth import audit, passwords, ratelimit, sessions
from perfeval_dash.auth.accounts import OIDC, OPEN_USER, Accounts, AccountsError, User, load
from perfeval_dash.store import Store

SESSION_LOGIN = "_perfeval_login"  # the login of this session (built-in accounts); tests set it to act as one
_RECORDED = "_perfeval_login_recorded"  # the OIDC identity whose login this session has recorded
_NEW_TOKEN = "_perfeval_new_token"  # a login token still to be stored in the browser's cookie
MAX_LOGIN_CHARS = 100


def _address() -> str | None:
    try:
        return st.context.ip_address
    except (AttributeError, RuntimeError):
        return None


def _actor(user: User) -> audit.Actor:
    return audit.Actor(user.login, user.name, "web", _address())


def require_login(store: Store, app_title: str, md: Callable[[object], str]) -> User:
    """The person using this session; while nobody is logged in, draw the login and stop the script run.

    `md` escapes text for Markdown (ui.fmt.md): identities and names come from outside the code.
    """
    try:
        accounts = load()
    except AccountsError as exc:
        st.title(app_title)
        st.error("账户配置有误，看板暂停提供数据。请管理员修改后重新加载本页：", icon=":material/lock:")
        st.code(str(exc), language=None, wrap_lines=True)
        st.stop()
    if accounts.open:
        return OPEN_USER
    if accounts.mode == OIDC:
        user = _oidc_user(accounts, store, app_title, md)
        if user is None:
            _login_form_oidc(app_title)
            st.stop()
    else:
        user = _session_user(accounts)
        if user is None:
            _login_form(accounts, store, app_title)
            st.stop()
    if _account_box(user, accounts, store, md):  # logged out just now
        st.html(sessions.clear_cookie_script(), unsafe_allow_javascript=True, width="content")
        _login_form(accounts, store, app_title)
        st.stop()
    return user


# ---- built-in accounts -----------------------------------------------------------------------------
def _cookie() -> str | None:
    try:
        return st.context.cookies.get(sessions.COOKIE)
    except (AttributeError, RuntimeError):
        return None


def _hash_of(accounts: Accounts, login: str) -> str | None:
    account = accounts.find(login)
    if account is None:
        raise KeyError(login)
    return account.password_hash


def _session_user(accounts: Accounts) -> User | None:
    """The account this session (or this browser's login cookie) logged in as, as declared now.

    Removed accounts take effect at once; a changed password ends the logins made with the old one.
    """
    login = st.session_state.get(SESSION_LOGIN)
    if login is None:
        login = sessions.login_of(_cookie(), lambda name: _hash_of(accounts, name))
    account = accounts.find(login)
    if account is None:
        st.session_state.pop(SESSION_LOGIN, None)
        return None
    st.session_state[SESSION_LOGIN] = account.user.login
    return account.user


def _login_form(accounts: Accounts, store: Store, app_title: str) -> None:
    st.title(f"登录 · {app_title}")
    st.caption("请用管理员分配的账户登录；链接中的筛选条件在登录后保留，显示的内容以您的账户权限为准。")
    with st.form("perfeval_login", clear_on_submit=True, width=420):
        login = st.text_input("用户名", key="_login_user", max_chars=MAX_LOGIN_CHARS)
        password = st.text_input("密码", type="password", key="_login_password", max_chars=200)
        submitted = st.form_submit_button("登录", type="primary")
    if submitted:
        _attempt(accounts, store, login.strip(), password)


def _attempt(accounts: Accounts, store: Store, login: str, password: str) -> None:
    """Check one login; on success remember it in the session and rerun; every outcome is audited."""
    address = _address()
    actor = audit.Actor(login=login[:MAX_LOGIN_CHARS] or "（空）", via="web", address=address)
    try:
        wait = ratelimit.wait_seconds(login, address)
        if wait > 0:
            audit.record(store, actor, "login_refused", wait_seconds=math.ceil(wait))
            st.error(f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试。", icon=":material/timer:")
            return
        account = accounts.find(login)
        if not passwords.verify(account.password_hash if account else None, password):
            ratelimit.failed(login, address)
            audit.record(store, actor, "login_failed", known_account=account is not None)
            st.error("用户名或密码不正确。", icon=":material/error:")
            return
        audit.record(store, _actor(account.user), "login", mode="password")
    except audit.AuditError as exc:
        st.error(f"暂时不能登录：{exc}。请联系管理员。", icon=":material/error:")
        return
    ratelimit.succeeded(login)
    st.session_state[SESSION_LOGIN] = account.user.login
    st.session_state[_NEW_TOKEN] = sessions.issue(account.user.login, account.password_hash)
    st.rerun()


# ---- OIDC (st.login) -----------------------------------------------------------------------------
def _identity() -> str:
    info = st.user.to_dict()
    return str(info.get("email") or info.get("sub") or "")


def _oidc_user(accounts: Accounts, store: Store, app_title: str, md: Callable[[object], str]) -> User | None:
    """The declared account of the identity st.user holds; None (login button drawn by the caller) when none."""
    if not st.user.is_logged_in:
        return None
    identity = _identity()
    account = accounts.find(identity)
    actor = audit.Actor(identity[:MAX_LOGIN_CHARS] or "（无标识）", str(st.user.get("name") or ""), "web", _address())
    if account is None:
        try:
            if st.session_state.get(_RECORDED) != ("denied", identity):
                audit.record(store, actor, "login_denied", mode="oidc")
                st.session_state[_RECORDED] = ("denied", identity)
        except audit.AuditError:
            pass  # nothing is shown either way
        st.title(f"无权访问 · {app_title}")
        st.error(f"您的身份「{md(identity)}」尚未获授权查看本看板。请联系管理员在账户配置中添加。")
        if st.button("退出登录", key="_oidc_logout_denied"):
            st.logout()
        st.stop()
    if st.session_state.get(_RECORDED) != ("login", identity):
        try:
            audit.record(store, _actor(account.user), "login", mode="oidc")
        except audit.AuditError as exc:
            st.error(f"暂时不能登录：{exc}。请联系管理员。", icon=":material/error:")
            st.stop()
        st.session_state[_RECORDED] = ("login", identity)
    return account.user


def _login_form_oidc(app_title: str) -> None:
    st.title(f"登录 · {app_title}")
    st.caption("请通过单位统一身份认证登录；登录后显示的内容以您的账户权限为准。")
    if st.button("使用统一身份认证登录", type="primary", key="_oidc_login"):
        st.login(settings.OIDC_PROVIDER.value or None)


# ---- the sidebar box and logout ---------------------------------------------------------------------
def _account_box(user: User, accounts: Accounts, store: Store, md: Callable[[object], str]) -> bool:
    """Who is logged in and a logout button, in the sidebar; True when the person has just logged out."""
    token = st.session_state.pop(_NEW_TOKEN, None)
    if token:  # store the login in this browser, so that reloads and new tabs stay logged in
        st.html(sessions.set_cookie_script(token), unsafe_allow_javascript=True, width="content")
    st.sidebar.caption(f"已登录：{md(user.describe())}")
    if not st.sidebar.button("退出登录", key="_logout", type="tertiary", icon=":material/logout:"):
        return False
    with contextlib.suppress(audit.AuditError):  # logging out never fails
        audit.record(store, _actor(user), "logout")
    sessions.revoke(_cookie())
    st.session_state.pop(SESSION_LOGIN, None)
    st.session_state.pop(_RECORDED, None)
    if accounts.mode == OIDC:
        st.logout()
        st.stop()
    return True
