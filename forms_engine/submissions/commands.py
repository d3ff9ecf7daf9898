"""The delivery commands: `forms-engine worker` and `forms-engine deliveries list|retry`."""

from __future__ import annotations

import json
import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from . import outbox
from .delivery import describe
from .models import as_utc


def _log_to_stderr() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then stop (for cron or a test).")
@click.option("--batch", default=10, show_default=True, help="Jobs claimed at a time.")
@click.option(
    "--poll", type=float, help="Seconds between looks for due jobs when idle [WORKER_POLL_SECONDS]."
)
@with_appcontext
def worker_command(once: bool, batch: int, poll: float | None) -> None:
    """Deliver submissions: confirmation and team emails, and webhooks, retrying failures.

    Runs until SIGTERM or Ctrl-C (the job in hand is finished first). Several workers may run at
    once against PostgreSQL; on SQLite run one.
    """
    from .worker import Worker

    _log_to_stderr()
    worker = Worker(current_app._get_current_object(), batch=batch, poll_seconds=poll)  # type: ignore[attr-defined]
    worker.install_signal_handlers()
    stats = worker.run(once=once)
    if once:
        click.echo(f"{stats.delivered} delivered, {stats.failed} to retry, {stats.dead} dead-lettered")


@click.group("deliveries")
def deliveries_group() -> None:
    """Show and replay the deliveries of submissions."""


@deliveries_group.command("list")
@click.argument("reference", required=False)
@click.option("--status", type=click.Choice(outbox.STATUSES), help="Only jobs with this status.")
@click.option("--form", "form_slug", help="Only jobs for this form (its slug).")
@click.option("--limit", default=200, show_default=True, help="At most this many jobs, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def deliveries_list(
    reference: str | None, status: str | None, form_slug: str | None, limit: int, as_json: bool
) -> None:
    """List delivery jobs; with REFERENCE, that submission's jobs and every attempt at them."""
    if reference is not None:
        jobs = outbox.jobs_for_reference(reference.strip().upper())
        if not jobs:
            raise click.ClickException(f"no deliveries for a submission with reference {reference}")
        rows = []
        for job in jobs:
            row = describe(job)
            row["attempt_log"] = [
                {
                    "number": a.number,
                    "worker": a.worker,
                    "started_at": as_utc(a.started_at).isoformat(),
                    "finished_at": as_utc(a.finished_at).isoformat() if a.finished_at else None,
                    "outcome": a.outcome,
                    "detail": a.detail,
                }
                for a in outbox.attempts_for(job.id)
            ]
            rows.append(row)
        if as_json:
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        for row in rows:
            click.echo(_job_line(reference.upper(), row))
            for attempt in row["attempt_log"]:
                click.echo(
                    f"    attempt {attempt['number']} {attempt['started_at']} by {attempt['worker']}: "
                    f"{attempt['outcome']}{': ' + attempt['detail'] if attempt['detail'] else ''}"
                )
        return
    listed = outbox.list_jobs(status=status, form_slug=form_slug, limit=limit)
    if as_json:
        click.echo(
            json.dumps(
                [{"reference": s.reference, "form": s.form_slug, **describe(j)} for j, s in listed],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for job, submission in listed:
        click.echo(_job_line(submission.reference, describe(job)))
    click.echo(f"{len(listed)} job(s)")


def _job_line(reference: str, row: dict[str, object]) -> str:
    line = f"{reference}  {row['kind']:<18} {row['status']:<9} attempts={row['attempts']}  {row['target']}"
    if row["status"] == outbox.PENDING:
        line += f"  next={row['next_attempt_at']}"
    if row["last_error"]:
        line += f"\n    last error: {row['last_error']}"
    return line


@deliveries_group.command("retry")
@click.argument("references", nargs=-1)
@click.option("--dead", "all_dead", is_flag=True, help="Every dead-lettered job, of every submission.")
@click.option("--include-delivered", is_flag=True, help="Also deliver again what was delivered already.")
@with_appcontext
def deliveries_retry(references: tuple[str, ...], all_dead: bool, include_delivered: bool) -> None:
    """Queue a submission's failed deliveries again, due now, with a fresh set of attempts.

    A running worker picks them up; each keeps its idempotency key, so a receiver can tell a replay.
    """
    if not references and not all_dead:
        raise click.UsageError("give one or more submission references, or --dead")
    total = 0
    if all_dead:
        total += len(outbox.retry_jobs())
    for reference in references:
        reference = reference.strip().upper()
        if not outbox.jobs_for_reference(reference):
            raise click.ClickException(f"no deliveries for a submission with reference {reference}")
        total += len(outbox.retry_jobs(reference, include_delivered=include_delivered))
    click.echo(f"{total} job(s) queued again")
