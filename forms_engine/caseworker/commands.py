"""`forms-engine users …`: create, list, disable, enable and reset caseworker accounts.

Passwords are asked for twice without echo, or read from standard input with `--password-stdin`
(for scripts): never taken as an argument, which would leave them in the shell history and the
process list. Every change is written to the audit log as done by `cli:<OS user>`.
"""

from __future__ import annotations

import json
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import accounts, audit, clock, passwords
from .auth import find_user
from .models import ORGANISATIONS, ROLES, User, normalise_email


def _read_password(from_stdin: bool, email: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    problem = passwords.password_problem(password, email)
    if problem:
        raise click.ClickException(problem)
    return password


def _account(email: str) -> User:
    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no account with the email address {normalise_email(email)}")
    return user


def _organisation(value: str | None) -> str | None:
    try:
        return accounts.organisation_named(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--organisation") from error


@click.group("users")
def users_group() -> None:
    """Caseworker area accounts."""


@users_group.command("create")
@click.option("--email", required=True, help="The account's email address (its sign-in name).")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the account may do.")
@click.option("--organisation", help=f"The organisation it works for: {', '.join(ORGANISATIONS)}.")
@click.option("--form", "forms", multiple=True, help="Slug of a form assigned to it (repeat for more).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@with_appcontext
def create_user(
    email: str, role: str, organisation: str | None, forms: tuple[str, ...], password_stdin: bool
) -> None:
    """Create an account. Admins set up an authenticator app at their first sign-in."""
    try:
        address = accounts.normalised_address(email)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--email") from error
    if find_user(address) is not None:
        raise click.ClickException(f"an account with the email address {address} already exists")
    owner = _organisation(organisation)
    from .. import form_registry

    known = set(form_registry(current_app._get_current_object()).forms)  # type: ignore[attr-defined]
    for slug in forms:
        if slug not in known:
            click.echo(f"warning: no form '{slug}' is loaded now; assigned anyway", err=True)
    password = _read_password(password_stdin, address)
    accounts.create_account(
        email=address, role=role, organisation=owner, forms=forms, password=password, actor=audit.cli_actor()
    )
    db.session.commit()
    click.echo(f"created {role} account {address}")


@users_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def list_users(as_json: bool) -> None:
    """List the accounts."""
    users = [u.as_json() for u in accounts.all_accounts()]
    if as_json:
        click.echo(json.dumps(users, indent=2, ensure_ascii=False))
        return
    now = clock.now().isoformat()
    for user in users:
        flags = [
            "disabled" if user["disabled"] else "",
            "locked" if user["locked_until"] and user["locked_until"] > now else "",
            "totp" if user["totp"] else "",
        ]
        click.echo(
            f"{user['email']}  {user['role']}  {user['organisation'] or '-'}  "
            f"forms: {','.join(user['forms']) or '-'}  {' '.join(f for f in flags if f)}".rstrip()
        )
    click.echo(f"{len(users)} account(s)")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def disable_user(email: str) -> None:
    """Stop an account signing in, and end its sessions."""
    user = _account(email)
    accounts.disable_account(user, audit.cli_actor())
    db.session.commit()
    click.echo(f"disabled {user.email}")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def enable_user(email: str) -> None:
    """Let a disabled account sign in again (and clear any lockout)."""
    user = _account(email)
    accounts.enable_account(user, audit.cli_actor())
    db.session.commit()
    click.echo(f"enabled {user.email}")


@users_group.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
@with_appcontext
def reset_password(email: str, password_stdin: bool) -> None:
    """Set a new password, end the account's sessions and clear any lockout."""
    user = _account(email)
    password = _read_password(password_stdin, user.email)
    accounts.reset_password(user, password, audit.cli_actor())
    db.session.commit()
    click.echo(f"new password set for {user.email}; its sessions have ended")


@users_group.command("reset-totp")
@click.argument("email")
@with_appcontext
def reset_totp(email: str) -> None:
    """Forget the account's authenticator app (lost phone): it sets one up again if its role needs
    one. Ends its sessions."""
    user = _account(email)
    accounts.reset_totp(user, audit.cli_actor())
    db.session.commit()
    click.echo(f"authenticator app removed from {user.email}; its sessions have ended")
