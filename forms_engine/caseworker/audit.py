"""The audit log: who did what, when and from where. `record` is the only way in, and it only inserts.

    audit.record("view", object_type="submission", object_id=ref, form_slug=slug)
    db.session.commit()

`record` adds the event to the database session and flushes it, in the caller's transaction: an
action and its audit event are committed (or rolled back) together, so commit after recording, even
in a view that changes nothing else. A request that records an event and ends without committing it
is logged as an error. There is no function to change or delete events; the retention purge deletes
old ones with a bulk DELETE statement.
"""

from __future__ import annotations

import getpass
import logging
from typing import Any

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..extensions import db
from . import clock
from .models import USER_AGENT_LENGTH, AuditEvent, User

log = logging.getLogger(__name__)

#: The actions recorded so far (other parts of the caseworker area add their own strings).
ACTIONS = (
    "sign-in",
    "sign-in-failed",
    "sign-out",
    "view",
    "download",
    "export",
    "status-change",
    "delete",
    "purge",
    "account-create",
    "account-disable",
    "account-enable",
    "password-reset",
    "password-rehash",
    "totp-enabled",
    "totp-reset",
)
_UNCOMMITTED = "audit_uncommitted"


def cli_actor() -> str:
    """How a command-line action is attributed: `cli:` and the operating-system user running it."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return f"cli:{name}"


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | int | None = None,
    form_slug: str | None = None,
    detail: dict[str, Any] | None = None,
    actor: User | str | None = None,
) -> AuditEvent:
    """Insert an audit event (flushed, not committed: commit with the action it records).

    `actor` is the account acting, or a text such as `cli:alice` for something not done by an
    account; by default the signed-in caseworker of the request, if any. The client's IP address
    and user agent come from the request when there is one."""
    if actor is None and has_request_context():
        from .auth import current_user

        actor = current_user()
    entry = AuditEvent(
        at=clock.now(),
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        form_slug=form_slug,
        detail=detail,
    )
    if isinstance(actor, User):
        entry.actor_id = actor.id
        entry.actor_email = actor.email
    elif actor is not None:
        entry.actor_email = actor
    if has_request_context():
        entry.ip = request.remote_addr
        agent = request.user_agent.string
        entry.user_agent = agent[:USER_AGENT_LENGTH] if agent else None
        g.setdefault(_UNCOMMITTED, []).append(action)
    db.session.add(entry)
    db.session.flush()
    return entry


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_uncommitted(_session: Session) -> None:
    if has_request_context():
        g.pop(_UNCOMMITTED, None)


def init_app(app: Flask) -> None:
    @app.teardown_request
    def _warn_uncommitted(_error: BaseException | None) -> None:
        actions = g.pop(_UNCOMMITTED, None)
        if actions:
            log.error("audit events recorded but never committed in %s: %s", request.path, actions)
