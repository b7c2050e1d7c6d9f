"""The 数据管理 page: template download, upload with validation report and change preview, publish, snapshots."""

from __future__ import annotations

import datetime as dt

import polars as pl
import streamlit as st

from perfeval_dash import settings
from perfeval_dash.auth import audit
from perfeval_dash.auth.accounts import User
from perfeval_dash.domain.scope import Scope
from perfeval_dash.ingest import changes, importer, template
from perfeval_dash.ingest.changes import ROW
from perfeval_dash.ingest.layout import TABLE_ORDER, display_table, header_of
from perfeval_dash.ingest.reader import MAX_FILE_BYTES
from perfeval_dash.store import Store, StoreError
from perfeval_dash.ui import audit_view, download, exports, fmt

# Upload and publish in the app: the 编辑 role; with no accounts configured, the operator's switch (settings.EDITOR).
EDITOR_ENV = settings.EDITOR.env
_UPLOAD_GEN = "_admin_upload_gen"
_RESULT = "_admin_result"
_PUBLISHED = "_admin_published"
_CMP_PAIR = "_admin_cmp_pair"  # the (older, newer) snapshots whose comparison is shown
_CMP_NEXT = "_admin_cmp_next"  # the pair to show on the next run (set by a publish)
COMPARE_ROWS = settings.LIST_ROWS.value  # rows of a comparison table drawn on the page; the downloads hold all


def editor_enabled(user: User) -> bool:
    """True when this person may upload and publish: the 编辑 role (open mode: PERFEVAL_EDITOR=1)."""
    return user.can_edit


def render(store: Store, user: User) -> None:
    """The whole page, as `user` may see it (their scope limits exports, counts and comparisons)."""
    st.title("数据管理")
    st.caption(
        "下载导入模板 → 填写或粘贴数据 → 上传并查看校验结果与变更预览 → 发布为新的数据快照。"
        "已发布的快照不会被修改；每次发布都生成一个新快照，可随时比较。"
    )
    _access_note(user)
    _template_section(store, user.scope)
    st.divider()
    if editor_enabled(user):
        _import_section(store, user)
    else:
        _read_only_help(store, user)
    st.divider()
    _snapshots_section(store, user.scope)
    _compare_section(store, user.scope)
    if editor_enabled(user):
        st.divider()
        audit_view.render(store)


def _access_note(user: User) -> None:
    """Who is looking and what that allows; in open mode, that the app is open to everyone."""
    if user.open_mode:
        st.warning(
            "本服务未配置账户（开放模式）：任何能打开本看板的人都能查看全部数据"
            + ("，并能在本页导入和发布数据。" if user.can_edit else "；网页上不能导入或发布数据。")
            + "如需按领导、部门、编辑分权限登录，请在 `.streamlit/secrets.toml` 中配置账户"
            "（见部署说明「访问控制」一节）。",
            icon=":material/lock_open:",
        )
    else:
        st.caption(f"当前账户：{fmt.md(user.describe())}")


# ---- template --------------------------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def _template_bytes() -> bytes:
    return template.build_template()


def _template_section(store: Store, scope: Scope) -> None:
    st.subheader("导入模板")
    st.markdown(
        "模板含 5 个数据工作表（评价结果、维度得分、问题整改、部门预算、评价批次）和逐列说明的「说明」工作表；"
        "橙色列名为必填，封闭取值的列有下拉选项。问题和维度得分可以用 地区 + 评价年度 + 项目名称 指明所属评价，"
        "不必自己编号。"
    )
    c1, c2, _ = st.columns([1, 1, 3])
    c1.download_button(
        "下载空白模板",
        data=_template_bytes(),
        file_name=template.TEMPLATE_FILENAME,
        mime=download.XLSX_MIME,
        key="admin_template",
        on_click="ignore",
        icon=":material/download:",
    )
    sid = store.current_id()
    if sid:
        c2.download_button(
            "导出当前数据（模板格式）",
            data=lambda: template.export_workbook(scope.restrict(store.open(sid).read_tables())),
            file_name=f"当前数据_{sid}.xlsx",
            mime=download.XLSX_MIME,
            key="admin_export",
            on_click="ignore",
            icon=":material/table_view:",
            help="可在此基础上修改后重新导入（按编号更新）" + ("；只含您查看范围内的数据" if not scope.is_all else ""),
        )


def _read_only_help(store: Store, user: User) -> None:
    st.subheader("导入数据")
    if user.open_mode:
        st.info("本服务以只读方式运行：网页上不能上传或发布数据。", icon=":material/lock:")
    else:
        st.info(
            "您的账户只能查看数据：网页上导入和发布需要「编辑」角色（由管理员在账户配置中添加）。",
            icon=":material/lock:",
        )
        return
    st.markdown("请在服务器上用命令行导入：")
    st.code(
        "python -m perfeval_dash template 导入模板.xlsx            # 生成空白模板\n"
        "python -m perfeval_dash import 填好的文件.xlsx --dry-run  # 只校验、预览变更，不发布\n"
        "python -m perfeval_dash import 填好的文件.xlsx            # 校验通过后发布为新快照\n"
        "python -m perfeval_dash import 文件.xlsx --replace-region-year 特克斯县:2024   # 整体替换该地区该年度",
        language="bash",
    )
    st.markdown(
        f"如需在网页上导入，管理员可在启动服务时设置环境变量 `{EDITOR_ENV}=1`"
        f"（例如 `{EDITOR_ENV}=1 streamlit run app.py`），"
        f'或在服务器的 `.streamlit/secrets.toml` 顶层写 `{EDITOR_ENV} = "1"`。'
    )


# ---- upload, report, preview, publish ---------------------------------------------------------------
def _scope_options(store: Store, result: importer.ImportResult | None) -> list[str]:
    pairs: set[tuple[str, int]] = set()
    sid = store.current_id()
    frames = [store.open(sid).read_table("batches")] if sid else []
    if result is not None:
        frames += [result.tables[t] for t in ("batches", "evaluations") if t in result.tables]
    for df in frames:
        pairs |= {(r, int(y)) for r, y in df.select("region", "eval_year").drop_nulls().unique().iter_rows()}
    return [f"{r}:{y}" for r, y in sorted(pairs)]


def _load(
    store: Store, upload, scopes: tuple, table: str | None, options: importer.ImportOptions, user: User
) -> importer.ImportResult:
    """The import of this upload with these options, computed once per session (reruns reuse it); audited."""
    key = (upload.file_id, scopes, table, store.current_id(), options)
    cache = st.session_state.setdefault(_RESULT, {})
    if key not in cache:
        for old in [k for k in cache if k[0] != upload.file_id or k[3] != key[3]]:
            del cache[old]
        result = importer.load_import(
            store, upload.getvalue(), upload.name, scopes=scopes, table=table, options=options
        )
        record_action(
            store,
            user,
            "import",
            store.current_id(),
            file=upload.name,
            errors=len(result.errors),
            warnings=len(result.warnings),
            replace=[f"{r}:{y}" for r, y in scopes] or None,
            outcome="refused" if result.refused else ("errors" if result.errors else "checked"),
        )
        cache[key] = result
    return cache[key]


def _options() -> importer.ImportOptions:
    """What the upload form says about rows that lack a region, an evaluation year or a budget year."""
    c1, c2 = st.columns(2)
    region = c1.text_input(
        "默认地区",
        key="admin_default_region",
        help="文件中没有“地区”列或该列留空的行取此值（每处都列在“已转换的写法”中）；留空则不填",
    )
    year = c2.number_input(
        "默认评价年度",
        min_value=2000,
        max_value=2100,
        value=None,
        step=1,
        key="admin_default_year",
        help="文件中没有“评价年度”列或该列留空的行取此值（每处都列在“已转换的写法”中）；留空则不填",
    )
    assume = st.checkbox(
        "预算年度为空时按评价年度−1 推定",
        value=False,
        key="admin_assume_budget_year",
        help="默认不推定：未注明预算年度的评价不计入覆盖率。勾选后，这些评价的预算年度记为评价年度−1，"
        "并标记“预算年度为推定”（详情页注明）",
    )
    return importer.ImportOptions(
        region=region.strip() or None, eval_year=None if year is None else int(year), assume_budget_year=assume
    )


def actor(user: User) -> str | None:
    """Who a follow-up event names: the account's name (or login); None in open mode (shown as 未记录)."""
    return None if user.open_mode else (user.name or user.login)


def record_action(store: Store, user: User, action: str, snapshot: str | None, **detail) -> None:
    """Record an action of this person in the audit log; say so on the page when the log cannot be written."""
    actor = audit.Actor(user.login or "（开放模式）", user.name, "web", st.context.ip_address)
    try:
        audit.record(store, actor, action, snapshot, **detail)
    except audit.AuditError as exc:
        st.error(fmt.md(f"{exc}：本次操作未能记入审计日志。"), icon=":material/error:")


def _import_section(store: Store, user: User) -> None:
    st.subheader("导入数据")
    published = st.session_state.pop(_PUBLISHED, None)
    if published:
        st.success(fmt.md(published), icon=":material/check_circle:")
    gen = st.session_state.setdefault(_UPLOAD_GEN, 0)
    upload = st.file_uploader(
        "上传填好的模板（.xlsx）或单张表的 CSV",
        type=["xlsx", "csv"],
        key=f"admin_upload_{gen}",
        max_upload_size=MAX_FILE_BYTES // (1024 * 1024),
        help=f"不超过 {MAX_FILE_BYTES // (1024 * 1024)} MB；CSV 的表头可用中文列名或英文字段名",
    )
    options = _options()
    if upload is None:
        return
    table = None
    if upload.name.lower().endswith(".csv"):
        choice = st.selectbox(
            "CSV 所属的表", ["自动判断", *[display_table(t) for t in TABLE_ORDER]], key="admin_csv_table"
        )
        table = None if choice == "自动判断" else choice
    first = _load(store, upload, (), table, options, user)
    mode = st.radio(
        "导入方式",
        ["合并更新", "整体替换"],
        key="admin_mode",
        horizontal=True,
        captions=[
            "编号已存在的行被更新，新行被添加，其他数据不变",
            "先删除所选地区、评价年度的全部现有数据，再导入本文件",
        ],
    )
    scopes: tuple = ()
    if mode == "整体替换":
        chosen = st.multiselect("要整体替换的 地区:评价年度", _scope_options(store, first), key="admin_scopes")
        scopes = tuple((s.rsplit(":", 1)[0], int(s.rsplit(":", 1)[1])) for s in chosen)
    result = _load(store, upload, scopes, table, options, user) if scopes else first
    current_as_of = store.open(result.base_id).as_of if result.base_id else None
    as_of = st.date_input(
        "数据截至日期",
        value=current_as_of or dt.date.today(),
        key="admin_as_of",
        help="新快照的“数据截至”日期，用于判断整改是否逾期；默认沿用当前快照的日期，不会自动改为今天",
    )
    if current_as_of:
        st.caption(f"当前快照的数据截至日期：{fmt.date(current_as_of)}。")
    _report(result)
    if result.refused:
        return
    _as_of_shift(result, current_as_of, as_of)
    _preview(result)
    c1, c2, _ = st.columns([1, 1, 4])
    publish = c1.button(
        "发布为新快照",
        key="admin_publish",
        type="primary",
        disabled=not result.ok,
        help=None if result.ok else "有错误，不能发布；请修改文件后重新上传",
    )
    if c2.button("取消", key="admin_cancel"):
        _reset_upload()
        st.rerun()
    if publish:
        try:
            snap = importer.publish_import(store, result, as_of, actor=actor(user))
        except StoreError as exc:
            st.error(fmt.md(exc))
            return
        record_action(
            store,
            user,
            "publish",
            snap.id,
            file=result.file,
            as_of=str(as_of),
            replace=[f"{r}:{y}" for r, y in scopes] or None,
            evaluations=snap.row_count("evaluations"),
            problems=snap.row_count("problems"),
        )
        _reset_upload()
        from perfeval_dash.ui.frame import use_snapshot  # the frame; imported here to keep render() testable alone

        use_snapshot(snap.id)
        compare_next(result.base_id, snap.id)
        st.session_state[_PUBLISHED] = (
            f"已发布新快照 {snap.id}（数据截至 {snap.as_of}，"
            f"评价 {snap.row_count('evaluations')} 条，问题 {snap.row_count('problems')} 个）。"
            "本页与其他页面已切换到新快照。"
        )
        st.rerun()


def _as_of_shift(result: importer.ImportResult, old: dt.date | None, new: dt.date) -> None:
    """Warn when a new as-of date changes how many of the problems this file does not touch are overdue."""
    if old is None or new == old or result.merged is None:
        return
    before, after = importer.overdue_not_imported(result, old), importer.overdue_not_imported(result, new)
    if before != after:
        st.warning(
            f"数据截至日期由 {fmt.date(old)} 改为 {fmt.date(new)}：本文件未涉及的问题中，"
            f"逾期 {before:,} → {after:,} 个。请确认新的截至日期无误。",
            icon=":material/event:",
        )


def _reset_upload() -> None:
    st.session_state[_UPLOAD_GEN] = st.session_state.get(_UPLOAD_GEN, 0) + 1
    st.session_state.pop(_RESULT, None)


def _report(result: importer.ImportResult) -> None:
    errors, warnings = result.errors, result.warnings
    if result.refused:
        st.error(f"无法读取文件「{fmt.md(result.file)}」：{fmt.md(result.errors[0].message)}", icon=":material/block:")
        return
    if errors:
        st.error(
            f"发现 {len(errors)} 个错误、{len(warnings)} 个警告。有错误时不能发布；请按下表逐条修改后重新上传。",
            icon=":material/error:",
        )
    elif warnings:
        st.warning(f"没有错误，有 {len(warnings)} 个警告（不影响发布，请核对）。", icon=":material/warning:")
    else:
        st.success("校验通过：没有发现问题。", icon=":material/check_circle:")
    if result.findings:
        rows = [f.as_row() for f in sorted(result.findings, key=lambda f: f.severity != "error")]
        st.dataframe(
            pl.DataFrame(rows, schema_overrides={"行": pl.Int64}, strict=False),
            hide_index=True,
            width="stretch",
            key="admin_findings",
        )
    if result.conversions:
        with st.expander(f"已转换的写法与取默认值的单元格（{len(result.conversions)} 处）"):
            st.dataframe(
                pl.DataFrame(
                    [
                        {"工作表": c.sheet, "行": c.row, "列": c.column, "原写法": c.written, "读取为": str(c.value)}
                        for c in result.conversions
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="admin_conversions",
            )


def _chinese_table(name: str, df: pl.DataFrame) -> pl.DataFrame:
    cols = ([pl.col(ROW).alias("Excel 行")] if ROW in df.columns else []) + [
        pl.col(c).alias(header_of(name, c)) for c in df.columns if c != ROW
    ]
    return df.select(cols)


def _preview(result: importer.ImportResult) -> None:
    st.markdown("**读取结果**（已按规则换算：金额为万元，日期、等级、状态为标准写法）")
    names = [t for t in TABLE_ORDER if t in result.tables]
    for tab, name in zip(st.tabs([f"{display_table(t)}（{result.tables[t].height}）" for t in names]), names):
        with tab:
            st.dataframe(
                _chinese_table(name, result.tables[name]), hide_index=True, width="stretch", key=f"admin_read_{name}"
            )
    if result.changes is None:
        return
    st.markdown("**变更预览**（与当前快照相比）")
    st.dataframe(changes.counts_frame(result.changes), hide_index=True, key="admin_counts")
    for name in TABLE_ORDER:
        ch = result.changes[name]
        if ch.values.height:
            with st.expander(f"{display_table(name)}：{ch.changed_keys.height} 行有修改（{ch.values.height} 个值）"):
                st.dataframe(ch.values.drop("column"), hide_index=True, width="stretch", key=f"admin_chg_{name}")
        if ch.removed.height:
            with st.expander(f"{display_table(name)}：将删除 {ch.removed.height} 行"):
                st.dataframe(
                    _chinese_table(name, ch.removed), hide_index=True, width="stretch", key=f"admin_del_{name}"
                )


# ---- snapshots -------------------------------------------------------------------------------------
def _snapshots_section(store: Store, scope: Scope) -> None:
    st.subheader("数据快照")
    snaps = list(reversed(store.list()))
    if not snaps:
        st.info("还没有已发布的快照。")
        return
    current = store.current_id()
    rows = [
        {
            "快照": s.id,
            "当前": "✓" if s.id == current else "",
            "数据截至": fmt.date(s.as_of),
            "创建时间": fmt.local_time(s.created_at),
            "来源文件": "；".join(s.made_from),
            # whole-snapshot row counts are every department's: only for those who read everything
            **({display_table(t): s.row_count(t) for t in TABLE_ORDER} if scope.is_all else {}),
            "含模拟数据": "是" if s.has_synthetic else "否",
            "说明": s.manifest.get("note", ""),
        }
        for s in snaps
    ]
    st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch", key="admin_snapshots")
    if not scope.is_all:
        st.caption("快照的总行数包含其他部门的数据，按您的查看范围不显示；比较只含您查看范围内的数据。")


@st.cache_data(show_spinner=False, max_entries=8)
def _comparison(root: str, old_id: str, new_id: str, scope: Scope) -> changes.SnapshotComparison:
    store = Store(root)  # snapshots are immutable, so (folder, ids, scope) identifies the result
    old, new = (scope.restrict(store.open(i).read_tables()) for i in (old_id, new_id))
    return changes.compare(old, new)


def _capped(df: pl.DataFrame, name: str, key: str, config: dict | None = None) -> None:
    """A comparison table: its first rows on the page (large ones are summarised), the whole of it as downloads."""
    shown = df.head(COMPARE_ROWS)
    st.dataframe(shown, hide_index=True, width="stretch", key=key, column_config=config)
    if df.height > shown.height:
        st.caption(f"共 {df.height:,} 行，表中显示前 {shown.height:,} 行；完整内容请下载。")
    download.pair(name, key, lambda: exports.to_excel(df, name, [name]), lambda: exports.to_csv(df))


def compare_next(old_id: str | None, new_id: str) -> None:
    """After a publish: the comparison shows what it changed (the snapshot it was made on → the new one)."""
    if old_id:
        st.session_state[_CMP_NEXT] = (old_id, new_id)  # applied before the pickers are drawn on the next run


def _compare_section(store: Store, scope: Scope) -> None:
    st.subheader("比较两个快照")
    ids = list(reversed(store.list_ids()))
    if len(ids) < 2:
        st.caption("至少有两个快照时才能比较。")
        return
    nxt = st.session_state.pop(_CMP_NEXT, None)
    if nxt and set(nxt) <= set(ids):
        st.session_state.update({"admin_cmp_old": nxt[0], "admin_cmp_new": nxt[1], _CMP_PAIR: nxt})
    c1, c2 = st.columns(2)
    new_id = c1.selectbox("较新的快照", ids, index=0, key="admin_cmp_new")
    old_id = c2.selectbox("较早的快照", ids, index=1, key="admin_cmp_old")
    if old_id == new_id:
        st.caption("请选择两个不同的快照。")
        return
    # a comparison reads both snapshots whole: only when asked for (or right after a publish), not on every visit
    if st.session_state.get(_CMP_PAIR) != (old_id, new_id):
        if not st.button("开始比较", key="admin_cmp_go", icon=":material/compare_arrows:"):
            st.caption("选好两个快照后点击“开始比较”：比较会读取两个快照的全部数据，数据量大时需要一些时间。")
            return
        st.session_state[_CMP_PAIR] = (old_id, new_id)
    cmp = _comparison(str(store.root), old_id, new_id, scope)
    st.dataframe(changes.counts_frame(cmp.tables), hide_index=True, key="admin_cmp_counts")
    st.markdown(
        f"**评价**：新增 {cmp.evaluations_added.height} 条，删除 {cmp.evaluations_removed.height} 条，"
        f"修改 {cmp.tables['evaluations'].changed_keys.height} 条"
        f"（其中得分或等级变化 {cmp.evaluation_changes.filter(pl.col('得分或等级变化'))['评价编号'].n_unique()} 条，"
        "下表勾选标出）"
    )
    for label, df, key in (
        ("新增的评价", cmp.evaluations_added, "admin_cmp_added"),
        ("删除的评价", cmp.evaluations_removed, "admin_cmp_removed"),
    ):
        if df.height:
            st.markdown(label)
            _capped(df, label, key)
    if cmp.evaluation_changes.height:
        st.markdown("修改的评价（逐个值；得分或等级的变化排在前面）")
        _capped(
            cmp.evaluation_changes.sort("得分或等级变化", descending=True, maintain_order=True),
            "修改的评价",
            "admin_cmp_changed",
            {"得分或等级变化": st.column_config.CheckboxColumn("得分或等级变化")},
        )
    st.markdown(f"**问题整改**：整改状态或整改期限变化 {cmp.problem_changes['问题编号'].n_unique()} 个问题")
    if cmp.problem_changes.height:
        _capped(cmp.problem_changes, "整改变化的问题", "admin_cmp_problems")
