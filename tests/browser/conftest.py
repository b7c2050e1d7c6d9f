"""A real `streamlit run` on 127.0.0.1 and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from perfeval_dash.store import Store

from fixtures import AS_OF, fixture_tables

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamlit run app.py` process serving a given data folder."""

    def __init__(self, data_dir: Path, **env_vars: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, PERFEVAL_DATA_DIR=str(data_dir), **env_vars)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless=true",
                "--server.address=127.0.0.1",
                f"--server.port={self.port}",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                # only the health endpoint: it runs no script, so the first page request stays first
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not start within 60 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def playwright_browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(playwright_browser):
    context = playwright_browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def fixture_store(tmp_path) -> Store:
    store = Store(tmp_path / "data")
    store.publish(fixture_tables(), as_of=AS_OF, made_from=["tests/fixtures.py"])
    return store


@pytest.fixture
def server(fixture_store):
    """A fresh server on the fixture snapshot, started for this test alone (its first request is the test's)."""
    s = Server(fixture_store.root)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def bundled_server():
    """A server on the repository's bundled data."""
    s = Server(ROOT / "data")
    yield s
    s.stop()


def shot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A server on the fixture data with a hostile payload in every free-text column and the file names."""
    from hostile import PAYLOADS, hostile_tables

    store = Store(tmp_path_factory.mktemp("hostile") / "data")
    store.publish(hostile_tables(), as_of=AS_OF, made_from=[PAYLOADS[5], PAYLOADS[7]])
    s = Server(store.root)
    yield s
    s.stop()
