"""Follow-up over time in a real browser: the department sheet as a first request, the editor's update."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from conftest import Server, shot
from test_browser import chips, metric, query, wait_ready

pytestmark = pytest.mark.browser


def test_department_sheet_as_first_request_after_start(server, fixture_store, page):
    """A forwarded department sheet opens as the very first request after a start, with the other pages' numbers."""
    snap = fixture_store.current_id()
    page.goto(f"{server.url}/department?dept=%E6%95%99%E8%82%B2%E5%B1%80&snap={snap}")
    wait_ready(page)
    assert page.locator("h1").first.inner_text() == "部门档案：教育局"
    assert any("教育局" in c for c in chips(page, "主管部门"))
    sheet = {label: metric(page, label) for label in ("评价项数", "未完成整改", "整改完成率")}
    assert sheet == {"评价项数": "3项", "未完成整改": "1个", "整改完成率": "50.0%"}
    expect(page.get_by_role("button", name="下载部门档案（Excel）")).to_be_visible()  # the last element drawn
    shot(page, "department-sheet")
    assert query(page)["dept"] == ["教育局"] and query(page)["snap"] == [snap]
    page.goto(f"{server.url}/?dept=%E6%95%99%E8%82%B2%E5%B1%80&snap={snap}")
    wait_ready(page)
    assert metric(page, "评价项数") == sheet["评价项数"]
    page.goto(f"{server.url}/problems?dept=%E6%95%99%E8%82%B2%E5%B1%80&snap={snap}")
    wait_ready(page)
    assert metric(page, "未完成整改") == sheet["未完成整改"] and metric(page, "整改完成率") == sheet["整改完成率"]


@pytest.fixture
def editor_server(fixture_store):
    s = Server(fixture_store.root, env={"PERFEVAL_EDITOR": "1"})
    yield s
    s.stop()


def test_editor_update_publishes_and_old_link_keeps_old_state(editor_server, fixture_store, page):
    """Change a status in the app, publish: the session moves to the new snapshot, an old link shows the old one."""
    old = fixture_store.current_id()
    page.goto(f"{editor_server.url}/data_admin")
    wait_ready(page)
    page.get_by_text("更新整改进度").first.scroll_into_view_if_needed()
    pick = page.locator('[data-testid="stMain"] [data-testid="stMultiSelect"]').filter(has_text="选择问题")
    pick.locator("input").click()
    page.get_by_role("option", name=re.compile(r"^p3｜未整改")).click()
    page.keyboard.press("Escape")
    wait_ready(page)
    status = page.locator('[data-testid="stSelectbox"]').filter(has_text="新的整改状态")
    status.locator('input[role="combobox"]').click()
    page.get_by_role("option", name="整改中", exact=True).click()
    wait_ready(page)
    page.get_by_role("button", name="加入待发布清单").click()
    wait_ready(page)
    assert "待发布清单" in page.locator("body").inner_text()
    page.get_by_role("button", name="发布为新快照").click()
    page.wait_for_function(f"() => location.search.includes('snap=') && !location.search.includes('snap={old}')")
    wait_ready(page)
    new = fixture_store.current_id()
    assert new != old and query(page)["snap"] == [new]
    assert "已发布新快照" in page.locator("body").inner_text()
    shot(page, "editor-update-published")

    page.goto(f"{editor_server.url}/detail?eval=t-2023-03&snap={old}")
    wait_ready(page)
    body = page.locator("body").inner_text()
    assert "整改状态：未整改" in body and f"已有更新的快照 {new}" in body
    assert "没有变化" in body, "the old snapshot's timeline has no event yet"
    page.goto(f"{editor_server.url}/detail?eval=t-2023-03&snap={new}")
    wait_ready(page)
    body = page.locator("body").inner_text()
    assert "整改状态：整改中" in body and "已有更新的快照" not in body
    assert "整改时间线" in body and "没有变化" not in body  # the new snapshot's timeline holds the change


@pytest.mark.parametrize(
    "name, path",
    [
        ("changes", "/changes"),
        ("application", "/application"),
        ("department", "/department?dept=%E6%95%99%E8%82%B2%E5%B1%80"),
        ("problems-original-deadline", "/problems?ptab=" + quote("整改跟踪") + "&dl=" + quote("原定期限")),
        ("problems-repeats", "/problems?ptab=" + quote("屡查屡犯")),
        ("detail-timeline", "/detail?eval=demo-1-2024-031"),
    ],
)
def test_screenshot_follow_up_pages_on_bundled_data(bundled_server, page, name, path):
    """The new pages and sections render on the bundled data (which carries history) without an exception."""
    page.goto(bundled_server.url + path)
    wait_ready(page)
    if name not in ("detail-timeline", "problems-repeats"):
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, f"page-{name}")


def test_problem_tabs_are_in_the_shared_link(bundled_server, page):
    """A click on the 整改跟踪 tab computes that tab (its tiles appear, the overdue list goes), puts it in the URL
    and the share link; opening that link in a fresh page shows the same tab with the same figures."""
    page.goto(bundled_server.url + "/problems")
    wait_ready(page)
    expect(page.get_by_role("heading", name="逾期问题")).to_be_visible()
    assert not page.get_by_text("到期问题", exact=True).count()
    page.get_by_role("tab", name="整改跟踪").click()
    page.wait_for_function("() => decodeURIComponent(location.search).includes('ptab=整改跟踪')")
    wait_ready(page)
    expect(page.get_by_text("到期问题", exact=True)).to_be_visible()
    assert not page.get_by_role("heading", name="逾期问题").count(), "only the open tab is drawn"
    due = metric(page, "到期问题")
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text().strip()
    assert "ptab=整改跟踪" in link and "snap=" in link
    fresh = page.context.new_page()
    fresh.goto(link.replace(link.split("/problems")[0], bundled_server.url))
    wait_ready(fresh)
    expect(fresh.get_by_role("tab", name="整改跟踪")).to_have_attribute("aria-selected", "true")
    assert metric(fresh, "到期问题") == due
    fresh.goto(bundled_server.url + "/problems?ptab=" + quote("不存在的分页"))
    wait_ready(fresh)
    expect(fresh.get_by_role("heading", name="逾期问题")).to_be_visible()
    assert "不存在的分页" in fresh.locator("body").inner_text(), "the dropped value is named in a notice"
    fresh.close()
