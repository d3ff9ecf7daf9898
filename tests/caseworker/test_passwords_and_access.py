"""Password hashing (argon2id, rehashed when the parameters change), the password rules, TOTP helpers,
and which forms an account may see."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from forms_engine.caseworker import passwords, totp
from forms_engine.caseworker.auth import form_organisations, safe_next, visible_form_slugs
from forms_engine.caseworker.models import User

from ..helpers import BrowserClient, definitions, location
from .conftest import PASSWORD, audit_events, create_user, load_user, sign_in


def test_passwords_are_hashed_with_argon2id_and_a_salt(cw_app: Flask) -> None:
    with cw_app.app_context():
        first = passwords.hash_password(PASSWORD)
        second = passwords.hash_password(PASSWORD)
        assert first.startswith("$argon2id$v=19$")
        assert first != second
        assert PASSWORD not in first
        assert passwords.verify_password(first, PASSWORD)
        assert not passwords.verify_password(first, PASSWORD + "!")
        assert not passwords.verify_password("not a hash", PASSWORD)


def test_the_production_parameters_are_argon2_cffis_defaults() -> None:
    hasher = passwords.hasher()  # outside an app: the Config defaults
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    from forms_engine.config import Config

    assert (Config.CASEWORKER_ARGON2_TIME_COST, Config.CASEWORKER_ARGON2_MEMORY_KIB) == (3, 65536)
    assert Config.CASEWORKER_ARGON2_PARALLELISM == 4


def test_a_hash_made_with_other_parameters_is_redone_at_sign_in(make_cw_app: Any) -> None:
    old_app = make_cw_app(CASEWORKER_ARGON2_TIME_COST=1, CASEWORKER_ARGON2_MEMORY_KIB=8192)
    user_id = create_user(old_app)
    old_hash = load_user(old_app, user_id).password_hash
    assert "m=8192,t=1" in old_hash
    old_app.config.update(CASEWORKER_ARGON2_TIME_COST=2, CASEWORKER_ARGON2_MEMORY_KIB=16384)
    with old_app.app_context():
        assert passwords.needs_rehash(old_hash)
    assert location(sign_in(BrowserClient(old_app))) == "/caseworker/"
    new_hash = load_user(old_app, user_id).password_hash
    assert "m=16384,t=2" in new_hash
    with old_app.app_context():
        assert passwords.verify_password(new_hash, PASSWORD)
        assert not passwords.needs_rehash(new_hash)
    assert len(audit_events(old_app, "password-rehash")) == 1


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("eleven char", passwords.TOO_SHORT),
        ("x" * 257, passwords.TOO_LONG),
        ("Password1234", passwords.TOO_COMMON),
        ("qwerty123456", passwords.TOO_COMMON),
        ("abababababab", passwords.TOO_COMMON),
        ("casey@example.gov.uk", passwords.SAME_AS_EMAIL),
        ("twelve chars", None),
        ("correct walrus staple 42", None),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert passwords.password_problem(password, "casey@example.gov.uk") == problem


def test_totp_secrets_are_160_bits_of_base32_shown_in_groups() -> None:
    secret = totp.new_secret()
    assert len(secret) == 32
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert totp.grouped("ABCDEFGHIJ") == "ABCD EFGH IJ"
    assert totp.new_secret() != secret


def test_a_totp_code_matches_its_step_only_once() -> None:
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    moment = datetime(2026, 1, 1, 12, 0, 15, tzinfo=UTC)
    code = totp.code_at(secret, moment)
    step = totp.matching_step(secret, code, moment, None)
    assert step == int(moment.timestamp()) // 30
    assert totp.matching_step(secret, code, moment, step) is None
    assert totp.matching_step(secret, code, moment, step - 1) == step
    assert totp.matching_step(secret, "abcdef", moment, None) is None
    assert totp.matching_step(secret, "", moment, None) is None


def _user(
    role: str = "caseworker", organisation: str | None = "APHA", forms: list[str] | None = None
) -> User:
    return User(
        email=f"{role}@example.gov.uk",
        password_hash="x",
        role=role,
        organisation=organisation,
        forms=forms or [],
        disabled=False,
    )


ORGANISATIONS = {"poultry": "APHA", "badgers": "NE", "land": "RPA", "floods": "EA"}


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        (_user("admin", None), {"poultry", "badgers", "land", "floods"}),
        (_user("caseworker", "APHA"), {"poultry"}),
        (_user("caseworker", "APHA", ["land", "gone-form"]), {"poultry", "land"}),
        (_user("caseworker", None, ["badgers"]), {"badgers"}),
        (_user("caseworker", None), set()),
        (_user("lead", "NE"), {"badgers"}),
        (_user("designer", "EA", ["poultry"]), {"floods", "poultry"}),
        (None, set()),
    ],
)
def test_an_account_sees_its_forms_and_its_organisations(user: User | None, expected: set[str]) -> None:
    assert visible_form_slugs(user, ORGANISATIONS) == expected


def test_a_disabled_account_sees_no_forms() -> None:
    admin = _user("admin", None)
    admin.disabled = True
    assert visible_form_slugs(admin, ORGANISATIONS) == set()


def test_form_organisations_come_from_the_definitions(cw_app: Flask) -> None:
    assert form_organisations(definitions(cw_app)) == {
        "badger-sett-development-licence": "NE",
        "register-land-rural-payments": "RPA",
        "register-poultry-fewer-than-50-birds": "APHA",
    }


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/caseworker/forms?page=2", "/caseworker/forms?page=2"),
        ("/caseworker/", "/caseworker/"),
        ("/reports/?organisation=NE", "/reports/?organisation=NE"),
        ("/designer/", "/designer/"),
        ("/reports", None),
        ("/", None),
        ("https://example.com/caseworker/", None),
        ("//example.com/caseworker/", None),
        ("/caseworker/\\\\example.com", None),
        (None, None),
    ],
)
def test_only_staff_area_paths_are_followed_after_sign_in(target: str | None, expected: str | None) -> None:
    assert safe_next(target) == expected
