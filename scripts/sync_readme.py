"""Regenerate the data-contract section of README.md from perfeval_dash/schema.py."""

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from perfeval_dash.store.schema import contract_markdown  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- contract:start -->", "<!-- contract:end -->"


def synced(text: str) -> str:
    """README text with the contract section replaced by the generated tables."""
    return re.sub(f"{START}.*?{END}", lambda _: f"{START}\n{contract_markdown()}\n{END}", text, flags=re.S)


if __name__ == "__main__":
    README.write_text(synced(README.read_text(encoding="utf-8")), encoding="utf-8")
