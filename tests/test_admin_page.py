import io
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from perfeval_dash.ingest import template
from perfeval_dash.store import journal
from perfeval_dash.ui import admin_page

from fixtures import fixture_tables

REPO = Path(__file__).resolve().parent.parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def app(store, tmp_path):
    """An AppTest running admin_page.render on the fixture store, in open mode (no accounts)."""
    script = tmp_path / "admin_app.py"
    script.write_text(
        "from perfeval_dash.ui import admin_page\n"
        "from perfeval_dash.auth.accounts import OPEN_USER\n"
        "from perfeval_dash.store import Store\n"
        f"admin_page.render(Store({str(store.root)!r}), OPEN_USER)\n",
        encoding="utf-8",
    )
    return AppTest.from_file(str(script), default_timeout=30)


def edited(sheet, row, header, value) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(fixture_tables())))
    ws = wb[sheet]
    ws.cell(row=row, column=[c.value for c in ws[1]].index(header) + 1, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def table_with(at, *columns):
    """The first st.dataframe whose columns include all of `columns` (a Styler's data when styled)."""
    for d in at.dataframe:
        df = d.value.data if hasattr(d.value, "data") else d.value
        if set(columns) <= set(df.columns):
            return df
    raise AssertionError(f"no table with columns {columns}")


def texts(at) -> str:
    return "\n".join(
        [m.value for m in at.markdown]
        + [m.value for m in at.info]
        + [m.value for m in at.caption]
        + [c.value for c in at.code]
    )


def test_read_only_without_the_editor_setting_explains_the_cli(app, monkeypatch):
    monkeypatch.delenv(admin_page.EDITOR_ENV, raising=False)
    at = app.run()
    assert not at.exception
    assert at.title[0].value == "数据管理"
    assert len(at.file_uploader) == 0 and not [b for b in at.button if b.key == "admin_publish"]
    shown = texts(at)
    assert "只读" in shown and "python -m perfeval_dash import" in shown and admin_page.EDITOR_ENV in shown
    assert [d.label for d in at.get("download_button")][:2] == ["下载空白模板", "导出当前数据（模板格式）"]
    snapshots = table_with(at, "快照", "来源文件")
    assert list(snapshots["评价结果"]) == [5] and list(snapshots["当前"]) == ["✓"]


def test_editor_mode_uploads_reports_and_publishes(app, store, monkeypatch):
    monkeypatch.setenv(admin_page.EDITOR_ENV, "1")
    at = app.run()
    assert not at.exception and len(at.file_uploader) == 1

    at.file_uploader[0].set_value(("坏.xlsx", edited("评价结果", 3, "评价得分", "九十"), XLSX))
    at.run()
    assert not at.exception
    assert "1 个错误" in at.error[0].value
    findings = table_with(at, "级别", "工作表", "说明")
    assert findings.iloc[0][["工作表", "行", "列", "值"]].tolist() == ["评价结果", 3, "评价得分", "九十"]
    assert at.button(key="admin_publish").disabled

    at.file_uploader[0].set_value(("好.xlsx", edited("评价结果", 3, "评价得分", "91分"), XLSX))
    at.run()
    assert not at.exception and not at.error
    counts = table_with(at, "表", "新增", "修改")
    assert counts[counts["表"] == "评价结果"][["新增", "修改", "未变"]].values.tolist() == [[0, 1, 4]]
    assert not at.button(key="admin_publish").disabled
    first = store.current_id()
    at.button(key="admin_publish").click().run()
    assert not at.exception
    assert store.current_id() != first and len(store.list_ids()) == 2
    assert "已发布新快照" in at.success[0].value

    # two snapshots now: the comparison shows the score change, flagged
    changed = table_with(at, "评价编号", "原值", "新值")
    assert changed[["评价编号", "列", "原值", "新值"]].values.tolist() == [["t-2023-02", "评价得分", "85.5", "91.0"]]


def test_comparison_of_large_snapshots_is_summarised_not_styled(app, store, monkeypatch):
    """A comparison of more changed values than a styled table may hold (262,144 cells) draws its first rows."""
    monkeypatch.delenv(admin_page.EDITOR_ENV, raising=False)
    n = 7_500  # (n + 5 fixture rows) × 6 changed columns = 45,030 change rows × 6 table columns = 270,180 cells
    base = fixture_tables()
    ev = pl.concat(
        [base["evaluations"]]
        + [
            base["evaluations"].head(1).with_columns(eval_id=pl.lit(f"big-{i}"), project_name=pl.lit(f"项目{i}"))
            for i in range(n)
        ]
    )
    store.publish(base | {"evaluations": ev}, as_of=base_as_of(store), made_from=["big 1"])
    changed = ev.with_columns(
        pl.col("score") - 1,
        *[pl.lit(f"新{c}").alias(c) for c in ("unit", "evaluator", "amount_basis", "recommendations", "source")],
    )
    store.publish(base | {"evaluations": changed}, as_of=base_as_of(store), made_from=["big 2"])
    at = app.run(timeout=60)
    assert not at.exception and not any("原值" in d.value.columns for d in at.dataframe), "compared only when asked"
    at.button(key="admin_cmp_go").click().run(timeout=60)
    assert not at.exception
    shown = table_with(at, "评价编号", "原值", "新值", "得分或等级变化")
    assert len(shown) == admin_page.COMPARE_ROWS and shown["得分或等级变化"].all()
    assert any(f"共 {6 * (n + 5):,} 行，表中显示前 {admin_page.COMPARE_ROWS:,} 行" in c.value for c in at.caption)
    assert [b.label for b in at.get("download_button") if b.key.startswith("admin_cmp_changed")] == [
        "下载 Excel",
        "下载 CSV",
    ]


def base_as_of(store):
    return store.open().as_of


def test_upload_form_takes_a_default_region_and_year_and_the_budget_year_choice(app, store, monkeypatch):
    """A grade-only list copied from a notice: no 地区/评价年度 columns, no batch; defaults come from the form."""
    import fixtures_disclosures as notice

    monkeypatch.setenv(admin_page.EDITOR_ENV, "1")
    at = app.run()
    assert at.checkbox(key="admin_assume_budget_year").value is False  # off by default
    at.file_uploader[0].set_value(("结果公告.csv", notice.notice_csv("评价结果"), "text/csv"))
    at.run()
    assert "缺少必填列" in " ".join(table_with(at, "级别", "说明")["说明"]) and at.button(key="admin_publish").disabled
    at.text_input(key="admin_default_region").input(notice.REGION)
    at.number_input(key="admin_default_year").set_value(2022)
    at.checkbox(key="admin_assume_budget_year").check()
    at.run()
    assert not at.exception and not at.error
    findings = table_with(at, "级别", "说明")
    assert any("自动生成批次" in m for m in findings["说明"]) and set(findings["级别"]) == {"警告"}
    converted = table_with(at, "原写法", "读取为")
    assert {"2022（默认评价年度）", "2021（按评价年度−1 推定）"} <= set(converted["读取为"])
    at.button(key="admin_publish").click().run()
    assert not at.exception
    ev = store.open().read_table("evaluations").filter(pl.col("region") == notice.REGION)
    assert ev.height == 9 and ev["budget_year_assumed"].all() and ev["score"].null_count() == 9


def test_the_as_of_date_keeps_the_current_one_and_warns_when_a_change_moves_overdue_counts(app, store, monkeypatch):
    """数据截至日期 never silently becomes today; a new date that changes untouched problems' overdue count is said."""
    import datetime as dt

    monkeypatch.setenv(admin_page.EDITOR_ENV, "1")
    at = app.run()
    csv = "评价编号,地区,评价年度,预算年度,评价类型,项目名称,主管部门,评价得分\n"
    csv += "t-2023-02,测试县,2023,2022,项目,教育局t-2023-02项目,教育局,86\n"
    at.file_uploader[0].set_value(("评价结果.csv", csv.encode("utf-8-sig"), "text/csv"))
    at.run()
    assert not at.exception
    assert at.date_input(key="admin_as_of").value == store.open().as_of == dt.date(2025, 6, 30)
    assert not [w for w in at.warning if "逾期" in w.value]
    at.date_input(key="admin_as_of").set_value(dt.date(2026, 1, 1)).run()  # p3's deadline 2025-12-31 passes
    shift = [w.value for w in at.warning if "逾期" in w.value]
    assert shift and "逾期 1 → 2 个" in shift[0]


def test_snapshot_times_read_in_chinese_local_time(app, monkeypatch):
    monkeypatch.delenv(admin_page.EDITOR_ENV, raising=False)
    at = app.run()
    snapshots = table_with(at, "快照", "创建时间")
    assert snapshots["数据截至"].tolist() == ["2025年6月30日"]
    assert all("年" in t and "T" not in t for t in snapshots["创建时间"])


EDITOR_APP = """
from perfeval_dash.auth.accounts import parse_account
from perfeval_dash.store import Store
from perfeval_dash.ui import admin_page
user = parse_account("zhao", {{"name": "赵编辑", "roles": ["编辑"]}}, "test").user
admin_page.render(Store({root!r}), user)
"""


def test_import_and_publish_are_in_the_audit_log_the_editor_sees(store, tmp_path):
    script = tmp_path / "editor_app.py"
    script.write_text(EDITOR_APP.format(root=str(store.root)), encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=30).run()
    assert not at.exception and len(at.file_uploader) == 1
    assert "审计日志中还没有记录" in texts(at)
    at.file_uploader[0].set_value(("好.xlsx", edited("评价结果", 3, "评价得分", "91分"), XLSX))
    at.run()
    at.button(key="admin_publish").click().run()
    assert not at.exception and "已发布新快照" in at.success[0].value
    new = store.current_id()
    log = journal.read(store.audit_path)
    assert log.intact
    assert [(r["action"], r["actor"], r["via"]) for r in log.records] == [
        ("import", "zhao", "web"),
        ("publish", "zhao", "web"),
    ]
    assert log.records[0]["detail"] == {
        "file": "好.xlsx",
        "errors": 0,
        "warnings": 2,
        "outcome": "checked",
    }  # grades disagreeing with scores
    assert log.records[1]["snapshot"] == new and log.records[1]["detail"]["file"] == "好.xlsx"
    at.run()  # the page as the editor sees it next
    shown = table_with(at, "时间", "操作人", "操作")
    assert list(shown["操作"]) == ["发布新快照", "导入"] and set(shown["操作人"]) == {"zhao"}
    assert all(re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", t) for t in shown["时间"])
    assert list(shown["快照"])[0] == new
    assert "完整性检查通过" in texts(at)
    assert [b.label for b in at.get("download_button") if b.key.startswith("admin_audit")] == ["下载 Excel", "下载 CSV"]
