"""Each role in a real browser: the login form, what is visible, a forbidden ?eval=, ?dept= and download."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest

from perfeval_dash.auth import passwords
from perfeval_dash.store import journal

from conftest import Server, shot
from test_browser import chips, metric, query, wait_ready

pytestmark = pytest.mark.browser
PASSWORD = "测试用的密码 2026"
HASH = passwords.hash_password(PASSWORD)
ACCOUNTS = f"""
[accounts.wang]
name = "王科长"
roles = ["部门"]
regions = ["测试县"]
departments = ["教育局"]
password_hash = "{HASH}"

[accounts.liu]
name = "刘局长"
roles = ["领导"]
password_hash = "{HASH}"

[accounts.zhao]
name = "赵编辑"
roles = ["编辑"]
password_hash = "{HASH}"
"""


@pytest.fixture(scope="module")
def access(tmp_path_factory):
    """A server on the fixture data with three accounts (部门 教育局, 领导, 编辑) in a file named by the setting."""
    from perfeval_dash.store import Store

    from fixtures import AS_OF, fixture_tables

    root = tmp_path_factory.mktemp("access")
    store = Store(root / "data")
    store.publish(fixture_tables(), as_of=AS_OF, made_from=["tests/fixtures.py"])
    (root / "accounts.toml").write_text(ACCOUNTS, encoding="utf-8")
    s = Server(store.root, env={"PERFEVAL_ACCOUNTS_FILE": str(root / "accounts.toml")})
    s.store = store
    yield s
    s.stop()


def login_form(page):
    page.wait_for_selector('[data-testid="stForm"]')
    user = page.locator('[data-testid="stTextInput"]').filter(has_text="用户名").locator("input")
    password = page.locator('[data-testid="stTextInput"]').filter(has_text="密码").locator("input")
    return user, password


def log_in(page, url: str, login: str, password: str = PASSWORD) -> None:
    page.goto(url)
    user, secret = login_form(page)
    user.fill(login)
    secret.fill(password)
    page.locator('[data-testid="stFormSubmitButton"] button').click()


def body(page) -> str:
    return page.locator("body").inner_text()


def test_department_head_logs_in_and_a_link_asking_for_more_is_narrowed(access, page):
    """The 部门 user opens a link that asks for another department: the login keeps it, the scope drops it."""
    page.goto(access.url + "/?dept=%E6%B0%91%E6%94%BF%E5%B1%80")  # ?dept=民政局
    login_form(page)
    assert page.locator("h1").first.inner_text().startswith("登录")
    assert not page.locator('[data-testid="stMetric"]').count(), "no figure before the login"
    shot(page, "access-login-form")
    log_in(page, access.url + "/?dept=%E6%B0%91%E6%94%BF%E5%B1%80", "wang", "错误的密码")
    page.wait_for_selector("text=用户名或密码不正确")
    user, secret = login_form(page)
    user.fill("wang")
    secret.fill(PASSWORD)
    page.locator('[data-testid="stFormSubmitButton"] button').click()
    wait_ready(page)
    text = body(page)
    assert "王科长（部门 · 查看范围：测试县 · 教育局）" in text
    assert "链接中的主管部门「民政局」不在您的查看范围内" in text
    assert metric(page, "评价项数") == "3项"  # 教育局 only
    assert chips(page, "主管部门") == [] and "dept" not in query(page)
    shot(page, "access-department-overview")
    records = journal.read(access.store.audit_path).records
    assert [(r["action"], r["actor"]) for r in records][-2:] == [("login_failed", "wang"), ("login", "wang")]


def test_department_head_cannot_open_another_departments_evaluation(access, page):
    log_in(page, access.url + "/detail?eval=t-2023-03", "wang")  # 民政局's evaluation
    wait_ready(page)
    text = body(page)
    assert "没有编号为「t-2023-03」的评价，或该评价不在您的查看范围内" in text
    assert "民政局" not in text and "59.99" not in text
    page.goto(access.url + "/detail?eval=t-2023-01")  # a new page load: the login cookie keeps the login
    wait_ready(page)
    assert page.locator("h1").first.inner_text() == "教育局t-2023-01项目"


def test_department_head_downloads_only_their_department(access, page, tmp_path):
    log_in(page, access.url + "/coverage?dept=%E6%B0%91%E6%94%BF%E5%B1%80", "wang")
    wait_ready(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 Excel").first.click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    cells = [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]
    assert cells[1][0] == "查看范围：测试县 · 教育局　筛选：范围内全部数据（未筛选）"
    header = cells[4]
    depts = {dict(zip(header, r))["主管部门"] for r in cells[5:] if any(r)}
    assert depts == {"教育局"}
    assert "地区合计包含其他部门的数字" in body(page)
    page.goto(access.url + "/data_admin")
    wait_ready(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="导出当前数据（模板格式）").click()
    book = tmp_path / "export.xlsx"
    dl.value.save_as(book)
    sheet = openpyxl.load_workbook(book)["评价结果"]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(r)]
    col = list(rows[0]).index("主管部门")
    assert sorted(r[col] for r in rows[1:]) == ["教育局", "教育局", "教育局"]
    assert not page.locator('[data-testid="stFileUploader"]').count()


def test_leader_sees_everything_and_cannot_import(access, page):
    log_in(page, access.url + "/?dept=%E6%B0%91%E6%94%BF%E5%B1%80", "liu")
    wait_ready(page)
    assert metric(page, "评价项数") == "1项" and any("民政局" in c for c in chips(page, "主管部门"))
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text().strip()
    assert parse_qs(urlparse(link).query)["dept"] == ["民政局"] and "wang" not in link and "liu" not in link
    page.goto(access.url + "/data_admin")
    wait_ready(page)
    assert "需要「编辑」角色" in body(page) and not page.locator('[data-testid="stFileUploader"]').count()
    assert not page.get_by_role("heading", name="审计日志").count()


def test_editor_imports_and_reads_the_audit_log(access, page, tmp_path):
    log_in(page, access.url + "/data_admin", "zhao")
    wait_ready(page)
    assert page.locator('[data-testid="stFileUploader"]').count() == 1
    page.get_by_role("heading", name="审计日志").wait_for()
    assert "完整性检查通过" in body(page)
    shot(page, "access-editor-audit-log")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 CSV").last.click()
    assert dl.value.suggested_filename == "审计日志.csv"
    dl.value.save_as(tmp_path / "audit.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0]["操作"] == "登录" and rows[0]["操作人"] == "zhao" and rows[0]["姓名"] == "赵编辑"
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", rows[0]["时间"]) and rows[0]["途径"] == "网页"
    page.get_by_role("button", name="退出登录").click()
    login_form(page)
    assert journal.read(access.store.audit_path).records[-1]["action"] == "logout"
    page.goto(access.url + "/data_admin")  # logged out in this browser, not only in that tab
    login_form(page)
    assert not page.locator('[data-testid="stFileUploader"]').count()
