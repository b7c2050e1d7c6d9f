"""The audit log: who did what, when, on which snapshot — appended through store/journal.py, never rewritten.

Every login, failed login, import, publish, `use` and follow-up change is recorded to `Store.audit_path`;
the 数据管理 page shows it to 编辑 (ui/audit_view.py).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass

import polars as pl

from perfeval_dash.store import Store, journal

# action -> Chinese name shown in the viewer; record() accepts these actions only
ACTIONS = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_refused": "登录被拒（失败次数过多）",
    "login_denied": "无权访问（账户未授权）",
    "logout": "退出登录",
    "import": "导入",
    "publish": "发布新快照",
    "use": "切换当前快照",
    "demo": "发布模拟数据",
    "bundle": "重建内置数据",
    "followup": "更新整改进度",
}
VIA = {"web": "网页", "cli": "命令行"}
# detail keys and coded values as the viewer shows them (a key missing here is shown as written)
DETAIL_LABELS = {
    "file": "文件",
    "errors": "错误",
    "warnings": "警告",
    "replace": "整体替换",
    "as_of": "数据截至",
    "evaluations": "评价条数",
    "problems": "问题个数",
    "mode": "登录方式",
    "known_account": "账户存在",
    "wait_seconds": "需等待秒数",
    "previous": "原当前快照",
    "outcome": "结果",
    "seed": "随机种子",
    "problem_id": "问题编号",
    "status": "整改状态",
}
DETAIL_VALUES = {
    "password": "账户密码",
    "oidc": "统一身份认证",
    "published": "已发布",
    "checked": "已校验（待发布）",
    "dry_run": "试运行（未发布）",
    "errors": "有错误（未发布）",
    "refused": "文件无法读取",
    True: "是",
    False: "否",
}
COLUMNS = {
    "time": "时间",
    "actor": "操作人",
    "name": "姓名",
    "via": "途径",
    "action": "操作",
    "snapshot": "快照",
    "detail": "详情",
    "address": "来源地址",
}


@dataclass(frozen=True)
class Actor:
    """Who did it: a login (web) or the operating-system user (command line), and from where."""

    login: str
    name: str = ""
    via: str = "web"
    address: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        """The operating-system user running the command line."""
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = str(os.getuid())
        return cls(login=user, name=user, via="cli")


class AuditError(Exception):
    """The audit log could not be written; the message says where, in Chinese."""


def record(store: Store, actor: Actor, action: str, snapshot: str | None = None, **detail) -> dict:
    """Append one event (UTC time, actor, action, snapshot id, details) to the audit log; AuditError on failure."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
        "actor": actor.login,
        "name": actor.name or actor.login,
        "via": actor.via,
        "action": action,
        "snapshot": snapshot,
        "address": actor.address,
        "detail": {k: v for k, v in detail.items() if v is not None},
    }
    try:
        return journal.append(store.audit_path, entry)
    except OSError as exc:
        raise AuditError(f"审计日志 {store.audit_path} 无法写入：{exc.strerror or exc}") from exc


def _value_text(value: object) -> str:
    if isinstance(value, list):
        return "、".join(_value_text(v) for v in value)
    if isinstance(value, (bool, str)) and value in DETAIL_VALUES:
        return DETAIL_VALUES[value]
    return str(value)


def _detail_text(detail: object) -> str:
    if not isinstance(detail, dict):
        return "" if detail is None else str(detail)
    return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_value_text(v)}" for k, v in detail.items())


def entries(store: Store) -> tuple[pl.DataFrame, journal.Journal]:
    """The log as a table in Chinese (newest first, times as logged: ISO UTC) and what reading it found (integrity)."""
    found = journal.read(store.audit_path)
    rows = [
        {
            COLUMNS["time"]: str(r.get("time") or ""),  # ISO UTC; the viewer shows it in local time
            COLUMNS["actor"]: str(r.get("actor") or ""),
            COLUMNS["name"]: str(r.get("name") or ""),
            COLUMNS["via"]: VIA.get(r.get("via"), str(r.get("via") or "")),
            COLUMNS["action"]: ACTIONS.get(r.get("action"), str(r.get("action") or "")),
            COLUMNS["snapshot"]: str(r.get("snapshot") or ""),
            COLUMNS["detail"]: _detail_text(r.get("detail")),
            COLUMNS["address"]: str(r.get("address") or ""),
        }
        for r in reversed(found.records)
    ]
    schema = dict.fromkeys(COLUMNS.values(), pl.String)
    return pl.DataFrame(rows, schema=schema), found
