"""The audit log on the 数据管理 page (编辑 only): newest first, local times, integrity, Excel/CSV downloads."""

from __future__ import annotations

import polars as pl
import streamlit as st

from perfeval_dash import settings
from perfeval_dash.auth import audit
from perfeval_dash.store import Store
from perfeval_dash.ui import download, exports, fmt

ROWS = settings.LIST_ROWS.value


def render(store: Store) -> None:
    """The section: the log as a table (first rows on the page, all of it in the downloads)."""
    st.subheader("审计日志")
    table, found = audit.entries(store)
    time = audit.COLUMNS["time"]
    table = table.with_columns(pl.Series(time, [fmt.local_time(t) for t in table[time]], dtype=pl.String))
    st.caption(
        f"登录、登录失败、导入、发布、切换当前快照等操作逐条记录（只追加、不修改），共 {table.height:,} 条；"
        f"时间为{fmt.zone_label()}时间。文件：{fmt.md(store.audit_path)}"
    )
    if found.unreadable or found.broken:
        where = "、".join(str(n) for n in (found.unreadable + found.broken)[:10])
        st.error(
            f"日志完整性检查未通过：第 {where} 行无法读取或与前一行的校验值不符（日志可能被改动或写入中断）。",
            icon=":material/gpp_bad:",
        )
    elif table.height:
        st.caption("完整性检查通过：每一行都带有前一行的校验值，没有被删改的迹象。")
    if table.height == 0:
        st.info("审计日志中还没有记录。")
        return
    st.dataframe(table.head(ROWS), hide_index=True, width="stretch", key="admin_audit")
    if table.height > ROWS:
        st.caption(f"表中显示最近 {ROWS:,} 条；完整日志请下载。")
    lines = ["审计日志", f"共 {table.height} 条，时间为{fmt.zone_label()}时间", str(store.audit_path)]
    download.pair(
        "审计日志", "admin_audit", lambda: exports.to_excel(table, "审计日志", lines), lambda: exports.to_csv(table)
    )
