"""Accounts, password hashes, rate limiting, the audit log and the login gate (AppTest on the gate alone)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from perfeval_dash.auth import accounts, audit, passwords, ratelimit
from perfeval_dash.auth.accounts import OPEN_USER, AccountsError, parse_account
from perfeval_dash.auth.roles import DEPARTMENT, EDITOR, LEADER
from perfeval_dash.domain.scope import ALL, Scope
from perfeval_dash.store import Store, journal
from perfeval_dash.ui import fmt

ROOT = Path(__file__).resolve().parent.parent
HASH = passwords.hash_password("正确的密码 1")


@pytest.fixture(autouse=True)
def clean_limits(monkeypatch):
    for env in ("PERFEVAL_ACCOUNTS_FILE", "PERFEVAL_AUTH_MODE", "PERFEVAL_EDITOR", "PERFEVAL_AUDIT_LOG"):
        monkeypatch.delenv(env, raising=False)
    ratelimit.reset()
    yield
    ratelimit.reset()


# ---- passwords ---------------------------------------------------------------------------------------
def test_hashes_are_argon2id_salted_and_verify():
    assert passwords.is_hash(HASH) and HASH.startswith("$argon2id$") and "正确的密码" not in HASH
    assert passwords.hash_password("正确的密码 1") != HASH, "a fresh salt every time"
    assert passwords.verify(HASH, "正确的密码 1")
    assert not passwords.verify(HASH, "正确的密码 2") and not passwords.verify(HASH, "")
    assert not passwords.verify(None, "正确的密码 1") and not passwords.verify("正确的密码 1", "正确的密码 1")
    with pytest.raises(ValueError):
        passwords.hash_password("")


# ---- accounts ----------------------------------------------------------------------------------------
def test_roles_and_scopes_decide_what_a_person_reads_and_changes():
    head = parse_account("wang", {"roles": ["部门"], "regions": ["甲县"], "departments": ["教育局"]}, "t").user
    assert head.roles == (DEPARTMENT,) and head.scope == Scope(("甲县",), ("教育局",)) and not head.can_edit
    leader = parse_account("liu", {"roles": ["leader"], "departments": ["教育局"]}, "t").user
    assert leader.roles == (LEADER,) and leader.scope == ALL and not leader.can_edit
    both = parse_account("li", {"roles": ["部门", "编辑"], "departments": ["教育局"]}, "t").user
    assert both.roles == (DEPARTMENT, EDITOR) and both.scope == ALL and both.can_edit
    assert head.describe() == "wang（部门 · 查看范围：甲县 · 教育局）"


def test_open_mode_edits_only_with_the_editor_switch(monkeypatch):
    assert OPEN_USER.scope == ALL and not OPEN_USER.can_edit
    monkeypatch.setenv("PERFEVAL_EDITOR", "1")
    assert OPEN_USER.can_edit
    head = parse_account("wang", {"roles": ["部门"], "departments": ["教育局"]}, "t").user
    assert not head.can_edit, "the open-mode switch never gives an account the editor role"


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"roles": ["领导"], "password": "123456"}, "明文密码"),
        ({"roles": ["局长"]}, "角色「局长」未知"),
        ({"roles": []}, "缺少 roles"),
        ({"roles": ["部门"]}, "没有列出 regions 或 departments"),
        ({"roles": ["领导"], "departmants": ["教育局"]}, "未知的设置项 departmants"),
        ({"roles": ["领导"], "password_hash": "5f4dcc3b5aa765d61d8327deb882cf99"}, "不是 argon2id 散列值"),
        ({"roles": ["部门"], "departments": "教育局"}, "应为非空文字的列表"),
    ],
)
def test_account_mistakes_are_refused_in_chinese(entry, words):
    with pytest.raises(AccountsError, match=words):
        parse_account("wang", entry, "secrets.toml")


def test_accounts_from_a_named_file_and_a_missing_file_fails_closed(tmp_path, monkeypatch):
    f = tmp_path / "accounts.toml"
    f.write_text(f'[accounts.Wang]\nroles = ["编辑"]\npassword_hash = "{HASH}"\n', encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_ACCOUNTS_FILE", str(f))
    loaded = accounts.load()
    assert not loaded.open and loaded.mode == accounts.PASSWORD and loaded.source == str(f)
    assert loaded.find(" wang ").user.login == "Wang", "logins are case-insensitive"
    monkeypatch.setenv("PERFEVAL_ACCOUNTS_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(AccountsError, match="无法读取"):
        accounts.load()
    f.write_text("[accounts.wang\n", encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_ACCOUNTS_FILE", str(f))
    with pytest.raises(AccountsError, match="无法解析"):
        accounts.load()


def test_no_accounts_anywhere_is_open_mode():
    assert accounts.load().open


# ---- rate limiting -----------------------------------------------------------------------------------
def test_failed_logins_are_limited_per_account_and_per_address(monkeypatch):
    monkeypatch.setenv("PERFEVAL_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("PERFEVAL_LOGIN_MAX_FAILURES_PER_ADDRESS", "5")
    monkeypatch.setenv("PERFEVAL_LOGIN_WINDOW", "60")
    for t in (0, 1, 2):
        assert ratelimit.wait_seconds("wang", "10.0.0.1", now=t) == 0
        ratelimit.failed("wang", "10.0.0.1", now=t)
    assert ratelimit.wait_seconds("WANG", "10.0.0.9", now=3) == pytest.approx(57), "blocked until t=0 leaves"
    assert ratelimit.wait_seconds("li", "10.0.0.9", now=3) == 0, "another account from elsewhere is not"
    for t in (3, 4):
        ratelimit.failed(f"user{t}", "10.0.0.1", now=t)
    assert ratelimit.wait_seconds("li", "10.0.0.1", now=5) == pytest.approx(55), "five failures from one address"
    assert ratelimit.wait_seconds("wang", "10.0.0.1", now=60.5) == 0, "the window slides"
    ratelimit.succeeded("wang")
    assert ratelimit.wait_seconds("wang", None, now=5) == 0, "a successful login clears the account's count"


# ---- the audit log -----------------------------------------------------------------------------------
def test_audit_log_is_append_only_chained_and_survives_restarts(tmp_path):
    store = Store(tmp_path / "data")
    actor = audit.Actor("wang", "王科长", "web", "127.0.0.1")
    audit.record(store, actor, "login", mode="password")
    audit.record(store, actor, "publish", "20261122T133305123-abcdef", file="评价.xlsx")
    assert store.audit_path == tmp_path / "data" / "audit.jsonl"
    again = Store(tmp_path / "data")  # a new process reads the same file
    found = journal.read(again.audit_path)
    assert found.intact and [r["action"] for r in found.records] == ["login", "publish"]
    assert found.records[1]["snapshot"] == "20261122T133305123-abcdef" and found.records[1]["actor"] == "wang"
    lines = again.audit_path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("wang", "zhao")  # someone edits the first line
    again.audit_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert journal.read(again.audit_path).broken == [2]
    with pytest.raises(ValueError):
        audit.record(store, actor, "delete_everything")


def test_a_torn_last_line_does_not_swallow_the_next_record(tmp_path):
    path = tmp_path / "audit.jsonl"
    journal.append(path, {"action": "login"})
    with open(path, "ab") as f:
        f.write(b'{"action": "pub')  # a write cut short by a crash
    journal.append(path, {"action": "publish"})
    found = journal.read(path)
    assert [r["action"] for r in found.records] == ["login", "publish"] and found.unreadable == [2]


def test_two_processes_append_whole_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from perfeval_dash.store import journal
        for i in range(200):
            journal.append(Path({str(path)!r}), {{"who": sys.argv[1], "i": i, "pad": "审" * 300}})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, w], cwd=ROOT) for w in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    found = journal.read(path)
    assert found.intact and len(found.records) == 400
    assert sorted(r["i"] for r in found.records if r["who"] == "a") == list(range(200))


def test_viewer_table_shows_local_times_in_chinese(tmp_path, monkeypatch):
    store = Store(tmp_path / "data")
    journal.append(
        store.audit_path,
        {"time": "2026-11-22T13:33:05.000+00:00", "actor": "wang", "name": "王科长", "via": "web", "action": "login"},
    )
    table, found = audit.entries(store)
    assert found.intact
    row = table.row(0, named=True)
    assert row["操作"] == "登录" and row["途径"] == "网页"
    assert fmt.local_time(row["时间"]) == "2026年11月22日 21:33" and fmt.zone_label() == "东八区"
    monkeypatch.setenv("PERFEVAL_TIMEZONE", "UTC")
    assert fmt.local_time(row["时间"]) == "2026年11月22日 13:33" and fmt.zone_label() == "零时区"


# ---- the gate, through AppTest ------------------------------------------------------------------------
GATE_APP = """
import streamlit as st
from perfeval_dash.auth import gate
from perfeval_dash.store import Store
from perfeval_dash.ui import fmt
user = gate.require_login(Store({root!r}), "看板", fmt.md)
st.markdown(f"已进入：{{user.login}}")
"""


@pytest.fixture
def gate_app(tmp_path):
    script = tmp_path / "gate_app.py"
    store = Store(tmp_path / "data")
    script.write_text(GATE_APP.format(root=str(store.root)), encoding="utf-8")

    def make(secrets: dict | None = None, user: dict | None = None) -> AppTest:
        at = AppTest.from_file(str(script), default_timeout=30)
        for k, v in (secrets or {}).items():
            at.secrets[k] = v
        if user is not None:
            at.user = user
        return at

    make.store = store
    return make


ACCOUNTS = {
    "wang": {"name": "王科长", "roles": ["部门"], "departments": ["教育局"], "password_hash": HASH},
    "liu": {"name": "刘局长", "roles": ["领导"], "password_hash": HASH},
}


def log_in(at: AppTest, login: str, password: str) -> AppTest:
    at.text_input(key="_login_user").input(login)
    at.text_input(key="_login_password").input(password)
    return at.button[0].click().run()


def entered(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("已进入")]


def test_open_mode_has_no_login(gate_app):
    at = gate_app().run()
    assert entered(at) == ["已进入："] and not at.text_input


def test_login_form_logs_in_and_audits(gate_app):
    at = gate_app({"accounts": ACCOUNTS}).run()
    assert not entered(at) and [t.label for t in at.text_input] == ["用户名", "密码"]
    log_in(at, "wang", "错误的密码")
    assert not entered(at) and "用户名或密码不正确" in at.error[0].value
    log_in(at, "nobody", "正确的密码 1")
    assert not entered(at) and "用户名或密码不正确" in at.error[0].value, "an unknown login reads the same"
    log_in(at, "Wang", "正确的密码 1")
    assert entered(at) == ["已进入：wang"]
    assert any("王科长（部门" in c.value for c in at.sidebar.caption)
    log = journal.read(gate_app.store.audit_path).records
    assert [(r["action"], r["actor"]) for r in log] == [
        ("login_failed", "wang"),
        ("login_failed", "nobody"),
        ("login", "wang"),
    ]
    assert log[0]["detail"] == {"known_account": True} and log[2]["via"] == "web"
    at.sidebar.button(key="_logout").click().run()
    assert not entered(at) and journal.read(gate_app.store.audit_path).records[-1]["action"] == "logout"


def test_too_many_failures_refuse_even_the_right_password(gate_app, monkeypatch):
    monkeypatch.setenv("PERFEVAL_LOGIN_MAX_FAILURES", "2")
    at = gate_app({"accounts": ACCOUNTS}).run()
    log_in(at, "liu", "x")
    log_in(at, "liu", "y")
    log_in(at, "liu", "正确的密码 1")
    assert not entered(at) and "失败次数过多" in at.error[0].value
    assert journal.read(gate_app.store.audit_path).records[-1]["action"] == "login_refused"
    log_in(at, "wang", "正确的密码 1")
    assert entered(at) == ["已进入：wang"], "other accounts are not blocked"


def test_an_account_removed_while_logged_in_is_logged_out(gate_app):
    at = gate_app({"accounts": ACCOUNTS}).run()
    log_in(at, "wang", "正确的密码 1")
    assert entered(at) == ["已进入：wang"]
    at.secrets["accounts"] = {"liu": ACCOUNTS["liu"]}
    at.run()
    assert not entered(at) and at.text_input


def test_broken_accounts_stop_the_app_instead_of_opening_it(gate_app):
    at = gate_app({"accounts": {"wang": {"roles": ["部门"], "password": "123"}}}).run()
    assert not entered(at) and "账户配置有误" in at.error[0].value
    assert "明文密码" in at.code[0].value


AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-that-is-long-enough",
    "client_id": "perfeval",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
OIDC_ACCOUNTS = {"lead@bureau.example": {"name": "刘局长", "roles": ["领导"]}}


def test_oidc_identities_map_to_declared_accounts(gate_app):
    """Streamlit's own testing hook (AppTest.user stands for st.user); the real provider is in the browser test."""
    at = gate_app({"auth": AUTH, "accounts": OIDC_ACCOUNTS}, user={"is_logged_in": False}).run()
    assert not entered(at) and at.button(key="_oidc_login").label == "使用统一身份认证登录"
    at = gate_app(
        {"auth": AUTH, "accounts": OIDC_ACCOUNTS}, user={"is_logged_in": True, "email": "Lead@Bureau.example"}
    ).run()
    assert entered(at) == ["已进入：lead@bureau.example"]
    at = gate_app(
        {"auth": AUTH, "accounts": OIDC_ACCOUNTS}, user={"is_logged_in": True, "email": "x@elsewhere.example"}
    ).run()
    assert not entered(at) and "尚未获授权" in at.error[0].value
    log = journal.read(gate_app.store.audit_path).records
    assert [(r["action"], r["actor"], r["detail"]["mode"]) for r in log] == [
        ("login", "lead@bureau.example", "oidc"),
        ("login_denied", "x@elsewhere.example", "oidc"),
    ]


def test_audit_records_are_json_lines(tmp_path):
    store = Store(tmp_path / "data")
    audit.record(store, audit.Actor.cli(), "use", "20261122T133305123-abcdef", previous="20261121T000000000-000000")
    line = json.loads(store.audit_path.read_text(encoding="utf-8").splitlines()[0])
    assert line["via"] == "cli" and line["action"] == "use" and line["prev"] == journal.GENESIS


# ---- login tokens (the cookie that keeps a built-in login across reloads and tabs) ----------------------------
def test_login_tokens_prove_a_login_until_expired_revoked_or_the_password_changes(monkeypatch):
    from perfeval_dash.auth import sessions

    monkeypatch.setenv("PERFEVAL_SESSION_SECRET", "a test secret")
    monkeypatch.setenv("PERFEVAL_LOGIN_HOURS", "2")
    hashes = {"wang": HASH}
    token = sessions.issue("wang", HASH, now=1_000_000)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "正确的密码" not in token and HASH not in token
    assert sessions.login_of(token, hashes.__getitem__, now=1_000_000 + 7000) == "wang"
    assert sessions.login_of(token, hashes.__getitem__, now=1_000_000 + 7300) is None, "expired after 2 h"
    signature = token.split(".")[1]
    forged = sessions.issue("liu", HASH, now=1_000_000).split(".")[0] + "." + signature
    assert sessions.login_of(forged, {"liu": HASH}.__getitem__, now=1_000_000) is None, "another body, same signature"
    changed = {"wang": passwords.hash_password("新密码新密码")}
    assert sessions.login_of(token, changed.__getitem__, now=1_000_000) is None, "the password was changed"
    assert sessions.login_of(token, {}.__getitem__, now=1_000_000) is None, "the account was removed"
    monkeypatch.setenv("PERFEVAL_SESSION_SECRET", "another secret")
    assert sessions.login_of(token, hashes.__getitem__, now=1_000_000) is None
    monkeypatch.setenv("PERFEVAL_SESSION_SECRET", "a test secret")
    sessions.revoke(token)
    assert sessions.login_of(token, hashes.__getitem__, now=1_000_000) is None, "logged out"
    assert sessions.login_of("not a token", hashes.__getitem__) is None
    script = sessions.set_cookie_script(token)
    assert "SameSite=Strict" in script and "max-age=7200" in script and token in script
