"""Hostile data and URL values are shown as text on every page: no script, no element, no link from a payload."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from conftest import shot
from hostile import PAYLOADS
from test_browser import wait_ready

pytestmark = pytest.mark.browser

# elements a payload would create if it were interpreted as HTML or Markdown anywhere on the page
INJECTED = (
    'iframe[srcdoc], img[src="x"], img[src*="evil"], object, embed, meta[http-equiv], '
    'a[href*="evil"], style:not([data-emotion]):not([id])'
)
PATHS = [
    ("overview", "/"),
    ("overview-hostile-dept", "/?dept=" + quote(PAYLOADS[1])),
    ("scores-hostile-dept", "/scores?dept=" + quote(PAYLOADS[6]) + "&dept=" + quote(PAYLOADS[7])),
    ("coverage", "/coverage?region=" + quote(PAYLOADS[0])),
    ("problems", "/problems"),
    ("problems-tracking", "/problems?ptab=" + quote("整改跟踪")),
    ("problems-repeats", "/problems?ptab=" + quote("屡查屡犯")),
    ("detail", "/detail?eval=t-2023-01"),
    ("detail-markdown-eval", "/detail?eval=" + quote("[点我登录](http://evil.example/login)")),
    ("overview-markdown-snap", "/?snap=" + quote("![x](http://evil.example/x.png)")),
    ("data_admin", "/data_admin"),
]


def injected(page) -> list[str]:
    """Outer HTML of every element on the page that a payload could have created."""
    return page.evaluate(f"""() => [...document.querySelectorAll({INJECTED!r})]
        .filter(e => !(e.tagName === 'STYLE' && !e.textContent.includes('display:none')))
        .map(e => e.outerHTML.slice(0, 200))""")


@pytest.mark.parametrize("name, path", PATHS)
def test_payloads_render_as_text(hostile_server, page, name, path):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server.url + path)
    wait_ready(page)
    page.wait_for_timeout(500)
    assert dialogs == [], "a payload ran script"
    assert injected(page) == []
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    assert page.evaluate("location.host") == hostile_server.url.split("//")[1], "a payload navigated away"
    assert not page.locator('[data-testid="stException"]').count()
    body = page.locator("body").inner_text().replace("\u2060", "")  # word joiners break autolinks
    if name == "detail":
        assert (
            page.locator("h1").first.inner_text().replace("\u2060", "").strip() in PAYLOADS
        )  # the title shows the name as typed
    if name == "detail-markdown-eval":
        assert "[点我登录](http://evil.example/login)" in body
    if name == "overview-hostile-dept":
        assert PAYLOADS[1] in body  # the filter sentence names the department literally
    if name == "overview":
        assert PAYLOADS[5] in body  # the sources line (import file names)
    shot(page, f"hostile-{name}")
