"""The `bench` subcommand: page runs and queries against the floor and the usual way, at several scales."""

from __future__ import annotations

import argparse

from perfeval_dash import settings


def _scales(text: str) -> list[int]:
    try:
        scales = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"规模应为逗号分隔的整数：{text}") from exc
    if not scales or min(scales) < 10:
        raise argparse.ArgumentTypeError("规模至少为 10 条评价")
    return scales


def cmd_bench(args, store) -> int:
    from perfeval_dash.bench import run

    scales = args.scales or ([10_000, 100_000] if args.quick else list(run.DEFAULT_SCALES))
    if args.history:
        from perfeval_dash.bench import history

        results = history.run_all(
            args.scales or ([10_000] if args.quick else [1_000_000]),
            data_dir=args.bench_data_dir,
            out=None if args.no_write else args.out,
            quick=args.quick,
            regenerate=args.regenerate,
            seed=args.seed,
        )
        return 1 if run.failed(results) else 0
    results = run.run_all(
        scales,
        data_dir=args.bench_data_dir,
        out=None if args.no_write else args.out,
        quick=args.quick,
        regenerate=args.regenerate,
        seed=args.seed,
        json_out=args.json,
    )
    return 1 if run.failed(results) else 0


def cmd_load(args, store) -> int:
    from perfeval_dash.bench import load

    return load.main_args(args)


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"应至少为 1：{text}")
    return value


def register(sub) -> None:
    """Add the `bench` and `load` subcommands."""
    p = sub.add_parser(
        "bench",
        help="性能基准：各页面对比“下限”（手写 DuckDB 直查 Parquet）与常见写法（pandas + st.cache_data）",
        description="为每个规模生成模拟数据快照（写在 --data-dir，不进仓库），测量每个页面筛选变化后的完整运行时间、"
        "页面查询时间与下限之比、与常见 pandas 写法之比（冷/热）、冷启动、服务进程峰值内存和发送到浏览器的字节数；"
        "先核对每个页面数字与下限一致再报告时间。结果打印并写入 --out。",
    )
    p.add_argument(
        "--scales",
        type=_scales,
        default=None,
        help="评价条数，逗号分隔（默认 10000,100000,1000000；--quick 时默认 10000,100000）",
    )
    p.add_argument(
        "--data-dir",
        dest="bench_data_dir",
        default="bench-data",
        help="各规模快照的存放目录（默认 ./bench-data，已在 .gitignore 中）",
    )
    p.add_argument("--out", default="docs/benchmarks.md", help="写入结果的 Markdown 文件（只替换其中的生成部分）")
    p.add_argument("--no-write", action="store_true", help="只打印，不写 --out")
    p.add_argument("--quick", action="store_true", help="少量重复，快速检查（数字更不稳定）")
    p.add_argument("--regenerate", action="store_true", help="重新生成各规模数据（默认复用同参数生成的快照）")
    p.add_argument("--seed", type=int, default=settings.DEMO_SEED.value, help="模拟数据随机种子")
    p.add_argument("--json", default=None, help="另把原始结果写入此 JSON 文件")
    p.add_argument(
        "--history",
        action="store_true",
        help="整改变化记录基准：每个规模发布 10 个相继快照（每次 1–5%% 的问题变化），测量含变化记录的发布时间，"
        "并在最后一个快照上测量各页面（默认规模 1000000；--quick 时 10000）",
    )
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser(
        "load",
        help="负载测试：多个真实浏览器会话同时浏览各页面与筛选组合，期间发布新快照",
        description="用 Debian 的 Chromium 打开 --sessions 个浏览器会话，每个按固定种子生成的步骤（打开链接、切换页面、"
        "增加筛选值）走 --steps 步，同时在后台发布 --publishes 个新快照；记录每步页面绘制完成的时间，"
        "页面出现异常、错误提示或页头与侧栏快照不一致即为错误，超时即为卡住；每秒检查健康端点，"
        "每 0.5 秒采样服务进程内存。打印结果表；有错误、卡住或健康检查失败时退出码非零。",
    )
    p.add_argument("--sessions", type=_at_least_one, default=20, help="同时的浏览器会话数（默认 20）")
    p.add_argument("--steps", type=_at_least_one, default=30, help="每个会话的步数（默认 30）")
    p.add_argument(
        "--evaluations",
        type=_at_least_one,
        default=20_000,
        help="数据规模：评价条数（用 bench 的规模快照，默认 20000）",
    )
    p.add_argument("--publishes", type=int, default=5, help="运行期间发布的新快照数（默认 5）")
    p.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=1,
        help="应用进程数：1 直接服务；2 时两个进程在 nginx 后（粘滞会话）",
    )
    p.add_argument("--seed", type=int, default=1, help="步骤计划的随机种子（默认 1）")
    p.add_argument("--port", type=int, default=None, help="对外端口（默认任选空闲端口）")
    p.add_argument(
        "--data-dir",
        dest="load_data_dir",
        default="bench-data",
        help="规模快照与本次负载数据的目录（默认 ./bench-data，已在 .gitignore 中）",
    )
    p.add_argument("--think", type=float, default=10.0, help="每步之后的阅读时间（秒，实际取 0.5–1.5 倍，默认 10）")
    p.add_argument("--step-timeout", type=float, default=60.0, help="一步超过此秒数未绘制完成即算卡住（默认 60）")
    p.add_argument(
        "--renderer-nice",
        type=int,
        default=5,
        help="Chromium 渲染进程的 nice 值（默认 5：服务进程优先用 CPU，真实用户的浏览器不在服务器上；0 为不调整）",
    )
    p.add_argument("--json", default=None, help="另把原始结果写入此 JSON 文件")
    p.set_defaults(func=cmd_load)
