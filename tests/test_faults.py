"""The kill -9 check of scripts/faults.py at two points of a small publish (the script runs ten on 20,000)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from perfeval_dash.store import Store

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("faults", ROOT / "scripts" / "faults.py")
faults = sys.modules.setdefault("faults", importlib.util.module_from_spec(_spec))  # dataclasses look it up there
_spec.loader.exec_module(faults)

POINTS = tuple(p for p in faults.POINTS if p.event in ("evaluations.parquet", "derived.duckdb") and not p.after)


def test_kill_mid_publish_keeps_current_and_leaves_nothing_after_the_startup_clean(tmp_path):
    assert [p.event for p in POINTS] == ["evaluations.parquet", "derived.duckdb"]
    trials = faults.run_kill(tmp_path / "data", 2000, POINTS)
    assert [t.problems for t in trials] == [[], []]
    for t in trials:
        assert t.how == "已 kill -9" and t.current == "未变" and t.valid
        assert t.leftovers.startswith("临时目录")  # the kill did leave a temp folder, which the clean removed
    store = Store(tmp_path / "data")
    assert store.leftovers() == [] and len(store.list_ids()) == 1


def test_the_check_fails_on_a_leftover_or_a_changed_current(store, monkeypatch):
    """The checks have teeth: a leftover the clean did not remove, and a CURRENT naming no new snapshot, fail."""
    states = faults.snapshot_states(store)
    (store.snapshots_dir / ".tmp-killed").mkdir()
    monkeypatch.setattr(Store, "clean_leftovers", lambda self: [])
    trial = faults.Trial("test")
    faults.check_after_kill(trial, store.root, b"20990101T000000000-abcdef\n", states, may_move=True)
    assert trial.current == "被改变" and trial.leftovers == "临时目录（0 个文件）"
    assert [p.split("：")[0].split(" ")[0] for p in trial.problems] == ["CURRENT", "启动清理后仍有残留"]
