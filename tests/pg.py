"""A throw-away PostgreSQL cluster for tests: `with running_postgres() as url: ...`.

Uses Debian's server binaries (package `postgresql`) from /usr/lib/postgresql/*/bin, never the
system service. The cluster lives in a temporary folder, listens on 127.0.0.1 only and is deleted
afterwards.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

DATABASE_NAME = "forms_engine_test"
SUPERUSER = "postgres"
START_TIMEOUT_SECONDS = 60
COMMAND_TIMEOUT_SECONDS = 120


def find_postgres_bin_dir() -> Path:
    """Return the folder holding initdb and pg_ctl: $PG_BIN_DIR, Debian's newest, or the PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]))
    debian = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(
        (Path(d) for d in debian),
        key=lambda d: [int(p) if p.isdigit() else 0 for p in d.parent.name.split(".")],
        reverse=True,
    )
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin: "
        "install the Debian package `postgresql` (`make test-install` does) or set PG_BIN_DIR."
    )


def find_free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing was listening on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_postgres(database: str = DATABASE_NAME) -> Iterator[str]:
    """Start a throw-away cluster, create `database`, yield its SQLAlchemy URL; then remove it."""
    bin_dir = find_postgres_bin_dir()
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="forms-engine-pg-"))
    data_dir = base / "data"
    log_file = base / "postgres.log"
    started = False
    try:
        if as_root:
            # initdb refuses to run as root; the cluster belongs to the postgres user instead.
            shutil.chown(base, user=SUPERUSER, group=None)
            base.chmod(0o700)
        _run(
            [
                str(bin_dir / "initdb"),
                "--pgdata",
                str(data_dir),
                "--auth=trust",
                "--username",
                SUPERUSER,
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            as_root=as_root,
            cwd=base,
            what="initdb",
        )
        port = _start(bin_dir, data_dir, log_file, base, as_root=as_root)
        started = True
        _wait_and_create_database(port, database, log_file)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
    finally:
        if started:
            _stop(bin_dir, data_dir, as_root=as_root)
        shutil.rmtree(base, ignore_errors=True)


def _start(
    bin_dir: Path, data_dir: Path, log_file: Path, socket_dir: Path, *, as_root: bool
) -> int:
    """Start the server on a free port (retrying if another process takes the port first)."""
    last_error: RuntimeError | None = None
    for _attempt in range(3):
        port = find_free_port()
        options = (
            f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            _run(
                [
                    str(bin_dir / "pg_ctl"),
                    "--pgdata",
                    str(data_dir),
                    "--log",
                    str(log_file),
                    "--wait",
                    "--timeout",
                    str(START_TIMEOUT_SECONDS),
                    "--options",
                    options,
                    "start",
                ],
                as_root=as_root,
                cwd=socket_dir,
                what="pg_ctl start",
                log_file=log_file,
            )
            return port
        except RuntimeError as error:
            last_error = error
            _stop(bin_dir, data_dir, as_root=as_root)
    assert last_error is not None
    raise last_error


def _wait_and_create_database(port: int, database: str, log_file: Path) -> None:
    """Wait until the server accepts TCP connections, then create the test database."""
    import psycopg  # here, not at the top: the module must import even without the dev extras
    from psycopg import sql

    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:
        try:
            with psycopg.connect(
                host="127.0.0.1",
                port=port,
                user=SUPERUSER,
                dbname="postgres",
                connect_timeout=5,
                autocommit=True,
            ) as connection:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"PostgreSQL on 127.0.0.1:{port} did not accept connections: {error}\n"
                    + _tail(log_file)
                ) from error
            time.sleep(0.1)


def _stop(bin_dir: Path, data_dir: Path, *, as_root: bool) -> None:
    """Stop the server at once (its data is thrown away); kill it if pg_ctl cannot."""
    command = [str(bin_dir / "pg_ctl"), "--pgdata", str(data_dir), "--mode", "immediate"]
    command += ["--wait", "--timeout", "30", "stop"]
    with contextlib.suppress(RuntimeError):
        _run(command, as_root=as_root, cwd=data_dir.parent, what="pg_ctl stop")
        return
    with contextlib.suppress(OSError, ValueError, IndexError):
        pid = int((data_dir / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)


def _run(
    command: list[str],
    *,
    as_root: bool,
    cwd: Path,
    what: str,
    log_file: Path | None = None,
) -> None:
    """Run a PostgreSQL tool (as the postgres user when we are root); raise with its output."""
    if as_root:
        command = ["runuser", "-u", SUPERUSER, "--", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    try:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(
            f"{what} timed out after {COMMAND_TIMEOUT_SECONDS}s\n" + _tail(log_file)
        ) from error
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}): {' '.join(command)}\n"
            f"{result.stdout}{result.stderr}" + _tail(log_file)
        )


def _tail(log_file: Path | None, lines: int = 40) -> str:
    """The end of the server log, for error messages."""
    if log_file is None:
        return ""
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return f"(no server log at {log_file})"
    return f"--- last lines of {log_file} ---\n" + "\n".join(text.splitlines()[-lines:])


if __name__ == "__main__":
    started_at = time.monotonic()
    with running_postgres() as url:
        print(url, f"ready in {time.monotonic() - started_at:.1f}s")
