"""File uploads through the app: files are judged by their content, size and number, scanned (failing
closed), stored in the local or database store, listed and removable on their page, shown on check
answers, linked to the submission; and a request that is too large gets the GOV.UK 413 page, from the
test client and from a real server."""

from __future__ import annotations

import copy
import http.client
import io
import json
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from forms_engine.extensions import db
from forms_engine.files.storage import LocalFileStore
from forms_engine.submissions.models import FileBlob, JourneyState, Submission, UploadedFile

from .components import BASE
from .conftest import _reset_postgres, make_app
from .helpers import EXAMPLE_PDF, BrowserClient, Page, location, submit
from .pg import find_free_port

SLUG = "upload-test"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(50)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(50)
MB = 1024 * 1024

DEFINITION: dict[str, Any] = {
    **copy.deepcopy(BASE),
    "slug": SLUG,
    "pages": [
        {
            "id": "name",
            "path": "/name",
            "title": "Your name",
            "components": [{"id": "name", "type": "TextField", "name": "name", "title": "Your name"}],
        },
        {
            "id": "evidence",
            "path": "/evidence",
            "title": "Upload your evidence",
            "components": [
                {
                    "id": "evidence",
                    "type": "FileUploadField",
                    "name": "evidence",
                    "title": "Upload your evidence",
                    "shortTitle": "Evidence",
                    "hint": "A PDF, JPG or PNG, smaller than 1MB. Up to 3 files.",
                    "options": {"accept": ["pdf", "jpeg", "png"], "maxSizeMb": 1, "maxFiles": 3},
                }
            ],
        },
        {
            "id": "plan",
            "path": "/plan",
            "title": "Upload a site plan",
            "components": [
                {
                    "id": "plan",
                    "type": "FileUploadField",
                    "name": "plan",
                    "title": "Upload a site plan",
                    "optional": True,
                    "options": {"accept": ["pdf"]},
                }
            ],
        },
    ],
}


def upload_app(database_url: str, folder: Path, **config: Any) -> Flask:
    definitions = folder / "definitions"
    definitions.mkdir(exist_ok=True)
    (definitions / f"{SLUG}.json").write_text(json.dumps(DEFINITION), encoding="utf-8")
    return make_app(database_url, FORM_DEFINITIONS_DIR=definitions, **config)


@pytest.fixture
def make_upload_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Builds the app (on SQLite, database file store) with extra settings."""
    apps: list[Flask] = []

    def build(**config: Any) -> Flask:
        app = upload_app(f"sqlite:///{tmp_path / f'db{len(apps)}.sqlite'}", tmp_path, **config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_upload_app: Callable[..., Flask]) -> Flask:
    return make_upload_app()


def files(*named: tuple[str, bytes]) -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(data), name) for name, data in named]


def at_evidence(app: Flask) -> BrowserClient:
    """A browser that has started the form and answered the first page."""
    client = BrowserClient(app)
    client.get(f"/{SLUG}/")
    client.post(f"/{SLUG}/start")
    client.get(f"/{SLUG}/name")
    response = client.post(f"/{SLUG}/name", data={"name": "Jo Bloggs"})
    assert location(response) == f"/{SLUG}/evidence"
    client.get(f"/{SLUG}/evidence")
    return client


def upload(client: BrowserClient, *named: tuple[str, bytes], page: str = "evidence") -> Page:
    field = "plan" if page == "plan" else "evidence"
    return client.post(f"/{SLUG}/{page}", data={field: files(*named)})


def listed(page: Page) -> list[str]:
    """File names in the page's list of uploaded files."""
    return [dt.get_text(strip=True) for dt in page.soup.select("main .govuk-summary-list__key")]


def rows(app: Flask) -> list[UploadedFile]:
    with app.app_context():
        found = list(db.session.scalars(select(UploadedFile).order_by(UploadedFile.created_at)))
        db.session.expunge_all()
        return found


def assert_rejected(response: Page, message: str) -> None:
    assert response.status == 200
    assert response.title.startswith("Error: ")
    assert response.error_summary() == [("#evidence", message)]
    assert response.error_messages() == [message]


# -- accepted ---------------------------------------------------------------------------------------


def test_an_upload_page_is_a_multipart_form_and_other_pages_are_not(app: Flask) -> None:
    client = at_evidence(app)
    page = client.get(f"/{SLUG}/evidence")
    form = page.soup.select_one("main form")
    assert form["enctype"] == "multipart/form-data"
    upload_input = page.soup.select_one("input[type=file]#evidence")
    assert upload_input["name"] == "evidence"
    assert upload_input.has_attr("multiple")
    assert upload_input["accept"] == ".pdf,.jpg,.jpeg,.png"
    assert not client.get(f"/{SLUG}/name").soup.select_one("main form").has_attr("enctype")


def test_a_pdf_is_accepted_listed_on_its_page_and_shown_on_check_answers(app: Flask) -> None:
    client = at_evidence(app)
    response = upload(client, ("survey report.pdf", EXAMPLE_PDF))
    assert location(response) == f"/{SLUG}/plan"
    [row] = rows(app)
    assert (row.filename, row.content_type, row.size) == (
        "survey report.pdf",
        "application/pdf",
        len(EXAMPLE_PDF),
    )
    assert row.submission_id is None

    again = client.get(f"/{SLUG}/evidence")
    assert listed(again) == ["survey report.pdf"]
    remove = again.soup.select_one("main .govuk-summary-list__actions button")
    assert remove.get_text(" ", strip=True) == "Remove survey report.pdf"
    assert remove["form"] == f"remove-file-{row.id}"

    client.post(f"/{SLUG}/plan", data={})
    check = client.get(f"/{SLUG}/check-answers")
    answers = {
        r.select_one(".govuk-summary-list__key").get_text(strip=True): r.select_one(
            ".govuk-summary-list__value"
        ).get_text(strip=True)
        for r in check.soup.select(".govuk-summary-list__row")
    }
    assert answers["Evidence"] == "survey report.pdf"
    assert answers["Upload a site plan"] == "Not answered"


def test_several_files_can_be_chosen_at_once_and_added_to_later(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF), ("map.png", PNG))
    client.get(f"/{SLUG}/evidence")
    response = upload(client, ("photo.jpg", JPEG))
    assert location(response) == f"/{SLUG}/plan"
    assert [(r.filename, r.content_type) for r in rows(app)] == [
        ("report.pdf", "application/pdf"),
        ("map.png", "image/png"),
        ("photo.jpg", "image/jpeg"),
    ]
    assert listed(client.get(f"/{SLUG}/evidence")) == ["report.pdf", "map.png", "photo.jpg"]


def test_a_page_with_files_already_uploaded_continues_without_new_ones(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    client.get(f"/{SLUG}/evidence")
    response = client.post(f"/{SLUG}/evidence", data={})
    assert location(response) == f"/{SLUG}/plan"


def test_a_single_file_question_replaces_its_file(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    client.get(f"/{SLUG}/plan")
    upload(client, ("first plan.pdf", EXAMPLE_PDF), page="plan")
    page = client.get(f"/{SLUG}/plan")
    assert not page.soup.select_one("input[type=file]#plan").has_attr("multiple")
    response = upload(client, ("second plan.pdf", EXAMPLE_PDF), page="plan")
    assert location(response) == f"/{SLUG}/check-answers"
    assert [r.filename for r in rows(app) if r.component == "plan"] == ["second plan.pdf"]


# -- rejected ---------------------------------------------------------------------------------------


def test_no_file_for_a_required_upload_is_refused(app: Flask) -> None:
    client = at_evidence(app)
    assert_rejected(client.post(f"/{SLUG}/evidence", data={}), "Select evidence")
    # An empty file input, as a browser sends it when nothing was chosen.
    assert_rejected(upload(client, ("", b"")), "Select evidence")


def test_a_png_renamed_to_pdf_is_refused_by_its_content(app: Flask) -> None:
    client = at_evidence(app)
    assert_rejected(upload(client, ("report.pdf", PNG)), "The selected file must be a PDF, JPG or PNG")
    assert rows(app) == []


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.txt", b"plain text"),
        ("photo.gif", b"GIF89a" + bytes(20)),
        ("report", b"MZ\x90\x00" + bytes(20)),
        ("report.pdf", b"%PDX-1.4 not really"),
    ],
)
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(app: Flask, name: str, data: bytes) -> None:
    client = at_evidence(app)
    assert_rejected(upload(client, (name, data)), "The selected file must be a PDF, JPG or PNG")


def test_a_pdf_whose_browser_declared_another_type_is_still_accepted(app: Flask) -> None:
    client = at_evidence(app)
    response = client.post(
        f"/{SLUG}/evidence",
        data={"evidence": (io.BytesIO(EXAMPLE_PDF), "report.pdf", "image/png")},
    )
    assert location(response) == f"/{SLUG}/plan"
    assert [r.content_type for r in rows(app)] == ["application/pdf"]


def upload_in_memory(client: BrowserClient, name: str, data: bytes) -> Page:
    """Post one file as a multipart body built here: the test client would spool a body this large
    to a temporary file that it never closes."""
    boundary = "----forms-engine-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{client.csrf_token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="evidence"; filename="{name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.client.post(
        f"/{SLUG}/evidence", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )
    return Page(response, BeautifulSoup(response.data, "html.parser"))


def test_a_file_over_the_size_limit_is_refused(app: Flask) -> None:
    client = at_evidence(app)
    too_big = EXAMPLE_PDF + bytes(MB + 1 - len(EXAMPLE_PDF))
    assert_rejected(
        upload_in_memory(client, "big.pdf", too_big), "The selected file must be smaller than 1MB"
    )
    just_fits = EXAMPLE_PDF + bytes(MB - len(EXAMPLE_PDF))
    assert location(upload_in_memory(client, "fits.pdf", just_fits)) == f"/{SLUG}/plan"


def test_an_empty_file_is_refused(app: Flask) -> None:
    client = at_evidence(app)
    assert_rejected(upload(client, ("report.pdf", b"")), "The selected file is empty")


def test_more_files_than_allowed_are_refused_at_once_or_over_time(app: Flask) -> None:
    client = at_evidence(app)
    four = [(f"report {i}.pdf", EXAMPLE_PDF) for i in range(4)]
    assert_rejected(upload(client, *four), "You can only upload 3 files")
    assert rows(app) == []
    upload(client, *four[:2])
    client.get(f"/{SLUG}/evidence")
    assert_rejected(upload(client, *four[2:]), "You can only upload 3 files")
    assert len(rows(app)) == 2


def test_with_several_files_chosen_the_error_names_the_bad_one_and_the_good_ones_are_kept(
    app: Flask,
) -> None:
    client = at_evidence(app)
    response = upload(client, ("report.pdf", EXAMPLE_PDF), ("map.pdf", PNG))
    assert_rejected(response, "map.pdf must be a PDF, JPG or PNG")
    assert listed(response) == ["report.pdf"]
    assert [r.filename for r in rows(app)] == ["report.pdf"]


def test_file_records_posted_by_the_browser_are_ignored(app: Flask) -> None:
    client = at_evidence(app)
    forged = [{"id": "x", "filename": "forged.pdf", "size": 1, "content_type": "application/pdf"}]
    response = client.post(f"/{SLUG}/evidence", data={"evidence": json.dumps(forged)})
    assert_rejected(response, "Select evidence")


# -- virus scanning ---------------------------------------------------------------------------------


def scanner(folder: Path, body: str) -> str:
    """A scan command: a shell script with `body`, given the file's path as $1."""
    script = folder / f"scan-{abs(hash(body))}.sh"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{script} {{path}}"


def test_a_clean_scan_accepts_the_file_and_the_scanner_sees_its_bytes(
    make_upload_app: Callable[..., Flask], tmp_path: Path
) -> None:
    seen = tmp_path / "seen.pdf"
    app = make_upload_app(VIRUS_SCAN_COMMAND=scanner(tmp_path, f'cp "$1" {seen}; exit 0'))
    client = at_evidence(app)
    assert location(upload(client, ("report.pdf", EXAMPLE_PDF))) == f"/{SLUG}/plan"
    assert seen.read_bytes() == EXAMPLE_PDF
    assert len(rows(app)) == 1


@pytest.mark.parametrize(
    ("body", "timeout", "message"),
    [
        # Only the scanner meant to time out gets the short timeout: starting a shell can take
        # longer than half a second on a busy machine, and "a virus" would then read "not checked".
        ("exit 1", 30, "The selected file contains a virus"),
        ("exit 2", 30, "The selected file could not be checked for viruses – try again"),  # noqa: RUF001
        ("kill -9 $$", 30, "The selected file could not be checked for viruses – try again"),  # noqa: RUF001
        ("sleep 30", 0.5, "The selected file could not be checked for viruses – try again"),  # noqa: RUF001
    ],
    ids=["virus found", "scanner error", "scanner crashed", "timeout"],
)
def test_a_scan_that_finds_a_virus_fails_or_times_out_rejects_the_file(
    make_upload_app: Callable[..., Flask], tmp_path: Path, body: str, timeout: float, message: str
) -> None:
    app = make_upload_app(VIRUS_SCAN_COMMAND=scanner(tmp_path, body), VIRUS_SCAN_TIMEOUT=timeout)
    client = at_evidence(app)
    started = time.monotonic()
    assert_rejected(upload(client, ("report.pdf", EXAMPLE_PDF)), message)
    assert time.monotonic() - started < 10
    assert rows(app) == []


def test_a_scan_command_that_cannot_run_rejects_the_file(make_upload_app: Callable[..., Flask]) -> None:
    app = make_upload_app(VIRUS_SCAN_COMMAND="/no/such/scanner {path}")
    client = at_evidence(app)
    assert_rejected(
        upload(client, ("report.pdf", EXAMPLE_PDF)),
        "The selected file could not be checked for viruses – try again",  # noqa: RUF001
    )


def test_the_scanned_file_is_removed_from_the_temporary_folder(
    make_upload_app: Callable[..., Flask], tmp_path: Path
) -> None:
    paths = tmp_path / "paths.txt"
    app = make_upload_app(VIRUS_SCAN_COMMAND=scanner(tmp_path, f'echo "$1" >> {paths}; exit 0'))
    upload(at_evidence(app), ("report.pdf", EXAMPLE_PDF))
    scanned = Path(paths.read_text().strip())
    assert scanned.name.startswith("forms-engine-scan-")
    assert not scanned.exists()


# -- removal ----------------------------------------------------------------------------------------


def remove(client: BrowserClient, file_id: str, page: str = "evidence", query: str = "") -> Page:
    return client.post(f"/{SLUG}/{page}{query}", data={"action": "remove-file", "file_id": file_id})


def test_the_remove_button_posts_its_own_form_to_the_same_page(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    page = client.get(f"/{SLUG}/evidence?return=check")
    [row] = rows(app)
    button = page.soup.select_one(f'button[form="remove-file-{row.id}"]')
    form = page.soup.select_one(f"form#remove-file-{row.id}")
    assert button is not None and form is not None
    assert form.find_parent("form") is None and button.find_parent("form") is not form
    assert not form.has_attr("action"), "no action: it posts to the page's own URL, query included"
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    assert fields == {"csrf_token": client.csrf_token, "action": "remove-file", "file_id": row.id}


def test_a_file_can_be_removed_and_is_deleted_from_the_store(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF), ("map.png", PNG))
    report, map_ = rows(app)
    client.get(f"/{SLUG}/evidence?return=check")
    response = remove(client, report.id, query="?return=check")
    assert response.status == 303
    assert location(response) == f"/{SLUG}/evidence?return=check"
    assert [r.filename for r in rows(app)] == ["map.png"]
    with app.app_context():
        assert db.session.get(FileBlob, report.storage_key) is None
        assert db.session.get(FileBlob, map_.storage_key) is not None
    assert listed(client.get(f"/{SLUG}/evidence")) == ["map.png"]


def test_removing_the_last_file_of_a_required_upload_makes_the_page_incomplete_again(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    client.post(f"/{SLUG}/plan", data={})
    assert client.get(f"/{SLUG}/check-answers").status == 200
    [row] = rows(app)
    client.get(f"/{SLUG}/evidence")
    remove(client, row.id)
    assert location(client.get(f"/{SLUG}/check-answers")) == f"/{SLUG}/evidence"


def test_only_the_journeys_own_files_can_be_removed(app: Flask) -> None:
    owner = at_evidence(app)
    upload(owner, ("report.pdf", EXAMPLE_PDF))
    [row] = rows(app)
    other = at_evidence(app)
    assert remove(other, row.id).status == 404
    assert remove(other, "").status == 404
    assert remove(other, "../../etc/passwd").status == 404
    assert [r.id for r in rows(app)] == [row.id]
    assert listed(owner.get(f"/{SLUG}/evidence")) == ["report.pdf"]


def test_a_file_cannot_be_removed_from_another_page(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    [row] = rows(app)
    client.get(f"/{SLUG}/plan")
    assert remove(client, row.id, page="plan").status == 404
    assert len(rows(app)) == 1


def test_a_remove_without_the_csrf_token_is_refused(app: Flask) -> None:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    [row] = rows(app)
    response = client.post(f"/{SLUG}/evidence", data={"action": "remove-file", "file_id": row.id}, csrf=False)
    assert response.status == 400
    assert len(rows(app)) == 1


# -- submission and stores --------------------------------------------------------------------------


def complete_and_send(app: Flask) -> str:
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF), ("map.png", PNG))
    client.get(f"/{SLUG}/plan")
    upload(client, ("plan.pdf", EXAMPLE_PDF), page="plan")
    client.get(f"/{SLUG}/check-answers")
    confirmation = submit(client, app.extensions["forms_engine.registry"].get(SLUG))
    reference: str = confirmation.soup.select_one(".govuk-panel__body strong").get_text(strip=True)
    return reference


@pytest.fixture(params=["local", "database"])
def store_app(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[tuple[Flask, str]]:
    """The app with each file store, on SQLite and on PostgreSQL."""
    app = upload_app(database_url, tmp_path, FILE_STORE=request.param, FILE_STORE_DIR=tmp_path / "uploads")
    yield app, request.param
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


def test_files_are_kept_in_the_configured_store_and_linked_to_the_submission(
    store_app: tuple[Flask, str], tmp_path: Path
) -> None:
    app, kind = store_app
    reference = complete_and_send(app)
    with app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        linked = list(db.session.scalars(select(UploadedFile).order_by(UploadedFile.created_at)))
        assert [f.filename for f in linked] == ["report.pdf", "map.png", "plan.pdf"]
        assert {f.submission_id for f in linked} == {submission.id}
        assert {f.journey_id for f in linked} == {submission.journey_id}
        assert [r["filename"] for r in submission.answers["evidence"]] == ["report.pdf", "map.png"]
        assert {r["id"] for r in submission.answers["evidence"]} == {f.id for f in linked[:2]}
        blobs = db.session.scalar(select(func.count()).select_from(FileBlob))
        store = app.extensions["forms_engine.file_store"]
        assert store.get(linked[0].storage_key) == EXAMPLE_PDF
        assert store.get(linked[1].storage_key) == PNG
    uploads = tmp_path / "uploads"
    if kind == "local":
        assert isinstance(store, LocalFileStore)
        assert blobs == 0
        stored = sorted(p for p in uploads.rglob("*") if p.is_file())
        assert len(stored) == 3
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in stored)
        assert all("report" not in p.name and "map" not in p.name for p in stored)
    else:
        assert blobs == 3
        assert not uploads.exists()


def test_files_on_pages_left_off_the_path_are_not_linked(app: Flask) -> None:
    """Only the files the submitted answers refer to belong to the submission."""
    client = at_evidence(app)
    upload(client, ("report.pdf", EXAMPLE_PDF))
    client.post(f"/{SLUG}/plan", data={})
    with app.app_context():
        state = db.session.scalar(select(JourneyState))
        assert state is not None
        stray = UploadedFile(
            id="f" * 32,
            journey_id=state.id,
            component="gone",
            filename="stray.pdf",
            content_type="application/pdf",
            size=1,
            sha256="0" * 64,
            storage_key="a" * 64,
        )
        db.session.add(stray)
        db.session.commit()
    client.get(f"/{SLUG}/check-answers")
    submit(client, app.extensions["forms_engine.registry"].get(SLUG))
    linked = {r.filename: r.submission_id for r in rows(app)}
    assert linked["report.pdf"] is not None
    assert linked["stray.pdf"] is None


def test_the_local_store_refuses_keys_that_are_not_its_own(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path)
    for key in ("../escape", "a/b", "", "A" * 64):
        with pytest.raises(ValueError):
            store.put(key, b"x")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_file_store_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="FILE_STORE"):
        upload_app(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path, FILE_STORE="s3")


# -- request size -----------------------------------------------------------------------------------


def assert_too_large_page(status: int, html: str) -> None:
    soup = BeautifulSoup(html, "html.parser")
    assert status == 413
    assert soup.select_one("h1").get_text(strip=True) == "What you sent was too large"
    assert soup.select_one(".govuk-header") is not None
    assert "Traceback" not in html


def test_a_request_over_the_size_limit_gets_the_govuk_413_page(make_upload_app: Callable[..., Flask]) -> None:
    # Small enough that the test client keeps the body in memory (no temporary file left open).
    app = make_upload_app(MAX_CONTENT_LENGTH=100 * 1024)
    client = at_evidence(app)
    response = upload(client, ("big.pdf", EXAMPLE_PDF + bytes(200 * 1024)))
    assert_too_large_page(response.status, response.response.get_data(as_text=True))
    assert rows(app) == []


def test_the_default_request_limit_leaves_room_for_uploads() -> None:
    from forms_engine.config import Config

    if "MAX_CONTENT_LENGTH" not in os.environ:
        assert Config.MAX_CONTENT_LENGTH == 25 * MB
    if "MAX_FORM_MEMORY_SIZE" not in os.environ:
        assert Config.MAX_FORM_MEMORY_SIZE == MB


def multipart_body(boundary: str, size: int) -> bytes:
    return (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="evidence"; filename="big.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + EXAMPLE_PDF
        + bytes(size)
        + f"\r\n--{boundary}--\r\n".encode()
    )


def text_field_body(boundary: str, size: int) -> bytes:
    return (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'.encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=b", multipart_body("b", 5 * MB)),
        # Under the request limit, but a text field over MAX_FORM_MEMORY_SIZE: refused mid-parse.
        ("multipart/form-data; boundary=b", text_field_body("b", 300 * 1024)),
        # A body without files is held to MAX_FORM_MEMORY_SIZE.
        ("application/x-www-form-urlencoded", b"name=" + b"x" * 300 * 1024),
    ],
    ids=["file over the request limit", "text field over the form limit", "form over the form limit"],
)
def test_an_oversized_post_to_a_real_server_gets_the_413_page_not_a_reset(
    make_upload_app: Callable[..., Flask], content_type: str, body: bytes
) -> None:
    """Through werkzeug's server (what `forms-engine run` uses), over a socket: the server answers 413
    and reads the rest of the body, so the browser sees the page instead of a connection reset."""
    app = make_upload_app(MAX_CONTENT_LENGTH=MB, MAX_FORM_MEMORY_SIZE=100 * 1024)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=30)
        connection.request("POST", f"/{SLUG}/evidence", body=body, headers={"Content-Type": content_type})
        response = connection.getresponse()
        assert_too_large_page(response.status, response.read().decode("utf-8"))
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_form_without_files_is_held_to_the_smaller_limit(make_upload_app: Callable[..., Flask]) -> None:
    app = make_upload_app(MAX_FORM_MEMORY_SIZE=10 * 1024)
    client = at_evidence(app)
    client.get(f"/{SLUG}/name")
    response = client.post(f"/{SLUG}/name", data={"name": "x" * 20 * 1024})
    assert_too_large_page(response.status, response.response.get_data(as_text=True))
    assert location(client.post(f"/{SLUG}/name", data={"name": "Jo"})) == f"/{SLUG}/evidence"


def answers_healthz(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def test_an_oversized_post_to_gunicorn_gets_the_413_page_not_a_reset(tmp_path: Path) -> None:
    """gunicorn (the production server) closes the connection after answering: the 413 handler reads
    the rest of the body first, or a client still sending would see a reset instead of the page."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.is_file():
        pytest.skip("gunicorn is not installed in this environment")
    port = find_free_port()
    environment = {
        **os.environ,
        "FORMS_ENGINE_INSTANCE": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "MAX_CONTENT_LENGTH": str(MB),
    }
    process = subprocess.Popen(
        [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "forms_engine:create_app()"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Until a worker answers, not only the master listens (a worker loads the app after it
        # starts, several seconds on a busy machine); as long as tests/test_production.py waits.
        deadline = time.monotonic() + 120
        while not answers_healthz(port):
            assert process.poll() is None, f"gunicorn stopped (exit {process.returncode})"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        boundary = "----forms-engine-test"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(
            "POST",
            "/badger-sett-development-licence/survey-report",
            body=multipart_body(boundary, 20 * MB),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response = connection.getresponse()
        assert_too_large_page(response.status, response.read().decode("utf-8"))
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
