"""Signing caseworkers in and out, and who may see what.

For the caseworker screens:

- `login_required(*roles)` on a view: no roles means any signed-in account; an account without one
  of the roles gets 404 (not 403, so addresses do not show what exists); no valid session redirects
  to the sign-in page, which comes back to the page afterwards (GET requests).
- `current_user() -> User | None`: the signed-in account of this request.
- `visible_form_slugs(user, organisations) -> set[str]`: the forms an account may see, given a
  mapping from every form's slug to its owning organisation (`form_organisations(definitions)` builds
  it from the registry's definitions).

The session lives in Flask's signed session cookie: the account id, its `session_version`, when it
signed in and when it was last seen. A session ends after CASEWORKER_IDLE_MINUTES without a request,
CASEWORKER_ABSOLUTE_HOURS after sign-in, and whenever the account's `session_version` changes
(password reset, disabling, TOTP reset, and signing out: as a cookie cannot be revoked on its own,
signing out ends every session of the account, so a copied cookie stops working too).

Signing in or out starts a new session (no session fixation) but keeps the citizen's journeys and
language choice from the same browser, so a form being filled in another tab carries on (its page
needs reloading first: the CSRF token is new).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse

from ..definitions.model import FormDefinition
from ..extensions import db
from ..runner import language as runner_language
from ..runner import views as runner_views
from . import audit, clock, passwords, totp
from .models import ROLES, User, normalise_email

P = ParamSpec("P")
R = TypeVar("R")

#: The signed-in state in the Flask session.
SESSION_KEY = "caseworker"
#: A sign-in whose password was right and whose security code is still to come.
PENDING_KEY = "caseworker_pending"
#: How long the security code step may take after the password step.
PENDING_MINUTES = 10
#: What the rest of the Flask session holds for citizens: kept when a caseworker signs in or out.
CITIZEN_SESSION_KEYS = (runner_views.SESSION_KEY, runner_language.SESSION_KEY)

#: Why a session ended (shown on the sign-in page after the redirect).
IDLE, ABSOLUTE, ENDED, SIGNED_OUT, EXPIRED, LOCKED = (
    "idle",
    "absolute",
    "ended",
    "signed-out",
    "expired",
    "locked",
)

HOME = "caseworker.home"
SIGN_IN = "caseworker.sign_in"


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=float(current_app.config[name]))


def idle_limit() -> timedelta:
    return _minutes("CASEWORKER_IDLE_MINUTES")


def absolute_limit() -> timedelta:
    return timedelta(hours=float(current_app.config["CASEWORKER_ABSOLUTE_HOURS"]))


def lockout_period() -> timedelta:
    return _minutes("CASEWORKER_LOCKOUT_MINUTES")


def totp_required_roles() -> frozenset[str]:
    setting = current_app.config.get("CASEWORKER_TOTP_REQUIRED_ROLES", "admin")
    names = setting.split(",") if isinstance(setting, str) else setting
    return frozenset(name.strip() for name in names if name.strip())


def _timestamp(moment: datetime) -> float:
    return moment.timestamp()


# -- the session ---------------------------------------------------------------------------------


def rotate_session() -> None:
    """Start a new session: everything goes (the CSRF token, any caseworker state, anything planted)
    except the citizen's journeys and language choice."""
    kept = {key: session[key] for key in CITIZEN_SESSION_KEYS if key in session}
    session.clear()
    session.update(kept)


def _check_session() -> tuple[User | None, str | None]:
    state = session.get(SESSION_KEY)
    if not isinstance(state, dict):
        return None, None
    now = clock.now()
    user = db.session.get(User, state.get("uid")) if isinstance(state.get("uid"), int) else None
    problem = None
    if user is None or user.disabled or user.session_version != state.get("sv"):
        problem = ENDED
    elif _timestamp(now) - float(state.get("signed_in", 0)) > absolute_limit().total_seconds():
        problem = ABSOLUTE
    elif _timestamp(now) - float(state.get("seen", 0)) > idle_limit().total_seconds():
        problem = IDLE
    if problem is None:
        session[SESSION_KEY] = {**state, "seen": _timestamp(now)}
        return user, None
    session.pop(SESSION_KEY, None)
    if user is not None and problem in (IDLE, ABSOLUTE):
        # Commit the event at once, unless the request already has changes of its own in the
        # session (then it is committed, or rolled back, with them).
        untouched = not (db.session.new or db.session.dirty or db.session.deleted)
        audit.record(
            "sign-out", object_type="user", object_id=user.id, actor=user, detail={"reason": problem}
        )
        if untouched:
            db.session.commit()
    return None, problem


def current_user() -> User | None:
    """The account signed in for this request, or None (no session, or it has ended)."""
    if "caseworker_user" not in g:
        g.caseworker_user, g.caseworker_session_problem = _check_session()
    user: User | None = g.caseworker_user
    return user


def session_problem() -> str | None:
    """Why this request's session ended (idle, absolute, ended), if it just did."""
    current_user()
    problem: str | None = g.get("caseworker_session_problem")
    return problem


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path in the signed-in areas of this site, the caseworker, designer and
    reports pages (never another site)."""
    if not target or "\\" in target or target.startswith("//"):
        return None
    if any(ch.isspace() or not ch.isprintable() for ch in target):
        return None  # control characters and spaces: browsers strip or rewrite them
    if not target.startswith(("/caseworker/", "/designer/", "/reports/")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def sign_in_url(reason: str | None = None, next_url: str | None = None) -> str:
    args: dict[str, Any] = {"reason": reason, "next": safe_next(next_url)}
    return url_for(SIGN_IN, **{key: value for key, value in args.items() if value})


def login_required(
    *roles: str,
) -> Callable[[Callable[P, R]], Callable[P, R | WerkzeugResponse]]:
    """Only for signed-in accounts (with one of `roles`, if any are given: others get 404)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}: roles are {ROLES}")

    def decorator(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
        @functools.wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
            user = current_user()
            if user is None:
                target = request.full_path.rstrip("?") if request.method == "GET" else None
                return redirect(sign_in_url(session_problem(), target))
            if roles and user.role not in roles:
                abort(404)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# -- who sees which forms ------------------------------------------------------------------------


def form_organisations(definitions: Iterable[FormDefinition]) -> dict[str, str]:
    """slug -> owning organisation (`paperForm.organisation`), for `visible_form_slugs`."""
    return {definition.slug: definition.paper_form.organisation for definition in definitions}


def visible_form_slugs(user: User | None, organisations: Mapping[str, str | None]) -> set[str]:
    """Which of the forms in `organisations` (slug -> owning organisation) the account may see.

    Admins see every form. Any other role sees the forms assigned to the account (`user.forms`)
    and every form its organisation owns. A disabled account, or none, sees nothing."""
    if user is None or user.disabled:
        return set()
    if user.role == "admin":
        return set(organisations)
    assigned = set(user.forms or [])
    return {
        slug
        for slug, owner in organisations.items()
        if slug in assigned or (user.organisation is not None and owner == user.organisation)
    }


# -- signing in ----------------------------------------------------------------------------------


def find_user(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == normalise_email(email))).first()


def _record_failure(user: User, now: datetime, reason: str, email: str) -> None:
    """Count a wrong password or code; lock the account after CASEWORKER_LOCKOUT_ATTEMPTS in a row."""
    user.failed_sign_ins = (user.failed_sign_ins or 0) + 1
    detail: dict[str, Any] = {"reason": reason, "email": email}
    if user.failed_sign_ins >= int(current_app.config["CASEWORKER_LOCKOUT_ATTEMPTS"]):
        user.locked_until = now + lockout_period()
        user.failed_sign_ins = 0
        detail["locked_until"] = user.locked_until.isoformat()
    audit.record("sign-in-failed", object_type="user", object_id=user.id, actor=None, detail=detail)


def check_password(email: str, password: str) -> User | None:
    """The account if `password` is its password and it may sign in now; otherwise None, having
    recorded why (the person signing in is never told which). Takes as long either way."""
    now = clock.now()
    typed = normalise_email(email)[:320]
    user = find_user(typed)
    if user is None:
        passwords.spend_verification_time(password)
        audit.record("sign-in-failed", actor=None, detail={"reason": "unknown-account", "email": typed})
        db.session.commit()
        return None
    matches = passwords.verify_password(user.password_hash, password)
    if user.disabled or user.is_locked(now):
        reason = "disabled" if user.disabled else "locked"
        audit.record(
            "sign-in-failed",
            object_type="user",
            object_id=user.id,
            actor=None,
            detail={"reason": reason, "email": typed},
        )
        db.session.commit()
        return None
    if not matches:
        _record_failure(user, now, "wrong-password", typed)
        db.session.commit()
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        audit.record("password-rehash", object_type="user", object_id=user.id, actor=user)
        db.session.commit()
    return user


def second_step(user: User) -> str | None:
    """What the account must do after its password: 'code' (enter a security code), 'set-up'
    (set up an authenticator app, which its role requires), or nothing."""
    if user.totp_secret:
        return "code"
    if user.role in totp_required_roles():
        return "set-up"
    return None


def begin_second_step(user: User, next_url: str | None) -> None:
    """Remember, in a new session, that the account's password was right."""
    rotate_session()
    session[PENDING_KEY] = {
        "uid": user.id,
        "sv": user.session_version,
        "at": _timestamp(clock.now()),
        "next": safe_next(next_url),
    }


def pending_user() -> User | None:
    """The account whose password was right, while its security code step is still open."""
    state = session.get(PENDING_KEY)
    if not isinstance(state, dict) or not isinstance(state.get("uid"), int):
        return None
    now = clock.now()
    user = db.session.get(User, state["uid"])
    too_old = _timestamp(now) - float(state.get("at", 0)) > PENDING_MINUTES * 60
    if (
        user is None
        or too_old
        or user.disabled
        or user.is_locked(now)
        or user.session_version != state.get("sv")
    ):
        session.pop(PENDING_KEY, None)
        return None
    return user


def pending_next() -> str | None:
    state = session.get(PENDING_KEY)
    return safe_next(state.get("next")) if isinstance(state, dict) else None


def check_code(user: User, code: str, secret: str | None = None, signing_in: bool = True) -> bool:
    """Whether `code` is a current security code of the account's secret (or of `secret`, a new one
    being set up) not used before. While signing in, a wrong code counts as a failed sign-in."""
    now = clock.now()
    step = totp.matching_step(secret or user.totp_secret or "", code, now, user.totp_last_step)
    if step is None:
        if signing_in:
            _record_failure(user, now, "wrong-code", user.email)
            db.session.commit()
        return False
    user.totp_last_step = step
    db.session.commit()
    return True


def start_totp_set_up(user: User) -> str:
    """The secret to show on the set-up page: the one already shown, or a new one."""
    if not user.totp_pending_secret:
        user.totp_pending_secret = totp.new_secret()
        db.session.commit()
    return user.totp_pending_secret


def finish_totp_set_up(user: User) -> None:
    """The code for the new secret was right: from now on the account signs in with codes."""
    user.totp_secret = user.totp_pending_secret
    user.totp_pending_secret = None
    audit.record("totp-enabled", object_type="user", object_id=user.id, actor=user)
    db.session.commit()


def complete_sign_in(user: User, used_code: bool) -> None:
    """Sign the account in: a new session, counters cleared, the sign-in recorded."""
    now = clock.now()
    rotate_session()
    session[SESSION_KEY] = {
        "uid": user.id,
        "sv": user.session_version,
        "signed_in": _timestamp(now),
        "seen": _timestamp(now),
    }
    user.failed_sign_ins = 0
    user.locked_until = None
    user.last_signed_in_at = now
    audit.record("sign-in", object_type="user", object_id=user.id, actor=user, detail={"totp": used_code})
    db.session.commit()
    g.caseworker_user, g.caseworker_session_problem = user, None


def sign_out() -> None:
    """End the account's sessions (every one: see the module's docstring) and start a new one."""
    user = current_user()
    if user is not None:
        user.end_sessions()
        audit.record("sign-out", object_type="user", object_id=user.id, actor=user)
        db.session.commit()
    rotate_session()
    g.caseworker_user, g.caseworker_session_problem = None, None


def after_sign_in_url(next_url: str | None = None) -> str:
    return safe_next(next_url) or url_for(HOME)
