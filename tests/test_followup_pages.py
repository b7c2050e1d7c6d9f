"""Follow-up over time on the pages (AppTest) and the 屡查屡犯 / 结果应用 figures on hand-made fixtures."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, metric, run_page, texts

from perfeval_dash import settings
from perfeval_dash.domain.rules import application_rule
from perfeval_dash.domain.scope import ALL
from perfeval_dash.queries import application, detail, followup
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Store, connect

from fixtures import AS_OF, REGION, fixture_tables
from followup_fixture import publish_three

D = dt.date


# ---- 屡查屡犯 -------------------------------------------------------------------------------------------
def _problem(pid, eval_id, year, category):
    return {
        "problem_id": pid,
        "eval_id": eval_id,
        "region": REGION,
        "eval_year": year,
        "category": category,
        "description": f"{category}问题",
        "status": "未整改",
        "due_date": D(2025, 12, 31),
        "source": "测试夹具",
        "synthetic": False,
    }


@pytest.fixture
def repeat_store(tmp_path) -> Store:
    """教育局 资金管理 in 2023 (p1) and 2024 (p5): a repeat. 民政局: one year only. 财政局: two categories, one year."""
    t = fixture_tables()
    extra = pl.DataFrame(
        [
            _problem("p5", "t-2024-01", 2024, "资金管理"),
            _problem("p6", "t-2024-02", 2024, "资金管理"),
            _problem("p7", "t-2024-02", 2024, "绩效目标设置"),
        ]
    )
    t["problems"] = pl.concat([t["problems"], extra], how="diagonal_relaxed")
    store = Store(tmp_path / "data")
    store.publish(t, as_of=AS_OF, made_from=["repeats"])
    return store


def test_repeat_detection_two_years_one_year_two_categories_in_one_year(repeat_store):
    con = connect(repeat_store.open())
    rep = followup.repeats(con, Filters(), AS_OF)
    assert rep.select("region", "department", "category", "years", "n_years", "problems").rows() == [
        (REGION, "教育局", "资金管理", "2023、2024", 2, 2)
    ]
    assert followup.repeat_departments(rep).select("department", "categories", "problems").rows() == [("教育局", 1, 2)]
    problems, total = followup.repeat_problems(con, Filters(), AS_OF)
    assert total == 2 and problems.select("problem_id", "eval_year", "eval_id").rows() == [
        ("p1", 2023, "t-2023-01"),
        ("p5", 2024, "t-2024-01"),
    ]
    assert followup.repeats(con, Filters(years=(2024,)), AS_OF).is_empty(), "only the years selected count"
    assert followup.repeats(con, Filters(depts=("财政局", "民政局")), AS_OF).is_empty()


def test_problems_page_shows_repeats_per_department(repeat_store, monkeypatch):
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(repeat_store.root))
    first = run_page("pages/problems.py")
    assert not any("屡查屡犯类别数" in d.value.columns for d in first.dataframe), "only the open tab is drawn"
    at = run_page("pages/problems.py", {"ptab": "屡查屡犯"})
    assert not at.exception
    per_dept = next(d.value for d in at.dataframe if "屡查屡犯类别数" in d.value.columns)
    assert per_dept[["主管部门", "屡查屡犯类别数", "问题数"]].values.tolist() == [["教育局", 1, 2]]
    assert "department?" in per_dept["部门档案"].iloc[0] and "dept=教育局" in per_dept["部门档案"].iloc[0]


# ---- 结果应用 -------------------------------------------------------------------------------------------
RULE = "优:继续支持; 良:核减>=10%; 差:取消/暂停"


def _applied(t: dict) -> dict:
    """继续支持 (优, follows), 未记录 (优), a 7.5% cut (良, breaks), a cut of unknown amount (良), 暂停 (差)."""
    values = {
        "t-2023-01": ("继续支持", None, 2024),
        "t-2023-02": ("核减", 3.0, 2024),
        "t-2023-03": ("暂停", 30.0, 2024),
        "t-2024-01": ("核减", None, 2025),
    }
    ev = t["evaluations"].with_columns(
        application=pl.col("eval_id").replace_strict({k: v[0] for k, v in values.items()}, default=None),
        application_wan=pl.col("eval_id").replace_strict({k: v[1] for k, v in values.items()}, default=None),
        application_year=pl.col("eval_id")
        .replace_strict({k: v[2] for k, v in values.items()}, default=None)
        .cast(pl.Int32),
    )
    return t | {"evaluations": ev}


@pytest.fixture
def applied_store(tmp_path, monkeypatch) -> Store:
    monkeypatch.setenv(settings.APPLICATION_RULE.env, RULE)
    store = Store(tmp_path / "data")
    store.publish(_applied(fixture_tables()), as_of=AS_OF, made_from=["applied"])
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(store.root))
    return store


def test_application_rule_flags_and_unrecorded_is_never_compliant(applied_store):
    con, rule = connect(applied_store.open()), application_rule()
    comp = application.compliance(con, Filters(), rule)
    cols = ["grade", "符合规则", "不符合规则", "无法核实", "未记录", "规则未涉及", "evaluations"]
    assert comp.select(cols).rows() == [("优", 1, 0, 0, 1, 0, 2), ("良", 0, 1, 1, 0, 0, 2), ("差", 1, 0, 0, 0, 0, 1)]
    flagged, total = application.flagged(con, Filters(), rule, ("不符合规则", "无法核实"))
    assert total == 2
    assert flagged.select("eval_id", "verdict", "share").rows() == [
        ("t-2024-01", "无法核实", None),
        ("t-2023-02", "不符合规则", pytest.approx(0.075)),
    ]
    matrix = application.matrix(con, Filters())
    assert matrix.filter(pl.col("grade") == "优").select("继续支持", "未记录").rows() == [(1, 1)]
    assert matrix["未应用"].sum() == 0, "未记录 is never turned into 未应用"
    moved = application.moved(application.money(con, Filters()))
    assert moved == {"amount_wan": 33.0, "evaluations": 3, "without_amount": 1}
    assert application.verdict(con, detail.evaluation(con, "t-2024-02", ALL), rule)["consequence"] == "未记录"


def test_application_page_and_detail(applied_store):
    at = run_page("pages/application.py")
    assert not at.exception
    assert metric(at, "有结果应用记录") == "4项" and metric(at, "不符合本局规则") == "1项"
    assert "优 → 继续支持；良 → 核减（≥10%）；差 → 取消或暂停" in texts(at)
    detail = run_page("pages/detail.py", {"eval": "t-2024-02"})
    assert "结果应用：**未记录**" in texts(detail)


def test_a_malformed_rule_stops_every_page_with_a_message(fixture_data, monkeypatch):
    monkeypatch.setenv(settings.APPLICATION_RULE.env, "中:砍一半")
    at = run_page("pages/overview.py")
    assert not at.exception
    assert "配置错误" in at.error[0].value and "砍一半" in at.error[0].value
    assert not at.metric


@pytest.fixture
def fixture_data(store, monkeypatch) -> Store:
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(store.root))
    return store


# ---- pages on the three snapshots -----------------------------------------------------------------------
@pytest.fixture
def three(tmp_path, monkeypatch) -> tuple[Store, tuple[str, str, str]]:
    store = Store(tmp_path / "data")
    ids = publish_three(store)
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(store.root))
    return store, ids


def test_problems_page_deadline_switch(three):
    store, (a, b, c) = three
    at = run_page("pages/problems.py", {"snap": b, "ptab": "整改跟踪"})
    assert metric(at, "逾期（按现行期限）") == "2个" and metric(at, "改期问题") == "1个"
    orig = run_page("pages/problems.py", {"snap": b, "ptab": "整改跟踪", "dl": "原定期限"})
    assert orig.radio(key="dl").value == "原定期限"
    assert metric(orig, "逾期（按原定期限）") == "3个" and metric(orig, "到期整改完成率") == "0.0%"
    bad = run_page("pages/problems.py", {"snap": b, "ptab": "整改跟踪", "dl": "最晚期限"})
    assert not bad.exception and bad.radio(key="dl").value == "现行期限"
    assert any("最晚期限" in w.value for w in bad.warning)


def test_problems_page_computes_only_the_open_tab(three):
    """The tabs (?ptab=): the default one shows the overdue list and not the follow-up tiles, the 整改跟踪 tab the
    reverse; its link keeps the tab; an unknown tab is dropped with a notice and the default one is shown."""
    store, (a, b, c) = three
    first = run_page("pages/problems.py", {"snap": b})
    assert "逾期问题" in [h.value for h in first.subheader]
    assert not any(m.label == "到期问题" for m in first.metric)
    assert "ptab=" not in first.code[0].value, "the default tab stays out of the link"
    tracking = run_page("pages/problems.py", {"snap": b, "ptab": "整改跟踪"})
    assert "逾期问题" not in [h.value for h in tracking.subheader]
    assert metric(tracking, "到期问题") and metric(tracking, "未完成整改"), "the page's tiles stay above the tabs"
    assert "ptab=整改跟踪" in tracking.code[0].value
    assert "下载简报（PDF，A4 一页）" in [d.label for d in tracking.get("download_button")]
    bad = run_page("pages/problems.py", {"snap": b, "ptab": "全部"})
    assert not bad.exception and "逾期问题" in [h.value for h in bad.subheader]
    assert any("全部" in w.value and "问题整改页的分页" in w.value for w in bad.warning)


def test_detail_page_shows_the_timeline(three):
    store, (a, b, c) = three
    at = run_page("pages/detail.py", {"eval": "t-2023-03"})
    timeline = next(d.value for d in at.dataframe if "记录快照" in d.value.columns)
    assert timeline["变化"].tolist() == ["状态变化", "期限调整", "状态变化", "完成日期变化"]
    assert timeline["记录人"].tolist() == ["李四", "李四", "未记录", "未记录"]
    assert "原定期限 2025年12月31日，现行期限 2026年6月30日，改期（推迟）1 次" in texts(at)
    old = run_page("pages/detail.py", {"eval": "t-2023-03", "snap": b})
    assert next(d.value for d in old.dataframe if "记录快照" in d.value.columns).shape[0] == 2


def test_changes_page_default_and_chosen_since(three):
    store, (a, b, c) = three
    at = run_page("pages/changes.py")
    assert not at.exception
    assert metric(at, "完成整改") == "1个" and metric(at, "重新打开") == "0个"
    table = next(d.value for d in at.dataframe if "变化" in d.value.columns)
    assert list(table.columns[:3]) == ["变化", "问题编号", "主管部门"], "which problem changed, first"
    assert "下载简报（PDF，A4 一页）" in [b.label for b in at.get("download_button")]
    since_a = run_page("pages/changes.py", {"since": a})
    assert metric(since_a, "重新打开") == "1个" and metric(since_a, "期限推迟") == "1个"
    assert since_a.query_params["since"] == [a] or since_a.query_params["since"] == a
    first = run_page("pages/changes.py", {"snap": a})
    assert "起点" in texts(first)
    wrong = run_page("pages/changes.py", {"since": c})
    assert any("不是当前快照之前发布的快照" in w.value for w in wrong.warning)
    assert metric(wrong, "完成整改") == "1个"


def test_department_sheet_numbers_equal_the_other_pages(three):
    store, ids = three
    sheet = run_page("pages/department.py", {"dept": ["教育局"]})
    assert not sheet.exception
    assert sheet.title[0].value.endswith("教育局")
    overview = run_page("pages/overview.py", {"dept": ["教育局"]})
    problems = run_page("pages/problems.py", {"dept": ["教育局"]})
    assert metric(sheet, "评价项数") == metric(overview, "评价项数") == "3项"
    assert metric(sheet, "未完成整改") == metric(problems, "未完成整改") == "2个"
    assert metric(sheet, "整改完成率") == metric(problems, "整改完成率")
    assert [b.label for b in sheet.get("download_button") if b.key == "fu_sheet_xlsx"] == ["下载部门档案（Excel）"]
    index = run_page("pages/department.py")
    table = next(d.value for d in index.dataframe if "部门档案" in d.value.columns)
    assert "教育局" in table["主管部门"].tolist()


# ---- the editor's update ---------------------------------------------------------------------------------
def test_update_form_is_hidden_without_the_editor_switch(three, monkeypatch):
    monkeypatch.delenv(settings.EDITOR.env, raising=False)
    at = run_page("pages/data_admin.py")
    assert not at.exception
    assert "更新整改进度" not in [s.value for s in at.subheader]
    assert not [b for b in at.button if b.key in ("fu_add", "fu_publish")]


@pytest.fixture
def editor(three, tmp_path, monkeypatch) -> AppTest:
    """The update form alone (ui.followup.update_section) on the current snapshot, editor switch on.

    Run as its own script: through app.py, AppTest first runs a page in Streamlit's legacy folder mode and the
    frame's guard reruns it, which drops a button's click (the browser test covers the page in the app)."""
    store, _ = three
    monkeypatch.setenv(settings.EDITOR.env, "1")
    script = tmp_path / "update_app.py"
    script.write_text(
        "from perfeval_dash.queries.filters import Filters\n"
        "from perfeval_dash.store import Store, connect\n"
        "from perfeval_dash.ui import followup\n"
        "from perfeval_dash.ui.frame import Context\n"
        f"store = Store({str(store.root)!r})\n"
        "snap = store.open()\n"
        "followup.update_section(Context(store, snap, store.current_id(), connect(snap), Filters()))\n",
        encoding="utf-8",
    )
    return AppTest.from_file(str(script), default_timeout=30).run()


def test_editor_updates_follow_up_and_publishes_one_snapshot(three, editor):
    store, (a, b, c) = three
    at = editor
    assert "更新整改进度" in [s.value for s in at.subheader]
    at.multiselect(key="fu_pick_0").select("p2").run()
    at.selectbox(key="fu_status_0").select("已整改").run()
    at.button(key="fu_add").click().run()
    assert any("必须填写完成日期" in e.value for e in at.error), "done without a closed date is refused"
    at.date_input(key="fu_closed_0").set_value(D(2026, 9, 1))
    at.text_input(key="fu_evidence_0").input("整改报告及付款凭证")
    at.checkbox(key="fu_move_0").check().run()
    at.date_input(key="fu_due_0").set_value(D(2026, 12, 31)).run()
    at.button(key="fu_add").click().run()
    assert any("必须写明原因" in e.value for e in at.error), "a new deadline needs its reason"
    at.text_input(key="fu_reason_0").input("需跨年度付款").run()
    at.button(key="fu_add").click().run()
    review = next(d.value for d in at.dataframe if "改期原因" in d.value.columns)
    assert review.values.tolist() == [
        [
            "p2",
            "绩效目标不细化",
            "整改中 → 已整改",
            "— → 2026年9月1日",
            "2025年3月31日 → 2026年12月31日",
            "整改报告及付款凭证",
            "需跨年度付款",
        ]
    ]
    assert store.current_id() == c, "nothing is published before the button"
    at.date_input(key="fu_as_of").set_value(D(2026, 10, 31)).run()
    at.button(key="fu_publish").click().run()
    assert not at.exception
    new = store.open()
    assert new.id != c and new.base == c and new.as_of == D(2026, 10, 31)
    assert at.session_state["_perfeval_snapshot"] == new.id, "the session switches to the new snapshot"
    ev = new.read_table("problem_events").filter(pl.col("snapshot_id") == new.id)
    assert ev.select("problem_id", "kind", "old_value", "new_value", "note").rows() == [
        ("p2", "状态变化", "整改中", "已整改", "整改报告及付款凭证"),
        ("p2", "期限调整", "2025-03-31", "2026-12-31", "需跨年度付款"),
        ("p2", "完成日期变化", None, "2026-09-01", "整改报告及付款凭证"),
    ]
    p2 = new.read_table("problems").filter(pl.col("problem_id") == "p2").row(0, named=True)
    assert (p2["status"], p2["original_due_date"]) == ("已整改", D(2025, 3, 31))
    assert any("已发布新快照" in s.value for s in at.success)
    old = store.open(c).read_table("problems").filter(pl.col("problem_id") == "p2")["status"].item()
    assert old == "整改中", "the old snapshot is unchanged"


def test_editor_batch_is_refused_when_the_data_moved_on(three, editor):
    store, (a, b, c) = three
    at = editor
    at.multiselect(key="fu_pick_0").select("p2").run()
    at.button(key="fu_add").click().run()  # 整改中 → 整改中: nothing to publish yet
    at.button(key="fu_publish").click().run()
    assert any("都没有变化" in e.value for e in at.error) and len(store.list_ids()) == 3
    store.publish(store.open().read_tables(), as_of=AS_OF, made_from=["someone else"])
    at.run()
    assert any("数据已被更新" in e.value for e in at.error)
    assert at.button(key="fu_publish").disabled
    assert len(store.list_ids()) == 4


def test_new_pages_run_on_bundled_data_and_with_no_snapshot(tmp_path, monkeypatch):
    monkeypatch.delenv("PERFEVAL_DATA_DIR", raising=False)
    for page in ("pages/changes.py", "pages/application.py", "pages/department.py"):
        at = run_page(page, {"dept": ["教育局"]} if page.endswith("department.py") else None)
        assert not at.exception, (page, at.exception)
        assert at.metric, page
    monkeypatch.setenv("PERFEVAL_DATA_DIR", str(tmp_path / "nothing"))
    for page in ("pages/changes.py", "pages/application.py", "pages/department.py"):
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        at.switch_page(page).run()
        assert not at.exception and "还没有已发布的数据快照" in texts(at)
