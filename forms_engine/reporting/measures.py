"""The conversion report: which paper forms count as replaced, the share replaced against the target
(by count and by annual paper volume, for the group and each organisation), its trajectory month by
month, and per form the digital take-up, completion and satisfaction. docs/reporting.md defines each.

`build_report` reads the register and the usage tables once and returns plain frozen dataclasses;
`table_rows` turns a report into the tables the dashboard, its CSV downloads and the CLI show.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ..caseworker.models import ORGANISATIONS
from ..definitions.loader import FormRegistry
from ..definitions.model import FormDefinition
from ..extensions import db
from ..submissions.models import Submission
from .models import SATISFACTION_RATINGS, Feedback, JourneyMetric, PaperCount, PaperForm

#: The scope name of the whole group's share.
GROUP = "Defra group"
#: Ratings counted as satisfied in the satisfaction score.
SATISFIED = ("very-satisfied", "satisfied")
#: A journey not sent and not seen for this long counts as dropped out at its last page.
DROP_OUT_IDLE = timedelta(hours=1)
#: Length of an average month, for projecting a date from a pace in share points per month.
DAYS_PER_MONTH = 365.25 / 12
DEFAULT_TARGET_SHARE = 0.20
DEFAULT_TARGET_DATE = date(2025, 3, 31)

_RATING_LABELS = {
    "very-satisfied": "Very satisfied",
    "satisfied": "Satisfied",
    "neither": "Neither satisfied nor dissatisfied",
    "dissatisfied": "Dissatisfied",
    "very-dissatisfied": "Very dissatisfied",
}


@dataclass(frozen=True)
class Share:
    """The share of in-scope paper forms replaced, for one scope: the whole group or one organisation."""

    scope: str
    in_scope: int
    replaced: int
    volume_in_scope: int
    volume_replaced: int
    by_count: float | None
    by_volume: float | None
    target: float
    met_by_count: bool
    met_by_volume: bool


@dataclass(frozen=True)
class MonthPoint:
    """The share at the end of one month (the current month: as of today)."""

    month: date
    by_count: float | None
    by_volume: float | None


@dataclass(frozen=True)
class Trajectory:
    """The share by count and by volume month by month, the target, and when it was or will be met."""

    points: list[MonthPoint]
    target: float
    target_date: date
    met_on: date | None
    projected_on: date | None
    pace_per_month: float | None

    @property
    def on_track(self) -> bool | None:
        """Met, or projected to be met, by the target date; None when there is no projection."""
        if self.met_on is not None and self.met_on <= self.target_date:
            return True
        if self.projected_on is None:
            return None if self.met_on is None else False
        return self.projected_on <= self.target_date


@dataclass(frozen=True)
class FormMeasures:
    """One register entry: whether it counts as replaced (and why not), and its use in the period."""

    reference: str
    title: str
    organisation: str
    status: str
    definition_slug: str | None
    annual_volume: int
    live_date: date | None
    withdrawn_date: date | None
    counts_as_replaced: bool
    reasons: list[str]
    online_submissions: int
    paper_submissions: int
    digital_take_up: float | None
    journeys_started: int
    journeys_submitted: int
    completion_rate: float | None
    median_minutes_to_complete: float | None
    drop_out_page: str | None
    satisfaction_responses: int
    satisfaction_score: float | None
    satisfaction_counts: dict[str, int]


@dataclass(frozen=True)
class Usage:
    """Take-up, completion and satisfaction added up over one scope's in-scope forms."""

    scope: str
    online_submissions: int
    paper_submissions: int
    digital_take_up: float | None
    journeys_started: int
    journeys_submitted: int
    completion_rate: float | None
    median_minutes_to_complete: float | None
    satisfaction_responses: int
    satisfaction_score: float | None


@dataclass(frozen=True)
class Report:
    """Everything the dashboard, the API and `forms-engine report` show."""

    generated_at: datetime
    organisation: str | None
    period_start: date
    period_end: date
    group: Share
    organisations: list[Share]
    trajectory: Trajectory
    forms: list[FormMeasures]
    #: The group's (or the asked organisation's) usage first, then each organisation's.
    usage: list[Usage] = field(default_factory=list)

    @property
    def not_counted(self) -> list[FormMeasures]:
        """Live digital forms that do not count as replaced, with their reasons."""
        return [f for f in self.forms if f.status == "live-digital" and not f.counts_as_replaced]

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON types (dates in ISO 8601)."""
        data: dict[str, Any] = _plain(self)
        data["trajectory"]["on_track"] = self.trajectory.on_track
        return data


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- dates -----------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def _aware(moment: datetime) -> datetime:
    # SQLite keeps no time zone: every time the engine stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _ratio(part: int | float, whole: int | float) -> float | None:
    return None if not whole else part / whole


# -- what counts as replaced ------------------------------------------------------------------------

_lint_cache: dict[tuple[str, str], int] = {}


def accessibility_error_count(definition: FormDefinition) -> int:
    """How many lint errors of the accessibility kind a definition has (cached per version)."""
    key = (definition.slug, definition.version)
    if key not in _lint_cache:
        from ..designer.lint import check_definition

        _lint_cache[key] = len(check_definition(dict(definition.source)).accessibility_errors())
    return _lint_cache[key]


def definition_reasons(slug: str | None, registry: FormRegistry) -> list[str]:
    """Why a linked definition does not (yet) replace its paper form; empty when it does."""
    if not slug:
        return ["no definition linked"]
    definition = registry.get(slug)
    if definition is None:
        if slug in registry.unavailable:
            count = len(registry.unavailable[slug])
            return [f"definition '{slug}' is not published: its file has {_plural(count, 'problem')}"]
        return [f"definition '{slug}' is not published"]
    reasons = []
    errors = accessibility_error_count(definition)
    if errors:
        reasons.append(f"{_plural(errors, 'accessibility lint error')}")
    service = definition.service
    contact = service.contact
    if not (contact.email or contact.phone or contact.url or contact.address):
        reasons.append("no contact details (email, phone, address or online contact)")
    if not service.privacy_notice_url:
        reasons.append("no privacy notice link")
    if not service.accessibility_statement_url:
        reasons.append("no accessibility statement link")
    return reasons


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def replacement_reasons(entry: PaperForm, registry: FormRegistry, on: date) -> list[str]:
    """Why a live-digital entry does not count as replaced on a date; empty when it counts.

    Entries of other statuses never count and get no reasons."""
    if entry.status != "live-digital":
        return []
    reasons = definition_reasons(entry.definition_slug, registry)
    if entry.live_date is None:
        reasons.append("no live date")
    elif entry.live_date > on:
        reasons.append(f"goes live on {entry.live_date.isoformat()}")
    if entry.withdrawn_date is not None and entry.withdrawn_date <= on:
        reasons.append(f"withdrawn on {entry.withdrawn_date.isoformat()}")
    return reasons


@dataclass(frozen=True)
class _Entry:
    """What the trajectory needs of a register entry."""

    organisation: str
    volume: int
    live_date: date | None
    withdrawn_date: date | None
    #: Passes every check that does not depend on the date (status, definition, lint, service details).
    qualifies: bool
    #: Withdrawn and no longer live-digital (back on paper or in development again): its definition
    #: may be gone, so the days from its live date to its withdrawn date count on the register's word.
    withdrawn: bool

    def counts_on(self, day: date) -> bool:
        if self.live_date is None or self.live_date > day:
            return False
        if self.withdrawn_date is not None and self.withdrawn_date <= day:
            return False
        return self.qualifies or self.withdrawn


def _share(scope: str, entries: Sequence[_Entry], on: date, target: float) -> Share:
    counted = [e for e in entries if e.counts_on(on)]
    in_scope, replaced = len(entries), len(counted)
    volume_in_scope = sum(e.volume for e in entries)
    volume_replaced = sum(e.volume for e in counted)
    by_count = _ratio(replaced, in_scope)
    by_volume = _ratio(volume_replaced, volume_in_scope)
    return Share(
        scope=scope,
        in_scope=in_scope,
        replaced=replaced,
        volume_in_scope=volume_in_scope,
        volume_replaced=volume_replaced,
        by_count=by_count,
        by_volume=by_volume,
        target=target,
        met_by_count=by_count is not None and by_count >= target,
        met_by_volume=by_volume is not None and by_volume >= target,
    )


def _trajectory(entries: Sequence[_Entry], today: date, target: float, target_date: date) -> Trajectory:
    this_month = month_start(today)
    first = add_months(this_month, -12)
    live_dates = [e.live_date for e in entries if e.live_date is not None and (e.qualifies or e.withdrawn)]
    if live_dates:
        first = min(first, month_start(min(live_dates)))
    points = []
    month = first
    while month <= this_month:
        share = _share(GROUP, entries, min(month_end(month), today), target)
        points.append(MonthPoint(month, share.by_count, share.by_volume))
        month = add_months(month, 1)
    met_on = next(
        (min(month_end(p.month), today) for p in points if p.by_count is not None and p.by_count >= target),
        None,
    )
    now, year_ago = points[-1].by_count, points[-13].by_count
    pace = None if now is None or year_ago is None else (now - year_ago) / 12
    projected_on = None
    if now is not None and now < target and pace is not None and pace > 0:
        months = (target - now) / pace
        projected_on = today + timedelta(days=math.ceil(months * DAYS_PER_MONTH))
    return Trajectory(points, target, target_date, met_on, projected_on, pace)


# -- usage ------------------------------------------------------------------------------------------


@dataclass
class _Use:
    online: int = 0
    paper: int = 0
    started: int = 0
    submitted: int = 0
    minutes: list[float] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)

    def add(self, other: _Use) -> None:
        self.online += other.online
        self.paper += other.paper
        self.started += other.started
        self.submitted += other.submitted
        self.minutes.extend(other.minutes)
        self.dropped.update(other.dropped)
        self.ratings.update(other.ratings)

    @property
    def satisfaction_score(self) -> float | None:
        return _ratio(sum(self.ratings[r] for r in SATISFIED), sum(self.ratings.values()))

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.minutes) if self.minutes else None

    @property
    def drop_out_page(self) -> str | None:
        if not self.dropped:
            return None
        # Most common; a tie goes to the page named first, so the answer does not depend on row order.
        return min(self.dropped.items(), key=lambda item: (-item[1], item[0]))[0]

    def usage(self, scope: str) -> Usage:
        return Usage(
            scope=scope,
            online_submissions=self.online,
            paper_submissions=self.paper,
            digital_take_up=_ratio(self.online, self.online + self.paper),
            journeys_started=self.started,
            journeys_submitted=self.submitted,
            completion_rate=_ratio(self.submitted, self.started),
            median_minutes_to_complete=self.median_minutes,
            satisfaction_responses=sum(self.ratings.values()),
            satisfaction_score=self.satisfaction_score,
        )


def _usage_by_slug(slugs: set[str], start: datetime, end: datetime, now: datetime) -> dict[str, _Use]:
    """Submissions, journeys and feedback in [start, end) for each slug."""
    uses: dict[str, _Use] = defaultdict(_Use)
    if not slugs:
        return uses
    for slug, count in db.session.execute(
        select(Submission.form_slug, func.count())
        .where(
            Submission.form_slug.in_(slugs), Submission.submitted_at >= start, Submission.submitted_at < end
        )
        .group_by(Submission.form_slug)
    ):
        uses[slug].online = count
    in_period = (
        JourneyMetric.form_slug.in_(slugs),
        JourneyMetric.started_at >= start,
        JourneyMetric.started_at < end,
    )
    # Counts and drop-out pages are added up by the database; only sent journeys' times are read,
    # for the median (which SQLite cannot work out).
    for slug, started, submitted in db.session.execute(
        select(JourneyMetric.form_slug, func.count(), func.count(JourneyMetric.submitted_at))
        .where(*in_period)
        .group_by(JourneyMetric.form_slug)
    ):
        uses[slug].started, uses[slug].submitted = started, submitted
    for slug, started_at, submitted_at in db.session.execute(
        select(JourneyMetric.form_slug, JourneyMetric.started_at, JourneyMetric.submitted_at).where(
            *in_period, JourneyMetric.submitted_at.is_not(None)
        )
    ):
        if submitted_at is not None:
            seconds = (_aware(submitted_at) - _aware(started_at)).total_seconds()
            uses[slug].minutes.append(max(seconds, 0.0) / 60)
    for slug, last_page, count in db.session.execute(
        select(JourneyMetric.form_slug, JourneyMetric.last_page, func.count())
        .where(
            *in_period,
            JourneyMetric.submitted_at.is_(None),
            JourneyMetric.last_page.is_not(None),
            JourneyMetric.last_page != "",
            JourneyMetric.last_seen_at <= now - DROP_OUT_IDLE,
        )
        .group_by(JourneyMetric.form_slug, JourneyMetric.last_page)
    ):
        if last_page:
            uses[slug].dropped[last_page] += count
    for slug, rating, count in db.session.execute(
        select(Feedback.form_slug, Feedback.rating, func.count())
        .where(Feedback.form_slug.in_(slugs), Feedback.created_at >= start, Feedback.created_at < end)
        .group_by(Feedback.form_slug, Feedback.rating)
    ):
        if rating in SATISFACTION_RATINGS:
            uses[slug].ratings[rating] += count
    return uses


def _paper_counts(period_start: date, period_end: date) -> dict[int, int]:
    rows = db.session.execute(
        select(PaperCount.paper_form_id, func.sum(PaperCount.count))
        .where(PaperCount.month >= period_start, PaperCount.month <= period_end)
        .group_by(PaperCount.paper_form_id)
    )
    return {form_id: int(total or 0) for form_id, total in rows}


# -- the report -------------------------------------------------------------------------------------


def target_settings() -> tuple[float, date]:
    """The target share and date from the app's config (REPORT_TARGET_SHARE, REPORT_TARGET_DATE)."""
    share = float(current_app.config.get("REPORT_TARGET_SHARE", DEFAULT_TARGET_SHARE))
    when = current_app.config.get("REPORT_TARGET_DATE", DEFAULT_TARGET_DATE)
    if isinstance(when, datetime):
        when = when.date()
    if not isinstance(when, date):
        try:
            when = date.fromisoformat(str(when))
        except ValueError as error:
            raise ValueError(f"REPORT_TARGET_DATE must be a date, YYYY-MM-DD (not {when!r})") from error
    return share, when


def _organisation_order(code: str) -> int:
    return ORGANISATIONS.index(code) if code in ORGANISATIONS else len(ORGANISATIONS)


def build_report(
    registry: FormRegistry,
    *,
    organisation: str | None = None,
    today: date | None = None,
    target: float | None = None,
    target_date: date | None = None,
    period_months: int = 12,
    now: datetime | None = None,
) -> Report:
    """The report for the whole group, or one organisation, as of `today`.

    Reads the database (needs an app context); target defaults from config REPORT_TARGET_SHARE
    (0.20) and REPORT_TARGET_DATE (2025-03-31). Take-up, completion and satisfaction cover the last
    `period_months` calendar months, this one included. `now` (default: the current time, or the
    end of `today` when `today` is given) decides which unsent journeys have been idle long enough
    to count as dropped out."""
    if now is None:
        now = datetime.now(UTC) if today is None else datetime.combine(today, time.max, UTC)
    today = today or now.date()
    configured_target, configured_date = target_settings()
    target = configured_target if target is None else target
    target_date = configured_date if target_date is None else target_date

    entries = list(db.session.scalars(select(PaperForm)))
    if organisation is not None:
        entries = [e for e in entries if e.organisation == organisation]
    entries.sort(key=lambda e: (_organisation_order(e.organisation), e.reference))

    period_start = add_months(month_start(today), -(period_months - 1))
    start = datetime.combine(period_start, time(), UTC)
    end = datetime.combine(today + timedelta(days=1), time(), UTC)
    slugs = {e.definition_slug for e in entries if e.definition_slug}
    uses = _usage_by_slug(slugs, start, end, now)
    paper = _paper_counts(period_start, today)

    forms: list[FormMeasures] = []
    in_scope: list[_Entry] = []
    scope_uses: dict[str, _Use] = defaultdict(_Use)
    for entry in entries:
        reasons = replacement_reasons(entry, registry, today)
        use = _Use()
        if entry.definition_slug and entry.definition_slug in uses:
            use.add(uses[entry.definition_slug])
        use.paper = paper.get(entry.id, 0)
        volume = entry.annual_volume or 0
        live = entry.status == "live-digital"
        judged = _Entry(
            entry.organisation,
            volume,
            entry.live_date,
            entry.withdrawn_date,
            qualifies=live and not definition_reasons(entry.definition_slug, registry),
            withdrawn=not live and entry.withdrawn_date is not None and bool(entry.definition_slug),
        )
        if entry.status != "retired":
            in_scope.append(judged)
            scope_uses[entry.organisation].add(use)
            scope_uses[GROUP].add(use)
        totals = use.usage(entry.reference)
        forms.append(
            FormMeasures(
                reference=entry.reference,
                title=entry.title,
                organisation=entry.organisation,
                status=entry.status,
                definition_slug=entry.definition_slug,
                annual_volume=volume,
                live_date=entry.live_date,
                withdrawn_date=entry.withdrawn_date,
                counts_as_replaced=entry.status != "retired" and judged.counts_on(today),
                reasons=reasons,
                online_submissions=use.online,
                paper_submissions=use.paper,
                digital_take_up=totals.digital_take_up,
                journeys_started=use.started,
                journeys_submitted=use.submitted,
                completion_rate=totals.completion_rate,
                median_minutes_to_complete=totals.median_minutes_to_complete,
                drop_out_page=use.drop_out_page,
                satisfaction_responses=totals.satisfaction_responses,
                satisfaction_score=totals.satisfaction_score,
                satisfaction_counts={rating: use.ratings[rating] for rating in SATISFACTION_RATINGS},
            )
        )

    codes = [organisation] if organisation is not None else list(ORGANISATIONS)
    organisations = [
        _share(code, [e for e in in_scope if e.organisation == code], today, target) for code in codes
    ]
    group_scope = organisation if organisation is not None else GROUP
    group = _share(group_scope, in_scope, today, target)
    usage = [scope_uses[GROUP].usage(group_scope)]
    if organisation is None:
        usage += [scope_uses[code].usage(code) for code in codes]
    return Report(
        generated_at=now,
        organisation=organisation,
        period_start=period_start,
        period_end=today,
        group=group,
        organisations=organisations,
        trajectory=_trajectory(in_scope, today, target, target_date),
        forms=forms,
        usage=usage,
    )


# -- tables -----------------------------------------------------------------------------------------

NO_DATA = "No data"


def percent(value: float | None) -> str:
    """A share as a percentage with one decimal place, such as '20.0%'; 'No data' for None."""
    return NO_DATA if value is None else f"{value * 100:.1f}%"


def _minutes(value: float | None) -> str:
    return NO_DATA if value is None else f"{value:.1f}"


def _day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _yes(value: bool) -> str:
    return "Yes" if value else "No"


def _with_slug(forms: Iterable[FormMeasures]) -> list[FormMeasures]:
    return [f for f in forms if f.definition_slug and f.status != "retired"]


def table_rows(report: Report) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every table of the report as (headers, rows) of strings, keyed 'organisations', 'trajectory',
    'forms', 'take-up', 'completion', 'satisfaction' (and 'usage', each scope's totals) — what the
    dashboard shows and its CSV downloads."""
    shares = list(report.organisations)
    if report.organisation is None:
        shares.append(report.group)
    organisations = (
        [
            "Organisation",
            "Paper forms in scope",
            "Replaced",
            "Share replaced (by count)",
            "Annual paper volume in scope",
            "Annual paper volume replaced",
            "Share replaced (by volume)",
            "Target",
            "Target met (by count)",
            "Target met (by volume)",
        ],
        [
            [
                s.scope,
                str(s.in_scope),
                str(s.replaced),
                percent(s.by_count),
                str(s.volume_in_scope),
                str(s.volume_replaced),
                percent(s.by_volume),
                percent(s.target),
                _yes(s.met_by_count),
                _yes(s.met_by_volume),
            ]
            for s in shares
        ],
    )
    trajectory = (
        ["Month", "Share replaced (by count)", "Share replaced (by volume)", "Target"],
        [
            [
                p.month.strftime("%Y-%m"),
                percent(p.by_count),
                percent(p.by_volume),
                percent(report.trajectory.target),
            ]
            for p in report.trajectory.points
        ],
    )
    forms = (
        [
            "Reference",
            "Title",
            "Organisation",
            "Status",
            "Definition",
            "Annual paper volume",
            "Live date",
            "Withdrawn date",
            "Counts as replaced",
            "Why it does not count",
        ],
        [
            [
                f.reference,
                f.title,
                f.organisation,
                f.status,
                f.definition_slug or "",
                str(f.annual_volume),
                _day(f.live_date),
                _day(f.withdrawn_date),
                _yes(f.counts_as_replaced),
                "; ".join(f.reasons),
            ]
            for f in report.forms
        ],
    )
    take_up = (
        ["Reference", "Title", "Organisation", "Online submissions", "Paper submissions", "Digital take-up"],
        [
            [
                f.reference,
                f.title,
                f.organisation,
                str(f.online_submissions),
                str(f.paper_submissions),
                percent(f.digital_take_up),
            ]
            for f in report.forms
            if f.status != "retired" and (f.definition_slug or f.paper_submissions)
        ],
    )
    completion = (
        [
            "Reference",
            "Title",
            "Organisation",
            "Journeys started",
            "Journeys submitted",
            "Completion rate",
            "Median time to complete (minutes)",
            "Page most unfinished journeys stopped on",
        ],
        [
            [
                f.reference,
                f.title,
                f.organisation,
                str(f.journeys_started),
                str(f.journeys_submitted),
                percent(f.completion_rate),
                _minutes(f.median_minutes_to_complete),
                f.drop_out_page or "",
            ]
            for f in _with_slug(report.forms)
        ],
    )
    satisfaction = (
        [
            "Reference",
            "Title",
            "Organisation",
            "Responses",
            *(_RATING_LABELS[r] for r in SATISFACTION_RATINGS),
            "Satisfied or very satisfied",
        ],
        [
            [
                f.reference,
                f.title,
                f.organisation,
                str(f.satisfaction_responses),
                *(str(f.satisfaction_counts.get(r, 0)) for r in SATISFACTION_RATINGS),
                percent(f.satisfaction_score),
            ]
            for f in _with_slug(report.forms)
        ],
    )
    usage = (
        [
            "Scope",
            "Online submissions",
            "Paper submissions",
            "Digital take-up",
            "Journeys started",
            "Journeys submitted",
            "Completion rate",
            "Median time to complete (minutes)",
            "Satisfaction responses",
            "Satisfied or very satisfied",
        ],
        [
            [
                u.scope,
                str(u.online_submissions),
                str(u.paper_submissions),
                percent(u.digital_take_up),
                str(u.journeys_started),
                str(u.journeys_submitted),
                percent(u.completion_rate),
                _minutes(u.median_minutes_to_complete),
                str(u.satisfaction_responses),
                percent(u.satisfaction_score),
            ]
            for u in report.usage
        ],
    )
    return {
        "organisations": organisations,
        "trajectory": trajectory,
        "forms": forms,
        "take-up": take_up,
        "completion": completion,
        "satisfaction": satisfaction,
        "usage": usage,
    }
