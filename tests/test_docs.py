"""The README agrees with the code: data contract, URL keys, CLI commands, two commands, CI."""

from pathlib import Path

from perfeval_dash.cli import commands as cli
from perfeval_dash.ui import url_state
from perfeval_dash.store.schema import contract_markdown

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_contract_matches_schema():
    assert contract_markdown() in README, "run `python scripts/sync_readme.py`"


def test_readme_names_every_url_key():
    for key in url_state.KEYS:
        assert f"`{key}`" in README


def test_readme_names_every_cli_command():
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"`{name}" in README, name


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make run" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()
