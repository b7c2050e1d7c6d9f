"""Figure equality: the page's figures against the floor's (or the usual way's), with a float tolerance."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import math
import numbers

import polars as pl

REL = 1e-9  # sums of doubles may differ in the last bits with the order of summation


def _scalar(v):
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):  # numpy / pandas scalars
        with contextlib.suppress(AttributeError, ValueError):
            v = v.item()
    if hasattr(v, "to_pydatetime"):
        if v != v:  # pandas' NaT (missing date) is unequal to itself, as NaN is
            return None
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        v = v.date()
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, decimal.Decimal):
        v = float(v)
    return v


def _eq(a, b) -> bool:
    a, b = _scalar(a), _scalar(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b) and isinstance(a, (bool, numbers.Number)) and isinstance(b, (bool, numbers.Number))
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return math.isclose(float(a), float(b), rel_tol=REL, abs_tol=1e-9)
    return a == b


def differences(ours, other, path: str = "") -> list[str]:
    """Where two figures differ (empty list = equal); frames compare the page's columns, row by row, in order."""
    if isinstance(ours, pl.DataFrame):
        if not isinstance(other, pl.DataFrame):
            return [f"{path}: frame vs {type(other).__name__}"]
        missing = [c for c in ours.columns if c not in other.columns]
        if missing:
            return [f"{path}: columns missing {missing}"]
        if ours.height != other.height:
            return [f"{path}: {ours.height} rows vs {other.height}"]
        out = []
        for c in ours.columns:
            for i, (a, b) in enumerate(zip(ours[c].to_list(), other[c].to_list())):
                if not _eq(a, b):
                    out.append(f"{path}.{c}[{i}]: {a!r} vs {b!r}")
                    break
        return out
    if isinstance(ours, dict):
        if not isinstance(other, dict):
            return [f"{path}: dict vs {type(other).__name__}"]
        out = []
        for k, v in ours.items():
            if k not in other:
                out.append(f"{path}.{k}: missing")
            else:
                out += differences(v, other[k], f"{path}.{k}")
        return out
    if isinstance(ours, (list, tuple)):
        if not isinstance(other, (list, tuple)) or len(ours) != len(other):
            return [f"{path}: {len(ours)} items vs {len(other) if isinstance(other, (list, tuple)) else other!r}"]
        out = []
        for i, (a, b) in enumerate(zip(ours, other)):
            out += differences(a, b, f"{path}[{i}]")
        return out[:5]
    return [] if _eq(ours, other) else [f"{path}: {ours!r} vs {other!r}"]
