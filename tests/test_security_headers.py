"""Security headers, asserted by exact string: a change to any of them should be a decision, made
here as well as in forms_engine/security.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from forms_engine.extensions import db

from .conftest import make_app
from .helpers import BrowserClient, Page, definitions, location, submit, walk_to_check_answers

NONCE = re.compile(r"'nonce-([A-Za-z0-9_-]+)'")


def expected_csp(nonce: str) -> str:
    return (
        "default-src 'self'; "
        f"script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        "font-src 'self'; "
        "connect-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


SAME_ON_EVERY_RESPONSE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), geolocation=(), microphone=()",
}


def header_nonce(page: Page | TestResponse) -> str:
    response = page.response if isinstance(page, Page) else page
    match = NONCE.search(response.headers["Content-Security-Policy"])
    assert match, response.headers["Content-Security-Policy"]
    return match.group(1)


def inline_script_nonces(page: Page) -> set[str | None]:
    """The nonce of every inline script: each must have one, or the browser would refuse it."""
    return {script.get("nonce") for script in page.soup.find_all("script") if not script.get("src")}


def a_slug(app: Flask) -> str:
    return definitions(app)[0].slug


def first_question(client: BrowserClient, slug: str) -> str:
    client.get(f"/{slug}/")
    return location(client.post(f"/{slug}/start"))


def test_every_kind_of_page_sends_the_content_security_policy_with_its_own_nonce(
    client: BrowserClient, app: Flask
) -> None:
    definition = definitions(app)[0]
    slug = definition.slug
    pages = {
        "index": client.get("/"),
        "start": client.get(f"/{slug}/"),
        "question": client.get(first_question(client, slug)),
        "not found": client.get("/no-such-form/"),
    }
    pages["check answers"] = walk_to_check_answers(client, definition)
    pages["confirmation"] = submit(client, definition)

    nonces = []
    for name, page in pages.items():
        nonce = header_nonce(page)
        assert page.response.headers["Content-Security-Policy"] == expected_csp(nonce), name
        assert inline_script_nonces(page) == {nonce}, name
        nonces.append(nonce)
    assert len(set(nonces)) == len(nonces), "a nonce was used twice"


def test_the_same_page_gets_a_different_nonce_on_the_next_request(client: BrowserClient) -> None:
    first, second = client.get("/"), client.get("/")
    assert header_nonce(first) != header_nonce(second)
    assert inline_script_nonces(second) == {header_nonce(second)}
    assert len(header_nonce(first)) >= 22  # 16 random bytes


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/{slug}/",
        "/no-such-form/",
        "/healthz",
        "/static/forms-engine.css",
        "/assets/govuk-frontend.min.css",
    ],
)
def test_every_response_sends_the_fixed_security_headers(
    client: BrowserClient, app: Flask, path: str
) -> None:
    response = client.get(path.format(slug=a_slug(app))).response
    response.close()  # static files are sent from an open file
    for name, value in SAME_ON_EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"] == expected_csp(header_nonce(response))
    assert "Strict-Transport-Security" not in response.headers


def test_pages_showing_answers_are_never_cached(client: BrowserClient, app: Flask) -> None:
    definition = definitions(app)[0]
    question = client.get(first_question(client, definition.slug))
    check_answers = walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    for name, page in [
        ("question", question),
        ("check answers", check_answers),
        ("confirmation", confirmation),
    ]:
        assert page.status == 200, name
        assert page.response.headers.get("Cache-Control") == "no-store", name


def test_a_question_page_with_errors_is_not_cached_either(client: BrowserClient, app: Flask) -> None:
    url = first_question(client, a_slug(app))
    client.get(url)
    page = client.post(url, data={})
    assert page.status == 200 and page.error_summary()
    assert page.response.headers.get("Cache-Control") == "no-store"


def test_strict_transport_security_is_sent_only_over_https(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'https.sqlite'}", HTTPS=True)
    try:
        client = BrowserClient(app)
        for path in ("/", f"/{a_slug(app)}/", "/no-such-form/"):
            response = client.get(path, base_url="https://localhost").response
            assert response.headers.get("Strict-Transport-Security") == (
                "max-age=31536000; includeSubDomains"
            ), path
        fresh = BrowserClient(app)
        start = fresh.get(f"/{a_slug(app)}/", base_url="https://localhost")
        assert [c for c in session_cookies(start, app) if "; Secure" in c]
    finally:
        with app.app_context():
            db.engine.dispose()


def session_cookies(page: Page, app: Flask) -> list[str]:
    name = app.config["SESSION_COOKIE_NAME"]
    return [c for c in page.response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    """The attributes of a Set-Cookie header, names lower-cased: {"httponly": "", "path": "/"…}."""
    attributes = {}
    for part in set_cookie.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def test_the_session_cookie_is_http_only_and_same_site_lax(client: BrowserClient, app: Flask) -> None:
    slug = a_slug(app)
    client.get(f"/{slug}/")
    started = client.post(f"/{slug}/start")
    cookies = session_cookies(started, app)
    assert len(cookies) == 1, started.response.headers.getlist("Set-Cookie")
    attributes = cookie_attributes(cookies[0])
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["path"] == "/"


def test_answers_are_never_put_in_a_cookie(client: BrowserClient, app: Flask) -> None:
    """Answers live in the database; the cookie holds only the journey's random id."""
    distinctive = "Zebedee Quaggaworth"
    slug = a_slug(app)
    url = first_question(client, slug)
    page = client.get(url)
    field = page.soup.select_one("main form input[type=text]")
    assert field is not None, url
    answered = client.post(url, data={field["name"]: distinctive})
    assert answered.status == 302, answered.error_summary()
    shown_again = client.get(url)
    assert shown_again.soup.select_one(f"[name={field['name']}]")["value"] == distinctive

    set_cookies = [
        header for p in (answered, shown_again) for header in p.response.headers.getlist("Set-Cookie")
    ]
    for header in set_cookies:
        assert distinctive.lower() not in header.lower()
    # The session cookie is signed and may be compressed: look inside it too.
    cookie = client.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    session = serializer.loads(cookie.value)
    assert distinctive not in repr(session)
    # The journeys' ids, when each was last used (for the idle timeout) and the CSRF token.
    assert set(session) <= {"journeys", "journeys_seen", "csrf_token"}, session
    for prefix, seen in session.get("journeys_seen", {}).values():
        assert isinstance(prefix, str) and isinstance(seen, int | float), session


@pytest.mark.parametrize("where", ["start", "question", "check answers"])
def test_a_post_without_a_csrf_token_gets_a_gov_uk_error_page(
    client: BrowserClient, app: Flask, where: str
) -> None:
    definition = definitions(app)[0]
    slug = definition.slug
    url = {
        "start": f"/{slug}/start",
        "question": first_question(client, slug),
        "check answers": f"/{slug}/check-answers",
    }[where]
    if where == "check answers":
        walk_to_check_answers(client, definition)
    page = client.post(url, data={}, csrf=False)
    assert page.status == 400
    assert page.response.mimetype == "text/html"
    assert page.h1 == "Sorry, there is a problem with the service"
    assert page.title == "Sorry, there is a problem with the service \N{EN DASH} GOV.UK"
    assert page.soup.select_one("header.govuk-template__header") is not None
    assert "Traceback" not in page.response.get_data(as_text=True)
    assert page.response.headers["Content-Security-Policy"] == expected_csp(header_nonce(page))
