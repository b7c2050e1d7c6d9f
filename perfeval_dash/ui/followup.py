"""Follow-up over time on the pages: deadline switch, ageing, revisions, repeat problems, timelines, 结果应用, updates.

Existing pages call one function each (problems page: `tracking_section` and `repeats_view`, one per tab; detail
page: `detail_section`; 数据管理: `update_section`); the new pages (本期变化, 结果应用, 部门档案)
use the helpers here too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import streamlit as st

from perfeval_dash import settings
from perfeval_dash.domain.rules import application_rule, describe_rule
from perfeval_dash.domain.vocab import (
    BREAKS,
    CLOSED_DATE_CHANGED,
    CURRENT_DEADLINE,
    DEADLINE_BASES,
    DEADLINE_CHANGED,
    DONE_STATUSES,
    NO_FOLLOW_UP,
    NOT_RECORDED,
    STATUS_CHANGED,
    STATUSES,
    UNKNOWN,
    UNVERIFIABLE,
    YEAR_DAYS,
)
from perfeval_dash.queries import application, detail, followup
from perfeval_dash.store import StoreError
from perfeval_dash.ui import admin_page, charts, download, exports, fmt, frame, labels, signals, url_state, widgets
from perfeval_dash.ui.frame import Context
from perfeval_dash.ui.tiles import Tile

_PENDING = "_fu_pending"  # the editor's batch of follow-up changes, with the snapshot it was made against
_PUBLISHED = "_fu_published"
_GEN = "_fu_gen"  # bumped to clear the form's widgets
UPDATE_SOURCE = "网页更新整改进度"


# ---- the deadline switch ----------------------------------------------------------------------------
def deadline_basis(ctx: Context) -> str:
    """Which deadline overdue counts read (?dl=, bound to a radio; the current one stays out of the URL)."""
    frame.page_param(url_state.DEADLINE)  # an invalid value is dropped by the bound radio; this says so
    basis = st.radio(
        "逾期按",
        DEADLINE_BASES,
        key=url_state.DEADLINE,
        bind="query-params",
        horizontal=True,
        help="现行期限：问题当前的整改期限；原定期限：问题首次出现时的整改期限（改期前）。"
        "按原定期限看，推迟期限的问题仍算逾期。",
    )
    if basis != CURRENT_DEADLINE:
        ctx.link_extra[url_state.DEADLINE] = basis
    return basis


def _suffix(basis: str) -> str:
    return "cur" if basis == CURRENT_DEADLINE else "orig"


def deadline_tiles(s: dict, basis: str) -> list[Tile]:
    """Headline figures of follow-up against the chosen deadline: due, overdue, share of due done, revisions."""
    sfx = _suffix(basis)
    over_year = s["open_over_year"]
    tracked = s["tracked"]
    none = tracked == 0  # no problem in view has a follow-up record: nothing is known, nothing is zero
    rate = s[f"rate_{sfx}"]
    age_unknown = s["open_age_unknown"]
    return [
        Tile(
            "到期问题",
            NO_FOLLOW_UP if none else fmt.count(s[f"due_{sfx}"], "个"),
            f"有整改记录、{basis}早于数据截至日的问题",
            signal=signals.UNKNOWN if none else None,
        ),
        Tile(
            f"逾期（按{basis}）",
            NO_FOLLOW_UP if none else fmt.count(s[f"overdue_{sfx}"], "个"),
            "到期仍未完成（未整改 + 整改中）",
            signal=signals.overdue(s[f"overdue_{sfx}"], tracked),
        ),
        Tile(
            "到期整改完成率",
            NO_FOLLOW_UP if none else fmt.pct(rate),
            f"到期问题中已完成的比例（按{basis}）；没有到期问题时为{UNKNOWN}",
            signal=signals.rate(rate),
        ),
        Tile(
            "改期问题",
            NO_FOLLOW_UP if none else fmt.count(s["revised"], "个"),
            f"整改期限被推迟过的问题；共推迟 {s['pushes']:,} 次",
            signal=signals.UNKNOWN if none else (signals.WARN if s["revised"] else None),
        ),
        Tile(
            "未完成超过一年",
            fmt.count(over_year, "个") if age_unknown == 0 or over_year else UNKNOWN,
            f"报告公布已超过 {YEAR_DAYS} 天仍未完成"
            + (f"；另有 {age_unknown:,} 个未完成问题的报告公布日期未知" if age_unknown else ""),
            signal=signals.WARN if over_year else (signals.UNKNOWN if age_unknown else None),
            note=f"另有 {age_unknown:,} 个日期未知" if age_unknown else None,
        ),
    ]


def _dept_links(ctx: Context, df: pl.DataFrame) -> pl.DataFrame:
    """The frame with a link to each row's department sheet (its region and department as the filters)."""
    rows = list(zip(df["region"].to_list(), df["department"].to_list()))
    links = url_state.department_links("department", ctx.filters, ctx.snapshot.id, rows)
    links = [None if d == followup.BATCH_DEPARTMENT else link for (_, d), link in zip(rows, links)]
    return df.with_columns(pl.Series("dept_link", links, dtype=pl.String))


DEPT_LINK = {"部门档案": st.column_config.LinkColumn("部门档案", display_text="打开")}


# ---- 本期变化: which earlier snapshot ---------------------------------------------------------------
def since_picker(ctx: Context):
    """The earlier snapshot 本期变化 counts from (?since=; default: the one this snapshot was published on top of).

    Only snapshots of this snapshot's own line qualify: its history holds the changes since each of them.
    Returns None when there is none (this snapshot starts its history)."""
    line = ctx.store.lineage(ctx.snapshot.id)
    wanted = frame.page_param(url_state.SINCE)
    ids = [s.id for s in line]
    if wanted and wanted not in ids:
        frame.notice(f"链接中的比较起点快照「{fmt.clip(wanted)}」不是当前快照之前发布的快照，已改为与上一个快照比较。")
        wanted = None
    if not line:
        frame.set_page_param(url_state.SINCE, None)
        return None
    by_id = {s.id: s for s in line}
    choice = st.selectbox(
        "与哪个较早的快照比较",
        ids,
        index=ids.index(wanted) if wanted else 0,
        format_func=lambda i: f"数据截至 {fmt.date(by_id[i].as_of)} · 快照 {i}" + ("（上一个）" if i == ids[0] else ""),
        help="只能选择当前快照之前、在同一条发布链上的快照（当前快照的变化记录从它们开始）。",
    )
    frame.set_page_param(url_state.SINCE, None if choice == ids[0] else choice)
    if choice != ids[0]:
        ctx.link_extra[url_state.SINCE] = choice
    return by_id[choice]


def department_index(ctx: Context, names: list[str]) -> None:
    """A table of departments, each linking to its sheet (the current filters plus that department)."""
    links = [
        url_state.share_link("department", dataclasses.replace(ctx.filters, depts=(d,)), ctx.snapshot.id, {})
        for d in names
    ]
    df = pl.DataFrame(
        {"department": names, "dept_link": links}, schema={"department": pl.String, "dept_link": pl.String}
    )
    widgets.table(ctx, df, "部门列表", key="dept_index", column_config=DEPT_LINK)


def sheet_download(ctx: Context, name: str, sheets: list[tuple[str, pl.DataFrame]]) -> None:
    """One Excel workbook of several tables (Chinese headers), with the filters and snapshot above each table."""
    lines = [ctx.filters.describe(), ctx.snapshot_line()]
    if any("synthetic" in df.columns and df["synthetic"].any() for _, df in sheets):
        lines.append("注意：含模拟数据（「模拟数据」列为“是”的行为演示用虚构数据）")
    book = [(title, labels.chinese(df)) for title, df in sheets]
    st.download_button(
        "下载部门档案（Excel）",
        data=lambda: exports.to_excel_book(book, lines),
        file_name=f"{name}.xlsx",
        mime=download.XLSX_MIME,
        key="fu_sheet_xlsx",
        on_click="ignore",
        icon=":material/download:",
        type="primary",
    )


# ---- problems page ----------------------------------------------------------------------------------
def tracking_section(ctx: Context, tiles: list[Tile]) -> None:
    """整改跟踪 (the problems page's second tab): the deadline switch, due/overdue against it, ageing, revisions per
    department and the revised problems; the page's brief holds the problem tiles, these and the ageing chart."""
    f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of
    basis = deadline_basis(ctx)
    s = followup.summary(con, f, as_of)
    if s["tracked"] == 0:
        st.info("所选问题均无整改跟踪记录，无法统计期限、账龄与改期。")
        widgets.brief(ctx, tiles, synthetic=s["any_synthetic"])
        return
    more = deadline_tiles(s, basis)
    widgets.tiles(more)
    st.caption(
        f"原定期限：问题首次出现在数据中时的整改期限（系统在每次发布时记录，不可导入）。"
        f"账龄按报告公布日期到数据截至日 {fmt.date(as_of)} 计算。"
    )
    fig = charts.fig_ageing(followup.ageing(s), f"overdue_{_suffix(basis)}", basis)
    widgets.chart(fig, "fu_ageing")
    depts, total = followup.by_department(con, f, as_of)
    st.markdown("**各部门改期与逾期**（改期次数多的在前）")
    note = f"共 {total:,} 个部门，表中显示前 {depts.height:,} 个。" if total > depts.height else None
    widgets.table(ctx, _dept_links(ctx, depts), "各部门改期与逾期", key="fu_depts", note=note, column_config=DEPT_LINK)
    rev, total = followup.revised(con, f, as_of)
    if total:
        st.markdown("**改期或重新打开的问题**")
        note = f"共 {total:,} 个，表中显示改期次数最多的 {rev.height:,} 个。" if total > rev.height else None
        widgets.table(ctx, rev, "改期或重新打开的问题", key="fu_revised", note=note)
    key = depts.select("department", "region", "pushes", "revised", f"overdue_{_suffix(basis)}", "open_over_year")
    widgets.brief(ctx, [*tiles, *more], [fig], key, "各部门改期与逾期（改期次数多的在前）", s["any_synthetic"])


def repeats_view(ctx: Context, tiles: list[Tile]) -> None:
    """屡查屡犯 (the problems page's third tab), with the page's brief: the problem tiles and the departments."""
    rep = repeats_section(ctx)
    per_dept = followup.repeat_departments(rep)
    widgets.brief(
        ctx,
        tiles,
        table=per_dept.select("department", "region", "categories", "problems") if per_dept.height else None,
        table_title="屡查屡犯（按部门，类别多的在前）",
        synthetic=bool(per_dept.height and per_dept["synthetic"].any()),
    )


def repeats_section(ctx: Context, key: str = "fu_repeats") -> pl.DataFrame:
    """屡查屡犯: departments with problems of one category in two or more evaluation years; returns the groups."""
    f, con, as_of = ctx.filters, ctx.con, ctx.snapshot.as_of
    st.markdown("**屡查屡犯**：同一部门同一类问题在两个及以上评价年度被发现")
    rep = followup.repeats(con, f, as_of)
    if rep.is_empty():
        st.caption("所选范围内没有在两个及以上评价年度重复出现的同类问题。")
        return rep
    per_dept = followup.repeat_departments(rep)
    st.caption(
        f"共 {per_dept.height:,} 个部门、{rep.height:,} 个“部门 + 问题类别”在所选评价年度中重复出现"
        "（整批共性问题不属于单个部门，不计入；按评价年度筛选时只看所选年度）。"
    )
    rows = settings.LIST_ROWS.value  # the tables show the first rows (most categories, most problems)
    for df, name, k in ((per_dept, "屡查屡犯（按部门）", f"{key}_depts"), (rep, "屡查屡犯（部门与问题类别）", key)):
        note = f"共 {df.height:,} 行，表中显示前 {rows:,} 行。" if df.height > rows else None
        widgets.table(ctx, _dept_links(ctx, df.head(rows)), name, key=k, note=note, column_config=DEPT_LINK)
    return rep


# ---- detail page ------------------------------------------------------------------------------------
def detail_section(ctx: Context, ev: detail.Evaluation) -> None:
    """结果应用 of one evaluation (未记录 when none) and the timeline of its problems."""
    con = ctx.con
    st.subheader("结果应用（下一年度预算）")
    rule = application_rule()
    v = application.verdict(con, ev, rule)
    if v is None or v["consequence"] == NOT_RECORDED:
        st.markdown(f"结果应用：**{NOT_RECORDED}**（数据中没有该评价结果在预算中如何运用的记录）")
    else:
        share = f"，占评价金额 {fmt.pct(v['share'])}" if v["share"] is not None else ""
        st.markdown(
            f"结果应用：**{fmt.md(v['consequence'])}**"
            + (f"（{v['application_year']}年度预算）" if v["application_year"] else "")
            + (f"；涉及金额 {fmt.wan(v['application_wan'])}{share}" if v["application_wan"] is not None else "")
        )
    if v is not None:
        st.caption(f"本局规则：{describe_rule(rule)}。核对结果：{v['verdict']}。")
    st.subheader("整改时间线")
    events = followup.timeline(con, ev)
    lines = followup.deadlines(con, ev)
    moved = lines.filter((pl.col("pushes") > 0) | (pl.col("deadline_changes") > 0) | (pl.col("reopens") > 0))
    for p in moved.iter_rows(named=True):
        st.caption(
            f"问题 {fmt.md(p['problem_id'])}：原定期限 {fmt.date(p['original_due'])}，"
            f"现行期限 {fmt.date(p['due_date'])}"
            + (f"，改期（推迟）{p['pushes']} 次" if p["pushes"] else "")
            + (f"，重新打开 {p['reopens']} 次" if p["reopens"] else "")
        )
    if events.height:
        widgets.table(ctx, events, f"{ev['eval_id']} 整改时间线", key="fu_timeline")
    else:
        st.caption("自有变化记录以来，这项评价的问题没有变化（新发现、状态、期限、完成日期、责任单位）。")


# ---- 数据管理: updating follow-ups in the app (editor only) ---------------------------------------------
def update_section(ctx: Context) -> None:
    """Editors pick problems, set status / closed date / evidence / a new deadline with its reason, review the
    batch and publish it as one new snapshot (refused when the current snapshot moved since the batch began)."""
    if not ctx.user.can_edit:  # 编辑 with accounts; in open mode, the editor switch
        return
    st.divider()
    st.subheader("更新整改进度")
    done = st.session_state.pop(_PUBLISHED, None)
    if done:
        st.success(fmt.md(done), icon=":material/check_circle:")
    store = ctx.store
    current = store.current_id()
    if ctx.snapshot is None or current is None:
        st.info("还没有已发布的数据快照。")
        return
    if ctx.snapshot.id != current:
        st.info("当前查看的是较早的快照；整改进度只能在最新快照上更新。请先切换到最新数据。")
        return
    st.caption(
        "选择问题并填写新的整改状态、完成日期、证明材料说明，需要时调整整改期限（须写明原因）；"
        "加入待发布清单后核对，再发布为一个新快照。每项变化都记入整改变化记录。"
    )
    gen = st.session_state.setdefault(_GEN, 0)
    text = st.text_input(
        "查找问题", key=f"fu_search_{gen}", placeholder="问题编号、评价编号、问题描述或责任单位中的文字"
    )
    found = followup.find_problems(ctx.con, ctx.filters, text)
    labels = {
        r["problem_id"]: f"{r['problem_id']}｜{r['status']}｜{fmt.clip(r['description'], 30)}"
        for r in found.iter_rows(named=True)
    }
    picked = st.multiselect(
        f"选择问题（按侧栏筛选与查找文字，显示前 {found.height} 个）",
        list(labels),
        format_func=lambda p: labels.get(p, p),
        key=f"fu_pick_{gen}",
        placeholder="选择一个或多个问题",
    )
    c1, c2 = st.columns(2)
    status = c1.selectbox("新的整改状态", STATUSES, index=1, key=f"fu_status_{gen}")
    closed = c2.date_input("完成日期（已整改 / 已销号时必填）", value=None, key=f"fu_closed_{gen}")
    evidence = st.text_input("证明材料说明（已整改 / 已销号时必填）", key=f"fu_evidence_{gen}")
    move = st.checkbox("调整整改期限", key=f"fu_move_{gen}")
    new_due, reason = None, ""
    if move:
        c1, c2 = st.columns(2)
        new_due = c1.date_input("新的整改期限", value=None, key=f"fu_due_{gen}")
        reason = c2.text_input("改期原因（必填）", key=f"fu_reason_{gen}")
    if st.button("加入待发布清单", key="fu_add", disabled=not picked):
        errors = _change_errors(status, closed, evidence, move, new_due, reason)
        if errors:
            for e in errors:
                st.error(e)
        else:
            _add_pending(ctx, current, picked, status, closed, evidence, new_due if move else None, reason)
            st.session_state[_GEN] = gen + 1
            st.rerun()
    _review_and_publish(ctx, current)


def _change_errors(status, closed, evidence, move, new_due, reason) -> list[str]:
    """What blocks adding a change to the batch, in Chinese (empty list = fine)."""
    errors = []
    if status in DONE_STATUSES and closed is None:
        errors.append(f"状态为「{status}」时必须填写完成日期。")
    if status in DONE_STATUSES and not evidence.strip():
        errors.append(f"状态为「{status}」时必须填写证明材料说明。")
    if status not in DONE_STATUSES and closed is not None:
        errors.append("尚未完成的问题不能填写完成日期。")
    if move and new_due is None:
        errors.append("请填写新的整改期限，或取消勾选“调整整改期限”。")
    if move and not reason.strip():
        errors.append("调整整改期限必须写明原因。")
    return errors


def _add_pending(ctx, current, picked, status, closed, evidence, new_due, reason) -> None:
    pending = st.session_state.get(_PENDING)
    if pending is None or pending["base"] != current:
        pending = {"base": current, "changes": {}}
    old = followup.problem_rows(ctx.con, ctx.filters, picked)
    for r in old.iter_rows(named=True):
        pending["changes"][r["problem_id"]] = {
            "problem_id": r["problem_id"],
            "description": r["description"],
            "old_status": r["status"],
            "status": status,
            "old_closed": r["closed_date"],
            "closed_date": closed,
            "old_due": r["due_date"],
            "due_date": new_due or r["due_date"],
            "evidence": evidence.strip() or None,
            "reason": (reason.strip() or None) if new_due else None,
        }
    st.session_state[_PENDING] = pending


def _review_and_publish(ctx: Context, current: str) -> None:
    pending = st.session_state.get(_PENDING)
    if not pending or not pending["changes"]:
        return
    rows = list(pending["changes"].values())
    st.markdown(f"**待发布清单**（{len(rows)} 个问题；基于快照 {pending['base']}）")
    review = pl.DataFrame(
        [
            {
                "问题编号": r["problem_id"],
                "问题描述": r["description"],
                "整改状态": f"{r['old_status'] or '—'} → {r['status']}",
                "完成日期": f"{fmt.date(r['old_closed'])} → {fmt.date(r['closed_date'])}",
                "整改期限": f"{fmt.date(r['old_due'])} → {fmt.date(r['due_date'])}",
                "证明材料说明": r["evidence"] or "",
                "改期原因": r["reason"] or "",
            }
            for r in rows
        ]
    )
    st.dataframe(review, hide_index=True, width="stretch", key="fu_review")
    if pending["base"] != current:
        st.error("清单建立之后数据已被更新（当前快照已变），不能发布；请清空清单后重新选择问题。")
    c1, c2, c3 = st.columns([2, 1, 1], vertical_alignment="bottom")
    as_of = c1.date_input("新快照的数据截至日期", value=dt.date.today(), key="fu_as_of")
    if c2.button("发布为新快照", key="fu_publish", type="primary", disabled=pending["base"] != current):
        _publish(ctx, pending, as_of)
    if c3.button("清空清单", key="fu_clear"):
        st.session_state.pop(_PENDING, None)
        st.rerun()


def _publish(ctx: Context, pending: dict, as_of: dt.date) -> None:
    """Publish the batch through the store's atomic path; the session then shows the new snapshot."""
    store = ctx.store
    moved = [
        r
        for r in pending["changes"].values()
        if (r["status"], r["closed_date"], r["due_date"]) != (r["old_status"], r["old_closed"], r["old_due"])
    ]
    if not moved:
        st.error("清单中的问题都没有变化（整改状态、完成日期、整改期限与原来相同），无需发布。")
        return
    changes = pl.DataFrame(
        [
            {
                "problem_id": r["problem_id"],
                "status": r["status"],
                "closed_date": r["closed_date"],
                "due_date": r["due_date"],
            }
            for r in pending["changes"].values()
        ],
        schema={"problem_id": pl.String, "status": pl.String, "closed_date": pl.Date, "due_date": pl.Date},
    )
    notes: dict[tuple[str, str], str] = {}
    for r in pending["changes"].values():
        if r["evidence"]:
            notes[(r["problem_id"], STATUS_CHANGED)] = r["evidence"]
            notes[(r["problem_id"], CLOSED_DATE_CHANGED)] = r["evidence"]
        if r["reason"]:
            notes[(r["problem_id"], DEADLINE_CHANGED)] = r["reason"]
    try:
        base = store.open(pending["base"])
        tables = base.read_tables()
        tables["problems"] = tables["problems"].update(changes, on="problem_id", include_nulls=True)
        snap = store.publish(
            tables,
            as_of=as_of,
            made_from=[*base.made_from, UPDATE_SOURCE],
            note=f"网页更新整改进度：{len(pending['changes'])} 个问题（基于快照 {pending['base']}）",
            event_notes=notes,
            expect_current=pending["base"],
            actor=admin_page.actor(ctx.user),
        )
    except StoreError as exc:
        st.error(fmt.md(exc))
        return
    for r in pending["changes"].values():  # one audit line per problem changed, like every other write
        admin_page.record_action(
            store, ctx.user, "followup", snap.id, problem_id=r["problem_id"], status=r["status"], as_of=str(as_of)
        )
    st.session_state.pop(_PENDING, None)
    frame.use_snapshot(snap.id)
    admin_page.compare_next(pending["base"], snap.id)  # 数据管理's comparison then shows what this publish changed
    st.session_state[_PUBLISHED] = (
        f"已发布新快照 {snap.id}（数据截至 {snap.as_of}）：{len(pending['changes'])} 个问题的整改进度已更新，"
        f"记入整改变化记录 {snap.manifest.get('events', 0)} 条。本页与其他页面已切换到新快照。"
    )
    st.rerun()


FLAG_VERDICTS = (BREAKS, UNVERIFIABLE)  # the verdicts the 结果应用 page lists
