"""The admins' account screens: listing, creating (with a temporary password shown once), changing,
disabling and enabling accounts, resetting passwords and authenticator apps, each change audited;
the rules that keep the service usable (not yourself, not the last admin); and the boundary: every
accounts URL answers 404 to any other account, URL by URL from the URL map, and needs a CSRF token."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine import form_registry
from forms_engine.caseworker import accounts, passwords
from forms_engine.caseworker.models import ROLES, User
from forms_engine.extensions import db

from ..helpers import BrowserClient, Page, location
from .conftest import (
    PASSWORD,
    FrozenClock,
    audit_events,
    create_user,
    enter_code,
    load_user,
    sign_in,
    title,
)

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
ADMIN = "admin@example.gov.uk"
CASEY = "casey@example.gov.uk"
BADGER = "badger-sett-development-licence"
LAND = "register-land-rural-payments"
ACCOUNT_ACTIONS = {
    "account-create",
    "account-update",
    "account-disable",
    "account-enable",
    "password-reset",
    "totp-reset",
}


@dataclass
class Accounts:
    app: Flask
    clock: FrozenClock
    admin_id: int
    casey_id: int

    def admin(self, email: str = ADMIN) -> BrowserClient:
        """A browser signed in as an admin (password, then security code)."""
        client = BrowserClient(self.app)
        assert location(sign_in(client, email)) == "/caseworker/sign-in/security-code"
        assert location(enter_code(client, SECRET, self.clock())) == "/caseworker/"
        self.clock.advance(seconds=30)  # the next sign-in with the same secret needs a new code
        return client

    def casey(self) -> BrowserClient:
        client = BrowserClient(self.app)
        assert location(sign_in(client, CASEY)) == "/caseworker/"
        return client


@pytest.fixture
def world(cw_app: Flask, frozen_clock: FrozenClock) -> Accounts:
    admin_id = create_user(cw_app, ADMIN, role="admin", organisation=None, totp_secret=SECRET)
    casey_id = create_user(cw_app, CASEY, organisation="APHA", forms=[BADGER])
    return Accounts(cw_app, frozen_clock, admin_id, casey_id)


def account_url(user_id: int, action: str = "") -> str:
    return f"/caseworker/accounts/{user_id}" + (f"/{action}" if action else "")


def account_events(app: Flask) -> list[dict[str, object]]:
    return [event for event in audit_events(app) if event["action"] in ACCOUNT_ACTIONS]


def is_signed_out(client: BrowserClient) -> bool:
    page = client.get("/caseworker/")
    return page.status == 302 and location(page).startswith("/caseworker/sign-in?reason=ended")


def banner(page: Page) -> str:
    found = page.soup.select_one(".govuk-notification-banner--success")
    return found.get_text(" ", strip=True) if found else ""


def find_user_id(app: Flask, email: str) -> int:
    with app.app_context():
        return db.session.scalars(select(User.id).where(User.email == email)).one()


def row(page: Page, email: str) -> dict[str, str]:
    found = page.soup.select_one(f'#accounts tr[data-email="{email}"]')
    assert found is not None, email
    return {str(cell["data-column"]): cell.get_text(" ", strip=True) for cell in found.select("td")}


# -- the list ------------------------------------------------------------------------------------


def test_the_accounts_page_lists_every_account_with_what_it_may_do(world: Accounts) -> None:
    create_user(world.app, "gone@example.gov.uk", organisation=None, disabled=True)
    locked_id = create_user(world.app, "locked@example.gov.uk", organisation="NE")
    with world.app.app_context():
        locked = db.session.get(User, locked_id)
        assert locked is not None
        locked.locked_until = world.clock() + timedelta(minutes=10)
        db.session.commit()
    client = world.admin()
    home = client.get("/caseworker/")
    link = home.soup.select_one("#manage-accounts a")
    assert link is not None and link["href"] == "/caseworker/accounts"
    page = client.get("/caseworker/accounts")
    assert page.status == 200
    assert page.title == title("Accounts")
    assert [r["data-email"] for r in page.soup.select("#accounts tbody tr")] == [
        ADMIN,
        CASEY,
        "gone@example.gov.uk",
        "locked@example.gov.uk",
    ]
    assert row(page, ADMIN) == {
        "role": "Administrator",
        "organisation": "None",
        "forms": "None",
        "status": "Active",
        "authenticator": "Yes",
        "last-signed-in": row(page, ADMIN)["last-signed-in"],
    }
    assert row(page, ADMIN)["last-signed-in"] != "Never"
    assert row(page, CASEY) == {
        "role": "Caseworker",
        "organisation": "APHA",
        "forms": "A24",  # the paper form's reference
        "status": "Active",
        "authenticator": "No",
        "last-signed-in": "Never",
    }
    assert row(page, "gone@example.gov.uk")["status"] == "Disabled"
    assert row(page, "locked@example.gov.uk")["status"] == "Locked"
    href = page.soup.select_one(f'#accounts tr[data-email="{CASEY}"] th a')
    assert href is not None and href["href"] == account_url(world.casey_id)


def test_only_admins_are_offered_manage_accounts(world: Accounts) -> None:
    assert world.casey().get("/caseworker/").soup.select_one("#manage-accounts") is None


# -- creating ------------------------------------------------------------------------------------


def test_an_admin_creates_an_account_whose_temporary_password_signs_it_in(world: Accounts) -> None:
    client = world.admin()
    page = client.get("/caseworker/accounts/new")
    assert page.title == title("Create an account")
    assert [i["value"] for i in page.soup.select("input[name=role]")] == list(ROLES)
    assert len(page.soup.select(".govuk-radios__hint")) >= len(ROLES)  # each role is described
    assert [i["value"] for i in page.soup.select("input[name=organisation]")][-1] == "none"
    assert {i["value"] for i in page.soup.select("input[name=forms]")} == set(form_registry(world.app).forms)
    response = client.post(
        "/caseworker/accounts/new",
        {"email": " New.Person@Example.gov.uk ", "role": "caseworker", "organisation": "NE", "forms": [LAND]},
    )
    assert response.status == 200
    assert response.title == title("Account created")
    shown = response.soup.select_one("#temporary-password")
    assert shown is not None
    password = shown.get_text(strip=True)
    assert re.fullmatch(r"([a-z2-9]{4}-){4}[a-z2-9]{4}", password)
    assert passwords.password_problem(password) is None
    new_id = find_user_id(world.app, "new.person@example.gov.uk")
    user = load_user(world.app, new_id)
    assert (user.role, user.organisation, user.forms, user.disabled) == ("caseworker", "NE", [LAND], False)
    [event] = audit_events(world.app, "account-create")
    assert event["actor_email"] == ADMIN
    assert event["object_type"] == "user"
    assert event["object_id"] == str(new_id)
    assert event["detail"] == {
        "email": "new.person@example.gov.uk",
        "role": "caseworker",
        "organisation": "NE",
        "forms": [LAND],
    }
    assert password not in json.dumps(audit_events(world.app))
    # The password is shown once: the account page does not show it again.
    assert password not in client.get(account_url(new_id)).response.get_data(as_text=True)
    assert location(sign_in(BrowserClient(world.app), "new.person@example.gov.uk", password)) == (
        "/caseworker/"
    )


def test_a_new_admin_is_told_to_set_up_an_authenticator_app(world: Accounts) -> None:
    client = world.admin()
    client.get("/caseworker/accounts/new")
    response = client.post(
        "/caseworker/accounts/new", {"email": "boss@example.gov.uk", "role": "admin", "organisation": "none"}
    )
    assert response.status == 200
    assert "then set up an authenticator app" in response.soup.get_text(" ", strip=True)
    assert load_user(world.app, find_user_id(world.app, "boss@example.gov.uk")).organisation is None


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        (
            {},
            [
                ("#email", "Enter an email address"),
                ("#role", "Select a role"),
                ("#organisation", "Select an organisation, or No organisation"),
            ],
        ),
        (
            {"email": "not an address", "role": "caseworker", "organisation": "NE", "forms": [BADGER]},
            [("#email", "Enter an email address in the correct format, like name@example.com")],
        ),
        (
            {"email": "CASEY@example.gov.uk", "role": "admin", "organisation": "none", "forms": [LAND]},
            [("#email", "An account with this email address already exists")],
        ),
        (
            {"email": "a@example.gov.uk", "role": "boss", "organisation": "NASA", "forms": ["no-such-form"]},
            [
                ("#role", "Select a role"),
                ("#organisation", "Select an organisation, or No organisation"),
                ("#forms", "Select forms from the list"),
            ],
        ),
    ],
)
def test_creating_an_account_explains_what_is_wrong_and_keeps_what_was_typed(
    world: Accounts, sent: dict[str, object], errors: list[tuple[str, str]]
) -> None:
    client = world.admin()
    client.get("/caseworker/accounts/new")
    page = client.post("/caseworker/accounts/new", sent)
    assert page.status == 400
    assert page.title == title("Error: Create an account")
    assert page.error_summary() == errors
    assert page.error_messages() == [message for _, message in errors]
    email = page.soup.select_one("#email")
    assert email is not None and email.get("value", "") == sent.get("email", "")
    checked = {(i["name"], i["value"]) for i in page.soup.select("input:checked")}
    for name in ("role", "organisation"):
        if sent.get(name) in ROLES or sent.get(name) in ("NE", "none"):
            assert (name, sent[name]) in checked
    for slug in sent.get("forms", []):  # type: ignore[attr-defined]
        if slug in form_registry(world.app).forms:
            assert ("forms", slug) in checked
    assert account_events(world.app) == []
    with world.app.app_context():
        assert len(accounts.all_accounts()) == 2


# -- changing ------------------------------------------------------------------------------------


def test_an_admin_changes_an_accounts_organisation_and_forms(world: Accounts) -> None:
    casey = world.casey()
    client = world.admin()
    page = client.get(account_url(world.casey_id))
    assert page.title == title(CASEY)
    edit = client.get(account_url(world.casey_id, "edit"))
    assert edit.title == title("Change the account")
    checked = {(i["name"], i["value"]) for i in edit.soup.select("input:checked")}
    assert checked == {("role", "caseworker"), ("organisation", "APHA"), ("forms", BADGER)}
    assert edit.soup.select_one("#email") is None  # the address cannot be changed
    response = client.post(
        account_url(world.casey_id, "edit"), {"role": "caseworker", "organisation": "none", "forms": [LAND]}
    )
    assert response.status == 303
    assert location(response) == account_url(world.casey_id)
    page = client.follow(response)
    assert banner(page) == f"Success Account {CASEY} changed"
    user = load_user(world.app, world.casey_id)
    assert (user.role, user.organisation, user.forms) == ("caseworker", None, [LAND])
    [event] = audit_events(world.app, "account-update")
    assert event["actor_email"] == ADMIN
    assert event["object_id"] == str(world.casey_id)
    assert event["detail"] == {
        "email": CASEY,
        "changes": {
            "organisation": {"from": "APHA", "to": None},
            "forms": {"added": [LAND], "removed": [BADGER]},
        },
    }
    # What an account sees is worked out on every request: the session carries on.
    assert not is_signed_out(casey)
    assert casey.get(f"/caseworker/forms/{LAND}/").status == 200
    assert casey.get(f"/caseworker/forms/{BADGER}/").status == 404


def test_a_new_role_ends_the_accounts_sessions(world: Accounts) -> None:
    casey = world.casey()
    client = world.admin()
    client.get(account_url(world.casey_id, "edit"))
    response = client.post(
        account_url(world.casey_id, "edit"), {"role": "admin", "organisation": "APHA", "forms": [BADGER]}
    )
    assert response.status == 303
    assert load_user(world.app, world.casey_id).role == "admin"
    [event] = audit_events(world.app, "account-update")
    assert event["detail"]["changes"] == {"role": {"from": "caseworker", "to": "admin"}}
    assert is_signed_out(casey)
    # As an admin, it now sets up an authenticator app before its sign-in completes.
    assert location(sign_in(casey, CASEY)) == "/caseworker/sign-in/set-up-authenticator"


def test_saving_without_changes_records_nothing(world: Accounts) -> None:
    client = world.admin()
    client.get(account_url(world.casey_id, "edit"))
    response = client.post(
        account_url(world.casey_id, "edit"), {"role": "caseworker", "organisation": "APHA", "forms": [BADGER]}
    )
    assert banner(client.follow(response)) == f"Success Nothing was changed for {CASEY}"
    assert account_events(world.app) == []


def test_a_wrong_change_explains_what_is_wrong_and_keeps_what_was_chosen(world: Accounts) -> None:
    client = world.admin()
    client.get(account_url(world.casey_id, "edit"))
    page = client.post(account_url(world.casey_id, "edit"), {"organisation": "EA", "forms": [LAND]})
    assert page.status == 400
    assert page.title == title("Error: Change the account")
    assert page.error_summary() == [("#role", "Select a role")]
    assert {(i["name"], i["value"]) for i in page.soup.select("input:checked")} == {
        ("organisation", "EA"),
        ("forms", LAND),
    }
    assert load_user(world.app, world.casey_id).organisation == "APHA"
    assert account_events(world.app) == []


def test_a_form_no_longer_offered_stays_assigned_unless_unticked(world: Accounts) -> None:
    gone_id = create_user(world.app, "old@example.gov.uk", forms=["retired-form", BADGER])
    client = world.admin()
    edit = client.get(account_url(gone_id, "edit"))
    assert ("forms", "retired-form") in {(i["name"], i["value"]) for i in edit.soup.select("input:checked")}
    client.post(
        account_url(gone_id, "edit"), {"role": "caseworker", "organisation": "APHA", "forms": [BADGER]}
    )
    assert load_user(world.app, gone_id).forms == [BADGER]


# -- the rules that keep the service usable ------------------------------------------------------


def test_an_admin_cannot_disable_their_own_account(world: Accounts) -> None:
    create_user(world.app, "other-admin@example.gov.uk", role="admin", organisation=None, totp_secret=SECRET)
    client = world.admin()
    page = client.get(account_url(world.admin_id))
    assert page.soup.select_one(f'a[href="{account_url(world.admin_id, "disable")}"]') is None
    assert "You cannot disable your own account" in page.soup.get_text(" ", strip=True)
    refused = client.get(account_url(world.admin_id, "disable"))
    assert refused.status == 200
    assert refused.h1 == "You cannot disable this account"
    assert refused.soup.select_one("main form") is None
    client.get(account_url(world.casey_id, "disable"))  # for a CSRF token
    response = client.post(account_url(world.admin_id, "disable"))
    assert response.status == 400
    assert load_user(world.app, world.admin_id).disabled is False
    assert account_events(world.app) == []


def test_the_last_active_admin_stays_an_admin(world: Accounts) -> None:
    client = world.admin()
    client.get(account_url(world.admin_id, "edit"))
    page = client.post(account_url(world.admin_id, "edit"), {"role": "caseworker", "organisation": "none"})
    assert page.status == 400
    assert page.error_summary() == [
        (
            "#role",
            "The last active administrator must stay an administrator. "
            "Make another account an administrator first.",
        )
    ]
    assert load_user(world.app, world.admin_id).role == "admin"
    # A disabled admin does not count; an active one does.
    create_user(world.app, "off@example.gov.uk", role="admin", organisation=None, disabled=True)
    assert (
        client.post(account_url(world.admin_id, "edit"), {"role": "lead", "organisation": "none"}).status
        == 400
    )
    create_user(world.app, "second@example.gov.uk", role="admin", organisation=None)
    response = client.post(account_url(world.admin_id, "edit"), {"role": "lead", "organisation": "none"})
    assert response.status == 303
    assert load_user(world.app, world.admin_id).role == "lead"
    assert is_signed_out(client)  # a new role ends the sessions, even your own


def test_the_last_active_admin_cannot_be_disabled_by_anyone(world: Accounts) -> None:
    with world.app.app_context():
        admin = db.session.get(User, world.admin_id)
        casey = db.session.get(User, world.casey_id)
        assert admin is not None and casey is not None
        assert accounts.disable_problem(casey, admin) == (
            "You cannot disable the last active administrator. Make another account an administrator first."
        )
        assert accounts.disable_problem(admin, casey) is None


def test_an_admin_disables_another_admin_while_one_remains(world: Accounts) -> None:
    other = create_user(world.app, "other-admin@example.gov.uk", role="admin", organisation=None)
    client = world.admin()
    client.get(account_url(other, "disable"))
    assert client.post(account_url(other, "disable")).status == 303
    assert load_user(world.app, other).disabled is True


# -- disabling, enabling, resetting --------------------------------------------------------------


def test_disabling_asks_first_then_ends_the_accounts_sessions_and_enabling_lets_it_back(
    world: Accounts,
) -> None:
    casey = world.casey()
    client = world.admin()
    page = client.get(account_url(world.casey_id))
    link = page.soup.select_one(f'a[href="{account_url(world.casey_id, "disable")}"]')
    assert link is not None
    confirm = client.get(account_url(world.casey_id, "disable"))
    assert confirm.title == title(f"Are you sure you want to disable {CASEY}?")
    button = confirm.soup.select_one("main form button")
    assert button is not None and "govuk-button--warning" in button["class"]
    response = client.post(account_url(world.casey_id, "disable"))
    assert response.status == 303
    assert banner(client.follow(response)) == f"Success Account {CASEY} disabled: they have been signed out"
    user = load_user(world.app, world.casey_id)
    assert user.disabled is True
    assert is_signed_out(casey)
    assert sign_in(BrowserClient(world.app), CASEY).status == 200  # refused
    assert row(client.get("/caseworker/accounts"), CASEY)["status"] == "Disabled"

    confirm = client.get(account_url(world.casey_id, "enable"))
    assert confirm.title == title(f"Enable {CASEY}?")
    response = client.post(account_url(world.casey_id, "enable"))
    assert banner(client.follow(response)) == f"Success Account {CASEY} enabled"
    assert load_user(world.app, world.casey_id).disabled is False
    assert location(sign_in(BrowserClient(world.app), CASEY)) == "/caseworker/"
    assert [(e["action"], e["object_id"], e["actor_email"]) for e in account_events(world.app)] == [
        ("account-disable", str(world.casey_id), ADMIN),
        ("account-enable", str(world.casey_id), ADMIN),
    ]


def test_a_locked_account_can_be_unlocked(world: Accounts) -> None:
    client = world.admin()
    for _ in range(5):
        sign_in(BrowserClient(world.app), CASEY, "not the password at all")
    assert load_user(world.app, world.casey_id).locked_until is not None
    page = client.get(account_url(world.casey_id))
    assert page.soup.select_one(f'a[href="{account_url(world.casey_id, "enable")}"]') is not None
    assert client.get(account_url(world.casey_id, "enable")).h1 == f"Unlock {CASEY}?"
    response = client.post(account_url(world.casey_id, "enable"))
    assert banner(client.follow(response)) == f"Success Account {CASEY} unlocked"
    assert load_user(world.app, world.casey_id).locked_until is None
    [event] = audit_events(world.app, "account-enable")
    assert event["detail"] == {"email": CASEY, "unlocked": True}


def test_resetting_a_password_shows_a_new_one_once_and_ends_the_accounts_sessions(world: Accounts) -> None:
    casey = world.casey()
    before = load_user(world.app, world.casey_id)
    client = world.admin()
    confirm = client.get(account_url(world.casey_id, "reset-password"))
    assert confirm.title == title(f"Reset the password for {CASEY}?")
    response = client.post(account_url(world.casey_id, "reset-password"))
    assert response.status == 200
    assert response.title == title("Password reset")
    panel = response.soup.select_one(".govuk-panel__body")
    assert panel is not None and panel.get_text(strip=True) == CASEY
    shown = response.soup.select_one("#temporary-password")
    assert shown is not None
    password = shown.get_text(strip=True)
    after = load_user(world.app, world.casey_id)
    assert after.session_version == before.session_version + 1
    assert is_signed_out(casey)
    assert sign_in(BrowserClient(world.app), CASEY, PASSWORD).status == 200  # the old one is refused
    assert location(sign_in(BrowserClient(world.app), CASEY, password)) == "/caseworker/"
    [event] = audit_events(world.app, "password-reset")
    assert (event["object_id"], event["actor_email"], event["detail"]) == (
        str(world.casey_id),
        ADMIN,
        {"email": CASEY},
    )
    assert password not in json.dumps(audit_events(world.app))


def test_resetting_the_authenticator_app_ends_the_accounts_sessions(world: Accounts) -> None:
    other = create_user(
        world.app, "other-admin@example.gov.uk", role="admin", organisation=None, totp_secret=SECRET
    )
    signed_in_other = world.admin("other-admin@example.gov.uk")
    client = world.admin()
    page = client.get(account_url(other))
    assert page.soup.select_one(f'a[href="{account_url(other, "reset-authenticator")}"]') is not None
    assert (
        client.get(account_url(world.casey_id)).soup.select_one(
            f'a[href="{account_url(world.casey_id, "reset-authenticator")}"]'
        )
        is None
    )  # nothing to reset
    client.get(account_url(other, "reset-authenticator"))
    response = client.post(account_url(other, "reset-authenticator"))
    assert banner(client.follow(response)) == (
        "Success Authenticator app reset for other-admin@example.gov.uk: they have been signed out"
    )
    user = load_user(world.app, other)
    assert (user.totp_secret, user.totp_pending_secret, user.totp_last_step) == (None, None, None)
    assert is_signed_out(signed_in_other)
    [event] = audit_events(world.app, "totp-reset")
    assert (event["object_id"], event["actor_email"]) == (str(other), ADMIN)
    assert location(sign_in(signed_in_other, "other-admin@example.gov.uk")) == (
        "/caseworker/sign-in/set-up-authenticator"
    )


def test_an_account_that_does_not_exist_answers_404(world: Accounts) -> None:
    client = world.admin()
    for action in ("", "edit", "disable", "enable", "reset-password", "reset-authenticator"):
        assert client.get(account_url(999, action)).status == 404


# -- the boundary --------------------------------------------------------------------------------


def accounts_urls(app: Flask, user_id: int) -> list[tuple[str, str]]:
    """(method, URL) for every route under /caseworker/accounts, filled in for `user_id`."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/caseworker/accounts"):
            continue
        path = re.sub(r"<(?:int:)?user_id>", str(user_id), rule.rule)
        assert "<" not in path, rule.rule
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


def test_the_boundary_covers_every_kind_of_accounts_page(world: Accounts) -> None:
    kinds = {(method, re.sub(r"/\d+", "/N", url)) for method, url in accounts_urls(world.app, 1)}
    assert kinds == {
        ("GET", "/caseworker/accounts"),
        ("GET", "/caseworker/accounts/new"),
        ("POST", "/caseworker/accounts/new"),
        ("GET", "/caseworker/accounts/N"),
        *{
            (method, f"/caseworker/accounts/N/{action}")
            for method in ("GET", "POST")
            for action in ("edit", "disable", "enable", "reset-password", "reset-authenticator")
        },
    }


@pytest.mark.parametrize("role", [role for role in ROLES if role != "admin"])
def test_every_accounts_url_answers_404_to_an_account_that_is_not_an_admin(
    world: Accounts, role: str
) -> None:
    create_user(world.app, "someone@example.gov.uk", role=role)
    client = BrowserClient(world.app)
    assert location(sign_in(client, "someone@example.gov.uk")) == "/caseworker/"
    client.get("/caseworker/")
    before = load_user(world.app, world.admin_id)
    for target in (world.admin_id, world.casey_id):
        for method, url in accounts_urls(world.app, target):
            if method == "GET":
                response = client.client.get(url)
            else:
                response = client.client.post(
                    url,
                    data={
                        "csrf_token": client.csrf_token,
                        "email": "sneaky@example.gov.uk",
                        "role": "admin",
                        "organisation": "none",
                    },
                )
            assert response.status_code == 404, (role, method, url, response.status_code)
    after = load_user(world.app, world.admin_id)
    assert (after.password_hash, after.session_version, after.disabled) == (
        before.password_hash,
        before.session_version,
        before.disabled,
    )
    assert load_user(world.app, world.casey_id).role == "caseworker"
    assert account_events(world.app) == []


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_accounts_page(world: Accounts) -> None:
    client = BrowserClient(world.app)
    for method, url in accounts_urls(world.app, world.casey_id):
        if method == "GET":
            response = client.client.get(url)
            assert response.status_code == 302, url
            assert response.headers["Location"] == f"/caseworker/sign-in?next={url}"


def test_every_accounts_post_without_its_csrf_token_gets_the_gov_uk_error_page(world: Accounts) -> None:
    client = world.admin()
    for method, url in accounts_urls(world.app, world.casey_id):
        if method != "POST":
            continue
        page = client.post(
            url, {"email": "x@example.gov.uk", "role": "admin", "organisation": "none"}, csrf=False
        )
        assert page.status == 400, url
        assert page.h1 == "Sorry, there is a problem with the service"
    user = load_user(world.app, world.casey_id)
    assert (user.role, user.disabled) == ("caseworker", False)
    assert account_events(world.app) == []
