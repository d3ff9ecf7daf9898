"""`forms-engine new SLUG`: a valid definition that renders and completes, whose details to fill in
are TODOs lint reports as errors (and nothing else), never written over an existing file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from forms_engine import form_registry
from forms_engine.cli import main
from forms_engine.definitions.loader import definition_warnings, validate_definition_data
from forms_engine.designer.lint import check_definition, lint_definition
from forms_engine.designer.lint_commands import new_command
from forms_engine.designer.scaffold import scaffold_definition
from forms_engine.extensions import db
from tests.conftest import make_app
from tests.helpers import BrowserClient, submit, walk_to_check_answers

TODO = re.compile(r"\bTODO\b", re.IGNORECASE)


def new(*args: str) -> Result:
    return CliRunner().invoke(new_command, list(args))


def filled_in(value: Any, path: str = "$") -> Any:
    """The scaffold with every TODO replaced by real-looking text (what a designer would write)."""
    if isinstance(value, dict):
        return {key: filled_in(inner, f"{path}.{key}") for key, inner in value.items()}
    if isinstance(value, list):
        return [filled_in(inner, f"{path}[{i}]") for i, inner in enumerate(value)]
    if isinstance(value, str) and TODO.search(value):
        if path.endswith("email"):
            return "bees@apha.example.gov.uk"
        if path.endswith("Url"):
            return "https://www.gov.uk/government/publications/apha-privacy-notice"
        if path == "$.paperForm.reference":
            return "BEE1"
        if path.endswith(".hint"):
            return "As it appears on your bank statements."
        return "Register where you keep bees with the Animal and Plant Health Agency."
    return value


def test_the_scaffold_is_valid_and_lint_reports_only_its_todos() -> None:
    data = scaffold_definition("register-your-bees")
    assert validate_definition_data(data) == []
    assert definition_warnings(data) == []
    findings = lint_definition(data)
    assert findings, "the TODOs must be reported"
    assert {f.rule for f in findings} == {"FE401"}
    assert all(f.level == "error" for f in findings)
    todo_paths = {
        "$.title",
        "$.paperForm.reference",
        "$.paperForm.title",
        "$.service.contact.name",
        "$.service.contact.email",
        "$.service.privacyNoticeUrl",
        "$.service.whatHappensNext",
        "$.startPage.content",
        "$.checkAnswers.declaration",
        "$.pages[0].components[0].hint",
    }
    assert todo_paths <= {f.path for f in findings}


def test_a_filled_in_scaffold_passes_lint_strictly() -> None:
    data = filled_in(scaffold_definition("register-your-bees"))
    assert validate_definition_data(data) == []
    result = check_definition(data)
    assert [str(f) for f in result.findings] == []
    assert not result.failed(strict=True)


def test_options_fill_in_the_title_organisation_and_paper_reference() -> None:
    data = scaffold_definition("register-your-bees", "Register your bees", "APHA", "BEE1")
    assert data["title"] == "Register your bees"
    assert data["paperForm"]["organisation"] == "APHA"
    assert data["paperForm"]["reference"] == "BEE1"
    paths = {f.path for f in lint_definition(data)}
    assert "$.title" not in paths and "$.paperForm.reference" not in paths
    assert "$.paperForm.title" in paths


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad_Slug", "is not a slug"),
        ("caseworker", "used by the service itself"),
        ("a" * 81, "is not a slug"),
    ],
)
def test_a_bad_slug_is_refused(slug: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scaffold_definition(slug)
    result = new(slug)
    assert result.exit_code == 2
    assert message in result.output


def test_new_writes_the_file_and_never_overwrites_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = new("register-your-bees", "--title", "Register your bees", "--organisation", "APHA")
    assert result.exit_code == 0, result.output
    path = tmp_path / "register-your-bees.json"
    data = json.loads(path.read_text())
    assert data == scaffold_definition("register-your-bees", "Register your bees", "APHA")
    assert "forms-engine lint register-your-bees.json" in result.output

    path.write_text('{"mine": true}')
    again = new("register-your-bees")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert path.read_text() == '{"mine": true}'

    other = tmp_path / "drafts" / "bees.json"
    other.parent.mkdir()
    written = new("register-your-bees", "--output", str(other), "--paper-reference", "BEE1")
    assert written.exit_code == 0, written.output
    assert json.loads(other.read_text())["paperForm"]["reference"] == "BEE1"


def test_an_unknown_organisation_is_refused() -> None:
    result = new("register-your-bees", "--organisation", "NASA")
    assert result.exit_code == 2
    assert "APHA" in result.output


def test_the_scaffold_renders_and_its_journey_completes(tmp_path: Path) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "register-your-bees.json").write_text(json.dumps(scaffold_definition("register-your-bees")))
    app: Flask = make_app(f"sqlite:///{tmp_path / 'test.sqlite'}", FORM_DEFINITIONS_DIR=folder)
    try:
        registry = form_registry(app)
        assert registry.unavailable == {}
        definition = registry.forms["register-your-bees"]
        client = BrowserClient(app)
        start = client.get("/register-your-bees/")
        assert start.status == 200
        assert "TODO" in start.soup.get_text()
        check = walk_to_check_answers(client, definition)
        assert check.status == 200
        assert "Full name" in check.soup.get_text()
        confirmation = submit(client, definition)
        assert confirmation.status == 200
        assert confirmation.soup.select_one(".govuk-panel")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_new_is_a_forms_engine_command(tmp_path: Path) -> None:
    path = tmp_path / "bees.json"
    result = CliRunner().invoke(main, ["new", "register-your-bees", "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert validate_definition_data(json.loads(path.read_text())) == []
