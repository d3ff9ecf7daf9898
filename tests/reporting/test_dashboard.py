"""The /reports/ dashboard: admins see the whole group and can narrow it to one organisation, leads
see their own organisation only (anything else 404), other roles 404 and signed-out browsers the
sign-in page; headline figures, charts each with its data table, live forms that do not count yet,
each form's use, the navigation link, the audit log, and an empty register."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from forms_engine import form_registry
from forms_engine.caseworker import totp
from forms_engine.caseworker.models import ORGANISATIONS
from forms_engine.extensions import db
from forms_engine.reporting.measures import Report, build_report
from forms_engine.reporting.models import Feedback, JourneyMetric, PaperCount, PaperForm

from ..caseworker.conftest import audit_events, create_user, sign_in
from ..conftest import make_app
from ..helpers import BrowserClient, Page, location

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
LAND = "register-land-rural-payments"
FORMULA_TITLE = '=HYPERLINK("http://evil.example","Click")'
SCRIPT_TITLE = "<script>alert('x')</script> & co"
ACCOUNTS = {
    "admin": ("admin-reports@example.gov.uk", "admin", None),
    "lead": ("lead-apha@example.gov.uk", "lead", "APHA"),
    "lead-ne": ("lead-ne@example.gov.uk", "lead", "NE"),
    "lead-nowhere": ("lead-none@example.gov.uk", "lead", None),
    "caseworker": ("casey-reports@example.gov.uk", "caseworker", "APHA"),
    "designer": ("dee-reports@example.gov.uk", "designer", None),
}


def days_ago(days: int) -> date:
    return date.today() - timedelta(days=days)


def seed_register(app: Flask) -> None:
    """A small register with known answers (today's date moves, so dates are relative to it).

    In scope (not retired): AB1, AB2, NE1, NE2, RPA1, EA2, MMO1 = 7 forms, annual volume 6,750.
    Replaced: AB1 (poultry, live 400 days ago) and NE1 (badger, live 100 days ago) = 2 of 7,
    volume 1,500. Live but not counting: NE2 (definition not published) and RPA1 (no live date).
    EA1 is retired (left out). Defra has no forms at all."""
    now = datetime.now(UTC)
    rows = [
        ("AB1", "Poultry register", "APHA", "live-digital", POULTRY, days_ago(400), 1000),
        ("AB2", "Movement licence", "APHA", "paper-only", None, None, 3000),
        ("NE1", "Badger sett licence", "NE", "live-digital", BADGER, days_ago(100), 500),
        ("NE2", "Bat survey return", "NE", "live-digital", "not-a-published-form", days_ago(50), 200),
        ("RPA1", "Land registration", "RPA", "live-digital", LAND, None, 2000),
        ("EA1", "Old waste permit", "EA", "retired", None, None, 100),
        ("EA2", FORMULA_TITLE, "EA", "paper-only", None, None, 50),
        ("MMO1", SCRIPT_TITLE, "MMO", "in-development", None, None, 0),
    ]
    with app.app_context():
        for reference, title, organisation, status, slug, live, volume in rows:
            db.session.add(
                PaperForm(
                    reference=reference,
                    title=title,
                    organisation=organisation,
                    status=status,
                    definition_slug=slug,
                    live_date=live,
                    annual_volume=volume,
                )
            )
        db.session.flush()
        ab1 = db.session.query(PaperForm).filter_by(reference="AB1").one()
        db.session.add(PaperCount(paper_form_id=ab1.id, month=date.today().replace(day=1), count=10))
        # Four journeys: three sent after 5, 10 and 15 minutes, one left on the address page.
        for number, minutes in enumerate((5, 10, 15)):
            started = now - timedelta(days=3, hours=number)
            db.session.add(
                JourneyMetric(
                    journey_id=f"sent-{number}",
                    form_slug=POULTRY,
                    started_at=started,
                    last_page="/summary",
                    last_seen_at=started + timedelta(minutes=minutes),
                    submitted_at=started + timedelta(minutes=minutes),
                )
            )
        db.session.add(
            JourneyMetric(
                journey_id="left",
                form_slug=POULTRY,
                started_at=now - timedelta(days=2),
                last_page="/address",
                last_seen_at=now - timedelta(days=2),
            )
        )
        for number, rating in enumerate(("very-satisfied", "satisfied", "dissatisfied")):
            db.session.add(Feedback(form_slug=POULTRY, rating=rating, journey_id=f"sent-{number}"))
        db.session.commit()
        db.session.remove()


def signed_in(app: Flask, name: str) -> BrowserClient:
    """A client signed in as one of ACCOUNTS (admins with a security code)."""
    email, role, organisation = ACCOUNTS[name]
    secret = SECRET if role == "admin" else None
    create_user(app, email=email, role=role, organisation=organisation, totp_secret=secret)
    client = BrowserClient(app)
    response = sign_in(client, email)
    if secret:
        assert location(response) == "/caseworker/sign-in/security-code"
        client.get("/caseworker/sign-in/security-code")
        response = client.post(
            "/caseworker/sign-in/security-code", {"code": totp.code_at(secret, datetime.now(UTC))}
        )
    assert location(response) == "/caseworker/", location(response)
    return client


@dataclass
class World:
    app: Flask
    clients: dict[str, BrowserClient]

    def report(self, organisation: str | None = None) -> Report:
        with self.app.app_context():
            return build_report(form_registry(self.app), organisation=organisation)

    def get(self, role: str, path: str) -> Page:
        return self.clients[role].get(path)


def make_world(folder: Path, seeded: bool) -> Iterator[World]:
    app = make_app(f"sqlite:///{folder / 'reports.sqlite'}")
    if seeded:
        seed_register(app)
    clients = {name: signed_in(app, name) for name in ACCOUNTS}
    clients["signed-out"] = BrowserClient(app)
    yield World(app, clients)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("reports"), seeded=True)


@pytest.fixture(scope="module")
def empty_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("reports-empty"), seeded=False)


def table(page: Page, name: str) -> list[dict[str, str]]:
    """A data table's rows as column header -> cell text."""
    found = page.soup.select_one(f'table[data-table="{name}"]')
    assert found is not None, f"no table {name}"
    headers = [th.get_text(" ", strip=True) for th in found.select("thead th")]
    return [
        dict(zip(headers, [cell.get_text(" ", strip=True) for cell in row.select("th, td")], strict=True))
        for row in found.select("tbody tr")
    ]


def references(page: Page) -> set[str]:
    return {row["Reference"] for row in table(page, "per-form")}


# -- access ---------------------------------------------------------------------------------------

PAGES = ["/reports/", "/reports/?organisation=APHA", "/reports/per-form.csv", "/reports/organisations.json"]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["caseworker", "designer", "lead-nowhere"])
def test_accounts_without_the_admin_or_lead_role_get_404(world: World, role: str, path: str) -> None:
    assert world.get(role, path).status == 404


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_browsers_are_sent_to_the_sign_in_page(world: World, path: str) -> None:
    response = world.get("signed-out", path)
    assert response.status == 302
    assert location(response).startswith("/caseworker/sign-in")


@pytest.mark.parametrize(
    "path",
    [
        "/reports/?organisation=NE",
        "/reports/?organisation=Defra",
        "/reports/?organisation=nowhere",
        "/reports/organisations.csv?organisation=NE",
        "/reports/per-form.json?organisation=RPA",
        "/reports/trajectory.csv?organisation=nowhere",
    ],
)
def test_a_lead_asking_for_another_organisation_gets_404(world: World, path: str) -> None:
    assert world.get("lead", path).status == 404


def test_an_admin_sees_every_organisation_and_every_form(world: World) -> None:
    page = world.get("admin", "/reports/")
    assert page.status == 200
    assert page.h1 == "Conversion progress"
    assert page.soup.select_one("#scope").get_text(strip=True) == "Defra group"
    assert [row["Organisation"] for row in table(page, "organisations")] == [*ORGANISATIONS, "Defra group"]
    assert references(page) == {"AB1", "AB2", "NE1", "NE2", "RPA1", "EA1", "EA2", "MMO1"}
    assert page.soup.select_one("form#filter select#organisation") is not None
    assert page.response.headers["Cache-Control"] == "no-store"


def test_an_admin_can_narrow_the_report_to_one_organisation(world: World) -> None:
    page = world.get("admin", "/reports/?organisation=NE")
    assert page.status == 200
    assert page.soup.select_one("#scope").get_text(strip=True) == "NE"
    assert references(page) == {"NE1", "NE2"}
    assert [row["Organisation"] for row in table(page, "organisations")] == ["NE"]
    selected = page.soup.select_one("select#organisation option[selected]")
    assert selected is not None and selected["value"] == "NE"
    links = [a["href"] for a in page.soup.select("#downloads-per-form a")]
    assert links == ["/reports/per-form.csv?organisation=NE", "/reports/per-form.json?organisation=NE"]


def test_an_unknown_organisation_gives_an_admin_an_error_summary_not_a_500(world: World) -> None:
    page = world.get("admin", "/reports/?organisation=%3Cb%3Enowhere")
    assert page.status == 200
    assert page.title.startswith("Error: ")
    assert page.error_summary() == [("#organisation", "Select an organisation from the list")]
    assert page.error_messages() == ["Select an organisation from the list"]
    assert page.soup.select_one("#scope").get_text(strip=True) == "Defra group"


def test_a_lead_sees_their_own_organisation_only(world: World) -> None:
    for path in ("/reports/", "/reports/?organisation=APHA"):
        page = world.get("lead", path)
        assert page.status == 200
        assert page.soup.select_one("#scope").get_text(strip=True) == "APHA"
        assert references(page) == {"AB1", "AB2"}
        assert [row["Organisation"] for row in table(page, "organisations")] == ["APHA"]
        assert page.soup.select_one("form#filter") is None
        assert "APHA" in page.soup.select_one("#scope-note").get_text()
    other = world.get("lead-ne", "/reports/")
    assert references(other) == {"NE1", "NE2"}


def test_the_reports_link_is_in_the_navigation_of_admins_and_leads_only(world: World) -> None:
    """Caseworkers get the paper counts they record instead; designers nothing."""
    def nav_links(role: str) -> list[str]:
        page = world.get(role, "/caseworker/")
        return [a.get_text(strip=True) for a in page.soup.select(".govuk-service-navigation__list a")]

    assert nav_links("admin") == ["Reports"]
    assert nav_links("lead") == ["Reports"]
    assert nav_links("caseworker") == ["Monthly paper counts"]
    assert nav_links("designer") == []
    current = world.get("lead", "/reports/").soup.select_one(".govuk-service-navigation__list a")
    assert current["href"] == "/reports/" and current["aria-current"] == "true"


# -- content --------------------------------------------------------------------------------------


def test_the_headline_figures_are_the_known_answers(world: World) -> None:
    page = world.get("admin", "/reports/")
    blocks = page.soup.select("#headlines [data-headline]")
    by_count, by_volume = ([p.get_text(" ", strip=True) for p in block.select("p")] for block in blocks)
    # 2 of the 7 forms in scope (the retired one is left out), 1,500 of 6,750 a year.
    assert by_count[:2] == ["28.6%", "2 of 7 paper forms in scope"]
    assert by_volume[:2] == ["22.2%", "1,500 of 6,750 paper forms a year"]
    assert by_count[2] == by_volume[2] == "Target met"
    assert "20%" in page.soup.select_one("#target").get_text()
    assert "31 March 2025" in page.soup.select_one("#target").get_text()
    apha = world.get("lead", "/reports/").soup.select("#headlines [data-headline] [data-share]")
    assert [p.get_text(strip=True) for p in apha] == ["50%", "25%"]


def test_the_organisation_table_matches_the_measures(world: World) -> None:
    rows = {row["Organisation"]: row for row in table(world.get("admin", "/reports/"), "organisations")}
    assert rows["APHA"]["Paper forms in scope"] == "2"
    assert rows["APHA"]["Share replaced (by count)"] == "50.0%"
    assert rows["NE"]["Share replaced (by volume)"] == "71.4%"  # 500 of 700
    assert rows["Defra"]["Share replaced (by count)"] == "No data"
    assert rows["EA"]["Paper forms in scope"] == "1"  # the retired one left out


def test_each_chart_is_an_accessible_svg_followed_by_its_data_table(world: World) -> None:
    page = world.get("admin", "/reports/")
    for name, table_name in (
        ("count", "organisations"),
        ("volume", "organisations"),
        ("trajectory", "trajectory"),
    ):
        svg = page.soup.select_one(f"#chart-{name} svg")
        assert svg is not None, name
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert svg.select_one(f"title#{title_id}").get_text(strip=True)
        assert "table" in svg.select_one(f"desc#{desc_id}").get_text()
        region = svg.parent  # scrolls sideways on a narrow screen rather than shrinking the text
        assert region["role"] == "region" and region["tabindex"] == "0"
        assert region["aria-labelledby"] == title_id
        following = svg.find_next("table")
        assert following["data-table"] == table_name
        assert following.select_one("caption").get_text(strip=True)
    count = page.soup.select_one("#chart-count svg")
    bars = {g["data-label"]: g for g in count.select("g.app-chart__bar")}
    assert set(bars) == {"Defra group", *ORGANISATIONS}
    assert bars["Defra"].select_one("rect") is None  # no forms in scope: no bar
    assert float(bars["APHA"].select_one("rect")["data-value"]) == 0.5


def test_the_projection_is_told_in_words(world: World) -> None:
    page = world.get("admin", "/reports/")
    sentence = page.soup.select_one("#projection").get_text(" ", strip=True)
    report = world.report()
    assert report.trajectory.met_on is not None
    assert sentence.startswith("The target of 20% by count was first met on")
    assert page.soup.select_one("#projection-headline").get_text(" ", strip=True) == sentence
    months = table(page, "trajectory")
    assert len(months) == len(report.trajectory.points)
    assert months[-1]["Share replaced (by count)"] == "28.6%"


def test_live_forms_that_do_not_count_are_listed_with_their_reasons(world: World) -> None:
    rows = {row["Reference"]: row for row in table(world.get("admin", "/reports/"), "not-counted")}
    assert set(rows) == {"NE2", "RPA1"}
    assert rows["NE2"]["Why it does not count yet"] == "definition 'not-a-published-form' is not published"
    assert rows["RPA1"]["Why it does not count yet"] == "no live date"


def test_each_forms_use_is_shown(world: World) -> None:
    rows = {row["Reference"]: row for row in table(world.get("admin", "/reports/"), "per-form")}
    poultry = rows["AB1"]
    assert poultry["Status"] == "Live digital"
    assert poultry["Counts as replaced"] == "Yes"
    assert poultry["Digital take-up"] == "0.0%"  # no online submissions, 10 on paper
    assert poultry["Completion rate"] == "75.0%"
    assert poultry["Median time to complete (minutes)"] == "10.0"
    assert poultry["Page most unfinished journeys stopped on"] == "/address"
    assert poultry["Satisfied or very satisfied"] == "66.7% of 3"
    assert rows["AB2"]["Completion rate"] == "No data"
    assert rows["EA1"]["Status"] == "Retired or out of scope"


def test_text_from_the_register_is_escaped(world: World) -> None:
    page = world.get("admin", "/reports/")
    rows = {row["Reference"]: row for row in table(page, "per-form")}
    assert rows["MMO1"]["Title"] == SCRIPT_TITLE
    assert not any("alert" in (script.string or "") for script in page.soup.find_all("script"))
    assert b"<script>alert" not in page.response.data


def test_every_table_offers_csv_and_json_downloads(world: World) -> None:
    page = world.get("admin", "/reports/")
    links = {a["href"] for a in page.soup.select("main a[href^='/reports/']")}
    for name in ("usage", "organisations", "trajectory", "not-counted", "per-form", "forms", "take-up"):
        assert f"/reports/{name}.csv" in links, name
        assert f"/reports/{name}.json" in links, name
    for link in sorted(links):
        assert world.get("admin", link).status == 200, link


def test_views_and_downloads_are_recorded_in_the_audit_log(world: World) -> None:
    before = len(audit_events(world.app))
    world.get("lead", "/reports/")
    world.get("admin", "/reports/take-up.csv?organisation=RPA")
    events = audit_events(world.app)[before:]
    assert [(e["action"], e["object_type"], e["object_id"]) for e in events] == [
        ("view", "report", "APHA"),
        ("download", "report", "take-up.csv"),
    ]
    assert events[0]["actor_email"] == ACCOUNTS["lead"][0]
    assert events[1]["detail"] == {"organisation": "RPA", "table": "take-up", "format": "csv"}


def test_no_404_is_recorded_as_a_view(world: World) -> None:
    before = len(audit_events(world.app, "view"))
    assert world.get("lead", "/reports/?organisation=NE").status == 404
    assert world.get("caseworker", "/reports/").status == 404
    assert len(audit_events(world.app, "view")) == before


def test_the_page_is_english_whatever_language_a_citizen_chose(world: World) -> None:
    client = world.clients["lead-ne"]
    client.get(f"/{POULTRY}/?lang=cy")
    page = client.get("/reports/")
    assert page.soup.html["lang"] == "en"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("admin", {"/reports/register", "/reports/paper-counts"}), ("lead", {"/reports/paper-counts"})],
)
def test_the_register_and_paper_count_screens_are_linked_when_they_exist_for_those_they_let_in(
    world: World, role: str, allowed: set[str]
) -> None:
    page = world.get(role, "/reports/")
    served = {rule.rule.rstrip("/") for rule in world.app.url_map.iter_rules()}
    linked = {a["href"] for a in page.soup.select("#related ~ ul a")}
    assert linked == allowed & served
    for path in linked:
        assert world.get(role, path).status == 200, path


# -- an empty register ------------------------------------------------------------------------------


def test_an_empty_register_gives_a_dashboard_without_charts(empty_world: World) -> None:
    page = empty_world.get("admin", "/reports/")
    assert page.status == 200
    assert page.soup.select("main svg") == []
    for name in ("count", "volume", "trajectory"):
        assert page.soup.select_one(f"#chart-{name}-none") is not None
    shares = [p.get_text(strip=True) for p in page.soup.select("#headlines [data-share]")]
    assert shares == ["no data", "no data"]
    assert "no paper forms in scope" in page.soup.select_one("#projection").get_text()
    assert page.soup.select_one("#table-per-form-empty") is not None
    assert page.soup.select_one("#table-not-counted-empty") is not None
    lead = empty_world.get("lead", "/reports/")
    assert lead.status == 200
    assert lead.soup.select_one("#scope").get_text(strip=True) == "APHA"


def test_wide_tables_scroll_in_a_focusable_region_styled_by_the_reports_stylesheet(world: World) -> None:
    page = world.get("admin", "/reports/")
    sheet = page.soup.select_one('head link[href="/reports/reports.css"]')
    assert sheet is not None and sheet["rel"] == ["stylesheet"]
    response = world.clients["signed-out"].client.get("/reports/reports.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert b".app-table-container" in response.data
    for found in page.soup.select("table[data-table]"):
        region = found.parent
        assert "app-table-container" in region["class"]
        assert region["tabindex"] == "0" and region["role"] == "region"
        assert page.soup.find(id=region["aria-labelledby"]).name == "caption"
