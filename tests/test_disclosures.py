"""Real disclosures as they are published: grade-only lists, no budget year, no report title, long names."""

from __future__ import annotations

import io
import json

import fixtures_disclosures as notice
import openpyxl
import polars as pl
import pytest

from perfeval_dash.cli import commands as cli
from perfeval_dash.domain.scope import ALL
from perfeval_dash.ingest import importer, template
from perfeval_dash.ingest.changes import strip_rows
from perfeval_dash.queries import coverage, detail, overview, problems, scores
from perfeval_dash.queries.filters import Filters
from perfeval_dash.store import Store, connect, schema
from perfeval_dash.store import snapshots as store_mod

from fixtures import AS_OF, REGION, fixture_tables

DEFAULTS = importer.ImportOptions(region=notice.REGION, eval_year=notice.EVAL_YEAR)


def mixed_tables() -> dict[str, pl.DataFrame]:
    """The hand-made fixture plus the grade-only notice; t-2023-02 (教育局, 40万元, problem p2) loses its score
    and budget year, so every kind of row meets in one snapshot."""
    base, extra = fixture_tables(), notice.disclosure_tables()
    base["evaluations"] = base["evaluations"].with_columns(
        score=pl.when(pl.col("eval_id") == "t-2023-02").then(None).otherwise(pl.col("score")),
        budget_year=pl.when(pl.col("eval_id") == "t-2023-02").then(None).otherwise(pl.col("budget_year")),
    )
    return {n: pl.concat([base[n], extra[n]]) for n in schema.TABLES}


@pytest.fixture
def mixed(tmp_path):
    store = Store(tmp_path / "data")
    return connect(store.publish(mixed_tables(), as_of=AS_OF, made_from=["mixed"]))


# ---- the contract ------------------------------------------------------------------------------------
def test_the_contract_takes_grade_only_rows_without_budget_year_and_refuses_neither_score_nor_grade():
    assert schema.validate(notice.disclosure_tables()) == []
    assert schema.errors(schema.validate(mixed_tables())) == []
    t = notice.disclosure_tables()
    t["evaluations"] = t["evaluations"].with_columns(
        grade=pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col("grade"))
    )
    found = schema.errors(schema.validate(t))
    assert [(f.table, f.row, f.column) for f in found][0] == ("evaluations", 1, "grade")


@pytest.mark.parametrize("budget_year", [None, 2020])
def test_an_assumed_budget_year_must_be_the_evaluation_year_minus_one(budget_year):
    t = notice.disclosure_tables()
    t["evaluations"] = t["evaluations"].with_columns(
        budget_year_assumed=pl.int_range(pl.len()) == 2, budget_year=pl.lit(budget_year, dtype=pl.Int32)
    )
    found = schema.errors(schema.validate(t))
    assert [(f.row, f.column) for f in found] == [(3, "budget_year_assumed")] and "评价年度−1" in found[0].message
    ok = t["evaluations"].with_columns(budget_year=pl.lit(notice.EVAL_YEAR - 1, dtype=pl.Int32))
    assert schema.validate(t | {"evaluations": ok}) == []


def test_department_budgets_still_need_their_budget_year():
    t = fixture_tables()
    t["dept_budgets"] = t["dept_budgets"].with_columns(budget_year=pl.lit(None, dtype=pl.Int32))
    assert {(f.table, f.column) for f in schema.errors(schema.validate(t))} == {("dept_budgets", "budget_year")}


def test_a_snapshot_without_the_new_columns_reads_them_as_false_and_republishes(store):
    snap = store.open()
    for name, col in (("evaluations", "budget_year_assumed"), ("batches", "title_generated")):
        pl.read_parquet(snap.table_path(name)).drop(col).write_parquet(snap.table_path(name))
    manifest = json.loads((snap.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]  # still listed: only the columns are missing
    (snap.path / "derived.duckdb").unlink()
    store_mod.reset_connections()
    old = store.open(snap.id)
    tables = old.read_tables()
    assert tables["evaluations"]["budget_year_assumed"].to_list() == [False] * 5
    assert tables["batches"]["title_generated"].to_list() == [False, False]
    con = store_mod.connect(old)
    assert con.sql("SELECT count(*) FROM evaluations WHERE NOT budget_year_assumed").fetchall() == [(5,)]
    eval_id = tables["evaluations"].filter(pl.col("eval_year") == 2023)["eval_id"][0]
    assert detail.batch(con, detail.evaluation(con, eval_id, ALL))["title_generated"] is False
    assert store.publish(tables, as_of=AS_OF, made_from=["again"]).row_count("evaluations") == 5


# ---- derived tables and queries ------------------------------------------------------------------------
def test_an_evaluation_without_budget_year_still_counts_everywhere_but_coverage(mixed):
    """The cube joins NULL-safely: t-2023-02 keeps its department for its problem p2 and counts in every total."""
    assert mixed.sql("SELECT count(*) FROM eval_facts").fetchall() == [(14,)]
    h = overview.headline(mixed, Filters())
    assert h["evaluations"] == 14 and h["grades"] == {"优": 2, "良": 10, "中": 1, "差": 1}
    assert h["amount_wan"] == pytest.approx(870 + notice.TOTAL_WAN)
    edu = overview.headline(mixed, Filters(depts=("教育局",), budget_years=()))
    assert edu["evaluations"] == 3
    tot = problems.totals(mixed, Filters(), AS_OF)
    assert tot["problems"] == 4 and tot["batch_level"] == 1  # p2 is still its evaluation's, not batch-level
    by_dept = problems.by_department(mixed, Filters(), AS_OF)
    assert by_dept.filter(pl.col("department") == "教育局")["problems"].to_list() == [2]  # p1 and p2
    assert problems.totals(mixed, Filters(depts=("教育局",)), AS_OF)["open"] == 1  # p2 整改中


def test_averages_and_distributions_use_scored_evaluations_and_say_how_many(mixed):
    h = overview.headline(mixed, Filters())
    assert h["scored"] == 4 and h["avg_score"] == pytest.approx((95 + 59.99 + 79.99 + 90) / 4)
    assert scores.histogram(mixed, Filters())["evaluations"].sum() == 4
    spread = scores.spread(mixed, Filters(), "department")
    assert dict(zip(spread["grp"], spread["evaluations"])) == {"教育局": 2, "民政局": 1, "财政局": 1}
    only_notice = overview.headline(mixed, Filters(regions=(notice.REGION,)))
    assert (only_notice["evaluations"], only_notice["scored"], only_notice["avg_score"]) == (9, 0, None)
    trend = overview.trend(mixed, Filters())
    assert dict(zip(trend["eval_year"], trend["avg_score"]))[2022] is None  # never a score from a grade


def test_the_ranked_table_lists_grade_only_evaluations_after_the_scored_ones_without_rank(mixed):
    df, total = scores.ranked(mixed, Filters())
    assert total == 14 and df.height == 14
    assert df["rank"].to_list()[:4] == [1, 2, 3, 4] and df["rank"].to_list()[4:] == [None] * 10
    assert df["eval_id"].to_list()[:4] == ["t-2023-01", "t-2024-02", "t-2024-01", "t-2023-03"]
    rest = df.slice(4)
    assert rest["score"].null_count() == 10 and rest["near_edge"].null_count() == 10
    assert rest["grade"].to_list() == ["良"] * 9 + ["中"]  # best grade first
    short, total = scores.ranked(mixed, Filters(), limit=6)
    assert short.height == 6 and total == 14 and short["rank"].null_count() == 2


def test_coverage_leaves_out_evaluations_without_budget_year_and_counts_them(mixed):
    rows = coverage.by_department(mixed, Filters(), 0.25)
    got = {
        (r["department"], r["budget_year"]): (r["status"], r["evaluated_wan"], r["gap_wan"])
        for r in rows.iter_rows(named=True)
    }
    # 教育局 2022: t-2023-01 only (100万元 by its budget); t-2023-02's 40万元 has no budget year: 100/500 = 20% < 25%
    assert got[("教育局", 2022)] == ("未达标", pytest.approx(100), pytest.approx(25))
    assert None not in {r["budget_year"] for r in rows.iter_rows(named=True)}
    assert not rows.filter(pl.col("region") == notice.REGION).height
    assert coverage.unbudgeted(mixed, Filters()) == {
        "evaluations": 10,
        "amount_wan": pytest.approx(40 + notice.TOTAL_WAN),
        "from_budget": 0,
    }
    assert coverage.unbudgeted(mixed, Filters(regions=(REGION,)))["evaluations"] == 1
    assert coverage.unbudgeted(mixed, Filters(depts=("教育局",)))["amount_wan"] == pytest.approx(40)
    # a budget-year selection never holds them; the count says how many it leaves out
    assert coverage.unbudgeted(mixed, Filters(budget_years=(2022,)))["evaluations"] == 10
    assert coverage.unbudgeted(mixed, Filters(grades=("中",)))["evaluations"] == 1
    assert coverage.unbudgeted(mixed, Filters(regions=("别的县",))) == {
        "evaluations": 0,
        "amount_wan": None,
        "from_budget": 0,
    }


def test_the_detail_of_a_grade_only_evaluation(mixed):
    ev = detail.evaluation(mixed, "notice-2022-06", ALL)
    assert ev["score"] is None and ev["computed_grade"] is None and ev["grade"] == "中"
    assert ev["budget_year"] is None and ev["budget_year_assumed"] is False
    b = detail.batch(mixed, ev)
    assert b["title"] == notice.GENERATED_TITLE and b["title_generated"] is True and b["budget_year"] is None


# ---- importing real lists ------------------------------------------------------------------------------
def _evaluations(result) -> pl.DataFrame:
    return result.merged["evaluations"].drop("eval_id", "source", "_row").sort("project_name")


@pytest.mark.parametrize("grade_header", ["评价等级", "评价结果", "绩效评价结果", "等级"])
def test_the_notice_imports_as_csv_with_a_default_region_and_year(grade_header):
    result = importer.read_import(notice.notice_csv(grade_header), "结果公告.csv", options=DEFAULTS)
    assert result.ok, [str(f) for f in result.errors]
    want = notice.disclosure_tables()["evaluations"].drop("eval_id", "source").sort("project_name")
    assert _evaluations(result).equals(want)  # no score invented, no budget year guessed, types from the names
    assert not [f for f in result.findings if "序号" in str(f)]  # the row-number column is ignored silently
    defaults = [c for c in result.conversions if c.column in ("地区", "评价年度")]
    assert len(defaults) == 18 and {c.written for c in defaults} == {"（无此列）"}
    assert {(c.column, c.written, c.value) for c in result.conversions if c.row == 2} >= {
        ("评价金额（万元）", "3,200.00", 3200.0),
        ("评价等级", "良好", "良"),
        ("评价年度", "（无此列）", "2022（默认评价年度）"),
    }
    inferred = [f for f in result.warnings if f.column == "评价类型"]
    assert (
        len(inferred) == 9 and "推断为「部门整体」" in inferred[4].message and "推断为「政策」" in inferred[6].message
    )
    batch = [f for f in result.warnings if "自动生成批次" in f.message]
    assert len(batch) == 1 and notice.GENERATED_TITLE in batch[0].message and "以后导入含报告标题" in batch[0].message
    assert result.changes["batches"].counts["新增"] == 1


def test_without_a_default_the_missing_region_column_is_explained():
    result = importer.read_import(notice.notice_csv(), "结果公告.csv")
    errors = {(f.row, f.column): f.message for f in result.errors}
    assert set(errors) == {(1, "地区"), (1, "评价年度")}
    assert "--region" in errors[(1, "地区")] and "默认评价年度" in errors[(1, "评价年度")]


def _template_with_evaluations(rows: list[dict]) -> bytes:
    """The blank template with rows typed into its 评价结果 sheet under the template's own headers."""
    wb = openpyxl.load_workbook(io.BytesIO(template.build_template()))
    ws = wb["评价结果"]
    head = [c.value for c in ws[1]]
    for row in rows:
        ws.append([row.get(h) for h in head])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_grade_only_list_imports_through_the_template():
    words = ("优秀", "良好", "中", "差", "一般")
    rows = [
        {
            "地区": notice.REGION,
            "评价年度": 2023,
            "项目名称": f"项目{i}",
            "主管部门": notice._NOTICE[i][0],
            "评价等级": w,
        }
        for i, w in enumerate(words)
    ]
    result = importer.read_import(_template_with_evaluations(rows), "模板.xlsx")
    assert result.ok, [str(f) for f in result.errors]
    ev = result.tables["evaluations"]
    assert ev["grade"].to_list() == ["优", "良", "中", "差", "中"] and ev["grade_published"].all()
    assert ev["score"].null_count() == 5 and ev["budget_year"].null_count() == 5
    assert not ev["budget_year_assumed"].any()
    assert result.merged["batches"]["title"].to_list() == [f"{notice.REGION}2023年重点绩效评价结果（导入时生成）"]


def test_a_copied_table_pasted_over_the_template_sheet_imports_with_its_own_headers():
    wb = openpyxl.load_workbook(io.BytesIO(template.build_template()))
    ws = wb["评价结果"]
    ws.delete_rows(1, ws.max_row)
    ws.append(["某某县2022年度重点绩效评价结果"])  # the page's title above the table
    for i, row in enumerate(notice.notice_rows()):
        ws.append(["评价结果" if c == "评价等级" else c for c in row] if i == 0 else list(row))
    buf = io.BytesIO()
    wb.save(buf)
    result = importer.read_import(buf.getvalue(), "复制的表.xlsx", options=DEFAULTS)
    assert result.ok, [str(f) for f in result.errors]
    assert result.tables["evaluations"]["_row"].to_list() == list(range(3, 12))  # header found on row 2
    assert result.tables["evaluations"]["evaluated_wan"].sum() == pytest.approx(notice.TOTAL_WAN)
    assert result.tables["evaluations"]["grade"].to_list() == list(notice.GRADES)


def test_a_row_with_neither_score_nor_grade_names_both_columns():
    csv = (
        "地区,评价年度,项目名称,主管部门,评价得分,评价等级\n"
        "测试县,2024,甲项目,教育局,,\n"
        "测试县,2024,乙项目,教育局,88,\n"
    )
    result = importer.read_import(csv.encode(), "评价结果.csv", current=fixture_tables())
    f = result.errors
    assert len(f) == 1 and (f[0].row, f[0].column) == (2, "评价得分、评价等级") and "至少填写其中一项" in f[0].message
    ok = result.tables["evaluations"].row(1, named=True)
    assert (ok["score"], ok["grade"], ok["grade_published"]) == (88.0, "良", False)  # grade from score, as before


def test_an_empty_budget_year_stays_empty_unless_the_user_chooses_to_assume_it():
    csv = (
        "地区,评价年度,预算年度,项目名称,主管部门,评价等级\n"
        "测试县,2024,,甲项目,教育局,良\n"
        "测试县,2024,2024,乙项目,教育局,优\n"
    )
    plain = importer.read_import(csv.encode(), "评价结果.csv", current=fixture_tables())
    assert plain.ok and plain.tables["evaluations"]["budget_year"].to_list() == [None, 2024]
    assert plain.tables["evaluations"]["budget_year_assumed"].to_list() == [False, False]
    chosen = importer.read_import(
        csv.encode(), "评价结果.csv", current=fixture_tables(), options=importer.ImportOptions(assume_budget_year=True)
    )
    assert chosen.ok, [str(f) for f in chosen.errors]
    assert chosen.tables["evaluations"]["budget_year"].to_list() == [2023, 2024]  # a given year is kept
    assert chosen.tables["evaluations"]["budget_year_assumed"].to_list() == [True, False]
    assert [(c.row, c.column, c.value) for c in chosen.conversions] == [(2, "预算年度", "2023（按评价年度−1 推定）")]


def test_a_generated_batch_is_replaced_by_a_later_import_that_names_the_title(tmp_path):
    store = Store(tmp_path / "data")
    first = importer.load_import(store, notice.notice_csv(), "结果公告.csv", options=DEFAULTS)
    importer.publish_import(store, first, AS_OF)
    # evaluations again, now with budget years assumed: the generated batch follows them, no new warning
    again = importer.load_import(
        store,
        notice.notice_csv(),
        "结果公告.csv",
        options=importer.ImportOptions(notice.REGION, notice.EVAL_YEAR, assume_budget_year=True),
    )
    assert again.ok and not [f for f in again.warnings if "自动生成批次" in f.message]
    assert again.changes["batches"].values.select("列", "原值", "新值").rows() == [("预算年度", "（空）", "2021")]
    importer.publish_import(store, again, AS_OF)
    title = "某某县财政局关于2022年度重点绩效评价结果的公告"
    csv = f"地区,评价年度,预算年度,报告标题\n{notice.REGION},2022,2021,{title}\n"
    named = importer.load_import(store, csv.encode(), "评价批次.csv")
    assert named.ok and named.changes["batches"].counts == {"新增": 0, "修改": 1, "未变": 0, "删除": 0}
    importer.publish_import(store, named, AS_OF)
    batch = store.open().read_table("batches").row(0, named=True)
    assert (batch["title"], batch["title_generated"]) == (title, False)
    # evaluations alone never put a generated title back over the real one
    later = importer.load_import(store, notice.notice_csv(), "结果公告.csv", options=DEFAULTS)
    assert later.ok and later.changes["batches"].counts["修改"] == 0
    assert strip_rows(later.merged)["batches"]["title"].to_list() == [title]


def test_long_official_names_import_and_validate(tmp_path, capsys):
    assert len(notice.REGION) >= 20 and min(len(d) for d, *_ in notice._NOTICE) >= 20
    path = tmp_path / "结果公告.csv"
    path.write_bytes(notice.notice_csv("评价结果"))
    root = tmp_path / "data"
    args = ["--data-dir", str(root), "import", str(path), "--region", notice.REGION, "--eval-year", "2022"]
    assert cli.main([*args, "--assume-budget-year", "--show-changes", "3"]) == 0
    out = capsys.readouterr()
    assert "已发布快照" in out.out and "取默认值" in out.out and "只列前 3 处" in out.out
    assert "自动生成批次" in out.err and "推断为「部门整体」" in out.err
    snap = Store(root).open()
    ev = snap.read_table("evaluations")
    assert ev["region"].unique().to_list() == [notice.REGION] and ev["budget_year"].unique().to_list() == [2021]
    assert ev["budget_year_assumed"].all()
    # the whole region and year replaced by name, brackets and all
    assert cli.main([*args, "--replace-region-year", f"{notice.REGION}：2022", "--dry-run"]) == 0
    out = capsys.readouterr()
    assert "都没有记录" not in out.err and "试运行：校验通过" in out.out  # the scope named existing rows
    with pytest.raises(SystemExit) as refused:  # argparse: exit 2 with the reason
        cli.main(["--data-dir", str(root), "import", str(path), "--eval-year", "1999"])
    assert refused.value.code == 2 and "2000–2100" in capsys.readouterr().err
