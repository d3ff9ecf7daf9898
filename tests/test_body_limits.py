"""Request body limits on every POST route (enumerated from the URL map): too many form fields
(MAX_FORM_PARTS, url-encoded and multipart), a form body over MAX_FORM_MEMORY_SIZE and any body over
MAX_CONTENT_LENGTH all get the 413 page, before anything else reads the request."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.routing import Rule

from forms_engine.extensions import db
from forms_engine.journey import journey_for

from .conftest import make_app
from .helpers import BrowserClient, location
from .test_save_return import example_form

PARTS = 40
FORM_MEMORY = 8 * 1024
CONTENT = 64 * 1024
TOO_LARGE = "What you sent was too large"
#: A value for each kind of URL argument the POST routes take.
ARGUMENTS: dict[str, Any] = {
    "slug": "x",
    "page_slug": "x",
    "item": 1,
    "repeat_id": "x",
    "token": "x",
    "reference": "x",
    "user_id": 1,
    "entry_id": 1,
}


@pytest.fixture(scope="module")
def limited_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path: Path = tmp_path_factory.mktemp("body-limits") / "limits.sqlite"
    app = make_app(
        f"sqlite:///{path}",
        MAX_FORM_PARTS=PARTS,
        MAX_FORM_MEMORY_SIZE=FORM_MEMORY,
        MAX_CONTENT_LENGTH=CONTENT,
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def post_routes(app: Flask) -> list[Rule]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if "POST" in (rule.methods or set())),
        key=lambda rule: rule.rule,
    )


def path_for(app: Flask, rule: Rule) -> str:
    slug = example_form(app).slug
    values = {**ARGUMENTS, "slug": slug}
    missing = set(rule.arguments) - set(values)
    assert not missing, f"add a value for {missing} ({rule.rule})"
    return rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]


def test_the_limits_are_configured() -> None:
    from forms_engine.config import Config

    assert Config.MAX_FORM_PARTS == 1000
    assert Config.MAX_FORM_MEMORY_SIZE == 1024 * 1024
    assert Config.MAX_CONTENT_LENGTH == 25 * 1024 * 1024


def test_there_are_post_routes_to_check(limited_app: Flask) -> None:
    endpoints = {rule.endpoint for rule in post_routes(limited_app)}
    assert {"runner.question", "save_return.save", "caseworker.sign_in_post"} <= endpoints


def _assert_too_large(client: BrowserClient, path: str, **kwargs: Any) -> None:
    response = client.client.post(path, **kwargs)
    assert response.status_code == 413, (path, response.status_code)
    assert TOO_LARGE in response.get_data(as_text=True), path


def test_too_many_url_encoded_fields_are_refused_on_every_post_route(limited_app: Flask) -> None:
    client = BrowserClient(limited_app)
    # Repeated keys count one each, as a browser sends checkboxes.
    body = urlencode([("field", "x")] * (PARTS + 1))
    for rule in post_routes(limited_app):
        _assert_too_large(
            client, path_for(limited_app, rule), data=body, content_type="application/x-www-form-urlencoded"
        )


def test_too_many_multipart_fields_are_refused_on_every_post_route(limited_app: Flask) -> None:
    client = BrowserClient(limited_app)
    data = {f"field{i}": "x" for i in range(PARTS + 1)}
    for rule in post_routes(limited_app):
        _assert_too_large(client, path_for(limited_app, rule), data=data, content_type="multipart/form-data")


def test_a_form_body_over_the_memory_limit_is_refused_on_every_post_route(limited_app: Flask) -> None:
    client = BrowserClient(limited_app)
    body = urlencode({"field": "x" * (FORM_MEMORY + 1)})
    for rule in post_routes(limited_app):
        _assert_too_large(
            client, path_for(limited_app, rule), data=body, content_type="application/x-www-form-urlencoded"
        )


def test_a_body_over_the_content_limit_is_refused_on_every_post_route(limited_app: Flask) -> None:
    client = BrowserClient(limited_app)
    for rule in post_routes(limited_app):
        data = {"file": (io.BytesIO(b"x" * (CONTENT + 1)), "big.pdf")}
        _assert_too_large(client, path_for(limited_app, rule), data=data, content_type="multipart/form-data")


def test_a_page_with_as_many_fields_as_allowed_is_answered_as_usual(limited_app: Flask) -> None:
    definition = example_form(limited_app)
    journey = journey_for(definition)
    client = BrowserClient(limited_app)
    client.get(f"/{definition.slug}/")
    first = location(client.post(f"/{definition.slug}/start"))
    client.get(first)
    data: dict[str, Any] = {k: v for k, v in journey.first_page.example().items()}
    data["csrf_token"] = client.csrf_token
    extra = PARTS - sum(len(v) if isinstance(v, list) else 1 for v in data.values())
    assert extra > 0
    pairs = [(k, item) for k, v in data.items() for item in (v if isinstance(v, list) else [v])]
    pairs += [("unused", "x")] * extra
    response = client.client.post(
        first, data=urlencode(pairs), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 302, response.status_code
    # One more field than allowed: refused, and nothing of it stored.
    response = client.client.post(
        first, data=urlencode([*pairs, ("unused", "x")]), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
