"""Sign-in pages: email and password, then a security code (or setting up an authenticator app, for
roles that must use one), and sign-out. Thin views over `auth`."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from ..extensions import limiter
from . import auth, bp, clock, totp
from .models import User, normalise_email

ResponseLike = WerkzeugResponse | str | tuple[str, int]

#: The one message for every failed sign-in (unknown email, wrong password, disabled or locked
#: account), so that the page never tells which accounts exist or what state they are in.
SIGN_IN_FAILED = "Enter a correct email address and password"
EMAIL_REQUIRED = "Enter your email address"
PASSWORD_REQUIRED = "Enter your password"
CODE_REQUIRED = "Enter the security code from your authenticator app"
CODE_FORMAT = "Security code must be 6 numbers"
CODE_WRONG = (
    "The security code is not correct or has been used already – "  # noqa: RUF001 - GOV.UK's en dash
    "enter the latest code from your app"
)

#: Notices on the sign-in page after a session ended: (heading, text).
NOTICES = {
    auth.SIGNED_OUT: ("You have signed out", "Sign in again to carry on."),
    auth.IDLE: (
        "You have been signed out",
        "You were signed out because you did not do anything for {idle} minutes. Sign in again to carry on.",
    ),
    auth.ABSOLUTE: (
        "You have been signed out",
        "You were signed out because you signed in more than {absolute} hours ago. "
        "Sign in again to carry on.",
    ),
    auth.ENDED: (
        "You have been signed out",
        "Your session was ended, for example because your password was reset or your account was "
        "changed. Sign in again to carry on.",
    ),
    auth.EXPIRED: (
        "Sign in again",
        "You took too long to enter your security code, or the sign-in was started in another tab.",
    ),
    auth.LOCKED: (
        "You have been signed out",
        "You entered too many wrong security codes. Wait {lockout} minutes, then sign in again.",
    ),
}


def _number(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else str(number)


def _notice(reason: str | None) -> tuple[str, str] | None:
    if reason not in NOTICES:
        return None
    heading, text = NOTICES[reason]
    config = current_app.config
    return heading, text.format(
        idle=_number(config["CASEWORKER_IDLE_MINUTES"]),
        absolute=_number(config["CASEWORKER_ABSOLUTE_HOURS"]),
        lockout=_number(config["CASEWORKER_LOCKOUT_MINUTES"]),
    )


def _ip_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT_PER_IP"])


def _account_limit() -> str:
    return str(current_app.config["SIGN_IN_RATE_LIMIT_PER_ACCOUNT"])


def _account_key() -> str:
    """Rate-limit key for the account being signed in to: the email address sent, or the account
    whose password was right (security code pages)."""
    if "email" in request.form:
        return "account:" + normalise_email(request.form.get("email", ""))[:320]
    state = session.get(auth.PENDING_KEY)
    uid = state.get("uid") if isinstance(state, dict) else None
    return f"account-id:{uid}" if uid is not None else "account:" + get_remote_address()


def _sign_in_page(
    errors: dict[str, str] | None = None, email: str = "", status: int = 200, failed: bool = False
) -> tuple[str, int]:
    errors = errors or {}
    return (
        render_template(
            "caseworker/sign_in.html",
            page_title=("Error: " if errors else "") + "Sign in",
            errors=errors,
            email=email,
            failed=failed,
            notice=None if errors else _notice(request.args.get("reason")),
            next_url=auth.safe_next(request.args.get("next")),
            lockout_minutes=_number(current_app.config["CASEWORKER_LOCKOUT_MINUTES"]),
        ),
        status,
    )


@bp.get("/sign-in")
def sign_in() -> ResponseLike:
    if auth.current_user() is not None:
        return redirect(auth.after_sign_in_url(request.args.get("next")))
    return _sign_in_page()


@bp.post("/sign-in")
@limiter.limit(_ip_limit, key_func=get_remote_address, scope="sign-in-ip")
@limiter.limit(_account_limit, key_func=_account_key, scope="sign-in-account")
def sign_in_post() -> ResponseLike:
    email = request.form.get("email", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not email:
        errors["email"] = EMAIL_REQUIRED
    if not password:
        errors["password"] = PASSWORD_REQUIRED
    if errors:
        return _sign_in_page(errors, email)
    user = auth.check_password(email, password)
    if user is None:
        return _sign_in_page({"email": SIGN_IN_FAILED}, email, failed=True)
    next_url = request.args.get("next")
    step = auth.second_step(user)
    if step is None:
        auth.complete_sign_in(user, used_code=False)
        return redirect(auth.after_sign_in_url(next_url))
    auth.begin_second_step(user, next_url)
    return redirect(url_for("caseworker.security_code" if step == "code" else "caseworker.set_up_sign_in"))


def _pending_or_restart() -> User | WerkzeugResponse:
    user = auth.pending_user()
    if user is None:
        return redirect(auth.sign_in_url(auth.EXPIRED))
    return user


def _code_error(code: str) -> str | None:
    cleaned = totp.clean_code(code)
    if not cleaned:
        return CODE_REQUIRED
    if not totp.is_well_formed(cleaned):
        return CODE_FORMAT
    return None


def _after_wrong_code(user: User, template: str, **context: Any) -> ResponseLike:
    """The page again with the error, or, once the account is locked, back to the sign-in page."""
    if user.is_locked(clock.now()):
        session.pop(auth.PENDING_KEY, None)
        return redirect(auth.sign_in_url(auth.LOCKED))
    return render_template(template, page_title="Error: " + context.pop("title"), error=CODE_WRONG, **context)


@bp.get("/sign-in/security-code")
def security_code() -> ResponseLike:
    user = _pending_or_restart()
    if not isinstance(user, User):
        return user
    if not user.totp_secret:
        return redirect(url_for("caseworker.set_up_sign_in"))
    return render_template("caseworker/security_code.html", page_title="Enter your security code", error=None)


@bp.post("/sign-in/security-code")
@limiter.limit(_ip_limit, key_func=get_remote_address, scope="sign-in-ip")
@limiter.limit(_account_limit, key_func=_account_key, scope="sign-in-account")
def security_code_post() -> ResponseLike:
    user = _pending_or_restart()
    if not isinstance(user, User):
        return user
    if not user.totp_secret:
        return redirect(url_for("caseworker.set_up_sign_in"))
    code = request.form.get("code", "")
    error = _code_error(code)
    if error:
        return render_template(
            "caseworker/security_code.html", page_title="Error: Enter your security code", error=error
        )
    if not auth.check_code(user, code):
        return _after_wrong_code(user, "caseworker/security_code.html", title="Enter your security code")
    next_url = auth.pending_next()
    auth.complete_sign_in(user, used_code=True)
    return redirect(auth.after_sign_in_url(next_url))


def _set_up_page(user: User, action: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    secret = auth.start_totp_set_up(user)
    uri = totp.provisioning_uri(secret, user.email)
    title = "Set up an authenticator app"
    return (
        render_template(
            "caseworker/set_up_authenticator.html",
            page_title=("Error: " if error else "") + title,
            heading=title,
            required=auth.second_step(user) == "set-up",
            secret=totp.grouped(secret),
            uri=uri,
            qr_code=totp.qr_code_data_uri(uri),
            action=action,
            error=error,
        ),
        status,
    )


@bp.get("/sign-in/set-up-authenticator")
def set_up_sign_in() -> ResponseLike:
    """Roles that must use security codes set up an app before their first sign-in completes."""
    user = _pending_or_restart()
    if not isinstance(user, User):
        return user
    if user.totp_secret:
        return redirect(url_for("caseworker.security_code"))
    return _set_up_page(user, url_for("caseworker.set_up_sign_in_post"))


@bp.post("/sign-in/set-up-authenticator")
@limiter.limit(_ip_limit, key_func=get_remote_address, scope="sign-in-ip")
@limiter.limit(_account_limit, key_func=_account_key, scope="sign-in-account")
def set_up_sign_in_post() -> ResponseLike:
    user = _pending_or_restart()
    if not isinstance(user, User):
        return user
    if user.totp_secret:
        return redirect(url_for("caseworker.security_code"))
    action = url_for("caseworker.set_up_sign_in_post")
    code = request.form.get("code", "")
    error = _code_error(code)
    if error:
        return _set_up_page(user, action, error)
    if not auth.check_code(user, code, secret=auth.start_totp_set_up(user)):
        if user.is_locked(clock.now()):
            session.pop(auth.PENDING_KEY, None)
            return redirect(auth.sign_in_url(auth.LOCKED))
        return _set_up_page(user, action, CODE_WRONG)
    next_url = auth.pending_next()
    auth.finish_totp_set_up(user)
    auth.complete_sign_in(user, used_code=True)
    return redirect(auth.after_sign_in_url(next_url))


@bp.get("/authenticator")
@auth.login_required()
def set_up_signed_in() -> ResponseLike:
    """A signed-in account whose role does not require security codes may choose to use them."""
    user = auth.current_user()
    assert user is not None
    if user.totp_secret:
        return redirect(url_for(auth.HOME))
    return _set_up_page(user, url_for("caseworker.set_up_signed_in_post"))


@bp.post("/authenticator")
@auth.login_required()
@limiter.limit(_ip_limit, key_func=get_remote_address, scope="sign-in-ip")
def set_up_signed_in_post() -> ResponseLike:
    user = auth.current_user()
    assert user is not None
    if user.totp_secret:
        return redirect(url_for(auth.HOME))
    action = url_for("caseworker.set_up_signed_in_post")
    code = request.form.get("code", "")
    error = _code_error(code)
    if error:
        return _set_up_page(user, action, error)
    if not auth.check_code(user, code, secret=auth.start_totp_set_up(user), signing_in=False):
        return _set_up_page(user, action, CODE_WRONG)
    auth.finish_totp_set_up(user)
    flash("Your authenticator app is set up. You will need a security code from it each time you sign in.")
    return redirect(url_for(auth.HOME))


@bp.post("/sign-out")
def sign_out() -> ResponseLike:
    auth.sign_out()
    return redirect(auth.sign_in_url(auth.SIGNED_OUT))


@bp.errorhandler(429)
def too_many_attempts(error: HTTPException) -> ResponseLike:
    """The 429 page when a sign-in rate limit is reached."""
    return (
        render_template(
            "caseworker/too_many_attempts.html", page_title="Sorry, you have tried too many times"
        ),
        429,
    )
