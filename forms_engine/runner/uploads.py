"""File uploads on question pages: take the files a page sends, check them with their component's
handler, scan them, store them and keep their records; and remove a file when asked.

Called by `views.question` before a page is validated. The uploaded files of a journey are the
`uploaded_files` rows for it; the journey's answer for an upload component is always written from those
rows, never from anything the browser posted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import IO, Any

import flask
from flask import Flask, abort, current_app, redirect, request
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Response
from werkzeug.wsgi import LimitedStream

from ..components import FieldError
from ..components.files import FILE_ID_FIELD, REMOVE_ACTION, FileUploadField, IncomingFile
from ..components.messages import FILE_NOT_STORED
from ..extensions import db
from ..files.scan import ScanResult, scan_bytes
from ..files.storage import FileStore, new_key, store_from_config
from ..files.types import FileType
from ..journey import CompiledPage
from ..submissions.models import JourneyState, UploadedFile

log = logging.getLogger(__name__)
EXTENSION_KEY = "forms_engine.file_store"
FILENAME_LIMIT = 255
#: Largest refused request body read to its end before answering (see `discard_request_body`).
DISCARD_LIMIT = 256 * 1024 * 1024


@dataclass
class Received:
    """What became of a page's files: errors by component name, or a response to send instead
    (after a removal)."""

    errors: dict[str, FieldError] = field(default_factory=dict)
    response: Response | None = None


class Request(flask.Request):
    """MAX_CONTENT_LENGTH is large enough for files, so it applies to requests that can carry them
    (multipart/form-data). Any other body is read into memory at once, and is held to the smaller
    MAX_FORM_MEMORY_SIZE, as all requests were before uploads."""

    @property
    def max_content_length(self) -> int | None:
        limit = super().max_content_length
        if self._max_content_length is not None or not current_app or self.mimetype == "multipart/form-data":
            return limit
        form_limit: int | None = current_app.config.get("MAX_FORM_MEMORY_SIZE")
        if form_limit is None:
            return limit
        return form_limit if limit is None else min(limit, form_limit)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        stream = super()._get_file_stream(total_content_length, content_type, filename, content_length)
        self.__dict__.setdefault("_opened_file_streams", []).append(stream)
        return stream

    def _load_form_data(self) -> None:
        super()._load_form_data()
        # A multipart part with no name (`Content-Disposition: form-data` alone, or a name broken by a
        # line break) is kept under the key None, which Flask-WTF's CSRF check calls `.endswith` on:
        # found by fuzzing, such a body gave a 500. Nameless parts are dropped.
        for key in ("form", "files"):
            data = self.__dict__.get(key)
            if data is not None and None in data:
                self.__dict__[key] = type(data)((k, v) for k, v in data.items(multi=True) if k is not None)

    def close(self) -> None:
        """Also close the files of a body whose parsing stopped part way (found by fuzzing: a file
        part then a field over MAX_FORM_MEMORY_SIZE gives a 413, and werkzeug never hands the
        already-opened temporary file to `files`, so nothing closed it)."""
        super().close()
        for stream in self.__dict__.pop("_opened_file_streams", []):
            stream.close()


def init_app(app: Flask) -> None:
    """Make the configured file store (an unknown FILE_STORE fails here, at start), and hold bodies
    without files to the smaller limit."""
    app.extensions[EXTENSION_KEY] = store_from_config(app.config)
    app.request_class = Request


def discard_request_body() -> None:
    """Read and drop the rest of a refused request's body (up to DISCARD_LIMIT), so that servers
    which close the connection after answering (gunicorn) do not reset it while the browser is still
    sending: the browser then shows the error page rather than a connection error."""
    length = request.content_length
    if length is None or length > DISCARD_LIMIT:
        return
    # When parsing had begun (a text field over MAX_FORM_MEMORY_SIZE), part of the body is read:
    # only the request's own stream knows how much is left. Reading the raw input for the whole
    # length would wait for bytes that never come.
    stream = request.__dict__.get("stream")
    if stream is None:
        raw = request.environ.get("wsgi.input")
        if raw is None:
            return
        stream = LimitedStream(raw, length)
    if isinstance(stream, LimitedStream):
        with contextlib.suppress(OSError, ValueError, ClientDisconnected):
            stream.exhaust()


def file_store() -> FileStore:
    store: FileStore = current_app.extensions[EXTENSION_KEY]
    return store


def upload_handlers(page: CompiledPage) -> list[FileUploadField]:
    return [h for h in page.questions if isinstance(h, FileUploadField)]


def receive(
    page: CompiledPage, state: JourneyState, formdata: dict[str, list[str]], language: str = "en"
) -> Received:
    """Handle a page's files before it is validated.

    A Remove button's post removes that file and redirects back to the page. Otherwise each upload
    component takes the files chosen for it, and its entry in `formdata` is replaced with the records
    of the journey's files, so validation sees what is really stored.
    """
    handlers = upload_handlers(page)
    if not handlers:
        return Received()
    if request.form.get("action") == REMOVE_ACTION:
        return Received(response=remove(handlers, state, request.form.get(FILE_ID_FIELD, "")))
    received = Received()
    for handler in handlers:
        chosen = [f for f in request.files.getlist(handler.name) if f.filename]
        if chosen:
            error = take_files(handler, state, chosen, language)
            if error is not None:
                received.errors[handler.name] = error
        formdata.pop(handler.name, None)
        formdata.update(handler.formdata(records(state, handler)))
    return received


def records(state: JourneyState, handler: FileUploadField) -> list[dict[str, Any]]:
    """The journey's files for a component, oldest first, as answer records."""
    rows = db.session.scalars(
        select(UploadedFile)
        .where(
            UploadedFile.journey_id == state.id,
            UploadedFile.component == handler.name,
            UploadedFile.submission_id.is_(None),
        )
        .order_by(UploadedFile.created_at, UploadedFile.id)
    )
    return [
        {"id": row.id, "filename": row.filename, "size": row.size, "content_type": row.content_type}
        for row in rows
    ]


def take_files(
    handler: FileUploadField, state: JourneyState, chosen: list[FileStorage], language: str
) -> FieldError | None:
    """Check, scan and store the files chosen for one component; the first error, if any.

    Files that pass are kept even when another chosen with them fails, so they need not be chosen
    again. With a limit of one file, a new file replaces the one uploaded before.
    """
    existing = records(state, handler)
    replacing = handler.max_files == 1 and len(chosen) == 1
    count_error = handler.count_error((0 if replacing else len(existing)) + len(chosen), language)
    if count_error is not None:
        return count_error
    several = len(chosen) > 1
    first_error: FieldError | None = None
    accepted: list[tuple[IncomingFile, FileType]] = []
    for storage in chosen:
        # Read one byte past the limit: enough to know a file is too large.
        incoming = IncomingFile(clean_filename(storage.filename or ""), storage.read(handler.max_bytes + 1))
        checked = handler.check_file(incoming, language, several)
        if isinstance(checked, FieldError):
            first_error = first_error or checked
            continue
        scan_error = handler.scan_error(scan(incoming.data), incoming, language, several)
        if scan_error is not None:
            first_error = first_error or scan_error
            continue
        accepted.append((incoming, checked))
    if not accepted:
        return first_error
    try:
        stored = [store(handler, state, incoming, file_type) for incoming, file_type in accepted]
    except OSError:
        log.exception("an uploaded file could not be stored")
        db.session.rollback()
        return handler.error("notStored", FILE_NOT_STORED, language)
    replaced = [_forget(state, record["id"]) for record in existing] if replacing else []
    _update_answer(state, handler)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for key in stored:
            file_store().delete(key)
        raise
    _delete_bytes([key for key in replaced if key])
    return first_error


def scan(data: bytes) -> ScanResult:
    """The virus-scan hook: CLEAN when no VIRUS_SCAN_COMMAND is configured."""
    command = current_app.config.get("VIRUS_SCAN_COMMAND")
    if not command:
        return ScanResult.CLEAN
    return scan_bytes(data, command, float(current_app.config.get("VIRUS_SCAN_TIMEOUT", 30)))


def store(handler: FileUploadField, state: JourneyState, incoming: IncomingFile, file_type: FileType) -> str:
    """Put the bytes in the file store and add the file's row; the storage key."""
    key = new_key()
    file_store().put(key, incoming.data)
    db.session.add(
        UploadedFile(
            id=secrets.token_hex(16),
            journey_id=state.id,
            component=handler.name,
            filename=incoming.filename,
            content_type=file_type.media_type,
            size=len(incoming.data),
            sha256=hashlib.sha256(incoming.data).hexdigest(),
            storage_key=key,
        )
    )
    db.session.flush()
    return key


def remove(handlers: list[FileUploadField], state: JourneyState, file_id: str) -> Response:
    """Remove one of this journey's files (from an upload component on this page) and show the page
    again. Any other id, including another journey's file, is not found."""
    names = {h.name for h in handlers}
    row = _own_file(state, file_id)
    if row is None or row.component not in names:
        abort(404)
    handler = next(h for h in handlers if h.name == row.component)
    key = _forget(state, file_id)
    _update_answer(state, handler)
    db.session.commit()
    _delete_bytes([key] if key else [])
    url = request.path + (f"?{request.query_string.decode()}" if request.query_string else "")
    return redirect(url, code=303)


def _own_file(state: JourneyState, file_id: str) -> UploadedFile | None:
    if not file_id:
        return None
    row: UploadedFile | None = db.session.scalar(
        select(UploadedFile).where(
            UploadedFile.id == file_id,
            UploadedFile.journey_id == state.id,
            UploadedFile.submission_id.is_(None),
        )
    )
    return row


def _forget(state: JourneyState, file_id: str) -> str | None:
    """Delete a file's row (in the current transaction); its storage key."""
    row = _own_file(state, file_id)
    if row is None:
        return None
    db.session.delete(row)
    db.session.flush()
    return row.storage_key


def _delete_bytes(keys: list[str]) -> None:
    """Delete stored bytes once their rows are gone: a failure in between leaves bytes no row refers
    to, never a row without its bytes."""
    if not keys:
        return
    store = file_store()
    for key in keys:
        store.delete(key)
    db.session.commit()


def _update_answer(state: JourneyState, handler: FileUploadField) -> None:
    """Keep the journey's answer in step with its files, so pages before and after it see them."""
    current = records(state, handler)
    if current:
        state.answers = {**state.answers, handler.name: current}
    elif handler.name in state.answers:
        state.answers = {**state.answers, handler.name: None}


def clean_filename(name: str) -> str:
    """A file's name as shown to people: no folders, no control characters, at most 255 characters
    (keeping the extension). Never used as a path: stored bytes are named by random keys."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > FILENAME_LIMIT:
        stem, dot, extension = name.rpartition(".")
        if dot and len(extension) < 16:
            name = stem[: FILENAME_LIMIT - len(extension) - 1] + "." + extension
        else:
            name = name[:FILENAME_LIMIT]
    return name or "file"
