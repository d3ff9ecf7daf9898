"""Security headers on every GET route of the URL map (with sample values), as a browser with no
session, a citizen with a journey in progress, and a signed-in caseworker; and on the 404, 405, 413
and 500 error pages. Exact strings, from tests/test_security_headers.py (which checks the kinds of
citizen page and the nonces): this file adds the enumeration, the error pages, HTTPS on every route
and Cache-Control on every page with personal data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from ..test_security_headers import SAME_ON_EVERY_RESPONSE, expected_csp, header_nonce
from .conftest import World, rules_allowing

HSTS = "max-age=31536000; includeSubDomains"
#: A citizen's uploaded file is sent with a policy of its own: nothing in it may run or load.
FILE_CSP = "default-src 'none'; sandbox"
#: Endpoints whose pages show a citizen's answers or anything a caseworker sees: never cached.
PERSONAL = {
    "runner.question",
    "runner.repeat_item",
    "runner.repeat_summary",
    "runner.repeat_remove",
    "runner.check_answers",
    "runner.confirmation",
    "runner.receipt",
    "save_return.save",
    "save_return.sent",
    "save_return.resume",
}


def is_personal(endpoint: str) -> bool:
    return endpoint in PERSONAL or endpoint.startswith("caseworker.")


def get_rules(app: Flask) -> list:  # type: ignore[type-arg]
    return rules_allowing(app, frozenset({"GET"}))


def assert_headers(response: TestResponse, what: str, https: bool = False) -> None:
    headers = response.headers
    for name, value in SAME_ON_EVERY_RESPONSE.items():
        assert headers.get(name) == value, (what, name, headers.get(name))
    if headers.get("Content-Security-Policy") != FILE_CSP:
        assert headers.get("Content-Security-Policy") == expected_csp(header_nonce(response)), what
    if https:
        assert headers.get("Strict-Transport-Security") == HSTS, what
    else:
        assert "Strict-Transport-Security" not in headers, what


def every_get(world: World, base_url: str = "http://localhost") -> Iterator[tuple[str, str, TestResponse]]:
    """(who, endpoint, response) for every GET route, from each kind of browser."""
    browsers = {
        "no session": world.app.test_client(),
        "citizen": world.citizen.client,
        "sender": world.sender.client,
        "caseworker": world.caseworker.client,
    }
    for rule in get_rules(world.app):
        url = world.url(rule)
        for who, client in browsers.items():
            response = client.get(url, base_url=base_url)
            response.get_data()
            response.close()
            yield who, rule.endpoint, response


def test_every_get_route_sends_the_security_headers(world: World) -> None:
    statuses: dict[str, set[int]] = {}
    for who, endpoint, response in every_get(world):
        what = f"{who} {endpoint} {response.status_code}"
        assert response.status_code < 500, what
        assert_headers(response, what)
        if is_personal(endpoint) and response.status_code == 200:
            assert response.headers.get("Cache-Control") == "no-store", what
        statuses.setdefault(endpoint, set()).add(response.status_code)
    # The pages with personal data were really shown (200) to someone, not only redirects.
    shown = {endpoint for endpoint, codes in statuses.items() if 200 in codes}
    assert {
        "runner.question",
        "runner.check_answers",
        "runner.confirmation",
        "runner.receipt",
        "save_return.save",
        "caseworker.submission_detail",
        "caseworker.submission_file",
        "caseworker.submission_receipt",
        "caseworker.export_submissions",
        "caseworker.audit_log",
    } <= shown, sorted(set(statuses) - shown)


def test_a_citizens_file_keeps_its_own_sandbox_policy(world: World) -> None:
    response = world.caseworker.client.get(f"/caseworker/submissions/{world.reference}/files/{world.file_id}")
    assert response.status_code == 200
    response.close()
    assert response.headers["Content-Security-Policy"] == FILE_CSP
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert_headers(response, "file")


def test_every_get_route_sends_strict_transport_security_over_https(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(world.app.config, "HTTPS", True)
    for who, endpoint, response in every_get(world, base_url="https://localhost"):
        assert_headers(response, f"{who} {endpoint} {response.status_code}", https=True)


def test_error_pages_send_the_security_headers(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = world.citizen.client
    pages: dict[int, TestResponse] = {
        404: client.get("/no-such-form/no-such-page/"),
        405: client.get("/caseworker/forms/badger-sett-development-licence/status"),
        413: client.post(
            "/badger-sett-development-licence/check-answers",
            data={"big": "x" * (world.app.config["MAX_CONTENT_LENGTH"] + 1)},
        ),
    }

    def broken() -> str:
        raise RuntimeError("a bug")

    monkeypatch.setitem(world.app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(world.app.view_functions, "runner.index", broken)
    pages[500] = client.get("/")
    for status, response in pages.items():
        assert response.status_code == status, (status, response.status_code)
        assert response.mimetype == "text/html", status
        assert_headers(response, f"error {status}")
