"""Admins' account screens under /caseworker/accounts: the accounts, creating one, changing its role,
organisation and forms, disabling and enabling it, and resetting its password or authenticator app.

Only admins reach them; any other account gets 404. A new account, or a reset password, gets a
random temporary password shown once, in the response to the POST that made it: it is never put in
a cookie, a URL, a log or the audit log, so it cannot be shown again after a redirect (the page is
sent with `Cache-Control: no-store`, as is every caseworker page). Every other change redirects
back with a success banner. The changes themselves are `accounts`' functions, which the `users`
command shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..definitions.model import FormDefinition
from ..extensions import db
from ..submissions.models import as_utc
from . import accounts, auth, bp, clock
from .models import ORGANISATIONS, ROLES, User

ResponseLike = WerkzeugResponse | str | tuple[str, int]

#: The organisation radio for an account of no organisation.
NO_ORGANISATION = "none"

EMAIL_REQUIRED = "Enter an email address"
EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
ROLE_REQUIRED = "Select a role"
ORGANISATION_REQUIRED = "Select an organisation, or No organisation"
FORMS_UNKNOWN = "Select forms from the list"


@dataclass(frozen=True)
class FormChoice:
    """A form that can be assigned to an account: one checkbox."""

    slug: str
    title: str
    hint: str


@dataclass
class Answers:
    """The account form as sent (or as the account is, before any change), to show it back."""

    email: str = ""
    role: str = ""
    organisation: str = ""
    forms: Sequence[str] = ()


def _admin() -> User:
    user = auth.current_user()
    assert user is not None  # login_required ran first
    return user


def _account_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _definitions() -> list[FormDefinition]:
    registry = form_registry(current_app._get_current_object())  # type: ignore[attr-defined]
    return sorted(registry.forms.values(), key=lambda d: d.title.in_language("en"))


def _form_choices(assigned: Sequence[str]) -> list[FormChoice]:
    """The forms the service offers, then any form assigned to the account that it no longer
    offers (kept, so saving the page does not drop it unseen)."""
    choices = [
        FormChoice(
            d.slug,
            d.title.in_language("en"),
            f"{d.paper_form.reference} · {d.paper_form.organisation}",
        )
        for d in _definitions()
    ]
    offered = {choice.slug for choice in choices}
    choices += [FormChoice(slug, slug, "Not offered now") for slug in assigned if slug not in offered]
    return choices


def _form_titles() -> dict[str, str]:
    return {d.slug: d.title.in_language("en") for d in _definitions()}


def _paper_references() -> dict[str, str]:
    return {d.slug: d.paper_form.reference for d in _definitions()}


def _status(user: User) -> str:
    if user.disabled:
        return "Disabled"
    if user.is_locked(clock.now()):
        return "Locked"
    return "Active"


def _render(template: str, title: str, status: int = 200, **context: Any) -> ResponseLike:
    html = render_template(
        f"caseworker/{template}",
        page_title=title,
        role_name=accounts.role_name,
        organisation_name=accounts.organisation_name,
        account_status=_status,
        as_utc=as_utc,
        **context,
    )
    return (html, status) if status != 200 else html


# -- the list ------------------------------------------------------------------------------------


@bp.get("/accounts")
@auth.login_required("admin")
def accounts_list() -> ResponseLike:
    return _render(
        "accounts.html",
        "Accounts",
        accounts=accounts.all_accounts(),
        paper_references=_paper_references(),
    )


# -- creating and changing -----------------------------------------------------------------------


def _sent_answers(with_email: bool) -> Answers:
    return Answers(
        email=request.form.get("email", "").strip() if with_email else "",
        role=request.form.get("role", ""),
        organisation=request.form.get("organisation", ""),
        forms=list(dict.fromkeys(request.form.getlist("forms"))),
    )


def _check_answers(answers: Answers, allowed_forms: set[str]) -> tuple[str | None, dict[str, str]]:
    """The organisation the answers name, and what is wrong with the role, organisation and forms,
    by field id (in the page's order)."""
    errors: dict[str, str] = {}
    if answers.role not in ROLES:
        errors["role"] = ROLE_REQUIRED
    organisation = None
    if answers.organisation != NO_ORGANISATION:
        if answers.organisation in ORGANISATIONS:
            organisation = answers.organisation
        else:
            errors["organisation"] = ORGANISATION_REQUIRED
    if not set(answers.forms) <= allowed_forms:
        errors["forms"] = FORMS_UNKNOWN
    return organisation, errors


def _account_form(
    answers: Answers, errors: dict[str, str], account: User | None = None, status: int = 200
) -> ResponseLike:
    heading = "Create an account" if account is None else "Change the account"
    return _render(
        "account_form.html",
        ("Error: " if errors else "") + heading,
        status,
        heading=heading,
        account=account,
        answers=answers,
        errors=errors,
        roles=ROLES,
        role_descriptions=accounts.ROLE_DESCRIPTIONS,
        organisations=ORGANISATIONS,
        no_organisation=NO_ORGANISATION,
        form_choices=_form_choices(list(account.forms or []) if account else []),
        totp_roles=auth.totp_required_roles(),
    )


@bp.get("/accounts/new")
@auth.login_required("admin")
def account_new() -> ResponseLike:
    return _account_form(Answers(), {})


@bp.post("/accounts/new")
@auth.login_required("admin")
def account_create() -> ResponseLike:
    answers = _sent_answers(with_email=True)
    errors: dict[str, str] = {}
    address = ""
    if not answers.email:
        errors["email"] = EMAIL_REQUIRED
    else:
        try:
            address = accounts.normalised_address(answers.email)
        except ValueError:
            errors["email"] = EMAIL_FORMAT
    organisation, other_errors = _check_answers(answers, {choice.slug for choice in _form_choices([])})
    errors.update(other_errors)
    if errors:
        return _account_form(answers, errors, status=400)
    password = accounts.generate_temporary_password()
    try:
        user = accounts.create_account(
            email=address,
            role=answers.role,
            organisation=organisation,
            forms=answers.forms,
            password=password,
            actor=_admin(),
        )
        db.session.commit()
    except (accounts.EmailInUse, IntegrityError):  # IntegrityError: the same address at once
        db.session.rollback()
        return _account_form(answers, {"email": accounts.EMAIL_IN_USE}, status=400)
    return _password_page(user, password, created=True)


@bp.get("/accounts/<int:user_id>")
@auth.login_required("admin")
def account(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    admin = _admin()
    return _render(
        "account.html",
        user.email,
        account=user,
        is_self=user.id == admin.id,
        disable_problem=None if user.disabled else accounts.disable_problem(admin, user),
        locked=user.is_locked(clock.now()),
        form_titles=_form_titles(),
        totp_roles=auth.totp_required_roles(),
    )


@bp.get("/accounts/<int:user_id>/edit")
@auth.login_required("admin")
def account_edit(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    answers = Answers(
        email=user.email,
        role=user.role,
        organisation=user.organisation or NO_ORGANISATION,
        forms=list(user.forms or []),
    )
    return _account_form(answers, {}, user)


@bp.post("/accounts/<int:user_id>/edit")
@auth.login_required("admin")
def account_update(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    answers = _sent_answers(with_email=False)
    allowed = {choice.slug for choice in _form_choices(list(user.forms or []))}
    organisation, errors = _check_answers(answers, allowed)
    if "role" not in errors:
        problem = accounts.role_change_problem(user, answers.role)
        if problem:
            errors["role"] = problem
    if errors:
        db.session.rollback()  # let go of the admins' rows locked by the check
        return _account_form(answers, errors, user, status=400)
    changes = accounts.update_account(
        user, role=answers.role, organisation=organisation, forms=answers.forms, actor=_admin()
    )
    db.session.commit()
    flash(f"Account {user.email} changed" if changes else f"Nothing was changed for {user.email}")
    return redirect(url_for("caseworker.account", user_id=user.id), code=303)


# -- actions confirmed on a page of their own ----------------------------------------------------


@dataclass(frozen=True)
class Action:
    """An action on an account, confirmed on its own page before it is done."""

    endpoint: str
    heading: str
    paragraphs: tuple[str, ...]
    button: str
    warning: str | None = None
    destructive: bool = False
    #: The heading when the action cannot be done.
    refused: str = ""


def _disable(user: User) -> Action:
    return Action(
        "caseworker.account_disable_post",
        f"Are you sure you want to disable {user.email}?",
        (
            "They will be signed out at once. They will not be able to sign in until the account is "
            "enabled again.",
        ),
        "Disable account",
        warning="Their account, its history and the audit log are kept.",
        destructive=True,
        refused="You cannot disable this account",
    )


def _enable(user: User) -> Action:
    if not user.disabled:
        return Action(
            "caseworker.account_enable_post",
            f"Unlock {user.email}?",
            (
                "The account is locked after too many wrong passwords or security codes. "
                "Unlock it only if you know it was them.",
            ),
            "Unlock account",
        )
    return Action(
        "caseworker.account_enable_post",
        f"Enable {user.email}?",
        ("They will be able to sign in again with their password.",),
        "Enable account",
    )


def _reset_password(user: User, is_self: bool) -> Action:
    paragraphs = [
        "You will be shown a new temporary password to give them. Their old password will stop "
        "working, and they will be signed out.",
    ]
    if is_self:
        paragraphs.append("This is your own account: you will be signed out too.")
    return Action(
        "caseworker.account_reset_password_post",
        f"Reset the password for {user.email}?",
        tuple(paragraphs),
        "Reset password",
    )


def _reset_authenticator(user: User, is_self: bool) -> Action:
    paragraphs = [
        "Do this if they have lost the phone or app they sign in with. They will be signed out.",
        "If their role needs security codes, they will set up an authenticator app when they next "
        "sign in; otherwise they will sign in with their password only.",
    ]
    if is_self:
        paragraphs.append("This is your own account: you will be signed out too.")
    return Action(
        "caseworker.account_reset_authenticator_post",
        f"Reset the authenticator app for {user.email}?",
        tuple(paragraphs),
        "Reset authenticator app",
    )


def _confirm_page(user: User, action: Action, problem: str | None = None, status: int = 200) -> ResponseLike:
    return _render(
        "account_confirm.html",
        action.refused if problem else action.heading,
        status,
        account=user,
        action=action,
        problem=problem,
    )


def _done(user: User, message: str) -> WerkzeugResponse:
    db.session.commit()
    flash(message)
    return redirect(url_for("caseworker.account", user_id=user.id), code=303)


@bp.get("/accounts/<int:user_id>/disable")
@auth.login_required("admin")
def account_disable(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    if user.disabled:
        return redirect(url_for("caseworker.account", user_id=user.id))
    problem = accounts.disable_problem(_admin(), user)
    db.session.rollback()  # a GET changes nothing: let go of any rows the check locked
    return _confirm_page(user, _disable(user), problem)


@bp.post("/accounts/<int:user_id>/disable")
@auth.login_required("admin")
def account_disable_post(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    if user.disabled:
        return redirect(url_for("caseworker.account", user_id=user.id), code=303)
    problem = accounts.disable_problem(_admin(), user)
    if problem:
        db.session.rollback()
        return _confirm_page(user, _disable(user), problem, status=400)
    accounts.disable_account(user, _admin())
    return _done(user, f"Account {user.email} disabled: they have been signed out")


@bp.get("/accounts/<int:user_id>/enable")
@auth.login_required("admin")
def account_enable(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    if _status(user) == "Active":
        return redirect(url_for("caseworker.account", user_id=user.id))
    return _confirm_page(user, _enable(user))


@bp.post("/accounts/<int:user_id>/enable")
@auth.login_required("admin")
def account_enable_post(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    if _status(user) == "Active":
        return redirect(url_for("caseworker.account", user_id=user.id), code=303)
    message = f"Account {user.email} {'enabled' if user.disabled else 'unlocked'}"
    accounts.enable_account(user, _admin())
    return _done(user, message)


@bp.get("/accounts/<int:user_id>/reset-password")
@auth.login_required("admin")
def account_reset_password(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    return _confirm_page(user, _reset_password(user, user.id == _admin().id))


@bp.post("/accounts/<int:user_id>/reset-password")
@auth.login_required("admin")
def account_reset_password_post(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    password = accounts.generate_temporary_password()
    accounts.reset_password(user, password, _admin())
    db.session.commit()
    return _password_page(user, password, created=False)


@bp.get("/accounts/<int:user_id>/reset-authenticator")
@auth.login_required("admin")
def account_reset_authenticator(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    return _confirm_page(user, _reset_authenticator(user, user.id == _admin().id))


@bp.post("/accounts/<int:user_id>/reset-authenticator")
@auth.login_required("admin")
def account_reset_authenticator_post(user_id: int) -> ResponseLike:
    user = _account_or_404(user_id)
    accounts.reset_totp(user, _admin())
    return _done(user, f"Authenticator app reset for {user.email}: they have been signed out")


def _password_page(user: User, password: str, created: bool) -> ResponseLike:
    """The temporary password, shown this once (the response to the POST that made it)."""
    return _render(
        "account_password.html",
        "Account created" if created else "Password reset",
        account=user,
        password=password,
        created=created,
        sign_in_url=url_for("caseworker.sign_in", _external=True),
        needs_app=user.role in auth.totp_required_roles() and not user.totp_secret,
    )
