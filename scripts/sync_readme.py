"""Regenerate the generated sections of README.md from the code: contract, settings, URL keys, code layout, roles.

Run `python scripts/sync_readme.py` after changing schema.py, settings.py, url_state.py, auth/roles.py or the
package tree; tests/test_docs.py fails while README.md and the code disagree.
"""

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from perfeval_dash.auth.roles import roles_markdown  # noqa: E402
from perfeval_dash.settings import settings_markdown  # noqa: E402
from perfeval_dash.store.schema import contract_markdown  # noqa: E402
from perfeval_dash.ui.url_state import params_markdown  # noqa: E402

README = ROOT / "README.md"
LAYOUT_ROOTS = ("app.py", "pages", "perfeval_dash")
PLAIN_DIRS = {"pages": "One thin script per screen: URL state -> query -> chart -> st.* (no SQL)."}


def _summary(path: Path) -> str:
    """The first line of a module's docstring ('' when it has none)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def layout_markdown() -> str:
    """The code tree (app.py, pages/, perfeval_dash/) with each module's one-line docstring."""
    lines = []
    for top in LAYOUT_ROOTS:
        path = ROOT / top
        files = (
            [path]
            if path.is_file()
            else sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts and p.name != "__main__.py")
        )
        if path.is_dir() and not (path / "__init__.py").is_file():
            lines.append(f"{top + '/':<24} {PLAIN_DIRS[top]}")
        for f in files:
            rel = f.relative_to(ROOT).as_posix()
            depth = rel.count("/")
            name = f.parent.name + "/" if f.name == "__init__.py" else f.name
            indent = "  " * (depth - (1 if f.name == "__init__.py" else 0))
            lines.append(f"{indent}{name:<{max(1, 24 - len(indent))}} {_summary(f)}".rstrip())
    return "```\n" + "\n".join(lines) + "\n```"


SECTIONS = {
    "contract": contract_markdown,
    "settings": settings_markdown,
    "url": params_markdown,
    "layout": layout_markdown,
    "roles": roles_markdown,
}


def synced(text: str) -> str:
    """README text with every generated section replaced by what the code says now."""
    for name, make in SECTIONS.items():
        start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
        if start not in text:
            raise SystemExit(f"README.md lacks the {start} … {end} markers")
        text = re.sub(
            f"{re.escape(start)}.*?{re.escape(end)}",
            lambda _, s=start, m=make, e=end: f"{s}\n{m()}\n{e}",
            text,
            flags=re.S,
        )
    return text


if __name__ == "__main__":
    README.write_text(synced(README.read_text(encoding="utf-8")), encoding="utf-8")
