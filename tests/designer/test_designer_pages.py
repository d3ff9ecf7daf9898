"""The designer pages under /designer/: who may see them, the forms with their versions and their
validation and lint status, the read-only preview of any version, and the journey map."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine.config import ROOT
from forms_engine.definitions.model import definition_version
from forms_engine.designer.views import lint_function
from forms_engine.extensions import db
from forms_engine.submissions.models import FormVersion, JourneyState, Submission

from ..caseworker.conftest import create_user, sign_in
from ..conftest import make_app
from ..helpers import BrowserClient, Page, location

EXAMPLES = ROOT / "form_definitions"
POULTRY = "register-poultry-fewer-than-50-birds"
LAND = "register-land-rural-payments"
PAGES = ("/designer/", f"/designer/{LAND}/", f"/designer/{LAND}/map")


def example(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{slug}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def definitions_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    folder.mkdir()
    for path in EXAMPLES.glob("*.json"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture
def designer_app(tmp_path: Path, definitions_dir: Path) -> Iterator[Flask]:
    app = app_on(definitions_dir, tmp_path / "designer.sqlite")
    yield app
    with app.app_context():
        db.engine.dispose()


def app_on(folder: Path, database: Path) -> Flask:
    """The app serving the definitions in `folder`. Admins may sign in without an authenticator
    app here: the caseworker tests cover security codes, these the designer pages."""
    return make_app(f"sqlite:///{database}", FORM_DEFINITIONS_DIR=folder, CASEWORKER_TOTP_REQUIRED_ROLES="")


def signed_in(app: Flask, role: str) -> BrowserClient:
    email = f"{role}@example.gov.uk"
    create_user(app, email=email, role=role, organisation=None)
    client = BrowserClient(app)
    response = sign_in(client, email)
    assert response.status == 302, response.status
    assert location(response).startswith("/caseworker/"), location(response)
    return client


def get_ok(client: BrowserClient, path: str) -> Page:
    page = client.get(path)
    assert page.status == 200, (path, page.status)
    return page


def table_rows(page: Page, selector: str) -> list[list[str]]:
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        for row in page.soup.select(f"{selector} tbody tr")
    ]


# -- who may see them ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["designer", "admin"])
def test_designers_and_admins_see_every_designer_page(designer_app: Flask, role: str) -> None:
    client = signed_in(designer_app, role)
    for path in PAGES:
        page = get_ok(client, path)
        assert page.response.headers["Cache-Control"] == "no-store"
        assert page.title.endswith("GOV.UK"), page.title
        assert page.soup.select_one("main h1") is not None


@pytest.mark.parametrize("role", ["caseworker", "lead"])
def test_other_accounts_get_404_on_every_designer_page(designer_app: Flask, role: str) -> None:
    client = signed_in(designer_app, role)
    for path in (*PAGES, f"/designer/{LAND}/map.svg"):
        assert client.get(path).status == 404, path


def test_signed_out_browsers_are_sent_to_the_sign_in_page(designer_app: Flask) -> None:
    client = BrowserClient(designer_app)
    for path in PAGES:
        page = client.get(path)
        assert page.status == 302, path
        assert location(page).startswith("/caseworker/sign-in")


def test_unknown_forms_and_versions_are_404(designer_app: Flask) -> None:
    client = signed_in(designer_app, "designer")
    assert client.get("/designer/no-such-form/").status == 404
    assert client.get("/designer/no-such-form/map").status == 404
    assert client.get(f"/designer/{LAND}/map?version=0123").status == 404
    assert client.get(f"/designer/{LAND}/versions/0123/preview").status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/designer/a%00b/",
        "/designer/%00/map",
        "/designer/%00/map.svg",
        "/designer/a%00b/versions/0123/preview",
        f"/designer/{'x' * 81}/map",
        "/designer/Not-A-Slug/",
        f"/designer/{LAND}/versions/%00/preview",
        f"/designer/{LAND}/map?version=%00",
    ],
)
def test_addresses_no_form_could_have_are_404_on_either_database(any_db_app: Flask, path: str) -> None:
    """PostgreSQL refuses text with a NUL byte: such a slug must never reach a query."""
    page = signed_in(any_db_app, "designer").get(path)
    assert page.status == 404, path
    assert page.h1 == "Page not found"


# -- forms, versions and their status ------------------------------------------------------------


def test_the_index_lists_every_form_with_its_status(designer_app: Flask) -> None:
    page = get_ok(signed_in(designer_app, "designer"), "/designer/")
    slugs = [row["data-slug"] for row in page.soup.select("#forms tbody tr")]
    assert sorted(slugs) == sorted(p.stem for p in EXAMPLES.glob("*.json"))
    for row in page.soup.select("#forms tbody tr"):
        assert row.select_one('[data-column="validation"]').get_text(strip=True) == "No problems"
        assert row.select_one('[data-column="versions"]').get_text(strip=True) == "1"
        lint = row.select_one('[data-column="lint"]').get_text(strip=True)
        lint_definition = lint_function()
        if lint_definition is None:
            assert lint == "Not available"
            continue
        findings = list(lint_definition(example(row["data-slug"])))
        expected = [
            f"{n} {level}{'s' if n != 1 else ''}"
            for level in ("error", "warning")
            if (n := sum(1 for f in findings if f.level == level))
        ]
        assert lint == (", ".join(expected) or "No problems")
        assert row.select_one("a[href$='/map']") is not None


def test_unavailable_definitions_are_listed_with_their_problems(
    designer_app: Flask, definitions_dir: Path, tmp_path: Path
) -> None:
    broken = example(POULTRY)
    broken["slug"] = "broken-form"
    del broken["pages"][0]["title"]
    (definitions_dir / "broken-form.json").write_text(json.dumps(broken), encoding="utf-8")
    (definitions_dir / "not-json.json").write_text("{", encoding="utf-8")
    app = app_on(definitions_dir, tmp_path / "broken.sqlite")
    page = get_ok(signed_in(app, "designer"), "/designer/")
    headings = [h.get_text(strip=True) for h in page.soup.select("#unavailable h3")]
    assert headings == ["broken-form", "not-json"]
    problems = table_rows(page, "#unavailable-1")
    assert ["$.pages[0]", "'title' is a required property"] in problems
    assert table_rows(page, "#unavailable-2")[0][0] == "$"
    assert "invalid JSON" in table_rows(page, "#unavailable-2")[0][1]


def test_a_form_page_lists_its_findings_with_json_paths(
    designer_app: Flask, definitions_dir: Path, tmp_path: Path
) -> None:
    data = example(POULTRY)
    data["slug"] = "partly-welsh"
    data["title"] = "Partly Welsh"
    data["pages"][0]["title"] = "What is your full name?"  # English only, in a form declaring Welsh
    (definitions_dir / "partly-welsh.json").write_text(json.dumps(data), encoding="utf-8")
    app = app_on(definitions_dir, tmp_path / "welsh.sqlite")
    client = signed_in(app, "designer")

    page = get_ok(client, "/designer/partly-welsh/")
    rows = table_rows(page, "#findings")
    assert rows, "no findings listed"
    assert any(row[2] == "$.pages[0].title" and "Welsh" in row[3] for row in rows), rows
    assert all(row[0] in ("Error", "Warning") for row in rows)
    status = page.soup.select_one("#status").get_text(" ", strip=True)
    assert re.search(r"\d+ (error|warning)", status), status

    index = get_ok(client, "/designer/")
    row = index.soup.select_one('#forms tr[data-slug="partly-welsh"]')
    summary = row.select_one(
        '[data-column="lint"]' if lint_function() is not None else '[data-column="validation"]'
    )
    assert re.search(r"\d+ (error|warning)", summary.get_text(strip=True))


def test_earlier_versions_are_listed_and_can_be_previewed_and_mapped(designer_app: Flask) -> None:
    client = signed_in(designer_app, "designer")
    # A journey records the current version; an earlier version is in the table from before.
    client.get(f"/{POULTRY}/")
    client.post(f"/{POULTRY}/start")
    earlier = example(POULTRY)
    earlier["pages"][0]["title"] = {"en": "What was your name?", "cy": "Beth oedd eich enw?"}
    old_version = definition_version(earlier)
    with designer_app.app_context():
        db.session.add(
            FormVersion(
                slug=POULTRY,
                version=old_version,
                definition=earlier,
                first_seen=datetime.now(UTC) - timedelta(days=3),
            )
        )
        db.session.commit()
        current = db.session.scalars(select(FormVersion.version).where(FormVersion.version != old_version))
        current_version = current.one()
        db.session.remove()

    page = get_ok(client, f"/designer/{POULTRY}/")
    versions = [row["data-version"] for row in page.soup.select("#versions tbody tr")]
    assert versions == [current_version, old_version]
    first, second = page.soup.select("#versions tbody tr")
    assert "Current" in first.get_text()
    assert "Current" not in second.get_text()
    assert "Not yet" not in first.get_text()

    preview_link = second.select_one("a[href$='/preview']")["href"]
    assert preview_link == f"/designer/{POULTRY}/versions/{old_version}/preview"
    preview = get_ok(client, preview_link)
    assert preview.soup.select_one("#page-1-title").get_text(strip=True) == "What was your name?"
    mapped = get_ok(client, second.select_one("a[href*='/map']")["href"])
    assert "What was your name?" in mapped.soup.select_one("#routes").get_text()
    assert "(an earlier version)" in mapped.soup.select_one("#version").get_text()

    index = get_ok(client, "/designer/")
    row = index.soup.select_one(f'#forms tr[data-slug="{POULTRY}"]')
    assert row.select_one('[data-column="versions"]').get_text(strip=True) == "2"


def test_a_stored_version_that_no_longer_validates_is_listed_but_not_shown(designer_app: Flask) -> None:
    broken = example(POULTRY)
    broken["pages"][0]["components"][0]["type"] = "NoSuchField"
    version = definition_version(broken)
    with designer_app.app_context():
        db.session.add(FormVersion(slug=POULTRY, version=version, definition=broken))
        db.session.commit()
        db.session.remove()
    client = signed_in(designer_app, "designer")
    page = get_ok(client, f"/designer/{POULTRY}/")
    row = page.soup.select_one(f'#versions tr[data-version="{version}"]')
    assert "Cannot be shown" in row.get_text()
    assert "error" in row.select_one('[data-column="validation"]').get_text()
    assert client.get(f"/designer/{POULTRY}/versions/{version}/preview").status == 404


def test_forms_no_longer_offered_keep_their_versions(designer_app: Flask) -> None:
    gone = example(POULTRY)
    gone["slug"] = "retired-form"
    with designer_app.app_context():
        db.session.add(FormVersion(slug="retired-form", version=definition_version(gone), definition=gone))
        db.session.commit()
        db.session.remove()
    client = signed_in(designer_app, "designer")
    index = get_ok(client, "/designer/")
    assert [a.get_text() for a in index.soup.select("#earlier a")] == ["retired-form"]
    page = get_ok(client, "/designer/retired-form/")
    assert "only earlier versions" in page.soup.select_one("#about").get_text()
    get_ok(client, "/designer/retired-form/map")


# -- preview and map -----------------------------------------------------------------------------


def test_the_preview_shows_every_page_and_cannot_send_anything(designer_app: Flask) -> None:
    client = signed_in(designer_app, "admin")
    form_page = get_ok(client, f"/designer/{LAND}/")
    preview = get_ok(client, form_page.soup.select_one("#preview-link")["href"])
    titles = [h.get_text(strip=True) for h in preview.soup.select("main section > h2[id]")]
    data = example(LAND)
    assert titles == ["Start page", *[p["title"] for p in data["pages"]]]
    assert not preview.soup.select("main form"), "a preview must not be sendable"
    exit_section = preview.soup.select_one(".app-preview-page--exit")
    assert "Exit page" in exit_section.get_text()
    assert "Shown only if 'Land is in England' is No" in exit_section.get_text(" ", strip=True)
    # Every question is rendered by its GOV.UK macro, label and all.
    assert preview.soup.select_one("#landInEngland") is not None or preview.soup.select(
        "input[name='landInEngland']"
    )
    with designer_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
        assert db.session.scalar(select(func.count()).select_from(JourneyState)) == 0
        db.session.remove()


def test_the_map_page_has_the_svg_inline_and_every_route_as_text(designer_app: Flask) -> None:
    client = signed_in(designer_app, "designer")
    page = get_ok(client, f"/designer/{LAND}/map")
    svg = page.soup.select_one("#map svg")
    assert svg["role"] == "img"
    assert svg.find("title").get_text().startswith("Journey map:")
    routes = table_rows(page, "#routes")
    assert [
        "Is the land in England? (/land-location)",
        "You cannot use this service (/cannot-use-this-service) – exit page, the journey ends",  # noqa: RUF001
        "If 'Land is in England' is No",
    ] in routes
    download = client.get(f"/designer/{LAND}/map.svg")
    assert download.response.mimetype == "image/svg+xml"
    assert download.response.headers["Cache-Control"] == "no-store"


def test_designer_text_is_escaped_on_every_page(
    designer_app: Flask, definitions_dir: Path, tmp_path: Path
) -> None:
    data = example(LAND)
    data["slug"] = "escaping"
    data["title"] = "<script>alert('title')</script>"
    data["pages"][2]["title"] = "<img src=x onerror=alert(1)> SBI?"
    (definitions_dir / "escaping.json").write_text(json.dumps(data), encoding="utf-8")
    app = app_on(definitions_dir, tmp_path / "escaping.sqlite")
    client = signed_in(app, "designer")
    for path in ("/designer/", "/designer/escaping/", "/designer/escaping/map"):
        page = get_ok(client, path)
        assert not page.soup.select("main script"), path
        assert not page.soup.select("main img"), path
        assert "<script>alert('title')</script>" in page.soup.get_text(), path


def test_a_designer_signing_in_from_a_designer_page_comes_back_to_it_and_home_links_there(
    tmp_path: Path,
) -> None:
    from tests.caseworker.conftest import PASSWORD

    app = make_app(f"sqlite:///{tmp_path / 'back.sqlite'}")
    create_user(app, "back-designer@example.gov.uk", role="designer", organisation=None)
    client = BrowserClient(app)
    first = client.client.get("/designer/")
    assert first.status_code == 302 and "next=/designer/" in first.headers["Location"]
    client.get(first.headers["Location"])
    response = client.post(
        first.headers["Location"], {"email": "back-designer@example.gov.uk", "password": PASSWORD}
    )
    assert response.status == 302 and response.response.headers["Location"] == "/designer/"
    home = client.get("/caseworker/")
    assert home.soup.select_one("#designer-link a")["href"] == "/designer/"
