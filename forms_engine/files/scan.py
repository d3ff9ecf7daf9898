"""The virus-scan hook: run a configured command on each uploaded file before it is accepted.

The file is written to a private temporary path and the command run on it (no shell) with a timeout.
Exit status 0 means clean and 1 means a virus was found (as clamdscan and clamscan report); anything
else, a command that cannot be started, or one that runs past the timeout means the file could not be
checked. Both of the latter reject the file: the hook fails closed. No command configured, no scan.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PATH_PLACEHOLDER = "{path}"


class ScanResult(enum.Enum):
    CLEAN = "clean"
    INFECTED = "infected"
    FAILED = "failed"


def scan_command(command: str, path: str) -> list[str]:
    """The command's arguments with `{path}` replaced by the file's path (appended if absent)."""
    args = shlex.split(command)
    if not any(PATH_PLACEHOLDER in arg for arg in args):
        return [*args, path]
    return [arg.replace(PATH_PLACEHOLDER, path) for arg in args]


def scan_bytes(data: bytes, command: str, timeout: float, folder: str | None = None) -> ScanResult:
    """Write `data` to a temporary file (readable by this user only) and scan it with `command`."""
    descriptor, path = tempfile.mkstemp(prefix="forms-engine-scan-", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        return scan_path(Path(path), command, timeout)
    finally:
        Path(path).unlink(missing_ok=True)


def scan_path(path: Path, command: str, timeout: float) -> ScanResult:
    """Run the scan command on `path`: CLEAN on exit 0, INFECTED on exit 1, FAILED otherwise."""
    try:
        args = scan_command(command, str(path))
    except ValueError:
        log.error("VIRUS_SCAN_COMMAND cannot be parsed: %r", command)
        return ScanResult.FAILED
    try:
        # A session of its own, so that on a timeout the whole group (a shell script and what it
        # started) is killed, and no child left holding our pipes can keep us waiting.
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        log.error("virus scan command could not be started: %s", exc)
        return ScanResult.FAILED
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        log.error("virus scan timed out after %s seconds", timeout)
        return ScanResult.FAILED
    if process.returncode == 0:
        return ScanResult.CLEAN
    if process.returncode == 1:
        log.warning("virus scan found a virus in an uploaded file")
        return ScanResult.INFECTED
    log.error(
        "virus scan failed with exit status %s: %s",
        process.returncode,
        stderr.decode("utf-8", "replace").strip()[:500],
    )
    return ScanResult.FAILED


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    try:
        process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        # A grandchild that left the group still holds stderr: stop waiting for it.
        if process.stderr is not None:
            process.stderr.close()
        process.wait()
