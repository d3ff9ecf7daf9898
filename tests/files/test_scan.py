"""The virus-scan hook on its own: the command's exit status, errors and timeouts (failing closed)."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from forms_engine.files.scan import ScanResult, scan_bytes, scan_command


def script(folder: Path, body: str) -> str:
    path = folder / "scan.sh"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_the_path_replaces_the_placeholder_or_is_appended() -> None:
    assert scan_command("clamdscan --no-summary {path}", "/tmp/f") == ["clamdscan", "--no-summary", "/tmp/f"]
    assert scan_command("scanner --file={path}", "/tmp/f") == ["scanner", "--file=/tmp/f"]
    assert scan_command("clamscan -i", "/tmp/f") == ["clamscan", "-i", "/tmp/f"]
    assert scan_command("'my scanner' {path}", "/tmp/a b") == ["my scanner", "/tmp/a b"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('test "$(cat "$1")" = "file bytes"', ScanResult.CLEAN),
        ("exit 1", ScanResult.INFECTED),
        ("exit 2", ScanResult.FAILED),
        ("echo broken >&2; exit 70", ScanResult.FAILED),
        ("kill -9 $$", ScanResult.FAILED),
    ],
    ids=["clean", "infected", "error", "error with message", "killed"],
)
def test_the_exit_status_decides(tmp_path: Path, body: str, expected: ScanResult) -> None:
    assert scan_bytes(b"file bytes", f"{script(tmp_path, body)} {{path}}", timeout=10) is expected


def test_a_scanner_that_runs_too_long_is_stopped_with_what_it_started_and_fails(tmp_path: Path) -> None:
    marker = tmp_path / "still running"
    body = f'(sleep 3; touch "{marker}") & sleep 30'
    command = f"{script(tmp_path, body)} {{path}}"
    started = time.monotonic()
    assert scan_bytes(b"x", command, timeout=0.5) is ScanResult.FAILED
    assert time.monotonic() - started < 5
    time.sleep(3.5)
    assert not marker.exists(), "the scanner's child outlived the timeout"


@pytest.mark.parametrize("command", ["/no/such/scanner {path}", "unbalanced 'quote {path}", str(Path("/"))])
def test_a_scanner_that_cannot_run_fails(command: str) -> None:
    assert scan_bytes(b"x", command, timeout=5) is ScanResult.FAILED


def test_the_temporary_copy_is_private_and_removed(tmp_path: Path) -> None:
    seen = tmp_path / "seen"
    body = f'stat -c %a "$1" > "{seen}"; echo "$1" >> "{seen}"'
    scan_bytes(b"x", f"{script(tmp_path, body)} {{path}}", timeout=10)
    mode, path = seen.read_text().split()
    assert mode == "600"
    assert not Path(path).exists()
