"""What a leader sees, in a real browser at 1440 px and at a 390 px phone: Chinese only, honest tiles, key columns
in view, one-click detail, a visible copy button, clicks that narrow, print layout and the one-page brief."""

from __future__ import annotations

import re
import subprocess
from urllib.parse import parse_qs, quote, urlparse

import polars as pl
import pytest

from perfeval_dash.store import Store, bundled
from perfeval_dash.ui import labels

from conftest import ARTIFACTS, Server, shot
from fixtures import AS_OF
from test_browser import wait_ready

pytestmark = pytest.mark.browser

REAL_REGIONS = "region=" + quote("洛阳市西工区") + "&region=" + quote("特克斯县")
PAGES = [
    ("overview", "/"),
    ("scores", "/scores"),
    ("coverage", "/coverage"),
    ("problems", "/problems"),
    ("problems-tracking", "/problems?ptab=" + quote("整改跟踪")),
    ("problems-repeats", "/problems?ptab=" + quote("屡查屡犯")),
    ("changes", "/changes"),
    ("application", "/application"),
    ("department", "/department?dept=" + quote("教育局")),
    ("detail", "/detail?eval=tekes-2024-05"),
    ("data_admin", "/data_admin"),
]
# words of English a user could read; file formats and the link itself are not counted
ALLOWED = {"CSV", "Excel", "PDF", "A4", "MB", "xlsx", "csv"}
ENGLISH_TEXT = r"""() => {
  const skip = '[data-testid="stIconMaterial"], [translate="no"], [data-testid="stCode"], code, script, style, '
    + 'noscript, .perfeval-print-only';  // icons, commands and the link are not prose
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const words = [];
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!el || el.closest(skip) || el.closest('[aria-hidden="true"]')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || parseFloat(style.fontSize) === 0) continue;
    // ids and codes (tekes-2024-05, snapshot 20261123T…-c5ff2d) are not words: only tokens of letters alone count;
    // a link's address (a LinkColumn cell as the grid gives it to screen readers: department?dept=…) is not prose
    const text = walker.currentNode.textContent.replace(/(https?:\/\/|\b[a-z_]+\?)[^\s]*=[^\s]*/g, '');
    for (const m of text.matchAll(/[A-Za-z0-9_=\-]+/g))
      if (/^[A-Za-z]{2,}$/.test(m[0])) words.push(m[0]);
  }
  return words;
}"""


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    """A server on the real records alone (no demo rows)."""
    store = Store(tmp_path_factory.mktemp("real") / "data")
    store.publish(bundled.real_tables(), as_of=AS_OF, made_from=["两份公开报告"])
    s = Server(store.root)
    yield s
    s.stop()


def open_page(page, url: str) -> None:
    page.goto(url)
    wait_ready(page)
    if page.locator('[data-testid="stPlotlyChart"]').count():
        page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stSkeleton\"]')")


def english(page) -> list[str]:
    return sorted({w for w in page.evaluate(ENGLISH_TEXT) if w not in ALLOWED})


def tile(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{label}$"))
    )
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def headers(page, index: int = 0) -> list[str]:
    """The column headers a data grid draws (it draws only the columns in view)."""
    grid = page.locator('[data-testid="stDataFrame"]').nth(index)
    grid.scroll_into_view_if_needed()
    grid.locator('[role="columnheader"]').first.wait_for(state="attached")
    return [h.text_content() for h in grid.locator('[role="columnheader"]').all()]


@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("name, path", PAGES)
def test_every_page_speaks_chinese_at_desktop_and_phone_width(bundled_server, playwright_browser, name, path, width):
    context = playwright_browser.new_context(
        viewport={"width": width, "height": 2400}, locale="zh-CN", is_mobile=width < 500, has_touch=width < 500
    )
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        open_page(page, bundled_server.url + path)
        assert not page.locator('[data-testid="stException"]').count()
        assert english(page) == [], "English words on the page"
        assert page.title().endswith("预算绩效评价结果看板")
        if name != "data_admin":  # the tab names the page, so a forwarded link is recognisable
            assert page.title().split(" · ")[0] == page.locator("h1").first.inner_text().strip()
        shot(page, f"leader-{name}-{width}")
    finally:
        context.close()


def test_real_only_headline_is_published_total_and_unknown_not_zero(real_server, page):
    open_page(page, f"{real_server.url}/?{REAL_REGIONS}")
    assert tile(page, "公布评价金额") == "11,306.04万元"  # 2,525.95 + 8,780.09 as the two reports publish
    assert tile(page, "逾期问题") == "无整改记录" and tile(page, "未完成整改") == "无整改记录"
    assert tile(page, "整改完成率") == "无整改记录"
    assert tile(page, "覆盖率未知") == "7个"
    unknown_note = page.locator('[data-testid="stMetric"]').filter(has_text="覆盖率未达标")
    assert "另有 7 个未知" in unknown_note.inner_text()
    assert page.title() == "总览 · 洛阳市西工区、特克斯县 · 预算绩效评价结果看板"
    open_page(page, f"{real_server.url}/problems?{REAL_REGIONS}")
    body = page.locator("body").inner_text()
    assert "没有逾期问题" not in body and "无法判断是否逾期" in body


def test_key_columns_come_first_and_are_in_view_at_1440(bundled_server, page):
    page.set_viewport_size({"width": 1440, "height": 1400})
    open_page(page, bundled_server.url + "/scores")
    ranked = page.locator('[data-testid="stDataFrame"]').count() - 1
    assert headers(page, ranked)[:5] == ["项目名称", "主管部门", "评价得分", "评价等级", "详情"]
    open_page(page, bundled_server.url + "/problems")
    assert headers(page, 0)[:4] == ["问题描述", "整改责任单位", "整改期限", "逾期天数"]


def test_one_click_on_view_opens_the_detail_in_the_same_tab(bundled_server, page):
    page.set_viewport_size({"width": 1440, "height": 1400})
    open_page(page, bundled_server.url + "/scores")
    grid = page.locator('[data-testid="stDataFrame"]').last
    grid.scroll_into_view_if_needed()
    box = grid.locator("canvas").first.bounding_box()
    widths = [
        labels.width(c, t)
        for c, t in (  # 项目名称, 主管部门, 评价得分, 评价等级
            ("project_name", pl.String),
            ("department", pl.String),
            ("score", pl.Float64),
            ("grade", pl.String),
        )
    ]
    x = box["x"] + sum(widths) + labels.width("link", None) / 2
    y = box["y"] + 35 + 17  # below the header row, in the first row
    pages_before = len(page.context.pages)
    page.mouse.click(x, y)
    page.wait_for_function("() => location.pathname.endsWith('/detail')")
    wait_ready(page)
    assert len(page.context.pages) == pages_before, "no new tab"
    assert parse_qs(urlparse(page.url).query)["eval"], "the link names the evaluation"
    assert page.locator("h1").first.inner_text().strip() not in ("", "评价详情")


def test_copy_button_is_visible_and_labelled_on_a_phone(bundled_server, playwright_browser):
    context = playwright_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        open_page(page, bundled_server.url + "/coverage")
        page.locator(
            '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
        ).first.click()
        button = page.locator('[data-testid="stSidebar"] [data-testid="stCode"] button')
        button.wait_for(state="visible")
        label = button.evaluate("b => getComputedStyle(b, '::after').content")
        assert "复制链接" in label
        assert float(button.evaluate("b => getComputedStyle(b.closest('div[class]').parentElement).opacity")) == 1
        link = page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').inner_text()
        assert "/coverage?" in link and "%E" not in link, "the link keeps Chinese readable"
        shot(page, "phone-sidebar-copy-link")
    finally:
        context.close()


def test_clicking_a_coverage_bar_narrows_to_that_department(bundled_server, page):
    page.set_viewport_size({"width": 1440, "height": 1600})
    open_page(page, bundled_server.url + "/coverage")
    bar = page.locator('[data-testid="stPlotlyChart"] .bars .point path').nth(2)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # Plotly's drag layer takes the click
    page.wait_for_function("() => location.search.includes('dept=') && location.search.includes('byear=')")
    wait_ready(page)
    q = parse_qs(urlparse(page.url).query)
    assert len(q["dept"]) == 1 and len(q["byear"]) == 1 and len(q["region"]) == 1
    assert f"主管部门 {q['dept'][0]}" in page.locator("body").inner_text()


def test_print_hides_the_app_around_the_page_and_prints_whole_tables(bundled_server, page):
    open_page(page, bundled_server.url + "/problems")
    page.emulate_media(media="print")
    assert not page.locator('[data-testid="stSidebar"]').is_visible()
    assert not page.locator('[data-testid="stDownloadButton"]').first.is_visible()
    printed = page.locator(".perfeval-print-only").first
    assert printed.is_visible() and printed.locator("tr").count() > 10
    pdf = page.pdf(format="A4")
    (ARTIFACTS / "print-problems.pdf").write_bytes(pdf)
    page.emulate_media(media="screen")


def test_brief_pdf_is_one_a4_page_with_chinese_fonts_embedded(real_server, page, tmp_path):
    open_page(page, f"{real_server.url}/?{REAL_REGIONS}")
    with page.expect_download(timeout=120_000) as dl:
        page.get_by_role("button", name=re.compile("下载简报")).click()
    path = tmp_path / "brief.pdf"
    dl.value.save_as(path)
    assert dl.value.suggested_filename == "总览_简报.pdf"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", info) and "595.28 x 841.89" in info  # one A4 page
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "NotoSansCJKSC" in fonts and all(" yes " in line for line in fonts.splitlines()[2:])
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "总览 · 简报" in text and "11,306.04万元" in text and "洛阳市西工区、特克斯县" in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(path), str(ARTIFACTS / "brief-overview")], check=True)
    assert (ARTIFACTS / "brief-overview-1.png").stat().st_size > 20_000
