import datetime as dt
import re
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from perfeval_dash.queries.filters import BUDGET_COLUMNS, Filters
from perfeval_dash.ui import fmt, url_state


@pytest.mark.parametrize(
    "amount, text",
    [
        (123.77, "123.77万元"),
        (1000, "1,000.00万元"),
        (258.7049, "258.7049万元"),
        (30.992, "30.992万元"),
        (8780.09, "8,780.09万元"),
        (23500, "2.35亿元"),
        (None, "—"),
        (0, "0.00万元"),
    ],
)
def test_wan(amount, text):
    assert fmt.wan(amount) == text


def test_computed_amounts_use_two_decimals():
    assert fmt.wan(7218.2619, max_decimals=2) == "7,218.26万元"


@pytest.mark.parametrize("value, text", [(90.97, "90.97分"), (92, "92分"), (94.8, "94.8分"), (None, "—")])
def test_score(value, text):
    assert fmt.score(value) == text


def test_pct_and_date():
    assert fmt.pct(0.853) == "85.3%" and fmt.pct(None) == "未知"
    assert fmt.date(dt.date(2024, 6, 30)) == "2024年6月30日"


@pytest.mark.parametrize(
    "filters, sentence",
    [
        (Filters(), "筛选：全部数据（未筛选）"),
        (
            Filters(depts=("教育局",), years=(2023, 2024), grades=("良", "中", "差")),
            "筛选：评价年度 2023–2024年；主管部门 教育局；等级 良及以下",
        ),
        (Filters(regions=("特克斯县",), years=(2021, 2024)), "筛选：特克斯县；评价年度 2021、2024年"),
        (Filters(grades=("优", "差")), "筛选：等级 优、差"),
    ],
)
def test_filter_sentence(filters, sentence):
    assert filters.describe() == sentence


def test_filter_sql_binds_values_and_never_formats_them():
    evil = "教育局'; DROP TABLE evaluations; --"
    sql, params = Filters(depts=(evil,), years=(2023,)).where("e")
    assert evil not in sql and params["f_depts"] == [evil] and params["f_years"] == [2023]
    assert Filters().where() == ("TRUE", {})
    sql, params = Filters(types=("项目",), regions=("r",), years=(2023,)).where("b", BUDGET_COLUMNS)
    assert "eval_type" not in sql and "eval_year" not in sql and set(params) == {"f_regions"}


def test_filter_sql_injection_attempt_is_literal(store):
    from perfeval_dash.queries import overview
    from perfeval_dash.store import connect

    con = connect(store.open())
    head = overview.headline(con, Filters(depts=("教育局' OR '1'='1",)))
    assert head["evaluations"] == 0
    assert con.execute("select count(*) from evaluations").fetchone()[0] == 5


def test_share_link_round_trip():
    f = Filters(depts=("教育局", "民政局"), years=(2023,))
    link = url_state.share_link("http://127.0.0.1:8501/scores", f, "20260101T000000-abcdef", {"thr": "25"})
    from urllib.parse import parse_qs, urlparse

    q = parse_qs(urlparse(link).query)
    assert urlparse(link).path == "/scores"
    assert q == {"dept": ["教育局", "民政局"], "year": ["2023"], "thr": ["25"], "snap": ["20260101T000000-abcdef"]}
    assert "region" not in link, "defaults stay out of the URL"


def test_department_links_equal_share_links():
    """The department sheet links of a table (encoded once, filled per row) are exactly share_link's, for names
    that need percent-encoding, with the other filters kept and the region and department replaced."""
    f = Filters(regions=("甲县",), years=(2023, 2024), types=("项目",), depts=("财政局",), grades=("差",))
    rows = [("乙县", "教育局"), ("A&B=C?#%", "100% 部门/处 + 科"), ("乙县", "r00d00")]
    got = url_state.department_links("department", f, "20260101T000000-abcdef", rows)
    want = [
        url_state.share_link("department", replace(f, regions=(r,), depts=(d,)), "20260101T000000-abcdef")
        for r, d in rows
    ]
    assert got == want
    assert url_state.department_links("department", f, "s", []) == []


def test_unknown_values():
    assert url_state.unknown_values(["2023", "abc", ""], [2023, 2024]) == ["abc"]


HOSTILE = [
    "[点我登录](http://evil.example)",
    "http://evil.example/x",
    "![x](http://evil.example/x.png)",
    "<img src=x onerror=alert(1)>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "# 标题",
    "1. 列表",
    ":red[红] :material/warning:",
    "$x$",
    "**粗**",
    "`code`",
    "www.evil.example",
    "行一\n- 行二",
    "a\\b",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_md_escaped_text_renders_as_typed(text):
    """Rendered by a CommonMark + GFM parser (autolinks too), escaped text makes no element but paragraphs."""
    html = MarkdownIt("gfm-like", {"linkify": True}).enable("linkify").render(fmt.md(text))
    tags = set(re.findall(r"<(\w+)", html))
    assert tags <= {"p", "br"}, html
    shown = (
        re.sub(r"<[^>]+>", "", html)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&amp;", "&")
    )
    assert shown.replace("\n", "").replace(fmt.WORD_JOINER, "") == text.replace("\n", "")


def test_clip_and_plot_text():
    assert fmt.clip("x" * 100_000).endswith("…（共 100,000 个字符）") and len(fmt.clip("x" * 100_000)) < 100
    assert fmt.clip("短") == "短"
    assert (
        fmt.plot_text('<a href="http://evil">x</a> & <b>') == '&lt;a href="http://evil"&gt;x&lt;/a&gt; &amp; &lt;b&gt;'
    )


def test_url_values_are_bounded():
    kept, dropped = url_state.oversized(["教育局", "x" * (url_state.MAX_VALUE_CHARS + 1)])
    assert kept == ["教育局"] and dropped == 1
    kept, dropped = url_state.oversized([str(i) for i in range(url_state.MAX_VALUES + 5)])
    assert len(kept) == url_state.MAX_VALUES and dropped == 5


def test_no_python_callbacks_inside_polars_expressions():
    """Python callbacks run on polars' worker threads and deadlocked the server under concurrent sessions."""
    root = Path(__file__).resolve().parent.parent
    sources = list((root / "perfeval_dash").rglob("*.py")) + list((root / "pages").glob("*.py"))
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in sources
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.(map_elements|map_batches|map_rows|map_groups|apply)\(", line)
        and "no-callback-check" not in line
    ]
    assert offenders == []


def test_local_time_is_chinese_and_in_the_configured_zone(monkeypatch):
    assert fmt.local_time("2026-11-22T13:33:17.123+00:00") == "2026年11月22日 21:33"  # Asia/Shanghai by default
    monkeypatch.setenv("PERFEVAL_TIMEZONE", "UTC")
    assert fmt.local_time("2026-11-22T13:33:17+00:00") == "2026年11月22日 13:33"
    assert fmt.local_time(None) == "—"


def test_tab_title_names_the_page_and_the_main_filter_once():
    from types import SimpleNamespace

    from perfeval_dash.ui import frame

    sheet = SimpleNamespace(title="部门档案：教育局", filters=Filters(depts=("教育局",)))
    assert frame.tab_title(sheet) == f"部门档案：教育局 · {frame.APP_TITLE}"
    overview = SimpleNamespace(title="总览", filters=Filters(regions=("洛阳市西工区", "特克斯县")))
    assert frame.tab_title(overview) == f"总览 · 洛阳市西工区、特克斯县 · {frame.APP_TITLE}"
