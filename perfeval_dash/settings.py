"""Every setting of the product, declared once: its default, where an operator can change it, what it means.

Settings with an environment variable can be changed per server: set the variable, or put the same key at the
top level of `.streamlit/secrets.toml` (Streamlit exports top-level secrets to the environment at start-up).
The others are product constants kept here so that no default is written twice. The README's settings table
is generated from this list (`settings_markdown()`), and a test keeps the two in agreement.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_TRUE = {"1", "true", "yes", "on", "是"}


@dataclass(frozen=True)
class Setting:
    """One setting: its default, its environment variable (None = constant), meaning and unit."""

    key: str
    default: object
    meaning: str
    env: str | None = None
    unit: str = ""

    @property
    def value(self):
        """The value in force: the environment variable when set and non-empty, else the default."""
        raw = os.environ.get(self.env, "").strip() if self.env else ""
        if not raw:
            return self.default
        if isinstance(self.default, bool):
            return raw.lower() in _TRUE
        if isinstance(self.default, Path):
            return Path(raw)
        return type(self.default)(raw)


DATA_DIR = Setting(
    "data_dir",
    REPO / "data",
    "data folder holding `CURRENT` and `snapshots/` (CLI: `--data-dir`)",
    env="PERFEVAL_DATA_DIR",
)
EDITOR = Setting(
    "editor",
    False,
    "open mode only (no accounts): allow upload and publish on the 数据管理 page to everyone (read-only when "
    "off). With accounts, only the 编辑 role may",
    env="PERFEVAL_EDITOR",
)
# ---- who may see and change what (perfeval_dash/auth) ---------------------------------------------------------
ACCOUNTS_FILE = Setting(
    "accounts_file",
    "",
    "TOML file holding the `[accounts.<login>]` tables (roles, scope, password hash); empty = read them from "
    "`.streamlit/secrets.toml`. No accounts anywhere = open mode: everyone reads everything, as before",
    env="PERFEVAL_ACCOUNTS_FILE",
)
AUTH_MODE = Setting(
    "auth_mode",
    "auto",
    "how people log in when accounts exist: `password` (built-in accounts with password hashes), `oidc` "
    "(Streamlit's `st.login` with the identity provider in secrets' `[auth]`; the login is the e-mail), "
    "`auto` = `oidc` when secrets.toml has an `[auth]` section, else `password`",
    env="PERFEVAL_AUTH_MODE",
)
OIDC_PROVIDER = Setting(
    "oidc_provider",
    "",
    "provider name passed to `st.login` when `[auth]` names several (`[auth.<name>]`); empty = the default one",
    env="PERFEVAL_OIDC_PROVIDER",
)
LOGIN_MAX_FAILURES = Setting(
    "login_max_failures",
    5,
    "failed logins for one account within `login_window` after which further tries are refused unchecked",
    env="PERFEVAL_LOGIN_MAX_FAILURES",
)
LOGIN_MAX_FAILURES_PER_ADDRESS = Setting(
    "login_max_failures_per_address",
    20,
    "failed logins from one client address within `login_window` (any account) after which it is refused",
    env="PERFEVAL_LOGIN_MAX_FAILURES_PER_ADDRESS",
)
LOGIN_WINDOW = Setting(
    "login_window",
    900,
    "the window over which failed logins are counted (a refused account or address may try again once its "
    "oldest counted failure is older than this)",
    env="PERFEVAL_LOGIN_WINDOW",
    unit="s",
)
LOGIN_HOURS = Setting(
    "login_hours",
    12,
    "how long a built-in login lasts in one browser (a signed cookie, so reloads and new tabs stay logged in)",
    env="PERFEVAL_LOGIN_HOURS",
    unit="h",
)
SESSION_SECRET = Setting(
    "session_secret",
    "",
    "key that signs built-in logins; empty = Streamlit's `server.cookieSecret` (random at each start unless set: "
    "set one of them so that logins survive restarts and work across several server processes)",
    env="PERFEVAL_SESSION_SECRET",
)
AUDIT_LOG = Setting(
    "audit_log",
    "",
    "the audit log (JSON lines, append-only; never inside a snapshot); empty = `audit.jsonl` in the data folder",
    env="PERFEVAL_AUDIT_LOG",
)
MAX_UPLOAD_MB = Setting(
    "max_upload_mb",
    20,
    "largest file the import accepts (also `server.maxUploadSize` in .streamlit/config.toml; a test keeps them equal)",
    unit="MB",
)
COVERAGE_THRESHOLD = Setting(
    "coverage_threshold",
    0.20,
    "default threshold of the coverage rule (特克斯县 report: 不低于 20%); the coverage "
    "page's `?thr=` overrides it per link",
    env="PERFEVAL_COVERAGE_THRESHOLD",
    unit="ratio",
)
RECTIFICATION_TARGET = Setting(
    "rectification_target",
    0.8,
    "整改完成率 line: at or above is green, up to 20 points below amber, lower red",
    env="PERFEVAL_RECTIFICATION_TARGET",
    unit="ratio",
)
TIMEZONE = Setting(
    "timezone",
    "Asia/Shanghai",
    "time zone in which times (snapshot creation, audit log …) are shown",
    env="PERFEVAL_TIMEZONE",
)
APPLICATION_RULE = Setting(
    "application_rule",
    "中:核减>=10%; 差:取消/暂停",
    "the bureau's 结果应用 rule: per grade the consequences that follow it, optionally with the least share of the "
    "evaluated amount cut (`等级:结果/结果>=N%`, rules separated by `;`); evaluations whose recorded consequence "
    "breaks it are flagged, 未记录 never follows it; a malformed rule stops the app and the CLI with a message",
    env="PERFEVAL_APPLICATION_RULE",
)
NEAR_EDGE_POINTS = Setting("near_edge_points", 1.0, "a score this close to a grade-band edge is flagged", unit="分")
DEMO_SEED = Setting("demo_seed", 7, "random seed of the bundled synthetic demo set and of `demo`/`bench`")
DEMO_EVALUATIONS = Setting("demo_evaluations", 300, "evaluations in the bundled synthetic demo set")
DEMO_AS_OF = Setting("demo_as_of", dt.date(2026, 10, 31), "as-of date of the bundled snapshot, `demo` and `bench`")
CHART_MAX_GROUPS = Setting("chart_max_groups", 30, "departments drawn in a box-plot or rate chart (largest first)")
CHART_MAX_BARS = Setting("chart_max_bars", 40, "department-years drawn in the coverage chart (worst first)")
RANKED_ROWS = Setting("ranked_rows", 500, "rows of the ranked-score table (all rows download)")
LIST_ROWS = Setting("list_rows", 1000, "rows of the overdue and batch-problem lists and snapshot comparisons")
PRINT_ROWS = Setting("print_rows", 300, "rows of each table that browser printing shows (downloads hold all rows)")
URL_VALUE_CHARS = Setting("url_value_chars", 200, "longest URL value read; longer ones are dropped with a notice")
URL_VALUES = Setting("url_values", 100, "most values read per URL key; more are dropped with a notice")

SETTINGS: tuple[Setting, ...] = tuple(v for v in globals().values() if isinstance(v, Setting))


def settings_markdown() -> str:
    """The settings as a Markdown table (pasted into README.md; a test keeps them in agreement)."""
    rows = ["| setting | default | environment / secrets key | meaning |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        default = "`data/` in the repository" if s is DATA_DIR else f"`{s.default}`{' ' + s.unit if s.unit else ''}"
        rows.append(f"| `{s.key}` | {default} | {f'`{s.env}`' if s.env else '—'} | {s.meaning} |")
    return "\n".join(rows)
