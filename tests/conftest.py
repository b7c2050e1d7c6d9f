"""Shared fixtures: a tiny published snapshot in a temporary data folder."""

from __future__ import annotations

import pytest

from perfeval_dash.store import Store

from fixtures import AS_OF, fixture_tables


@pytest.fixture
def store(tmp_path) -> Store:
    """A store in a temp folder holding one snapshot of the fixture tables."""
    s = Store(tmp_path / "data")
    s.publish(fixture_tables(), as_of=AS_OF, made_from=["tests/fixtures.py"])
    return s
