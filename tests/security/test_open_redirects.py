"""Open redirects: no parameter sends a browser to another site, however it is written.

What feeds a redirect or a link built from the request: the caseworker sign-in's `next` (the sign-in
page itself, the redirect when already signed in, after the password, after the security code), the
language switcher's links (built from the request path), the save page's `page` (its back link) and
the question pages' `return` (compared with one value only). Each hostile value is tried on each."""

from __future__ import annotations

from urllib.parse import quote, urljoin, urlsplit

import pytest

from ..caseworker.conftest import PASSWORD, create_user
from ..helpers import BrowserClient, Page
from .conftest import FORM, World

#: Values as they arrive in the application (each is sent percent-encoded, so exactly this).
HOSTILE = [
    "https://evil.example/",
    "http://evil.example",
    "HTTPS://evil.example",
    "https:evil.example",
    "//evil.example",
    "///evil.example",
    "////evil.example/caseworker/",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    " //evil.example",
    "\t//evil.example",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.domain)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/caseworker@evil.example",
    "/caseworker.evil.example/",
    "/caseworker/\\..\\..\\\\evil.example",
    "/caseworker/\r\nLocation: https://evil.example",
    "/caseworker/\nX-Injected: 1",
    "/caseworker/%0d%0aX-Injected:%201",
    "https://evil.example/caseworker/",
    "//evil.example/caseworker/",
    "/\\evil.example/caseworker/",
]
BASE = "http://localhost"
#: Also encoded twice over: what a server decoding twice would see as the hostile value.
ENCODINGS = {"once": lambda v: quote(v, safe=""), "twice": lambda v: quote(quote(v, safe=""), safe="")}


def same_site(target: str, where: str = f"{BASE}/caseworker/sign-in") -> bool:
    """Whether a browser at `where` following `target` (a Location or an href) stays on this site."""
    if any(ch in target for ch in "\r\n\t\\"):
        return False  # browsers drop or rewrite these: never let one through
    resolved = urlsplit(urljoin(where, target.strip()))
    return resolved.scheme == "http" and resolved.netloc == "localhost"


def assert_stays(page: Page, value: str, what: str) -> None:
    """A redirect within the caseworker area: home, unless `value` is itself a caseworker path (then
    at most that path, percent-encoded, on this site)."""
    assert page.status in (302, 303), (what, page.status)
    target = page.response.headers["Location"]
    assert same_site(target), (what, target)
    path = urlsplit(urljoin(BASE, target)).path
    if value.startswith("/caseworker/") and value.isprintable():
        assert path.startswith("/caseworker/"), (what, target)
    else:
        assert path == "/caseworker/", (what, target)
    assert "X-Injected" not in page.response.headers, what


@pytest.fixture(scope="module")
def password_user(world: World) -> str:
    email = "redirects@example.gov.uk"
    create_user(world.app, email=email)
    return email


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("value", HOSTILE)
def test_sign_in_next_never_leaves_the_site(
    world: World, password_user: str, value: str, encoding: str
) -> None:
    query = f"next={ENCODINGS[encoding](value)}"
    what = f"{value!r} ({encoding})"

    # The sign-in page: its form does not carry the value on.
    fresh = BrowserClient(world.app)
    page = fresh.get(f"/caseworker/sign-in?{query}")
    assert page.status == 200, what
    form = page.soup.select_one("main form[method=post]")
    assert form is not None
    assert "next=" not in form["action"] or same_site(form["action"]), (what, form["action"])
    assert "evil" not in form["action"], (what, form["action"])

    # After the password: home.
    signed_in = fresh.post(f"/caseworker/sign-in?{query}", {"email": password_user, "password": PASSWORD})
    assert_stays(signed_in, value if encoding == "once" else "", what)

    # Already signed in: home.
    again = world.caseworker.get(f"/caseworker/sign-in?{query}")
    assert_stays(again, value if encoding == "once" else "", what)


def test_a_next_inside_the_caseworker_area_is_followed(world: World, password_user: str) -> None:
    """The control: the table above fails if `next` is ignored altogether, not only when unsafe."""
    page = world.caseworker.get("/caseworker/sign-in?next=/caseworker/audit")
    assert page.status == 302 and page.response.headers["Location"] == "/caseworker/audit"


@pytest.mark.parametrize(
    "path",
    [
        "/\\evil.example/",
        "/\\evil.example/x",
        "//evil.example/",
        "///evil.example/x",
        "/\\/evil.example/",
        "/\\evil.example/?next=x",
    ],
)
def test_the_language_switcher_links_stay_on_the_site(world: World, path: str) -> None:
    """The switcher links to this page's path in the other language: a path written to make the link
    point elsewhere (a 404 page offers the switcher) must not."""
    response = world.sender.client.get("/", environ_overrides={"PATH_INFO": path})
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(response.data, "html.parser")
    links = [a["href"] for a in soup.select(".app-language-switcher a")]
    assert links, (path, response.status_code)
    for href in links:
        assert same_site(href, f"{BASE}/x/y"), (path, href)


@pytest.mark.parametrize("value", HOSTILE)
def test_the_save_pages_back_link_and_the_return_parameter_stay_on_the_site(world: World, value: str) -> None:
    citizen = world.citizen
    first_page = citizen.get(f"/{FORM}/check-answers")
    assert first_page.status == 200
    save = citizen.get(f"/{FORM}/save?page={quote(value, safe='')}")
    assert save.status == 200, value
    back = save.soup.select_one("a.govuk-back-link")
    assert back is not None and same_site(back["href"]), (value, back and back["href"])
    for link in save.soup.select("a[href], form[action]"):
        assert "evil" not in (link.get("href") or link.get("action")), (value, link)
    question = citizen.get(f"/{FORM}/check-answers?return={quote(value, safe='')}")
    assert question.status == 200, value
