"""The README agrees with the code: generated sections, CLI commands, the two commands, CI."""

import importlib.util
from pathlib import Path

from perfeval_dash.cli import commands as cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sync_module():
    spec = importlib.util.spec_from_file_location("sync_readme", ROOT / "scripts" / "sync_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_generated_sections_match_the_code():
    """Contract, settings, URL keys and the code layout are generated; run `python scripts/sync_readme.py`."""
    sync = _sync_module()
    for name, make in sync.SECTIONS.items():
        assert f"<!-- {name}:start -->\n{make()}\n<!-- {name}:end -->" in README, name


def test_layout_section_names_every_module():
    layout = _sync_module().layout_markdown()
    for path in (ROOT / "perfeval_dash").rglob("*.py"):
        if "__pycache__" not in path.parts and path.name not in ("__init__.py", "__main__.py"):
            assert f" {path.name} " in layout or f" {path.name}\n" in layout, path


def test_readme_names_every_cli_command():
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert f"`{name}" in README, name


def test_ci_runs_the_readme_test_command():
    assert "make test" in README and "make run" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_streamlit_config_parses_and_agrees_with_settings():
    """A broken config.toml is silently ignored by Streamlit (English 'Deploy' button, red chips): parse it here."""
    import tomllib

    from perfeval_dash import settings

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == settings.MAX_UPLOAD_MB.value
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["theme"]["primaryColor"].lower() != "#ff4b4b", "red is kept for the 预警 signal"
