"""The conversion measures on a hand-built register with known answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.definitions.loader import FormRegistry
from forms_engine.extensions import db
from forms_engine.reporting.measures import (
    GROUP,
    Report,
    add_months,
    build_report,
    month_end,
    table_rows,
)
from forms_engine.reporting.models import SATISFACTION_RATINGS, PaperForm

from .conftest import (
    BADGER,
    CAPITALS,
    LAND,
    NO_STATEMENT,
    POULTRY,
    add_feedback,
    add_journey,
    add_paper_count,
    add_paper_form,
    add_submission,
    at,
)

TODAY = date(2025, 6, 15)
NOW = at(2025, 6, 15, 12)


def build_register() -> None:
    """The data set the known answers below are worked out from (see each entry's comment)."""
    # APHA: one replaced, one on paper, one retired (out of scope), one live with lint errors.
    add_paper_form("P1", "APHA", "live-digital", 100, POULTRY, date(2024, 1, 10))
    add_paper_form("P2", "APHA", "paper-only", 300)
    add_paper_form("P3", "APHA", "retired", 1000)
    add_paper_form("P4", "APHA", "live-digital", 0, CAPITALS, date(2024, 3, 1))
    # EA: live but unpublished; live from April to mid-August 2024, then withdrawn; live without an
    # accessibility statement.
    add_paper_form("E1", "EA", "live-digital", 50, "not-there", date(2024, 2, 1))
    add_paper_form("E2", "EA", "paper-only", 150, "was-live", date(2024, 4, 1), date(2024, 8, 15))
    add_paper_form("E3", "EA", "live-digital", 200, NO_STATEMENT, date(2025, 1, 1))
    # NE: replaced in May 2025, and one on paper; neither has a known volume.
    add_paper_form("N1", "NE", "live-digital", 0, BADGER, date(2025, 5, 20))
    add_paper_form("N2", "NE", "paper-only", 0)
    # RPA: goes live after today.
    add_paper_form("R1", "RPA", "live-digital", 400, LAND, date(2025, 7, 1))
    # Defra: retired only (nothing in scope). MMO: no entries at all.
    add_paper_form("D1", "Defra", "retired", 70)
    db.session.commit()


@pytest.fixture
def report(any_db_app: Flask, registry: FormRegistry) -> Report:
    with any_db_app.app_context():
        build_register()
        return build_report(registry, today=TODAY, now=NOW, target=0.2, target_date=date(2025, 3, 31))


def test_the_group_share_counts_replaced_forms_by_number_and_by_volume(report: Report) -> None:
    group = report.group
    assert group.scope == GROUP
    # In scope: every entry but the retired P3 and D1.
    assert (group.in_scope, group.replaced) == (9, 2)  # P1 and N1
    assert (group.volume_in_scope, group.volume_replaced) == (1200, 100)
    assert group.by_count == pytest.approx(2 / 9)
    assert group.by_volume == pytest.approx(100 / 1200)
    assert group.met_by_count is True
    assert group.met_by_volume is False


def test_each_organisation_has_its_share_and_empty_scopes_have_none(report: Report) -> None:
    shares = {share.scope: share for share in report.organisations}
    assert list(shares) == ["APHA", "EA", "NE", "RPA", "MMO", "Defra"]
    assert (shares["APHA"].in_scope, shares["APHA"].replaced) == (3, 1)
    assert shares["APHA"].by_volume == pytest.approx(0.25)
    assert (shares["EA"].in_scope, shares["EA"].replaced, shares["EA"].by_count) == (3, 0, 0.0)
    # NE: the volumes are all zero, so there is no share by volume (and it is not met).
    assert shares["NE"].by_count == pytest.approx(0.5)
    assert (shares["NE"].volume_in_scope, shares["NE"].by_volume, shares["NE"].met_by_volume) == (
        0,
        None,
        False,
    )
    for empty in ("MMO", "Defra"):  # Defra's only entry is retired
        assert shares[empty].in_scope == 0
        assert (shares[empty].by_count, shares[empty].by_volume) == (None, None)
        assert not shares[empty].met_by_count


def test_live_forms_that_do_not_count_say_why(report: Report) -> None:
    forms = {form.reference: form for form in report.forms}
    assert forms["P1"].counts_as_replaced and forms["P1"].reasons == []
    assert forms["N1"].counts_as_replaced
    assert forms["P4"].reasons == ["2 accessibility lint errors"]
    assert forms["E1"].reasons == ["definition 'not-there' is not published"]
    assert forms["E3"].reasons == ["no accessibility statement link"]
    assert forms["R1"].reasons == ["goes live on 2025-07-01"]
    assert [f.reference for f in report.not_counted] == ["P4", "E1", "E3", "R1"]
    # Other statuses never count and need no reasons.
    for reference in ("P2", "P3", "E2", "N2", "D1"):
        assert not forms[reference].counts_as_replaced
        assert forms[reference].reasons == []


def test_the_trajectory_counts_each_form_from_its_live_date_until_it_was_withdrawn(report: Report) -> None:
    trajectory = report.trajectory
    # From the first live date (January 2024, before 12 months back) to this month.
    months = [p.month for p in trajectory.points]
    assert months[0] == date(2024, 1, 1) and months[-1] == date(2025, 6, 1)
    assert months == [add_months(date(2024, 1, 1), n) for n in range(18)]
    by_count = {
        p.month.strftime("%Y-%m"): round(p.by_count * 9) for p in trajectory.points if p.by_count is not None
    }
    # P1 from January 2024; E2 from April to July 2024 (withdrawn 15 August); N1 from May 2025.
    # P4 and E1, live earlier, never count: their definitions do not qualify.
    assert by_count == {
        "2024-01": 1,
        "2024-02": 1,
        "2024-03": 1,
        "2024-04": 2,
        "2024-05": 2,
        "2024-06": 2,
        "2024-07": 2,
        "2024-08": 1,
        "2024-09": 1,
        "2024-10": 1,
        "2024-11": 1,
        "2024-12": 1,
        "2025-01": 1,
        "2025-02": 1,
        "2025-03": 1,
        "2025-04": 1,
        "2025-05": 2,
        "2025-06": 2,
    }
    april = trajectory.points[3]
    assert april.by_volume == pytest.approx(250 / 1200)  # P1's 100 and E2's 150
    # 2/9 is above the 20% target: first at the end of April 2024.
    assert trajectory.met_on == date(2024, 4, 30)
    assert trajectory.projected_on is None
    assert trajectory.pace_per_month == pytest.approx(0.0)  # 2/9 in June 2024 and now


def test_the_report_as_of_an_earlier_day_does_not_count_a_form_that_was_live_later(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        build_register()
        report = build_report(registry, today=date(2024, 6, 30), target=0.2)
    forms = {form.reference: form for form in report.forms}
    assert forms["N1"].reasons == ["goes live on 2025-05-20"]
    assert not forms["N1"].counts_as_replaced
    # E2, on paper again now, was live then (from 1 April to 15 August 2024).
    assert forms["E2"].counts_as_replaced
    assert [f.reference for f in report.forms if f.counts_as_replaced] == ["P1", "E2"]
    assert report.group.replaced == 2
    assert report.trajectory.points[-1].by_count == pytest.approx(2 / 9)


def test_a_live_digital_entry_withdrawn_by_today_does_not_count(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        add_paper_form("W1", "NE", "live-digital", 10, BADGER, date(2024, 1, 1), date(2025, 2, 1))
        db.session.commit()
        report = build_report(registry, today=TODAY, target=0.2)
    (form,) = report.forms
    assert form.reasons == ["withdrawn on 2025-02-01"]
    assert report.group.replaced == 0
    january, february = (
        p for p in report.trajectory.points if p.month in (date(2025, 1, 1), date(2025, 2, 1))
    )
    assert (january.by_count, february.by_count) == (1.0, 0.0)


def test_no_forms_in_scope_gives_no_shares_and_does_not_fail(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        add_paper_form("OLD", "EA", "retired", 500)
        db.session.commit()
        report = build_report(registry, today=TODAY, target=0.2)
    assert report.group.in_scope == 0
    assert (report.group.by_count, report.group.by_volume) == (None, None)
    assert all(p.by_count is None and p.by_volume is None for p in report.trajectory.points)
    assert len(report.trajectory.points) == 13  # 12 months back to this month
    assert report.trajectory.pace_per_month is None
    assert (report.trajectory.met_on, report.trajectory.projected_on) == (None, None)
    tables = table_rows(report)
    assert tables["organisations"][1][-1][:4] == [GROUP, "0", "0", "No data"]
    assert report.as_json()["group"]["by_count"] is None


def test_the_projection_extends_the_pace_of_the_last_12_months_to_the_target(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        # 12 forms in scope; 3 went live in the last 12 months, none before: a quarter in a year.
        for number in range(12):
            add_paper_form(f"F{number}", "MMO", "paper-only", 10)
        add_paper_form("L1", "MMO", "live-digital", 10, POULTRY, date(2024, 9, 1))
        add_paper_form("L2", "MMO", "live-digital", 10, BADGER, date(2025, 1, 1))
        add_paper_form("L3", "MMO", "live-digital", 10, LAND, date(2025, 4, 1))
        db.session.commit()
        report = build_report(registry, today=TODAY, target=0.4, target_date=date(2026, 3, 31))
    trajectory = report.trajectory
    assert report.group.by_count == pytest.approx(3 / 15)
    assert trajectory.pace_per_month == pytest.approx(3 / 15 / 12)
    # 0.2 to go at 0.2 a year: one more year, 365.25 days, rounded up to a whole day.
    assert trajectory.projected_on == TODAY + timedelta(days=366)
    assert trajectory.met_on is None
    assert trajectory.on_track is False  # 2026-06-16 is after the target date


def test_a_falling_share_has_no_projection(any_db_app: Flask, registry: FormRegistry) -> None:
    with any_db_app.app_context():
        add_paper_form("A", "EA", "paper-only", 1, "gone", date(2024, 1, 1), date(2025, 1, 1))
        add_paper_form("B", "EA", "paper-only", 1)
        db.session.commit()
        report = build_report(registry, today=TODAY, target=0.75)
    assert report.trajectory.pace_per_month is not None and report.trajectory.pace_per_month < 0
    assert report.trajectory.projected_on is None
    assert report.trajectory.met_on is None


def test_an_organisation_filter_limits_every_measure_to_that_organisation(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        build_register()
        report = build_report(registry, organisation="APHA", today=TODAY, target=0.2)
    assert report.organisation == "APHA"
    assert report.group.scope == "APHA"
    assert [s.scope for s in report.organisations] == ["APHA"]
    assert (report.group.in_scope, report.group.replaced, report.group.by_count) == (
        3,
        1,
        pytest.approx(1 / 3),
    )
    assert {f.organisation for f in report.forms} == {"APHA"}
    assert [f.reference for f in report.forms] == ["P1", "P2", "P3", "P4"]
    # The trajectory is APHA's: P1 alone from January 2024.
    assert report.trajectory.points[0].by_count == pytest.approx(1 / 3)
    assert report.trajectory.points[-1].by_count == pytest.approx(1 / 3)


def test_take_up_completion_and_satisfaction_in_the_period(any_db_app: Flask, registry: FormRegistry) -> None:
    with any_db_app.app_context():
        build_register()
        p1 = db.session.scalars(select(PaperForm).filter_by(reference="P1")).one()
        # The period is July 2024 to 15 June 2025 (12 calendar months, this one included).
        for when in (at(2024, 7, 1, 0), at(2025, 1, 5), at(2025, 6, 15, 23, 59)):
            add_submission(POULTRY, when)
        add_submission(POULTRY, at(2024, 6, 30, 23, 59))  # before the period
        add_submission(BADGER, at(2025, 6, 1))
        add_paper_count(p1, date(2024, 6, 1), 10)  # before the period
        add_paper_count(p1, date(2024, 7, 1), 5)
        add_paper_count(p1, date(2025, 6, 1), 4)
        # Journeys: 3 sent (12, 30 and 20 minutes), 3 left at least an hour ago, 1 still going.
        add_journey(POULTRY, at(2025, 3, 1, 10), submitted=at(2025, 3, 1, 10, 12))
        add_journey(POULTRY, at(2025, 3, 2, 10), submitted=at(2025, 3, 2, 10, 30))
        add_journey(POULTRY, at(2025, 3, 3, 10), submitted=at(2025, 3, 3, 10, 20))
        add_journey(POULTRY, at(2025, 3, 4, 10), last_page="/address", last_seen=at(2025, 3, 4, 10, 5))
        add_journey(POULTRY, at(2025, 3, 5, 10), last_page="/address", last_seen=at(2025, 3, 5, 10, 5))
        add_journey(POULTRY, at(2025, 3, 6, 10), last_page="/birds", last_seen=at(2025, 3, 6, 10, 5))
        # Seen 10 minutes ago: may still be sent, not a drop-out (but it was started).
        add_journey(POULTRY, at(2025, 6, 15, 11), last_page="/birds", last_seen=NOW - timedelta(minutes=10))
        add_journey(POULTRY, at(2024, 6, 1), submitted=at(2024, 6, 1, 12, 1))  # before the period
        for rating in ("very-satisfied", "very-satisfied", "satisfied", "neither", "very-dissatisfied"):
            add_feedback(POULTRY, rating, at(2025, 2, 1))
        add_feedback(POULTRY, "very-dissatisfied", at(2024, 5, 1))  # before the period
        db.session.commit()
        report = build_report(registry, today=TODAY, now=NOW, target=0.2)
    assert (report.period_start, report.period_end) == (date(2024, 7, 1), TODAY)
    poultry = next(f for f in report.forms if f.reference == "P1")
    assert (poultry.online_submissions, poultry.paper_submissions) == (3, 9)
    assert poultry.digital_take_up == pytest.approx(0.25)
    assert (poultry.journeys_started, poultry.journeys_submitted) == (7, 3)
    assert poultry.completion_rate == pytest.approx(3 / 7)
    assert poultry.median_minutes_to_complete == pytest.approx(20.0)
    assert poultry.drop_out_page == "/address"
    assert poultry.satisfaction_responses == 5
    assert poultry.satisfaction_score == pytest.approx(3 / 5)
    assert poultry.satisfaction_counts == {
        "very-satisfied": 2,
        "satisfied": 1,
        "neither": 1,
        "dissatisfied": 0,
        "very-dissatisfied": 1,
    }
    assert list(poultry.satisfaction_counts) == list(SATISFACTION_RATINGS)
    badger = next(f for f in report.forms if f.reference == "N1")
    assert (badger.online_submissions, badger.paper_submissions, badger.digital_take_up) == (1, 0, 1.0)
    assert (badger.journeys_started, badger.completion_rate, badger.median_minutes_to_complete) == (
        0,
        None,
        None,
    )
    assert (badger.satisfaction_responses, badger.satisfaction_score, badger.drop_out_page) == (0, None, None)
    usage = {u.scope: u for u in report.usage}
    assert list(usage) == [GROUP, "APHA", "EA", "NE", "RPA", "MMO", "Defra"]
    assert (usage[GROUP].online_submissions, usage[GROUP].paper_submissions) == (4, 9)
    assert usage[GROUP].digital_take_up == pytest.approx(4 / 13)
    assert usage["APHA"].median_minutes_to_complete == pytest.approx(20.0)
    assert (usage["NE"].online_submissions, usage["MMO"].digital_take_up) == (1, None)


def test_a_tie_for_the_drop_out_page_goes_to_the_page_named_first(
    any_db_app: Flask, registry: FormRegistry
) -> None:
    with any_db_app.app_context():
        add_paper_form("P1", "APHA", "live-digital", 1, POULTRY, date(2024, 1, 1))
        for page in ("/b", "/a", "/b", "/a"):
            add_journey(POULTRY, at(2025, 1, 1), last_page=page, last_seen=at(2025, 1, 1))
        db.session.commit()
        report = build_report(registry, today=TODAY)
    assert report.forms[0].drop_out_page == "/a"


def test_the_target_comes_from_the_settings(tmp_path: Path, registry: FormRegistry) -> None:
    from ..conftest import make_app

    app = make_app(f"sqlite:///{tmp_path}/t.sqlite", REPORT_TARGET_SHARE=0.5, REPORT_TARGET_DATE="2026-03-31")
    with app.app_context():
        add_paper_form("P1", "APHA", "live-digital", 1, POULTRY, date(2024, 1, 1))
        add_paper_form("P2", "APHA", "paper-only", 3)
        db.session.commit()
        report = build_report(registry, today=TODAY)
        db.engine.dispose()
    assert (report.group.target, report.trajectory.target_date) == (0.5, date(2026, 3, 31))
    assert report.group.met_by_count and not report.group.met_by_volume


def test_the_tables_and_json_hold_the_same_figures(report: Report) -> None:
    tables = table_rows(report)
    assert set(tables) >= {"organisations", "trajectory", "forms", "take-up", "completion", "satisfaction"}
    for headers, rows in tables.values():
        assert all(len(row) == len(headers) for row in rows)
        assert all(isinstance(cell, str) for row in rows for cell in row)
    headers, rows = tables["organisations"]
    group = dict(zip(headers, rows[-1], strict=True))
    assert group["Organisation"] == GROUP
    assert (group["Share replaced (by count)"], group["Share replaced (by volume)"]) == ("22.2%", "8.3%")
    headers, rows = tables["forms"]
    p4 = dict(zip(headers, next(r for r in rows if r[0] == "P4"), strict=True))
    assert (p4["Counts as replaced"], p4["Why it does not count"]) == ("No", "2 accessibility lint errors")
    assert len(tables["trajectory"][1]) == len(report.trajectory.points)
    data = report.as_json()
    assert data["group"]["replaced"] == 2
    assert data["trajectory"]["met_on"] == "2024-04-30"
    assert data["trajectory"]["points"][0] == {
        "month": "2024-01-01",
        "by_count": pytest.approx(1 / 9),
        "by_volume": pytest.approx(100 / 1200),
    }
    assert data["period_start"] == "2024-07-01"
    assert isinstance(datetime.fromisoformat(data["generated_at"]), datetime)


@pytest.mark.parametrize(
    ("month", "end"),
    [
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2024, 12, 1), date(2024, 12, 31)),
    ],
)
def test_month_end(month: date, end: date) -> None:
    assert month_end(month) == end
