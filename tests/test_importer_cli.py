import hashlib
import io

import openpyxl
import polars as pl
import pytest

from perfeval_dash.cli import commands as cli
from perfeval_dash.ingest import template
from perfeval_dash.store import Snapshot, journal

from fixtures import fixture_tables


def dir_hashes(root):
    """Every file of the data folder but the audit log, which records the attempt (it is meant to grow)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != journal.FILE
    }


def last_audit(store) -> dict:
    return journal.read(store.audit_path).records[-1]


def main(store, *args):
    return cli.main(["--data-dir", str(store.root), *args])


def edited_export(tmp_path, sheet, row, header, value, name="修改.xlsx"):
    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(fixture_tables())))
    ws = wb[sheet]
    col = [c.value for c in ws[1]].index(header) + 1
    ws.cell(row=row, column=col, value=value)
    path = tmp_path / name
    wb.save(path)
    return path


def test_template_command_writes_the_workbook(store, tmp_path, capsys):
    out = tmp_path / "模板.xlsx"
    assert main(store, "template", str(out)) == 0
    assert openpyxl.load_workbook(out).sheetnames == [
        "说明",
        "评价结果",
        "维度得分",
        "问题整改",
        "部门预算",
        "评价批次",
    ]
    assert "空白导入模板" in capsys.readouterr().out
    with_data = tmp_path / "当前.xlsx"
    assert main(store, "template", str(with_data), "--with-data") == 0
    assert openpyxl.load_workbook(with_data)["评价结果"].max_row == 6


def test_template_with_data_refuses_text_a_cell_cannot_hold(store, tmp_path, capsys, monkeypatch):
    tables = store.open().read_tables()
    tables["batches"] = tables["batches"].with_columns(title=pl.lit("长" * 40_000))
    monkeypatch.setattr(Snapshot, "read_tables", lambda self: tables)  # as if published before the check
    out = tmp_path / "当前.xlsx"
    assert main(store, "template", str(out), "--with-data") == 1
    assert "「评价批次」第 2 行" in capsys.readouterr().err and not out.exists()


def test_dry_run_validates_and_previews_without_publishing(store, tmp_path, capsys):
    before = dir_hashes(store.root)
    path = edited_export(tmp_path, "评价结果", 3, "评价得分", "91分")
    assert main(store, "import", str(path), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "评价结果" in out and "t-2023-02  评价得分：85.5 → 91.0" in out and "试运行" in out
    assert dir_hashes(store.root) == before
    assert last_audit(store)["detail"]["outcome"] == "dry_run"


def test_import_publishes_a_new_snapshot(store, tmp_path, capsys):
    first = store.current_id()
    path = edited_export(tmp_path, "问题整改", 3, "整改状态", "已整改")
    assert main(store, "import", str(path), "--as-of", "2025年7月1日") == 0
    snap = store.open()
    assert snap.id != first and snap.as_of.isoformat() == "2025-07-01" and snap.made_from[-1] == "修改.xlsx"
    assert snap.read_table("problems").filter(pl.col("problem_id") == "p2")["status"].item() == "已整改"
    assert "已发布快照" in capsys.readouterr().out


def test_errors_exit_1_print_findings_and_change_nothing(store, tmp_path, capsys):
    before = dir_hashes(store.root)
    path = edited_export(tmp_path, "评价结果", 4, "评价得分", 120)
    assert main(store, "import", str(path)) == 1
    err = capsys.readouterr().err
    assert "错误：修改.xlsx 工作表「评价结果」 第 4 行 列「评价得分」，值「120」" in err and "未发布" in err
    assert dir_hashes(store.root) == before
    record = last_audit(store)
    assert record["action"] == "import" and record["detail"]["outcome"] == "errors"
    assert record["detail"]["file"] == "修改.xlsx" and record["detail"]["errors"] >= 1


def test_unreadable_file_exits_2(store, tmp_path, capsys):
    path = tmp_path / "报告.xlsx"
    path.write_text("不是工作簿")
    assert main(store, "import", str(path)) == 2
    assert "不是有效的 .xlsx" in capsys.readouterr().err


def test_replace_region_year(store, tmp_path, capsys):
    wb = openpyxl.load_workbook(io.BytesIO(template.export_workbook(fixture_tables())))
    ws = wb["评价结果"]
    ws.delete_rows(4)  # t-2023-03 is not in the file
    ws = wb["问题整改"]
    ws.delete_rows(4)  # nor its problem p3
    path = tmp_path / "替换.xlsx"
    wb.save(path)
    assert main(store, "import", str(path), "--replace-region-year", "测试县：2023", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "  评价结果         0       0       4       1" in out
    with pytest.raises(SystemExit) as e:
        main(store, "import", str(path), "--replace-region-year", "测试县")
    assert e.value.code == 2
    assert "地区:评价年度" in capsys.readouterr().err


def test_csv_for_one_table(store, tmp_path):
    path = tmp_path / "budgets.csv"
    path.write_text("地区,预算年度,主管部门,年度项目预算总额\n测试县,2023,教育局,0.05亿元\n", encoding="utf-8")
    assert main(store, "import", str(path), "--table", "部门预算") == 0
    budgets = store.open().read_table("dept_budgets")
    assert budgets.height == 3 and budgets["project_budget_wan"].to_list()[-1] == 500.0


def test_help_is_chinese(capsys):
    for command in ("import", "template"):
        with pytest.raises(SystemExit) as e:
            cli.main([command, "--help"])
        assert e.value.code == 0
    out = capsys.readouterr().out
    assert "--dry-run" in out and "--replace-region-year" in out and "退出码" in out and "导入模板" in out


def test_storage_error_on_publish_exits_3(store, tmp_path, capsys, monkeypatch):
    import errno

    from perfeval_dash.store import snapshots as store_mod

    before = dir_hashes(store.root)
    path = edited_export(tmp_path, "问题整改", 3, "整改状态", "已整改")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store_mod.derived, "write", full)
    assert main(store, "import", str(path)) == 3
    err = capsys.readouterr().err
    assert "\n发布失败：磁盘空间不足（写入 derived.duckdb，" in err and "Traceback" not in err
    assert dir_hashes(store.root) == before


def test_import_help_documents_exit_3(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "--help"])
    assert "3 存储错误" in capsys.readouterr().out
