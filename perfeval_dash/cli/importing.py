"""The `import` and `template` commands: findings go to stderr; exit 0 published, 1 data errors, 2 unreadable file,
3 storage error (cli.main turns a StorageError from publishing into EXIT_STORAGE)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import unicodedata
from pathlib import Path

from perfeval_dash.cli import auditing
from perfeval_dash.cli.exits import EXIT_ERRORS, EXIT_OK, EXIT_REFUSED
from perfeval_dash.ingest import importer, parsing, template
from perfeval_dash.ingest.layout import TABLE_ORDER, display_table
from perfeval_dash.ingest.reader import MAX_FILE_BYTES
from perfeval_dash.store import Store


def _scope(text: str) -> tuple[str, int]:
    """'特克斯县:2024' (full-width colon and digits too) -> ('特克斯县', 2024); the region stays as written."""
    region, sep, year = text.replace("：", ":").rpartition(":")  # a name keeps its full-width brackets
    year = parsing.normalize(year)
    if not sep or not region.strip() or not year.isdigit() or len(year) != 4:
        raise argparse.ArgumentTypeError(f"应写成 地区:评价年度，如 特克斯县:2024（收到「{text}」）")
    return region.strip(), int(year)


def _date(text: str) -> dt.date:
    try:
        return parsing.parse_date(text)
    except parsing.ParseError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from exc


def _cell(text: object, width: int, left: bool = False) -> str:
    """Text padded to a display width (CJK characters take two columns in a terminal)."""
    text = str(text)
    pad = " " * max(0, width - sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))
    return text + pad if left else pad + text


def _print_changes(result: importer.ImportResult, limit: int) -> None:
    print("变更预览（与当前快照相比）：")
    print("  " + _cell("表", 10, left=True) + "".join(_cell(h, 8) for h in ("新增", "修改", "未变", "删除")))
    for name in TABLE_ORDER:
        c = result.changes[name].counts
        print("  " + _cell(display_table(name), 10, left=True) + "".join(_cell(v, 8) for v in c.values()))
    for name in TABLE_ORDER:
        values = result.changes[name].values
        if values.height:
            more = f"，只列前 {limit} 个" if values.height > limit else ""
            print(f"  {display_table(name)} 修改的值（{values.height} 个{more}）：")
            for r in values.head(limit).iter_rows(named=True):
                print(f"    {r['键']}  {r['列']}：{r['原值']} → {r['新值']}")


def _print_conversions(result: importer.ImportResult, limit: int) -> None:
    """Cells read in another written form or filled from --region / --eval-year / --assume-budget-year."""
    if not result.conversions:
        return
    more = f"，只列前 {limit} 处" if len(result.conversions) > limit else ""
    print(f"已转换的写法与取默认值的单元格（{len(result.conversions)} 处{more}）：")
    for c in result.conversions[:limit]:
        print(f"  工作表「{c.sheet}」第 {c.row} 行 列「{c.column}」：{c.written} → {c.value}")


def _year(text: str) -> int:
    try:
        year = parsing.parse_year(text)
    except parsing.ParseError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from exc
    if not 2000 <= year <= 2100:
        raise argparse.ArgumentTypeError(f"应在 2000–2100 年之间（收到「{text}」）")
    return year


def _text(text: str) -> str:
    value = text.strip()  # as written: an official name keeps its full-width brackets
    if not value:
        raise argparse.ArgumentTypeError("不能为空")
    return value


def cmd_import(args, store: Store) -> int:
    path = Path(args.file)
    if path.stat().st_size > MAX_FILE_BYTES:
        print(f"错误：{path.name}：文件过大（上限 {MAX_FILE_BYTES // 1048576} MB），请拆分后分批导入", file=sys.stderr)
        auditing.record(store, "import", store.current_id(), file=path.name, outcome="refused")
        return EXIT_REFUSED
    options = importer.ImportOptions(
        region=args.region, eval_year=args.eval_year, assume_budget_year=args.assume_budget_year
    )
    result = importer.load_import(
        store, path.read_bytes(), path.name, scopes=args.replace_region_year, table=args.table, options=options
    )
    for f in sorted(result.findings, key=lambda f: f.severity != "error"):
        print(str(f), file=sys.stderr)
    replace = [f"{r}:{y}" for r, y in args.replace_region_year] or None
    counts = {"file": path.name, "errors": len(result.errors), "warnings": len(result.warnings), "replace": replace}
    if result.refused:
        print("文件无法读取，未导入。", file=sys.stderr)
        auditing.record(store, "import", store.current_id(), **counts, outcome="refused")
        return EXIT_REFUSED
    rows = "，".join(f"{display_table(t)} {df.height} 行" for t, df in result.tables.items())
    print(f"读取 {result.file}：{rows}")
    _print_conversions(result, args.show_changes)
    if result.changes is not None:
        _print_changes(result, args.show_changes)
    if result.errors:
        print(f"共 {len(result.errors)} 个错误、{len(result.warnings)} 个警告：未发布，数据保持不变。", file=sys.stderr)
        auditing.record(store, "import", store.current_id(), **counts, outcome="errors")
        return EXIT_ERRORS
    if args.dry_run:
        print(f"试运行：校验通过（{len(result.warnings)} 个警告），未发布。")
        auditing.record(store, "import", store.current_id(), **counts, outcome="dry_run")
        return EXIT_OK
    snap = importer.publish_import(store, result, args.as_of, actor=args.actor)
    auditing.record(store, "import", snap.id, **counts, outcome="published", as_of=str(args.as_of))
    print(
        f"已发布快照 {snap.id}（数据截至 {snap.as_of}；评价 {snap.row_count('evaluations')} 条，"
        f"问题 {snap.row_count('problems')} 个；整改变化记录新增 {snap.manifest.get('events', 0)} 条），"
        "已设为当前快照。"
    )
    return EXIT_OK


def cmd_template(args, store: Store) -> int:
    out = Path(args.out)
    if args.with_data:
        try:
            data = template.export_workbook(store.open().read_tables())
        except template.TemplateError as exc:  # a snapshot published before text length was checked
            print(f"错误：{exc}", file=sys.stderr)
            return EXIT_ERRORS
    else:
        data = template.build_template()
    out.write_bytes(data)
    print(f"已写出{'含当前数据的' if args.with_data else '空白'}导入模板：{out}")
    return EXIT_OK


def register(sub) -> None:
    """Add the `import` and `template` subcommands to the CLI's subparsers."""
    p = sub.add_parser(
        "import",
        help="导入 Excel 模板或单表 CSV：校验、预览变更，无错误时发布为新快照",
        description="读取填好的导入模板（.xlsx）或单张表的 CSV，列出全部问题（工作表、行号、列名、值），"
        "显示与当前快照相比的新增/修改/未变行数；没有错误时发布为新快照（原有快照不变）。"
        "退出码：0 已发布（或试运行通过），1 数据有错误未发布，2 文件无法读取，"
        "3 存储错误（磁盘空间不足、没有写入权限等），未发布，当前快照和已有快照保持不变。",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help=".xlsx 导入模板，或单张表的 .csv（表头用中文列名或英文字段名）")
    p.add_argument("--dry-run", action="store_true", help="只校验并预览变更，不发布")
    p.add_argument(
        "--replace-region-year",
        action="append",
        type=_scope,
        default=[],
        metavar="地区:评价年度",
        help="整体替换：先删除该地区该评价年度的全部现有数据再导入（可重复给出）；默认为合并更新",
    )
    p.add_argument("--as-of", type=_date, default=dt.date.today(), help="新快照的数据截至日期（默认今天）")
    p.add_argument(
        "--table", help="CSV 所属的表（评价结果/维度得分/问题整改/部门预算/评价批次）；默认按文件名或表头判断"
    )
    p.add_argument(
        "--region",
        type=_text,
        metavar="地区",
        help="默认地区：文件中没有“地区”列或该列留空的行取此值（每处都列出）",
    )
    p.add_argument(
        "--eval-year",
        type=_year,
        metavar="年份",
        help="默认评价年度：文件中没有“评价年度”列或该列留空的行取此值（每处都列出）",
    )
    p.add_argument(
        "--assume-budget-year",
        action="store_true",
        help="预算年度为空的评价按评价年度−1 推定，并标记“预算年度为推定”；默认不推定（不计入覆盖率）",
    )
    p.add_argument(
        "--show-changes",
        type=int,
        default=50,
        metavar="N",
        help="每张表最多列出 N 个修改的值、最多列出 N 处转换（默认 50）",
    )
    p.add_argument(
        "--actor",
        default=None,
        metavar="姓名",
        help="发布人：记入本次导入带来的每条整改变化记录（默认不记录，显示为“未记录”）",
    )
    p.set_defaults(func=cmd_import, writes=True)

    p = sub.add_parser(
        "template", help="生成导入模板（.xlsx）", description="写出带「说明」工作表、下拉选项和冻结表头的导入模板。"
    )
    p.add_argument("out", metavar="OUT.xlsx", help="输出文件路径")
    p.add_argument("--with-data", action="store_true", help="填入当前快照的全部数据（可修改后重新导入）")
    p.set_defaults(func=cmd_template)
