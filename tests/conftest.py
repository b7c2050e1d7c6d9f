"""Shared fixtures: a tiny published snapshot in a temporary data folder."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from fixtures import AS_OF, fixture_tables  # noqa: E402

from perfeval_dash.store import Store  # noqa: E402


@pytest.fixture
def store(tmp_path) -> Store:
    """A store in a temp folder holding one snapshot of the fixture tables."""
    s = Store(tmp_path / "data")
    s.publish(fixture_tables(), as_of=AS_OF, made_from=["tests/fixtures.py"])
    return s
