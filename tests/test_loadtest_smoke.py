"""The scale-out load test (benchmarks/loadtest.py) works: a small run with every fault injected
passes all its checks; and its checks can tell a bad run from a good one (signatures, windows,
stored answers, page forms)."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .webhook import Received

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.insert(0, str(BENCHMARKS))

import loadtest  # noqa: E402
import loadtest_citizen  # noqa: E402
import loadtest_stack  # noqa: E402

SMOKE = [
    "--journeys",
    "8",
    "--clients",
    "4",
    "--save-share",
    "0.25",
    "--bad-share",
    "0.3",
    "--receiver-fail-seconds",
    "2",
    "--worker-down-seconds",
    "1",
    "--pg-down-seconds",
    "1",
    "--instance-down-seconds",
    "1",
    "--lease-seconds",
    "8",
    "--citizen-minutes",
    "3",
    "--max-minutes",
    "5",
    # Each fault waits for a share of the journeys to be complete, one after the other, and the last
    # (an instance killed when 5 of 8 are complete) is not injected if all 8 are done by then. The
    # faults take about 6 s whatever the machine, so on a quicker machine than this one (where the
    # last 3 journeys ended 2.6 s after that kill in one run) the citizens could finish first. A
    # pause before each request (about 47 a journey: 9 s) keeps them at work while the faults happen.
    "--think",
    "0.2",
]


@pytest.mark.postgres
def test_a_small_run_with_every_fault_passes_all_its_checks(tmp_path: Path) -> None:
    results = tmp_path / "loadtest.json"
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, str(BENCHMARKS / "loadtest.py"), *SMOKE, "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-6000:]
    data = json.loads(results.read_text())
    checks = {c["name"]: c for c in data["checks"]}
    assert all(c["passed"] and not c["skipped"] for c in checks.values()), output[-6000:]
    figures = data["figures"]
    assert figures["completed"] == figures["started"] == 8
    assert figures["submissions"] == 8
    # every fault happened while the citizens were at work
    assert set(figures["faults"]) == {
        "webhook receiver failing",
        "worker1 killed",
        "PostgreSQL down",
        "app2 killed",
    }, figures["faults"]
    # both instances served the journeys
    assert len(figures["per_instance"]) == 2 and all(n > 0 for n in figures["per_instance"].values())
    assert "0 journeys reached confirmation without a stored submission" in output
    print(f"load test smoke run: {time.monotonic() - started:.0f} s")


def _received(body: bytes, secret: str, key: str = "k1", status: int = 200, tamper: bool = False) -> Received:
    timestamp = "1700000000"
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "idempotency-key": key,
        "x-forms-engine-timestamp": timestamp,
        "x-forms-engine-signature": f"sha256={digest}",
    }
    return Received("/hooks", headers, body + (b" " if tamper else b""), status, 0.0)


def test_the_receiver_summary_counts_bad_signatures_refusals_and_repeats() -> None:
    body = json.dumps({"reference": "ABCD-EFGH-JKLM"}).encode()
    summary = loadtest_stack.summarise_receiver(
        [
            _received(body, "s3cret", "k1", 500),
            _received(body, "s3cret", "k1"),
            _received(body, "s3cret", "k1"),
            _received(body, "s3cret", "k2", tamper=True),
            _received(body, "wrong secret", "k3"),
        ],
        "s3cret",
    )
    assert (summary.requests, summary.accepted, summary.refused, summary.bad_signatures) == (5, 2, 1, 2)
    assert summary.accepted_keys == {"k1": {"ABCD-EFGH-JKLM"}}
    assert summary.keys_accepted_more_than_once == 1


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (5.0, 6.0, True),  # inside
        (1.0, 5.0, True),  # in flight when the window opened
        (9.0, 12.0, True),  # in flight when it closed
        (1.0, 3.9, False),  # before
        (10.1, 11.0, False),  # after
    ],
)
def test_a_request_counts_as_in_a_fault_window_only_when_it_overlaps_it(
    start: float, end: float, expected: bool
) -> None:
    assert loadtest.overlaps(start, end, [(4.0, 10.0)]) is expected


def test_stored_answers_are_found_at_the_top_level_and_in_repeat_items() -> None:
    answers = {"applicantName": "Citizen 1", "setts": [{"settName": "Citizen 1 sett"}]}
    assert loadtest.find_answer(answers, "applicantName") == "Citizen 1"
    assert loadtest.find_answer(answers, "settName") == "Citizen 1 sett"
    assert loadtest.find_answer(answers, "missing") is None


def test_a_page_form_gives_its_csrf_token_and_the_fields_it_offers() -> None:
    page = (
        "<html><head><title>Name</title></head><body><form method='post' enctype='multipart/form-data'>"
        "<input type='hidden' name='csrf_token' value='tok'><input name='fullName'>"
        "<textarea name='details'>Caf\u00e9</textarea><input type='file' name='evidence'>"
        "<button name='action' value='save'>Save</button></form></body></html>"
    ).encode()
    form = loadtest_citizen.read_form(page)
    assert form.csrf_token == "tok"
    assert form.names == {"csrf_token", "fullName", "details", "evidence"}
    assert form.file_names == {"evidence"}


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert [loadtest.percentile(values, p) for p in (50, 95, 99)] == [50.0, 95.0, 99.0]
    assert loadtest.percentile([], 50) is None
