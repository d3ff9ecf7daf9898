"""Benchmark forms-engine: HTTP throughput and latency under gunicorn, definition load and journey build.

Not a test: it asserts nothing, it measures. Run with `make bench` or `.venv/bin/python benchmarks/bench.py`
(`--help` for the options). What it does:

1. In-process, with no server running: time `load_definition(path)` (parse + JSON Schema + references +
   model) and the journey build (`Journey(definition)`, what `journey_for` does on a cache miss) for each
   example form, median over N runs. Then the PDF receipt (`render_receipt`) of in-memory submissions
   whose receipts have 2 and 5 pages (counted with pypdf): the process's first receipt, then each size
   warm (a few untimed renders, then p50/p95 of N timed ones, wall clock and CPU time).
2. Makes a temporary SQLite database, runs `forms-engine db upgrade` against it, and starts gunicorn on
   127.0.0.1 at a free port with `forms_engine:create_app()`; by default ONE sync worker, so the figures
   compare with references measured the same way (one sync worker on one core). CSRF stays on.
3. Measures the load generator alone against a stub server that answers instantly (client ceiling).
4. For each scenario and each concurrency (1, 10, 20 clients): every client is a thread with its own
   http.client connection (kept alive when the server allows it; gunicorn's sync worker closes the
   connection after each response, so clients reconnect), its own cookie and its own journey, prepared
   through the real pages (start page -> csrf_token -> "Start now" -> answers posted page by page).
   After a warm-up, requests are timed for a fixed duration. Responses other than 2xx/3xx are errors;
   a status other than the one expected (e.g. a redirect instead of the page) is counted as unexpected.
5. Optionally the GET scenarios again with wrk (if installed), which is written in C.
6. The first question page again at each concurrency, alone and then while another process renders
   2-page receipts back to back (as a delivery worker would), at each niceness of --receipt-nice.
7. Prints a table and writes benchmarks/results.json. gunicorn is stopped at the end, also on errors
   and on Ctrl-C. All traffic goes to 127.0.0.1.

`--receipts-only` runs only the receipt parts (the receipts of 1, and 6). `--profile` instead profiles
each scenario in-process through the Flask test client (cProfile) and prints the top functions.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.json"
DEFINITIONS = ROOT / "form_definitions"
HOST = "127.0.0.1"
TARGET_P95_MS = 25.0
TARGET_CLIENTS = 20
#: Receipt PDFs: sizes measured (pages) and the target for the 2-page one, warm.
RECEIPT_PAGES = (2, 5)
RECEIPT_TARGET_P50_MS = 60.0
RECEIPT_TARGET_PAGES = 2
CHOICE_TYPES = ("RadiosField", "CheckboxesField", "YesNoField")
CSRF = re.compile(rb'name="csrf_token"\s+value="([^"]+)"')
REQUEST_TIMEOUT = 15.0

Fields = dict[str, list[str]]
Files = dict[str, list[tuple[str, bytes, str]]]  # name -> (filename, content, content type)


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# HTTP client: one connection, one cookie jar, one journey.


class Client:
    """A minimal browser: keep-alive connection, cookies, and the csrf_token of the last page."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(
        self, method: str, path: str, fields: Fields | None = None, files: Files | None = None
    ) -> tuple[int, str | None, bytes]:
        """Send one request; returns (status, Location header, body)."""
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body: str | bytes | None = None
        if files:
            body, headers["Content-Type"] = multipart(fields or {}, files)
        elif fields is not None:
            body = urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request reconnects
            raise
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        return response.status, response.headers.get("Location"), data

    def get_page(self, path: str) -> bytes:
        status, location, body = self.request("GET", path)
        if status != 200:
            raise BenchError(f"GET {path}: expected 200, got {status} (Location: {location})")
        match = CSRF.search(body)
        if match:
            self.csrf = match.group(1).decode()
        return body

    def post_form(self, path: str, fields: Fields, files: Files | None = None) -> str:
        """POST with the csrf_token; returns the redirect target (path and query)."""
        if self.csrf is None:
            raise BenchError(f"POST {path}: no csrf_token read yet")
        status, location, body = self.request("POST", path, {**fields, "csrf_token": [self.csrf]}, files)
        if status not in (302, 303) or not location:
            title = re.search(rb"<title>(.*?)</title>", body, re.S)
            said = title.group(1).decode(errors="replace").strip() if title else body[:200].decode()
            raise BenchError(f"POST {path}: expected a redirect, got {status}: {said}")
        return _local(location)

    def close(self) -> None:
        self.conn.close()


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def multipart(fields: Fields, files: Files) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type."""
    boundary = secrets.token_hex(16)
    out = []
    for name, values in fields.items():
        for value in values:
            out.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
            )
    for name, items in files.items():
        for filename, data, content_type in items:
            out.append(
                f"--{boundary}\r\nContent-Disposition: form-data; "
                f'name="{name}"; filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + data
                + b"\r\n"
            )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


#: A small PDF, attached to file upload questions on the way to check answers.
EXAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Form:
    """What the load generator knows of the form under test (from the definition, in-process)."""

    slug: str
    journey: Any  # forms_engine.journey.Journey: example answers for each page
    first_page: str
    choice_candidates: list[str]  # pages with radios or checkboxes, in definition order
    choice_page: str = ""  # the first candidate a walk with example answers goes through

    def url(self, page_slug: str) -> str:
        return f"/{self.slug}/{page_slug}"

    def example(self, page_slug: str) -> tuple[Fields, Files]:
        """The page's example answers; a file upload question gets example PDFs attached."""
        page = self.journey.page(page_slug)
        if page is None:
            raise BenchError(f"no page '{page_slug}' in form '{self.slug}'")
        fields: Fields = dict(page.example())
        files: Files = {}
        for handler in page.questions:
            if getattr(handler, "takes_files", False) and handler.name in fields:
                count = len(json.loads(fields.pop(handler.name)[0]))
                files[handler.name] = [
                    (f"example-{i + 1}.pdf", EXAMPLE_PDF, "application/pdf") for i in range(count)
                ]
        return fields, files


def start_journey(client: Client, form: Form) -> str:
    """Start page, read its csrf_token, press "Start now": returns the first page's path."""
    client.get_page(f"/{form.slug}/")
    return client.post_form(f"/{form.slug}/start", {})


def walk(client: Client, form: Form, target: str | None = None) -> list[str]:
    """A new journey answered with example answers (one item per repeat) until the server sends
    the client to `target` (default: check answers). Returns the question pages gone through."""
    target = target or f"/{form.slug}/check-answers"
    path = start_journey(client, form)
    visited = []
    for _ in range(4 * len(form.journey.pages) + 4):
        if path.split("?")[0] == target:
            client.get_page(path)  # checks it is shown (200) and refreshes the csrf_token
            return visited
        status, location, body = client.request("GET", path)
        if status in (302, 303) and location:  # e.g. a repeat's summary sends us to an item page
            path = _local(location)
            continue
        if status != 200:
            raise BenchError(f"walking to {target}: GET {path} gave {status}")
        match = CSRF.search(body)
        client.csrf = match.group(1).decode() if match else client.csrf
        parts = path.split("?")[0].strip("/").split("/")
        if len(parts) > 1 and parts[1] == "repeat":  # "add another?": one item is enough
            path = client.post_form(path, {"addAnother": ["no"]})
            continue
        page_slug = parts[1] if parts[-1].isdigit() else parts[-1]
        visited.append(page_slug)
        path = client.post_form(path, *form.example(page_slug))
    raise BenchError(f"walking to {target}: never got there (last at {path})")


def choose_choice_page(client: Client, form: Form, wanted: str | None) -> None:
    """The radios/checkboxes page: the first one a walk to check answers goes through."""
    visited = walk(client, form)
    if wanted is not None:
        if wanted not in visited:
            raise BenchError(f"--choice-page {wanted}: not on the example path ({', '.join(visited)})")
        form.choice_page = wanted
        return
    form.choice_page = next((p for p in form.choice_candidates if p in visited), form.first_page)


# --------------------------------------------------------------------------------------------------
# Scenarios and the load loop.


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    expect: int
    prepare: Callable[[Client], None]  # bring a new client's journey to the state the scenario needs
    fields: Fields | None = None  # POST body (the client's csrf_token is added)
    files: Files | None = None  # files posted with it (multipart)
    question_page: bool = False  # counts for the p95 target
    wrk: bool = False  # also run with wrk (GETs only: wrk replays one cookie)


@dataclass
class Result:
    scenario: str
    method: str
    path: str
    tool: str
    clients: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    errors: int  # transport errors and non-2xx/3xx responses
    unexpected: int  # 2xx/3xx, but not the status the scenario expects
    client_cpu_ms_per_request: float | None = None
    server_cpu_ms_per_request: float | None = None
    server_cpu_cores: float | None = None
    client_cpu_cores: float | None = None
    other_cpu_cores: float | None = None  # CPU used by other processes during the run (noise)
    steal_cores: float | None = None  # CPU taken by the hypervisor during the run
    response_bytes: int | None = None
    notes: str = ""


def percentile(sorted_values: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * pct // 100))  # ceil
    return sorted_values[int(rank) - 1]


def run_load(
    clients: list[Client],
    method: str,
    path: str,
    fields: Fields | None,
    expect: int,
    warmup: float,
    duration: float,
    cpu_probe: Callable[[], float] | None = None,
    files: Files | None = None,
) -> dict[str, Any]:
    """Each client in its own thread, back to back for warmup + duration; measures the last part."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    unexpected = [0] * len(clients)
    sizes = [0] * len(clients)
    first_error: list[str] = []
    barrier = threading.Barrier(len(clients) + 1)
    clock = time.perf_counter
    window: dict[str, float] = {}

    def worker(index: int, client: Client) -> None:
        body = None if fields is None else {**fields, "csrf_token": [client.csrf or ""]}
        mine = latencies[index]
        barrier.wait()
        start, end = window["start"], window["end"]
        while True:
            t0 = clock()
            if t0 >= end:
                break
            try:
                status, _, data = client.request(method, path, body, files)
                sizes[index] = len(data)
            except (OSError, http.client.HTTPException) as exc:
                status = 0
                if not first_error:
                    first_error.append(repr(exc))
            t1 = clock()
            if t0 < start or t1 > end:
                continue
            if not 200 <= status < 400:
                errors[index] += 1
                if not first_error:
                    first_error.append(f"HTTP {status}")
            elif status != expect:
                unexpected[index] += 1
            mine.append(t1 - t0)

    threads = [threading.Thread(target=worker, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    now = clock()
    window["start"] = now + warmup
    window["end"] = now + warmup + duration
    barrier.wait()
    time.sleep(max(0.0, window["start"] - clock()))
    cpu0, server0, system0 = time.process_time(), cpu_probe() if cpu_probe else 0.0, system_cpu()
    time.sleep(max(0.0, window["end"] - clock()))
    cpu1, server1, system1 = time.process_time(), cpu_probe() if cpu_probe else 0.0, system_cpu()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT + 5)
    values = sorted(v for lat in latencies for v in lat)
    count = len(values)
    ms = [v * 1000 for v in values]
    return {
        "requests": count,
        "rps": count / duration,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": ms[-1] if ms else None,
        "errors": sum(errors),
        "unexpected": sum(unexpected),
        "client_cpu_ms_per_request": (cpu1 - cpu0) * 1000 / count if count else None,
        "client_cpu_cores": (cpu1 - cpu0) / duration,
        "server_cpu_ms_per_request": (server1 - server0) * 1000 / count if cpu_probe and count else None,
        "server_cpu_cores": (server1 - server0) / duration if cpu_probe else None,
        "other_cpu_cores": ((system1[0] - system0[0]) - (cpu1 - cpu0) - (server1 - server0)) / duration,
        "steal_cores": (system1[1] - system0[1]) / duration,
        "response_bytes": max(sizes),
        "first_error": first_error[0] if first_error else "",
    }


# --------------------------------------------------------------------------------------------------
# Servers: gunicorn, and a stub that measures the client alone.


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int, proc: subprocess.Popen[bytes], path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with code {proc.returncode} while starting")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError(f"server on port {port} did not answer {path} within {timeout:.0f} s")


@contextlib.contextmanager
def running(command: list[str], env: dict[str, str], port: int, health: str) -> Iterator[int]:
    """Start a server in its own process group; always stop it (SIGTERM, then SIGKILL) on the way out."""
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        wait_until_up(port, proc, health, timeout=60)
        yield proc.pid
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)


def process_tree_cpu(root_pid: int) -> float:
    """User + system CPU seconds of a process and its children (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [root_pid]
    seen = set()
    while pids:
        pid = pids.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{pid}/task").iterdir():
                children = (task / "children").read_text().split()
                pids.extend(int(c) for c in children)
        except (OSError, ValueError):
            continue
    return total


def system_cpu() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine so far, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


def wait_for_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Wait (up to max_wait s) until other processes use under `threshold` cores; returns their use."""
    deadline = time.monotonic() + max_wait
    while True:
        before = system_cpu()[0]
        time.sleep(2)
        busy = (system_cpu()[0] - before) / 2
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        print(f"machine busy ({busy:.2f} cores used by other processes); waiting", flush=True)


BARE_FLASK = """
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""


STUB_SERVER = r"""
import asyncio, sys
port, size, close = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "close"
body = b"x" * size
head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n" % size
        + (b"Connection: close\r\n" if close else b"") + b"\r\n")
async def handle(reader, writer):
    try:
        while True:
            header = await reader.readuntil(b"\r\n\r\n")
            for line in header.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    await reader.readexactly(int(line.split(b":")[1]))
            writer.write(head + body)
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


# --------------------------------------------------------------------------------------------------
# wrk


WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str,
    port: int,
    path: str,
    cookie: str,
    clients: int,
    warmup: float,
    duration: float,
    cpu_probe: Callable[[], float],
) -> dict[str, Any]:
    """wrk's own warm-up run, then the measured run; CPU use sampled around the measured run."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        base = [wrk, "-t", str(min(clients, 2)), "-c", str(clients), "-s", script.name]
        base += ["-H", f"Cookie: {cookie}", "--timeout", "10s"]
        url = f"http://{HOST}:{port}{path}"
        if warmup > 0:
            subprocess.run(
                [*base, "-d", f"{max(1, round(warmup))}s", url],
                capture_output=True,
                timeout=warmup + 30,
                check=False,
            )
        before = (children_cpu(), cpu_probe(), system_cpu())
        out = subprocess.run(
            [*base, "-d", f"{max(1, round(duration))}s", url],
            capture_output=True,
            text=True,
            timeout=duration + 30,
            check=False,
        )
        after = (children_cpu(), cpu_probe(), system_cpu())
    finally:
        os.unlink(script.name)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise BenchError(f"wrk gave no summary: {out.stdout[-500:]} {out.stderr[-500:]}")
    data = json.loads(line.removeprefix("WRKJSON "))
    seconds = data["duration_us"] / 1e6
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    return {
        "requests": data["requests"],
        "duration_s": seconds,
        "rps": data["requests"] / seconds if seconds else 0.0,
        "p50_ms": data["p50_us"] / 1000,
        "p95_ms": data["p95_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": data["status"] + socket_errors,
        "unexpected": 0,
        "client_cpu_ms_per_request": (after[0] - before[0]) * 1000 / max(1, data["requests"]),
        "client_cpu_cores": (after[0] - before[0]) / seconds,
        "server_cpu_ms_per_request": (after[1] - before[1]) * 1000 / max(1, data["requests"]),
        "server_cpu_cores": (after[1] - before[1]) / seconds,
        "other_cpu_cores": ((after[2][0] - before[2][0]) - (after[0] - before[0]) - (after[1] - before[1]))
        / seconds,
        "steal_cores": (after[2][1] - before[2][1]) / seconds,
    }


# --------------------------------------------------------------------------------------------------
# In-process measurements.


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, list[float]]:
    """(first run, median of the runs after it, all) in milliseconds."""
    times = []
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return times[0], statistics.median(times[1:]), times


def definition_timings(runs: int) -> list[dict[str, Any]]:
    from forms_engine.definitions.loader import load_definition
    from forms_engine.journey import core as journey_core

    rows = []
    for path in sorted(DEFINITIONS.glob("*.json")):
        if path.name.endswith(".schema.json"):
            continue
        first_load, load_ms, _ = timed(lambda p=path: load_definition(p), runs)
        definition = load_definition(path)
        first_build, build_ms, _ = timed(lambda d=definition: journey_core.Journey(d), runs)

        def journey_for_miss(d: Any = definition) -> None:
            journey_core._journeys.clear()
            journey_core.journey_for(d)

        _, miss_ms, _ = timed(journey_for_miss, runs)
        journey_core.journey_for(definition)
        _, hit_ms, _ = timed(lambda d=definition: journey_core.journey_for(d), runs)
        rows.append(
            {
                "file": path.name,
                "slug": definition.slug,
                "pages": len(definition.pages),
                "questions": len(definition.questions()),
                "bytes": path.stat().st_size,
                "load_first_ms": first_load,
                "load_median_ms": load_ms,
                "journey_build_first_ms": first_build,
                "journey_build_median_ms": build_ms,
                "journey_for_miss_median_ms": miss_ms,
                "journey_for_hit_median_us": hit_ms * 1000,
                "runs": runs,
            }
        )
    journey_core._journeys.clear()
    return rows


def example_answers(definition: Any, items: int = 1) -> dict[str, Any]:
    """Answers on the example path: each page's example answer, `items` items in each repeat."""
    from forms_engine.journey import RepeatSection, journey_for
    from forms_engine.journey.repeats import done_key

    journey = journey_for(definition)
    answers: dict[str, Any] = {}
    for _ in range(len(journey.pages) + 1):
        step = journey.first_incomplete_page(answers)
        if step is None or step.page.exit:
            break
        if isinstance(step, RepeatSection):
            item: dict[str, Any] = {}
            for page in step.pages:
                item.update(page.validate(page.example(), {**answers, **item}).answers)
            answers[step.repeat.id] = [dict(item) for _ in range(items)]
            answers[done_key(step.repeat.id)] = True
        else:
            result = step.validate(step.example(), answers)
            if not result.is_valid:
                raise BenchError(f"{definition.slug}/{step.page.id}: example answer refused: {result.errors}")
            answers.update(result.answers)
    return journey.answers_on_path(answers)


def pdf_pages(pdf: bytes) -> int:
    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(pdf)).pages)


def bench_submission(definition: Any, items: int = 1) -> Any:
    """A Submission in memory (never stored) of `definition` with its example answers."""
    from datetime import UTC, datetime

    from forms_engine.submissions.models import Submission

    return Submission(
        reference="K7MP-3QXR-ZD4T",
        journey_id="bench",
        form_slug=definition.slug,
        form_version=definition.version,
        definition=dict(definition.source),
        answers=example_answers(definition, items),
        language="en",
        submitted_at=datetime(2026, 11, 22, 10, 30, tzinfo=UTC),
    )


def receipt_submission(pages: int) -> tuple[Any, str]:
    """A submission whose receipt has exactly `pages` pages (counted with pypdf): an example form
    with its example answers, a repeat given more items until the answers fill the pages.
    Returns it and a description."""
    from forms_engine.definitions.loader import load_definition
    from forms_engine.submissions.receipts import render_receipt

    for path in sorted(DEFINITIONS.glob("*.json")):
        definition = load_definition(path)
        for items in range(1, 41 if definition.repeats else 2):
            submission = bench_submission(definition, items)
            got = pdf_pages(render_receipt(submission))
            if got == pages:
                repeats = f", {items} item(s) in its repeat" if definition.repeats else ""
                return submission, f"{definition.slug}, example answers{repeats}"
            if got > pages:
                break
    raise BenchError(f"no example form fills a receipt of exactly {pages} pages")


def receipt_timings(runs: int, warmup: int) -> list[dict[str, Any]]:
    """render_receipt in this process: the first call (stylesheet parsed, fonts loaded), then each
    size warm: `warmup` renders, then `runs` timed ones (wall clock and this process's CPU time)."""
    from forms_engine.definitions.loader import load_definition
    from forms_engine.submissions.receipts import render_receipt

    first = bench_submission(load_definition(sorted(DEFINITIONS.glob("*.json"))[0]))
    t0 = time.perf_counter()
    render_receipt(first)
    first_ms = (time.perf_counter() - t0) * 1000
    rows: list[dict[str, Any]] = []
    for pages in RECEIPT_PAGES:
        submission, description = receipt_submission(pages)
        for _ in range(warmup):
            render_receipt(submission)
        wall: list[float] = []
        cpu: list[float] = []
        pdf = b""
        for _ in range(runs):
            w0, c0 = time.perf_counter(), time.process_time()
            pdf = render_receipt(submission)
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        wall.sort()
        cpu.sort()
        rows.append(
            {
                "pages": pdf_pages(pdf),
                "submission": description,
                "bytes": len(pdf),
                "runs": runs,
                "warmup": warmup,
                "p50_ms": percentile(wall, 50),
                "p95_ms": percentile(wall, 95),
                "min_ms": wall[0],
                "cpu_p50_ms": percentile(cpu, 50),
                "cpu_p95_ms": percentile(cpu, 95),
                "first_receipt_of_process_ms": first_ms,
            }
        )
    return rows


def receipt_loop(pages: int, nice: int) -> int:
    """`--receipt-loop`: render one receipt after another until SIGTERM, as a delivery worker busy
    with receipts would; prints how many it made. Runs in its own process, beside gunicorn."""
    from forms_engine.submissions.receipts import render_receipt

    if nice:
        os.nice(nice)
    submission, _ = receipt_submission(pages)
    render_receipt(submission)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    print("ready", flush=True)
    count, t0, c0 = 0, time.perf_counter(), time.process_time()
    while not stop.is_set():
        render_receipt(submission)
        count += 1
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"receipts": count, "seconds": seconds, "cpu_seconds": cpu}), flush=True)
    return 0


@contextlib.contextmanager
def receipts_rendering(env: dict[str, str], nice: int) -> Iterator[dict[str, Any]]:
    """A separate process rendering 2-page receipts back to back while the block runs. The dict
    holds its pid, and afterwards how many receipts it made."""
    command = [sys.executable, str(Path(__file__).resolve()), "--receipt-loop", str(RECEIPT_TARGET_PAGES)]
    command += ["--receipt-nice", str(nice)]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    stats: dict[str, Any] = {"nice": nice}
    try:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise BenchError("the receipt process did not start")
        stats["pid"] = proc.pid
        yield stats
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate(timeout=5)
        last = (out or "").strip().splitlines()
        if last:
            with contextlib.suppress(ValueError):
                stats.update(json.loads(last[-1]))


def form_under_test(slug: str | None) -> Form:
    from forms_engine.definitions.loader import load_definition
    from forms_engine.journey import journey_for

    definitions = [
        load_definition(p) for p in sorted(DEFINITIONS.glob("*.json")) if not p.name.endswith(".schema.json")
    ]
    if not definitions:
        raise BenchError(f"no form definitions in {DEFINITIONS}")
    by_slug = {d.slug: d for d in definitions}
    if slug is not None and slug not in by_slug:
        raise BenchError(f"no form '{slug}'; there are: {', '.join(by_slug)}")
    definition = by_slug[slug] if slug else definitions[0]
    journey = journey_for(definition)
    candidates = [
        p.page.slug for p in journey.pages if any(c.type in CHOICE_TYPES for c in p.page.components)
    ]
    return Form(definition.slug, journey, journey.pages[0].page.slug, candidates)


def scenarios(form: Form) -> list[Scenario]:
    first, choice = form.first_page, form.choice_page
    first_fields, first_files = form.example(first)
    check = f"/{form.slug}/check-answers"
    return [
        Scenario(
            "GET /healthz (app floor: Flask, no database)",
            "GET",
            "/healthz",
            200,
            prepare=lambda c: None,
        ),
        Scenario(
            f"GET question page (first: {first})",
            "GET",
            form.url(first),
            200,
            prepare=lambda c: walk(c, form, form.url(first)),
            question_page=True,
            wrk=True,
        ),
        Scenario(
            f"GET question page (choices: {choice})",
            "GET",
            form.url(choice),
            200,
            prepare=lambda c: walk(c, form, form.url(choice)),
            question_page=True,
            wrk=True,
        ),
        Scenario(
            f"POST valid answer ({first}) -> 302",
            "POST",
            form.url(first),
            302,
            prepare=lambda c: walk(c, form, form.url(first)),
            fields=first_fields,
            files=first_files or None,
        ),
        Scenario(
            "GET check answers",
            "GET",
            check,
            200,
            prepare=lambda c: walk(c, form, check),
            wrk=True,
        ),
    ]


# --------------------------------------------------------------------------------------------------
# Profiling in-process (--profile).


class FlaskClient(Client):
    """The same browser, through the Flask test client (no server, no sockets)."""

    def __init__(self, app: Any):
        self.client = app.test_client()
        self.cookies = {}
        self.csrf = None

    def request(
        self, method: str, path: str, fields: Fields | None = None, files: Files | None = None
    ) -> tuple[int, str | None, bytes]:
        data: dict[str, Any] | None = None if fields is None and not files else dict(fields or {})
        for name, items in (files or {}).items():
            data[name] = [(io.BytesIO(content), filename, ctype) for filename, content, ctype in items]  # type: ignore[index]
        response = self.client.open(path, method=method, data=data)
        return response.status_code, response.headers.get("Location"), response.get_data()

    def close(self) -> None:
        pass


def by_package(profiler: Any, requests: int = 1, top: int = 12) -> list[tuple[str, float, float]]:
    """cProfile's own time summed per top-level package: (package, % of total, ms per request)."""
    import pstats

    totals: dict[str, float] = {}
    for (filename, _line, func), (_cc, _nc, tottime, _ct, _callers) in pstats.Stats(profiler).stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
            if filename.endswith(("werkzeug/test.py", "flask/testing.py")):
                package = "test client (not in gunicorn)"
        elif str(ROOT / "forms_engine") in filename:
            package = "forms_engine (app)"
        elif filename.startswith(("~", "<")):
            package = "C builtins" if filename == "~" else filename
            if "_sqlite" in func or "sqlite3" in func:
                package = "sqlite3 (C)"
        elif filename.endswith(".html"):
            package = "jinja templates"
        elif str(ROOT) in filename:
            package = Path(filename).name
        else:
            package = "stdlib: " + Path(filename).stem
        totals[package] = totals.get(package, 0.0) + tottime
    total = sum(totals.values()) or 1.0
    rows = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return [(name, 100 * t / total, t * 1000 / requests) for name, t in rows]


def profile(form: Form, choice_page: str | None, requests: int, top: int = 25) -> None:
    """Time each scenario in-process, then print cProfile's top functions by own and total time."""
    import cProfile
    import io
    import pstats

    from forms_engine import create_app

    app = create_app()
    choose_choice_page(FlaskClient(app), form, choice_page)
    for scenario in scenarios(form):
        client = FlaskClient(app)
        scenario.prepare(client)
        body = None if scenario.fields is None else {**scenario.fields, "csrf_token": [client.csrf or ""]}

        def send(c: FlaskClient = client, s: Scenario = scenario, b: Any = body) -> None:
            status, _, _ = c.request(s.method, s.path, b, s.files)
            if status != s.expect:
                raise BenchError(f"{s.name}: expected {s.expect}, got {status}")

        for _ in range(20):
            send()
        t0 = time.perf_counter()
        for _ in range(requests):
            send()
        per_request = (time.perf_counter() - t0) * 1000 / requests
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            send()
        profiler.disable()
        print(f"\n=== {scenario.name}: {scenario.method} {scenario.path}")
        print(f"in-process (Flask test client, no profiler): {per_request:.3f} ms/request")
        print(f"--- own time by package ({requests} requests, profiled)")
        for package, share, ms in by_package(profiler, requests):
            print(f"  {package:<28} {share:5.1f}%  {ms:7.3f} ms/request")
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
            text = out.getvalue()
            print(f"--- top {top} by {order} ({requests} requests)")
            print(text[text.find("   ncalls") :].rstrip())


# --------------------------------------------------------------------------------------------------
# Machine description and output.


def machine() -> dict[str, Any]:
    cpu, mhz, virtual = "unknown", None, False
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            elif line.startswith("cpu MHz") and mhz is None:
                mhz = round(float(line.split(":", 1)[1]))
            elif line.startswith("flags"):
                virtual = virtual or " hypervisor" in line
    ram_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    versions = {}
    for package in ("flask", "werkzeug", "jinja2", "gunicorn", "sqlalchemy", "wtforms"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            versions[package] = version(package)
    return {
        "cpu": cpu,
        "cpu_mhz": mhz,
        "virtual_machine": virtual,
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "ram_gib": ram_gib,
        "os": os_name,
        "python": platform.python_version(),
        "packages": versions,
    }


def git_state() -> dict[str, Any]:
    """The commit benchmarked, and whether the working tree had changes (which were measured too)."""

    def git(*argv: str) -> str:
        out = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return out.stdout.strip()

    try:
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(
                git("status", "--porcelain", "--", "forms_engine", "templates", "form_definitions")
            ),
        }
    except (OSError, subprocess.SubprocessError):
        return {}


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def table(results: list[Result]) -> str:
    header = (
        f"{'scenario':<48} {'tool':<5} {'cli':>3} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'err':>4} {'unexp':>5} {'srv ms/req':>10} {'cli ms/req':>10} "
        f"{'other':>5}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.scenario[:48]:<48} {r.tool:<5} {r.clients:>3} {r.rps:>7.0f} {fmt(r.p50_ms):>7} "
            f"{fmt(r.p95_ms):>7} {fmt(r.p99_ms):>7} {r.errors:>4} {r.unexpected:>5} "
            f"{fmt(r.server_cpu_ms_per_request, '.2f'):>10} "
            f"{fmt(r.client_cpu_ms_per_request, '.2f'):>10} "
            f"{fmt(r.other_cpu_cores, '.2f'):>5}{' !' if noisy(r) else ''}"
        )
    return "\n".join(lines)


def receipt_table(rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'receipt':<10} {'p50 ms':>7} {'p95 ms':>7} {'min ms':>7} {'CPU p50':>8} {'CPU p95':>8} "
        f"{'kB':>5}  submission"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{str(r['pages']) + ' pages':<10} {fmt(r['p50_ms']):>7} {fmt(r['p95_ms']):>7} "
            f"{fmt(r['min_ms']):>7} {fmt(r['cpu_p50_ms']):>8} {fmt(r['cpu_p95_ms']):>8} "
            f"{r['bytes'] / 1024:>5.0f}  {r['submission']}"
        )
    if rows:
        lines.append(
            f"(warm: {rows[0]['warmup']} renders first, then {rows[0]['runs']} timed; the first receipt of "
            f"the process took {fmt(rows[0]['first_receipt_of_process_ms'])} ms)"
        )
    return "\n".join(lines)


def concurrency_table(rows: list[dict[str, Any]]) -> str:
    """Medians over the repeats: page p95 and the server's CPU per request, alone and beside the
    receipt process (which used `cores`; `other`: the most any other process used in a run)."""
    nices = [w["nice"] for w in rows[0]["with"]] if rows else []
    header = f"{'clients':>7} {'alone: p95 ms':>13} {'srv ms/req':>10}" + "".join(
        f" | nice {n:>2}: {'p95 ms':>6} {'srv ms/req':>10} {'rcpt/s':>6} {'cores':>5} {'other':>5}"
        for n in nices
    )
    lines = [
        "GET question page, alone and while another process renders 2-page receipts (medians)",
        header,
        "-" * len(header),
    ]
    for r in rows:
        line = f"{r['clients']:>7} {fmt(r['p95_alone_ms']):>13} {fmt(r['server_cpu_ms_alone'], '.2f'):>10}"
        for w in r["with"]:
            line += (
                f" | {'':>8} {fmt(w['p95_ms']):>6} {fmt(w['server_cpu_ms_per_request'], '.2f'):>10}"
                f" {fmt(w['receipts_per_s']):>6} {fmt(w['receipt_cpu_cores'], '.2f'):>5}"
                f" {fmt(w['other_cpu_cores'], '.2f'):>5}"
            )
        lines.append(line)
    return "\n".join(lines)


def receipt_verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    row = next((r for r in rows if r["pages"] == RECEIPT_TARGET_PAGES), None)
    p50 = row["p50_ms"] if row else None
    return {
        "metric": f"{RECEIPT_TARGET_PAGES}-page receipt p50, warm",
        "limit_ms": RECEIPT_TARGET_P50_MS,
        "p50_ms": p50,
        "met": None if p50 is None else p50 <= RECEIPT_TARGET_P50_MS,
    }


NOISE_CORES = 0.25


def noisy(result: Result) -> bool:
    """Other processes used a noticeable share of the CPU during the run."""
    return (result.other_cpu_cores or 0) + (result.steal_cores or 0) > NOISE_CORES


# --------------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per run")
    parser.add_argument(
        "--clients",
        default="1,10,20",
        help="comma-separated numbers of concurrent clients (default 1,10,20)",
    )
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="gunicorn threads per worker (default 1; more than 1 means the gthread worker)",
    )
    parser.add_argument(
        "--worker-class", default=None, help="gunicorn worker class (default: sync, gthread if threads>1)"
    )
    parser.add_argument("--form", default=None, help="form slug (default: the first example form)")
    parser.add_argument(
        "--choice-page", default=None, help="page slug with radios/checkboxes (default: the first)"
    )
    parser.add_argument("--runs", type=int, default=20, help="runs of load_definition/journey build (median)")
    parser.add_argument(
        "--wrk",
        choices=("auto", "yes", "no"),
        default="auto",
        help="also run the GET scenarios with wrk (auto: if installed)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="with --wait-idle, redo a run this many times while other processes disturb it",
    )
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the bare Flask baseline under gunicorn"
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each scenario, wait up to SECONDS for other processes to go quiet",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each scenario in-process (Flask test client, cProfile) instead of benchmarking",
    )
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument(
        "--receipt-runs", type=int, default=30, help="timed renders of each receipt size (default 30)"
    )
    parser.add_argument(
        "--receipt-warmup", type=int, default=5, help="untimed renders of each receipt size first (default 5)"
    )
    parser.add_argument(
        "--receipt-nice",
        default="0,19",
        help="niceness of the process rendering receipts beside gunicorn, one run per value (default 0,19)",
    )
    parser.add_argument(
        "--receipt-repeats",
        type=int,
        default=3,
        help="runs of the question page alone and beside receipts, alternating; medians compared (default 3)",
    )
    parser.add_argument(
        "--receipts-only",
        action="store_true",
        help="only the receipt timings and the question page with and without receipts being rendered",
    )
    parser.add_argument("--no-receipts", action="store_true", help="skip everything about receipts")
    # Internal: the process that renders receipts beside gunicorn.
    parser.add_argument("--receipt-loop", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.receipt_loop:
        return receipt_loop(args.receipt_loop, int(args.receipt_nice))
    clients_levels = sorted({int(x) for x in args.clients.split(",") if x.strip()})
    nice_levels = [int(x) for x in args.receipt_nice.split(",") if x.strip()]
    worker_class = args.worker_class or ("gthread" if args.threads > 1 else "sync")

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, terminate)

    with tempfile.TemporaryDirectory(prefix="forms-engine-bench-") as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": secrets.token_hex(32),
            "FORMS_ENGINE_INSTANCE": tmp,
        }
        # The in-process parts import the app's config, which reads these at import time.
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "FORMS_ENGINE_INSTANCE")})
        sys.path.insert(0, str(ROOT))

        migrate = [str(BIN / "forms-engine"), "db", "upgrade"]
        print(f"$ DATABASE_URL={env['DATABASE_URL']} {' '.join(migrate)}", flush=True)
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL)

        if args.profile:
            profile(form_under_test(args.form), args.choice_page, args.profile_requests)
            return 0

        started = time.time()
        definitions: list[dict[str, Any]] = []
        if not args.receipts_only:
            print(f"In-process: load_definition and journey build, median of {args.runs} runs", flush=True)
            if args.wait_idle:
                wait_for_quiet(args.wait_idle)
            definitions = definition_timings(args.runs)
        receipt_rows: list[dict[str, Any]] = []
        if not args.no_receipts:
            print(
                f"In-process: receipt PDFs of {' and '.join(map(str, RECEIPT_PAGES))} pages, "
                f"{args.receipt_warmup} warm-up + {args.receipt_runs} timed renders each",
                flush=True,
            )
            if args.wait_idle:
                wait_for_quiet(args.wait_idle)
            receipt_rows = receipt_timings(args.receipt_runs, args.receipt_warmup)
            print(receipt_table(receipt_rows), flush=True)
        form = form_under_test(args.form)
        plan = scenarios(form)  # counted here; made again once the choice page is known
        wrk = shutil.which("wrk") if args.wrk != "no" else None
        if args.wrk == "yes" and wrk is None:
            raise BenchError("--wrk yes, but wrk is not installed (apt-get install wrk)")
        runs = (len(plan) + 1 + (not args.no_baseline)) * len(clients_levels)
        runs += sum(s.wrk for s in plan) * len(clients_levels) if wrk else 0
        runs = 0 if args.receipts_only else runs
        runs += 0 if args.no_receipts else (1 + len(nice_levels)) * len(clients_levels) * args.receipt_repeats
        print(
            f"HTTP: {runs} runs of {args.warmup:g} s warm-up + {args.duration:g} s, "
            f"about {runs * (args.warmup + args.duration) / 60:.1f} min",
            flush=True,
        )

        results: list[Result] = []
        errors: list[str] = []
        max_clients = max(clients_levels)

        def gunicorn(app: str, port: int, log: str) -> list[str]:
            return [
                str(BIN / "gunicorn"),
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-class",
                worker_class,
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                "--error-logfile",
                f"{tmp}/{log}",
                app,
            ]

        def record(
            name: str,
            method: str,
            path: str,
            tool: str,
            n: int,
            run: Callable[[], dict[str, Any]],
            busy_on_purpose: bool = False,
        ) -> Result:
            """One measured run; with --wait-idle, waits for a quiet machine and redoes noisy runs
            (not when the machine is `busy_on_purpose`: receipts being rendered beside it)."""
            quiet = args.wait_idle and not busy_on_purpose
            for attempt in range(args.retries + 1):
                if quiet:
                    wait_for_quiet(args.wait_idle)
                data = run()
                result = Result(
                    name, method, path, tool, n, data.get("duration_s", args.duration), **_result_fields(data)
                )
                if not (quiet and noisy(result) and attempt < args.retries):
                    break
                print(f"(noisy: {result.other_cpu_cores:.2f} cores used by others; again)", flush=True)
            if data.get("first_error"):
                errors.append(f"{name} @{n} {tool}: {data['first_error']}")
            results.append(result)
            print(table(results[-1:]).splitlines()[-1], flush=True)
            return result

        def measure_plain(name: str, port: int, probe: Callable[[], float] | None) -> None:
            """GET / from 1, 10, 20 fresh clients (no cookies, no journey)."""
            for n in clients_levels:
                pool = [Client(port) for _ in range(n)]
                record(
                    name,
                    "GET",
                    "/",
                    "py",
                    n,
                    lambda p=pool: run_load(p, "GET", "/", None, 200, args.warmup, args.duration, probe),
                )
                for client in pool:
                    client.close()

        # 1. The client alone, against a stub answering at once with a page-sized body.
        port = free_port() if not args.receipts_only else 0
        stub = [sys.executable, "-c", STUB_SERVER, str(port), "12000"]
        stub.append("keep" if worker_class != "sync" else "close")
        if not args.receipts_only:
            with running(stub, env, port, "/") as stub_pid:
                measure_plain("client ceiling (stub server, 12 kB)", port, lambda: process_tree_cpu(stub_pid))

        # 2. Bare Flask under the same gunicorn settings: compares this machine with the reference.
        if not (args.no_baseline or args.receipts_only):
            Path(tmp, "bare_flask.py").write_text(BARE_FLASK)
            port = free_port()
            bare = gunicorn("bare_flask:app", port, "bare.log")
            bare[1:1] = ["--chdir", tmp]
            with running(bare, env, port, "/") as bare_pid:
                measure_plain("bare Flask hello world (baseline)", port, lambda: process_tree_cpu(bare_pid))

        # 3. The app under gunicorn.
        port = free_port()
        command = gunicorn("forms_engine:create_app()", port, "gunicorn.log")
        print(f"$ {' '.join(command)}", flush=True)
        with running(command, env, port, "/healthz") as server_pid:

            def probe() -> float:
                return process_tree_cpu(server_pid)

            explorer = Client(port)
            try:
                choose_choice_page(explorer, form, args.choice_page)
            finally:
                explorer.close()
            plan = scenarios(form)
            for scenario in [] if args.receipts_only else plan:
                pool = [Client(port) for _ in range(max_clients)]
                try:
                    for client in pool:
                        scenario.prepare(client)
                    for n in clients_levels:
                        record(
                            scenario.name,
                            scenario.method,
                            scenario.path,
                            "py",
                            n,
                            lambda s=scenario, p=pool[:n]: run_load(
                                p,
                                s.method,
                                s.path,
                                s.fields,
                                s.expect,
                                args.warmup,
                                args.duration,
                                probe,
                                s.files,
                            ),
                        )
                    if wrk and scenario.wrk:
                        cookie = "; ".join(f"{k}={v}" for k, v in pool[0].cookies.items())
                        for n in clients_levels:
                            record(
                                scenario.name,
                                scenario.method,
                                scenario.path,
                                "wrk",
                                n,
                                lambda s=scenario, n=n, c=cookie: run_wrk(
                                    wrk, port, s.path, c, n, args.warmup, args.duration, probe
                                ),
                            )
                except BenchError as exc:
                    errors.append(f"{scenario.name}: {exc}")
                    print(f"!! {scenario.name}: {exc}", file=sys.stderr, flush=True)
                finally:
                    for client in pool:
                        client.close()
            # 4. The first question page again, alone and then while another process renders
            # receipts back to back (as a delivery worker would): receipts are not on the request
            # path, but they share the machine.
            concurrent: list[dict[str, Any]] = []
            if not args.no_receipts:
                page = next(s for s in plan if s.question_page)
                pool = [Client(port) for _ in range(max_clients)]
                try:
                    for client in pool:
                        page.prepare(client)

                    def load(p: list[Client], s: Scenario = page, beside: int = 0) -> dict[str, Any]:
                        """The page under load; `beside`: the receipt process, whose CPU use is
                        reported on its own and left out of "other" (which then means noise)."""
                        before = process_tree_cpu(beside) if beside else 0.0
                        t0 = time.perf_counter()
                        data = run_load(
                            p, s.method, s.path, None, s.expect, args.warmup, args.duration, probe
                        )
                        if beside:
                            cores = (process_tree_cpu(beside) - before) / (time.perf_counter() - t0)
                            data["receipt_cpu_cores"] = cores
                            data["other_cpu_cores"] -= cores
                        return data

                    def with_receipts(n: int, nice: int) -> dict[str, Any]:
                        """One run of the page with the receipt process beside it (redone while
                        other processes disturb it, with --wait-idle)."""
                        for attempt in range(args.retries + 1):
                            if args.wait_idle:
                                wait_for_quiet(args.wait_idle)  # before the receipts start
                            seen: dict[str, Any] = {}
                            with receipts_rendering(env, nice) as stats:

                                def beside(
                                    p: list[Client] = pool[:n], pid: int = stats["pid"], keep: dict = seen
                                ) -> dict[str, Any]:
                                    data = load(p, beside=pid)
                                    keep["receipt_cpu_cores"] = data["receipt_cpu_cores"]
                                    return data

                                busy = record(
                                    f"{page.name} [receipts rendering, nice {nice}]",
                                    "GET",
                                    page.path,
                                    "py",
                                    n,
                                    beside,
                                    busy_on_purpose=True,
                                )
                            if not (args.wait_idle and noisy(busy) and attempt < args.retries):
                                break
                            results.remove(busy)
                            print(f"(noisy: {busy.other_cpu_cores:.2f} cores used by others; again)")
                        return {
                            "p95_ms": busy.p95_ms,
                            "server_cpu_ms_per_request": busy.server_cpu_ms_per_request,
                            "receipts_per_s": stats["receipts"] / stats["seconds"]
                            if stats.get("seconds")
                            else None,
                            "receipt_cpu_cores": seen.get("receipt_cpu_cores"),
                            "other_cpu_cores": busy.other_cpu_cores,
                        }

                    # Alone and beside receipts in turn, several times: the median of each is
                    # compared, as single 5 s runs on a shared machine vary by tens of percent.
                    for n in clients_levels:
                        alone_runs: list[Result] = []
                        beside_runs: dict[int, list[dict[str, Any]]] = {nice: [] for nice in nice_levels}
                        for _ in range(args.receipt_repeats):
                            alone_runs.append(
                                record(
                                    f"{page.name} [no receipts]",
                                    "GET",
                                    page.path,
                                    "py",
                                    n,
                                    lambda p=pool[:n]: load(p),
                                )
                            )
                            for nice in nice_levels:
                                beside_runs[nice].append(with_receipts(n, nice))
                        row: dict[str, Any] = {
                            "clients": n,
                            "p95_alone_ms": statistics.median(r.p95_ms or 0.0 for r in alone_runs),
                            "p95_alone_runs_ms": [r.p95_ms for r in alone_runs],
                            "server_cpu_ms_alone": statistics.median(
                                r.server_cpu_ms_per_request or 0.0 for r in alone_runs
                            ),
                            "with": [],
                        }
                        for nice, runs_beside in beside_runs.items():
                            row["with"].append(
                                {
                                    "nice": nice,
                                    "p95_ms": statistics.median(r["p95_ms"] or 0.0 for r in runs_beside),
                                    "p95_runs_ms": [r["p95_ms"] for r in runs_beside],
                                    "server_cpu_ms_per_request": statistics.median(
                                        r["server_cpu_ms_per_request"] or 0.0 for r in runs_beside
                                    ),
                                    "receipts_per_s": statistics.median(
                                        r["receipts_per_s"] or 0.0 for r in runs_beside
                                    ),
                                    "receipt_cpu_cores": statistics.median(
                                        r["receipt_cpu_cores"] or 0.0 for r in runs_beside
                                    ),
                                    "other_cpu_cores": max(r["other_cpu_cores"] or 0.0 for r in runs_beside),
                                }
                            )
                        concurrent.append(row)
                except BenchError as exc:
                    errors.append(f"receipts beside the question page: {exc}")
                    print(f"!! receipts beside the question page: {exc}", file=sys.stderr, flush=True)
                finally:
                    for client in pool:
                        client.close()
            log = Path(f"{tmp}/gunicorn.log").read_text(errors="replace")

        target_rows = [
            r
            for r in results
            if r.clients == TARGET_CLIENTS
            and r.tool == "py"
            and any(s.question_page and s.name == r.scenario for s in plan)
        ]
        worst = max((r.p95_ms or 0.0 for r in target_rows), default=None)
        target = {
            "metric": f"question page GET p95 at {TARGET_CLIENTS} concurrent clients (Python client)",
            "limit_ms": TARGET_P95_MS,
            "worst_p95_ms": worst,
            "met": None
            if worst is None
            else worst <= TARGET_P95_MS and all(r.errors == 0 and r.unexpected == 0 for r in target_rows),
        }

        print()
        print(table(results))
        if definitions:
            print()
            print(
                f"{'definition':<42} {'pages':>5} {'load ms':>8} {'1st load':>8} "
                f"{'journey ms':>10} {'journey_for hit us':>18}"
            )
        for d in definitions:
            print(
                f"{d['file']:<42} {d['pages']:>5} {d['load_median_ms']:>8.2f} "
                f"{d['load_first_ms']:>8.1f} {d['journey_build_median_ms']:>10.2f} "
                f"{d['journey_for_hit_median_us']:>18.2f}"
            )
        receipt_target = receipt_verdict(receipt_rows)
        if receipt_rows:
            print()
            print(receipt_table(receipt_rows))
        if concurrent:
            print()
            print(concurrency_table(concurrent))
        print()
        verdict = "not measured" if worst is None else "MET" if target["met"] else "NOT MET"
        if worst is not None or not args.receipts_only:
            print(f"Target: {target['metric']} <= {TARGET_P95_MS:g} ms: {verdict} (worst {fmt(worst)} ms)")
        if receipt_target["p50_ms"] is not None:
            print(
                f"Target: {receipt_target['metric']} <= {RECEIPT_TARGET_P50_MS:g} ms: "
                f"{'MET' if receipt_target['met'] else 'NOT MET'} ({fmt(receipt_target['p50_ms'])} ms)"
            )
        for line in errors:
            print(f"error: {line}")
        if log.strip():
            print("gunicorn log (last lines):\n" + "\n".join(log.strip().splitlines()[-10:]))

        report = {
            "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "elapsed_s": round(time.time() - started, 1),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": machine(),
            "git": git_state(),
            "server": {
                "command": " ".join([*command[:-1], repr(command[-1])]),
                "workers": args.workers,
                "threads": args.threads,
                "worker_class": worker_class,
                "keep_alive": worker_class != "sync",
                "database": "SQLite (temporary file)",
                "csrf": True,
            },
            "load": {
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "clients": clients_levels,
                "form": form.slug,
                "first_page": form.first_page,
                "choice_page": form.choice_page,
            },
            "http": [asdict(r) for r in results],
            "definitions": definitions,
            "target": target,
            "receipts": {
                "timings": receipt_rows,
                "target": receipt_target,
                "beside_question_page": concurrent,
            },
            "errors": errors,
        }
        args.output.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.output}")
    return 0 if not errors else 1


def _result_fields(data: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "requests",
        "rps",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "max_ms",
        "errors",
        "unexpected",
        "client_cpu_ms_per_request",
        "server_cpu_ms_per_request",
        "server_cpu_cores",
        "client_cpu_cores",
        "other_cpu_cores",
        "steal_cores",
        "response_bytes",
    )
    fields = {k: data.get(k) for k in keys}
    fields["notes"] = data.get("first_error", "")
    return fields


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(2)
