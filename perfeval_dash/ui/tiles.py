"""A headline figure as data: what widgets.tiles draws and the brief prints."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tile:
    """A headline figure: label, value (already formatted), help, rule signal, change against the previous year."""

    label: str
    value: str
    help: str | None = None
    signal: str | None = None
    delta: str | None = None
    delta_color: str = "normal"  # "inverse" where a rise is bad (overdue problems …), "off" for neutral
    note: str | None = None  # a short grey line under the value, e.g. what it leaves out ("另有 7 个未知")
