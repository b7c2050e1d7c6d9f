"""Every page as a 部门 user (AppTest): its numbers equal a hand-written query over that department only.

The accounts come through AppTest's secrets; the login is the session's (auth.gate.SESSION_LOGIN, what the login
form sets — the form itself is tested in test_auth.py and in the browser).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest
from test_pages import APP, metric, texts

from perfeval_dash.auth import gate, passwords
from perfeval_dash.domain.vocab import DONE_STATUSES, OPEN_STATUSES, WHOLE_DEPARTMENT
from perfeval_dash.store import Store
from perfeval_dash.ui import fmt

ROOT = Path(__file__).resolve().parent.parent
REGION, DEPT, OTHER_REGION = "模拟示例县（演示）", "教育局", "模拟示例区（演示）"
HASH = passwords.hash_password("pw")
ACCOUNTS = {
    "wang": {"name": "王科长", "roles": ["部门"], "regions": [REGION], "departments": [DEPT], "password_hash": HASH},
    "liu": {"name": "刘局长", "roles": ["领导"], "password_hash": HASH},
    "zhao": {"name": "赵编辑", "roles": ["编辑"], "password_hash": HASH},
}


@pytest.fixture(scope="module")
def snap():
    return Store(ROOT / "data").open()


@pytest.fixture(autouse=True)
def bundled(monkeypatch, tmp_path):
    monkeypatch.delenv("PERFEVAL_DATA_DIR", raising=False)
    monkeypatch.setenv("PERFEVAL_AUDIT_LOG", str(tmp_path / "audit.jsonl"))  # never into the repository's data/


def as_user(login: str, page: str = "pages/overview.py", params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["accounts"] = ACCOUNTS
    at.session_state[gate.SESSION_LOGIN] = login
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


class Hand:
    """Hand-written DuckDB over the snapshot's Parquet files, for 教育局 of 模拟示例县 only."""

    def __init__(self, snap):
        self.snap = snap

    def one(self, sql: str, **extra):
        t = {n: f"read_parquet('{self.snap.table_path(n)}')" for n in ("evaluations", "problems", "dept_budgets")}
        sql = sql.format(**t)
        params = {"r": REGION, "d": DEPT, "as_of": self.snap.as_of} | extra
        return duckdb.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql}).fetchall()

    def evaluations(self):
        return self.one(
            """SELECT count(*), sum(coalesce(evaluated_wan, budget_wan)), avg(score)
               FROM {evaluations} WHERE region = $r AND department = $d"""
        )[0]

    def problems(self):
        done, open_ = list(DONE_STATUSES), list(OPEN_STATUSES)
        return self.one(
            f"""SELECT count(*), count(p.status), count(*) FILTER (WHERE p.status IN {tuple(done)}),
                       count(*) FILTER (WHERE p.status IN {tuple(open_)}),
                       count(*) FILTER (WHERE p.status IN {tuple(open_)} AND p.due_date < $as_of)
                FROM {{problems}} p JOIN {{evaluations}} e USING (eval_id)
                WHERE e.region = $r AND e.department = $d"""
        )[0]

    def overdue_ids(self):
        open_ = tuple(OPEN_STATUSES)
        return sorted(
            r[0]
            for r in self.one(
                f"""SELECT p.problem_id FROM {{problems}} p JOIN {{evaluations}} e USING (eval_id)
                    WHERE e.region = $r AND e.department = $d AND p.status IN {open_} AND p.due_date < $as_of"""
            )
        )

    def coverage(self, thr: float = 0.2):
        """(达标, 未达标, 未知, Σ gap of 未达标) per budget year of the department."""
        rows = self.one(
            f"""WITH ev AS (SELECT budget_year, sum(coalesce(evaluated_wan, budget_wan, 0)) amt,
                                   bool_or(eval_type = '{WHOLE_DEPARTMENT}') whole
                            FROM {{evaluations}} WHERE region = $r AND department = $d GROUP BY 1),
                    b AS (SELECT budget_year, project_budget_wan pb FROM {{dept_budgets}}
                          WHERE region = $r AND department = $d)
                SELECT coalesce(whole, FALSE), coalesce(amt, 0), pb FROM ev FULL JOIN b USING (budget_year)"""
        )
        met = below = unknown = 0
        gap = 0.0
        for whole, amt, pb in rows:
            if whole:
                met += 1
            elif pb is None or pb <= 0:
                unknown += 1
            elif amt / pb >= thr:
                met += 1
            else:
                below += 1
                gap += thr * pb - amt
        return met, below, unknown, gap

    def ranked_ids(self):
        rows = self.one(
            """SELECT eval_id FROM {evaluations} WHERE region = $r AND department = $d AND score IS NOT NULL
               ORDER BY score DESC, eval_id"""
        )
        return [r[0] for r in rows]


@pytest.fixture(scope="module")
def hand(snap):
    return Hand(snap)


def table_with(at, *columns):
    for d in at.dataframe:
        df = d.value.data if hasattr(d.value, "data") else d.value
        if set(columns) <= set(df.columns):
            return df
    raise AssertionError(f"no table with columns {columns}")


def test_overview_as_department(hand):
    at = as_user("wang")
    n, amount, score = hand.evaluations()
    total, tracked, done, open_, overdue = hand.problems()
    met, below, unknown, _ = hand.coverage()
    assert metric(at, "评价项数") == fmt.count(n, "项") and n > 5
    assert metric(at, "逐项评价金额") == fmt.wan(amount, max_decimals=2)
    assert metric(at, "平均得分") == fmt.score(score)
    assert metric(at, "覆盖率未达标") == fmt.count(below, "个")
    assert metric(at, "覆盖率未知") == fmt.count(unknown, "个")
    assert metric(at, "未完成整改") == fmt.count(open_, "个")
    assert metric(at, "逾期问题") == fmt.count(overdue, "个") and overdue > 0
    assert metric(at, "整改完成率") == fmt.pct(done / tracked)
    shown = texts(at)
    assert f"查看范围：{REGION} · {DEPT}" in shown
    assert "报告公布的合计包含其他部门的数字" in shown, "batch totals are other departments' figures too"
    assert at.sidebar.multiselect(key="dept").options == [DEPT]
    assert at.sidebar.multiselect(key="region").options == [REGION]


def test_scores_as_department(hand):
    at = as_user("wang", "pages/scores.py")
    ranked = table_with(at, "排名", "评价编号")
    assert list(ranked["评价编号"]) == hand.ranked_ids()
    assert set(ranked["主管部门"]) == {DEPT} and set(ranked["地区"]) == {REGION}


def test_coverage_as_department(hand):
    at = as_user("wang", "pages/coverage.py")
    met, below, unknown, gap = hand.coverage()
    assert metric(at, "覆盖率达标") == fmt.count(met, "个")
    assert metric(at, "覆盖率未达标") == fmt.count(below, "个")
    assert metric(at, "覆盖率未知") == fmt.count(unknown, "个")
    assert metric(at, "合计差额") == fmt.wan(gap, max_decimals=2)
    rows = table_with(at, "主管部门", "状态")
    assert set(rows["主管部门"]) == {DEPT} and set(rows["地区"]) == {REGION}
    assert "地区合计包含其他部门的数字" in texts(at)
    with pytest.raises(AssertionError):
        table_with(at, "地区", "未达标", "覆盖率未知")  # the region totals table is not drawn


def test_problems_as_department(hand):
    at = as_user("wang", "pages/problems.py")
    total, tracked, done, open_, overdue = hand.problems()
    assert metric(at, "问题总数") == fmt.count(total, "个")
    assert metric(at, "整改完成率") == fmt.pct(done / tracked)
    assert metric(at, "未完成整改") == fmt.count(open_, "个") and metric(at, "逾期问题") == fmt.count(overdue, "个")
    late = table_with(at, "问题编号", "逾期天数")
    assert sorted(late["问题编号"]) == hand.overdue_ids()
    by_dept = table_with(at, "主管部门", "整改完成率")
    assert list(by_dept["主管部门"]) == [DEPT]
    assert "整批共性问题属于整个地区和年度" in texts(at)


def test_detail_as_department(hand, snap):
    mine = hand.ranked_ids()[0]
    at = as_user("wang", "pages/detail.py", {"eval": mine})
    title = hand.one("SELECT project_name FROM {evaluations} WHERE eval_id = $id", id=mine)[0][0]
    assert at.title[0].value.replace("\\", "") == title
    other = hand.one(
        "SELECT eval_id FROM {evaluations} WHERE region = $other AND department = $d LIMIT 1", other=OTHER_REGION
    )[0][0]
    at = as_user("wang", "pages/detail.py", {"eval": other})
    assert "不在您的查看范围内" in at.error[0].value and at.title[0].value == "评价详情"
    assert not at.metric, "nothing of another region's 教育局 evaluation is shown"


def test_data_admin_as_department():
    at = as_user("wang", "pages/data_admin.py")
    assert not at.file_uploader and "需要「编辑」角色" in texts(at)
    snapshots = table_with(at, "快照", "数据截至")
    assert "评价结果" not in snapshots.columns, "whole-snapshot counts are every department's"
    assert not [s for s in at.subheader if s.value == "审计日志"]


def test_a_link_asking_for_more_is_narrowed_with_a_notice(hand):
    at = as_user("wang", params={"dept": ["卫生健康委员会", DEPT], "region": [OTHER_REGION]})
    warnings = " ".join(w.value for w in at.warning)
    assert "卫生健康委员会" in warnings and OTHER_REGION in warnings and "不在您的查看范围内" in warnings
    assert at.sidebar.multiselect(key="dept").value == [DEPT]
    assert metric(at, "评价项数") == fmt.count(hand.evaluations()[0], "项")


def test_leader_and_editor_see_everything(snap):
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{snap.table_path('evaluations')}')").fetchall()[0][0]
    for login in ("liu", "zhao"):
        at = as_user(login)
        assert metric(at, "评价项数") == fmt.count(total, "项")
        assert "查看范围" not in texts(at)
    admin = as_user("zhao", "pages/data_admin.py")
    assert len(admin.file_uploader) == 1 and [s for s in admin.subheader if s.value == "审计日志"]
    leader = as_user("liu", "pages/data_admin.py")
    assert not leader.file_uploader


def test_not_logged_in_sees_the_login_form_and_no_data():
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["accounts"] = ACCOUNTS
    at.run()
    assert not at.exception and not at.metric and not at.dataframe
    assert [t.label for t in at.text_input] == ["用户名", "密码"]


def test_open_mode_is_unchanged_without_accounts(snap):
    at = AppTest.from_file(APP, default_timeout=30).run()
    total = duckdb.sql(f"SELECT count(*) FROM read_parquet('{snap.table_path('evaluations')}')").fetchall()[0][0]
    assert not at.text_input and metric(at, "评价项数") == fmt.count(total, "项")
    admin = at.switch_page("pages/data_admin.py").run()
    assert "未配置账户（开放模式）" in " ".join(w.value for w in admin.warning)
    assert not admin.file_uploader
