"""Headline tiles: query results turned into honest figures — what each counts, its signal, its change on last year.

Pure functions (query dicts/frames in, widgets.Tile out) so every rule about wording is unit-tested: a figure that
is not known reads 未知 or 无整改记录 in grey, never 0 or green.
"""

from __future__ import annotations

import polars as pl

from perfeval_dash.domain.vocab import BELOW, GRADES, MET, NO_FOLLOW_UP, UNKNOWN
from perfeval_dash.ui import fmt, labels, signals
from perfeval_dash.ui.tiles import Tile


def _delta(now: float | int | None, before: float | int | None, fmt_delta) -> str | None:
    """The change on the previous year, signed, or None when either year is unknown."""
    if now is None or before is None:
        return None
    diff = now - before
    return ("+" if diff > 0 else "") + fmt_delta(diff)


def evaluation_tiles(head: dict, amount: dict, prev: dict | None = None, prev_amount: dict | None = None) -> list:
    """Counts, funds (as the reports publish them), average score, grade shares; 同比 against `prev` when given."""
    n, grades = head["evaluations"], head["grades"]
    top, *lower = GRADES
    low_fair, poor = grades.get(GRADES[2], 0), grades.get(GRADES[3], 0)
    scored = head.get("scored", n)
    p = prev or {}
    return [
        Tile(
            "评价项数",
            fmt.count(n, "项"),
            f"涉及 {head['departments']} 个主管部门",
            delta=_delta(n, p.get("evaluations"), lambda d: fmt.count(d, "项")) if prev else None,
            delta_color="off",
        ),
        amount_tile(amount, prev_amount),
        Tile(
            "平均得分",
            fmt.score(head["avg_score"]) if scored else labels.NO_SCORE,
            f"{n} 项中 {scored} 项公布了得分；平均只计公布得分的评价" if scored < n else "各项评价总分的算术平均",
            signal=None if scored else signals.UNKNOWN,
            delta=_delta(head["avg_score"], p.get("avg_score"), lambda d: f"{d:.2f}分") if prev else None,
        ),
        Tile(
            f"等级为{top}",
            fmt.pct(grades[top] / n) if n else "—",
            "、".join(f"{g} {k} 项" for g, k in grades.items()) + "（按公布等级，含未公布得分的评价）",
        ),
        Tile(
            f"{GRADES[2]}、{GRADES[3]}等级",
            fmt.count(low_fair + poor, "项"),
            "，".join(f"{g} {fmt.pct(grades[g] / n) if n else '—'}" for g in lower),
            signal=None if not n else signals.BAD if poor else signals.WARN if low_fair else signals.GOOD,
        ),
    ]


def amount_tile(amount: dict, prev: dict | None = None) -> Tile:
    """评价金额: the reports' published totals where they give one, the per-evaluation sum beside it."""
    missing = f"；另有 {amount['amount_missing']} 项评价无金额，未计入" if amount["amount_missing"] else ""
    delta = _delta(amount["headline_wan"], prev["headline_wan"], lambda d: fmt.wan(d, max_decimals=2)) if prev else None
    if amount["batch_totals_apply"]:
        other = amount["other_items_wan"]
        return Tile(
            "公布评价金额",
            fmt.wan(amount["headline_wan"], max_decimals=2, yi=False),
            f"{amount['published_batches']} 份报告公布的评价金额合计 {fmt.wan(amount['published_wan'], yi=False)}"
            + (f"，加上未公布合计的报告逐项合计 {fmt.wan(other, max_decimals=2, yi=False)}" if other else "")
            + f"；各项评价金额逐项相加为 {fmt.wan(amount['items_wan'], max_decimals=2, yi=False)}"
            "（未给出评价金额的按预算金额计），与报告公布数不一致时以报告为准，两者均保留" + missing,
            delta=delta,
            delta_color="off",
        )
    return Tile(
        "逐项评价金额",
        fmt.wan(amount["items_wan"], max_decimals=2, yi=False, missing=UNKNOWN),
        "各项评价金额之和（未给出评价金额的按预算金额计）；已按主管部门/类型/等级筛选，"
        "或所选预算年度只含报告的部分评价（或按您的查看范围），报告公布的整批合计不适用" + missing,
        signal=signals.UNKNOWN if amount["items_wan"] is None else None,
        delta=delta,
        delta_color="off",
    )


def coverage_tiles(rows: pl.DataFrame, threshold: float, unbudgeted: dict | None = None, budget_years=()) -> list:
    """Department-years below, unknown and meeting the coverage rule; the gap counted over the known ones only.

    `unbudgeted` (queries.coverage.unbudgeted): evaluations without a budget year, left out of the rule and said so.
    """
    left_out = ""
    if unbudgeted and unbudgeted["evaluations"] and not budget_years:
        left_out = "；" + fmt.unbudgeted(unbudgeted["evaluations"], unbudgeted["amount_wan"])
    below = rows.filter(pl.col("status") == BELOW)
    unknown = rows.filter(pl.col("status") == UNKNOWN).height
    met = rows.filter(pl.col("status") == MET).height
    known = rows.height - unknown
    gap = below["gap_wan"].sum() if below.height else 0.0
    return [
        Tile(
            "覆盖率未达标",
            fmt.count(below.height, "个") if known else UNKNOWN,
            f"部门·预算年度：评价金额低于年度项目预算总额的 {threshold:.0%}；共 {rows.height} 个部门·年度"
            + (f"，其中 {unknown} 个覆盖率未知（不计入，故 0 个不等于全部达标）" if unknown else "")
            + left_out,
            signal=signals.BAD if below.height else signals.UNKNOWN if unknown else signals.GOOD,
            note=f"另有 {unknown} 个未知" if unknown and known else None,
        ),
        Tile(
            "覆盖率未知",
            fmt.count(unknown, "个"),
            "有评价但没有年度项目预算总额（或部分评价无金额）的部门·年度：不计为达标或未达标" + left_out,
            signal=signals.UNKNOWN if unknown else None,
        ),
        Tile(
            "覆盖率达标",
            fmt.count(met, "个") if known else UNKNOWN,
            "部门整体评价视为全覆盖",
            signal=signals.UNKNOWN if not known else None,
        ),
        Tile(
            "合计差额",
            fmt.wan(gap, max_decimals=2, yi=False) if known else UNKNOWN,
            "未达标部门达到门槛还需纳入评价的金额"
            + (f"；另有 {unknown} 个部门·年度覆盖率未知，未计入" if unknown else ""),
            signal=signals.BAD if below.height else signals.UNKNOWN if unknown else signals.GOOD,
            note=f"不含 {unknown} 个未知" if unknown and known else None,
        ),
    ]


PROBLEM_TILES = ("total", "open", "overdue", "rate")


def problem_tiles(tot: dict, as_of_text: str, keys: tuple[str, ...] = PROBLEM_TILES) -> list:
    """Problems in all, open and overdue ones and the 整改完成率 (those of `keys`, in that order) — 无整改记录 (grey)
    where no problem has a follow-up record."""
    tracked = tot["tracked"]
    untracked = tot["problems"] - tracked
    none = tracked == 0
    note = f"；{untracked} 个问题无整改记录（报告只列问题），不计入" if untracked else ""
    short = (
        f"{tot['problems']} 个问题均无记录"
        if none and tot["problems"]
        else (f"不含 {untracked} 个无记录" if untracked else None)
    )
    tiles = {
        "total": Tile("问题总数", fmt.count(tot["problems"], "个"), f"其中整批共性问题 {tot['batch_level']} 个"),
        "open": Tile(
            "未完成整改",
            NO_FOLLOW_UP if none else fmt.count(tot["open"], "个"),
            f"有整改记录的 {tracked} 个问题中未整改、整改中的" + note,
            signal=signals.UNKNOWN if none else (signals.WARN if tot["open"] else signals.GOOD),
            note=short,
        ),
        "overdue": Tile(
            "逾期问题",
            NO_FOLLOW_UP if none else fmt.count(tot["overdue"], "个"),
            f"未完成且整改期限早于数据截至日 {as_of_text}" + note,
            signal=signals.overdue(tot["overdue"], tracked),
            note=short,
        ),
        "rate": Tile(
            "整改完成率",
            NO_FOLLOW_UP if none else fmt.pct(tot["rate"]),
            "已整改（含已销号）÷ 有整改记录的问题" + note,
            signal=signals.rate(tot["rate"]),
        ),
    }
    return [tiles[k] for k in keys]


def score_tiles(head: dict) -> list:
    """The scores page's figures: evaluations, how many published a score, average, grades 中/差."""
    n, scored = head["evaluations"], head.get("scored", head["evaluations"])
    grades = head["grades"]
    fair, poor = grades.get(GRADES[2], 0), grades.get(GRADES[3], 0)
    return [
        Tile("评价项数", fmt.count(n, "项")),
        Tile(
            "公布得分",
            fmt.count(scored, "项"),
            f"{n} 项中 {scored} 项公布了得分；只公布等级的不计入得分统计",
            signal=signals.UNKNOWN if scored < n else None,
        ),
        Tile(
            "平均得分",
            fmt.score(head["avg_score"]) if scored else labels.NO_SCORE,
            signal=None if scored else signals.UNKNOWN,
        ),
        Tile(
            f"{GRADES[2]}、{GRADES[3]}等级",
            fmt.count(fair + poor, "项"),
            signal=None if not n else signals.BAD if poor else signals.WARN if fair else signals.GOOD,
        ),
    ]
