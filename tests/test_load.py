"""Under load: concurrent browser sessions with a publish mid-run; two app processes behind nginx share one data folder.

No timing assertions: the load run must end with no error, no stuck session and no failed health check; the
two-process test checks that nginx spreads browsers over both processes, keeps each browser on one, and that
a snapshot published through the CLI reaches both.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from perfeval_dash.bench import serve
from perfeval_dash.bench.load import CHROMIUM, CHROMIUM_ARGS, DRAWN_JS, SNAP_RE, _pages, make_plan, read_options
from perfeval_dash.store import Store
from perfeval_dash.ui.frame import PAGES

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfeval_dash", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def in_thread(fn):
    """Run fn in a fresh thread: the sync Playwright of tests/browser may still hold this thread's event loop."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001  re-raised in the test's thread
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")


def test_load_run_five_sessions_with_a_publish(tmp_path):
    """5 sessions × 4 steps on 2,000 evaluations, one publish mid-run: no error, nothing stuck, health always ok."""
    out = tmp_path / "load.json"
    proc = cli(
        "load",
        "--sessions",
        "5",
        "--steps",
        "4",
        "--evaluations",
        "2000",
        "--publishes",
        "1",
        "--think",
        "0",
        "--step-timeout",
        "120",  # a shared CI machine may be busy: a step counts as stuck only after two minutes
        "--data-dir",
        str(tmp_path / "bench"),
        "--json",
        str(out),
    )
    assert out.exists(), proc.stderr[-3000:]
    r = json.loads(out.read_text())
    errors = [f"{s['label']}: {s['error']}" for s in r["steps"] if s["error"]]
    assert r["errors"] == 0 and r["stuck"] == 0, "\n".join(errors) + "\n" + proc.stdout[-3000:]
    assert r["health_failures"] == 0, r["health"]
    assert r["sessions_finished"] == 5 and len(r["steps"]) == 20
    assert all(s["seconds"] is not None for s in r["steps"])
    assert len(r["publishes"]) == 1 and not r["publish_errors"]
    assert not r["server_tracebacks"], r["server_tracebacks"]
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "| errors | 0 |" in proc.stdout and "| stuck | 0 |" in proc.stdout


def test_load_plan_is_deterministic_and_covers_every_page(tmp_path):
    """The same seed gives the same steps; 5 sessions × 8 steps visit every page and use the data's values."""
    store = Store(tmp_path / "data")
    r = cli("--data-dir", str(store.root), "demo", "--evaluations", "300")
    assert r.returncode == 0, r.stderr
    opts = read_options(store.root)
    a, b = make_plan(opts, 5, 8, seed=3), make_plan(opts, 5, 8, seed=3)
    assert a == b and a != make_plan(opts, 5, 8, seed=4)
    every = {url for url, _ in _pages()}
    assert len(every) == len(PAGES) and {s.page for plan in a for s in plan} == every
    for plan in a:
        assert plan[0].kind == "open"
        for s in plan:
            for key, value in s.params:
                assert value in (opts.eval_ids if key == "eval" else opts.values[key])
            if s.kind == "filter":
                assert s.value in opts.values[s.key]


def test_two_processes_behind_nginx_share_one_data_folder(tmp_path):
    """Both processes serve browsers (sticky), both see a snapshot published through the CLI; old links keep theirs."""
    if serve.nginx_binary() is None:
        pytest.fail(serve.INSTALL_HINT)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    root = tmp_path / "data"
    r = cli("--data-dir", str(root), "demo", "--evaluations", "300")
    assert r.returncode == 0, r.stderr
    old = Store(root).current_id()

    with serve.Cluster(root, processes=2, log_dir=tmp_path / "logs") as cluster:
        ports = {u.rsplit(":", 1)[1] for u in cluster.app_urls}

        def browse() -> dict:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

                def open_until_both(path: str, want: str, each: int) -> dict[str, int]:
                    """Fresh contexts (each a new browser) until both processes served `each`; all show `want`."""
                    served: dict[str, int] = {}
                    for _ in range(16):
                        context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
                        page = context.new_page()
                        page.set_default_timeout(60_000)
                        response = page.goto(cluster.url + path)
                        upstream = response.headers["x-upstream"].rsplit(":", 1)[1]
                        page.wait_for_function(DRAWN_JS, polling=100)
                        side = page.locator(
                            '[data-testid="stSidebar"] [data-testid="stCaptionContainer"]'
                        ).all_inner_texts()
                        head = page.locator(
                            '[data-testid="stMain"] [data-testid="stCaptionContainer"]'
                        ).all_inner_texts()
                        body = page.locator("body").inner_text()
                        shown = {m for t in side + head for m in re.findall(SNAP_RE, t)}
                        assert shown == {want}, (upstream, shown)
                        assert not page.locator('[data-testid="stException"]').count()
                        if want != new_id():  # a pinned old link says a newer snapshot exists
                            assert f"已有更新的快照 {new_id()}" in body, body[:500]
                        served[upstream] = served.get(upstream, 0) + 1
                        context.close()
                        if len(served) == 2 and min(served.values()) >= each:
                            break
                    return served

                new_id = lambda: Store(root).current_id()  # noqa: E731
                before = open_until_both("/", old, 1)
                pub = cli("--data-dir", str(root), "demo", "--evaluations", "300", "--as-of", "2026-11-05")
                assert pub.returncode == 0, pub.stderr
                new = Store(root).current_id()
                assert new != old
                after = open_until_both("/scores", new, 2)
                pinned = open_until_both(f"/problems?snap={old}", old, 1)
                browser.close()
                return {"before": before, "after": after, "pinned": pinned, "new": new}

        seen = in_thread(browse)
        log = cluster.access_log()

    for phase in ("before", "after", "pinned"):
        assert set(seen[phase]) == ports, (phase, seen[phase], ports)
    by_browser: dict[str, set[str]] = {}
    for row in log:
        if row["uid"] and row["upstream"] not in ("", "-"):
            by_browser.setdefault(row["uid"], set()).add(row["upstream"])
    assert len(by_browser) >= 8  # one cookie per fresh context
    assert all(len(ups) == 1 for ups in by_browser.values()), by_browser  # every browser kept its process
    assert any("/_stcore/stream" in row["request"] for row in log)  # the websocket went through nginx too
