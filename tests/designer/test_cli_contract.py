"""Every designer command through the `forms-engine` group, side by side: each has --help, and each
exits 0 when it did its job, 1 when the input has a problem (with a message saying what, never a
traceback) and 2 when it is called wrongly (click's usage error)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from forms_engine.cli import main
from forms_engine.config import ROOT

from .pdfs import FormPdf, without_fields

POULTRY = "register-poultry-fewer-than-50-birds"
EXAMPLE = ROOT / "form_definitions" / f"{POULTRY}.json"

COMMANDS = ["new", "validate", "lint", "preview", "map", "import", "import defra", "import pdf", "reference"]


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="forms-engine")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_designer_command_has_help(command: str) -> None:
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: forms-engine {command} ")
    assert "--help" in result.output
    description = result.output.split("\n\n")[1].strip()
    assert len(description) > 20, "the help says what the command does"


def a_fillable_pdf(folder: Path) -> Path:
    pdf = FormPdf(title="Register your birds")
    pdf.text("full_name", (72.0, 700.0, 272.0, 716.0), tooltip="What is your full name?")
    path = folder / "form.pdf"
    path.write_bytes(pdf.build())
    return path


def a_defra_form(folder: Path) -> Path:
    path = folder / "hand-made.json"
    path.write_text(
        json.dumps(
            {
                "name": "Hand made",
                "startPage": "/one",
                "pages": [
                    {
                        "path": "/one",
                        "title": "One",
                        "components": [{"type": "TextField", "name": "one", "title": "What is one?"}],
                        "next": [{"path": "/summary"}],
                    },
                    {"path": "/summary", "title": "Summary", "controller": "SummaryPageController"},
                ],
                "lists": [],
                "sections": [],
                "conditions": [],
            }
        ),
        encoding="utf-8",
    )
    return path


def a_file(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def a_form_with_an_error(folder: Path) -> Path:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["pages"][0]["components"][0]["hint"] = data["pages"][0]["components"][0]["title"]["en"]
    return a_file(folder, "hint-as-label.json", json.dumps(data))


def too_deep_json(folder: Path, suffix: str = ".json") -> Path:
    """Nested far past Python's recursion limit: the parser itself gives up."""
    text = "[" * 100_000 + "]" * 100_000
    return a_file(folder, f"deep{suffix}", text if suffix == ".json" else f"a: {text}\n")


def too_deep_to_validate() -> int:
    """Levels of `not` the validator cannot follow: 400 at Python's default recursion limit of 1000
    (it takes a few calls a level), more if something raised the limit."""
    return max(400, sys.getrecursionlimit() * 2 // 5)


def too_deep_condition(folder: Path) -> Path:
    """A definition that parses, with a page condition too many `not`s deep to validate."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    condition: dict[str, object] = {"component": "fullName", "op": "answered"}
    for _ in range(too_deep_to_validate()):
        condition = {"not": condition}
    data["pages"][1]["condition"] = condition
    return a_file(folder, "deep-condition.json", json.dumps(data))


Args = Callable[[Path], list[str | Path]]
TOO_DEEP = "nested too deeply"

CASES: list[tuple[str, Args, int, str]] = [
    # new
    (
        "new makes a file",
        lambda d: ["new", "my-form", "--output", d / "my-form.json"],
        0,
        "new form 'my-form'",
    ),
    ("new never overwrites", lambda d: ["new", "my-form", "--output", EXAMPLE], 1, "already exists"),
    ("new refuses a bad slug", lambda d: ["new", "My Form"], 2, "is not a slug"),
    # validate
    ("validate a valid file", lambda d: ["validate", EXAMPLE], 0, "valid - "),
    ("validate bad JSON", lambda d: ["validate", a_file(d, "bad.json", "{ nope")], 1, "invalid JSON"),
    ("validate without a file", lambda d: ["validate"], 2, "Missing argument"),
    # lint
    ("lint a clean file", lambda d: ["lint", EXAMPLE], 0, "0 errors"),
    ("lint a file with an error", lambda d: ["lint", a_form_with_an_error(d)], 1, "FE101 error"),
    ("lint without a file", lambda d: ["lint"], 2, "Missing argument"),
    # map
    ("map a slug", lambda d: ["map", POULTRY, "--text"], 0, "Routes through"),
    ("map an unknown slug", lambda d: ["map", "no-such-form"], 1, "no form 'no-such-form'"),
    ("map a broken file", lambda d: ["map", a_file(d, "bad.json", "[]")], 1, "is not a valid definition"),
    ("map without a form", lambda d: ["map"], 2, "Missing argument"),
    # preview (serving itself is tested in test_preview.py)
    ("preview a missing folder", lambda d: ["preview", "--dir", d / "absent"], 2, "does not exist"),
    # import defra
    ("import a Defra form", lambda d: ["import", "defra", a_defra_form(d)], 0, '"slug": "hand-made"'),
    ("import non-JSON", lambda d: ["import", "defra", a_file(d, "x.json", "not json")], 1, "invalid JSON"),
    (
        "import a JSON list",
        lambda d: ["import", "defra", a_file(d, "x.json", "[1, 2]")],
        1,
        "not a Defra Forms definition",
    ),
    ("import a missing file", lambda d: ["import", "defra", d / "absent.json"], 1, "cannot read the file"),
    ("import defra without a file", lambda d: ["import", "defra"], 2, "Missing argument"),
    # import pdf
    (
        "import a fillable PDF",
        lambda d: ["import", "pdf", a_fillable_pdf(d)],
        0,
        '"slug": "register-your-birds"',
    ),
    ("import a text file as PDF", lambda d: ["import", "pdf", a_file(d, "x.pdf", "hello")], 1, "not a PDF"),
    (
        "import a PDF without fields",
        lambda d: ["import", "pdf", a_file(d, "x.pdf", without_fields())],
        1,
        "has no form fields",
    ),
    ("import pdf without a file", lambda d: ["import", "pdf"], 2, "Missing argument"),
    # nested too deeply to read or check (RecursionError), and files that cannot be written
    ("validate deep JSON", lambda d: ["validate", too_deep_json(d)], 1, TOO_DEEP),
    ("validate a deep condition", lambda d: ["validate", too_deep_condition(d)], 1, TOO_DEEP),
    ("lint deep JSON", lambda d: ["lint", too_deep_json(d)], 1, TOO_DEEP),
    ("lint a deep condition", lambda d: ["lint", too_deep_condition(d)], 1, TOO_DEEP),
    ("map deep JSON", lambda d: ["map", too_deep_json(d)], 1, TOO_DEEP),
    ("map a deep condition", lambda d: ["map", too_deep_condition(d)], 1, TOO_DEEP),
    ("import deep JSON", lambda d: ["import", "defra", too_deep_json(d)], 1, TOO_DEEP),
    ("import deep YAML", lambda d: ["import", "defra", too_deep_json(d, ".yaml")], 1, TOO_DEEP),
    ("map to a missing folder", lambda d: ["map", POULTRY, "-o", d / "no" / "x.svg"], 1, "cannot write"),
    (
        "import pdf to a missing folder",
        lambda d: ["import", "pdf", a_fillable_pdf(d), "-o", d / "no" / "x.json"],
        1,
        "cannot write",
    ),
    # reference
    ("reference is up to date", lambda d: ["reference", "--check"], 0, "up to date"),
    ("reference out of date", lambda d: ["reference", "--check", "--output", d / "ref.md"], 1, "out of date"),
]


@pytest.mark.parametrize(("args", "code", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_designer_commands_exit_0_on_success_1_on_a_problem_and_2_on_bad_usage(
    tmp_path: Path, args: Args, code: int, says: str
) -> None:
    result = invoke(*args(tmp_path))
    assert result.exit_code == code, result.output
    assert says in result.output
    assert "Traceback" not in result.output
    # Only click's own exit: no exception escaped the command.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_the_designer_commands_are_the_installed_forms_engine_script() -> None:
    # The script installed beside the Python running the tests (.venv/bin under `make test`).
    script = shutil.which("forms-engine", path=str(Path(sys.executable).parent))
    assert script is not None, f"no forms-engine script beside {sys.executable}: run make test-install"
    run = subprocess.run(
        [script, "import", "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "defra" in run.stdout and "pdf" in run.stdout
