"""Scale snapshots: the demo generator at 10 thousand … 1 million evaluations, published through the normal store.

Each scale lives in its own store under the bench data folder (`<dir>/n<evaluations>/`), is generated in a child
process (so its time and peak memory are its own) and is reused while its manifest says it came from the same
generator call.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from perfeval_dash import settings
from perfeval_dash.store import Store

AS_OF = settings.DEMO_AS_OF.value


def made_from(n: int, seed: int) -> str:
    return f"demo.generate(seed={seed}, n_evaluations={n})"


def scale_root(data_dir: str | Path, n: int) -> Path:
    """The store folder of one scale."""
    return Path(data_dir) / f"n{n}"


def existing(data_dir: str | Path, n: int, seed: int) -> dict | None:
    """The stored generation record of a scale when its current snapshot came from the same call, else None."""
    root = scale_root(data_dir, n)
    store = Store(root)
    if store.current_id() is None or made_from(n, seed) not in store.open().made_from:
        return None
    record = root / "generation.json"
    return json.loads(record.read_text()) if record.is_file() else {"reused": True}


def generate(data_dir: str | Path, n: int, seed: int) -> dict:
    """Generate and publish one scale (in this process); seconds, peak memory and row counts."""
    from perfeval_dash.bench.apprun import peak_rss_mb
    from perfeval_dash.store import demo

    root = scale_root(data_dir, n)
    t0 = time.perf_counter()
    tables = demo.generate(seed=seed, n_evaluations=n, as_of=AS_OF)
    t1 = time.perf_counter()
    store = Store(root)
    snap = store.publish(tables, as_of=AS_OF, made_from=[made_from(n, seed)], note="benchmark scale (synthetic)")
    t2 = time.perf_counter()
    for old in store.list_ids():  # keep one snapshot per scale
        if old != snap.id:
            import shutil

            shutil.rmtree(store.snapshots_dir / old, ignore_errors=True)
    size = sum(p.stat().st_size for p in snap.path.iterdir())
    record = {
        "generate_s": t1 - t0,
        "publish_s": t2 - t1,
        "peak_rss_mb": peak_rss_mb(),
        "rows": {k: v.height for k, v in tables.items()},
        "parquet_mb": size / 2**20,
        "snapshot": snap.id,
    }
    (root / "generation.json").write_text(json.dumps(record))
    return record


def ensure(data_dir: str | Path, n: int, seed: int = 7, regenerate: bool = False) -> dict:
    """The scale's snapshot, generated in a child process unless a matching one exists."""
    from perfeval_dash.bench.apprun import ROOT, _env

    if not regenerate and (rec := existing(data_dir, n, seed)) is not None:
        return rec | {"reused": True}
    import subprocess

    proc = subprocess.run(
        [sys.executable, "-m", "perfeval_dash.bench.data", str(data_dir), str(n), str(seed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
    )
    if proc.returncode:
        raise RuntimeError(f"generating {n:,} evaluations failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"reused": False}


if __name__ == "__main__":
    print(json.dumps(generate(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
