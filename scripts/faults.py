"""Scripted fault checks of the snapshot store (not timed tests): kill -9 mid-publish, and a full disk.

    python scripts/faults.py kill       # 10 kill -9 points across a 20,000-evaluation `demo` publish
    python scripts/faults.py diskfull   # publish, import and `use` on a small tmpfs (needs root for mount)

Each trial runs the real CLI in a subprocess (`python -m perfeval_dash --data-dir D ...`), then checks that the
previous CURRENT is unchanged (or, only after the publish's last step, names the complete new snapshot),
`validate` passes, the previous snapshots are byte-identical, and no leftovers remain after the start-up clean.
Prints one row per trial; exits 1 when any trial fails, 2 when the check cannot run (e.g. mount not permitted).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from perfeval_dash.store.snapshots import TEMP_PREFIX, Store  # noqa: E402

BASE_EVALUATIONS = 300  # the snapshot that is current before each trial


@dataclass(frozen=True)
class Point:
    """Kill once `event` is seen in the data folder, `after` (a share of the derived.duckdb build) later."""

    label: str
    event: str  # "tmp" (temp folder made), a file name in the temp folder, or "final" (renamed into place)
    after: float = 0.0


# spread across the publish: temp folder, each Parquet file, manifest, the derived.duckdb build, after the rename
POINTS = (
    Point("临时目录刚建好", "tmp"),
    Point("写 evaluations.parquet", "evaluations.parquet"),
    Point("写 dimension_scores.parquet", "dimension_scores.parquet"),
    Point("写 problems.parquet", "problems.parquet"),
    Point("写 dept_budgets.parquet", "dept_budgets.parquet"),
    Point("写 manifest.json", "manifest.json"),
    Point("开始写 derived.duckdb", "derived.duckdb"),
    Point("derived.duckdb 写到 1/3", "derived.duckdb", 1 / 3),
    Point("derived.duckdb 写到 2/3", "derived.duckdb", 2 / 3),
    Point("已改名就位，CURRENT 未动", "final"),
)


@dataclass
class Trial:
    """One trial's outcome; `ok` is False when any check failed (`problems` says which)."""

    label: str
    how: str = ""
    leftovers: str = "无"
    current: str = ""
    valid: bool = False
    problems: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


# ---- helpers ---------------------------------------------------------------------------------------
def cli(data: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run `python -m perfeval_dash --data-dir data ...` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "perfeval_dash", "--data-dir", str(data), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        **kwargs,
    )


def demo_command(data: Path, evaluations: int) -> list[str]:
    """The publish under test."""
    return [sys.executable, "-m", "perfeval_dash", "--data-dir", str(data), "demo", "--evaluations", str(evaluations)]


def folder_state(path: Path) -> dict[str, str]:
    """Every file under path with its SHA-256 (files that vanish while we look are skipped)."""
    state = {}
    for p in sorted(path.rglob("*")):
        with contextlib.suppress(FileNotFoundError):
            if p.is_file():
                state[str(p.relative_to(path))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return state


def snapshot_states(store: Store) -> dict[str, dict[str, str]]:
    """Each published snapshot's files and hashes (derived.duckdb included)."""
    return {sid: folder_state(store.snapshots_dir / sid) for sid in store.list_ids()}


def observe(snapshots: Path, before: set[str]) -> set[str]:
    """Events visible now: "tmp", names of files in a temp folder, "final" (a new snapshot folder in place)."""
    seen = set()
    try:
        for entry in os.scandir(snapshots):
            if entry.name.startswith(TEMP_PREFIX):
                seen.add("tmp")
                with contextlib.suppress(FileNotFoundError):
                    seen.update(f.name for f in os.scandir(entry.path))
            elif entry.name not in before:
                seen.add("final")
    except FileNotFoundError:
        pass
    return seen


def timeline(data: Path, evaluations: int) -> dict[str, float]:
    """One full publish, watched: seconds from the temp folder's appearance to each event."""
    store = Store(data)
    before = set(store.list_ids())
    proc = subprocess.Popen(
        demo_command(data, evaluations), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    first: dict[str, float] = {}
    while proc.poll() is None:
        now = time.perf_counter()
        for event in observe(store.snapshots_dir, before):
            first.setdefault(event, now)
        time.sleep(0.0005)
    if proc.returncode != 0 or "tmp" not in first:
        raise SystemExit(f"校准发布失败（退出码 {proc.returncode}）：{proc.stderr.read()}")
    return {event: t - first["tmp"] for event, t in first.items()}


def describe_leftovers(store: Store) -> str:
    """What leftovers there are: temp folders (with their files) and pointer temp files."""
    parts = []
    for p in store.leftovers():
        if p.is_dir():
            parts.append(f"临时目录（{len(list(p.iterdir()))} 个文件）")
        else:
            parts.append(f"{p.name[:10]}…tmp（{p.stat().st_size} 字节）")
    return "，".join(parts) or "无"


def display(text: object, width: int) -> str:
    """Text padded to a terminal width (CJK characters take two columns)."""
    text = str(text)
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def print_table(header: list[str], rows: list[list[object]]) -> None:
    """A plain aligned table."""
    widths = [
        max(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(v)) for v in col)
        for col in zip(header, *rows)
    ]
    for row in [header, *rows]:
        print("  ".join(display(v, w) for v, w in zip(row, widths)).rstrip())


# ---- kill -9 ---------------------------------------------------------------------------------------
def kill_at(data: Path, evaluations: int, point: Point, build_s: float) -> tuple[str, int | None]:
    """Start the publish and kill -9 it at the point; (what happened, the process's exit code)."""
    store = Store(data)
    before = set(store.list_ids())
    proc = subprocess.Popen(
        demo_command(data, evaluations), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    seen_at = None
    while proc.poll() is None:
        if seen_at is None and point.event in observe(store.snapshots_dir, before):
            seen_at = time.perf_counter()
        if seen_at is not None and time.perf_counter() - seen_at >= point.after * build_s:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return "已 kill -9", proc.returncode
        time.sleep(0.0005)
    return "发布先完成（未命中）", proc.returncode


def check_after_kill(trial: Trial, data: Path, previous: bytes, prev_states: dict, may_move: bool) -> None:
    """The checks after one kill: CURRENT, previous snapshots, validate, start-up clean.

    `may_move`: the publish finished, or was killed after its rename (then CURRENT may name the new snapshot).
    """
    store = Store(data)
    pointer = (data / "CURRENT").read_bytes()
    new_ids = [i for i in store.list_ids() if i not in prev_states]
    if pointer == previous:
        trial.current = "未变"
    elif pointer.decode().strip() in new_ids and may_move:
        trial.current = "已切到完整新快照"  # the kill came after the publish's last step: that is a publish
    else:
        trial.current = "被改变"
        trial.problems.append(f"CURRENT 被改为 {pointer!r}")
    changed = [sid for sid, state in prev_states.items() if folder_state(store.snapshots_dir / sid) != state]
    if changed:
        trial.problems.append(f"原有快照被改动：{changed}")
    for sid in new_ids:  # a snapshot renamed into place before the kill must be complete
        if store.verify(sid):
            trial.problems.append(f"新快照 {sid} 不完整")
    r = cli(data, "validate")
    trial.valid = r.returncode == 0
    if not trial.valid:
        trial.problems.append(f"validate 失败：{r.stderr.strip()[:200]}")
    trial.leftovers = describe_leftovers(store)
    trial.extra["新快照"] = (
        f"{len(new_ids)}（{'当前' if pointer.decode().strip() in new_ids else '非当前'}）" if new_ids else "无"
    )
    removed = store.clean_leftovers()
    if removed is None or store.leftovers():
        trial.problems.append(f"启动清理后仍有残留：{[p.name for p in store.leftovers()]}")


def run_kill(data: Path, evaluations: int, points: tuple[Point, ...] = POINTS) -> list[Trial]:
    """Kill -9 a `demo` publish at each point; one Trial per point."""
    r = cli(data, "demo", "--evaluations", str(BASE_EVALUATIONS))
    if r.returncode != 0:
        raise SystemExit(f"初始快照发布失败：{r.stderr}")
    build_s = 0.0
    if any(p.after for p in points):
        events = timeline(data, evaluations)
        build_s = events["final"] - events["derived.duckdb"]
    trials = []
    for point in points:
        store = Store(data)
        previous, prev_states = (data / "CURRENT").read_bytes(), snapshot_states(store)
        trial = Trial(point.label)
        trial.how, code = kill_at(data, evaluations, point, build_s)
        check_after_kill(trial, data, previous, prev_states, may_move=code == 0 or point.event == "final")
        trials.append(trial)
    return trials


def report_kill(trials: list[Trial]) -> None:
    """The table of kill trials."""
    print_table(
        ["#", "kill 时点", "结果", "残留（启动清理前）", "新快照", "CURRENT", "validate", "检查"],
        [
            [
                i,
                t.label,
                t.how,
                t.leftovers,
                t.extra["新快照"],
                t.current,
                "通过" if t.valid else "失败",
                "通过" if t.ok else "失败：" + "；".join(t.problems),
            ]
            for i, t in enumerate(trials, 1)
        ],
    )


# ---- full disk -------------------------------------------------------------------------------------
class MountRefused(Exception):
    """Mounting a tmpfs is not permitted here (not root, no CAP_SYS_ADMIN, no mount binary)."""


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    """A tmpfs of `size` at path, unmounted afterwards; MountRefused when mounting is not permitted."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError as exc:
        raise MountRefused(str(exc)) from exc
    if r.returncode:
        raise MountRefused(r.stderr.strip())
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False, timeout=30)


def free_bytes(path: Path) -> int:
    """Bytes free on path's file system."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def leave_free(filler: Path, target: int) -> None:
    """Grow (or empty) the filler file so that about `target` bytes stay free (0: fill the disk)."""
    filler.unlink(missing_ok=True)
    chunk = b"\0" * 65536
    with contextlib.suppress(OSError), open(filler, "wb", buffering=0) as f:
        while free_bytes(filler.parent) > target + len(chunk):
            f.write(chunk)
        if target == 0:
            while True:
                f.write(chunk)


def diskfull_trial(
    label: str, data: Path, args: list[str], free: int | None, filler: Path, expect_ok: bool = False
) -> Trial:
    """Run one CLI command with `free` bytes left (None: as is); expect exit 3 (or 0) and an untouched folder."""
    if free is not None:
        leave_free(filler, free)
    store = Store(data)
    before, pointer = folder_state(data), (data / "CURRENT").read_bytes()
    trial = Trial(label, extra={"剩余空间": f"{free_bytes(data) / 1024:,.0f} KB"})
    r = cli(data, *args)
    step = re.search(r"（(.+?)，数据目录", r.stderr)
    trial.how = f"退出码 {r.returncode}" + (f"，{step.group(1)}" if step else "")
    if expect_ok:
        if r.returncode != 0:
            trial.problems.append(f"应成功，却退出码 {r.returncode}：{r.stderr.strip()[:200]}")
    else:
        if r.returncode != 3:
            trial.problems.append(f"退出码应为 3，实为 {r.returncode}")
        if "磁盘空间不足" not in r.stderr or "Traceback" in r.stderr:
            trial.problems.append(f"错误信息不对：{r.stderr.strip()[:300]}")
        if folder_state(data) != before:
            trial.problems.append("数据目录被改动")
    trial.leftovers = describe_leftovers(store)
    if store.leftovers():
        trial.problems.append(f"残留：{[p.name for p in store.leftovers()]}")
    trial.current = "未变" if (data / "CURRENT").read_bytes() == pointer else "已切换"
    if trial.current != "未变" and not expect_ok:
        trial.problems.append("CURRENT 被改变")
    trial.valid = cli(data, "validate").returncode == 0
    if not trial.valid:
        trial.problems.append("validate 失败")
    return trial


def run_diskfull(work: Path, size: str = "8m") -> list[Trial]:
    """On an 8 MB tmpfs: a 2,000-evaluation snapshot (~3.6 MB), then publishes, an import and `use` that do not fit."""
    with tmpfs(work / "mnt", size) as mnt:
        data, filler = mnt / "data", mnt / "filler"
        r = cli(data, "demo", "--evaluations", "2000")
        if r.returncode != 0:
            raise SystemExit(f"初始快照发布失败：{r.stderr}")
        base = Store(data).current_id()
        workbook = work / "当前数据.xlsx"  # outside the tmpfs
        if cli(data, "template", str(workbook), "--with-data").returncode != 0:
            raise SystemExit("导出模板失败")
        trials = [
            diskfull_trial("demo 20000（剩余空间照旧）", data, ["demo", "--evaluations", "20000"], None, filler),
            diskfull_trial("demo 20000（只剩 600 KB）", data, ["demo", "--evaluations", "20000"], 600_000, filler),
            diskfull_trial("demo 20000（磁盘已满）", data, ["demo", "--evaluations", "20000"], 0, filler),
            diskfull_trial("import 当前数据（只剩 1 MB）", data, ["import", str(workbook)], 1_000_000, filler),
            diskfull_trial(
                "释放空间后 demo 300", data, ["demo", "--evaluations", "300"], 10**9, filler, expect_ok=True
            ),
            diskfull_trial("use 初始快照（磁盘已满）", data, ["use", base], 0, filler),
        ]
        filler.unlink(missing_ok=True)
        return trials


def report_diskfull(trials: list[Trial]) -> None:
    """The table of full-disk trials."""
    print_table(
        ["#", "操作", "剩余空间", "结果（失败的步骤）", "残留", "CURRENT", "validate", "检查"],
        [
            [
                i,
                t.label,
                t.extra.get("剩余空间", ""),
                t.how,
                t.leftovers,
                t.current,
                "通过" if t.valid else "失败",
                "通过" if t.ok else "失败：" + "；".join(t.problems),
            ]
            for i, t in enumerate(trials, 1)
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="快照存储的故障检查：kill -9 中断发布；磁盘已满")
    parser.add_argument("check", choices=["kill", "diskfull"])
    parser.add_argument("--evaluations", type=int, default=20000, help="kill：被中断的发布的评价条数（默认 20000）")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="perfeval-faults-") as work:
        if args.check == "kill":
            trials = run_kill(Path(work) / "data", args.evaluations)
            report_kill(trials)
        else:
            try:
                trials = run_diskfull(Path(work))
            except MountRefused as exc:
                print(f"无法挂载 tmpfs（需要 root）：{exc}", file=sys.stderr)
                return 2
            report_diskfull(trials)
    failed = [t for t in trials if not t.ok]
    print(f"\n{len(trials)} 次试验，{len(failed)} 次失败")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
