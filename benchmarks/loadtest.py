"""Scale-out load and fault test: several app instances and delivery workers on one PostgreSQL,
many simulated citizens, and faults injected while they work. Run with `make loadtest` or
`.venv/bin/python benchmarks/loadtest.py` (`--help` for the options). What it does:

1. Starts a throw-away PostgreSQL on 127.0.0.1 (tests/pg.py), migrates it (`forms-engine db
   upgrade`), starts a webhook receiver on 127.0.0.1 (tests/webhook.py), TWO app instances on two
   ports (`forms-engine serve` when this checkout has it, else gunicorn with the gthread worker) and
   TWO delivery workers (`forms-engine worker`, with short retry back-off), all in production mode
   and configured by environment variables only. The instances serve copies of form_definitions/
   whose deliveries also call the receiver (signed webhook); uploads are kept in the database
   (FILE_STORE=database); mail goes by SMTP to a server this script runs on 127.0.0.1 (production
   mode refuses the outbox backend), which counts the emails and hands the citizens their
   save-and-return links.
2. Simulates citizens (benchmarks/loadtest_citizen.py): --clients threads complete --journeys
   journeys across the example forms through the real pages, their requests alternating between the
   instances; some post bad answers first, some save and come back later through the emailed link.
3. While they work, one after the other: the receiver answers HTTP 500 for a while; one app instance
   is SIGKILLed and started again; one worker is SIGKILLed and started again; PostgreSQL is stopped
   (fast) and started again. Each fault's window is recorded.
4. Waits for the workers to deliver everything (with a time limit), then checks and prints: every
   reference shown on a confirmation page is in the database exactly once, nothing lost or
   duplicated, the typed answers stored, every delivery done and every webhook accepted by the
   receiver with a valid signature, no 5xx outside the database's down window and no connection
   error outside the killed instance's; requests/s and latency percentiles. Exits 1 when a check
   fails, 2 when the stack cannot be started.

Every process it starts is stopped at the end, also on an error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import loadtest_citizen as citizens  # noqa: E402
import loadtest_stack as stack  # noqa: E402
from loadtest_stack import ROOT  # noqa: E402

#: Settings of the run that are not defaults of the engine, for retries to happen within the run.
DELIVERY_SETTINGS = {
    "DELIVERY_BACKOFF_SECONDS": "1",
    "DELIVERY_BACKOFF_MAX_SECONDS": "4",
    # Never dead-letter during the run: a job must end delivered, however long the receiver fails.
    "DELIVERY_MAX_ATTEMPTS": "1000",
    "WEBHOOK_TIMEOUT": "5",
    "WORKER_POLL_SECONDS": "0.5",
}
#: Rate limits are per client IP address and every simulated citizen comes from 127.0.0.1: each
#: *_RATE_LIMIT* setting the engine has is raised to this for the run (and printed).
GENEROUS_RATE_LIMIT = "1000000 per minute"


def delivery_settings(args: argparse.Namespace) -> dict[str, str]:
    return {**DELIVERY_SETTINGS, "DELIVERY_LEASE_SECONDS": f"{args.lease_seconds:g}"}


@dataclass
class FaultLog:
    started_at: float
    events: list[tuple[float, str]] = field(default_factory=list)
    #: what -> (start, end) in time.time() seconds
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    not_injected: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        moment = time.time()
        self.events.append((moment, text))
        print(f"[{moment - self.started_at:7.1f} s] {text}", flush=True)


# --------------------------------------------------------------------------------------------------
# Arguments


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add = parser.add_argument
    add("--journeys", type=int, default=2000, help="complete journeys to run (default 2000)")
    add("--clients", type=int, default=100, help="concurrent citizens (default 100)")
    add("--instances", type=int, default=2, help="app instances (default 2)")
    add("--workers", type=int, default=2, help="delivery workers (default 2)")
    add("--app-workers", type=int, default=2, help="gunicorn worker processes per instance (default 2)")
    add("--app-threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    add("--save-share", type=float, default=0.15, help="share of journeys that save and resume (0.15)")
    add("--bad-share", type=float, default=0.25, help="share of journeys posting bad answers first (0.25)")
    add("--think", type=float, default=0.0, help="seconds a citizen waits before each request (0)")
    add("--seed", type=int, default=8, help="random seed of the journey plans")
    add("--faults", action=argparse.BooleanOptionalAction, default=True, help="inject faults (default on)")
    add("--receiver-fail-seconds", type=float, default=30, help="receiver answers 500 this long (30)")
    add("--instance-down-seconds", type=float, default=10, help="killed instance stays down (10)")
    add("--worker-down-seconds", type=float, default=5, help="killed worker stays down (5)")
    add("--pg-down-seconds", type=float, default=5, help="PostgreSQL stays stopped (5)")
    add(
        "--lease-seconds",
        type=float,
        default=20,
        help="DELIVERY_LEASE_SECONDS: a killed worker's jobs are due again after this; longer than "
        "one delivery can take (20)",
    )
    add(
        "--citizen-minutes",
        type=float,
        default=8,
        help="stop starting new journeys after this many minutes, so that the run fits in --max-minutes "
        "on a slow machine; journeys in flight finish, and the number run is printed (8)",
    )
    add("--drain-timeout", type=float, default=600, help="seconds to wait for deliveries (600)")
    add("--max-minutes", type=float, default=15, help="fail if the whole run takes longer (15)")
    add("--json", type=Path, help="also write the results to this JSON file")
    add("--keep", action="store_true", help="keep the run folder (process logs, definitions) afterwards")
    args = parser.parse_args(argv)
    if args.instances < 2 and args.faults:
        parser.error("--faults needs at least 2 instances (a citizen retries on the other one)")
    if args.workers < 1 or args.journeys < 1 or args.clients < 1:
        parser.error("--workers, --journeys and --clients must be at least 1")
    return args


# --------------------------------------------------------------------------------------------------
# Helpers


def percentile(sorted_values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * pct // 100))
    return sorted_values[int(rank) - 1]


def overlaps(start: float, end: float, windows: Sequence[tuple[float, float]]) -> bool:
    return any(start <= w_end and end >= w_start for w_start, w_end in windows)


def system_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (/proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (values + [0] * 7)[:7]
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def machine() -> dict[str, str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpu": f"{model or platform.processor() or 'unknown'}, {os.cpu_count()} CPUs",
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def cpu_snapshot(the_stack: Stack) -> dict[str, float]:
    """CPU seconds used so far: by the app instances, the workers, PostgreSQL, this process (the
    citizens, the webhook receiver and the mail server), and the whole machine."""
    return {
        "app instances": sum(i.cpu_seconds() for i in the_stack.instances),
        "delivery workers": sum(w.cpu_seconds() for w in the_stack.workers),
        "PostgreSQL": the_stack.postgres.cpu_seconds(),
        "load generator": time.process_time(),
        "machine": system_cpu(),
    }


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    used = {name: after[name] - before[name] for name in before}
    used["other processes"] = used.pop("machine") - sum(used.values())
    return used


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return out + (" (working tree has uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def rate_limit_settings() -> dict[str, str]:
    """Each rate-limit setting the engine's Config has (per IP, per journey, sign-in...), set generous."""
    from forms_engine.config import Config

    return {
        name: GENEROUS_RATE_LIMIT
        for name in dir(Config)
        if "RATE_LIMIT" in name
        and not name.startswith("RATELIMIT_")
        and isinstance(getattr(Config, name), str)
    }


def load_forms(definitions: Sequence[Path]) -> list[citizens.FormPlan]:
    from forms_engine.definitions.loader import load_definition
    from forms_engine.journey import journey_for

    forms = []
    for path in definitions:
        definition = load_definition(path)
        forms.append(citizens.FormPlan(definition.slug, journey_for(definition)))
    return forms


# --------------------------------------------------------------------------------------------------
# The stack


@dataclass
class Stack:
    postgres: stack.Postgres
    receiver: Any  # tests.webhook.WebhookReceiver
    instances: list[stack.AppInstance]
    workers: list[stack.Service]
    env: dict[str, str]
    run_dir: Path
    mailbox: stack.Mailbox
    definitions: list[Path]
    app_command: str
    rate_limits: dict[str, str]

    def stop(self) -> None:
        for service in [*self.workers, *self.instances]:
            service.stop()


@contextlib.contextmanager
def running_stack(args: argparse.Namespace, secret: str) -> Iterator[Stack]:
    from tests.pg import running_postgres
    from tests.webhook import running_webhook_receiver

    run_dir = Path(tempfile.mkdtemp(prefix="forms-engine-loadtest-"))
    services: list[stack.Service] = []
    try:
        with (
            running_postgres("forms_engine_loadtest") as url,
            running_webhook_receiver(failure_status=500) as receiver,
            stack.running_mailbox() as mailbox,
        ):
            postgres = stack.Postgres.attach(url)
            definitions = stack.write_definitions(
                ROOT / "form_definitions", run_dir / "definitions", receiver.url
            )
            env = stack.base_environment(url, run_dir, run_dir / "definitions", secret, mailbox.port)
            env.update(delivery_settings(args))
            limits = rate_limit_settings()
            env.update(limits)
            stack.run_checked(
                [str(stack.BIN / "forms-engine"), "db", "upgrade"], env, "forms-engine db upgrade"
            )
            description = stack.choose_app_command()
            ports = stack.find_free_ports(args.instances)
            instances = []
            for number, port in enumerate(ports, start=1):
                instance = stack.AppInstance(
                    f"app{number}",
                    port,
                    env,
                    run_dir,
                    args.app_workers,
                    args.app_threads,
                )
                instances.append(instance)
                services.append(instance)
                instance.start()
            workers = []
            for number in range(1, args.workers + 1):
                worker = stack.Service(f"worker{number}", stack.worker_command(), env, run_dir)
                workers.append(worker)
                services.append(worker)
                worker.start()
            for instance in instances:
                instance.wait_until_up()
            yield Stack(
                postgres,
                receiver,
                instances,
                workers,
                env,
                run_dir,
                mailbox,
                definitions,
                description,
                limits,
            )
    finally:
        for service in reversed(services):
            service.stop()
        if args.keep:
            print(f"run folder kept: {run_dir}")
        else:
            import shutil

            shutil.rmtree(run_dir, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# Faults


def inject_faults(
    args: argparse.Namespace,
    the_stack: Stack,
    recorder: citizens.Recorder,
    total: int,
    citizens_done: threading.Event,
    log: FaultLog,
) -> None:
    """One fault after the other, each when a share of the journeys is complete, so every fault
    falls while citizens are at work."""
    receiver = the_stack.receiver
    instance = the_stack.instances[-1]
    worker = the_stack.workers[0]

    budget = args.citizen_minutes * 60

    def wait_for(share: float) -> bool:
        """Until `share` of the journeys are complete or of the citizens' time has passed."""
        while recorder.completed < share * total and time.time() - log.started_at < share * budget:
            if citizens_done.wait(0.2):
                return False
        return True

    def receiver_fails() -> None:
        began = stack.set_receiver_failing(receiver, True)
        log.note(f"webhook receiver now answers HTTP 500 (for {args.receiver_fail_seconds:.0f} s)")
        time.sleep(args.receiver_fail_seconds)
        ended = stack.set_receiver_failing(receiver, False)
        log.windows["webhook receiver failing"] = (began, ended)
        log.note("webhook receiver accepts again")

    def kill_instance() -> None:
        killed = instance.kill()
        log.note(f"SIGKILL {instance.name} (port {instance.port}, gunicorn and its workers)")
        time.sleep(args.instance_down_seconds)
        instance.start()
        instance.wait_until_up()
        up = time.time()
        instance.down_windows.append((killed, up))
        log.windows[f"{instance.name} killed"] = (killed, up)
        log.note(f"{instance.name} restarted and answering ({up - killed:.1f} s down)")

    def kill_worker() -> None:
        killed = worker.kill()
        log.note(f"SIGKILL {worker.name}")
        time.sleep(args.worker_down_seconds)
        worker.start()
        up = time.time()
        worker.down_windows.append((killed, up))
        log.windows[f"{worker.name} killed"] = (killed, up)
        log.note(f"{worker.name} restarted")

    def restart_postgres() -> None:
        log.note(f"PostgreSQL: pg_ctl stop -m fast (down for {args.pg_down_seconds:.0f} s)")
        began, ended = the_stack.postgres.restart(args.pg_down_seconds)
        log.windows["PostgreSQL down"] = (began, ended)
        log.note(f"PostgreSQL started again, accepting connections ({ended - began:.1f} s down)")

    # The instance comes last: it takes longest to start again, and the citizens carry on meanwhile.
    schedule = [
        (0.10, "webhook receiver failing", receiver_fails),
        (0.25, "worker killed", kill_worker),
        (0.40, "PostgreSQL restarted", restart_postgres),
        (0.55, "app instance killed", kill_instance),
    ]
    for index, (share, what, action) in enumerate(schedule):
        if not wait_for(share):
            log.not_injected.extend(name for _, name, _ in schedule[index:])
            return
        try:
            action()
        except Exception as exc:  # a fault that could not be injected (or undone) fails the run
            log.note(f"FAULT '{what}' went wrong: {exc.__class__.__name__}: {exc}")
            log.not_injected.append(f"{what} ({exc})")


# --------------------------------------------------------------------------------------------------
# Progress, drain and checks


def report_progress(recorder: citizens.Recorder, total: int, done: threading.Event, log: FaultLog) -> None:
    last_count, last_time = 0, time.time()
    while not done.wait(15):
        now = time.time()
        count = len(recorder.requests)
        failed = sum(1 for j in recorder.journeys if not j.completed)
        print(
            f"[{now - log.started_at:7.1f} s] journeys {recorder.completed}/{total} complete"
            + (f", {failed} failed" if failed else "")
            + f"; {(count - last_count) / (now - last_time):.0f} req/s",
            flush=True,
        )
        last_count, last_time = count, now


def cut_off_attempts(url: str) -> int:
    """Delivery attempts left 'started': the worker making them died (the SIGKILL) before they ended."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM delivery_attempts WHERE outcome = 'started'").fetchone()
    return int(row[0]) if row else 0


def database_rows(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    import psycopg
    from psycopg.rows import dict_row

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, row_factory=dict_row) as conn:
        submissions = conn.execute(
            "SELECT id, reference, journey_id, form_slug, answers FROM submissions ORDER BY id"
        ).fetchall()
        jobs = conn.execute(
            "SELECT j.id, s.reference, j.kind, j.target, j.status, j.attempts, j.idempotency_key "
            "FROM delivery_jobs j JOIN submissions s ON s.id = j.submission_id ORDER BY j.id"
        ).fetchall()
    return submissions, jobs


def wait_for_deliveries(the_stack: Stack, deadline: float, log: FaultLog) -> float:
    """Until every job is delivered and the receiver has accepted every webhook, or the deadline."""
    began = time.time()
    last_print = 0.0
    while True:
        _, jobs = database_rows(the_stack.postgres.url)
        pending = [j for j in jobs if j["status"] != "delivered"]
        accepted = {r.headers.get("idempotency-key") for r in the_stack.receiver.accepted()}
        unseen = [j for j in jobs if j["kind"] == "webhook" and j["idempotency_key"] not in accepted]
        now = time.time()
        if not pending and not unseen:
            log.note(
                f"deliveries drained: {len(jobs)} jobs delivered ({now - began:.0f} s after the citizens)"
            )
            return now - began
        if now >= deadline:
            log.note(f"gave up waiting for deliveries: {len(pending)} jobs not delivered")
            return now - began
        if now - last_print > 15:
            log.note(f"waiting for deliveries: {len(pending)} of {len(jobs)} jobs not delivered yet")
            last_print = now
        time.sleep(2)


def find_answer(answers: Any, name: str) -> Any:
    """An answer by component name, at the top level or inside a repeat's items."""
    if not isinstance(answers, dict):
        return None
    if name in answers:
        return answers[name]
    for value in answers.values():
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict) and name in item:
                    return item[name]
    return None


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    #: not exercised in this run by choice (an option set to 0): printed as SKIP, never a failure
    skipped: bool = False


def run_checks(
    args: argparse.Namespace,
    the_stack: Stack,
    recorder: citizens.Recorder,
    log: FaultLog,
    drained_in: float,
    citizen_seconds: float,
    total_seconds: float,
) -> tuple[list[Check], dict[str, Any]]:
    checks: list[Check] = []

    def check(name: str, passed: bool, detail: str, skipped: bool = False) -> None:
        checks.append(Check(name, passed, detail, skipped))

    journeys = recorder.journeys
    completed = [j for j in journeys if j.completed]
    failed = [j for j in journeys if not j.completed]
    check(
        "every journey started reached its confirmation page",
        bool(journeys) and len(completed) == len(journeys),
        f"{len(completed)} of {len(journeys)} started"
        + (f"; {len(failed)} failed, first: journey {failed[0].number}: {failed[0].error}" if failed else "")
        + (
            f" ({args.journeys - len(journeys)} of the {args.journeys} planned not started: "
            f"--citizen-minutes {args.citizen_minutes:g} reached)"
            if len(journeys) < args.journeys
            else ""
        ),
    )

    submissions, jobs = database_rows(the_stack.postgres.url)
    by_reference = Counter(s["reference"] for s in submissions)
    by_journey = Counter(s["journey_id"] for s in submissions)
    shown = [j.reference for j in completed if j.reference]
    shown_counts = Counter(shown)
    lost = [r for r in shown_counts if by_reference.get(r, 0) == 0]
    not_once = [r for r in shown_counts if by_reference.get(r, 0) > 1]
    shared = [r for r, n in shown_counts.items() if n > 1]
    duplicated_journeys = [k for k, n in by_journey.items() if n > 1]
    unseen = [r for r in by_reference if r not in shown_counts]
    check(
        "every reference shown exists exactly once in the database",
        not lost and not not_once and not shared,
        f"{len(shown_counts)} references shown; {len(lost)} missing from the database, "
        f"{len(not_once)} stored more than once, {len(shared)} shown to two journeys",
    )
    check(
        "zero lost submissions",
        not lost and bool(completed),
        f"{len(lost)} journeys reached confirmation without a stored submission",
    )
    check(
        "zero duplicated submissions",
        not duplicated_journeys and not unseen and len(submissions) == len(shown_counts),
        f"{len(submissions)} submissions stored for {len(shown_counts)} confirmed journeys; "
        f"{len(duplicated_journeys)} journeys with several submissions, {len(unseen)} submissions "
        "no citizen was shown",
    )

    stored = {s["reference"]: s["answers"] for s in submissions}
    mismatched = []
    for journey in completed:
        answers = stored.get(journey.reference or "")
        if answers is None:
            continue
        for name, value in journey.typed.items():
            if find_answer(answers, name) != value:
                mismatched.append(f"{journey.reference}:{name}")
    asked_again = [f"journey {j.number}: {p}" for j in journeys for p in j.asked_again]
    check(
        "no answers lost (stored answers = typed answers; no page asked again)",
        not mismatched and not asked_again,
        f"{sum(len(j.typed) for j in completed)} typed answers compared: {len(mismatched)} differ"
        + (f" (first {mismatched[0]})" if mismatched else "")
        + f"; {len(asked_again)} pages asked again after being answered"
        + (f" (first {asked_again[0]})" if asked_again else ""),
    )

    bad_posted = sum(j.bad_answers_posted for j in journeys)
    summaries = sum(j.error_summaries_shown for j in journeys)
    check(
        "bad answers get the GOV.UK error summary",
        bad_posted > 0 and summaries == bad_posted,
        f"{bad_posted} pages posted with blank answers, {summaries} error summaries shown",
        skipped=args.bad_share == 0,
    )
    saved = sum(1 for j in journeys if j.saved)
    resumed = sum(1 for j in journeys if j.resumed)
    check(
        "save and come back later works across instances",
        saved > 0 and resumed == saved,
        f"{saved} journeys saved, {resumed} resumed from the emailed link in a new browser",
        skipped=args.save_share == 0,
    )

    not_delivered = [j for j in jobs if j["status"] != "delivered"]
    dead = [j for j in jobs if j["status"] == "dead"]
    kinds = Counter(j["kind"] for j in jobs)
    webhook_jobs = [j for j in jobs if j["kind"] == "webhook"]
    references_with_webhook = {j["reference"] for j in webhook_jobs}
    check(
        "every submission's deliveries completed at least once",
        not not_delivered and len(references_with_webhook) == len(submissions),
        f"{len(jobs)} jobs ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}): "
        f"{len(jobs) - len(not_delivered)} delivered, {len(not_delivered)} not ({len(dead)} dead-lettered); "
        f"{cut_off_attempts(the_stack.postgres.url)} attempts cut off by the worker's SIGKILL; "
        f"drained {drained_in:.0f} s after the citizens finished",
    )
    summary = stack.summarise_receiver(
        list(the_stack.receiver.received), the_stack.env[stack.WEBHOOK_SECRET_ENV]
    )
    missing_keys = [j for j in webhook_jobs if j["idempotency_key"] not in summary.accepted_keys]
    wrong_body = [
        j
        for j in webhook_jobs
        if j["idempotency_key"] in summary.accepted_keys
        and summary.accepted_keys[j["idempotency_key"]] != {j["reference"]}
    ]
    check(
        "the receiver accepted each submission's webhook (valid signature, its Idempotency-Key)",
        not missing_keys and not wrong_body and summary.bad_signatures == 0,
        f"{summary.requests} webhook requests: {summary.accepted} accepted, {summary.refused} answered 500 "
        f"on purpose, {summary.bad_signatures} with a bad signature; {len(missing_keys)} submissions' keys "
        f"never accepted; {summary.keys_accepted_more_than_once} keys accepted more than once "
        "(at-least-once delivery)",
    )
    email_jobs = Counter(j["target"].lower() for j in jobs if j["kind"] != "webhook")
    received = the_stack.mailbox.received
    short = [address for address, n in email_jobs.items() if received.get(address, 0) < n]
    check(
        "the mail server received every email job's email",
        not short,
        f"{sum(email_jobs.values())} email jobs to {len(email_jobs)} addresses; "
        f"{sum(received[a] for a in email_jobs)} emails received for them; "
        f"{len(short)} addresses got fewer than their jobs",
    )

    pg_windows = list(the_stack.postgres.down_windows)
    server_errors = [r for r in recorder.requests if r.status >= 500]
    outside = [r for r in server_errors if not overlaps(r.started, r.ended, pg_windows)]
    statuses = Counter(r.status for r in server_errors)
    check(
        "no 5xx except while PostgreSQL was down",
        not outside,
        f"{len(server_errors)} responses 5xx"
        + (
            " (" + ", ".join(f"{n} HTTP {code}" for code, n in sorted(statuses.items())) + ")"
            if statuses
            else ""
        )
        + f", {len(server_errors) - len(outside)} of them while PostgreSQL was down, "
        f"{len(outside)} at other times"
        + (f" (first: {outside[0].method} {outside[0].kind} -> {outside[0].status})" if outside else ""),
    )
    conn_errors = [r for r in recorder.requests if r.status == 0]
    windows_by_port = {i.port: i.down_windows for i in the_stack.instances}
    unexplained = [
        r for r in conn_errors if not overlaps(r.started, r.ended, windows_by_port.get(r.port, []))
    ]
    check(
        "no connection error except to the killed instance",
        not unexplained,
        f"{len(conn_errors)} requests without an answer, {len(conn_errors) - len(unexplained)} of them "
        f"to the killed instance while it was down, {len(unexplained)} at other times"
        + (f" (first: {unexplained[0].error} on port {unexplained[0].port})" if unexplained else ""),
    )
    if args.faults:
        check(
            "every fault was injected while citizens were at work",
            not log.not_injected and len(log.windows) == 4,
            "injected: "
            + ", ".join(log.windows)
            + (f"; NOT: {', '.join(log.not_injected)}" if log.not_injected else ""),
        )
    check(
        f"finished within {args.max_minutes:g} minutes",
        total_seconds <= args.max_minutes * 60,
        f"{total_seconds / 60:.1f} minutes from start to the end of the checks",
    )

    answered = [r for r in recorder.requests if r.status > 0]
    latency = sorted((r.ended - r.started) * 1000 for r in answered)
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in sorted({r.kind for r in answered}):
        values = sorted((r.ended - r.started) * 1000 for r in answered if r.kind == kind)
        by_kind[kind] = {
            "requests": len(values),
            "p50_ms": percentile(values, 50),
            "p95_ms": percentile(values, 95),
            "p99_ms": percentile(values, 99),
        }
    per_port = Counter(r.port for r in answered)
    figures = {
        "journeys": args.journeys,
        "started": len(journeys),
        "completed": len(completed),
        "clients": args.clients,
        "requests": len(recorder.requests),
        "answered": len(answered),
        "citizen_seconds": citizen_seconds,
        "requests_per_second": len(answered) / citizen_seconds if citizen_seconds else 0.0,
        "journeys_per_minute": len(completed) / citizen_seconds * 60 if citizen_seconds else 0.0,
        "p50_ms": percentile(latency, 50),
        "p95_ms": percentile(latency, 95),
        "p99_ms": percentile(latency, 99),
        "max_ms": latency[-1] if latency else None,
        "by_kind": by_kind,
        "per_instance": {str(port): n for port, n in sorted(per_port.items())},
        "retries": sum(j.retries for j in journeys),
        "stale_connections": len(recorder.stale_connections),
        "server_errors": len(server_errors),
        "connection_errors": len(conn_errors),
        "submissions": len(submissions),
        "delivery_jobs": len(jobs),
        "webhook_requests": summary.requests,
        "drain_seconds": drained_in,
        "total_seconds": total_seconds,
        "faults": {
            k: [round(v[0] - log.started_at, 1), round(v[1] - log.started_at, 1)]
            for k, v in log.windows.items()
        },
    }
    return checks, figures


def fmt(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_results(checks: Sequence[Check], figures: dict[str, Any]) -> None:
    print()
    print("Results")
    print(
        f"  journeys: {figures['completed']} complete of {figures['started']} started, with "
        f"{figures['clients']} concurrent citizens, in {figures['citizen_seconds']:.0f} s "
        f"({figures['journeys_per_minute']:.0f} per minute)"
    )
    if figures["started"] < figures["journeys"]:
        print(
            f"  SCALED DOWN: {figures['started']} of the {figures['journeys']} journeys asked for were run; "
            "new journeys stopped at --citizen-minutes so that the whole run fits in --max-minutes"
        )
    print(
        f"  requests: {figures['answered']:,} answered ({figures['requests_per_second']:.0f} req/s), "
        f"{figures['retries']} sent again after a 5xx or a connection error "
        f"({figures['server_errors']} 5xx, {figures['connection_errors']} without an answer); "
        f"{figures['stale_connections']} sent again at once on a new connection because the server had "
        "closed the kept-alive one"
    )
    print(
        "  per instance (port: requests answered): "
        + ", ".join(f"{port}: {n:,}" for port, n in figures["per_instance"].items())
    )
    print(
        f"  latency, all requests: p50 {fmt(figures['p50_ms'])} ms, p95 {fmt(figures['p95_ms'])} ms, "
        f"p99 {fmt(figures['p99_ms'])} ms, max {fmt(figures['max_ms'])} ms"
    )
    print(f"  {'request':<14}{'count':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind, row in figures["by_kind"].items():
        percentiles = "".join(f"{fmt(row[p]):>9}" for p in ("p50_ms", "p95_ms", "p99_ms"))
        print(f"  {kind:<14}{row['requests']:>9,}{percentiles}")
    print(
        f"  submissions stored: {figures['submissions']}; delivery jobs: {figures['delivery_jobs']}; "
        f"webhook requests received: {figures['webhook_requests']}"
    )
    completed = max(1, figures["completed"])
    print(
        f"  CPU seconds, citizens' phase ({figures['citizen_seconds']:.0f} s) / until deliveries drained "
        f"(+{figures['drain_seconds']:.0f} s), and per completed journey:"
    )
    for name, seconds in figures["cpu_seconds_to_drained"].items():
        during = figures["cpu_seconds_citizens"][name]
        print(
            f"    {name:<18}{during:>9.1f}{seconds:>9.1f}  {seconds / completed * 1000:>7.0f} ms per journey"
        )
    if figures["faults"]:
        print(
            "  faults (seconds from start): "
            + "; ".join(f"{k} {v[0]}-{v[1]}" for k, v in figures["faults"].items())
        )
    print()
    print("Checks")
    for item in checks:
        verdict = "SKIP" if item.skipped else "PASS" if item.passed else "FAIL"
        print(f"  {verdict}  {item.name}: {item.detail}")
    failed = [c for c in checks if not c.passed and not c.skipped]
    skipped = [c for c in checks if c.skipped]
    print()
    print(
        f"{len(checks) - len(failed) - len(skipped)} of {len(checks)} checks passed"
        + (f", {len(skipped)} skipped by the options" if skipped else "")
        + (": FAILED" if failed else "")
    )


# --------------------------------------------------------------------------------------------------
# Main


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.time()
    deadline = started + args.max_minutes * 60
    log = FaultLog(started)
    secret = os.urandom(24).hex()
    # SIGTERM ends the run like Ctrl-C does, so every process started is stopped on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    info = machine()
    print("Scale-out load test (benchmarks/loadtest.py)")
    print(f"  date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; commit {git_commit()}")
    print(f"  machine: {info['cpu']}, {info['memory']} RAM, {info['os']}, Python {info['python']}")
    print(f"  load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"  command: {' '.join(shlex.quote(a) for a in sys.argv)}")
    try:
        with running_stack(args, secret) as the_stack:
            return run(args, the_stack, log, started, deadline)
    except stack.StackError as exc:
        print(f"could not start the stack: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: everything started has been stopped", file=sys.stderr)
        return 130


def run(args: argparse.Namespace, the_stack: Stack, log: FaultLog, started: float, deadline: float) -> int:
    print(
        f"  stack: PostgreSQL {the_stack.postgres.bin_dir.parent.name} on "
        f"127.0.0.1:{the_stack.postgres.port}; "
        f"{len(the_stack.instances)} app instances (ports "
        f"{', '.join(str(i.port) for i in the_stack.instances)}), each: {the_stack.app_command} with "
        f"W={args.app_workers}, T={args.app_threads}; {len(the_stack.workers)} delivery workers; "
        f"webhook receiver on port {the_stack.receiver.port}"
    )
    print("  delivery settings: " + ", ".join(f"{k}={v}" for k, v in delivery_settings(args).items()))
    if the_stack.rate_limits:
        print(
            "  rate limits raised for the run (the citizens, all on 127.0.0.1, post far faster than people): "
            + ", ".join(f"{k}={v!r}" for k, v in sorted(the_stack.rate_limits.items()))
        )
    else:
        print("  rate limits: the engine has no rate-limit setting to raise")
    print(
        "  client addresses: each citizen's own (10.x.y.z) in X-Forwarded-For, trusted with "
        "PROXY_FIX_X_FOR=1, as a load balancer in front of the instances would give them"
    )
    print(
        f"  citizens: {args.journeys} journeys, {args.clients} at a time, across "
        f"{len(the_stack.definitions)} forms; {args.save_share:.0%} planned to save and resume, "
        f"{args.bad_share:.0%} to post bad answers first; faults {'on' if args.faults else 'off'}"
    )
    print(f"  stack up in {time.time() - started:.0f} s", flush=True)

    forms = load_forms(the_stack.definitions)
    plans = citizens.plan_journeys(forms, args.journeys, args.save_share, args.bad_share, args.seed)
    balancer = citizens.Balancer([i.port for i in the_stack.instances])
    recorder = citizens.Recorder()
    citizens_done = threading.Event()
    log.started_at = time.time()
    log.note("citizens start")
    cpu_before = cpu_snapshot(the_stack)
    threads = [
        threading.Thread(
            target=report_progress, args=(recorder, args.journeys, citizens_done, log), daemon=True
        )
    ]
    if args.faults:
        threads.append(
            threading.Thread(
                target=inject_faults,
                args=(args, the_stack, recorder, args.journeys, citizens_done, log),
                daemon=True,
            )
        )
    for thread in threads:
        thread.start()
    citizen_stop = min(deadline, log.started_at + args.citizen_minutes * 60)
    citizens.run_citizens(
        plans,
        args.clients,
        balancer,
        recorder,
        the_stack.mailbox.link_for,
        args.think,
        lambda: time.time() < citizen_stop,
    )
    citizen_seconds = time.time() - log.started_at
    cpu_citizens = cpu_used(cpu_before, cpu_snapshot(the_stack))
    cores = sum(cpu_citizens.values()) / citizen_seconds
    citizens_done.set()
    log.note(
        f"citizens done: {recorder.completed} journeys complete in {citizen_seconds:.0f} s "
        f"(machine busy {cores:.2f} of {os.cpu_count()} cores on average)"
    )
    for thread in threads:
        thread.join(
            timeout=args.instance_down_seconds + args.pg_down_seconds + args.receiver_fail_seconds + 120
        )
    # Leave half a minute for the checks, so a run that drains in time also ends in time.
    drain_until = min(deadline - 30, time.time() + args.drain_timeout)
    drained_in = wait_for_deliveries(the_stack, drain_until, log)
    cpu_total = cpu_used(cpu_before, cpu_snapshot(the_stack))
    total = time.time() - started
    checks, figures = run_checks(args, the_stack, recorder, log, drained_in, citizen_seconds, total)
    figures["machine_busy_cores"] = cores
    figures["cpu_seconds_citizens"] = cpu_citizens
    figures["cpu_seconds_to_drained"] = cpu_total
    print_results(checks, figures)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "commit": git_commit(),
                    "machine": machine(),
                    "arguments": {k: str(v) for k, v in vars(args).items()},
                    "figures": figures,
                    "checks": [vars(c) for c in checks],
                },
                indent=2,
            )
        )
    return 0 if all(c.passed or c.skipped for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
