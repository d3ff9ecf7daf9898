"""A new form definition to start from (`forms-engine new SLUG`): valid, with a start page, one
example question, check answers, and every detail still to fill in marked "TODO" (lint rule FE401
fails until none is left)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ..definitions.loader import RESERVED_SLUGS, definition_schema

SLUG_PATTERN = re.compile(definition_schema()["$defs"]["slug"]["pattern"])
SLUG_MAX_LENGTH: int = definition_schema()["$defs"]["slug"]["maxLength"]
ORGANISATIONS: tuple[str, ...] = tuple(definition_schema()["$defs"]["organisation"]["enum"])


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a form, or None when it can."""
    if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX_LENGTH:
        return (
            f"'{slug}' is not a slug: use lower-case letters and digits in words joined by single "
            f"hyphens, at most {SLUG_MAX_LENGTH} characters, like register-your-poultry"
        )
    if slug in RESERVED_SLUGS:
        return f"'{slug}' is used by the service itself: choose another slug"
    return None


def scaffold_definition(
    slug: str,
    title: str | None = None,
    organisation: str = "Defra",
    paper_reference: str | None = None,
) -> dict[str, Any]:
    """A valid definition for `slug`, its details to fill in marked "TODO"."""
    problem = slug_problem(slug)
    if problem:
        raise ValueError(problem)
    if organisation not in ORGANISATIONS:
        raise ValueError(f"unknown organisation '{organisation}': one of {', '.join(ORGANISATIONS)}")
    return {
        "schemaVersion": 1,
        "slug": slug,
        "title": title
        or "TODO: the service's name, saying what it lets people do, like 'Register your land'",
        "languages": ["en"],
        "paperForm": {
            "reference": paper_reference or "TODO",
            "title": "TODO: the title printed on the paper form",
            "organisation": organisation,
        },
        "service": {
            "contact": {
                "name": "TODO: the team or office that helps with this form",
                "email": "TODO-team@example.gov.uk",
                "hours": "TODO: when the team answers, like Monday to Friday, 9am to 5pm",
            },
            "privacyNoticeUrl": "https://www.gov.uk/TODO-privacy-notice",
            "whatHappensNext": "TODO: what happens after the form is sent, and how long it takes.",
        },
        "startPage": {
            "content": (
                "TODO: what this service lets people do, who can use it and who cannot.\n\n"
                "It takes around 10 minutes."
            ),
            "beforeYouStart": "TODO: what people need before they start, such as reference numbers.",
        },
        "checkAnswers": {
            "declaration": (
                "TODO: what people confirm by sending the form, like 'By sending this form you confirm "
                "that, to the best of your knowledge, the details you are providing are correct.'"
            ),
        },
        "pages": [
            {
                "id": "full-name",
                "path": "/full-name",
                "title": "What is your full name?",
                "components": [
                    {
                        "id": "fullName",
                        "type": "TextField",
                        "name": "fullName",
                        "title": "What is your full name?",
                        "shortTitle": "Full name",
                        "hint": "TODO: an example question: change it to the paper form's first question",
                        "options": {"autocomplete": "name", "maxLength": 100, "spellcheck": False},
                    }
                ],
            }
        ],
    }


def write_scaffold(path: Path, data: dict[str, Any]) -> None:
    """Write a new definition; FileExistsError when `path` exists (a definition is never overwritten)."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    with path.open("x", encoding="utf-8") as file:
        file.write(text)
