"""The roles, declared once: what each lets a person read and change. A person may hold several."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    """One role: its Chinese name (used on screen and in the accounts file), an ASCII alias, what it allows."""

    name: str
    alias: str
    reads_all: bool  # every region and department
    edits: bool  # import, publish, follow-up updates
    meaning: str


LEADER = Role("领导", "leader", reads_all=True, edits=False, meaning="查看全部地区和部门（只读）")
DEPARTMENT = Role("部门", "department", reads_all=False, edits=False, meaning="只查看所列地区、部门的数据（只读）")
EDITOR = Role("编辑", "editor", reads_all=True, edits=True, meaning="查看全部数据，导入、发布、更新整改进度")
ROLES: tuple[Role, ...] = (LEADER, DEPARTMENT, EDITOR)
BY_WORD: dict[str, Role] = {r.name: r for r in ROLES} | {r.alias: r for r in ROLES}


def roles_markdown() -> str:
    """The roles as a Markdown table (for the README)."""
    rows = ["| role | alias | reads | may change data | meaning |", "| --- | --- | --- | --- | --- |"]
    for r in ROLES:
        reads = "all regions and departments" if r.reads_all else "its listed regions / departments"
        rows.append(f"| {r.name} | `{r.alias}` | {reads} | {'yes' if r.edits else 'no'} | {r.meaning} |")
    return "\n".join(rows)
