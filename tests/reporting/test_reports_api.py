"""/reports/api/progress and the CSV and JSON downloads of every table: the same access rules as the
dashboard (the API answers a JSON 404 to anyone who may not see it, signed out included), the
report's JSON shape, table contents equal to the measures' tables, formula cells neutralised."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from forms_engine.reporting.measures import GROUP, table_rows
from forms_engine.reporting.views import TABLE_TITLES, dashboard_tables

from .test_dashboard import FORMULA_TITLE, World, make_world

API = "/reports/api/progress"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("reports-api"), seeded=True)


def api(world: World, role: str, query: str = "") -> tuple[int, Any, str]:
    response = world.clients[role].client.get(API + query)
    return response.status_code, response.get_json(silent=True), response.mimetype


def without_time(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "generated_at"}


# -- the API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("signed-out", ""),
        ("caseworker", ""),
        ("designer", ""),
        ("lead-nowhere", ""),
        ("lead", "?organisation=NE"),
        ("lead", "?organisation=Defra"),
        ("admin", "?organisation=nowhere"),
    ],
)
def test_the_api_answers_a_json_404_to_anyone_who_may_not_see_it(world: World, role: str, query: str) -> None:
    status, data, mimetype = api(world, role, query)
    assert (status, mimetype, data) == (404, "application/json", {"error": "Not found"})


def test_the_api_gives_an_admin_the_whole_report(world: World) -> None:
    status, data, mimetype = api(world, "admin")
    assert (status, mimetype) == (200, "application/json")
    expected = world.report().as_json()
    assert without_time(data) == without_time(json.loads(json.dumps(expected)))
    assert set(data) == {
        "generated_at",
        "organisation",
        "period_start",
        "period_end",
        "group",
        "organisations",
        "trajectory",
        "forms",
        "usage",
    }
    assert data["organisation"] is None
    assert data["group"]["scope"] == GROUP
    assert (data["group"]["in_scope"], data["group"]["replaced"]) == (7, 2)
    assert data["group"]["by_count"] == pytest.approx(2 / 7)
    assert {"points", "target", "target_date", "met_on", "projected_on", "pace_per_month", "on_track"} <= set(
        data["trajectory"]
    )
    assert data["trajectory"]["target_date"] == "2025-03-31"
    first = data["trajectory"]["points"][0]
    assert set(first) == {"month", "by_count", "by_volume"} and first["month"].endswith("-01")
    assert {form["reference"] for form in data["forms"]} == {
        "AB1",
        "AB2",
        "NE1",
        "NE2",
        "RPA1",
        "EA1",
        "EA2",
        "MMO1",
    }
    poultry = next(form for form in data["forms"] if form["reference"] == "AB1")
    assert poultry["satisfaction_counts"] == {
        "very-satisfied": 1,
        "satisfied": 1,
        "neither": 0,
        "dissatisfied": 1,
        "very-dissatisfied": 0,
    }


def test_the_api_gives_a_lead_their_own_organisation(world: World) -> None:
    for query in ("", "?organisation=APHA"):
        status, data, _ = api(world, "lead", query)
        assert status == 200
        assert data["organisation"] == "APHA"
        assert [share["scope"] for share in data["organisations"]] == ["APHA"]
        assert {form["organisation"] for form in data["forms"]} == {"APHA"}
        assert (data["group"]["in_scope"], data["group"]["replaced"]) == (2, 1)


def test_an_admin_can_ask_the_api_for_one_organisation(world: World) -> None:
    status, data, _ = api(world, "admin", "?organisation=RPA")
    assert status == 200
    assert data["organisation"] == "RPA"
    assert [form["reference"] for form in data["forms"]] == ["RPA1"]
    assert data["group"]["by_count"] == 0


# -- downloads --------------------------------------------------------------------------------------


def read_csv(body: bytes) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # for Excel
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("name", list(TABLE_TITLES))
def test_every_table_downloads_as_csv_with_the_dashboards_rows(world: World, name: str) -> None:
    response = world.clients["admin"].client.get(f"/reports/{name}.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="report-{name}-defra-group-')
    assert response.headers["Cache-Control"] == "no-store"
    with world.app.test_request_context():
        headers, rows = dashboard_tables(world.report())[name]
    expected = [headers, *rows]
    got = read_csv(response.data)
    assert len(got) == len(expected)
    for got_row, expected_row in zip(got, expected, strict=True):
        assert [cell.removeprefix("'") for cell in got_row] == expected_row


@pytest.mark.parametrize("name", list(TABLE_TITLES))
def test_every_table_downloads_as_json(world: World, name: str) -> None:
    response = world.clients["lead"].client.get(f"/reports/{name}.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.get_json()
    with world.app.test_request_context():
        headers, rows = dashboard_tables(world.report("APHA"))[name]
    assert data["table"] == name
    assert data["title"] == TABLE_TITLES[name]
    assert data["organisation"] == "APHA"
    assert data["columns"] == headers
    assert data["rows"] == [dict(zip(headers, row, strict=True)) for row in rows]


def test_the_measures_tables_are_all_downloadable(world: World) -> None:
    with world.app.test_request_context():
        names = set(table_rows(world.report()))
    assert names <= set(TABLE_TITLES)


def test_csv_cells_that_would_start_a_formula_are_neutralised(world: World) -> None:
    response = world.clients["admin"].client.get("/reports/per-form.csv?organisation=EA")
    rows = read_csv(response.data)
    titles = [row[1] for row in rows[1:]]
    assert f"'{FORMULA_TITLE}" in titles
    assert FORMULA_TITLE not in titles
    # Plain numbers and percentages are left alone.
    header = rows[0]
    assert all(
        not cell.startswith("'") for row in rows[1:] for cell in row[header.index("Digital take-up") :]
    )
    json_rows = world.clients["admin"].client.get("/reports/per-form.json?organisation=EA").get_json()["rows"]
    assert FORMULA_TITLE in [row["Title"] for row in json_rows]  # JSON keeps the text as it is


def test_downloads_follow_the_organisation_filter(world: World) -> None:
    response = world.clients["admin"].client.get("/reports/per-form.csv?organisation=NE")
    assert response.headers["Content-Disposition"].startswith('attachment; filename="report-per-form-ne-')
    assert sorted(row[0] for row in read_csv(response.data)[1:]) == ["NE1", "NE2"]
    lead = read_csv(world.clients["lead"].client.get("/reports/per-form.csv").data)
    assert sorted(row[0] for row in lead[1:]) == ["AB1", "AB2"]


@pytest.mark.parametrize(
    "path", ["/reports/nothing.csv", "/reports/per-form.xlsx", "/reports/per-form.csv/x"]
)
def test_an_unknown_table_or_format_is_404(world: World, path: str) -> None:
    assert world.clients["admin"].client.get(path).status_code == 404
