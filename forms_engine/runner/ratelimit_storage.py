"""Rate-limit counters in the app's own database, so that every app instance on one PostgreSQL shares
them: a `limits` storage registered as the `database://` scheme (RATELIMIT_STORAGE_URI).

Fixed-window counters only (Flask-Limiter's default strategy): one row per key, bumped by a single
atomic `INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING` (PostgreSQL, SQLite 3.35 or later). A
row whose window has passed is restarted by the same statement, and every process deletes passed rows
at most once a minute, so the table holds about one row per client active in the longest window.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import Float, Integer, String, case, delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

SCHEME = "database"
#: Seconds between two clean-ups of passed windows by one process.
CLEANUP_EVERY = 60.0
#: Longer keys (the sign-in limit's email addresses can be 320 characters) are stored as a digest.
KEY_LENGTH = 200


class RateLimitCounter(db.Model):  # type: ignore[name-defined]
    """One rate-limit window: how many hits `key` has had, until `expires_at` (seconds since the
    epoch, as the `limits` package counts time)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


def now_seconds() -> float:
    """The time counters are measured in (tests replace it to move time on)."""
    return time.time()


def _stored_key(key: str) -> str:
    if len(key) <= KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStorage(Storage):
    """`database://`: counters in the `rate_limit_counters` table of the current Flask app's database
    (SQLALCHEMY_DATABASE_URI), through its engine but outside the request's session, so a count is
    committed at once whatever the request does afterwards."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_cleanup = 0.0

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @property
    def _engine(self) -> Engine:
        engine: Engine = db.engine  # the current app's: counters live beside its journeys
        return engine

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount` to the key's count in its window (starting a window of `expiry` seconds when
        there is none or it has passed); the count after."""
        now = now_seconds()
        engine = self._engine
        table = RateLimitCounter.__table__
        dialect = engine.dialect.name
        if dialect == "postgresql":
            insert: Any = postgresql_insert(table)
        elif dialect == "sqlite":
            insert = sqlite_insert(table)
        else:
            raise ConfigurationError(f"database:// rate-limit storage does not support {dialect}")
        statement = insert.values(key=_stored_key(key), count=amount, expires_at=now + expiry)
        passed = table.c.expires_at <= now
        added = table.c.count + statement.excluded.count
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((passed, statement.excluded.count), else_=added),
                "expires_at": case((passed, statement.excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with engine.begin() as connection:
            count = int(connection.execute(statement).scalar_one())
        if now >= self._next_cleanup:
            self._next_cleanup = now + CLEANUP_EVERY
            self.remove_passed(now)
        return count

    def remove_passed(self, now: float | None = None) -> int:
        """Delete the windows that have passed; how many were deleted."""
        moment = now_seconds() if now is None else now
        with self._engine.begin() as connection:
            result = connection.execute(delete(RateLimitCounter).where(RateLimitCounter.expires_at <= moment))
        return int(getattr(result, "rowcount", 0) or 0)

    def _live(self, key: str) -> tuple[int, float] | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == _stored_key(key), RateLimitCounter.expires_at > now_seconds()
                )
            ).first()
        return (int(row[0]), float(row[1])) if row is not None else None

    def get(self, key: str) -> int:
        live = self._live(key)
        return live[0] if live is not None else 0

    def get_expiry(self, key: str) -> float:
        live = self._live(key)
        return live[1] if live is not None else now_seconds()

    def check(self) -> bool:
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine.begin() as connection:
            result = connection.execute(delete(RateLimitCounter))
        return int(getattr(result, "rowcount", 0) or 0)

    def clear(self, key: str) -> None:
        with self._engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(RateLimitCounter.key == _stored_key(key)))
