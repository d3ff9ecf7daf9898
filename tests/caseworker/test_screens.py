"""The caseworker screens: forms with counts, a form's submissions (filters, search, pages, bulk
status change), one submission (answers, files, receipt, history, status and notes), and the
boundary: every URL of a form an account may not see answers 404, URL by URL."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select, update

from forms_engine import form_registry
from forms_engine.extensions import db
from forms_engine.submissions import exporting
from forms_engine.submissions.exporting import EXPORT_FORMATS
from forms_engine.submissions.models import JourneyState, Submission, SubmissionEvent, UploadedFile
from forms_engine.submissions.payload import submission_payload
from forms_engine.submissions.service import store_submission

from ..conftest import make_app
from ..helpers import BrowserClient, submit, walk_to_check_answers
from .conftest import audit_events, create_user, sign_in

POULTRY = "register-poultry-fewer-than-50-birds"  # APHA
BADGER = "badger-sett-development-licence"  # NE, has file uploads
LAND = "register-land-rural-payments"  # RPA


@dataclass
class World:
    app: Flask
    references: dict[str, list[str]]
    badger_file_id: str
    clients: dict[str, BrowserClient]


def send(app: Flask, slug: str) -> str:
    client = BrowserClient(app)
    definition = form_registry(app).get(slug)
    assert definition is not None
    walk_to_check_answers(client, definition)
    assert submit(client, definition).status == 200
    with app.app_context():
        reference = db.session.scalars(
            select(Submission.reference).where(Submission.form_slug == slug).order_by(Submission.id.desc())
        ).first()
        assert reference is not None
        return reference


def copy_submission(app: Flask, slug: str, reference: str, submitted_at: datetime) -> str:
    """Another submission with the same answers, sent at `submitted_at`."""
    definition = form_registry(app).get(slug)
    assert definition is not None
    with app.app_context():
        answers = db.session.scalars(
            select(Submission.answers).where(Submission.reference == reference)
        ).one()
        journey_id = f"copy-{os.urandom(8).hex()}"
        db.session.add(
            JourneyState(id=journey_id, form_slug=slug, form_version=definition.version, answers={})
        )
        db.session.commit()
        new = store_submission(journey_id, definition, answers)
        db.session.execute(
            update(Submission).where(Submission.reference == new).values(submitted_at=submitted_at)
        )
        db.session.commit()
        return new


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder: Path = tmp_path_factory.mktemp("screens")
    app = make_app(f"sqlite:///{folder / 'screens.sqlite'}")
    references = {slug: [send(app, slug)] for slug in (POULTRY, BADGER, LAND)}
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for n in range(29):  # 30 poultry submissions, one a day from 1 March 2026
        references[POULTRY].append(
            copy_submission(app, POULTRY, references[POULTRY][0], base + timedelta(days=n))
        )
    with app.app_context():
        db.session.execute(
            update(Submission)
            .where(Submission.reference == references[POULTRY][0])
            .values(submitted_at=base - timedelta(days=1))
        )
        db.session.commit()
        file_id = db.session.scalars(
            select(UploadedFile.id)
            .join(Submission, Submission.id == UploadedFile.submission_id)
            .where(Submission.reference == references[BADGER][0])
        ).first()
        assert file_id is not None
    create_user(app, "apha@example.gov.uk", organisation="APHA")
    create_user(app, "assigned@example.gov.uk", organisation=None, forms=[BADGER])
    create_user(app, "nobody@example.gov.uk", organisation=None)
    yield World(app, references, file_id, {})
    with app.app_context():
        db.engine.dispose()


def signed_in(world: World, email: str) -> BrowserClient:
    """A browser signed in as `email` (once per account: sign-in is rate limited per account)."""
    if email not in world.clients:
        client = BrowserClient(world.app)
        response = sign_in(client, email)
        assert response.status == 302, response.error_summary()
        world.clients[email] = client
    return world.clients[email]


def visible_text(html: str) -> str:
    return " ".join(html.split())


def test_the_home_page_lists_only_the_forms_of_the_accounts_organisation_with_counts(world: World) -> None:
    page = signed_in(world, "apha@example.gov.uk").get("/caseworker/")
    assert page.status == 200
    rows = page.soup.select("#forms tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == [
        "Register as a keeper of fewer than 50 poultry or other birds"
    ]
    counts = {td["data-status"]: td.get_text(strip=True) for td in rows[0].select("td[data-status]")}
    assert counts["total"] == "30"
    assert (
        int(counts["new"]) + int(counts["in-progress"]) + int(counts["done"]) + int(counts["rejected"]) == 30
    )


def test_an_account_sees_the_forms_assigned_to_it(world: World) -> None:
    page = signed_in(world, "assigned@example.gov.uk").get("/caseworker/")
    assert [a["href"] for a in page.soup.select("#forms tbody th a")] == [f"/caseworker/forms/{BADGER}/"]


def test_an_account_with_no_forms_is_told_so(world: World) -> None:
    page = signed_in(world, "nobody@example.gov.uk").get("/caseworker/")
    assert page.soup.select_one("#no-forms") is not None
    assert page.soup.select("#forms") == []


def test_submissions_are_listed_newest_first_a_page_at_a_time(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    first = client.get(f"/caseworker/forms/{POULTRY}/")
    assert first.status == 200
    assert first.soup.select_one("#result-count").get_text(strip=True) == "30 submissions"
    references = [a.get_text(strip=True) for a in first.soup.select("#submissions tbody td a")]
    assert len(references) == 25
    assert references[0] == world.references[POULTRY][-1]  # sent last, on 29 March
    second = client.get(f"/caseworker/forms/{POULTRY}/?page=2")
    more = [a.get_text(strip=True) for a in second.soup.select("#submissions tbody td a")]
    assert len(more) == 5 and not set(more) & set(references)
    assert more[-1] == world.references[POULTRY][0]
    # A page number beyond the end, or not a number, shows a real page rather than an error.
    assert client.get(f"/caseworker/forms/{POULTRY}/?page=99").status == 200
    assert client.get(f"/caseworker/forms/{POULTRY}/?page=x").status == 200


def test_submissions_can_be_filtered_by_the_days_they_were_sent(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    page = client.get(
        f"/caseworker/forms/{POULTRY}/?from-day=5&from-month=3&from-year=2026&to-day=7&to-month=3&to-year=2026"
    )
    assert page.soup.select_one("#result-count").get_text(strip=True) == "3 submissions"
    sent = [td.get_text(strip=True) for td in page.soup.select("#submissions tbody tr td:nth-of-type(3)")]
    assert [s.split(" at ")[0] for s in sent] == ["7 March 2026", "6 March 2026", "5 March 2026"]
    # Export links keep the filters.
    export = page.soup.select_one("#exports a")["href"]
    assert "from-day=5" in export and "to-day=7" in export


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from-day=31&from-month=2&from-year=2026", "from-day", "Date from must be a real date"),
        ("from-day=3&from-year=2026", "from-month", "Date from must include a month"),
        ("to-day=x&to-month=3&to-year=2026", "to-day", "Date to must be a real date"),
        (
            "from-day=9&from-month=3&from-year=2026&to-day=2&to-month=3&to-year=2026",
            "to-day",
            "Date to must be the same as or after date from",
        ),
    ],
)
def test_a_wrong_date_in_the_filters_gets_a_gov_uk_error(
    world: World, query: str, field: str, message: str
) -> None:
    page = signed_in(world, "apha@example.gov.uk").get(f"/caseworker/forms/{POULTRY}/?{query}")
    assert page.status == 200
    assert page.error_summary() == [(f"#{field}", message)]


def test_a_reference_can_be_found_however_it_is_typed(world: World) -> None:
    wanted = world.references[POULTRY][3]
    typed = wanted.replace("-", " ").lower()
    page = signed_in(world, "apha@example.gov.uk").get(f"/caseworker/forms/{POULTRY}/?reference={typed}")
    assert [a.get_text(strip=True) for a in page.soup.select("#submissions tbody td a")] == [wanted]
    none = signed_in(world, "apha@example.gov.uk").get(f"/caseworker/forms/{POULTRY}/?reference=NOPE")
    assert none.soup.select_one("#no-results").get_text(strip=True) == "No submissions match these filters."


def test_several_submissions_change_status_at_once_and_each_change_is_recorded(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    chosen = world.references[POULTRY][10:13]
    client.get(f"/caseworker/forms/{POULTRY}/")
    response = client.post(
        f"/caseworker/forms/{POULTRY}/status",
        {"reference": [*chosen, world.references[BADGER][0]], "status": "in-progress"},
    )
    assert response.status == 303
    after = client.follow(response)
    assert (
        "3 submissions marked as In progress"
        in after.soup.select_one(".govuk-notification-banner").get_text()
    )
    with world.app.app_context():
        statuses = dict(
            db.session.execute(
                select(Submission.reference, Submission.status).where(Submission.reference.in_(chosen))
            ).all()
        )
        badger = db.session.scalars(
            select(Submission.status).where(Submission.reference == world.references[BADGER][0])
        ).one()
        events = db.session.scalars(
            select(SubmissionEvent).where(SubmissionEvent.to_status == "in-progress")
        ).all()
    assert set(statuses.values()) == {"in-progress"}
    assert badger == "new"  # another form's submission is never touched from this form's page
    assert len([e for e in events if e.actor_email == "apha@example.gov.uk"]) >= 3
    changes = [e for e in audit_events(world.app, "status-change") if e["object_id"] in chosen]
    assert len(changes) == 3


def test_bulk_change_without_a_selection_or_status_explains_what_to_do(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    client.get(f"/caseworker/forms/{POULTRY}/")
    page = client.post(f"/caseworker/forms/{POULTRY}/status", {})
    assert page.status == 400
    assert page.error_summary() == [
        ("#select-all", "Select the submissions to change"),
        ("#bulk-status", "Select a status"),
    ]
    assert page.title.startswith("Error: ")


def test_a_submission_shows_its_answers_files_and_receipt_and_viewing_it_is_audited(world: World) -> None:
    reference = world.references[BADGER][0]
    client = signed_in(world, "assigned@example.gov.uk")
    page = client.get(f"/caseworker/submissions/{reference}")
    assert page.status == 200
    assert page.h1 == f"Submission {reference}"
    keys = [dt.get_text(strip=True) for dt in page.soup.select(".govuk-summary-list__key")]
    assert "Status" in keys and len(keys) > 15
    files = page.soup.select("#files a")
    assert [a.get_text(strip=True) for a in files] == ["example-1.pdf"]
    assert [e["object_id"] for e in audit_events(world.app, "view")][-1] == reference

    download = client.client.get(files[0]["href"])
    assert download.status_code == 200
    assert download.data.startswith(b"%PDF")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="example-1.pdf"')
    receipt = client.client.get(page.soup.select_one("#receipt")["href"])
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt.data)).pages)
    assert reference in text
    downloads = [(e["object_type"], e["object_id"]) for e in audit_events(world.app, "download")]
    assert ("file", world.badger_file_id) in downloads and ("receipt", reference) in downloads


def test_a_status_change_with_a_note_goes_into_the_history(world: World) -> None:
    reference = world.references[POULTRY][20]
    client = signed_in(world, "apha@example.gov.uk")
    client.get(f"/caseworker/submissions/{reference}")
    note = "Phoned the keeper <b>to check</b> the flock size.\nAll fine."
    response = client.post(f"/caseworker/submissions/{reference}/status", {"status": "done", "note": note})
    assert response.status == 303
    page = client.follow(response)
    history = page.soup.select("#history tbody tr")
    last = history[-1].get_text(" ", strip=True)
    assert "Status changed from New to Done" in last and "apha@example.gov.uk" in last
    assert history[-1].select_one(".fe-note").get_text() == note  # shown as text, not HTML
    assert history[-1].select_one(".fe-note b") is None
    # A note on its own.
    client.post(f"/caseworker/submissions/{reference}/status", {"status": "done", "note": "Letter sent."})
    page = client.get(f"/caseworker/submissions/{reference}")
    assert page.soup.select("#history tbody tr")[-1].select_one(".fe-note").get_text() == "Letter sent."
    assert [e["action"] for e in audit_events(world.app) if e["object_id"] == reference][-2:] == [
        "note",
        "view",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "new"}, "Select a new status or enter a note"),
        ({}, "Select a new status or enter a note"),
        ({"status": "lost"}, "Select a status"),
        ({"status": "done", "note": "x" * 2001}, "Note must be 2000 characters or fewer"),
    ],
)
def test_a_status_form_that_changes_nothing_or_is_wrong_gets_an_error(
    world: World, data: dict[str, str], message: str
) -> None:
    reference = world.references[POULTRY][25]
    client = signed_in(world, "apha@example.gov.uk")
    client.get(f"/caseworker/submissions/{reference}")
    page = client.post(f"/caseworker/submissions/{reference}/status", data)
    assert page.status == 400
    assert [m for _, m in page.error_summary()] == [message]
    if "note" in data:
        assert page.soup.select_one("#note").get_text() == data["note"]  # nothing typed is lost


# -- the boundary --------------------------------------------------------------------------------


def caseworker_urls(world: World, slug: str) -> list[tuple[str, str]]:
    """(method, URL) for every caseworker route that names a form or a submission, filled in for
    one of `slug`'s submissions."""
    reference = world.references[slug][0]
    file_id = world.badger_file_id if slug == BADGER else "no-such-file"
    values = {"slug": slug, "reference": reference, "file_id": file_id}
    urls = []
    for rule in world.app.url_map.iter_rules():
        if not rule.rule.startswith("/caseworker/") or not rule.arguments:
            continue
        if not rule.arguments & {"slug", "reference"}:
            continue
        # Every export format, each its own URL.
        for format in sorted(EXPORT_FORMATS) if "format" in rule.arguments else [""]:
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", str({**values, "format": format}[name]), path)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                urls.append((method, path))
    return urls


def test_every_url_of_a_form_the_account_may_not_see_answers_404(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    client.get("/caseworker/")
    tried = []
    for slug in (BADGER, LAND):
        for method, url in caseworker_urls(world, slug):
            if method == "GET":
                response = client.client.get(url)
            else:
                response = client.client.post(
                    url,
                    data={
                        "csrf_token": client.csrf_token,
                        "status": "done",
                        "reference": world.references[slug][0],
                    },
                )
            assert response.status_code == 404, (method, url, response.status_code)
            tried.append((method, url))
    # The routes the test covers: each kind of page, list, action, file, receipt and export.
    kinds = {re.sub(r"/caseworker/(forms|submissions)/[^/]+", r"/\1/X", url) for _, url in tried}
    assert {
        "/forms/X/",
        "/forms/X/status",
        "/forms/X/export.csv",
        "/forms/X/export.xlsx",
        "/forms/X/export.json",
        "/forms/X/export.zip",
        "/submissions/X",
        "/submissions/X/status",
        "/submissions/X/receipt.pdf",
    } <= kinds
    assert any(k.startswith("/submissions/X/files/") for k in kinds)
    with world.app.app_context():
        untouched = db.session.scalars(
            select(Submission.status).where(
                Submission.form_slug.in_([BADGER, LAND]), Submission.status != "new"
            )
        ).all()
    assert untouched == []


def test_a_file_of_another_forms_submission_is_not_found_under_a_submission_the_account_may_see(
    world: World,
) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    visible = world.references[POULTRY][0]
    response = client.client.get(f"/caseworker/submissions/{visible}/files/{world.badger_file_id}")
    assert response.status_code == 404
    downloads = audit_events(world.app, "download")
    assert not [
        e for e in downloads if e["actor_email"] == "apha@example.gov.uk" and e["object_type"] == "file"
    ]


def test_every_url_of_a_form_the_account_may_see_works(world: World) -> None:
    client = signed_in(world, "assigned@example.gov.uk")
    for method, url in caseworker_urls(world, BADGER):
        if method != "GET":
            continue
        # Read and closed, as a server does: a streamed export keeps its request's context until then.
        with client.client.get(url) as response:
            assert response.status_code == 200, (url, response.status_code)
            assert response.get_data()


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_caseworker_url(world: World) -> None:
    client = BrowserClient(world.app)
    for method, url in caseworker_urls(world, POULTRY):
        if method != "GET":
            continue
        response = client.client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/caseworker/sign-in")


def test_a_reference_that_does_not_exist_looks_the_same_as_one_of_another_form(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    missing = client.client.get("/caseworker/submissions/AAAA-BBBB-CCCC")
    hidden = client.client.get(f"/caseworker/submissions/{world.references[LAND][0]}")
    assert missing.status_code == hidden.status_code == 404

    def main_text(data: bytes) -> str:
        main = BeautifulSoup(data, "html.parser").select_one("main")
        assert main is not None
        return main.get_text(" ", strip=True)

    assert main_text(missing.data) == main_text(hidden.data)


def test_the_filtered_submissions_export_as_csv_and_the_export_is_audited(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    query = "from-day=10&from-month=3&from-year=2026&to-day=14&to-month=3&to-year=2026"
    page = client.get(f"/caseworker/forms/{POULTRY}/?{query}")
    links = {a.get_text(" ", strip=True).split(" of ")[0]: a["href"] for a in page.soup.select("#exports a")}
    response = client.client.get(links["CSV"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Reference"
    expected = {
        r for n, r in enumerate(world.references[POULTRY][1:]) if 10 <= n + 1 <= 14
    }  # the copies were sent on 1 March + n days
    assert {row[0] for row in rows[1:]} == expected
    [event] = [e for e in audit_events(world.app, "export") if e["detail"]["format"] == "csv"][-1:]
    assert event["form_slug"] == POULTRY and event["detail"]["count"] == 5
    assert event["detail"]["filters"]["since"] == "2026-03-10"


@pytest.mark.parametrize("format", ["xlsx", "json", "zip"])
def test_the_other_export_formats_download_whole(world: World, format: str) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    response = client.client.get(f"/caseworker/forms/{POULTRY}/export.{format}")
    assert response.status_code == 200
    if format == "json":
        payloads = json.loads(response.data)
        assert len(payloads) == 30 and {p["reference"] for p in payloads} == set(world.references[POULTRY])
    else:
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            assert archive.testzip() is None
            assert archive.namelist()


def test_the_json_export_holds_the_webhooks_payload_with_each_files_checksum(world: World) -> None:
    reference = world.references[BADGER][0]
    client = signed_in(world, "assigned@example.gov.uk")
    response = client.client.get(f"/caseworker/forms/{BADGER}/export.json?reference={reference}")
    assert response.status_code == 200
    [exported] = json.loads(response.data)
    with world.app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        files = db.session.scalars(
            select(UploadedFile).where(UploadedFile.submission_id == submission.id)
        ).all()
        expected = submission_payload(submission, files)
    assert exported == expected
    assert [f["sha256"] for f in exported["files"]] == [f.sha256 for f in files]
    assert all(len(f["sha256"]) == 64 for f in exported["files"])


def test_a_web_export_is_streamed_pulling_each_submission_as_it_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pulled = [0]
    read_records = exporting._records

    def counted(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for record in read_records(*args, **kwargs):
            pulled[0] += 1
            yield record

    monkeypatch.setattr(exporting, "_records", counted)
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 256)  # a chunk per payload
    client = signed_in(world, "apha@example.gov.uk")
    with client.client.get(f"/caseworker/forms/{POULTRY}/export.json") as response:
        assert response.status_code == 200 and response.is_streamed
        chunks = iter(response.response)
        first = next(c for c in chunks if c)
        assert 0 < pulled[0] < 5  # the first bytes leave before the rest are read
        rest = b"".join(chunks)
    assert pulled[0] == 30
    assert len(json.loads(first + rest)) == 30


def test_an_unknown_export_format_is_not_found(world: World) -> None:
    client = signed_in(world, "apha@example.gov.uk")
    assert client.client.get(f"/caseworker/forms/{POULTRY}/export.exe").status_code == 404


def test_an_admin_sees_every_form_and_its_submissions(world: World) -> None:
    from forms_engine.caseworker import clock, totp

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ"
    create_user(
        world.app, "admin-screens@example.gov.uk", role="admin", organisation=None, totp_secret=secret
    )
    client = BrowserClient(world.app)
    assert sign_in(client, "admin-screens@example.gov.uk").status == 302
    client.get("/caseworker/sign-in/security-code")
    response = client.post("/caseworker/sign-in/security-code", {"code": totp.code_at(secret, clock.now())})
    assert response.status == 302
    page = client.get("/caseworker/")
    slugs = {a["href"].split("/")[3] for a in page.soup.select("#forms tbody th a")}
    assert slugs == {POULTRY, BADGER, LAND}
    for slug in (BADGER, LAND):
        assert client.get(f"/caseworker/submissions/{world.references[slug][0]}").status == 200
