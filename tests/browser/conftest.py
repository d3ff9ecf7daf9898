"""Browser fixtures: the real app served on 127.0.0.1 and Debian's headless Chromium driven by
Playwright, both started once per test session; one fresh browser context per test."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from forms_engine.config import ROOT
from forms_engine.definitions.model import FormDefinition
from forms_engine.extensions import db
from tests.conftest import make_app
from tests.helpers import EXAMPLE_PDF, definitions

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "static" / ".test-vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1"}


def _require(path: Path, what: str) -> None:
    """Skip when a browser tool is missing, except in CI, where `make test` installs it."""
    if path.is_file():
        return
    message = f"{what} not found at {path}: run `make test-install` to install it"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


class QuietRequestHandler(WSGIRequestHandler):
    """Logs errors but not every request, which would bury a failing test's report."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def closing_responses(app: Flask) -> Callable[..., Any]:
    """The app, with every response body closed even when the browser drops the connection.

    Werkzeug's development server closes a response only if nothing fails after the body was
    sent; when Chromium resets a connection while a static file is being served (it does so
    when a page is left early) the file stays open and Python warns about it. Wrapping the
    body in a generator closes it when the server lets go of it, however that happens."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        body = app(environ, start_response)

        def chunks() -> Iterator[bytes]:
            try:
                yield from body
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

        return chunks()

    return wsgi


@dataclass
class LiveServer:
    app: Flask
    url: str


@contextmanager
def serving(app: Flask, name: str = "live-server") -> Iterator[str]:
    """Serve `app` with werkzeug on a free 127.0.0.1 port in a background thread; yields its URL.
    On the way out the server stops and the app's database connections are closed."""
    server = make_server(
        "127.0.0.1", 0, closing_responses(app), threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app on a migrated SQLite file, served by werkzeug in a background thread."""
    folder = tmp_path_factory.mktemp("browser")
    app = make_app(f"sqlite:///{folder / 'browser.sqlite'}")
    with serving(app) as url:
        yield LiveServer(app, url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (never downloaded: Debian's own)."""
    _require(CHROMIUM, "Chromium")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def axe_source() -> str:
    _require(AXE, "axe-core")
    return AXE.read_text(encoding="utf-8")


@dataclass
class ContextFactory:
    """Makes browser contexts on the live server that may only talk to 127.0.0.1."""

    browser: Any
    base_url: str
    contexts: list[Any] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def __call__(self, **options: Any) -> Any:
        context = self.browser.new_context(base_url=self.base_url, **options)
        context.set_default_timeout(10_000)
        context.route("**/*", self._only_local)
        self.contexts.append(context)
        return context

    def _only_local(self, route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Callable[..., Any]]:
    """Call with Playwright context options; the contexts are closed after the test, which fails
    if a page tried to reach anything but the live server."""
    factory = ContextFactory(browser, live_server.url)
    yield factory
    factory.close()
    assert not factory.blocked, f"pages requested other hosts: {factory.blocked}"


#: The page's own first button, not one inside it that belongs to another form (Remove for a file).
SUBMIT_BUTTON = "main form button.govuk-button:not([form])"


def example_definition(live_server: LiveServer, slug: str) -> FormDefinition:
    """An example form as the live server loaded it."""
    found = {d.slug: d for d in definitions(live_server.app)}
    assert slug in found, f"{slug} did not load: {sorted(found)}"
    return found[slug]


def path_of(page: Any) -> str:
    """The path (and query) of the page's URL."""
    parts = urlsplit(page.url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def submit_form(page: Any) -> None:
    """Press the page's button (Start now, Continue, Send) and wait for the next page."""
    with page.expect_navigation():
        page.click(SUBMIT_BUTTON)


def fill_page(page: Any, data: dict[str, list[str]]) -> None:
    """Fill each named field with the given values, whatever kind of control it is."""
    for name, values in data.items():
        controls = page.locator(f'main form [name="{name}"]')
        assert controls.count(), f"no control named {name} on {page.url}"
        first = controls.first
        if first.evaluate("e => e.tagName") == "SELECT":
            first.select_option(values)
        elif first.get_attribute("type") in ("radio", "checkbox"):
            for value in values:
                page.check(f'main form [name="{name}"][value="{value}"]')
        elif first.get_attribute("type") == "file":
            # A file upload's example answer stands for files: attach as many small PDFs.
            count = len(json.loads(values[0])) if values else 0
            first.set_input_files(
                [
                    {"name": f"example-{i + 1}.pdf", "mimeType": "application/pdf", "buffer": EXAMPLE_PDF}
                    for i in range(count)
                ]
            )
        else:
            assert len(values) == 1, (name, values)
            first.fill(values[0])
