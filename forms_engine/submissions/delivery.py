"""Delivering one job: the applicant's confirmation email, the team's email, or the signed webhook.

Each deliverer either returns (delivered, with a short detail for the log) or raises DeliveryError,
marked permanent when trying again cannot help (a receiver that refuses the request as malformed
or unauthorised): the job is then dead-lettered at once, to be replayed by command once fixed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests
from flask import current_app
from sqlalchemy import select

from ..definitions.model import Contact, FormDefinition
from ..extensions import db
from ..i18n import N_, translate
from ..mail import Attachment, MailError, OutgoingMail, send_mail
from . import outbox
from .export import answers_csv, submission_definition
from .models import DeliveryJob, Submission, UploadedFile, as_utc

SIGNATURE_HEADER = "X-Forms-Engine-Signature"
TIMESTAMP_HEADER = "X-Forms-Engine-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
PAYLOAD_CONTENT_TYPE = "application/json"
#: HTTP answers worth trying again after; any other 4xx means the request itself is refused.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 409, 423, 425, 429})

CONFIRMATION_SUBJECT = N_("Your form has been sent: {form}")
CONFIRMATION_SENT = N_("We have received your form.")
REFERENCE_LABEL = N_("Your reference number is {reference}")
KEEP_REFERENCE = N_("Keep your reference number. You will need it if you contact us about this form.")
WHAT_HAPPENS_NEXT = N_("What happens next")
CONTACT_US = N_("Contact us")
RECEIPT_ATTACHED = N_("A copy of your answers is attached to this email as a PDF.")


class DeliveryError(Exception):
    """A delivery attempt failed; `permanent` when retrying cannot help."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


Deliverer = Callable[[DeliveryJob, Submission], str]
DELIVERERS: dict[str, Deliverer] = {}


def deliverer(kind: str) -> Callable[[Deliverer], Deliverer]:
    def register(function: Deliverer) -> Deliverer:
        DELIVERERS[kind] = function
        return function

    return register


def deliver(job: DeliveryJob, submission: Submission) -> str:
    """Deliver `job` once; returns a detail for the log or raises DeliveryError."""
    function = DELIVERERS.get(job.kind)
    if function is None:
        raise DeliveryError(f"no way to deliver a job of kind {job.kind!r}", permanent=True)
    return function(job, submission)


def stored_definition(submission: Submission) -> FormDefinition:
    """The definition the submission was made with, from its own snapshot."""
    return submission_definition(submission)


def _receipt(submission: Submission) -> Attachment:
    from .receipts import render_receipt  # WeasyPrint is heavy: load it where a receipt is made

    return Attachment(
        f"{submission.form_slug}-{submission.reference}.pdf", render_receipt(submission), "application/pdf"
    )


def _contact_lines(contact: Contact, language: str) -> list[str]:
    lines = [contact.name.in_language(language)]
    lines.extend(value for value in (contact.email, contact.phone) if value)
    if contact.hours is not None:
        lines.append(contact.hours.in_language(language))
    if contact.address is not None:
        lines.append(contact.address.in_language(language))
    if contact.url:
        lines.append(contact.url)
    return lines


@deliverer(outbox.CONFIRMATION_EMAIL)
def send_confirmation(job: DeliveryJob, submission: Submission) -> str:
    """The applicant's email, in the language they used: reference, what happens next, receipt."""
    definition = stored_definition(submission)
    language = submission.language

    def t(message: str, **values: str) -> str:
        return translate(message, language).format(**values)

    title = definition.title.in_language(language)
    next_steps = definition.service.what_happens_next.in_language(language)
    contact = "\n".join(_contact_lines(definition.service.contact, language))
    body = "\n\n".join(
        [
            title,
            t(CONFIRMATION_SENT),
            t(REFERENCE_LABEL, reference=submission.reference),
            t(KEEP_REFERENCE),
            f"{t(WHAT_HAPPENS_NEXT)}\n\n{next_steps}",
            f"{t(CONTACT_US)}\n\n{contact}",
            t(RECEIPT_ATTACHED),
        ]
    )
    _send(
        OutgoingMail(
            to=job.target,
            subject=t(CONFIRMATION_SUBJECT, form=title),
            body=body + "\n",
            attachments=(_receipt(submission),),
            reply_to=definition.service.contact.email,
            template="submission-confirmation",
            personalisation={
                "reference": submission.reference,
                "form": title,
                "what_happens_next": next_steps,
                "contact": contact,
            },
        )
    )
    return "email accepted by the mail service"


@deliverer(outbox.TEAM_EMAIL)
def send_to_team(job: DeliveryJob, submission: Submission) -> str:
    """The processing team's email: the receipt and a CSV of the answers."""
    definition = stored_definition(submission)
    title = definition.title.in_language("en")
    submitted = as_utc(submission.submitted_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    body = "\n".join(
        [
            f"A new {title} form ({definition.paper_form.reference}) has been submitted.",
            "",
            f"Reference: {submission.reference}",
            f"Submitted: {submitted}",
            f"Form version: {submission.form_version}",
            f"Language used: {submission.language}",
            "",
            "The applicant's answers are attached as a PDF receipt and as a CSV file.",
            "",
        ]
    )
    stem = f"{submission.form_slug}-{submission.reference}"
    _send(
        OutgoingMail(
            to=job.target,
            subject=f"New form submitted: {title} ({submission.reference})",
            body=body,
            attachments=(
                _receipt(submission),
                Attachment(f"{stem}.csv", answers_csv(submission), "text/csv"),
            ),
            template="submission-to-team",
            personalisation={"reference": submission.reference, "form": title, "submitted_at": submitted},
        )
    )
    return "email accepted by the mail service"


def _send(message: OutgoingMail) -> None:
    try:
        send_mail(message)
    except MailError as exc:
        raise DeliveryError(str(exc), permanent=exc.permanent) from exc


def payload_bytes(submission: Submission) -> bytes:
    """The webhook body: the submission payload (v1) as compact UTF-8 JSON."""
    from .payload import submission_payload

    files = db.session.scalars(
        select(UploadedFile).where(UploadedFile.submission_id == submission.id).order_by(UploadedFile.id)
    ).all()
    payload = submission_payload(submission, files)
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 over '<timestamp>.<body>' with the form's secret."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def webhook_headers(job: DeliveryJob, body: bytes, secret: str, timestamp: str) -> Mapping[str, str]:
    return {
        "Content-Type": PAYLOAD_CONTENT_TYPE,
        "User-Agent": "forms-engine-delivery/1",
        IDEMPOTENCY_HEADER: job.idempotency_key,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }


@deliverer(outbox.WEBHOOK)
def call_webhook(job: DeliveryJob, submission: Submission) -> str:
    """POST the signed payload; any 2xx is delivered. Redirects are not followed (a receiver that
    moved must be reconfigured, not guessed at)."""
    definition = stored_definition(submission)
    webhook = definition.deliveries.webhook
    secret_env = webhook.secret_env if webhook is not None else ""
    secret = os.environ.get(secret_env, "") if secret_env else ""
    if not secret:
        # Not permanent: once the operator sets the variable and restarts the worker, it goes through.
        raise DeliveryError(
            f"the webhook signing secret is missing: set the environment variable {secret_env}"
        )
    body = payload_bytes(submission)
    timestamp = str(int(time.time()))
    timeout = float(current_app.config["WEBHOOK_TIMEOUT"])
    try:
        response = requests.post(
            job.target,
            data=body,
            headers=dict(webhook_headers(job, body, secret, timestamp)),
            timeout=(min(10.0, timeout), timeout),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise DeliveryError(f"POST {job.target}: {exc.__class__.__name__}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return f"HTTP {status}"
    summary = f"POST {job.target}: HTTP {status} {response.reason}: {_excerpt(response)}"
    permanent = 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS
    raise DeliveryError(summary, permanent=permanent)


def _excerpt(response: requests.Response) -> str:
    text = " ".join(response.text[:300].split())
    return text or "(no body)"


def describe(job: DeliveryJob) -> dict[str, Any]:
    """A job as plain values (for `deliveries list --json` and logs)."""
    return {
        "id": job.id,
        "kind": job.kind,
        "target": job.target,
        "status": job.status,
        "attempts": job.attempts,
        "idempotency_key": job.idempotency_key,
        "next_attempt_at": as_utc(job.next_attempt_at).isoformat() if job.status == outbox.PENDING else None,
        "delivered_at": as_utc(job.delivered_at).isoformat() if job.delivered_at else None,
        "last_error": job.last_error,
    }
