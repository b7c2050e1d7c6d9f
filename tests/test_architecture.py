"""The architecture holds: no import circles, arrows between rooms go one way, each rule's literals in one home."""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "perfeval_dash"
# room -> rooms it may import (besides itself, `settings` and the standard/third-party libraries)
ALLOWED = {
    "domain": set(),
    "store": {"domain"},
    "queries": {"domain", "store"},
    "ingest": {"domain", "store"},
    "auth": {"domain", "store"},
    "ui": {"domain", "store", "queries", "ingest", "auth"},
    "cli": {"domain", "store", "ingest", "bench", "auth"},
    "bench": {"domain", "store", "queries", "ui", "auth"},
}


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    out = {}
    for path in PKG.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts[:-1]) if rel.name == "__init__" else list(rel.parts)
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules a module imports (at any depth of its code), resolved to modules where they are modules."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("perfeval_dash")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("perfeval_dash"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                found.add(sub if sub in known else node.module)
    return {m for m in found if m in known and m != name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {n: imports(n, p, set(mods)) for n, p in mods.items()}


def test_no_import_circle():
    g = graph()
    state: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for m in sorted(g[n]):
            if state.get(m) == 1:
                circles.append(stack[stack.index(m) :] + [m])
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(g):
        if n not in state:
            visit(n)
    assert circles == []


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def test_arrows_between_rooms_go_one_way():
    wrong = [
        f"{a} -> {b}"
        for a, targets in graph().items()
        for b in targets
        if room(a) and room(b) and room(b) != room(a) and room(b) not in ALLOWED[room(a)]
    ]
    assert wrong == []


def test_pages_hold_no_sql_and_read_no_query_params():
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\b(SELECT|FROM|WHERE|GROUP BY)\b", text), page.name
        assert "query_params" not in text and "duckdb" not in text, page.name


BAND = {"60", "80", "90", "60.0", "80.0", "90.0"}
COMPARE = {">=", ">", "<", "<=", "==", "!="}
TRIPLE = ('"' * 3, "'" * 3)


def _tokens(path: Path) -> list[tokenize.TokenInfo]:
    skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    return [
        t
        for t in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        if t.type not in skip
    ]


def _band_numbers(tokens: list[tokenize.TokenInfo]) -> list[int]:
    """Lines using 60/80/90 as grade-band edges: compared with, taken from a score, or listed together."""
    lines = []
    for i, tok in enumerate(tokens):
        if tok.type != tokenize.NUMBER or tok.string not in BAND:
            continue
        prev = tokens[i - 1].string if i else ""
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        before = tokens[i - 2].string if i > 1 else ""
        near = {t.string for t in tokens[max(0, i - 4) : i + 5] if t.type == tokenize.NUMBER} - {tok.string}
        if prev in COMPARE or nxt in COMPARE or (prev in ("+", "-") and "sc" in before) or near & BAND:
            lines.append(tok.start[0])
    return lines


def _homes(pattern: re.Pattern | None, kind: str) -> set[str]:
    """Modules of the package (and pages) holding such a literal: 'band' numbers, or a 'string' matching pattern."""
    hits = set()
    for path in list(PKG.rglob("*.py")) + list((ROOT / "pages").glob("*.py")):
        if path.name == "seed.py":
            continue  # the transcription of the published reports: data, not rules
        tokens = _tokens(path)
        strings = [t.string for t in tokens if t.type == tokenize.STRING and not t.string.startswith(TRIPLE)]
        if (kind == "band" and _band_numbers(tokens)) or (kind == "string" and any(pattern.search(s) for s in strings)):
            hits.add(path.relative_to(ROOT).as_posix())
    return hits


@pytest.mark.parametrize(
    "what, pattern, kind, home",
    [
        ("grade band numbers", None, "band", "perfeval_dash/domain/rules.py"),
        (
            "status words",
            re.compile(r"""["'](未整改|整改中|已整改|已销号)["']|'(未整改|整改中|已整改|已销号)'"""),
            "string",
            "perfeval_dash/domain/vocab.py",
        ),
        (
            "coverage verdicts",
            re.compile(r"""["'](达标|未达标|未知)["']|'(达标|未达标|未知)'"""),
            "string",
            "perfeval_dash/domain/vocab.py",
        ),
        (
            "grades",
            re.compile(r"""^["'](优|良|中|差)["']$|'(优|良|中|差)'"""),
            "string",
            "perfeval_dash/domain/vocab.py",
        ),
    ],
)
def test_each_rule_has_its_literals_in_one_home(what, pattern, kind, home):
    """A rule's literals live in one module; the others import them (docstrings and the seed transcription aside)."""
    hits = _homes(pattern, kind)
    assert hits <= {home}, what
    assert kind == "band" or home in hits, what
