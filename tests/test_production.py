"""Running in production: the settings production mode refuses, and `forms-engine serve` (and the
documented gunicorn command) started for real on 127.0.0.1, answering, logging and stopping."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy.engine import make_url

from forms_engine import create_app, gunicorn_conf
from forms_engine.config import ROOT, TestConfig
from forms_engine.extensions import db
from forms_engine.gunicorn_conf import settings_from
from forms_engine.serve import ProductionConfigError, production_problems, serve_command

from .conftest import make_app
from .pg import find_free_port

BIN = Path(sys.executable).parent
GOOD_SECRET = "k" * 20 + "9f8e7d6c5b4a3f2e1d0c"  # 40 characters
PRODUCTION_SETTINGS: dict[str, Any] = {
    "FORMS_ENGINE_ENV": "production",
    "SECRET_KEY": GOOD_SECRET,
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://forms@127.0.0.1:5432/forms",
    "MAIL_BACKEND": "smtp",
    "HTTPS": True,
    "BASE_URL": "https://forms.example.gov.uk",
}


def production_app(**overrides: Any) -> Flask:
    return create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            **PRODUCTION_SETTINGS,
            **overrides,
        }
    )


def test_a_good_production_configuration_starts() -> None:
    app = production_app()
    assert app.config["FORMS_ENGINE_ENV"] == "production"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert production_problems(app.config) == []


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"SECRET_KEY": "dev-only-secret-change-me"}, "SECRET_KEY is the development default"),
        ({"SECRET_KEY": "x" * 31}, "SECRET_KEY is shorter than 32 characters"),
        ({"SECRET_KEY": ""}, "SECRET_KEY is shorter than 32 characters"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/forms.sqlite"}, "DATABASE_URL is SQLite"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, "DATABASE_URL is SQLite"),
        ({"MAIL_BACKEND": "outbox"}, "MAIL_BACKEND is outbox"),
        ({"MAIL_BACKEND": "memory"}, "MAIL_BACKEND is memory"),
        ({"HTTPS": False}, "HTTPS is off"),
        ({"BASE_URL": ""}, "BASE_URL is not an https:// address"),
        ({"BASE_URL": "http://forms.example.gov.uk"}, "BASE_URL is not an https:// address"),
    ],
)
def test_production_mode_refuses_development_settings(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(ProductionConfigError) as refused:
        production_app(**overrides)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("refusing to start in production mode: ")
    assert named in message
    assert len(refused.value.problems) == 1
    # The same settings are fine in development mode.
    assert production_app(**overrides, FORMS_ENGINE_ENV="development") is not None


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ProductionConfigError) as refused:
        production_app(SECRET_KEY="dev-only-secret-change-me", SQLALCHEMY_DATABASE_URI="sqlite://")
    assert len(refused.value.problems) == 2


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ProductionConfigError) as refused:
        production_app(FORMS_ENGINE_ENV="prod")
    assert str(refused.value) == (
        "refusing to start: FORMS_ENGINE_ENV must be production or development, not 'prod'"
    )


@pytest.mark.parametrize(
    ("variable", "value"), [("WEB_CONCURRENCY", "many"), ("PORT", "80a"), ("FORMS_ENGINE_ENV", "prod")]
)
def test_serve_refuses_a_malformed_setting_in_one_line(tmp_path: Path, variable: str, value: str) -> None:
    env = {
        **base_env(tmp_path, find_free_port()),
        "FORMS_ENGINE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}",
        variable: value,
    }
    result = subprocess.run(
        [str(BIN / "forms-engine"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("forms-engine serve: ")
    assert variable in line and repr(value) in line


# -- serve's settings -----------------------------------------------------------------------------


@pytest.fixture
def gunicorn_options(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """serve's gunicorn options, caught instead of running gunicorn."""
    caught: list[dict[str, Any]] = []

    class Caught:
        def __init__(self, options: dict[str, Any], app: object, overrides: object) -> None:
            caught.append(options)

        def run(self) -> None:
            pass

    monkeypatch.setattr("forms_engine.serve._application", Caught)
    root = logging.getLogger()
    level = root.level
    yield caught
    for handler in [h for h in root.handlers if getattr(h, "_forms_engine", False)]:
        root.removeHandler(handler)  # serve configured the logging of this (test) process
    root.setLevel(level)


def test_serve_takes_its_settings_from_the_environment_and_options_override_them(
    gunicorn_options: list[dict[str, Any]],
) -> None:
    env = {
        "FORMS_ENGINE_ENV": "development",
        "HOST": "127.0.0.2",
        "PORT": "9001",
        "WEB_CONCURRENCY": "3",
        "GUNICORN_THREADS": "6",
        "GUNICORN_TIMEOUT": "45",
        "GUNICORN_PRELOAD": "0",
    }
    runner = CliRunner()
    assert runner.invoke(serve_command, [], env=env).exit_code == 0
    assert (
        runner.invoke(serve_command, ["--port", "9100", "-w", "5", "--threads", "2"], env=env).exit_code == 0
    )
    from_env, overridden = gunicorn_options
    assert from_env["bind"] == ["127.0.0.2:9001"]
    assert (from_env["workers"], from_env["threads"], from_env["timeout"]) == (3, 6, 45)
    assert from_env["worker_class"] == "gthread"
    assert from_env["preload_app"] is False
    assert overridden["bind"] == ["127.0.0.2:9100"]
    assert (overridden["workers"], overridden["threads"], overridden["timeout"]) == (5, 2, 45)


def test_serves_defaults_suit_a_small_machine_and_cap_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = settings_from({})
    cpus = gunicorn_conf.cpu_count()
    assert defaults["bind"] == ["127.0.0.1:8000"]
    assert defaults["workers"] == min(2 * cpus + 1, 8)
    assert (defaults["threads"], defaults["timeout"], defaults["graceful_timeout"]) == (4, 30, 30)
    assert defaults["preload_app"] is True
    assert defaults["accesslog"] is None  # the app writes the access line, with its request id
    monkeypatch.setattr(gunicorn_conf, "cpu_count", lambda: 16)
    assert settings_from({})["workers"] == 8
    assert settings_from({"HOST": "::1", "PORT": "8080"})["bind"] == ["[::1]:8080"]


# -- serving for real -----------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log_file: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url(path), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()

    def log_lines(self) -> list[str]:
        return self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()

    def json_records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_lines()]

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def base_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The test run's environment without any of the engine's settings, plus a small server."""
    settings = {k for k in dir(TestConfig) if k.isupper()} | {
        "DATABASE_URL",
        "FORMS_ENGINE_ENV",
        "LOG_FORMAT",
    }
    env = {k: v for k, v in os.environ.items() if k not in settings and not k.startswith("GUNICORN_")}
    env.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "2",
            "FORMS_ENGINE_INSTANCE": str(tmp_path / "instance"),
        }
    )
    return env


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log_file: Path) -> Iterator[Served]:
    """Start the server, wait until /healthz answers, yield it; kill it if the test left it running."""
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    served = Served(process, port, log_file)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"the server stopped (exit {process.returncode}):\n" + log_file.read_text()
                )
            with contextlib.suppress(OSError):
                if served.get("/healthz")[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("the server did not answer /healthz in 120 s:\n" + log_file.read_text())
            time.sleep(0.25)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def migrated(url: str) -> None:
    app = make_app(url)
    with app.app_context():
        db.engine.dispose()


def assert_request_id_logged(served: Served) -> None:
    status, headers, body = served.get("/readyz", headers={"X-Request-Id": "prod-test-4711"})
    assert status == 200, body
    assert json.loads(body) == {"status": "ok"}
    assert headers["X-Request-Id"] == "prod-test-4711"
    assert headers["Cache-Control"] == "no-store"
    status, headers, _ = served.get("/?lang=en&ref=abc", headers={"X-Request-Id": "prod-test-4712"})
    assert status == 200
    assert headers["X-Request-Id"] == "prod-test-4712"
    deadline = time.monotonic() + 10
    while True:  # the worker writes its line after the response is sent
        lines = [r for r in served.json_records() if r.get("request_id") == "prod-test-4712"]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    (line,) = lines
    assert line["logger"] == "forms_engine.access"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)
    assert line["level"] == "INFO" and isinstance(line["duration_ms"], float)


SLOW_BODY = b"csrf_token=not-a-token&" + b"x" * 4000


def start_slow_request(port: int) -> socket.socket:
    """A POST whose body is only half sent, so a worker thread is left reading it: a request in hand."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    head = (
        b"POST /no-such-form/start HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(SLOW_BODY)
    )
    sock.sendall(head + SLOW_BODY[:2000])
    return sock


def finish_slow_request(sock: socket.socket) -> bytes:
    with sock:
        sock.sendall(SLOW_BODY[2000:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def assert_stops_gracefully(served: Served) -> None:
    """SIGTERM: a request in hand is still answered, then the server exits 0."""
    in_hand = start_slow_request(served.port)
    time.sleep(1.5)  # a worker thread has it and waits for the rest of the body
    served.process.send_signal(signal.SIGTERM)
    time.sleep(1.5)  # the server is shutting down
    answer = finish_slow_request(in_hand)
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]  # the CSRF failure page: answered in full
    assert b"Sorry, there is a problem with the service" in answer
    assert served.process.wait(timeout=60) == 0
    messages = [r["message"] for r in served.json_records()]
    assert "Handling signal: term" in messages
    assert "Shutting down: Master" in messages


def test_serve_runs_gunicorn_on_sqlite_in_development_mode(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    migrated(url)
    port = find_free_port()
    env = {
        **base_env(tmp_path, port),
        "DATABASE_URL": url,
        "FORMS_ENGINE_ENV": "development",
        "LOG_FORMAT": "json",
    }
    with serving([str(BIN / "forms-engine"), "serve"], env, port, tmp_path / "serve.log") as served:
        assert_request_id_logged(served)
        records = served.json_records()  # every line is JSON (json.loads would fail otherwise)
        assert any(r["message"] == "Using worker: gthread" for r in records)
        assert sum(r["message"].startswith("Booting worker") for r in records) == 2
        assert any(
            r["message"] == f"Listening at: http://127.0.0.1:{port} ({served.process.pid})" for r in records
        )
        assert_stops_gracefully(served)


@pytest.fixture
def production_database(postgres_url: str) -> Iterator[str]:
    """A database of its own in the test PostgreSQL server, migrated, dropped afterwards."""
    url = make_url(postgres_url)
    name = "forms_engine_serve"
    admin = {
        "host": url.host,
        "port": url.port,
        "user": url.username,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**admin) as connection:  # type: ignore[arg-type]
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    database_url = url.set(database=name).render_as_string(hide_password=False)
    migrated(database_url)
    yield database_url
    with psycopg.connect(**admin) as connection:  # type: ignore[arg-type]
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.postgres
def test_serve_runs_in_production_mode_on_postgresql_by_default(
    tmp_path: Path, production_database: str
) -> None:
    port = find_free_port()
    env = {
        **base_env(tmp_path, port),
        "DATABASE_URL": production_database,
        "SECRET_KEY": GOOD_SECRET,
        "MAIL_BACKEND": "smtp",
        "HTTPS": "1",
        "BASE_URL": "https://forms.example.gov.uk",
    }  # no FORMS_ENGINE_ENV, no LOG_FORMAT: serve runs in production mode, which logs JSON
    with serving([str(BIN / "forms-engine"), "serve"], env, port, tmp_path / "serve.log") as served:
        status, headers, _ = served.get("/healthz")
        assert status == 200
        assert headers.get("Strict-Transport-Security") == "max-age=31536000; includeSubDomains"
        assert_request_id_logged(served)
        assert_stops_gracefully(served)


def test_serve_refuses_development_settings_in_one_line_and_exits_1(tmp_path: Path) -> None:
    env = {**base_env(tmp_path, find_free_port()), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}"}
    result = subprocess.run(
        [str(BIN / "forms-engine"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("forms-engine serve: refusing to start in production mode: SECRET_KEY is the")
    for named in ("DATABASE_URL is SQLite", "MAIL_BACKEND is outbox", "HTTPS is off", "BASE_URL"):
        assert named in lines[0]
    assert not (tmp_path / "x.sqlite").exists()


def test_the_documented_gunicorn_command_serves_with_the_engines_settings(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'gunicorn.sqlite'}"
    migrated(url)
    port = find_free_port()
    env = {
        **base_env(tmp_path, port),
        "DATABASE_URL": url,
        "FORMS_ENGINE_ENV": "development",
        "LOG_FORMAT": "json",
    }
    command = [str(BIN / "gunicorn"), "-c", "python:forms_engine.gunicorn_conf", "forms_engine:create_app()"]
    with serving(command, env, port, tmp_path / "gunicorn.log") as served:
        assert_request_id_logged(served)
        assert any(r["message"] == "Using worker: gthread" for r in served.json_records())
        assert_stops_gracefully(served)
