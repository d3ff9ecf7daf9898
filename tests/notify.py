"""A fake GOV.UK Notify API for tests: a real HTTP server on 127.0.0.1 on a free port that checks a
"send an email" request the way Notify does and keeps what it accepts.

It checks the `Authorization: Bearer` JWT (HS256, signed with the API key's secret, `iss` the service
id, `iat` within 30 seconds), the JSON body (`email_address`, `template_id`, `personalisation`,
`reference` and nothing else), that the template exists and gets every one of its ((placeholders)),
and the files sent by email (base64, at most 2MB, a name with an extension, a PDF that is one). Its
answers and error bodies have Notify's shape; `fail_next` makes it answer the next request with an
error instead.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
FILE_SIZE_LIMIT = 2 * 1024 * 1024
FILE_EXTENSIONS = {"pdf", "csv", "txt", "doc", "docx", "xlsx", "odt", "rtf"}
REQUEST_KEYS = {
    "email_address",
    "template_id",
    "personalisation",
    "reference",
    "email_reply_to_id",
    "one_click_unsubscribe_url",
    "scheduled_for",
}
FILE_KEYS = {"file", "filename", "confirm_email_before_download", "retention_period"}


@dataclass(frozen=True)
class ReceivedFile:
    """A file sent by email, decoded."""

    filename: str | None
    content: bytes
    confirm_email_before_download: bool | None = None
    retention_period: str | None = None


@dataclass
class ReceivedEmail:
    """An email Notify accepted: the request's values, its files decoded, and the text it would send."""

    email_address: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    files: dict[str, ReceivedFile]
    body: str


class Refused(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message


def error_body(status: int, error: str, message: str) -> dict[str, Any]:
    """Notify's error answer."""
    return {"errors": [{"error": error, "message": message}], "status_code": status}


def make_api_key(service_id: str, secret: str, name: str = "forms-engine-test") -> str:
    """An API key as Notify gives it: `{key name}-{service id}-{secret}`."""
    return f"{name}-{service_id}-{secret}"


@dataclass
class FakeNotify:
    """The fake API's state. `templates` maps template ids to their text with ((placeholders))."""

    templates: dict[str, str]
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secret: str = field(default_factory=lambda: str(uuid.uuid4()))
    port: int = 0
    emails: list[ReceivedEmail] = field(default_factory=list)
    #: Every request refused, as (status, message): what a failing test wants to see.
    refusals: list[tuple[int, str]] = field(default_factory=list)
    requests: int = 0
    _failures: list[tuple[int, dict[str, Any] | str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_key(self) -> str:
        return make_api_key(self.service_id, self.secret)

    def fail_next(self, status: int, error: str = "", message: str = "", raw: str | None = None) -> None:
        """Answer the next request with `status` and Notify's error body (or `raw` text instead)."""
        with self._lock:
            self._failures.append((status, raw if raw is not None else error_body(status, error, message)))

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any] | str]:
        with self._lock:
            self.requests += 1
            if self._failures:
                return self._failures.pop(0)
        try:
            if (method, path) != ("POST", "/v2/notifications/email"):
                raise Refused(404, "NotFound", "The requested URL was not found on the server.")
            self._check_token(headers.get("Authorization"))
            email = self._check_request(headers.get("Content-Type"), body)
        except Refused as refused:
            with self._lock:
                self.refusals.append((refused.status, refused.message))
            return refused.status, error_body(refused.status, refused.error, refused.message)
        with self._lock:
            self.emails.append(email)
        notification_id = str(uuid.uuid4())
        return 201, {
            "id": notification_id,
            "reference": email.reference,
            "content": {"subject": "A message", "body": email.body, "from_email": "forms@example.gov.uk"},
            "uri": f"{self.url}/v2/notifications/{notification_id}",
            "template": {
                "id": email.template_id,
                "version": 1,
                "uri": f"{self.url}/services/{self.service_id}/templates/{email.template_id}",
            },
            "scheduled_for": None,
        }

    def _check_token(self, authorization: str | None) -> None:
        if not authorization:
            raise Refused(401, "AuthError", "Unauthorized: authentication token must be provided")
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or not token:
            raise Refused(401, "AuthError", "Unauthorized: authentication bearer scheme must be used")
        try:
            if jwt.get_unverified_header(token).get("alg") != "HS256":
                raise Refused(403, "AuthError", "Invalid token: algorithm used is not HS256")
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError as exc:
            raise Refused(403, "AuthError", "Invalid token: signature") from exc
        if "iss" not in claims:
            raise Refused(403, "AuthError", "Invalid token: iss field not provided")
        if claims["iss"] != self.service_id:
            raise Refused(403, "AuthError", "Invalid token: service not found")
        try:
            jwt.decode(token, self.secret, algorithms=["HS256"], options={"verify_iat": False})
        except jwt.InvalidTokenError as exc:
            raise Refused(403, "AuthError", "Invalid token: signature, api token not found") from exc
        if not isinstance(claims.get("iat"), int):
            raise Refused(403, "AuthError", "Invalid token: iat field not provided")
        if abs(time.time() - claims["iat"]) > 30:
            raise Refused(403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds")

    def _check_request(self, content_type: str | None, body: bytes) -> ReceivedEmail:
        if (content_type or "").partition(";")[0].strip() != "application/json":
            raise Refused(400, "BadRequestError", "Invalid JSON supplied in POST data")
        try:
            request = json.loads(body)
        except ValueError as exc:
            raise Refused(400, "BadRequestError", "Invalid JSON supplied in POST data") from exc
        if not isinstance(request, dict):
            raise Refused(400, "ValidationError", f"{request!r} is not of type object")
        for key in ("email_address", "template_id"):
            if key not in request:
                raise Refused(400, "ValidationError", f"{key} is a required property")
        extra = sorted(set(request) - REQUEST_KEYS)
        if extra:
            raise Refused(
                400, "ValidationError", f"Additional properties are not allowed ({extra[0]} was unexpected)"
            )
        address = request["email_address"]
        if not isinstance(address, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", address):
            raise Refused(400, "ValidationError", "email_address Not a valid email address")
        template_id = request["template_id"]
        try:
            uuid.UUID(str(template_id))
        except ValueError as exc:
            raise Refused(400, "ValidationError", "template_id is not a valid UUID") from exc
        personalisation = request.get("personalisation") or {}
        if not isinstance(personalisation, dict):
            raise Refused(400, "ValidationError", "personalisation is not of type object")
        reference = request.get("reference")
        if reference is not None and not isinstance(reference, str):
            raise Refused(400, "ValidationError", "reference is not of type string")
        template = self.templates.get(template_id)
        if template is None:
            raise Refused(400, "BadRequestError", "Template not found")
        missing = [p for p in dict.fromkeys(PLACEHOLDER.findall(template)) if p not in personalisation]
        if missing:
            raise Refused(400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}")
        files = {
            key: self._check_file(value) for key, value in personalisation.items() if isinstance(value, dict)
        }

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in files:
                return f"https://documents.example/d/{uuid.uuid4()}"
            return str(personalisation[name])

        return ReceivedEmail(
            address, template_id, personalisation, reference, files, PLACEHOLDER.sub(fill, template)
        )

    def _check_file(self, upload: dict[str, Any]) -> ReceivedFile:
        extra = sorted(set(upload) - FILE_KEYS)
        if extra:
            raise Refused(
                400, "ValidationError", f"Additional properties are not allowed ({extra[0]} was unexpected)"
            )
        try:
            content = base64.b64decode(upload.get("file") or "", validate=True)
        except (binascii.Error, TypeError) as exc:
            raise Refused(400, "BadRequestError", "Unsupported file type 'None'") from exc
        if not content:
            raise Refused(400, "BadRequestError", "File is empty")
        if len(content) > FILE_SIZE_LIMIT:
            raise Refused(400, "BadRequestError", "File is larger than 2MB")
        filename = upload.get("filename")
        if filename is not None:
            if not isinstance(filename, str) or "." not in filename:
                raise Refused(400, "BadRequestError", "filename must end with a file extension")
            extension = filename.rpartition(".")[2].lower()
            if extension not in FILE_EXTENSIONS:
                raise Refused(400, "BadRequestError", f"Unsupported file type '{extension}'")
            if extension == "pdf" and not content.startswith(b"%PDF-"):
                raise Refused(400, "BadRequestError", "Unsupported file type 'application/octet-stream'")
        confirm = upload.get("confirm_email_before_download")
        if confirm is not None and not isinstance(confirm, bool):
            raise Refused(400, "ValidationError", "confirm_email_before_download is not of type boolean")
        retention = upload.get("retention_period")
        if retention is not None and not (
            isinstance(retention, str)
            and (found := re.fullmatch(r"(\d+) weeks?", retention))
            and 1 <= int(found.group(1)) <= 78
        ):
            raise Refused(400, "ValidationError", "Unsupported value for retention_period")
        return ReceivedFile(filename, content, confirm, retention)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self._answer("POST")

    def do_GET(self) -> None:
        self._answer("GET")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, answer = self.server.fake.answer(method, self.path, self.headers, body)
        if isinstance(answer, str):
            data, content_type = answer.encode(), "text/html"
        else:
            data, content_type = json.dumps(answer).encode(), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read fake.refusals rather than a request log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeNotify


@contextmanager
def running_fake_notify(templates: dict[str, str]) -> Iterator[FakeNotify]:
    """A fake Notify API serving `templates` (template id to text) on 127.0.0.1 until the block ends."""
    fake = FakeNotify(templates)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.fake = fake
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-notify", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
