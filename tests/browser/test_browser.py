"""What only a browser shows: links restore views, the URL follows widgets, pages keep filters, downloads."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import polars as pl
import pytest
from playwright.sync_api import expect

from conftest import shot
from fixtures import AS_OF, fixture_tables

pytestmark = pytest.mark.browser


def wait_ready(page) -> None:
    """Wait until the script run finished and the page's content is drawn."""
    page.wait_for_selector('[data-testid="stSidebar"] [data-testid="stMultiSelect"]')
    page.wait_for_selector("h1")
    page.wait_for_timeout(300)  # a rerun may start a moment after the event that caused it
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')
                 && !document.querySelector('[data-stale="true"]')"""
    )


def chips(page, label: str) -> list[str]:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text=label)
    return [c.get_attribute("aria-label") or c.inner_text() for c in box.locator("[data-tag]").all()]


def metric(page, label: str) -> str:
    m = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{label}$"))
    )
    return m.locator('[data-testid="stMetricValue"]').inner_text().strip()


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def choose(page, label: str, option: str) -> None:
    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(has_text=label)
    box.locator("input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_ready(page)


def test_deep_link_as_first_request_restores_view(server, fixture_store, page):
    """(a) A link with filters, opened as the very first request after the server starts."""
    snap = fixture_store.current_id()
    page.goto(f"{server.url}/scores?dept=%E6%95%99%E8%82%B2%E5%B1%80&year=2023&snap={snap}")
    wait_ready(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    assert page.locator("h1").first.inner_text() == "评分分布"
    assert any("教育局" in c for c in chips(page, "主管部门"))
    assert any("2023" in c for c in chips(page, "评价年度"))
    assert "筛选：评价年度 2023年；主管部门 教育局" in page.locator("body").inner_text()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible()  # waits while the page draws
    shot(page, "deep-link-scores")
    q = query(page)
    assert q["dept"] == ["教育局"] and q["year"] == ["2023"] and q["snap"] == [snap]


def test_filter_change_updates_url_and_link_reopens_same_view(server, page):
    """(b) Changing a filter writes it to the URL; the 复制链接 box holds a link that restores the view."""
    page.goto(server.url + "/")
    wait_ready(page)
    assert metric(page, "评价项数") == "5项"
    choose(page, "主管部门", "教育局")
    page.wait_for_function("() => location.search.includes('dept=')")
    assert query(page)["dept"] == ["教育局"]
    assert metric(page, "评价项数") == "3项"
    link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text().strip()
    assert parse_qs(urlparse(link).query)["dept"] == ["教育局"] and "snap=" in link
    page.goto(link)
    wait_ready(page)
    assert metric(page, "评价项数") == "3项"
    assert any("教育局" in c for c in chips(page, "主管部门"))


def test_switching_page_keeps_filters(server, page):
    """(c) Filters stay when the user switches pages through the navigation."""
    page.goto(server.url + "/?grade=%E4%BC%98")
    wait_ready(page)
    assert metric(page, "评价项数") == "2项"
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text="问题整改").click()
    page.wait_for_function("() => location.pathname.endsWith('/problems')")
    wait_ready(page)
    assert page.locator("h1").first.inner_text() == "问题整改"
    assert any("优" in c for c in chips(page, "等级"))
    assert query(page).get("grade") == ["优"]
    assert "等级 优" in page.locator("body").inner_text()


def test_pinned_link_keeps_old_numbers_after_publish(server, fixture_store, page):
    """(d) A pinned link shows the old snapshot after new data is published, with a notice and a switch."""
    old = fixture_store.current_id()
    tables = fixture_tables()
    tables["evaluations"] = tables["evaluations"].filter(pl.col("eval_id") != "t-2023-03")
    tables["problems"] = tables["problems"].filter(pl.col("eval_id") != "t-2023-03")
    new = fixture_store.publish(tables, as_of=AS_OF, made_from=["newer"]).id
    page.goto(f"{server.url}/?snap={old}")
    wait_ready(page)
    assert metric(page, "评价项数") == "5项"
    assert f"已有更新的快照 {new}" in page.locator("body").inner_text()
    shot(page, "pinned-old-snapshot")
    page.get_by_role("button", name="切换到最新数据").click()
    page.wait_for_function(f"() => location.search.includes('snap={new}')")
    wait_ready(page)
    assert metric(page, "评价项数") == "4项"


def test_excel_download_reads_back(server, page, tmp_path):
    """(e) The coverage table downloads as Excel with Chinese headers and the filters written in the sheet."""
    page.goto(server.url + "/coverage?dept=%E6%B0%91%E6%94%BF%E5%B1%80")
    wait_ready(page)
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 Excel").first.click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "部门覆盖率.xlsx"
    ws = openpyxl.load_workbook(path).active
    cells = [list(row) for row in ws.iter_rows(values_only=True)]
    assert cells[0][0] == "部门覆盖率"
    assert cells[1][0] == "筛选：主管部门 民政局"
    header = cells[4]  # three lines (title, filters, snapshot), a blank row, then the table
    assert "主管部门" in header and "状态" in header and "距门槛差额（万元）" in header
    row = dict(zip(header, cells[5]))
    assert row["主管部门"] == "民政局" and row["状态"] == "未达标" and row["距门槛差额（万元）"] == pytest.approx(30)


def test_unknown_url_value_shows_notice_not_traceback(server, page):
    page.goto(server.url + "/problems?dept=%E4%B8%8D%E5%AD%98%E5%9C%A8&year=abc&thr=zz")
    wait_ready(page)
    body = page.locator("body").inner_text()
    assert "不存在" in body and "Traceback" not in body
    assert not page.locator('[data-testid="stException"]').count()
    assert "dept" not in query(page)


PAGES = [
    ("overview", "/"),
    ("scores", "/scores"),
    ("coverage", "/coverage"),
    ("problems", "/problems"),
    ("detail", "/detail?eval=tekes-2024-05"),
    ("detail-xigong", "/detail?eval=xigong-2023-04"),
    ("data_admin", "/data_admin"),
]


@pytest.mark.parametrize("name, path", PAGES)
def test_screenshot_every_page_on_bundled_data(bundled_server, page, name, path):
    """Every page renders on the bundled data without an exception; screenshots are saved for review."""
    page.goto(bundled_server.url + path)
    wait_ready(page)
    if name not in ("detail-xigong", "data_admin"):
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, f"page-{name}")
