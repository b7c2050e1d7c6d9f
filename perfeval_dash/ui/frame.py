"""The Streamlit frame around every page: navigation, the snapshot and filters from the URL, notices, share link."""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import streamlit as st
from streamlit.errors import StreamlitAPIException

from perfeval_dash.auth import gate
from perfeval_dash.auth.accounts import OPEN_USER, User
from perfeval_dash.domain.rules import SettingError, application_rule
from perfeval_dash.domain.scope import Scope
from perfeval_dash.domain.vocab import EVAL_TYPES, GRADES
from perfeval_dash.queries import options
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Snapshot, Store, StoreError, connect
from perfeval_dash.ui import fmt, url_state

APP_TITLE = "预算绩效评价结果看板"
# (script, title, url_path, icon); the first is the default page, served at "/"
PAGES = (
    ("pages/overview.py", "总览", "overview", ":material/dashboard:"),
    ("pages/scores.py", "评分分布", "scores", ":material/bar_chart:"),
    ("pages/coverage.py", "评价覆盖", "coverage", ":material/rule:"),
    ("pages/problems.py", "问题整改", "problems", ":material/build:"),
    ("pages/changes.py", "本期变化", "changes", ":material/difference:"),
    ("pages/application.py", "结果应用", "application", ":material/account_balance:"),
    ("pages/department.py", "部门档案", "department", ":material/badge:"),
    ("pages/detail.py", "评价详情", "detail", ":material/description:"),
    ("pages/data_admin.py", "数据管理", "data_admin", ":material/database:"),
)
DETAIL_PAGE = "pages/detail.py"
_STARTED: set[str] = set()  # data folders whose leftovers this server process has cleaned
_START_LOCK = threading.Lock()
_CTX = "_perfeval_ctx"
_NOTICES = "_perfeval_notices"
_SNAP = "_perfeval_snapshot"
_GOTO = "_perfeval_open_detail"
CSS = (Path(__file__).with_name("app.css")).read_text(encoding="utf-8")


@dataclass
class Context:
    """What a page needs for one run: the snapshot it reads, a connection, the filters, notices, who is looking.

    The reader's scope travels in `filters.scope` (every query applies it) and `user.scope`.
    """

    store: Store
    snapshot: Snapshot | None
    current_id: str | None
    con: duckdb.DuckDBPyConnection | None
    filters: Filters = field(default_factory=Filters)
    user: User = OPEN_USER  # the logged-in person (auth.gate); OPEN_USER when no accounts are configured
    link_extra: dict[str, str] = field(default_factory=dict)  # page parameters for the share link
    link_slot: object = None
    notice_slot: object = None  # top of the page; notices are drawn there after the page ran
    title: str = ""  # the page's title (widgets.header sets it); the browser tab shows it with the main filter
    brief_slot: object = None  # under the header: where the page's brief download is drawn

    @property
    def pinned_to_older(self) -> bool:
        return self.snapshot is not None and self.current_id is not None and self.snapshot.id != self.current_id

    def snapshot_line(self) -> str:
        if self.snapshot is None:
            return "尚无数据快照"
        return f"数据截至 {fmt.date(self.snapshot.as_of)} · 快照 {self.snapshot.id}"


def navigation() -> st.navigation:
    """The app's pages for st.navigation (the first is the default)."""
    pages = [
        st.Page(path, title=title, icon=icon, url_path=None if i == 0 else url, default=i == 0)
        for i, (path, title, url, icon) in enumerate(PAGES)
    ]
    return st.navigation(pages)


def guard() -> None:
    """Make a page script that Streamlit ran without the entry script (legacy `pages/` mode) rerun via app.py.

    Streamlit 1.67 starts in folder-based page mode when a `pages/` folder sits beside app.py, until the
    entry script has called st.navigation once (see STACK.md); a deep link as the very first request would
    then run the page alone. Switching the flag off and rerunning lets app.py resolve the same URL.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def notice(text: str) -> None:
    """Queue a visible notice for this session (shown at the top of every page until dismissed)."""
    queued = st.session_state.setdefault(_NOTICES, [])
    if text not in queued:
        queued.append(text)


def _show_notices(button_key: str) -> None:
    queued = st.session_state.get(_NOTICES, [])
    if not queued:
        return
    for text in queued:
        st.warning(fmt.md(text), icon=":material/info:")
    if st.button("知道了，关闭提示", key=button_key, type="tertiary"):
        st.session_state[_NOTICES] = []
        st.rerun()


def _bound_url() -> None:
    """Drop URL values too long or too many to be real (before any widget reads them), with a notice."""
    for key in list(st.query_params.keys()):
        values = st.query_params.get_all(key)
        kept, dropped = url_state.oversized(values)
        if len(key) > url_state.MAX_VALUE_CHARS:
            kept, dropped = [], len(values)
        if not dropped:
            continue
        try:
            if kept:
                st.query_params[key] = kept
            else:
                del st.query_params[key]
        except StreamlitAPIException:  # a widget already bound to the key keeps it; it drops unknown values
            pass
        notice(
            f"链接中的参数「{fmt.clip(key, 20)}」有 {dropped} 个值过长或过多（每个值最多 "
            f"{url_state.MAX_VALUE_CHARS} 个字符、最多 {url_state.MAX_VALUES} 个值），已忽略。"
        )


def _check_settings() -> None:
    """Stop every page with a clear message while a setting is malformed (the 结果应用 rule, parsed once)."""
    try:
        application_rule()
    except SettingError as exc:
        st.error(f"配置错误，看板无法显示：{fmt.md(exc)}", icon=":material/error:")
        st.stop()


def _clean_once(store: Store) -> None:
    """At this process's first page run on a data folder: remove what interrupted publishes left behind."""
    with _START_LOCK:
        if str(store.root) not in _STARTED:
            _STARTED.add(str(store.root))
            store.clean_leftovers()  # skips (returns None) while a publish holds the lock; never raises


def _resolve_snapshot(store: Store) -> tuple[Snapshot | None, str | None]:
    current = store.current_id()
    raw = st.query_params.get_all(url_state.SNAPSHOT)
    wanted = raw[-1] if raw else st.session_state.get(_SNAP)
    sid = current
    if wanted:
        if store.exists(wanted):
            sid = wanted
        else:
            notice(f"链接中的数据快照「{fmt.clip(wanted)}」不存在，已改为显示当前快照。")
    if sid is None:
        return None, current
    st.session_state[_SNAP] = sid
    if st.query_params.get(url_state.SNAPSHOT) != sid:
        st.query_params[url_state.SNAPSHOT] = sid  # links pin the data they show
    return store.open(sid), current


def _filter(label: str, key: str, opts: list, all_opts: list | None = None, scope: Scope | None = None) -> tuple:
    """A bound multiselect; URL values missing from the data (or outside the scope) are dropped with a notice."""
    bad = url_state.unknown_values(st.query_params.get_all(key), all_opts if all_opts is not None else opts)
    if bad:
        shown = "、".join(fmt.clip(b) for b in bad[:5]) + (f" 等 {len(bad)} 个值" if len(bad) > 5 else "")
        where = "不在您的查看范围内（或在当前数据中不存在）" if scope and not scope.is_all else "在当前数据中不存在"
        notice(f"链接中的{label}「{shown}」{where}，已忽略。")
    chosen = st.sidebar.multiselect(
        label,
        opts,
        key=key,
        bind="query-params",
        placeholder="全部",
        select_all=False,  # no English rows
    )
    return tuple(chosen)


def frame() -> Context:  # noqa: C901 - one step per part of the sidebar
    """Run once per script run from app.py: resolve the snapshot, draw the sidebar filters, build the context."""
    st.session_state.pop(_CTX, None)
    _check_settings()
    store = Store()
    user = gate.require_login(store, APP_TITLE, fmt.md)  # while nobody is logged in: the login, and the run stops
    _bound_url()
    _clean_once(store)
    try:
        snapshot, current = _resolve_snapshot(store)
    except StoreError as exc:
        st.error(f"无法读取数据：{fmt.md(exc)}")
        snapshot, current = None, None
    st.html(f"<style>{CSS}</style>")  # print layout, phone grid, Chinese for the uploader's words
    st.sidebar.markdown(f"### {APP_TITLE}")
    ctx = Context(store, snapshot, current, connect(snapshot) if snapshot else None, user=user)
    scope = user.scope  # the options offered and every query read only what this person may see
    if ctx.con is not None:
        opts = functools.partial(options.once, str(snapshot.path), ctx.con)  # per snapshot and scope, once
        regions = _filter("地区", url_state.REGION, opts(options.regions, scope), scope=scope)
        years = _filter("评价年度", url_state.YEAR, opts(options.years, scope), scope=scope)
        budget_years = _filter("预算年度", url_state.BUDGET_YEAR, opts(options.budget_years, scope), scope=scope)
        all_depts = opts(options.departments, [], scope)
        chosen = st.query_params.get_all(url_state.DEPT) + list(st.session_state.get(url_state.DEPT, []))
        in_region = opts(options.departments, list(regions), scope) if regions else all_depts
        dept_opts = in_region + [d for d in dict.fromkeys(chosen) if d in all_depts and d not in in_region]
        depts = _filter("主管部门", url_state.DEPT, dept_opts, all_depts, scope=scope)
        types = _filter("评价类型", url_state.TYPE, list(EVAL_TYPES))
        grades = _filter("等级", url_state.GRADE, list(GRADES))
        ctx.filters = Filters(
            regions=regions,
            years=tuple(int(y) for y in years),
            budget_years=tuple(int(y) for y in budget_years),
            depts=depts,
            types=types,
            grades=grades,
            scope=scope,
        )
        st.sidebar.caption(ctx.snapshot_line())
    ctx.link_slot = st.sidebar.container()
    st.session_state[_CTX] = ctx
    return ctx


def page_context() -> Context:
    """The context app.py built for this run; call first in every page script."""
    guard()
    ctx = st.session_state.get(_CTX)
    if ctx is None:  # the page ran without the frame; let app.py run it
        st.rerun()
    target = st.session_state.pop(_GOTO, None)
    if target and ctx.snapshot is not None:  # a table's 查看 was clicked: its detail, in this tab
        st.switch_page(DETAIL_PAGE, query_params={url_state.EVAL: target, url_state.SNAPSHOT: ctx.snapshot.id})
    ctx.notice_slot = st.empty()
    with ctx.notice_slot.container():  # drawn now (pages may stop early) and again by finish()
        _show_notices("_dismiss_notices_top")
    if ctx.pinned_to_older:
        _older_snapshot_banner(ctx)
    return ctx


def page_param(key: str):
    """A page parameter from the URL, parsed (url_state.PARAMS); None when absent or invalid (with a notice)."""
    raw = st.query_params.get(key)
    if raw is None or raw == "":
        return None
    param = url_state.PARAMS[key]
    try:
        return param.parse(raw)
    except ValueError as exc:
        notice(f"链接中的{param.label}「{fmt.clip(raw)}」无效（{exc}），已忽略。")
        return None


def set_page_param(key: str, value: str | None) -> None:
    """Write a page parameter into the URL (None: take it out), for widgets not bound to the URL themselves."""
    assert key in url_state.PARAMS and url_state.PARAMS[key].parse is not None  # a page key, never a filter key
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def require_data(ctx: Context) -> None:
    """Stop the page with an explanation when no snapshot is published yet."""
    if ctx.snapshot is None:
        st.info(
            "还没有已发布的数据快照。请用「数据管理」页导入，或在命令行运行 "
            "`python -m perfeval_dash bundle` 生成内置数据。"
        )
        st.stop()


def open_detail(eval_id: str) -> None:
    """Open an evaluation's detail page at the next run (from a widget callback, where switching is not allowed)."""
    st.session_state[_GOTO] = eval_id


def use_snapshot(snapshot_id: str) -> None:
    """Point this session and its URL at a snapshot (e.g. right after publishing it)."""
    st.session_state[_SNAP] = snapshot_id
    st.query_params[url_state.SNAPSHOT] = snapshot_id


def _older_snapshot_banner(ctx: Context) -> None:
    col1, col2 = st.columns([5, 1], vertical_alignment="center")
    col1.info(
        f"此链接固定在快照 {ctx.snapshot.id}（数据截至 {fmt.date(ctx.snapshot.as_of)}）。"
        f"已有更新的快照 {ctx.current_id}。",
        icon=":material/history:",
    )
    if col2.button("切换到最新数据", key="_to_current", type="primary"):
        use_snapshot(ctx.current_id)
        st.rerun()


def tab_title(ctx: Context) -> str:
    """The browser tab's title: page, the main filter and the app, so a forwarded link is recognisable."""
    f = ctx.filters
    main = "、".join((f.depts or f.regions or tuple(f"{y}年" for y in f.years))[:2])
    title = ctx.title or ""
    return " · ".join([p for p in (title, main) if p and (p is title or p not in title)] + [APP_TITLE])


def finish(ctx: Context) -> None:
    """After the page ran: redraw the notices at the top, title the tab, fill the sidebar's share-link box."""
    st.set_page_config(page_title=tab_title(ctx))
    if ctx.notice_slot is not None:
        with ctx.notice_slot.container():  # replaces what page_context drew, adding the page's own notices
            _show_notices("_dismiss_notices")
    if ctx.snapshot is None or ctx.link_slot is None:
        return
    base = st.context.url or ""
    link = url_state.share_link(base, ctx.filters, ctx.snapshot.id, ctx.link_extra)
    with ctx.link_slot:
        st.markdown("**复制链接**（含筛选条件与数据快照，转发后显示相同数字）")
        st.code(link, language=None, wrap_lines=True)
