"""The preview server (`forms-engine preview`), started in-process: it serves the latest saved
definition on the next request, shows a broken file's problems on the page instead of an error,
puts a banner of findings on every page of a form that has some, and never sends anything."""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine import create_app, form_registry
from forms_engine.config import ROOT, TestConfig
from forms_engine.designer.preview import PREVIEW_FLAG, create_preview_app, reload_if_changed
from forms_engine.extensions import db
from forms_engine.submissions.models import Submission

from ..helpers import BrowserClient, Page, location, walk_to_check_answers

EXAMPLES = ROOT / "form_definitions"
POULTRY = "register-poultry-fewer-than-50-birds"


def preview_config() -> dict[str, Any]:
    return {
        k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper() and k != "SQLALCHEMY_DATABASE_URI"
    }


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    definitions = tmp_path / "definitions"
    definitions.mkdir()
    shutil.copy(EXAMPLES / f"{POULTRY}.json", definitions / f"{POULTRY}.json")
    return definitions


@pytest.fixture
def preview_app(tmp_path: Path, folder: Path) -> Iterator[Flask]:
    app = create_preview_app(folder, tmp_path / "preview", **preview_config())
    yield app
    with app.app_context():
        db.engine.dispose()


def read(folder: Path, name: str = POULTRY) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
    return data


def write(folder: Path, data: dict[str, Any] | str, name: str = POULTRY) -> None:
    path = folder / f"{name}.json"
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    # Coarse file system clocks: make sure the change is seen as one.
    if path.stat().st_mtime_ns <= before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def get_ok(client: BrowserClient, path: str) -> Page:
    page = client.get(path)
    assert page.status == 200, (path, page.status)
    return page


def test_the_next_request_serves_the_changed_definition(preview_app: Flask, folder: Path) -> None:
    client = BrowserClient(preview_app)
    assert get_ok(client, f"/{POULTRY}/").h1 == read(folder)["title"]["en"]
    data = read(folder)
    data["title"] = {"en": "Register your birds (edited)", "cy": "Cofrestru eich adar (golygwyd)"}
    write(folder, data)
    assert get_ok(client, f"/{POULTRY}/").h1 == "Register your birds (edited)"
    listed = get_ok(client, "/")
    assert "Register your birds (edited)" in listed.soup.select_one(f"#form-{POULTRY}").get_text()


def test_a_journey_in_progress_moves_to_the_changed_version(preview_app: Flask, folder: Path) -> None:
    client = BrowserClient(preview_app)
    client.get(f"/{POULTRY}/")
    first = client.post(f"/{POULTRY}/start")
    page_path = location(first)
    assert get_ok(client, page_path).h1 == "What is your full name?"
    data = read(folder)
    data["pages"][0]["components"][0]["title"] = {
        "en": "What is your name now?",
        "cy": "Beth yw eich enw nawr?",
    }
    write(folder, data)
    assert get_ok(client, page_path).h1 == "What is your name now?"


def test_a_broken_file_shows_its_problems_instead_of_an_error(preview_app: Flask, folder: Path) -> None:
    client = BrowserClient(preview_app)
    get_ok(client, f"/{POULTRY}/")
    data = read(folder)
    del data["pages"][0]["components"][0]["name"]
    data["pages"][3]["components"][0]["type"] = "NoSuchField"
    write(folder, data)

    page = get_ok(client, f"/{POULTRY}/")
    assert page.h1 == "This form cannot be shown"
    rows = [
        [td.get_text(strip=True) for td in tr.select("td")] for tr in page.soup.select("#problems tbody tr")
    ]
    paths = [row[0] for row in rows]
    assert "$.pages[0].components[0]" in paths
    assert any(path.startswith("$.pages[3].components[0]") for path in paths)
    # Every address of the form, not only its start page.
    assert get_ok(client, f"/{POULTRY}/your-name").h1 == "This form cannot be shown"

    index = get_ok(client, "/")
    assert index.soup.select_one("#unavailable h3").get_text(strip=True) == f"{POULTRY}.json"
    assert "$.pages[0].components[0]" in index.soup.select_one("#unavailable table").get_text()

    write(folder, "{ not json")
    page = get_ok(client, f"/{POULTRY}/")
    cells = [td.get_text(strip=True) for td in page.soup.select("#problems tbody td")]
    assert cells[0] == "$" and "invalid JSON at line 1" in cells[1]

    write(folder, read_example())
    assert get_ok(client, f"/{POULTRY}/").h1 == read_example()["title"]["en"]


def read_example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{POULTRY}.json").read_text(encoding="utf-8"))
    return data


def too_deep_to_validate() -> int:
    """Levels of `not` the validator cannot follow: 400 at Python's default recursion limit of 1000
    (it takes a few calls a level), more if something raised the limit."""
    return max(400, sys.getrecursionlimit() * 2 // 5)


def deeply_nested(folder: Path) -> tuple[str, str]:
    """Two files Python's recursion limit stops: JSON 100,000 arrays deep, and a valid-looking
    definition whose page condition is too many `not`s deep for the validator."""
    (folder / "deep-json.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    data = read_example()
    data["slug"] = "deep-condition"
    condition: dict[str, Any] = {"component": "fullName", "op": "answered"}
    for _ in range(too_deep_to_validate()):
        condition = {"not": condition}
    data["pages"][1]["condition"] = condition
    write(folder, data, "deep-condition")
    return "deep-json", "deep-condition"


def test_files_nested_too_deeply_to_check_are_problems_not_errors(tmp_path: Path, folder: Path) -> None:
    """At start and on a change: the other forms are still served; the deep files are listed with
    their problem, and the deep definition's pages show it."""
    deeply_nested(folder)
    app = create_preview_app(folder, tmp_path / "deep", **preview_config())
    client = BrowserClient(app)
    assert get_ok(client, f"/{POULTRY}/").h1 == read(folder)["title"]["en"]
    index = get_ok(client, "/")
    assert [h.get_text(strip=True) for h in index.soup.select("#unavailable h3")] == [
        "deep-condition.json",
        "deep-json.json",
    ]
    assert "nested too deeply" in index.soup.select_one("#unavailable").get_text()
    page = get_ok(client, "/deep-condition/")
    assert page.h1 == "This form cannot be shown"
    assert "nested too deeply" in page.soup.select_one("#problems").get_text()
    # Edited while the preview runs: the same.
    (folder / "deep-json.json").write_text("[" * 100_001 + "]" * 100_001, encoding="utf-8")
    assert get_ok(client, f"/{POULTRY}/").status == 200
    with app.app_context():
        db.engine.dispose()


def test_a_new_file_is_served_and_a_removed_one_goes(preview_app: Flask, folder: Path) -> None:
    client = BrowserClient(preview_app)
    assert client.get("/new-form/").status == 404
    data = read_example()
    data["slug"] = "new-form"
    write(folder, data, "new-form")
    assert get_ok(client, "/new-form/").h1 == data["title"]["en"]
    (folder / "new-form.json").unlink()
    assert client.get("/new-form/").status == 404


def test_every_page_of_a_form_with_findings_has_a_banner_listing_them(
    preview_app: Flask, folder: Path
) -> None:
    data = read(folder)
    data["pages"][0]["title"] = "What is your full name?"  # no Welsh, in a form declaring Welsh
    write(folder, data)
    client = BrowserClient(preview_app)
    for path in (f"/{POULTRY}/",):
        page = get_ok(client, path)
        banner = page.soup.select_one("main #design-problems")
        assert banner is not None, path
        assert banner.find_parent("main") is not None
        rows = [[td.get_text(strip=True) for td in tr.select("td")] for tr in banner.select("tbody tr")]
        assert any(row[2] == "$.pages[0].title" for row in rows), rows
    client.post(f"/{POULTRY}/start")
    question = get_ok(client, f"/{POULTRY}/your-name")
    assert question.soup.select_one("main #design-problems") is not None
    assert question.soup.select_one("main form") is not None  # the page itself is still there
    index = get_ok(client, "/")
    assert index.soup.select_one(f"#findings-{POULTRY}") is not None


def test_the_preview_has_the_journey_map(preview_app: Flask) -> None:
    client = BrowserClient(preview_app)
    page = get_ok(client, f"/_preview/{POULTRY}/map")
    assert page.soup.select_one("#map svg[role=img]") is not None
    assert page.soup.select("#routes tbody tr")
    assert client.get("/_preview/no-such-form/map").status == 404


def test_sending_a_form_in_the_preview_delivers_nothing(preview_app: Flask, tmp_path: Path) -> None:
    assert preview_app.config["MAIL_BACKEND"] == "outbox"
    assert Path(preview_app.config["MAIL_OUTBOX_DIR"]).is_relative_to(tmp_path / "preview")
    assert str(preview_app.config["SQLALCHEMY_DATABASE_URI"]).endswith(
        str(tmp_path / "preview" / "preview.sqlite")
    )
    client = BrowserClient(preview_app)
    definition = form_registry(preview_app).forms[POULTRY]
    walk_to_check_answers(client, definition)
    sent = client.post(f"/{POULTRY}/check-answers")
    assert sent.status == 303
    with preview_app.app_context():
        # Stored in the preview's own database, which no caseworker or worker reads.
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
        db.session.remove()


def test_the_preview_never_uses_another_mail_backend_or_database(tmp_path: Path, folder: Path) -> None:
    app = create_preview_app(folder, tmp_path / "p", **{**preview_config(), "MAIL_BACKEND": "smtp"})
    assert app.config["MAIL_BACKEND"] == "outbox"
    with app.app_context():
        db.engine.dispose()
    with pytest.raises(RuntimeError, match="SQLite"):
        create_app(
            {
                **preview_config(),
                PREVIEW_FLAG: True,
                "FORM_DEFINITIONS_DIR": folder,
                "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
            }
        )


def test_an_ordinary_app_has_no_preview_behaviour(app: Flask) -> None:
    client = BrowserClient(app)
    assert client.get(f"/_preview/{POULTRY}/map").status == 404
    assert get_ok(client, "/").h1 == "Forms"
    assert "forms_engine.designer_preview" not in app.extensions


def test_nothing_is_reloaded_while_nothing_changes(preview_app: Flask) -> None:
    registry = form_registry(preview_app)
    assert not reload_if_changed(preview_app)
    assert form_registry(preview_app) is registry


def test_the_preview_command_serves_the_folder_on_127_0_0_1(
    app: Flask, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}

    def run_simple(host: str, port: int, application: Flask, **options: Any) -> None:
        served.update(host=host, port=port, app=application, options=options)
        served["outbox"] = Path(application.config["MAIL_OUTBOX_DIR"])
        served["forms"] = sorted(form_registry(application).forms)
        with application.app_context():
            db.engine.dispose()

    from forms_engine.designer import map_commands

    monkeypatch.setattr(map_commands, "run_simple", run_simple)
    monkeypatch.setattr(map_commands.signal, "signal", lambda *args: None)
    result = app.test_cli_runner().invoke(args=["preview", "--port", "5099", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", 5099)
    assert served["options"]["use_reloader"] is False and served["options"]["use_debugger"] is False
    assert served["forms"] == [POULTRY]
    assert served["app"].config["MAIL_BACKEND"] == "outbox"
    assert not served["outbox"].parent.exists(), "the temporary folder is removed afterwards"
    help_text = app.test_cli_runner().invoke(args=["preview", "--help"]).output
    assert "--port" in help_text and "--dir" in help_text
