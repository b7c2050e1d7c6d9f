"""The command line: `hash-password`, and every writing command recorded in the audit log as the OS user."""

from __future__ import annotations

import getpass
import subprocess
import sys
from pathlib import Path

from perfeval_dash.auth import passwords
from perfeval_dash.cli import commands as cli
from perfeval_dash.store import Store, journal

ROOT = Path(__file__).resolve().parent.parent


def hash_password(text: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfeval_dash", "hash-password", *args],
        cwd=ROOT,
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hash_password_reads_stdin_and_prints_only_the_hash():
    r = hash_password("一个足够长的密码\n", "--stdin")
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip()
    assert passwords.is_hash(out) and passwords.verify(out, "一个足够长的密码")
    assert "一个足够长的密码" not in r.stdout + r.stderr
    piped = hash_password("another password 2\n")  # not a terminal: read from stdin without --stdin
    assert piped.returncode == 0 and passwords.verify(piped.stdout.strip(), "another password 2")


def test_hash_password_refuses_short_passwords():
    r = hash_password("short\n", "--stdin")
    assert r.returncode == cli.EXIT_REFUSED and r.stdout == "" and "至少 8 个字符" in r.stderr


def test_writing_commands_are_audited_with_the_os_user(tmp_path, capsys):
    d = str(tmp_path / "data")
    assert cli.main(["--data-dir", d, "demo", "--seed", "3", "--evaluations", "30"]) == 0
    first = Store(d).current_id()
    assert cli.main(["--data-dir", d, "bundle"]) == 0
    second = Store(d).current_id()
    assert cli.main(["--data-dir", d, "use", first]) == 0
    book = tmp_path / "当前.xlsx"
    assert cli.main(["--data-dir", d, "template", str(book), "--with-data"]) == 0
    assert cli.main(["--data-dir", d, "import", str(book), "--dry-run"]) == 0
    assert cli.main(["--data-dir", d, "import", str(book), "--as-of", "2026-10-31"]) == 0
    third = Store(d).current_id()
    capsys.readouterr()
    log = journal.read(Store(d).audit_path)
    assert log.intact
    events = [(r["action"], r["snapshot"], r["detail"].get("outcome")) for r in log.records]
    assert events == [
        ("demo", first, None),
        ("bundle", second, None),
        ("use", first, None),
        ("import", first, "dry_run"),
        ("import", third, "published"),
    ], "template (a read) is not recorded"
    assert {(r["actor"], r["via"]) for r in log.records} == {(getpass.getuser(), "cli")}
    assert log.records[2]["detail"]["previous"] == second
    assert log.records[4]["detail"]["file"] == "当前.xlsx"
    assert Store(d).audit_path.parent == Path(d), "the log sits in the data folder, outside every snapshot"
