"""The README's configuration table names every environment variable the engine reads (in
forms_engine/config.py, and gunicorn_conf.py for serving), and only variables that exist: a setting
added without its row, or a row left behind, fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from forms_engine.config import ROOT, Config

README = ROOT / "README.md"
SOURCES = [ROOT / "forms_engine" / "config.py", ROOT / "forms_engine" / "gunicorn_conf.py"]
NAME = re.compile(r"[A-Z][A-Z0-9_]*")


def environment_reads(path: Path) -> dict[str, set[str]]:
    """{variable: names of what reads it} for each environment variable `path` reads: through
    os.environ.get / os.getenv / os.environ[...], or a function of the same module that does."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    readers = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and "environ" in ast.unparse(node)
    }

    def is_reader(call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute):
            return ast.unparse(func) in {"os.environ.get", "os.getenv", "environ.get"}
        return isinstance(func, ast.Name) and func.id in readers

    found: dict[str, set[str]] = {}

    def visit(node: ast.AST, owner: str) -> None:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            owner = ", ".join(ast.unparse(t) for t in targets)
        name = None
        if isinstance(node, ast.Call) and is_reader(node):
            name = next(
                (a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)), None
            )
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) in {"os.environ", "environ"}
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            name = node.slice.value
        if name is not None and NAME.fullmatch(name):
            found.setdefault(name, set()).add(owner)
        for child in ast.iter_child_nodes(node):
            visit(child, owner)

    visit(tree, "")
    return found


def readme_table_names() -> set[str]:
    """The variables named in the first column of the table under '## Configuration'."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def read_variables() -> dict[str, set[str]]:
    variables: dict[str, set[str]] = {}
    for source in SOURCES:
        for name, owners in environment_reads(source).items():
            variables.setdefault(name, set()).update(owners)
    return variables


def test_the_scan_finds_the_settings_it_should() -> None:
    found = environment_reads(ROOT / "forms_engine" / "config.py")
    assert found["DATABASE_URL"] == {"SQLALCHEMY_DATABASE_URI"}
    assert found["HTTPS"] == {"HTTPS"}  # through the module's _bool helper
    assert found["FORMS_ENGINE_INSTANCE"] == {"INSTANCE"}  # at module level
    assert "SESSION_COOKIE_NAME" not in found  # fixed, not from the environment
    serving = environment_reads(ROOT / "forms_engine" / "gunicorn_conf.py")
    assert {"HOST", "PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"} <= set(serving)


def test_every_config_attribute_read_from_the_environment_is_a_config_setting() -> None:
    # The scan's owners are real: each attribute of Config it names exists (so the scan is reading
    # the class the app uses, not some other assignment).
    owners = {owner for owners in environment_reads(SOURCES[0]).values() for owner in owners}
    attributes = {owner for owner in owners if owner.isupper() and owner != "INSTANCE"}
    assert attributes
    for attribute in attributes:
        assert hasattr(Config, attribute), attribute


def test_every_environment_variable_has_a_row_in_the_readme_configuration_table() -> None:
    missing = sorted(set(read_variables()) - readme_table_names())
    assert missing == [], f"add a row to README.md's configuration table for: {', '.join(missing)}"


@pytest.mark.parametrize("name", sorted(readme_table_names()))
def test_every_variable_in_the_table_is_read_by_the_engine(name: str) -> None:
    # A row for a variable nothing reads misleads whoever configures a deployment.
    package = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "forms_engine").rglob("*.py"))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert f'"{name}"' in package or name in makefile, name
