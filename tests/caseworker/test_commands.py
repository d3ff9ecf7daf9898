"""`forms-engine users …`: every command, its errors, and the audit event each change writes."""

from __future__ import annotations

import getpass
import json

import pytest
from click.testing import Result
from flask import Flask

from forms_engine.caseworker import passwords
from forms_engine.caseworker.models import ORGANISATIONS

from ..helpers import BrowserClient, location
from .conftest import PASSWORD, audit_events, create_user, load_user, sign_in


def run(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def user_id_of(app: Flask, email: str) -> int:
    from sqlalchemy import select

    from forms_engine.caseworker.models import User
    from forms_engine.extensions import db

    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == email)).one()


def test_users_create_makes_an_account_that_can_sign_in(cw_app: Flask) -> None:
    result = run(
        cw_app,
        "create",
        "--email",
        "New.Person@Example.gov.uk",
        "--role",
        "caseworker",
        "--organisation",
        "ne",
        "--form",
        "badger-sett-development-licence",
        "--form",
        "register-land-rural-payments",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "created caseworker account new.person@example.gov.uk" in result.output
    assert PASSWORD not in result.output
    user = load_user(cw_app, user_id_of(cw_app, "new.person@example.gov.uk"))
    assert user.role == "caseworker"
    assert user.organisation == "NE"
    assert user.forms == ["badger-sett-development-licence", "register-land-rural-payments"]
    assert user.password_hash.startswith("$argon2id$")
    assert location(sign_in(BrowserClient(cw_app), "new.person@example.gov.uk")) == "/caseworker/"
    [event] = audit_events(cw_app, "account-create")
    assert event["actor_email"] == f"cli:{getpass.getuser()}"
    assert event["actor_id"] is None
    assert event["object_id"] == str(user.id)
    assert event["detail"] == {
        "email": "new.person@example.gov.uk",
        "role": "caseworker",
        "organisation": "NE",
        "forms": ["badger-sett-development-licence", "register-land-rural-payments"],
    }
    assert PASSWORD not in json.dumps(audit_events(cw_app))


def test_users_create_asks_for_the_password_twice(cw_app: Flask) -> None:
    result = run(
        cw_app, "create", "--email", "a@example.gov.uk", "--role", "admin", input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert "Repeat the password" in result.output
    assert PASSWORD not in result.output
    mismatch = run(
        cw_app,
        "create",
        "--email",
        "b@example.gov.uk",
        "--role",
        "admin",
        input=f"{PASSWORD}\nsomething else\n" * 2,
    )
    assert mismatch.exit_code != 0


def test_users_create_never_takes_the_password_as_an_argument(cw_app: Flask) -> None:
    result = run(
        cw_app, "create", "--email", "a@example.gov.uk", "--role", "caseworker", "--password", PASSWORD
    )
    assert result.exit_code == 2
    assert "No such option" in result.output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--email", "not an address", "--role", "caseworker"], PASSWORD, "--email"),
        (["--email", "a@example.gov.uk", "--role", "boss"], PASSWORD, "'boss' is not one of"),
        (["--email", "a@example.gov.uk", "--role", "caseworker", "--organisation", "NASA"], PASSWORD, "APHA"),
        (["--email", "a@example.gov.uk", "--role", "caseworker"], "short", "12 characters or more"),
        (["--email", "a@example.gov.uk", "--role", "caseworker"], "password1234", "too easy to guess"),
        (["--email", "a@example.gov.uk", "--role", "caseworker"], "aaaaaaaaaaaaaaaa", "too easy to guess"),
        (["--email", "a@example.gov.uk", "--role", "caseworker"], "a@example.gov.uk", "not be your email"),
    ],
)
def test_users_create_refuses_what_it_cannot_use(
    cw_app: Flask, args: list[str], stdin: str, message: str
) -> None:
    result = run(cw_app, "create", *args, "--password-stdin", input=stdin + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert audit_events(cw_app) == []


def test_users_create_refuses_an_address_already_used_in_any_case(cw_app: Flask) -> None:
    create_user(cw_app)
    result = run(
        cw_app,
        "create",
        "--email",
        "CASEY@example.gov.uk",
        "--role",
        "admin",
        "--password-stdin",
        input=PASSWORD,
    )
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_users_create_warns_about_a_form_that_is_not_loaded(cw_app: Flask) -> None:
    result = run(
        cw_app,
        "create",
        "--email",
        "a@example.gov.uk",
        "--role",
        "caseworker",
        "--form",
        "not-a-form",
        "--password-stdin",
        input=PASSWORD,
    )
    assert result.exit_code == 0
    assert "warning: no form 'not-a-form'" in result.output


def test_users_list_shows_every_account(cw_app: Flask) -> None:
    create_user(
        cw_app, email="b@example.gov.uk", role="admin", organisation=None, totp_secret="JBSWY3DPEHPK3PXP"
    )
    create_user(cw_app, email="a@example.gov.uk", forms=["x"], disabled=True)
    result = run(cw_app, "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "a@example.gov.uk  caseworker  APHA  forms: x  disabled"
    assert lines[1] == "b@example.gov.uk  admin  -  forms: -  totp"
    assert lines[2] == "2 account(s)"
    listed = json.loads(run(cw_app, "list", "--json").output)
    assert [u["email"] for u in listed] == ["a@example.gov.uk", "b@example.gov.uk"]
    assert listed[0]["disabled"] is True
    assert listed[1]["totp"] is True
    assert "password_hash" not in listed[0]
    assert "totp_secret" not in listed[1]
    assert set(listed[0]) == {
        "email",
        "role",
        "organisation",
        "forms",
        "disabled",
        "locked_until",
        "totp",
        "created_at",
        "last_signed_in_at",
    }


def test_users_disable_and_enable(cw_app: Flask) -> None:
    user_id = create_user(cw_app)
    version = load_user(cw_app, user_id).session_version
    result = run(cw_app, "disable", "Casey@example.gov.uk")
    assert result.exit_code == 0, result.output
    disabled = load_user(cw_app, user_id)
    assert disabled.disabled is True
    assert disabled.session_version == version + 1
    assert sign_in(BrowserClient(cw_app)).status == 200  # refused
    result = run(cw_app, "enable", "casey@example.gov.uk")
    assert result.exit_code == 0, result.output
    assert load_user(cw_app, user_id).disabled is False
    assert location(sign_in(BrowserClient(cw_app))) == "/caseworker/"
    assert [e["action"] for e in audit_events(cw_app) if (e["actor_email"] or "").startswith("cli:")] == [
        "account-disable",
        "account-enable",
    ]


def test_users_reset_password_sets_a_new_one_and_clears_a_lockout(cw_app: Flask) -> None:
    user_id = create_user(cw_app)
    client = BrowserClient(cw_app)
    for _ in range(5):
        sign_in(client, password="wrong password!")
    assert load_user(cw_app, user_id).locked_until is not None
    before = load_user(cw_app, user_id)
    result = run(cw_app, "reset-password", "casey@example.gov.uk", input="another good passphrase\n" * 2)
    assert result.exit_code == 0, result.output
    after = load_user(cw_app, user_id)
    assert after.locked_until is None
    assert after.failed_sign_ins == 0
    assert after.session_version == before.session_version + 1
    assert after.password_changed_at >= before.password_changed_at
    assert passwords.verify_password(after.password_hash, "another good passphrase")
    assert location(sign_in(client, password="another good passphrase")) == "/caseworker/"
    [event] = audit_events(cw_app, "password-reset")
    assert event["object_id"] == str(user_id)
    assert "another good passphrase" not in json.dumps(audit_events(cw_app))


def test_users_reset_password_refuses_a_weak_password(cw_app: Flask) -> None:
    user_id = create_user(cw_app)
    result = run(cw_app, "reset-password", "casey@example.gov.uk", "--password-stdin", input="qwerty123456\n")
    assert result.exit_code == 1
    assert "too easy to guess" in result.output
    assert passwords.verify_password(load_user(cw_app, user_id).password_hash, PASSWORD)
    assert audit_events(cw_app, "password-reset") == []


def test_users_reset_totp_forgets_the_app(cw_app: Flask) -> None:
    user_id = create_user(cw_app, totp_secret="JBSWY3DPEHPK3PXP")
    result = run(cw_app, "reset-totp", "casey@example.gov.uk")
    assert result.exit_code == 0, result.output
    user = load_user(cw_app, user_id)
    assert user.totp_secret is None
    assert user.totp_last_step is None
    assert len(audit_events(cw_app, "totp-reset")) == 1
    assert location(sign_in(BrowserClient(cw_app))) == "/caseworker/"


@pytest.mark.parametrize("command", ["disable", "enable", "reset-password", "reset-totp"])
def test_commands_on_an_unknown_account_fail(cw_app: Flask, command: str) -> None:
    result = run(cw_app, command, "nobody@example.gov.uk", input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "no account with the email address nobody@example.gov.uk" in result.output


def test_organisations_are_those_of_the_definition_language() -> None:
    assert ORGANISATIONS == ("APHA", "EA", "NE", "RPA", "MMO", "Defra")
