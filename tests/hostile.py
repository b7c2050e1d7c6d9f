"""Hostile content: payloads an attacker could put in any text column, a file name or the URL."""

from __future__ import annotations

import polars as pl

from perfeval_dash.store import schema

from fixtures import fixture_tables

PAYLOADS = (
    '<iframe srcdoc="<script>parent.alert(1)</script>">',
    "<img src=x onerror=alert(2)>",
    "<style>body{display:none}</style>",
    '<meta http-equiv="refresh" content="0;url=http://evil.example/">',
    '<object data="http://evil.example/o"></object>',
    '<a href="http://evil.example/" style="position:fixed;top:0;left:0;width:100%;height:100%">全屏链接</a>',
    "[点我登录](http://evil.example/login)",
    "![图](http://evil.example/x.png)",
    '=HYPERLINK("http://evil.example","x")',
    ":red[红字] :material/warning: $\\alpha$ **粗体**",
)
TEXT_COLUMNS = {
    name: [
        c.name
        for c in t.columns
        if c.dtype == pl.String
        and c.name not in ("eval_id", "problem_id", "eval_type", "grade", "status", "application")
    ]
    for name, t in schema.TABLES.items()
}


def _payload(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


def hostile_tables() -> dict[str, pl.DataFrame]:
    """The fixture tables with a payload in every free-text column (keys and vocabularies stay valid)."""
    t = fixture_tables()
    regions = {"测试县": PAYLOADS[0]}
    out = {}
    for name, df in t.items():
        cols = []
        for c in TEXT_COLUMNS[name]:
            if c == "region":
                cols.append(pl.col(c).replace(regions))
            elif c == "department":  # each department keeps its own (hostile) name
                cols.append(pl.col(c).replace({"教育局": PAYLOADS[1], "民政局": PAYLOADS[6], "财政局": PAYLOADS[7]}))
            else:
                cols.append(pl.Series(c, [_payload(i + len(c)) for i in range(df.height)], dtype=pl.String))
        out[name] = df.with_columns(cols)
    return out
