"""Fuzzing the question pages with garbage and hostile answers: whatever a client posts, the answer
is a GOV.UK page (an error summary, a GOV.UK error page or a redirect onwards), never a 500 and
never a traceback.

Targets: every question page of the example forms (form_definitions/*.json), each on a journey that
has answered every page with its example answer, and the first question page of generated valid
definitions (`definitions(mistakes=False)`, see tests/fuzz/strategies.py). Each answer set is drawn
by Hypothesis and sent as a raw body built here, so nothing is cleaned on the way:
- values: markup and script payloads, formulas, control, zero-width and right-to-left override
  characters, lone surrogates (as the invalid UTF-8 bytes they become), arbitrary bytes, numbers far
  past any float, and now and then a 1 MB string;
- field names: the page's own, the buttons' (`action`), deeply nested bracketed names
  (`a[b][c]...`), very long names, repeated keys (several values for a one-value field);
- bodies: URL-encoded, multipart (values as parts, some as files), JSON (a wrong type of body),
  plain bytes; with the page's CSRF token, with none, or with a wrong one.
At least 500 answer sets are posted per run (counted, checked at teardown).
"""

from __future__ import annotations

import gc
import itertools
import json
import warnings
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from forms_engine import form_registry
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import build_definition
from forms_engine.journey import RepeatSection, journey_for

from ..helpers import BrowserClient, definitions, location, walk_to_check_answers
from .conftest import FUZZ, Tally
from .strategies import definitions as generated_definitions
from .strategies import hostile_text

ANSWER_SETS_PER_RUN = 500
MEGABYTE = "A" * (1024 * 1024)
_slugs = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def _required(tally: Tally) -> None:
    tally.require("answer sets", ANSWER_SETS_PER_RUN)


class Target:
    """A question page to post to, with the browser whose journey can reach it."""

    def __init__(self, client: BrowserClient, slug: str, page_slug: str, names: list[str]):
        self.client, self.slug, self.page_slug, self.names = client, slug, page_slug, names

    @property
    def url(self) -> str:
        return f"/{self.slug}/{self.page_slug}"

    def __repr__(self) -> str:
        return f"Target({self.url})"


@pytest.fixture(scope="module")
def example_targets(fuzz_app: Flask) -> list[Target]:
    """Every question page of the example forms, each form walked to check answers first."""
    targets = []
    for definition in definitions(fuzz_app):
        client = BrowserClient(fuzz_app)
        walk_to_check_answers(client, definition)
        for page in journey_for(definition).pages:
            if isinstance(page, RepeatSection) or not page.questions or page.page.exit:
                continue
            names = [name for handler in page.questions for name in handler.field_names]
            targets.append(Target(client, definition.slug, page.page.slug, names))
    assert len(targets) >= 10
    return targets


# -- answer sets -------------------------------------------------------------------------------------


def _names(target: Target) -> st.SearchStrategy[bytes]:
    own = st.sampled_from(target.names or ["answer"]).map(str.encode)
    return st.one_of(
        own,
        own,
        own,
        own,
        st.just(b"action"),
        st.tuples(own, st.integers(1, 300)).map(lambda t: t[0] + b"[a]" * t[1]),
        st.tuples(own, st.integers(1, 60)).map(lambda t: t[0] + b"[" * t[1] + b"]" * (t[1] // 2)),
        st.integers(1, 5).map(lambda n: b"n" * (n * 2000)),
        hostile_text().map(lambda text: text.encode("utf-8", "surrogatepass")),
    )


@st.composite
def answer_sets(draw: Any, target: Target) -> tuple[list[tuple[bytes, bytes]], str, str]:
    """(fields, body kind, CSRF handling) for one post."""
    value = st.one_of(
        hostile_text().map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.binary(max_size=40),
        st.sampled_from([b"save", b"continue", b"yes", b"no", b"[]", b"{}", b"null", b"true", b"0"]),
    )
    fields = draw(st.lists(st.tuples(_names(target), value), max_size=8))
    if draw(st.integers(0, 30)) == 0:
        fields.append((draw(_names(target)), MEGABYTE.encode()))
    if fields and draw(st.booleans()):
        fields.extend([fields[0]] * draw(st.integers(1, 5)))  # repeated keys
    kind = draw(st.sampled_from(["urlencoded"] * 4 + ["multipart"] * 4 + ["json", "bytes"]))
    csrf = draw(st.sampled_from(["token"] * 8 + ["none", "wrong"]))
    return fields, kind, csrf


def encode(fields: list[tuple[bytes, bytes]], kind: str, token: bytes | None) -> tuple[bytes, str]:
    """The raw request body and its content type."""
    if token is not None:
        fields = [(b"csrf_token", token), *fields]
    if kind == "urlencoded":
        body = b"&".join(
            quote_from_bytes(k).encode() + b"=" + quote_from_bytes(v).encode() for k, v in fields
        )
        return body, "application/x-www-form-urlencoded"
    if kind == "multipart":
        boundary = b"fuzzboundary7MA4YWxkTrZu0gW"
        parts = []
        for index, (name, value) in enumerate(fields):
            filename = b'; filename="answer.pdf"' if index % 3 == 2 else b""
            parts.append(
                b"--" + boundary + b"\r\n"
                b'Content-Disposition: form-data; name="'
                + name
                + b'"'
                + filename
                + b"\r\n\r\n"
                + value
                + b"\r\n"
            )
        body = b"".join(parts) + b"--" + boundary + b"--\r\n"
        return body, f"multipart/form-data; boundary={boundary.decode()}"
    if kind == "json":
        document = {
            k.decode("utf-8", "replace"): [v.decode("utf-8", "replace"), {"nested": [1, None]}]
            for k, v in fields
        }
        return json.dumps(document).encode(), "application/json"
    return b"\x00\xff".join(v for _, v in fields) + b"\xed\xa0\x80", "application/x-www-form-urlencoded"


def assert_govuk_answer(response: Any, target: Target, fields: list[tuple[bytes, bytes]]) -> str:
    """A redirect within the form, a page with an error summary, or a GOV.UK error page."""
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status != 500 and status < 500, (target, status)
    assert "Traceback" not in body, target
    if status in (302, 303):
        assert response.headers["Location"].startswith(f"/{target.slug}/"), response.headers["Location"]
        return "accepted"
    soup = BeautifulSoup(body, "html.parser")
    assert soup.select_one("header.govuk-template__header") is not None, (target, status)
    assert soup.select_one("main#main-content h1") is not None, (target, status)
    if status == 200:
        saving = any(name == b"action" and value == b"save" for name, value in fields)
        summary = soup.select(".govuk-error-summary__list a")
        assert summary or saving, (target, "200 with no error summary")
        if summary:
            assert soup.title is not None and soup.title.get_text(strip=True).startswith("Error:")
            for link in summary:
                assert soup.find(id=link["href"][1:]) is not None, f"{link['href']} links to nothing"
        return "error summary" if summary else "saved"
    assert 400 <= status < 500, (target, status)
    return f"error page {status}"


def post(target: Target, answer_set: tuple[list[tuple[bytes, bytes]], str, str], tally: Tally) -> None:
    fields, kind, csrf = answer_set
    client = target.client
    if client.csrf_token is None:
        client.get(target.url)
    token = {"token": (client.csrf_token or "").encode(), "none": None, "wrong": b"forged"}[csrf]
    body, content_type = encode(fields, kind, token)
    response = client.client.post(target.url, data=body, content_type=content_type)
    outcome = assert_govuk_answer(response, target, fields)
    tally.add("answer sets")
    tally.add(f"answer sets: {outcome}")


# -- the tests --------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=480)
@given(data=st.data())
def test_hostile_answers_to_the_example_forms_get_a_govuk_error_never_a_500(
    example_targets: list[Target], tally: Tally, data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from(example_targets), label="page")
    post(target, data.draw(answer_sets(target), label="answers"), tally)


@settings(FUZZ, max_examples=30)
@given(definition_data=generated_definitions(mistakes=False), data=st.data())
def test_hostile_answers_to_generated_forms_get_a_govuk_error_never_a_500(
    fuzz_app: Flask, tally: Tally, definition_data: dict[str, Any], data: st.DataObject
) -> None:
    definition_data = {**definition_data, "slug": f"hostile-{next(_slugs)}"}
    if validate_definition_data(definition_data):
        return
    definition = build_definition(definition_data)
    form_registry(fuzz_app).add(definition)
    journey = journey_for(definition)
    first = journey.first_page
    if not first.questions or first.page.exit:
        return
    client = BrowserClient(fuzz_app)
    client.get(f"/{definition.slug}/")
    started = client.post(f"/{definition.slug}/start")
    target_url = location(started)
    assert target_url == f"/{definition.slug}/{first.page.slug}", target_url
    names = [name for handler in first.questions for name in handler.field_names]
    target = Target(client, definition.slug, first.page.slug, names)
    client.get(target.url)
    for _ in range(data.draw(st.integers(1, 4), label="posts")):
        post(target, data.draw(answer_sets(target), label="answers"), tally)


def test_the_missing_csrf_token_gets_the_govuk_error_page(example_targets: list[Target]) -> None:
    target = example_targets[0]
    target.client.get(target.url)
    response = target.client.client.post(target.url, data={target.names[0]: "x"})
    assert response.status_code == 400
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)


def test_a_file_part_then_a_field_over_the_memory_limit_leaves_no_temporary_file_open(
    example_targets: list[Target],
) -> None:
    """Found by fuzzing: werkzeug stops parsing at the field over MAX_FORM_MEMORY_SIZE (413) and never
    hands the file it had opened to `request.files`, so it stayed open until garbage collected."""
    target = example_targets[0]
    target.client.get(target.url)
    fields = [(b"upload", b"%PDF-1.4"), (b"other", b"A"), (b"later", MEGABYTE.encode() + b"more")]
    body, content_type = encode(fields, "multipart", (target.client.csrf_token or "").encode())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = target.client.client.post(target.url, data=body, content_type=content_type)
        assert response.status_code == 413
        response.close()
        del response
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


@pytest.mark.parametrize(
    "part",
    [
        b"Content-Disposition: form-data\r\n\r\nvalue",
        b'Content-Disposition: form-data; name="broken\r\nname"\r\n\r\nvalue',
        b'Content-Disposition: form-data; filename="nameless.pdf"\r\n\r\n%PDF-1.4',
    ],
)
def test_a_multipart_part_without_a_name_gets_a_govuk_page_not_a_500(
    example_targets: list[Target], part: bytes
) -> None:
    """Found by fuzzing: werkzeug keeps a nameless part under the key None, and Flask-WTF's CSRF check
    then raised AttributeError (a 500)."""
    target = example_targets[0]
    target.client.get(target.url)
    boundary = b"nameless"
    body = (
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + (target.client.csrf_token or "").encode()
        + b"\r\n--"
        + boundary
        + b"\r\n"
        + part
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )
    response = target.client.client.post(
        target.url, data=body, content_type=f"multipart/form-data; boundary={boundary.decode()}"
    )
    assert assert_govuk_answer(response, target, []) in ("accepted", "error summary")
