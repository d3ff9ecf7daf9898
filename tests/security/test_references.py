"""Enumeration of references: references cannot be guessed, and no URL answers differently for a
reference that exists and one that does not, unless the browser may see it.

A citizen's confirmation and receipt URLs take no reference (the browser's own journey decides), so
a citizen cannot ask for anyone else's. Caseworker URLs for a form the account may not see answer 404
exactly as for a reference that does not exist: that is tested in tests/caseworker/test_screens.py
(test_every_url_of_a_form_the_account_may_not_see_answers_404 and
test_a_reference_that_does_not_exist_looks_the_same_as_one_of_another_form), not again here."""

from __future__ import annotations

import math
import re

from werkzeug.test import TestResponse

from forms_engine.submissions import service

from ..helpers import BrowserClient
from .conftest import FORM, World

FAKE = "ABCD-EFGH-JKMN"


def test_references_are_random_with_at_least_56_bits() -> None:
    alphabet = service.REFERENCE_ALPHABET
    assert len(set(alphabet)) == len(alphabet) == 29
    length = service.REFERENCE_GROUPS * service.REFERENCE_GROUP_LENGTH
    bits = length * math.log2(len(alphabet))
    assert bits >= 56, bits  # about 58.3: a guess finds one of a million submissions 1 time in 4e11
    pattern = re.compile(rf"^[{alphabet}]{{4}}-[{alphabet}]{{4}}-[{alphabet}]{{4}}$")
    references = [service.new_reference() for _ in range(3000)]
    assert all(pattern.fullmatch(r) for r in references)
    assert len(set(references)) == len(references)
    # Every character of the alphabet is used in every position: not a counter, not a time.
    for position in range(len(references[0])):
        if references[0][position] != "-":
            assert {r[position] for r in references} == set(alphabet), position


def test_new_reference_uses_the_secrets_module() -> None:
    """A seeded `random` would make references predictable from earlier ones."""
    import inspect

    assert "secrets.choice" in inspect.getsource(service.new_reference)


def shape(response: TestResponse, reference: str) -> tuple[int, str, str]:
    """Status, Location and body with the reference taken out: what an outsider can compare."""
    body = response.get_data(as_text=True).replace(reference, "REF")
    response.close()
    location = response.headers.get("Location", "").replace(reference, "REF")
    # The CSP nonce and CSRF token differ on every response.
    body = re.sub(r'nonce="[^"]+"|value="[^"]{40,}"', "X", body)
    return response.status_code, location, body


def test_caseworker_urls_answer_the_same_for_any_reference_when_not_signed_in(world: World) -> None:
    for suffix in ("", "/receipt.pdf", f"/files/{world.file_id}"):
        real = BrowserClient(world.app).client.get(f"/caseworker/submissions/{world.reference}{suffix}")
        fake = BrowserClient(world.app).client.get(f"/caseworker/submissions/{FAKE}{suffix}")
        real_shape, fake_shape = shape(real, world.reference), shape(fake, FAKE)
        assert real_shape == fake_shape, suffix
        assert real_shape[0] == 302 and real_shape[1].startswith("/caseworker/sign-in?"), real_shape[:2]


def test_a_browser_that_sent_nothing_gets_the_same_confirmation_and_receipt_answers(world: World) -> None:
    """Whether the form has submissions or not, and whether the browser has a journey or not: the
    confirmation sends it to the start page, the receipt is not found."""
    fresh = BrowserClient(world.app).client
    in_progress = world.citizen.client
    for url in (f"/{FORM}/confirmation", f"/{FORM}/confirmation/receipt.pdf"):
        answers = {shape(client.get(url), world.reference)[:2] for client in (fresh, in_progress)}
        assert len(answers) == 1, (url, answers)
    confirmation = fresh.get(f"/{FORM}/confirmation")
    confirmation.close()
    assert confirmation.status_code == 302 and confirmation.headers["Location"] == f"/{FORM}/"
    receipt = fresh.get(f"/{FORM}/confirmation/receipt.pdf")
    assert receipt.status_code == 404
    assert world.reference not in receipt.get_data(as_text=True)
    receipt.close()


def test_the_sender_sees_its_own_reference(world: World) -> None:
    """The control: the reference is shown to the browser that sent the form."""
    page = world.sender.get(f"/{FORM}/confirmation")
    assert page.status == 200 and world.reference in page.response.get_data(as_text=True)
