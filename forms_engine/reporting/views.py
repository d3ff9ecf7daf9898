"""The conversion progress dashboard under /reports/: headline figures against the target, the share
replaced by organisation and month by month (each chart an accessible SVG with its data table),
live forms that do not count yet and why, and each form's use; CSV and JSON downloads of every
table; and the JSON API /reports/api/progress.

Admins see the whole group and may narrow it to one organisation (`?organisation=APHA`); leads see
their own organisation only (any other answers 404). Everyone else gets 404 and signed-out browsers
the sign-in page (the API answers a JSON 404 instead). Every view and download is recorded in the
audit log. English only, `Cache-Control: no-store`, as the caseworker pages.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, render_template, request
from markupsafe import Markup
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..caseworker import audit, auth
from ..caseworker.models import ORGANISATIONS, User
from ..extensions import db
from ..i18n import format_date
from ..submissions.export import BOM, LINE_END, neutralise
from . import charts
from .measures import GROUP, Report, Share, Trajectory, build_report, percent, table_rows

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: Roles that may see reports: admins everything, leads their own organisation.
ROLES = ("admin", "lead")
SELECT_ORGANISATION = "Select an organisation from the list"
#: Paths of the register and paper-count screens (another part of the reporting area), linked from
#: the dashboard when the app serves them.
#: (path, link text, purpose, roles shown the link: those the screen lets in).
RELATED_PAGES = (
    ("/reports/register", "Paper-form register", "see and change the paper forms in scope", ("admin",)),
    (
        "/reports/paper-counts",
        "Monthly paper counts",
        "record the paper forms received each month",
        ("admin", "lead"),
    ),
)
STATUS_NAMES = {
    "paper-only": "Paper only",
    "in-development": "In development",
    "live-digital": "Live digital",
    "retired": "Retired or out of scope",
}
#: A projection further ahead than this is told in words but not drawn (it would squash the chart).
PROJECTION_MONTHS_DRAWN = 60
#: Titles of the downloadable tables (the dashboard's and the measures' own).
TABLE_TITLES = {
    "organisations": "Share replaced by organisation",
    "trajectory": "Share replaced month by month",
    "not-counted": "Live forms that do not count yet",
    "per-form": "Each form's use",
    "forms": "Paper-form register and what counts",
    "take-up": "Digital take-up",
    "completion": "Completion",
    "satisfaction": "Satisfaction",
    "usage": "Use by organisation",
}

#: The dashboard's few styles (the CSP allows no inline styles): wide tables, and charts (never drawn
#: smaller than their own size, so their text stays legible), scroll sideways on narrow screens in a
#: focusable region (so keyboard users can scroll them too), with GOV.UK's focus style.
STYLESHEET = """\
.app-table-container { overflow-x: auto; margin-bottom: 20px; }
.app-table-container:focus {
  outline: 3px solid #ffdd00; outline-offset: 0; box-shadow: inset 0 0 0 4px #0b0c0c;
}
.app-table-container .govuk-table { margin-bottom: 15px; }
.app-chart-container { overflow-x: auto; }
.app-chart-container:focus {
  outline: 3px solid #ffdd00; outline-offset: 0; box-shadow: inset 0 0 0 4px #0b0c0c;
}
.app-chart { display: block; min-width: 760px; max-width: 960px; }
"""

ResponseLike = Response | WerkzeugResponse | str | tuple[str, int]
Table = tuple[list[str], list[list[str]]]


# -- who sees what ---------------------------------------------------------------------------------


def _user() -> User:
    user = auth.current_user()
    assert user is not None  # login_required ran first
    return user


class NotAllowed(Exception):
    """The account may not see the report it asked for (answered with 404)."""


class UnknownOrganisation(ValueError):
    """An admin asked for an organisation that does not exist."""


def scope_for(user: User, asked: str) -> str | None:
    """The organisation a report is for: None for the whole group. Admins may ask for any
    organisation (UnknownOrganisation for one that does not exist); leads get their own, and
    NotAllowed when they ask for another; every other role (or a lead without an organisation)
    gets NotAllowed."""
    asked = asked.strip()
    if user.role == "admin":
        if not asked:
            return None
        if asked not in ORGANISATIONS:
            raise UnknownOrganisation(asked)
        return asked
    if user.role == "lead" and user.organisation and asked in ("", user.organisation):
        return user.organisation
    raise NotAllowed(asked)


def _scope_or_404(user: User) -> str | None:
    try:
        return scope_for(user, request.args.get("organisation", ""))
    except (NotAllowed, UnknownOrganisation):
        abort(404)


# -- tables ----------------------------------------------------------------------------------------


def dashboard_tables(report: Report) -> dict[str, Table]:
    """Every table the dashboard shows or offers for download: the measures' tables and the
    dashboard's own two (live forms that do not count yet, and each form's use)."""
    tables = dict(table_rows(report))
    tables["not-counted"] = (
        ["Reference", "Title", "Organisation", "Definition", "Why it does not count yet"],
        [
            [f.reference, f.title, f.organisation, f.definition_slug or "", "; ".join(f.reasons)]
            for f in report.not_counted
        ],
    )
    tables["per-form"] = (
        [
            "Reference",
            "Title",
            "Organisation",
            "Status",
            "Counts as replaced",
            "Digital take-up",
            "Completion rate",
            "Median time to complete (minutes)",
            "Page most unfinished journeys stopped on",
            "Satisfied or very satisfied",
        ],
        [
            [
                f.reference,
                f.title,
                f.organisation,
                STATUS_NAMES.get(f.status, f.status),
                "Yes" if f.counts_as_replaced else "No",
                percent(f.digital_take_up),
                percent(f.completion_rate),
                "No data" if f.median_minutes_to_complete is None else f"{f.median_minutes_to_complete:.1f}",
                f.drop_out_page or "",
                _satisfaction(f.satisfaction_score, f.satisfaction_responses),
            ]
            for f in report.forms
        ],
    )
    return {name: tables[name] for name in TABLE_TITLES if name in tables} | {
        name: table for name, table in tables.items() if name not in TABLE_TITLES
    }


def _satisfaction(score: float | None, responses: int) -> str:
    if score is None:
        return "No data"
    return f"{percent(score)} of {responses}"


def numeric_columns(table: Table) -> list[bool]:
    """Which columns hold only numbers or percentages (aligned right, as GOV.UK tables do)."""
    headers, rows = table
    if not rows:
        return [False] * len(headers)

    def numeric(cell: str) -> bool:
        text = cell.replace(",", "").removesuffix("%")
        if cell in ("No data", ""):
            return True
        try:
            float(text)
        except ValueError:
            return False
        return True

    return [
        index > 0 and all(numeric(row[index]) for row in rows) and any(row[index] for row in rows)
        for index in range(len(headers))
    ]


# -- charts and words ----------------------------------------------------------------------------


def _share_bar(share: Share, by_volume: bool) -> charts.Bar:
    if by_volume:
        value, part, whole = share.by_volume, share.volume_replaced, share.volume_in_scope
        empty = "no paper volume recorded"
        words = f"{charts.format_share(value)} ({part:,} of {whole:,} a year)"
    else:
        value, part, whole = share.by_count, share.replaced, share.in_scope
        empty = "no forms in scope"
        words = f"{charts.format_share(value)} ({part} of {whole})"
    return charts.Bar(share.scope, value, empty if value is None else words)


def organisation_chart(report: Report, by_volume: bool = False) -> Markup | None:
    """The share replaced per organisation (and for the group, when the report is for all of it)."""
    shares = list(report.organisations)
    if report.organisation is None:
        shares.insert(0, report.group)
    if not shares or all(s.in_scope == 0 for s in shares):
        return None
    kind = "weighted by annual paper volume" if by_volume else "by count"
    bars = [_share_bar(share, by_volume) for share in shares]
    described = "; ".join(f"{bar.label}: {bar.value_text}" for bar in bars)
    return charts.bar_chart(
        bars,
        title=f"Share of paper forms replaced {kind}, by organisation",
        description=(
            f"Horizontal bars, one per organisation, against a target of "
            f"{charts.format_share(report.group.target)} shown as a dashed line. {described}. "
            "The same figures are in the table below the chart."
        ),
        target=report.group.target,
        id_prefix="chart-volume-" if by_volume else "chart-count-",
    )


def projection_end(trajectory: Trajectory) -> date | None:
    """The month the projection line ends on the chart: the projected month, if not too far."""
    if trajectory.projected_on is None or not trajectory.points:
        return None
    last = trajectory.points[-1].month
    end = trajectory.projected_on.replace(day=1)
    if charts.add_months(last, PROJECTION_MONTHS_DRAWN) < end:
        return None
    return end


def trajectory_chart(report: Report) -> Markup | None:
    trajectory = report.trajectory
    points = trajectory.points
    if report.group.in_scope == 0 or not points:
        return None
    count = charts.Series("By count", [(p.month, p.by_count) for p in points], charts.BLUE, "circle")
    volume = charts.Series(
        "By volume", [(p.month, p.by_volume) for p in points], charts.GREEN, "square", "9 4"
    )
    projection = None
    end = projection_end(trajectory)
    last = points[-1]
    if end is not None and last.by_count is not None:
        projection = charts.Projection(
            (last.month, last.by_count),
            (end, trajectory.target),
            f"Projection: target met in {charts.month_label(end)}",
        )
    first_month, last_month = charts.month_label(points[0].month), charts.month_label(last.month)
    return charts.line_chart(
        [count, volume],
        title=f"Share of paper forms replaced, month by month, {first_month} to {last_month}",
        description=(
            f"Two lines, the share by count (solid, round points) and by annual paper volume (dashed, "
            f"square points), from {first_month} to {last_month}, with the target of "
            f"{charts.format_share(trajectory.target)} as a dashed horizontal line and the target date "
            f"({format_date(trajectory.target_date, 'en')}) as a dotted vertical line when within "
            f"the months shown. {projection_sentence(report)} The monthly figures are in the table "
            "below the chart."
        ),
        target=trajectory.target,
        target_date=trajectory.target_date,
        projection=projection,
        id_prefix="chart-trajectory-",
    )


def projection_sentence(report: Report) -> str:
    """Whether and when the target (by count) was or will be met, in words."""
    trajectory = report.trajectory
    target = charts.format_share(trajectory.target)
    by = format_date(trajectory.target_date, "en")
    if report.group.in_scope == 0:
        return "There are no paper forms in scope yet, so there is nothing to project."
    if trajectory.met_on is not None:
        when = format_date(trajectory.met_on, "en")
        timing = "before" if trajectory.met_on <= trajectory.target_date else "after"
        sentence = (
            f"The target of {target} by count was first met on {when}, {timing} the target date of {by}."
        )
        if not report.group.met_by_count:
            sentence += " The share has since fallen below the target."
        return sentence
    if trajectory.projected_on is not None and trajectory.pace_per_month is not None:
        pace = charts.format_share(trajectory.pace_per_month).removesuffix("%")
        month = trajectory.projected_on.strftime("%B %Y")
        timing = "in time for" if trajectory.projected_on <= trajectory.target_date else "after"
        return (
            f"At the pace of the last 12 months ({pace} percentage points a month), the target of "
            f"{target} by count would be met in {month}, {timing} the target date of {by}."
        )
    return (
        f"The share by count has not grown over the last 12 months, so at that pace the target of "
        f"{target} would not be met (target date {by})."
    )


@dataclass(frozen=True)
class Headline:
    label: str
    share: str
    detail: str
    met: bool


def headlines(share: Share) -> list[Headline]:
    return [
        Headline(
            "Share replaced by count",
            charts.format_share(share.by_count),
            f"{share.replaced} of {share.in_scope} paper forms in scope",
            share.met_by_count,
        ),
        Headline(
            "Share replaced by annual paper volume",
            charts.format_share(share.by_volume),
            f"{share.volume_replaced:,} of {share.volume_in_scope:,} paper forms a year",
            share.met_by_volume,
        ),
    ]


def related_links(role: str) -> list[tuple[str, str, str]]:
    """The register and paper-count screens the app serves (GET) and the role may use."""
    served = {
        rule.rule.rstrip("/") for rule in current_app.url_map.iter_rules() if "GET" in (rule.methods or ())
    }
    return [
        (path, title, purpose)
        for path, title, purpose, roles in RELATED_PAGES
        if path in served and role in roles
    ]


# -- pages -----------------------------------------------------------------------------------------


def _report(scope: str | None) -> Report:
    return build_report(form_registry(current_app._get_current_object()), organisation=scope)  # type: ignore[attr-defined]


@bp.get("/")
@auth.login_required(*ROLES)
def dashboard() -> ResponseLike:
    user = _user()
    errors: dict[str, str] = {}
    asked = request.args.get("organisation", "")
    try:
        scope = scope_for(user, asked)
    except NotAllowed:
        abort(404)
    except UnknownOrganisation:
        errors["organisation"] = SELECT_ORGANISATION
        scope = None
    report = _report(scope)
    tables = dashboard_tables(report)
    audit.record("view", object_type="report", object_id=scope or GROUP, detail={"page": "dashboard"})
    db.session.commit()
    return render_template(
        "reports/dashboard.html",
        page_title="Conversion progress" + (f": {scope}" if scope else ""),
        user=user,
        report=report,
        scope=scope,
        scope_name=scope or GROUP,
        errors=errors,
        organisations=ORGANISATIONS,
        tables=tables,
        titles=TABLE_TITLES,
        numeric=numeric_columns,
        headlines=headlines(report.group),
        count_chart=organisation_chart(report),
        volume_chart=organisation_chart(report, by_volume=True),
        trajectory_chart=trajectory_chart(report),
        projection=projection_sentence(report),
        target=charts.format_share(report.group.target),
        target_date=format_date(report.trajectory.target_date, "en"),
        generated=format_date(report.period_end, "en"),
        period=(format_date(report.period_start, "en"), format_date(report.period_end, "en")),
        status_names=STATUS_NAMES,
        related=related_links(user.role),
        download_args={"organisation": scope} if scope and user.role == "admin" else {},
    )


def _filename(table: str, scope: str | None, extension: str, day: date) -> str:
    return f"report-{table}-{(scope or 'defra-group').lower()}-{day.isoformat()}.{extension}"


def table_csv(table: Table) -> str:
    """A table as CSV for spreadsheets: a byte-order mark, CRLF line ends, formula cells neutralised."""
    headers, rows = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=LINE_END)
    writer.writerow([neutralise(cell) for cell in headers])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return BOM + out.getvalue()


def table_json(name: str, table: Table, report: Report) -> dict[str, Any]:
    headers, rows = table
    return {
        "table": name,
        "title": TABLE_TITLES.get(name, name),
        "organisation": report.organisation,
        "generated_at": report.generated_at.isoformat(),
        "period_start": report.period_start.isoformat(),
        "period_end": report.period_end.isoformat(),
        "columns": headers,
        "rows": [dict(zip(headers, row, strict=True)) for row in rows],
    }


@bp.get("/<string:table>.<any(csv, json):extension>")
@auth.login_required(*ROLES)
def download(table: str, extension: str) -> ResponseLike:
    scope = _scope_or_404(_user())
    report = _report(scope)
    tables = dashboard_tables(report)
    if table not in tables:
        abort(404)
    audit.record(
        "download",
        object_type="report",
        object_id=f"{table}.{extension}",
        detail={"organisation": scope, "table": table, "format": extension},
    )
    db.session.commit()
    if extension == "csv":
        body, mimetype = table_csv(tables[table]), "text/csv; charset=utf-8"
    else:
        body = json.dumps(table_json(table, tables[table], report), ensure_ascii=False, indent=2)
        mimetype = "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_filename(table, scope, extension, report.period_end)}"'
    )
    return response


def _json_not_found() -> Response:
    return Response(json.dumps({"error": "Not found"}), status=404, mimetype="application/json")


@bp.get("/api/progress")
def api_progress() -> ResponseLike:
    """The report as JSON (Report.as_json) for the signed-in session; JSON 404 for anyone who may not
    see it (signed out, another role, a lead asking for another organisation)."""
    user = auth.current_user()
    if user is None or user.role not in ROLES:
        return _json_not_found()
    try:
        scope = scope_for(user, request.args.get("organisation", ""))
    except (NotAllowed, UnknownOrganisation):
        return _json_not_found()
    report = _report(scope)
    audit.record("view", object_type="report", object_id=scope or GROUP, detail={"page": "api"})
    db.session.commit()
    return Response(json.dumps(report.as_json(), ensure_ascii=False), mimetype="application/json")


@bp.get("/reports.css")
def stylesheet() -> ResponseLike:
    return Response(STYLESHEET, mimetype="text/css")


def staff_pages(blueprint: Blueprint) -> None:
    """The reports' pages are English only and never cached (they hold figures by organisation)."""

    @blueprint.before_request
    def _english_only() -> None:
        # Runs after the runner's language choice: report pages are always English.
        g.language = "en"

    @blueprint.after_request
    def _no_store(response: Response) -> Response:
        response.headers["Cache-Control"] = "no-store"
        return response


staff_pages(bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
