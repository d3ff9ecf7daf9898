"""CSRF on every route that changes something, enumerated from the URL map: a POST without a token,
or with a token from another session, is refused with the GOV.UK error page and changes nothing.

No route is exempt (EXEMPT below is empty: a route added to it needs a reason beside it)."""

from __future__ import annotations

import pytest
from flask import Flask

from forms_engine import create_app
from forms_engine.config import TestConfig
from forms_engine.extensions import csrf

from ..helpers import BrowserClient, Page
from .conftest import UNSAFE_METHODS, World, database_fingerprint, rules_allowing

#: Views and blueprints exempt from CSRF checks, each with the reason.
EXEMPT: dict[str, str] = {
    "health": "the /healthz and /readyz probes: GET only (asserted below), so nothing to protect",
}
CSRF_REFUSED = "We could not accept that form because the page had expired or was sent twice."
#: What a browser would send to each kind of form: with a valid token these would change something.
FORM_DATA = {
    "status": "done",
    "note": "a note",
    "reference": "",
    "email": "someone@example.gov.uk",
    "password": "correct walrus staple 42",
    "code": "123456",
    "role": "caseworker",
    "addAnother": "no",
    "confirm": "yes",
}


def _endpoints() -> list[str]:
    app = create_app(TestConfig)
    return [rule.endpoint for rule in rules_allowing(app, UNSAFE_METHODS)]


ENDPOINTS = _endpoints()


def test_the_test_configuration_checks_csrf_tokens() -> None:
    assert create_app(TestConfig).config["WTF_CSRF_ENABLED"] is True


def test_every_route_is_get_or_post_only(world: World) -> None:
    """So "every POST route" is every route that changes something."""
    for rule in world.app.url_map.iter_rules():
        assert (rule.methods or set()) <= {"GET", "HEAD", "OPTIONS", "POST"}, rule.rule


def test_no_route_is_exempt_from_csrf_but_those_listed(world: World) -> None:
    exempt = {
        endpoint
        for endpoint, view in world.app.view_functions.items()
        if f"{view.__module__}.{view.__name__}" in csrf._exempt_views
    }
    blueprints = {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints}
    assert exempt | blueprints == set(EXEMPT)
    # An exempt blueprint or view takes no POST: if one ever does, it must be protected.
    for rule in rules_allowing(world.app, UNSAFE_METHODS):
        assert rule.endpoint not in exempt, rule.rule
        assert rule.endpoint.partition(".")[0] not in blueprints or "." not in rule.endpoint, rule.rule


def test_every_post_route_is_enumerated() -> None:
    """The enumeration is not empty and includes the routes whose loss would matter most."""
    assert {
        "runner.check_answers",
        "runner.question",
        "save_return.resume",
        "caseworker.sign_in_post",
        "caseworker.sign_out",
        "caseworker.account_create",
        "caseworker.submission_status",
    } <= set(ENDPOINTS)


def assert_refused(page: Page, what: str) -> None:
    assert page.status == 400, (what, page.status)
    assert page.response.mimetype == "text/html", what
    assert page.h1 == "Sorry, there is a problem with the service", what
    assert page.soup.select_one("header.govuk-template__header") is not None, what
    assert CSRF_REFUSED in page.response.get_data(as_text=True), what


def browsers(world: World) -> dict[str, BrowserClient]:
    """Each POST is tried from a signed-in caseworker and from a citizen with a journey in progress,
    so that a POST let through would be processed (and change the database)."""
    return {"caseworker": world.caseworker, "citizen": world.citizen}


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e not in EXEMPT])
def test_a_post_without_a_token_or_with_another_sessions_token_is_refused(
    world: World, endpoint: str
) -> None:
    app: Flask = world.app
    (rule,) = [r for r in rules_allowing(app, UNSAFE_METHODS) if r.endpoint == endpoint]
    url = world.url(rule)
    stranger = BrowserClient(app)
    stranger.get("/caseworker/sign-in")
    foreign_token = stranger.csrf_token
    assert foreign_token is not None
    for who, browser in browsers(world).items():
        browser.get("/")  # a session with a token of its own
        before = database_fingerprint(app)
        without = browser.client.post(url, data=FORM_DATA)
        assert_refused(Page(without, _soup(without)), f"{who} {url} without a token")
        foreign = browser.client.post(url, data={**FORM_DATA, "csrf_token": foreign_token})
        assert_refused(Page(foreign, _soup(foreign)), f"{who} {url} with another session's token")
        garbage = browser.client.post(url, data={**FORM_DATA, "csrf_token": "not-a-token"})
        assert_refused(Page(garbage, _soup(garbage)), f"{who} {url} with a made-up token")
        assert database_fingerprint(app) == before, f"{who} {url}: a refused POST changed the database"


def _soup(response: object) -> object:
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.data, "html.parser")  # type: ignore[attr-defined]


def test_a_valid_token_is_accepted_so_the_refusals_above_are_about_the_token(world: World) -> None:
    """The control: the same kind of POST with the session's own token is processed."""
    browser = world.caseworker
    page = browser.get(f"/caseworker/submissions/{world.reference}")
    assert page.status == 200
    before = database_fingerprint(world.app)
    response = browser.post(f"/caseworker/submissions/{world.reference}/status", data={"status": "done"})
    assert response.status == 303, response.status
    assert database_fingerprint(world.app) != before
