"""The caseworker area's clock: one function, so that tests can move time (lockouts, timeouts, TOTP
steps) by replacing `clock.now` instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
