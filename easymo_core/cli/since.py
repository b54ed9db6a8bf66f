"""The TIME of ``--since``: an ISO-8601 date or time, or a span back from now (30m, 24h, 7d)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_since(value: str, *, option: str = "--since") -> datetime:
    """An aware UTC-comparable instant; a naive ISO time is taken as UTC."""
    value = value.strip()
    if value[-1:] in _UNITS and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(seconds=int(value[:-1]) * _UNITS[value[-1]])
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: use 30m, 24h, 7d or an ISO date such as 2026-12-01 or 2026-12-01T09:30",
            param_hint=option,
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
