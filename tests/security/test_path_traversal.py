"""Path traversal in every route that sends a file: static files, GOV.UK assets at /assets, a citizen's
uploaded file, receipts, exports, the journey map and the published schemas. Dot-dot segments,
encoded slashes and backslashes, absolute paths and NUL bytes get 404 (or 400), never a file outside,
and never a server error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from werkzeug.test import TestResponse

from forms_engine.config import ROOT

from .conftest import FORM, World

#: Files outside the folders served, and a line of each that must never appear in an answer.
CANARIES = {
    "pyproject.toml": "[project]",
    "/etc/passwd": "root:",
}
#: Ways of writing "go up" in a path, as sent on the wire (the server decodes them once).
TRAVERSALS = [
    "../{target}",
    "../../{target}",
    "../../../../../../{target}",
    "%2e%2e/%2e%2e/{target}",
    "%2e%2e%2f%2e%2e%2f{target}",
    "..%2f..%2f..%2f{target}",
    "..%5c..%5c{target_backslash}",
    "..\\..\\{target_backslash}",
    "%252e%252e%252f%252e%252e%252f{target}",
    "....//....//{target}",
    "..;/..;/{target}",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/{target}",
    "/{absolute}",
    "%2f{absolute}",
    "//{absolute}",
    "{target}%00.css",
    "govuk-frontend.min.css%00../../{target}",
    "%00",
]
#: The routes that send files, with where a path argument goes.
FILE_ROUTES = [
    "/static/{path}",
    "/assets/{path}",
    "/assets/fonts/{path}",
    "/caseworker/submissions/{reference}/files/{path}",
    "/caseworker/submissions/{path}/receipt.pdf",
    "/caseworker/forms/{path}/export.csv",
    "/caseworker/forms/" + FORM + "/export.{path}",
    "/designer/{path}/map.svg",
    "/{path}/confirmation/receipt.pdf",
    "/schemas/{path}",
]


def payloads() -> list[str]:
    found = []
    for template in TRAVERSALS:
        for target in CANARIES:
            found.append(
                template.format(
                    target=target.lstrip("/"),
                    target_backslash=target.lstrip("/").replace("/", "\\"),
                    absolute=str(ROOT / target).lstrip("/") if not target.startswith("/") else target[1:],
                )
            )
    return sorted(set(found))


def body_of(response: TestResponse) -> str:
    data = response.get_data(as_text=True)
    response.close()
    return data


def assert_no_file_outside(response: TestResponse, what: str) -> None:
    body = body_of(response)
    assert response.request.host == "localhost", what
    if response.request.path == "/caseworker/sign-in":  # not signed in: sent to sign in first
        assert response.status_code == 200, what
    else:
        assert response.status_code in (400, 404), (what, response.status_code)
    for canary in CANARIES.values():
        assert canary not in body, what


def test_the_canaries_exist() -> None:
    """Else the tests below could not see a file sent from outside."""
    for name, line in CANARIES.items():
        path = Path(name) if name.startswith("/") else ROOT / name
        assert line in path.read_text(), name


@pytest.mark.parametrize("route", FILE_ROUTES)
def test_no_file_route_sends_a_file_from_outside(world: World, route: str) -> None:
    browsers = {"caseworker": world.caseworker.client, "sender": world.sender.client}
    for payload in payloads():
        url = route.format(path=payload, reference=world.reference)
        for who, client in browsers.items():
            # Redirects (werkzeug merges repeated slashes with a 308) are followed: on this site.
            if not url.startswith("//"):  # which a client would read as a host name
                assert_no_file_outside(client.get(url, follow_redirects=True), f"{who} {url}")
            # The same, with the path handed to the app exactly as written (no client decoding).
            raw = client.get(
                "/", environ_overrides={"PATH_INFO": url.replace("%00", "\x00")}, follow_redirects=True
            )
            assert_no_file_outside(raw, f"{who} raw {url!r}")


@pytest.mark.parametrize(
    "url",
    [
        "/static/forms-engine.css",
        "/assets/govuk-frontend.min.css",
        "/schemas/form-definition.json",
    ],
)
def test_the_files_that_are_served_are_served(world: World, url: str) -> None:
    """The control: these routes do send files, so the 404s above are not because nothing works."""
    response = world.sender.client.get(url)
    assert response.status_code == 200, url
    response.close()


def test_a_citizens_file_is_sent_only_by_its_id_and_reference(world: World) -> None:
    good = f"/caseworker/submissions/{world.reference}/files/{world.file_id}"
    response = world.caseworker.client.get(good)
    assert response.status_code == 200
    response.close()
    for variant in (
        f"/caseworker/submissions/{world.reference}/files/{world.file_id}/../{world.file_id}",
        f"/caseworker/submissions/{world.reference}/files/{quote('../' + world.file_id, safe='')}",
        f"/caseworker/submissions/{world.reference}/files/{world.file_id}%00",
        f"/caseworker/submissions/{world.reference}/files/{world.file_id.upper()}",
    ):
        followed = world.caseworker.client.get(variant, follow_redirects=True)
        assert followed.status_code in (200, 404), variant
        if followed.status_code == 200:  # a client collapsing "x/../" asks for the same file
            assert followed.request.path == good, variant
        followed.close()
