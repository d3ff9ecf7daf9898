"""The preview server (`forms-engine preview`): the engine serving a folder of definitions for a designer
at work, reloading them when a file changes and showing their problems on the pages themselves.

An app is a preview app when built with `DESIGNER_PREVIEW` set (`create_preview_app` does that):

- before each request the folder's `*.json` files are checked (name, modification time, size: a
  few `stat` calls, no watcher thread, no extra dependency); on any change the registry is built
  again, so the next request serves the new version. A journey in progress moves to the new
  version too (the real service keeps journeys on the version they started on);
- `/` lists the forms with their validation and lint findings and the definitions that cannot be
  served with their problems (JSON paths); any page of a form whose file is broken shows those
  problems instead of a 404; every page of a form with findings has a banner listing them at the
  top; `/_preview/<slug>/map` shows its journey map;
- nothing leaves the machine: the app has its own SQLite database in a folder of its own (a
  temporary folder for the command), email always goes to the outbox backend (`.eml` files in that
  folder, whatever MAIL_BACKEND says), and no delivery worker runs, so submissions made while
  previewing never reach caseworkers, team mailboxes or webhooks.
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, current_app, render_template, request, session
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError

from ..definitions.loader import FormRegistry, Problem
from ..extensions import db

#: The config flag that makes an app a preview app.
PREVIEW_FLAG = "DESIGNER_PREVIEW"
#: The preview app's own folder: its database, outbox and uploads.
INSTANCE_KEY = "DESIGNER_PREVIEW_DIR"
STATE_KEY = "forms_engine.designer_preview"
SERVICE_TITLE = "Form preview"
#: Requests that never need the definitions checked (GOV.UK Frontend's files, the engine's own).
UNCHECKED_PREFIXES = ("/assets/", "/static/", "/designer/designer.css")
_MAIN = re.compile(r"<main\b[^>]*>")

Snapshot = tuple[tuple[str, int, int], ...]


@dataclass
class Broken:
    """A definition file that cannot be served, with every problem found in it."""

    name: str
    slug: str | None
    problems: list[Problem]


@dataclass
class PreviewState:
    directory: Path
    folder: Path
    snapshot: Snapshot
    #: Worked out on first use (the registry is loaded after init_app), then on each reload.
    broken: dict[str, Broken] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def snapshot(directory: Path) -> Snapshot:
    """What the folder's definition files look like now: name, modification time, size."""
    found = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked
        found.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _broken(directory: Path, registry: FormRegistry) -> dict[str, Broken]:
    """Broken definitions by file name and by the slug they declare (when their JSON says)."""
    found: dict[str, Broken] = {}
    for name, problems in registry.unavailable.items():
        slug = None
        try:
            data = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("slug"), str):
            slug = data["slug"]
        entry = Broken(name, slug, problems)
        found[name] = entry
        if slug:
            found.setdefault(slug, entry)
    return found


def _load_folder(directory: Path) -> FormRegistry:
    """The folder's definitions, as the service loads them: a file that cannot be loaded (even one
    nested too deeply to check) is listed as unavailable with its problems, and the other forms are
    still served."""
    return FormRegistry.from_directory(directory)


def state_of(app: Flask) -> PreviewState:
    state: PreviewState = app.extensions[STATE_KEY]
    return state


def reload_if_changed(app: Flask) -> bool:
    """Build the registry again if a definition file was added, changed or removed."""
    state = state_of(app)
    if snapshot(state.directory) == state.snapshot:
        return False
    with state.lock:
        now = snapshot(state.directory)
        if now == state.snapshot:
            return False  # another request reloaded first
        registry = _load_folder(state.directory)
        app.extensions["forms_engine.registry"] = registry
        state.broken = _broken(state.directory, registry)
        state.snapshot = now
    return True


def broken_files(app: Flask) -> dict[str, Broken]:
    state = state_of(app)
    if state.broken is None:
        from .. import form_registry

        state.broken = _broken(state.directory, form_registry(app))
    return state.broken


def _registry() -> FormRegistry:
    from .. import form_registry

    return form_registry(current_app._get_current_object())  # type: ignore[attr-defined]


def _follow_current_version(slug: str) -> None:
    """Move this browser's journey on the form to the version being previewed now."""
    from ..runner.views import SESSION_KEY
    from ..submissions.models import FormVersion, JourneyState

    definition = _registry().get(slug)
    journey_id = session.get(SESSION_KEY, {}).get(slug)
    if definition is None or not journey_id:
        return
    journey = db.session.get(JourneyState, journey_id)
    if journey is None or journey.submission_reference or journey.form_version == definition.version:
        return
    if db.session.get(FormVersion, (slug, definition.version)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    FormVersion(slug=slug, version=definition.version, definition=dict(definition.source))
                )
        except IntegrityError:
            pass  # recorded by a request at the same moment
    journey.form_version = definition.version
    db.session.commit()


def _first_segment() -> str:
    return request.path.strip("/").split("/", 1)[0]


def _before_request() -> Any:
    if request.path.startswith(UNCHECKED_PREFIXES):
        return None
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    reload_if_changed(app)
    if request.path == "/":
        return index()
    slug = _first_segment()
    if slug in _registry().forms:
        _follow_current_version(slug)
        return None
    broken = broken_files(app).get(slug)
    if broken is not None:
        return problems_page(broken)
    return None


def _after_request(response: Response) -> Response:
    """A banner listing the form's findings at the top of every page of a form that has some."""
    definition = _registry().get(_first_segment()) if request.path != "/" else None
    if definition is None or response.mimetype != "text/html" or response.direct_passthrough:
        return response
    from .views import check_definition

    check = check_definition(dict(definition.source))
    if not check.findings:
        return response
    html = response.get_data(as_text=True)
    match = _MAIN.search(html)
    if match is None:
        return response
    banner = render_template("designer/_problems_banner.html", check=check, slug=definition.slug)
    response.set_data(html[: match.end()] + banner + html[match.end() :])
    return response


# -- pages -----------------------------------------------------------------------------------------


def index() -> str:
    """The preview's home: every form with its findings, and every file that cannot be served."""
    from .views import check_definition

    registry = _registry()
    state = state_of(current_app._get_current_object())  # type: ignore[attr-defined]
    forms = [
        {"definition": definition, "check": check_definition(dict(definition.source))}
        for definition in sorted(registry.forms.values(), key=lambda d: str(d.title))
    ]
    return render_template(
        "designer/preview_index.html",
        page_title=SERVICE_TITLE,
        service_title=SERVICE_TITLE,
        service_url="/",
        forms=forms,
        unavailable=sorted(registry.unavailable.items()),
        directory=state.directory,
        folder=state.folder,
    )


def problems_page(broken: Broken) -> str:
    return render_template(
        "designer/preview_problems.html",
        page_title=f"{broken.name}.json cannot be shown",
        service_title=SERVICE_TITLE,
        service_url="/",
        broken=broken,
    )


def preview_map(slug: str) -> str:
    from .journey_map import journey_graph, render_svg, route_rows

    definition = _registry().get(slug)
    if definition is None:
        abort(404)
    graph = journey_graph(definition)
    return render_template(
        "designer/preview_map.html",
        page_title=f"Journey map: {definition.title}",
        service_title=SERVICE_TITLE,
        service_url="/",
        graph=graph,
        svg=Markup(render_svg(graph)),  # every text in it is escaped by render_svg
        routes=route_rows(graph),
    )


# -- the app ---------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Make `app` a preview app when its config has DESIGNER_PREVIEW set; otherwise do nothing."""
    if not app.config.get(PREVIEW_FLAG):
        return
    if not str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        raise RuntimeError("the preview server keeps its own SQLite database: never the service's")
    from .. import mail

    folder = Path(app.config.get(INSTANCE_KEY) or tempfile.mkdtemp(prefix="forms-engine-preview-"))
    app.config[INSTANCE_KEY] = folder
    # Never a real mail server or GOV.UK Notify, whatever the environment says.
    app.config["MAIL_BACKEND"] = "outbox"
    app.config["MAIL_OUTBOX_DIR"] = folder / "outbox"
    mail.init_app(app)
    directory = Path(app.config["FORM_DEFINITIONS_DIR"])
    # The snapshot is taken before the registry is loaded: a change in between reloads once. The
    # registry is loaded here (create_app keeps one already there) so that a file too deeply
    # nested to check cannot stop the preview starting.
    app.extensions[STATE_KEY] = PreviewState(directory, folder, snapshot(directory))
    app.extensions["forms_engine.registry"] = _load_folder(directory)
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.add_url_rule("/_preview/<slug>/map", "designer_preview_map", preview_map)


def create_preview_app(directory: Path, folder: Path, **overrides: Any) -> Flask:
    """A preview app serving `directory`, keeping its database, outbox and files in `folder`."""
    from .. import create_app
    from ..database import upgrade_database

    folder.mkdir(parents=True, exist_ok=True)
    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(32),
            "FILE_STORE": "database",
            **overrides,
            # What makes it a preview: never overridden.
            PREVIEW_FLAG: True,
            INSTANCE_KEY: folder,
            "FORM_DEFINITIONS_DIR": Path(directory),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'preview.sqlite'}",
        }
    )
    upgrade_database(app)
    return app
