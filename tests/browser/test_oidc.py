"""OIDC login (Streamlit's st.login) against a real local provider: oidc-provider-mock on 127.0.0.1.

The provider (PyPI `oidc-provider-mock`, built on Authlib) runs the authorization-code flow with a sign-in page
listing predefined identities; the browser goes app -> provider -> /oauth2callback -> app, exactly as with an
organisation's identity provider. Requests to any address other than 127.0.0.1 are blocked in the browser.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest
from test_access import body

from perfeval_dash.store import Store, journal

from conftest import Server, _free_port, shot
from test_browser import metric, wait_ready

pytestmark = pytest.mark.browser
IDENTITIES = [
    {"sub": "u-wang", "email": "wang@bureau.example", "name": "王科长"},
    {"sub": "u-stranger", "email": "stranger@elsewhere.example", "name": "陌生人"},
]


@pytest.fixture(scope="module")
def provider():
    port = _free_port()
    args = [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)]
    for identity in IDENTITIES:
        args += ["--user-claims", json.dumps(identity, ensure_ascii=False)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if json.load(urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=1))["issuer"]:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError("the OIDC provider did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def oidc_server(provider, tmp_path_factory):
    """The app with [auth] pointing at the provider and one declared identity (部门, 测试县 教育局)."""
    from fixtures import AS_OF, fixture_tables

    root = tmp_path_factory.mktemp("oidc")
    store = Store(root / "data")
    store.publish(fixture_tables(), as_of=AS_OF, made_from=["tests/fixtures.py"])
    port = _free_port()
    secrets = root / "secrets.toml"
    secrets.write_text(
        f"""
[auth]
redirect_uri = "http://127.0.0.1:{port}/oauth2callback"
cookie_secret = "a-test-cookie-secret-long-enough-for-hs256"
client_id = "perfeval-dash"
client_secret = "test-client-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[accounts."wang@bureau.example"]
name = "王科长"
roles = ["部门"]
regions = ["测试县"]
departments = ["教育局"]
""",
        encoding="utf-8",
    )
    s = Server(store.root, args=(f"--secrets.files={secrets}",), port=port)
    s.store = store
    yield s
    s.stop()


def local_only(page) -> None:
    """Block every request that is not to 127.0.0.1 (the provider's page names a stylesheet on the internet)."""
    page.context.route(
        "**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1") else route.abort()
    )


def sign_in(page, server, identity: str) -> None:
    page.goto(server.url + "/scores")
    page.get_by_role("button", name="使用统一身份认证登录").click()
    page.wait_for_url("**/oauth2/authorize**")
    page.get_by_role("button", name=identity, exact=True).click()  # the provider's sign-in page
    page.wait_for_url(server.url + "/**")


def test_oidc_login_applies_the_declared_scope(oidc_server, page):
    local_only(page)
    page.goto(oidc_server.url + "/scores")
    page.get_by_role("button", name="使用统一身份认证登录").wait_for()
    assert not page.locator('[data-testid="stMetric"]').count()
    sign_in(page, oidc_server, "u-wang")
    wait_ready(page)
    assert "王科长（部门 · 查看范围：测试县 · 教育局）" in body(page)
    assert metric(page, "评价项数") == "3项"
    shot(page, "access-oidc-department")
    page.goto(oidc_server.url + "/detail?eval=t-2023-03")  # Streamlit's identity cookie keeps the login
    wait_ready(page)
    assert "不在您的查看范围内" in body(page)
    records = journal.read(oidc_server.store.audit_path).records
    logins = [(r["action"], r["actor"], r["detail"]["mode"]) for r in records if r["action"] == "login"]
    assert logins and set(logins) == {("login", "wang@bureau.example", "oidc")}


def test_oidc_identity_without_an_account_sees_nothing(oidc_server, page):
    local_only(page)
    sign_in(page, oidc_server, "u-stranger")
    page.get_by_text("尚未获授权").wait_for()
    text = body(page).replace("\u2060", "")  # fmt.md keeps an address from turning into a link
    assert "stranger@elsewhere.example" in text and "评价项数" not in text
    assert not page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').count()
    records = journal.read(oidc_server.store.audit_path).records
    assert ("login_denied", "stranger@elsewhere.example") in [(r["action"], r["actor"]) for r in records]
