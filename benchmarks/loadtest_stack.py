"""The processes behind the scale-out load test (benchmarks/loadtest.py): a throw-away PostgreSQL that
can be restarted, app instances under gunicorn, delivery workers and a webhook receiver, each of which
can be killed (SIGKILL) and started again. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.pg and tests.webhook are reused, not copied

from tests.pg import _run, find_free_port, find_postgres_bin_dir  # noqa: E402
from tests.webhook import Received, WebhookReceiver  # noqa: E402

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
#: The environment variable holding the webhook signing secret (the definitions' secretEnv).
WEBHOOK_SECRET_ENV = "LOADTEST_WEBHOOK_SECRET"
SIGNATURE_HEADER = "x-forms-engine-signature"
TIMESTAMP_HEADER = "x-forms-engine-timestamp"
IDEMPOTENCY_HEADER = "idempotency-key"


class StackError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# PostgreSQL: started by tests/pg.py's running_postgres(); restarted here with pg_ctl.


@dataclass
class Postgres:
    """The running throw-away cluster, which can be stopped (fast) and started again on its port."""

    url: str
    port: int
    data_dir: Path
    bin_dir: Path
    as_root: bool
    #: (stop issued, accepting connections again) for each restart, in time.time() seconds.
    down_windows: list[tuple[float, float]] = field(default_factory=list)
    _cpu_banked: float = 0.0

    @classmethod
    def attach(cls, url: str) -> Postgres:
        import psycopg

        parts = urlsplit(url)
        assert parts.port is not None
        with psycopg.connect(host=HOST, port=parts.port, user="postgres", dbname="postgres") as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        return cls(url, parts.port, Path(row[0]), find_postgres_bin_dir(), os.geteuid() == 0)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def cpu_seconds(self) -> float:
        """CPU used so far by the server and its backends, over every start."""
        pid = self.postmaster_pid()
        return self._cpu_banked + (process_tree_cpu(pid) if pid else 0.0)

    def restart(self, down_seconds: float) -> tuple[float, float]:
        """`pg_ctl stop -m fast`, stay down `down_seconds`, start again on the same port; returns the
        window during which the database could not be used."""
        pid = self.postmaster_pid()
        # Just before the stop: what the backends still running use in the last instant is lost.
        self._cpu_banked += process_tree_cpu(pid) if pid else 0.0
        began = time.time()
        self._pg_ctl(["--mode", "fast", "--wait", "--timeout", "60", "stop"], "pg_ctl stop")
        time.sleep(down_seconds)
        options = (
            f"-p {self.port} -k {self.data_dir.parent} -c listen_addresses={HOST} "
            # As tests/pg.py starts it. A fast stop writes a checkpoint, so nothing committed is lost.
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = self.data_dir.parent / "postgres.log"
        self._pg_ctl(
            ["--log", str(log), "--wait", "--timeout", "60", "--options", options, "start"], "pg_ctl start"
        )
        self.wait_until_ready(60)
        window = (began, time.time())
        self.down_windows.append(window)
        return window

    def wait_until_ready(self, timeout: float) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(
                    host=HOST, port=self.port, user="postgres", dbname="postgres", connect_timeout=2
                ) as conn:
                    conn.execute("SELECT 1")
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _pg_ctl(self, args: list[str], what: str) -> None:
        _run(
            [str(self.bin_dir / "pg_ctl"), "--pgdata", str(self.data_dir), *args],
            as_root=self.as_root,
            cwd=self.data_dir.parent,
            what=what,
        )


# --------------------------------------------------------------------------------------------------
# Processes: app instances and workers.


def process_tree_cpu(root_pid: int) -> float:
    """CPU seconds (user + system) used by a process and its descendants, including the children
    they have already reaped (gunicorn workers recycled, PostgreSQL backends ended), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [root_pid]
    seen: set[int] = set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += sum(int(v) for v in fields[11:15]) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                pending.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


class Service:
    """A process in its own process group, its output in a log file; it can be SIGKILLed (with every
    process it started) and started again with the same command."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path):
        self.name = name
        self.command = command
        self.env = dict(env)
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        #: (killed, running again) for each kill-and-restart, in time.time() seconds.
        self.down_windows: list[tuple[float, float]] = []
        #: CPU seconds used by earlier runs of the process (killed or stopped)
        self._cpu_banked = 0.0

    def cpu_seconds(self) -> float:
        """CPU used so far by every run of this service (its processes and their children)."""
        live = process_tree_cpu(self.proc.pid) if self.running() and self.proc is not None else 0.0
        return self._cpu_banked + live

    def start(self) -> None:
        self.starts += 1
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== start {self.starts} at {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> float:
        """SIGKILL the process and everything in its process group (gunicorn's workers); returns when."""
        assert self.proc is not None
        self._cpu_banked += process_tree_cpu(self.proc.pid)
        killed_at = time.time()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        return killed_at

    def stop(self, grace: float = 5) -> None:
        """SIGTERM the process group, SIGKILL what is left after `grace` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=grace)
        # Whatever the leader left behind (gunicorn workers) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return f"--- last lines of {self.log_path} ---\n" + "\n".join(text.splitlines()[-lines:])


class AppInstance(Service):
    """One app instance: gunicorn with `workers` processes of `threads` threads on its own port."""

    def __init__(
        self, name: str, port: int, env: Mapping[str, str], log_dir: Path, workers: int, threads: int
    ):
        self.port = port
        super().__init__(name, app_command(port, workers, threads), env, log_dir)

    def wait_until_up(self, timeout: float = 120) -> None:
        """Until /readyz answers 200: the instance serves, reaches the database, migrations current."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                raise StackError(f"{self.name} exited while starting\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/readyz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise StackError(f"{self.name} did not answer /readyz within {timeout:.0f} s\n{self.tail()}")


def serve_command_exists() -> bool:
    """Whether this checkout has `forms-engine serve` (the production server command)."""
    from forms_engine.cli import main

    return "serve" in main.commands


APP_COMMAND: list[str] = []  # set by choose_app_command()


def choose_app_command() -> str:
    """`forms-engine serve` when this checkout has it, else gunicorn directly; returns a description."""
    APP_COMMAND.clear()
    if serve_command_exists():
        APP_COMMAND.append("serve")
        return "forms-engine serve --host 127.0.0.1 --port PORT --workers W --threads T"
    return (
        "gunicorn --bind 127.0.0.1:PORT --workers W --worker-class gthread --threads T "
        "'forms_engine:create_app()'"
    )


def app_command(port: int, workers: int, threads: int) -> list[str]:
    if APP_COMMAND == ["serve"]:
        return [
            str(BIN / "forms-engine"),
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ]
    return [
        str(BIN / "gunicorn"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
        "forms_engine:create_app()",
    ]


def worker_command() -> list[str]:
    return [str(BIN / "forms-engine"), "worker", "--batch", "5"]


def run_checked(command: list[str], env: Mapping[str, str], what: str, timeout: float = 300) -> str:
    result = subprocess.run(
        command, cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        raise StackError(f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


# --------------------------------------------------------------------------------------------------
# Form definitions: copies of the examples, each also delivered to the webhook receiver.


def write_definitions(source: Path, target: Path, webhook_url: str) -> list[Path]:
    """Copy every example definition into `target` with `deliveries.webhook` set to the receiver
    (the other deliveries, the emails, stay as they are). form_definitions/ is not changed."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(source.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if "slug" not in data or "pages" not in data:
            continue  # not a form definition (e.g. the paper-form register)
        data.setdefault("deliveries", {})["webhook"] = {"url": webhook_url, "secretEnv": WEBHOOK_SECRET_ENV}
        out = target / path.name
        out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
        written.append(out)
    for other in source.iterdir():  # anything else the folder holds (the paper-form register...)
        if other.is_file() and other.suffix != ".json":
            shutil.copy2(other, target / other.name)
    return written


# --------------------------------------------------------------------------------------------------
# The webhook receiver (tests/webhook.py) told to fail for a while, and its record checked.


def set_receiver_failing(receiver: WebhookReceiver, failing: bool) -> float:
    """Answer every webhook with HTTP 500 from now on (or stop doing so); returns when."""
    receiver.fail_first = 10**9 if failing else 0
    return time.time()


def signature_valid(received: Received, secret: str) -> bool:
    """The HMAC-SHA256 signature over '<timestamp>.<body>', computed here independently of the engine."""
    timestamp = received.headers.get(TIMESTAMP_HEADER, "")
    given = received.headers.get(SIGNATURE_HEADER, "")
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256)
    return hmac.compare_digest(given, f"sha256={expected.hexdigest()}")


@dataclass
class ReceiverSummary:
    requests: int
    accepted: int
    refused: int
    bad_signatures: int
    #: idempotency key -> references seen in the accepted (2xx) bodies with a valid signature
    accepted_keys: dict[str, set[str]]
    keys_accepted_more_than_once: int


def summarise_receiver(received: Iterable[Received], secret: str) -> ReceiverSummary:
    total = accepted = refused = bad = 0
    keys: dict[str, set[str]] = {}
    counts: dict[str, int] = {}
    for item in received:
        total += 1
        if not signature_valid(item, secret):
            bad += 1
            continue
        if not 200 <= item.status < 300:
            refused += 1
            continue
        accepted += 1
        key = item.headers.get(IDEMPOTENCY_HEADER, "")
        body: Any = json.loads(item.body)
        keys.setdefault(key, set()).add(str(body.get("reference")))
        counts[key] = counts.get(key, 0) + 1
    return ReceiverSummary(total, accepted, refused, bad, keys, sum(1 for n in counts.values() if n > 1))


#: The service's own address in links in emails (production mode needs an https:// one); the
#: citizens use the path of a link only, so nothing is ever sent to this host.
BASE_URL = "https://forms.loadtest.invalid"


def base_environment(
    database_url: str, run_dir: Path, definitions_dir: Path, secret: str, smtp_port: int
) -> dict[str, str]:
    """The settings every app instance and worker shares, from environment variables only, as in
    production: production mode (which refuses development settings), a random SECRET_KEY shared
    by every instance, PostgreSQL, uploads in the database, mail through SMTP (a server here on
    127.0.0.1), HTTPS=1 as behind a TLS proxy (this test talks plain HTTP to 127.0.0.1)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "FLASK_"))}
    env.update(
        {
            "FORMS_ENGINE_ENV": "production",
            "DATABASE_URL": database_url,
            "SECRET_KEY": hashlib.sha256(os.urandom(32)).hexdigest(),
            "FORM_DEFINITIONS_DIR": str(definitions_dir),
            "FORMS_ENGINE_INSTANCE": str(run_dir / "instance"),
            "FILE_STORE": "database",
            "MAIL_BACKEND": "smtp",
            "MAIL_HOST": HOST,
            "MAIL_PORT": str(smtp_port),
            "MAIL_TIMEOUT": "10",
            "HTTPS": "1",
            "BASE_URL": BASE_URL,
            # Behind one load balancer, which gives each citizen's address in X-Forwarded-For.
            "PROXY_FIX_X_FOR": "1",
            WEBHOOK_SECRET_ENV: secret,
            # Stopping at the end of the run need not wait for kept-alive connections.
            "GUNICORN_GRACEFUL_TIMEOUT": "3",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


# --------------------------------------------------------------------------------------------------
# Mail: an SMTP server on 127.0.0.1 that counts messages by recipient and keeps resume links.

RESUME_LINK_RE = re.compile(r"https?://\S+?(/[^/\s]+/resume/[A-Za-z0-9_-]+)")


class Mailbox:
    """aiosmtpd handler: counts every message by envelope recipient; parses only the messages to
    `saver-...` addresses (save-and-return links), so the many receipt emails cost little here."""

    def __init__(self) -> None:
        self.port = 0
        self.received: Counter[str] = Counter()
        self._links: dict[str, list[str]] = {}
        self._changed = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = [str(r).lower() for r in envelope.rcpt_tos]
        link = None
        if any(r.startswith(SAVER_PREFIX) for r in recipients):
            message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            body = message.get_body(("plain",))
            match = RESUME_LINK_RE.search(body.get_content() if body is not None else "")
            link = match.group(1) if match else None
        with self._changed:
            self.received.update(recipients)
            if link is not None:
                for recipient in recipients:
                    self._links.setdefault(recipient, []).append(link)
            self._changed.notify_all()
        return "250 Message accepted for delivery"

    def link_for(self, address: str, timeout: float = 30) -> str | None:
        """The newest resume link sent to `address` (waiting up to `timeout` for it), or None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._links.get(address.lower()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self._links[address.lower()][-1]


SAVER_PREFIX = "saver-"


@contextlib.contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    mailbox.port = find_free_port()
    controller = Controller(mailbox, hostname=HOST, port=mailbox.port, data_size_limit=50 * 1024 * 1024)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def find_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = find_free_port()
        if port not in ports:
            ports.append(port)
    return ports
