"""Managing caseworker accounts: what the `users` command and the admins' account screens share.

Each change records its audit event (object type `user`, object id the account's id, the email
address in the detail, never a password) and leaves the commit to the caller, so a change and its
event are committed together. The rules that protect the service (an admin cannot disable their own
account; the last active admin stays an active admin) are checked by `disable_problem` and
`role_change_problem`, which the screens call; the command line is the way out of a mistake and
does not apply them.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..extensions import db
from . import audit, clock, passwords
from .auth import find_user
from .models import EMAIL_LENGTH, ORGANISATIONS, User, normalise_email

#: What each role may do, as the account screens describe it.
ROLE_DESCRIPTIONS: dict[str, str] = {
    "caseworker": "Finds and processes the submissions of their organisation's forms and the forms "
    "assigned to them.",
    "admin": "Sees every form and manages accounts. Must use an authenticator app to sign in.",
    "designer": "Designs forms. Until the design screens exist, sees the same forms as a caseworker.",
    "lead": "Leads an organisation's forms. Until the lead screens exist, sees the same forms as "
    "a caseworker.",
}
ROLE_NAMES: dict[str, str] = {
    "caseworker": "Caseworker",
    "admin": "Administrator",
    "designer": "Form designer",
    "lead": "Organisation lead",
}
#: The organisations' names (the definition language knows them by their short names).
ORGANISATION_NAMES: dict[str, str] = {
    "APHA": "Animal and Plant Health Agency",
    "EA": "Environment Agency",
    "NE": "Natural England",
    "RPA": "Rural Payments Agency",
    "MMO": "Marine Management Organisation",
    "Defra": "Department for Environment, Food and Rural Affairs",
}

#: Temporary passwords: letters and digits that cannot be mistaken for one another when read out
#: or copied by hand (no 0/o, 1/l/i), in groups of 4: 20 characters, about 98 bits.
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TEMPORARY_GROUPS = 5
TEMPORARY_GROUP_LENGTH = 4


class AccountError(Exception):
    """A change that cannot be made; the message says why, for the person asking for it."""


class EmailInUse(AccountError):
    pass


EMAIL_IN_USE = "An account with this email address already exists"


def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


def organisation_name(organisation: str | None) -> str:
    if organisation is None:
        return "None"
    return f"{ORGANISATION_NAMES.get(organisation, organisation)} ({organisation})"


def normalised_address(email: str) -> str:
    """The address as accounts keep it (checked, in lower case); ValueError with email_validator's
    explanation if it is not an email address."""
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise ValueError(str(error)) from error
    address = normalise_email(address)
    if len(address) > EMAIL_LENGTH:
        raise ValueError(f"an email address must be {EMAIL_LENGTH} characters or fewer")
    return address


def organisation_named(value: str | None) -> str | None:
    """The organisation `value` names (in any case), None for no value; ValueError if unknown."""
    if value is None or not value.strip():
        return None
    for organisation in ORGANISATIONS:
        if organisation.lower() == value.strip().lower():
            return organisation
    raise ValueError(f"one of {', '.join(ORGANISATIONS)}")


def generate_temporary_password() -> str:
    """A random password for an admin to pass on, such as `k7mp-3qxr-zd4t-9wvb-hn2e`."""
    while True:
        groups = (
            "".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(TEMPORARY_GROUP_LENGTH))
            for _ in range(TEMPORARY_GROUPS)
        )
        password = "-".join(groups)
        if passwords.password_problem(password) is None:  # all but certain the first time
            return password


def _record(action: str, user: User, actor: User | str, **detail: Any) -> None:
    audit.record(
        action, object_type="user", object_id=user.id, actor=actor, detail={"email": user.email, **detail}
    )


# -- the rules the screens keep ------------------------------------------------------------------


def active_admin_ids(lock: bool = False) -> set[int]:
    """The ids of the admin accounts that are not disabled (rows locked until the commit, with
    `lock`, where the database can: two admins demoting each other at once cannot both succeed)."""
    query = select(User.id).where(User.role == "admin", User.disabled.is_(False))
    if lock:
        query = query.with_for_update()
    return set(db.session.scalars(query))


def is_last_active_admin(user: User) -> bool:
    return user.role == "admin" and not user.disabled and active_admin_ids(lock=True) <= {user.id}


def disable_problem(actor: User, user: User) -> str | None:
    """Why `actor` may not disable `user`, or None if they may."""
    if actor.id == user.id:
        return "You cannot disable your own account. Ask another administrator to do it."
    if is_last_active_admin(user):
        return (
            "You cannot disable the last active administrator. Make another account an administrator first."
        )
    return None


def role_change_problem(user: User, role: str) -> str | None:
    """Why `user`'s role may not become `role`, or None if it may."""
    if role != "admin" and is_last_active_admin(user):
        return (
            "The last active administrator must stay an administrator. "
            "Make another account an administrator first."
        )
    return None


# -- changes -------------------------------------------------------------------------------------


def create_account(
    *,
    email: str,
    role: str,
    organisation: str | None,
    forms: Iterable[str],
    password: str,
    actor: User | str,
) -> User:
    """Add an account (flushed, event recorded, not committed). `email` must be normalised already
    (`normalised_address`) and `password` meet the password rules. EmailInUse if it is taken."""
    if find_user(email) is not None:
        raise EmailInUse(EMAIL_IN_USE)
    now = clock.now()
    user = User(
        email=email,
        password_hash=passwords.hash_password(password),
        role=role,
        organisation=organisation,
        forms=list(dict.fromkeys(forms)),
        disabled=False,
        failed_sign_ins=0,
        session_version=1,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    _record("account-create", user, actor, role=role, organisation=organisation, forms=user.forms)
    return user


def update_account(
    user: User, *, role: str, organisation: str | None, forms: Sequence[str], actor: User | str
) -> dict[str, Any]:
    """Change what the account is and may see; the changes made (empty: nothing to record).

    A new role ends the account's sessions: an account made an admin must sign in again, which
    takes it through setting up an authenticator app."""
    changes: dict[str, Any] = {}
    if role != user.role:
        changes["role"] = {"from": user.role, "to": role}
        user.role = role
        user.end_sessions()
    if organisation != user.organisation:
        changes["organisation"] = {"from": user.organisation, "to": organisation}
        user.organisation = organisation
    before = list(user.forms or [])
    after = list(dict.fromkeys(forms))
    if set(before) != set(after):
        changes["forms"] = {
            "added": [slug for slug in after if slug not in before],
            "removed": [slug for slug in before if slug not in after],
        }
        user.forms = after
    if changes:
        _record("account-update", user, actor, changes=changes)
    return changes


def disable_account(user: User, actor: User | str) -> None:
    """Stop the account signing in and end its sessions."""
    user.disabled = True
    user.end_sessions()
    _record("account-disable", user, actor)


def enable_account(user: User, actor: User | str) -> None:
    """Let the account sign in again, clearing any lockout."""
    was_locked = user.locked_until is not None and user.is_locked(clock.now())
    user.disabled = False
    user.failed_sign_ins = 0
    user.locked_until = None
    _record("account-enable", user, actor, **({"unlocked": True} if was_locked else {}))


def reset_password(user: User, password: str, actor: User | str) -> None:
    """Give the account a new password (meeting the rules), clear any lockout and end its sessions."""
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = clock.now()
    user.failed_sign_ins = 0
    user.locked_until = None
    user.end_sessions()
    _record("password-reset", user, actor)


def reset_totp(user: User, actor: User | str) -> None:
    """Forget the account's authenticator app (a lost phone) and end its sessions: it sets one up
    again at its next sign-in if its role needs one."""
    user.totp_secret = None
    user.totp_pending_secret = None
    user.totp_last_step = None
    user.end_sessions()
    _record("totp-reset", user, actor)


def all_accounts() -> list[User]:
    """Every account, by email address."""
    return list(db.session.scalars(select(User).order_by(User.email)))
