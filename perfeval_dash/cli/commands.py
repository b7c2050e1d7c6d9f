"""Command line: `python -m perfeval_dash <command>`; errors go to stderr with a non-zero exit (EXIT_* below)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import sys

from perfeval_dash import settings
from perfeval_dash.cli import auditing, bench, importing
from perfeval_dash.cli.exits import EXIT_CODES_HELP, EXIT_ERRORS, EXIT_OK, EXIT_REFUSED, EXIT_STORAGE  # noqa: F401
from perfeval_dash.domain.rules import SettingError, application_rule
from perfeval_dash.store import StorageError, Store, StoreError

RAW = argparse.RawDescriptionHelpFormatter  # keeps the exit-code lines as written


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from exc


def cmd_list(args, store: Store) -> int:
    current = store.current_id()
    snaps = store.list()
    if not snaps:
        print(f"{store.root}: 没有已发布的快照")
        return 0
    print(f"{'':2}{'snapshot':24} {'as_of':10} {'created_at':25} {'evaluations':>11} {'problems':>8}  made_from")
    for s in snaps:
        mark = "* " if s.id == current else "  "
        print(
            f"{mark}{s.id:24} {s.manifest['as_of']:10} {s.created_at:25} {s.row_count('evaluations'):>11} "
            f"{s.row_count('problems'):>8}  {', '.join(s.made_from)}"
        )
    return 0


def cmd_current(args, store: Store) -> int:
    snap = store.open()
    print(json.dumps(snap.manifest, ensure_ascii=False, indent=2) if args.json else snap.id)
    return 0


def cmd_validate(args, store: Store) -> int:
    problems = store.verify(args.snapshot)
    sid = args.snapshot or store.current_id()
    if problems:
        print(f"快照 {sid} 有 {len(problems)} 项问题：", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"快照 {sid}：校验通过（哈希、行数、数据约定）")
    return 0


def cmd_demo(args, store: Store) -> int:
    from perfeval_dash.store import bundled, demo

    tables = demo.generate(seed=args.seed, n_evaluations=args.evaluations, as_of=args.as_of)
    made_from = [f"demo.generate(seed={args.seed}, n_evaluations={args.evaluations})"]
    if args.with_real:
        tables = bundled.combine(bundled.real_tables(), tables)
        made_from.insert(0, "seed.py（真实记录）")
    snap = store.publish(
        tables, as_of=args.as_of, made_from=made_from, make_current=not args.no_current, start_history=True
    )  # a demo set replaces everything: a new line of history, not a change of the current data
    auditing.record(store, "demo", snap.id, evaluations=snap.row_count("evaluations"), seed=args.seed)
    print(
        f"已发布快照 {snap.id}：{snap.row_count('evaluations')} 条评价，{snap.row_count('problems')} 个问题"
        f"（模拟数据）{'' if args.no_current else '，已设为当前快照'}"
    )
    return 0


def cmd_use(args, store: Store) -> int:
    previous = store.current_id()
    store.set_current(args.snapshot)
    auditing.record(store, "use", args.snapshot, previous=previous)
    print(f"当前快照：{args.snapshot}")
    return 0


def cmd_bundle(args, store: Store) -> int:
    from perfeval_dash.store import bundled

    snap = bundled.publish_bundled(store)
    auditing.record(store, "bundle", snap.id)
    print(f"已发布内置快照 {snap.id}（真实记录 + 模拟演示数据）")
    return 0


MIN_PASSWORD_CHARS = 8


def cmd_hash_password(args, store: Store) -> int:
    from perfeval_dash.auth import passwords

    if args.stdin or not sys.stdin.isatty():  # scripts: the first line of standard input
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("密码（不回显）：")
        if getpass.getpass("再输入一次：") != password:
            print("错误：两次输入的密码不一致，未生成。", file=sys.stderr)
            return EXIT_REFUSED
    if len(password) < MIN_PASSWORD_CHARS:
        print(f"错误：密码至少 {MIN_PASSWORD_CHARS} 个字符，未生成。", file=sys.stderr)
        return EXIT_REFUSED
    print(passwords.hash_password(password))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m perfeval_dash",
        description="perfeval-dash: 预算绩效评价结果数据（快照）管理",
        epilog=EXIT_CODES_HELP,
        formatter_class=RAW,
    )
    parser.add_argument("--data-dir", help="数据目录（默认 $PERFEVAL_DATA_DIR，否则仓库内 data/）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="列出所有快照（* 为当前快照）")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("current", help="显示当前快照")
    p.add_argument("--json", action="store_true", help="输出完整清单 manifest.json")
    p.set_defaults(func=cmd_current)

    p = sub.add_parser("validate", help="校验快照：文件哈希、行数与数据约定")
    p.add_argument("snapshot", nargs="?", help="快照编号（默认当前快照）")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("demo", help="生成模拟演示数据并发布为新快照", epilog=EXIT_CODES_HELP, formatter_class=RAW)
    p.add_argument("--seed", type=int, default=settings.DEMO_SEED.value, help="随机种子（相同种子得到相同数据）")
    p.add_argument("--evaluations", type=int, default=300, help="评价条数（可到数百万）")
    p.add_argument("--as-of", type=_date, default=settings.DEMO_AS_OF.value, help="数据截至日期 YYYY-MM-DD")
    p.add_argument("--with-real", action="store_true", help="同时包含两份报告的真实记录")
    p.add_argument("--no-current", action="store_true", help="发布但不设为当前快照")
    p.set_defaults(func=cmd_demo, writes=True)

    p = sub.add_parser("use", help="把某个已发布快照设为当前快照", epilog=EXIT_CODES_HELP, formatter_class=RAW)
    p.add_argument("snapshot", help="快照编号")
    p.set_defaults(func=cmd_use, writes=True)

    p = sub.add_parser(
        "bundle", help="重建内置默认快照（真实记录 + 模拟演示数据）", epilog=EXIT_CODES_HELP, formatter_class=RAW
    )
    p.set_defaults(func=cmd_bundle, writes=True)

    p = sub.add_parser(
        "hash-password",
        help="生成账户的密码散列值（argon2id），写入 secrets.toml 的 password_hash",
        description="从终端读取密码（不回显，输入两次），或用 --stdin / 管道从标准输入读取第一行；"
        "输出 argon2id 散列值，复制到账户配置的 password_hash 中。密码本身不会被保存或显示。",
    )
    p.add_argument("--stdin", action="store_true", help="从标准输入读取密码（供脚本使用）")
    p.set_defaults(func=cmd_hash_password)

    importing.register(sub)
    bench.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        application_rule()  # a malformed setting stops here, with its message, before any command runs
    except SettingError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
    store = Store(args.data_dir)
    if getattr(args, "writes", False):
        store.clean_leftovers()  # leftovers of killed publishes; skipped while another publish runs
    try:
        return args.func(args, store)
    except StorageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_STORAGE
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_REFUSED
    except (OSError, ValueError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_REFUSED
