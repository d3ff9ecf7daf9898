"""`forms-engine validate PATH...`: one summary line per valid file, every problem of a bad file as
`PATH: $.json.path: message`, and an exit status a CI job can use."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forms_engine.cli import main
from forms_engine.config import ROOT
from forms_engine.definitions.loader import load_definition

EXAMPLES = sorted((ROOT / "form_definitions").glob("*.json"))
ALL_COMPONENTS = Path(__file__).parent / "data" / "all-components.json"
SUMMARY = re.compile(
    r"^(?P<path>.+): valid - '(?P<slug>[a-z0-9-]+)' \((?P<reference>[^,]+), (?P<org>\w+)\), "
    r"(?P<pages>\d+) pages, (?P<questions>\d+) questions, version (?P<version>[0-9a-f]{12})$"
)


def validate(*paths: Path | str) -> Result:
    return CliRunner().invoke(main, ["validate", *map(str, paths)])


def lines(result: Result) -> list[str]:
    return result.output.splitlines()


def write_definition(folder: Path, name: str, data: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def broken_definition() -> dict:
    data = json.loads(ALL_COMPONENTS.read_text())
    data["pages"][1]["id"] = "full-name"
    data["pages"][9]["components"][0]["list"] = "shapes"
    data["confirmationEmailComponent"] = "phone"
    return data


def test_valid_files_exit_0_with_one_summary_line_each() -> None:
    result = validate(*EXAMPLES)
    assert result.exit_code == 0, result.output
    assert len(lines(result)) == len(EXAMPLES)
    for path, line in zip(EXAMPLES, lines(result), strict=True):
        match = SUMMARY.match(line)
        assert match, line
        definition = load_definition(path)
        assert match["path"] == str(path)
        assert match["slug"] == definition.slug
        assert match["reference"] == definition.paper_form.reference
        assert int(match["pages"]) == len(definition.pages)
        assert int(match["questions"]) == len(definition.questions())
        assert definition.version.startswith(match["version"])


def test_a_bad_file_exits_1_and_prints_every_problem_with_its_path(tmp_path: Path) -> None:
    path = write_definition(tmp_path, "broken.json", broken_definition())
    result = validate(path)
    assert result.exit_code == 1
    assert lines(result) == [
        f"{path}: $.pages[1].id: duplicate page id 'full-name' (first used at $.pages[0].id)",
        f"{path}: $.pages[9].components[0].list: unknown list 'shapes'",
        f"{path}: $.confirmationEmailComponent: 'phone' is a TelephoneNumberField, not an EmailAddressField",
    ]


def test_schema_problems_are_printed_one_a_line_with_their_paths(tmp_path: Path) -> None:
    data = json.loads(ALL_COMPONENTS.read_text())
    data["pages"][0]["components"][0]["type"] = "Slider"
    del data["paperForm"]["title"]
    path = write_definition(tmp_path, "schema.json", data)
    result = validate(path)
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in lines(result)] == [
        "$.pages[0].components[0].type",
        "$.paperForm",
    ]
    assert all(line.startswith(f"{path}: $") for line in lines(result))


def test_valid_and_bad_files_together_report_both_and_exit_1(tmp_path: Path) -> None:
    bad = write_definition(tmp_path, "broken.json", broken_definition())
    result = validate(EXAMPLES[0], bad)
    assert result.exit_code == 1
    assert SUMMARY.match(lines(result)[0])
    assert len(lines(result)) == 4
    assert all(line.startswith(f"{bad}: $.") for line in lines(result)[1:])


def test_invalid_json_is_reported_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "slug": "x",\n  "title": "X",,\n}\n')
    result = validate(path)
    assert result.exit_code == 1
    assert lines(result) == [
        f"{path}: $: invalid JSON at line 3 column 16: Expecting property name enclosed in double quotes"
    ]


def test_a_missing_file_is_reported_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "missing.json"
    result = validate(path)
    assert result.exit_code == 1
    assert lines(result) == [f"{path}: $: file not found"]


def test_validate_needs_at_least_one_path() -> None:
    result = validate()
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_a_changed_definition_gets_a_new_version(tmp_path: Path) -> None:
    data = json.loads(ALL_COMPONENTS.read_text())
    changed = copy.deepcopy(data)
    changed["title"] = "A different title"
    first = SUMMARY.match(lines(validate(write_definition(tmp_path, "a.json", data)))[0])
    second = SUMMARY.match(lines(validate(write_definition(tmp_path, "b.json", changed)))[0])
    assert first and second
    assert first["version"] != second["version"]


@pytest.mark.skipif(
    not (Path(sys.prefix) / "bin" / "forms-engine").exists(),
    reason="the forms-engine script is not installed in this environment",
)
def test_the_installed_command_validates_files(tmp_path: Path) -> None:
    bad = write_definition(tmp_path, "broken.json", broken_definition())
    command = str(Path(sys.prefix) / "bin" / "forms-engine")
    run = subprocess.run(
        [command, "validate", str(EXAMPLES[0]), str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert run.returncode == 1, run.stderr
    output = run.stdout.splitlines()
    assert SUMMARY.match(output[0])
    assert output[1:] == lines(validate(bad))
