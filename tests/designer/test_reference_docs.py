"""docs/reference.md is generated from the definition JSON Schema (and the lint rules): it must be
exactly what `forms-engine reference` writes today, and cover every component type and operator."""

from __future__ import annotations

import copy
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from forms_engine.cli import main
from forms_engine.config import ROOT
from forms_engine.definitions.loader import definition_schema
from forms_engine.designer.lint import RULES
from forms_engine.designer.reference import REFERENCE_PATH, generate_reference, reference_command

REGENERATE = "docs/reference.md is out of date with the schema: run `.venv/bin/forms-engine reference`"


def test_the_committed_reference_is_what_the_schema_generates() -> None:
    assert REFERENCE_PATH.is_file(), REGENERATE
    assert REFERENCE_PATH.read_text(encoding="utf-8") == generate_reference(), REGENERATE


def test_the_reference_covers_every_component_type_operator_property_and_rule() -> None:
    text = generate_reference()
    schema = definition_schema()
    for kind in schema["$defs"]["component"]["properties"]["type"]["enum"]:
        assert f"\n### {kind}\n" in text
    comparison = schema["$defs"]["condition"]["oneOf"][4]["properties"]["op"]["enum"]
    for op in comparison:
        assert f"| `{op}` |" in text
    for key in schema["properties"]:
        assert f"| `{key}` |" in text
    for rule in RULES:
        assert f"| {rule} |" in text


def test_every_link_in_the_reference_leads_to_a_heading() -> None:
    text = generate_reference()
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", text, re.MULTILINE):
        anchor = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        assert anchor not in anchors, f"two headings make the anchor #{anchor}"
        anchors.add(anchor)
    for target in re.findall(r"\]\(#([^)]+)\)", text):
        assert target in anchors, target


def test_a_new_description_in_the_schema_changes_the_reference() -> None:
    schema = copy.deepcopy(definition_schema())
    schema["properties"]["slug"]["description"] = "A brand new description of the slug."
    assert "A brand new description of the slug." in generate_reference(schema)


def test_the_command_writes_the_reference_and_checks_it(tmp_path: Path) -> None:
    output = tmp_path / "reference.md"
    runner = CliRunner()
    stale = runner.invoke(reference_command, ["--check", "--output", str(output)])
    assert stale.exit_code == 1
    assert "out of date" in stale.output
    written = runner.invoke(reference_command, ["--output", str(output)])
    assert written.exit_code == 0, written.output
    assert output.read_text(encoding="utf-8") == generate_reference()
    fresh = runner.invoke(reference_command, ["--check", "--output", str(output)])
    assert fresh.exit_code == 0
    assert "up to date" in fresh.output


# -- the commands the guides show ------------------------------------------------------------------

GUIDES = [
    ROOT / "docs" / name for name in ("authoring.md", "importing-defra-forms.md", "importing-pdf-forms.md")
]


def documented_command_lines() -> list[tuple[str, str]]:
    """Every `forms-engine …` command line in the guides: in sh blocks (continuation lines joined,
    comments and redirections left off) and in inline code."""
    found = []
    for guide in GUIDES:
        text = guide.read_text(encoding="utf-8")
        for block in re.findall(r"```sh\n(.*?)```", text, re.DOTALL):
            for line in block.replace("\\\n", " ").splitlines():
                command = line.split(" #", 1)[0].split(" > ", 1)[0].strip()
                if command.startswith("forms-engine "):
                    found.append((guide.name, command))
        found += [(guide.name, code) for code in re.findall(r"`(forms-engine [^`]+)`", text)]
    # "`forms-engine …`" stands for any command.
    return [(guide, line) for guide, line in found if line != "forms-engine …"]


def test_the_guides_show_the_designer_commands() -> None:
    shown = {" ".join(shlex.split(line)[:3]) for _, line in documented_command_lines()}
    for command in ("new", "validate", "lint", "preview", "map", "import defra", "import pdf"):
        assert any(
            s == f"forms-engine {command}" or s.startswith(f"forms-engine {command} ") for s in shown
        ), command


@pytest.mark.parametrize(("guide", "line"), documented_command_lines(), ids=lambda value: str(value)[:60])
def test_every_command_line_in_the_guides_names_a_real_command_and_real_options(
    guide: str, line: str
) -> None:
    words = shlex.split(line)[1:]
    with main.make_context("forms-engine", ["--help"], resilient_parsing=True) as ctx:
        command: click.Command | None = main
        while isinstance(command, click.Group) and words and not words[0].startswith("-"):
            command = command.get_command(ctx, words.pop(0))
            assert command is not None, f"{guide}: no such command in {line!r}"
    options = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    for word in words:
        if word.startswith("-"):
            assert word.split("=", 1)[0] in options, f"{guide}: {line!r}: no option {word}"
