"""Load test: S real browser sessions click through every page while new snapshots are published.

`python -m perfeval_dash load --sessions 20 --steps 12 --evaluations 20000 --publishes 5 --processes 2`

* Data: the benchmark's scale snapshot (`bench/data.ensure`, seed 7) is copied into a fresh store
  `<data-dir>/load-n<N>/` for every run, so publishes never touch the benchmark's own store.
* Servers: `bench/serve.Cluster` — one `streamlit run app.py`, or K of them behind nginx with sticky sessions.
  Each process is warmed with one page before the clock starts.
* Clients: one headless Chromium (Debian's), one browser context per session, all driven from one asyncio loop
  in this process (one coroutine per context). Measured here, the pages' own work dominates the client side:
  Chromium spends about 1.5 CPU-seconds per page drawn (React, Plotly, the data grid), Playwright's driver
  about 0.1 and this process less still, so one driver and one browser leave the most CPU to the servers; a
  process per few contexts would add a driver and a browser each and save none of the drawing.
* The browsers share the machine with the servers, which real users' browsers do not: the sampler lowers
  Chromium's renderer and GPU processes to nice `renderer_nice` (default 5) so the servers get the CPU first,
  and the table says how many CPU-seconds went to servers, browser, this driver, publishes and anything else.
* Steps: a deterministic plan per session (seeded), drawn from the data's own option lists: `open` a link
  (a page with filters, sometimes pinned to the snapshot the session shows, the detail page with an
  evaluation id), `nav` (click another page in the sidebar; the filters stay), `filter` (pick one more value
  in a sidebar multiselect). Pages rotate so every session visits each page in turn. A reading time follows
  each step (uniform 0.5–1.5 × --think); sessions start START_GAP seconds apart.
* A step is timed from the click (or the navigation) until the page is drawn: Streamlit reported the script
  run finished (a `script_finished` message on the page's websocket, so the check cannot pass before the
  rerun started), no status widget, no element marked `data-stale="true"`, an h1. The server part is the time
  from the browser's first websocket message after the action to that `script_finished`. A step fails on a
  `stException`, an error alert or toast, a connection-error dialog, a wrong page title, or a header
  snapshot id that differs from the sidebar's. Not drawn within --step-timeout: the session is stuck (ends).
* Meanwhile: P publishes (`python -m perfeval_dash demo`, same seed, later as-of dates: same names, new
  snapshot) at evenly spaced points of the run's progress; a health poller per server (front and each app
  process, every 1 s, 5 s timeout); the app processes' RSS sampled from /proc every 0.5 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from perfeval_dash.bench import data
from perfeval_dash.bench.serve import ROOT, Cluster

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DATA_SEED = 7  # the scale snapshots' seed; publishes use it too (same names and ids, later as-of dates)
FILTER_KEYS = ("region", "year", "dept", "type", "grade")
SNAP_RE = r"· 快照 ([0-9A-Za-z_-]+)"
START_GAP = 2.0  # seconds between session starts: 20 fresh tabs loading the frontend at once saturate 2 cores

# One round trip after a step: what the page shows that decides pass or fail.
INSPECT_JS = """(snapRe) => {
  const re = new RegExp(snapRe);
  const texts = (sel, root) => root ? Array.from(root.querySelectorAll(sel)).map(e => e.innerText.trim()) : [];
  const snap = (list) => { for (const t of list) { const m = t.match(re); if (m) return m[1]; } return null; };
  const side = document.querySelector('[data-testid="stSidebar"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const h1 = document.querySelector('[data-testid="stMain"] h1') || document.querySelector('h1');
  return {
    exceptions: texts('[data-testid="stException"]', document),
    alerts: texts('[data-testid="stAlertContentError"]', document),
    toasts: texts('[data-testid="stToast"]', document),
    dialogs: texts('[role="dialog"]', document).filter(t => /error|错误|连接/i.test(t)),
    h1: h1 ? h1.innerText.trim() : null,
    side: snap(texts('[data-testid="stCaptionContainer"]', side)),
    head: snap(texts('[data-testid="stCaptionContainer"]', main)),
    newer: main ? main.innerText.includes('已有更新的快照') : false,
    path: location.pathname,
  };
}"""
STATE_JS = """() => ({
  h1: (document.querySelector('h1') || {}).innerText || null,
  status: (() => { const w = document.querySelector('[data-testid="stStatusWidget"]');
                   return w ? (w.innerText.trim() || w.innerHTML.slice(0, 200)) : null; })(),
  stale: document.querySelectorAll('[data-stale="true"]').length,
  skeletons: document.querySelectorAll('[data-testid="stSkeleton"]').length,
  elements: document.querySelectorAll('[data-testid="stElementContainer"]').length,
  path: location.pathname + location.search,
})"""
DRAWN_JS = """() => !!document.querySelector('h1')
  && !document.querySelector('[data-testid="stStatusWidget"]')
  && !document.querySelector('[data-stale="true"]')"""


# ---- what the data offers ---------------------------------------------------------------------------------
@dataclass
class DataOptions:
    """The sidebar's option lists of a snapshot, departments per region, and evaluation ids for the detail page."""

    values: dict[str, list[str]]
    depts_in: dict[str, list[str]]
    eval_ids: list[str]


def read_options(root: str | Path) -> DataOptions:
    from perfeval_dash.domain.scope import ALL
    from perfeval_dash.domain.vocab import EVAL_TYPES, GRADES
    from perfeval_dash.queries import options
    from perfeval_dash.store import Store, connect

    con = connect(Store(root).open())
    regions = options.regions(con, ALL)  # the load test runs in open mode: everyone reads all
    values = {
        "region": regions,
        "year": [str(y) for y in options.years(con, ALL)],
        "dept": options.departments(con, [], ALL),
        "type": list(EVAL_TYPES),
        "grade": list(GRADES),
    }
    depts_in = {r: options.departments(con, [r], ALL) for r in regions}
    ids = [
        r[0] for r in con.sql("SELECT eval_id FROM evaluations ORDER BY hash(eval_id), eval_id LIMIT 500").fetchall()
    ]
    return DataOptions(values, depts_in, ids)


# ---- the plan ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    kind: str  # "open" | "nav" | "filter"
    page: str  # url path of the page shown after the step ("" = overview)
    title: str  # the page's navigation title
    params: tuple[tuple[str, str], ...] = ()  # open: query parameters (filters, eval)
    key: str = ""  # filter: widget key
    value: str = ""  # filter: the option added
    pin: bool = False  # open: add snap=<the snapshot the session shows>
    think: float = 0.0  # seconds after the step

    def label(self) -> str:
        name = self.page or "overview"
        if self.kind == "filter":
            return f"filter {name} {self.key}+={self.value}"
        if self.kind == "open":
            query = "&".join(f"{k}={v}" for k, v in self.params) + ("&snap=…" if self.pin else "")
            return f"open /{self.page}" + (f"?{query}" if query else "")
        return f"nav {name}"


def _pages() -> list[tuple[str, str]]:
    from perfeval_dash.ui.frame import PAGES

    return [("" if i == 0 else url, title) for i, (_, title, url, _) in enumerate(PAGES)]


def _random_filters(rng: random.Random, opts: DataOptions) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for key in rng.sample(FILTER_KEYS, rng.choice((0, 1, 1, 2, 2, 3))):
        if key == "dept":
            regions = chosen.get("region", [])
            pool = sorted({d for r in regions for d in opts.depts_in.get(r, [])}) if regions else opts.values["dept"]
        else:
            pool = opts.values[key]
        if pool:
            chosen[key] = rng.sample(pool, min(len(pool), rng.choice((1, 1, 2))))
    return chosen


def _pairs(filters: dict[str, list[str]]) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k in FILTER_KEYS for v in filters.get(k, []))


def make_plan(opts: DataOptions, sessions: int, steps: int, seed: int, think: float = 0.0) -> list[list[Step]]:
    """Each session's steps, deterministic for (data options, sessions, steps, seed)."""
    pages = _pages()
    detail = next(i for i, (p, _) in enumerate(pages) if p == "detail")
    plans = []
    for s in range(sessions):
        rng = random.Random(f"{seed}:{s}")
        at = (s + seed) % len(pages)
        filters: dict[str, list[str]] = {}
        plan: list[Step] = []
        for k in range(steps):
            kind = "open" if k == 0 else rng.choices(("nav", "filter", "open"), (0.45, 0.4, 0.15))[0]
            pause = think * rng.uniform(0.5, 1.5)
            if kind == "filter":
                free = []
                for key in FILTER_KEYS:
                    if key == "dept":
                        regions = filters.get("region", [])
                        pool = (
                            sorted({d for r in regions for d in opts.depts_in.get(r, [])})
                            if regions
                            else opts.values["dept"]
                        )
                    else:
                        pool = opts.values[key]
                    left = [v for v in pool if v not in filters.get(key, [])]
                    if left and len(filters.get(key, [])) < 2:
                        free.append((key, left))
                if free:
                    key, left = rng.choice(free)
                    value = rng.choice(left)
                    filters.setdefault(key, []).append(value)
                    plan.append(Step("filter", pages[at][0], pages[at][1], key=key, value=value, think=pause))
                    continue
                kind = "nav"
            at = (at + 1) % len(pages) if k else at
            page, title = pages[at]
            if kind == "nav" and at != detail:
                plan.append(Step("nav", page, title, think=pause))
                continue
            filters = _random_filters(rng, opts)
            params = _pairs(filters) + (
                (("eval", rng.choice(opts.eval_ids)),) if at == detail and opts.eval_ids else ()
            )
            plan.append(Step("open", page, title, params=params, pin=k > 0 and rng.random() < 0.5, think=pause))
        plans.append(plan)
    return plans


# ---- one browser session ----------------------------------------------------------------------------------
@dataclass
class StepResult:
    session: int
    index: int
    label: str
    seconds: float | None
    server_seconds: float | None = None  # until the script_finished message arrived (before the browser drew)
    kind: str = ""
    page: str = ""
    runs_started: int = 0  # script runs the server started / finished for this step (websocket messages)
    runs_finished: int = 0
    error: str | None = None
    stuck: bool = False
    snapshot: str | None = None
    newer_notice: bool = False


class RunTracker:
    """Counts finished script runs from the page's websocket frames (ForwardMsg.script_finished)."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self._done = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
        self.finished = 0
        self.started = 0
        self.finished_at = 0.0  # perf_counter() when the last run finished
        self.sent_at: float | None = None  # when the browser sent its first message after arm()
        self.compile_errors = 0
        self.event = asyncio.Event()
        page.on("websocket", self._websocket)

    def _websocket(self, ws) -> None:
        ws.on("framereceived", self._frame)
        ws.on("framesent", self._sent)

    def arm(self) -> None:
        """Note the time of the next message the browser sends (the rerun request, or a new session's hello)."""
        self.sent_at = None

    def _sent(self, payload) -> None:
        if self.sent_at is None:
            self.sent_at = time.perf_counter()

    def _frame(self, payload) -> None:
        if (
            not isinstance(payload, (bytes, bytearray)) or len(payload) > 4096
        ):  # script_finished ~44 B, new_session <1 KB
            return
        try:
            msg = self._msg.FromString(bytes(payload))
        except Exception:  # noqa: BLE001  not a ForwardMsg we need
            return
        if msg.WhichOneof("type") == "new_session":  # sent at the start of every script run
            self.started += 1
        if msg.WhichOneof("type") == "script_finished":
            if msg.script_finished == self._msg.FINISHED_WITH_COMPILE_ERROR:
                self.compile_errors += 1
                self.finished += 1
                self.finished_at = time.perf_counter()
            elif msg.script_finished in self._done:
                self.finished += 1
                self.finished_at = time.perf_counter()
            self.event.set()

    async def wait_past(self, count: int, deadline: float) -> None:
        while self.finished <= count:
            self.event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no finished script run")
            try:
                await asyncio.wait_for(self.event.wait(), left)
            except TimeoutError:
                raise TimeoutError("no finished script run") from None


async def _act(page, step: Step, base: str, shown_snapshot: str | None) -> None:
    """Do the step's action; return right before the action that starts the script run is done."""
    if step.kind == "open":
        params = list(step.params) + ([("snap", shown_snapshot)] if step.pin and shown_snapshot else [])
        url = f"{base}/{quote(step.page)}" + (f"?{urlencode(params)}" if params else "")
        await page.goto(url, wait_until="commit")
    elif step.kind == "nav":
        link = page.locator('[data-testid="stSidebarNav"] a').filter(has=page.get_by_text(step.title, exact=True))
        await link.first.click(force=True)  # no wait for two stable animation frames: a busy renderer has few
    else:
        raise ValueError(step.kind)


async def _filter(page, step: Step):
    """Open the multiselect, type the value; returns the option element to click (the click starts the run)."""
    from perfeval_dash.ui import url_state

    box = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=url_state.PARAMS[step.key].label)
    )
    field_ = box.first.locator("input")
    await field_.click(force=True)
    await field_.fill(step.value)
    option = page.get_by_role("option", name=step.value, exact=True)
    await option.first.wait_for()
    return option.first


def _check(seen: dict, step: Step) -> str | None:
    if seen["exceptions"]:
        return "stException: " + seen["exceptions"][0][:1500]
    if seen["alerts"]:
        return "st.error: " + seen["alerts"][0][:300]
    if seen["toasts"]:
        return "toast: " + seen["toasts"][0][:300]
    if seen["dialogs"]:
        return "dialog: " + seen["dialogs"][0][:300]
    if seen["side"] is None:
        return "sidebar shows no snapshot"
    if step.page != "data_admin" and seen["head"] is None:
        return "header shows no snapshot"
    if seen["head"] is not None and seen["head"] != seen["side"]:
        return f"header snapshot {seen['head']} ≠ sidebar snapshot {seen['side']}"
    if step.kind in ("nav", "open") and step.page != "detail" and not (seen["h1"] or "").startswith(step.title):
        return f"expected page {step.title}, h1 is {seen['h1']!r}"  # 评价覆盖's h1 adds （20%规则）
    return None


async def _state(page) -> str:
    """What the page shows when a step is stuck: h1, status widget, stale elements, skeletons."""
    try:
        return json.dumps(await asyncio.wait_for(page.evaluate(STATE_JS), 10), ensure_ascii=False)
    except Exception as exc:  # noqa: BLE001
        return f"unknown ({type(exc).__name__})"


async def run_session(
    browser, index: int, plan: list[Step], base: str, timeout: float, start_delay: float, on_step
) -> list[StepResult]:
    """One browser context through its plan; stops at the first stuck step."""
    await asyncio.sleep(start_delay)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    page.set_default_timeout(timeout * 1000)
    tracker = RunTracker(page)
    results: list[StepResult] = []
    shown: str | None = None
    try:
        for i, step in enumerate(plan):
            deadline = time.monotonic() + timeout
            result = StepResult(index, i, step.label(), None, kind=step.kind, page=step.page or "overview")
            before, started = tracker.finished, tracker.started
            try:
                option = await asyncio.wait_for(_filter(page, step), timeout) if step.kind == "filter" else None
                before, started = tracker.finished, tracker.started
                tracker.arm()
                t0 = time.perf_counter()
                if option is not None:
                    await option.click(force=True)
                else:
                    await asyncio.wait_for(_act(page, step, base, shown), timeout)
                await tracker.wait_past(before, deadline)
                result.server_seconds = tracker.finished_at - (tracker.sent_at or t0)
                await page.wait_for_function(
                    DRAWN_JS, polling=100, timeout=max(1.0, deadline - time.monotonic()) * 1000
                )
                result.seconds = time.perf_counter() - t0
                if step.kind == "filter":
                    await page.keyboard.press("Escape")
                seen = await page.evaluate(INSPECT_JS, SNAP_RE)
                result.snapshot, result.newer_notice = seen["side"], seen["newer"]
                result.error = _check(seen, step)
                if tracker.compile_errors:
                    result.error = result.error or "script compile error"
                shown = seen["side"] or shown
            except TimeoutError as exc:
                result.stuck = True
                result.error = f"stuck: not drawn within {timeout:.0f} s ({exc})"
            except Exception as exc:  # noqa: BLE001  a Playwright timeout or a vanished element counts as stuck
                if "Timeout" in type(exc).__name__ or "timeout" in str(exc).lower():
                    result.stuck = True
                    result.error = f"stuck: {str(exc).splitlines()[0][:300]}"
                else:
                    result.error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
            result.runs_started, result.runs_finished = tracker.started - started, tracker.finished - before
            if result.stuck:
                result.error += (
                    f"; runs started {result.runs_started}, finished {result.runs_finished}; "
                    f"page state {await _state(page)}"
                )
            results.append(result)
            on_step(result)
            if result.stuck:
                break
            await asyncio.sleep(step.think)
    finally:
        await context.close()
    return results


# ---- watchers ----------------------------------------------------------------------------------------------
class HealthPoller(threading.Thread):
    """GET <url>/_stcore/health every second (5 s timeout); counts failures."""

    def __init__(self, url: str, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.stop_event = url, stop
        self.polls = self.failures = 0
        self.messages: list[str] = []

    def run(self) -> None:
        while not self.stop_event.is_set():
            t0 = time.monotonic()
            try:
                body = urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=5).read()
                ok = body == b"ok"
                why = "" if ok else f"answered {body[:40]!r}"
            except Exception as exc:  # noqa: BLE001
                ok, why = False, f"{type(exc).__name__}: {exc}"
            self.polls += 1
            if not ok:
                self.failures += 1
                if len(self.messages) < 5:
                    self.messages.append(f"{self.url} {time.strftime('%H:%M:%S')}: {why}")
            self.stop_event.wait(max(0.0, 1.0 - (time.monotonic() - t0)))


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def machine_busy_s() -> float:
    """CPU-seconds all cores spent busy since boot (/proc/stat)."""
    vals = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(vals) - vals[3] - vals[4]) / os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, float, float]]:
    """pid -> (parent pid, CPU seconds, RSS MB) of every process."""
    clk, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            f = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
            out[int(d)] = (int(f[1]), (int(f[11]) + int(f[12])) / clk, int(f[21]) * page / 2**20)
        except (OSError, IndexError, ValueError):
            continue
    return out


class RssSampler(threading.Thread):
    """Every 0.5 s: RSS of each server process (peak), and CPU of this process's other descendants.

    Descendants are sorted into the browser side (Playwright's driver, Chromium) and the publishes (the
    `demo` CLI); with the machine's busy time from /proc/stat this tells what else ran during the run.
    """

    def __init__(self, pids: list[int], stop: threading.Event, renderer_nice: int = 0):
        super().__init__(daemon=True)
        self.pids, self.stop_event, self.renderer_nice = pids, stop, renderer_nice
        self.peak = dict.fromkeys(pids, 0.0)
        self.samples = 0
        self.cpu: dict[int, float] = {}  # descendant pid -> last CPU seconds seen
        self.base: dict[int, float] = {}  # CPU seconds at the first sample (processes that existed then)
        self.kind: dict[int, str] = {}
        self.client_rss_peak = 0.0
        self.busy0 = self.busy1 = 0.0

    def _kind(self, pid: int) -> str:
        if pid not in self.kind:
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                cmd = b""
            self.kind[pid] = (
                "publish"
                if b"perfeval_dash" in cmd and b"demo" in cmd
                else "renderer"
                if b"chromium" in cmd and (b"--type=renderer" in cmd or b"--type=gpu-process" in cmd)
                else "client"
            )
        return self.kind[pid]

    def _renice(self, pid: int) -> None:
        """Lower every thread of a Chromium renderer or GPU process to `renderer_nice` (threads come and go)."""
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return
        for tid in tids:
            try:
                if os.getpriority(os.PRIO_PROCESS, int(tid)) < self.renderer_nice:
                    os.setpriority(os.PRIO_PROCESS, int(tid), self.renderer_nice)
            except OSError:
                pass

    def _sample(self, first: bool) -> None:
        for p in self.pids:
            r = rss_mb(p)
            if r is not None:
                self.peak[p] = max(self.peak[p], r)
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        todo, client_rss = list(children.get(os.getpid(), [])), 0.0
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            if pid in self.pids:
                continue
            cpu = table[pid][1]
            if first:
                self.base[pid] = cpu
            self.cpu[pid] = max(self.cpu.get(pid, 0.0), cpu)
            kind = self._kind(pid)
            if kind != "publish":
                client_rss += table[pid][2]
            if kind == "renderer" and self.renderer_nice:
                self._renice(pid)
        self.client_rss_peak = max(self.client_rss_peak, client_rss)
        self.samples += 1

    def run(self) -> None:
        self.busy0 = self.busy1 = machine_busy_s()
        first = True
        while not self.stop_event.is_set():
            self._sample(first)
            self.busy1 = machine_busy_s()
            first = False
            self.stop_event.wait(0.5)

    def cpu_by_kind(self) -> dict[str, float]:
        out = {"client": 0.0, "publish": 0.0}
        for pid, cpu in self.cpu.items():
            out["publish" if self.kind.get(pid) == "publish" else "client"] += cpu - self.base.get(pid, 0.0)
        return out


class Publisher(threading.Thread):
    """P publishes through the CLI in a subprocess, the k-th once k/(P+1) of all steps are done."""

    def __init__(
        self, data_dir: Path, evaluations: int, publishes: int, total_steps: int, progress, stop: threading.Event
    ):
        super().__init__(daemon=True)
        self.data_dir, self.n, self.count, self.total = data_dir, evaluations, publishes, total_steps
        self.progress, self.stop_event = progress, stop
        self.done: list[dict] = []
        self.errors: list[str] = []

    def run(self) -> None:
        for k in range(1, self.count + 1):
            while self.progress() < self.total * k / (self.count + 1):
                if self.stop_event.wait(0.2):
                    return
            as_of = data.AS_OF + dt.timedelta(days=k)
            cmd = [
                sys.executable,
                "-m",
                "perfeval_dash",
                "--data-dir",
                str(self.data_dir),
                "demo",
                "--evaluations",
                str(self.n),
                "--seed",
                str(DATA_SEED),
                "--as-of",
                as_of.isoformat(),
            ]
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
            took = time.perf_counter() - t0
            if proc.returncode:
                self.errors.append(f"publish {k} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
            else:
                sid = re.search(r"快照 (\S+?)：", proc.stdout)
                self.done.append(
                    {"seconds": took, "snapshot": sid.group(1) if sid else "?", "at_step": self.progress()}
                )


# ---- the run -------------------------------------------------------------------------------------------
@dataclass
class LoadResult:
    sessions: int
    steps_per_session: int
    evaluations: int
    processes: int
    publishes_wanted: int
    seed: int
    think: float
    renderer_nice: int = 0
    steps: list[StepResult] = field(default_factory=list)
    sessions_finished: int = 0
    health: dict[str, dict] = field(default_factory=dict)
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)
    cpu_split: dict[str, float] = field(default_factory=dict)
    browser_peak_rss_mb: float = 0.0
    publishes: list[dict] = field(default_factory=list)
    publish_errors: list[str] = field(default_factory=list)
    server_tracebacks: list[str] = field(default_factory=list)
    thread_dumps: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    loadavg_before: str = ""
    loadavg_after: str = ""
    data_dir: str = ""

    @property
    def errors(self) -> list[StepResult]:
        return [s for s in self.steps if s.error and not s.stuck]

    @property
    def stuck(self) -> list[StepResult]:
        return [s for s in self.steps if s.stuck]

    @property
    def health_failures(self) -> int:
        return sum(h["failures"] for h in self.health.values())

    @property
    def times(self) -> list[float]:
        return [s.seconds for s in self.steps if s.seconds is not None]

    def failed(self) -> bool:
        return bool(
            self.errors
            or self.stuck
            or self.health_failures
            or self.publish_errors
            or self.sessions_finished < self.sessions
        )

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(
            errors=len(self.errors), stuck=len(self.stuck), health_failures=self.health_failures, failed=self.failed()
        )
        return d


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pct(xs: list[float], q: float) -> float | None:
    """The q-quantile by nearest rank (q=0.95 → p95)."""
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def prepare_data(data_dir: str | Path, evaluations: int, log=print) -> Path:
    """A fresh store `<data_dir>/load-n<N>` holding a copy of the scale's snapshot (generated when missing)."""
    from perfeval_dash.store import Store

    t0 = time.perf_counter()
    rec = data.ensure(data_dir, evaluations, DATA_SEED)
    src = Store(data.scale_root(data_dir, evaluations))
    snap = src.open()
    dst_root = Path(data_dir) / f"load-n{evaluations}"
    shutil.rmtree(dst_root, ignore_errors=True)
    dst = Store(dst_root)
    dst.snapshots_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(snap.path, dst.snapshots_dir / snap.id)
    dst.set_current(snap.id)
    log(
        f"data: {evaluations:,} evaluations ({'reused' if rec.get('reused') else 'generated'}), "
        f"copied to {dst_root} in {time.perf_counter() - t0:.1f} s"
    )
    return dst_root


def _tracebacks(logs: list[Path], limit: int = 5) -> list[str]:
    """Traceback blocks printed by the app processes."""
    found: list[str] = []
    for path in logs:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            continue
        i = 0
        while i < len(lines) and len(found) < limit:
            if lines[i].startswith("Traceback") or " Traceback (most recent call last)" in lines[i]:
                j = i + 1
                while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                    j += 1
                found.append(f"[{path.name}] " + "\n".join(lines[max(0, i - 1) : j + 1]))
                i = j
            i += 1
    return found


def _thread_dumps(logs: list[Path]) -> list[str]:
    """faulthandler's dump of all threads (after SIGABRT) from each app log, the app's own frames kept."""
    out = []
    for path in logs:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        at = text.find("Fatal Python error: Aborted")
        if at >= 0:
            out.append(f"[{path.name}]\n{text[at : at + 20000]}")
    return out


async def _warm(browser, urls: list[str], timeout: float) -> None:
    """One page per app process before the clock starts (first run imports the heavy modules)."""
    for url in urls:
        context = await browser.new_context(locale="zh-CN")
        page = await context.new_page()
        await page.goto(url + "/", timeout=timeout * 1000)
        await page.wait_for_function(DRAWN_JS, polling=200, timeout=timeout * 1000)
        await context.close()


async def _drive(cluster: Cluster, plans: list[list[Step]], timeout: float, on_step) -> list[list[StepResult]]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await _warm(browser, cluster.app_urls, max(timeout, 120))
            on_step(None)  # the clock starts
            tasks = [
                run_session(browser, i, plan, cluster.url, timeout, START_GAP * i, on_step)
                for i, plan in enumerate(plans)
            ]
            return await asyncio.gather(*tasks)
        finally:
            await browser.close()


def run(
    sessions: int = 20,
    steps: int = 30,
    evaluations: int = 20_000,
    publishes: int = 5,
    processes: int = 1,
    seed: int = 1,
    port: int | None = None,
    data_dir: str | Path = "bench-data",
    think: float = 10.0,
    step_timeout: float = 60.0,
    renderer_nice: int = 5,
    log=print,
) -> LoadResult:
    """Prepare the data, start the servers, run every session, stop everything; the result."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    root = prepare_data(data_dir, evaluations, log)
    opts = read_options(root)
    plans = make_plan(opts, sessions, steps, seed, think)
    result = LoadResult(
        sessions, steps, evaluations, processes, publishes, seed, think, data_dir=str(root), renderer_nice=renderer_nice
    )
    total = sum(len(p) for p in plans)
    done = {"steps": 0, "started": None}
    log_dir = Path(data_dir) / "load-logs"
    shutil.rmtree(log_dir, ignore_errors=True)
    cluster = Cluster(root, processes, port, log_dir=log_dir).start()
    log(f"servers: {cluster.url} ← {', '.join(cluster.app_urls)} (pids {', '.join(map(str, cluster.pids))})")
    stop = threading.Event()
    targets = [cluster.url] + (cluster.app_urls if processes > 1 else [])
    pollers = [HealthPoller(u, stop) for u in targets]
    sampler = RssSampler(cluster.pids, stop, renderer_nice)
    sessions_done = threading.Event()
    publisher = Publisher(root, evaluations, publishes, total, lambda: done["steps"], sessions_done)
    cpu0: dict[int, float] = {}
    result.loadavg_before = _loadavg()
    last_print = [time.monotonic()]

    def on_step(r: StepResult | None) -> None:
        if r is None:
            done["started"] = time.perf_counter()
            cpu0.update({p: cpu_seconds(p) or 0.0 for p in cluster.pids})
            cpu0[0] = sum(os.times()[:2])  # this process: the asyncio loop and the watcher threads
            for t in (*pollers, sampler, publisher):
                t.start()
            log(f"warm-up done; {sessions} sessions × {steps} steps, {publishes} publishes")
            return
        done["steps"] += 1
        if r.error:
            log(f"  session {r.session} step {r.index} {r.label}: {r.error.splitlines()[0][:200]}")
        if time.monotonic() - last_print[0] > 15:
            last_print[0] = time.monotonic()
            log(f"  … {done['steps']}/{total} steps, {len(publisher.done)} publishes")

    try:
        per_session = asyncio.run(_drive(cluster, plans, step_timeout, on_step))
    finally:
        sessions_done.set()
        if publisher.is_alive():
            publisher.join()  # a publish under way finishes (watched); none starts after the sessions ended
        stop.set()
        for t in (*pollers, sampler):
            if t.is_alive():
                t.join(timeout=10)
        result.wall_s = time.perf_counter() - (done["started"] or time.perf_counter())
        result.cpu_s = {
            f"app-{i + 1}": round((cpu_seconds(p) or 0.0) - cpu0.get(p, 0.0), 1) for i, p in enumerate(cluster.pids)
        }
        steps = [r for rs in (per_session if "per_session" in locals() else []) for r in rs]
        if any(r.stuck and r.runs_started > r.runs_finished for r in steps):
            # a run the server started never finished: print where every thread of the app is, before stopping
            log("a stuck step's script run never finished: dumping the app processes' threads (SIGABRT)")
            cluster.dump_threads()
            result.thread_dumps = _thread_dumps(cluster.app_logs)
        cluster.stop()
    by_kind = sampler.cpu_by_kind()
    own = sum(os.times()[:2]) - cpu0.get(0, sum(os.times()[:2]))
    machine = sampler.busy1 - sampler.busy0
    result.cpu_split = {
        "servers": round(sum(result.cpu_s.values()), 1),
        "browser": round(by_kind["client"], 1),
        "load driver": round(own, 1),
        "publishes": round(by_kind["publish"], 1),
        "other processes": round(
            max(0.0, machine - sum(result.cpu_s.values()) - by_kind["client"] - own - by_kind["publish"]), 1
        ),
        "machine busy": round(machine, 1),
        "available": round(result.wall_s * (os.cpu_count() or 1), 1),
    }
    result.browser_peak_rss_mb = round(sampler.client_rss_peak, 1)
    result.loadavg_after = _loadavg()
    result.steps = [r for rs in per_session for r in rs]
    result.sessions_finished = sum(
        1 for rs, plan in zip(per_session, plans) if len(rs) == len(plan) and not any(r.stuck for r in rs)
    )
    result.health = {
        u: {"polls": h.polls, "failures": h.failures, "messages": h.messages} for u, h in zip(targets, pollers)
    }
    result.peak_rss_mb = {f"app-{i + 1}": round(sampler.peak[p], 1) for i, p in enumerate(cluster.pids)}
    result.publishes, result.publish_errors = publisher.done, publisher.errors
    result.server_tracebacks = _tracebacks(cluster.app_logs)
    return result


# ---- the table ------------------------------------------------------------------------------------------
def _s(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def stuck_causes(stuck: list[StepResult]) -> dict[str, int]:
    """Why steps were stuck, from the script runs the page's websocket saw during the step."""
    out = {"run finished, page not drawn": 0, "no run started": 0, "run started, never finished": 0}
    for s in stuck:
        if s.runs_started > s.runs_finished:
            out["run started, never finished"] += 1
        elif s.runs_finished:
            out["run finished, page not drawn"] += 1
        else:
            out["no run started"] += 1
    return out


def table(r: LoadResult) -> str:
    """The result as a Markdown table (printed as is and pasted into docs/reliability.md)."""
    times = r.times
    server = [s.server_seconds for s in r.steps if s.server_seconds is not None and s.seconds is not None]
    publish_s = ", ".join(f"{p['seconds']:.1f}" for p in r.publishes)
    setup = f"{r.processes} process" + ("es behind nginx (sticky)" if r.processes > 1 else " (no proxy)")
    rows = [
        (
            "setup",
            f"{r.evaluations:,} evaluations; {setup}; seed {r.seed}; think {r.think:g} s (×0.5–1.5); "
            f"Chromium renderers at nice {r.renderer_nice}",
        ),
        ("sessions", f"{r.sessions} (finished {r.sessions_finished})"),
        (
            "steps done",
            f"{len(r.steps)} of {r.sessions * r.steps_per_session} "
            f"({sum(1 for s in r.steps if s.seconds is not None)} drawn)",
        ),
        ("errors", str(len(r.errors))),
        (
            "stuck",
            str(len(r.stuck))
            + (" (" + " · ".join(f"{k} {v}" for k, v in stuck_causes(r.stuck).items() if v) + ")" if r.stuck else ""),
        ),
        (
            "health failures",
            " · ".join(f"{u.split('//')[1]} {h['failures']}/{h['polls']}" for u, h in r.health.items()),
        ),
        (
            "page time p50 / p95 / max (s)",
            f"{_s(pct(times, 0.5))} / {_s(pct(times, 0.95))} / {_s(max(times, default=None))}",
        ),
        (
            "server part p50 / p95 / max (s)",
            f"{_s(pct(server, 0.5))} / {_s(pct(server, 0.95))} / {_s(max(server, default=None))}",
        ),
        ("peak RSS per server process (MB)", " · ".join(f"{k} {v:,.0f}" for k, v in r.peak_rss_mb.items())),
        ("server CPU during the run (s)", " · ".join(f"{k} {v:,.0f}" for k, v in r.cpu_s.items())),
        (
            "CPU-seconds: servers · browser · load driver · publishes · other processes (of available)",
            " · ".join(
                f"{r.cpu_split.get(k, 0):,.0f}"
                for k in ("servers", "browser", "load driver", "publishes", "other processes")
            )
            + f" (of {r.cpu_split.get('available', 0):,.0f})",
        ),
        ("browser peak RSS, all contexts (MB)", f"{r.browser_peak_rss_mb:,.0f}"),
        (
            "publishes done",
            f"{len(r.publishes)} of {r.publishes_wanted}"
            + (f" (each {publish_s} s)" if r.publishes else "")
            + (f"; {len(r.publish_errors)} failed" if r.publish_errors else ""),
        ),
        ("steps that saw 已有更新的快照", str(sum(1 for s in r.steps if s.newer_notice))),
        ("snapshots shown", str(len({s.snapshot for s in r.steps if s.snapshot}))),
        ("wall time (s)", f"{r.wall_s:.0f}"),
        ("load average before / after", f"{r.loadavg_before} / {r.loadavg_after}"),
    ]
    out = ["| load test | result |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in rows]
    by_kind: dict[str, list[tuple[float, float]]] = {}
    for s in r.steps:
        if s.seconds is not None:
            by_kind.setdefault(f"{s.kind} {s.page}", []).append((s.seconds, s.server_seconds or 0.0))
    out += [
        "",
        "| step | n | page p50 (s) | page p95 (s) | page max (s) | server p50 (s) | server p95 (s) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in sorted(by_kind):
        xs, ss = [x for x, _ in by_kind[name]], [y for _, y in by_kind[name]]
        out.append(
            f"| {name} | {len(xs)} | {_s(pct(xs, 0.5))} | {_s(pct(xs, 0.95))} | {_s(max(xs))} "
            f"| {_s(pct(ss, 0.5))} | {_s(pct(ss, 0.95))} |"
        )
    problems = [f"- session {s.session} step {s.index} `{s.label}`: {s.error}" for s in r.errors[:5]]
    problems += [f"- STUCK session {s.session} step {s.index} `{s.label}`: {s.error}" for s in r.stuck[:5]]
    problems += [f"- health: {m}" for h in r.health.values() for m in h["messages"][:3]]
    problems += [f"- {e}" for e in r.publish_errors[:3]]
    if problems:
        out += ["", "First problems:", *problems]
    if r.server_tracebacks:
        out += ["", "Tracebacks in the app processes' logs:"] + [f"```\n{t}\n```" for t in r.server_tracebacks]
    if r.thread_dumps:
        out += ["", "A script run never finished; every thread of the app processes at the end (faulthandler):"]
        out += [f"```\n{_app_frames(t)}\n```" for t in r.thread_dumps]
    return "\n".join(out)


def _app_frames(dump: str) -> str:
    """A thread dump cut to the threads that run app code (perfeval_dash, pages/, app.py) — the rest is idle."""
    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", dump)
    keep = [b for b in blocks if re.search(r"perfeval_dash|/pages/|app\.py", b)]
    return "\n".join(keep or blocks)[:12000]


def main_args(args) -> int:
    """The `load` subcommand."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # servers and browser are stopped on the way out
    try:
        result = run(
            sessions=args.sessions,
            steps=args.steps,
            evaluations=args.evaluations,
            publishes=args.publishes,
            processes=args.processes,
            seed=args.seed,
            port=args.port,
            data_dir=args.load_data_dir,
            think=args.think,
            step_timeout=args.step_timeout,
            renderer_nice=args.renderer_nice,
        )
    except RuntimeError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断（服务进程与浏览器已停止）", file=sys.stderr)
        return 130
    print(table(result), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=1))
    return 1 if result.failed() else 0
