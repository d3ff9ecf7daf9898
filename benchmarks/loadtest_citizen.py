"""Simulated citizens for the scale-out load test (benchmarks/loadtest.py).

Each citizen is a thread acting like a browser: its own cookies, one keep-alive connection per app
instance, the requests of a journey alternating between the instances (both share the database and
the secret key). It follows the real pages: it reads each page's form (BeautifulSoup) for the
csrf_token and the fields offered, posts answers (each component's example answer, with text made
unique to the journey so the stored submission can be compared with what was typed), and follows
the redirects the engine sends. Some journeys first post bad answers and expect the GOV.UK error
summary; some press "Save and come back later", read the link from the email they are sent and resume
in a fresh browser. A connection error (an instance killed) or a 5xx (the database restarting) is
recorded and the same request is sent again, to the other instance, until it gets an answer: the
journey carries on where it was.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench import multipart  # the benchmarks' own multipart/form-data encoder
from bs4 import BeautifulSoup

HOST = "127.0.0.1"
#: Save-and-return emails go to addresses starting with this (the mail server parses only those).
SAVER_PREFIX = "saver-"
REQUEST_TIMEOUT = 30.0
#: How long one request may keep failing (connection errors, 5xx) before the journey is given up.
RETRY_BUDGET_SECONDS = 120.0
#: After a connection error, requests avoid that instance for this long (as a load balancer would).
DOWN_MARK_SECONDS = 1.0
FORM_RE = re.compile(rb"<form\b.*?</form>", re.S)
TITLE_RE = re.compile(rb"<title>(.*?)</title>", re.S)
ERROR_SUMMARY_RE = re.compile(rb'class="govuk-error-summary"')
REFERENCE_RE = re.compile(rb'class="govuk-panel__body">.*?<strong>([A-Z0-9-]+)</strong>', re.S)

Fields = dict[str, list[str]]
#: The path of the newest save-and-return link emailed to an address (None when none came).
LinkFinder = Callable[[str], "str | None"]
Files = dict[str, list[tuple[str, bytes, str]]]

#: A small PDF, for file upload questions (as benchmarks/bench.py and tests/helpers.py send).
EXAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


#: What a request on a kept-alive connection the server has since closed fails with.
STALE_CONNECTION_ERRORS = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class JourneyFailed(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# What is recorded.


@dataclass(frozen=True)
class RequestRecord:
    """One HTTP request: when it started and ended (time.time()), which instance, what came back."""

    started: float
    ended: float
    port: int
    method: str
    kind: str  # page, answer, bad-answer, submit, save, resume, start, confirmation
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    error: str = ""


@dataclass
class JourneyResult:
    number: int
    slug: str
    completed: bool = False
    reference: str | None = None
    error: str = ""
    #: component name -> the text this journey typed (compared with the stored submission)
    typed: dict[str, str] = field(default_factory=dict)
    #: question pages the engine asked for again after they were answered (answers lost)
    asked_again: list[str] = field(default_factory=list)
    bad_answers_posted: int = 0
    error_summaries_shown: int = 0
    saved: bool = False
    resumed: bool = False
    retries: int = 0
    missing_fields: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0


@dataclass
class Recorder:
    """Every request of every citizen; lists appended to from many threads (list.append is atomic)."""

    requests: list[RequestRecord] = field(default_factory=list)
    journeys: list[JourneyResult] = field(default_factory=list)
    completed: int = 0
    #: Requests sent again on a new connection because the server had closed the kept-alive one.
    stale_connections: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def journey_done(self, result: JourneyResult) -> None:
        with self._lock:
            self.journeys.append(result)
            if result.completed:
                self.completed += 1


# --------------------------------------------------------------------------------------------------
# Instances and the browser.


class Balancer:
    """The app instances' ports, and which of them to avoid for a moment after a connection error."""

    def __init__(self, ports: Sequence[int]):
        self.ports = list(ports)
        self._down_until = dict.fromkeys(self.ports, 0.0)

    def choose(self, turn: int) -> int:
        """The instance for request number `turn` of a journey: alternate, skipping one marked down."""
        now = time.monotonic()
        for offset in range(len(self.ports)):
            port = self.ports[(turn + offset) % len(self.ports)]
            if self._down_until[port] <= now:
                return port
        return self.ports[turn % len(self.ports)]

    def mark_down(self, port: int) -> None:
        self._down_until[port] = time.monotonic() + DOWN_MARK_SECONDS


@dataclass
class Response:
    status: int
    location: str | None
    body: bytes
    port: int

    def target(self) -> str:
        if not self.location:
            raise JourneyFailed(f"expected a redirect, got {self.status} without a Location")
        parts = urlsplit(self.location)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def title(self) -> str:
        match = TITLE_RE.search(self.body)
        return " ".join(match.group(1).decode(errors="replace").split()) if match else ""


@dataclass
class PageForm:
    """The question form of a page as a browser sees it: the csrf_token and the fields it offers."""

    csrf_token: str | None
    names: set[str]
    file_names: set[str]


def read_form(body: bytes) -> PageForm:
    """Parse the page's forms. Only the <form> elements are handed to BeautifulSoup: parsing the
    whole 11-23 kB page for every request would make the load generator, not the server, the limit
    on this 2-core machine."""
    chunks = FORM_RE.findall(body)
    soup = BeautifulSoup(b"".join(chunks).decode("utf-8", "replace"), "html.parser")
    token = soup.find("input", attrs={"name": "csrf_token"})
    names: set[str] = set()
    file_names: set[str] = set()
    for element in soup.find_all(["input", "textarea", "select"]):
        name = element.get("name")
        if not isinstance(name, str):
            continue
        names.add(name)
        if element.get("type") == "file":
            file_names.add(name)
    value = token.get("value") if token is not None else None
    return PageForm(value if isinstance(value, str) else None, names, file_names)


class Browser:
    """Cookies, a keep-alive connection per instance, and the csrf_token of the last form read."""

    def __init__(self, balancer: Balancer, recorder: Recorder, result: JourneyResult, think: float):
        self.balancer = balancer
        self.recorder = recorder
        self.result = result
        self.think = think
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None
        self.turn = result.number
        number = result.number + 1
        self.address = f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"
        self.connections: dict[int, http.client.HTTPConnection] = {}

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()

    def fresh(self) -> Browser:
        """Another browser for the same citizen (coming back later from an email link)."""
        self.close()
        return Browser(self.balancer, self.recorder, self.result, self.think)

    def _once(
        self, port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Response:
        connection = self.connections.get(port)
        if connection is not None:
            try:
                return self._exchange(port, connection, method, path, body, headers)
            except STALE_CONNECTION_ERRORS:
                # The server closed a kept-alive connection between two requests (a gunicorn worker
                # recycled after its max requests, or idle past keep-alive): like a browser, send the
                # request again at once on a new connection. Counted, not an error.
                self.recorder.stale_connections.append(time.time())
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.connections[port] = connection
        return self._exchange(port, connection, method, path, body, headers)

    def _exchange(
        self,
        port: int,
        connection: http.client.HTTPConnection,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
    ) -> Response:
        try:
            connection.request(method, path, body, headers)
            reply = connection.getresponse()
            data = reply.read()
        except BaseException:
            connection.close()
            self.connections.pop(port, None)
            raise
        for cookie in reply.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in cookie.lower() or "expires=thu, 01 jan 1970" in cookie.lower():
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        if reply.will_close:
            connection.close()
            self.connections.pop(port, None)
        return Response(reply.status, reply.headers.get("Location"), data, port)

    def send(
        self,
        method: str,
        path: str,
        kind: str,
        fields: Fields | None = None,
        files: Files | None = None,
        csrf: bool = True,
    ) -> Response:
        """Send one request; on a connection error or a 5xx send it again (to the other instance when
        there is one) until an answer comes, within RETRY_BUDGET_SECONDS."""
        if self.think:
            time.sleep(self.think)
        payload: Fields | None = None
        if method == "POST":
            payload = dict(fields or {})
            if csrf and self.csrf is not None:
                payload["csrf_token"] = [self.csrf]
        giving_up_at = time.monotonic() + RETRY_BUDGET_SECONDS
        failures = 0
        while True:
            # As the load balancer in front of the instances would say (PROXY_FIX_X_FOR=1): the
            # citizen's own address, so per-IP limits and logs see citizens, not the balancer.
            headers = {"Accept-Language": "en-GB", "X-Forwarded-For": self.address}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body: bytes | None = None
            if payload is not None:
                if files:
                    body, headers["Content-Type"] = multipart(payload, files)
                else:
                    body = urlencode(payload, doseq=True).encode()
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
            self.turn += 1
            port = self.balancer.choose(self.turn)
            started = time.time()
            try:
                response = self._once(port, method, path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                self.recorder.requests.append(
                    RequestRecord(started, time.time(), port, method, kind, 0, exc.__class__.__name__)
                )
                self.balancer.mark_down(port)
                failures += 1
            else:
                self.recorder.requests.append(
                    RequestRecord(started, time.time(), port, method, kind, response.status)
                )
                if response.status < 500:
                    return response
                failures += 1
            self.result.retries += 1
            if time.monotonic() > giving_up_at:
                raise JourneyFailed(f"{method} {path}: no answer after {failures} tries")
            time.sleep(min(2.0, 0.1 * failures) + random.random() * 0.1)

    def get(self, path: str, kind: str = "page") -> Response:
        response = self.send("GET", path, kind)
        if response.status == 200:
            form = read_form(response.body)
            if form.csrf_token:
                self.csrf = form.csrf_token
        return response

    def post(
        self, path: str, kind: str, fields: Fields | None = None, files: Files | None = None
    ) -> Response:
        return self.send("POST", path, kind, fields, files)


# --------------------------------------------------------------------------------------------------
# The forms as the citizens know them (example answers from the definitions, in-process).


@dataclass
class FormPlan:
    slug: str
    journey: Any  # forms_engine.journey.Journey

    def page(self, page_slug: str) -> Any:
        page = self.journey.page(page_slug)
        if page is None:
            raise JourneyFailed(f"{self.slug}: the engine sent us to an unknown page {page_slug!r}")
        return page

    def answers(self, page_slug: str, number: int, typed: dict[str, str]) -> tuple[Fields, Files]:
        """The page's example answers, text made unique to the journey, example PDFs attached."""
        page = self.page(page_slug)
        fields: Fields = {name: list(values) for name, values in page.example().items()}
        files: Files = {}
        for handler in page.questions:
            name = handler.name
            if getattr(handler, "takes_files", False):
                if name in fields:
                    count = len(json.loads(fields.pop(name)[0]))
                    files[name] = [
                        (f"evidence-{number}-{i + 1}.pdf", EXAMPLE_PDF, "application/pdf")
                        for i in range(count)
                    ]
                continue
            values = fields.get(name)
            if values == ["Example answer"]:
                typed[name] = f"Citizen {number} {name}"
                fields[name] = [typed[name]]
            elif values and re.fullmatch(r"[^@\s]+@example\.com", values[0]):
                typed[name] = f"citizen-{number}@example.com"
                fields[name] = [typed[name]]
        return fields, files

    def bad_answers(self, page_slug: str) -> Fields | None:
        """Blank answers for a page whose every question is required (and takes no file): the
        engine must show the error summary. None when the page has an optional question."""
        page = self.page(page_slug)
        if not page.questions:
            return None
        for handler in page.questions:
            if handler.component.optional or getattr(handler, "takes_files", False):
                return None
        return {name: [""] for name in page.example()}


# --------------------------------------------------------------------------------------------------
# One journey.


@dataclass(frozen=True)
class JourneyPlan:
    number: int
    form: FormPlan
    bad_answers_on: int | None  # post bad answers first on the n-th question page (if it allows)
    save_on: int | None  # save and come back later on the n-th question page


def run_journey(
    plan: JourneyPlan, balancer: Balancer, recorder: Recorder, links: LinkFinder, think: float = 0.0
) -> JourneyResult:
    result = JourneyResult(plan.number, plan.form.slug, started=time.time())
    browser = Browser(balancer, recorder, result, think)
    try:
        _walk(plan, browser, links, result)
    except JourneyFailed as exc:
        result.error = str(exc)
    except Exception as exc:  # a bug here must be reported as a failed journey, not hang the run
        result.error = f"{exc.__class__.__name__}: {exc}"
    finally:
        browser.close()
        result.ended = time.time()
    return result


def _expect(response: Response, statuses: tuple[int, ...], what: str) -> Response:
    if response.status not in statuses:
        raise JourneyFailed(f"{what}: expected {statuses}, got {response.status} ({response.title()})")
    return response


def _walk(plan: JourneyPlan, browser: Browser, links: LinkFinder, result: JourneyResult) -> None:
    form = plan.form
    slug = form.slug
    check_answers = f"/{slug}/check-answers"
    _expect(browser.get(f"/{slug}/", "start"), (200,), "start page")
    path = _expect(browser.post(f"/{slug}/start", "start"), (302, 303), "start now").target()
    answered: set[str] = set()
    question_pages = 0
    for _ in range(8 * len(form.journey.pages) + 20):
        bare = path.split("?")[0]
        if bare == check_answers:
            _expect(browser.get(path), (200,), "check answers")
            sent = _expect(browser.post(path, "submit"), (303,), "send")
            confirmation = _expect(browser.get(sent.target(), "confirmation"), (200,), "confirmation")
            match = REFERENCE_RE.search(confirmation.body)
            if match is None:
                raise JourneyFailed("the confirmation page shows no reference")
            result.reference = match.group(1).decode()
            result.completed = True
            return
        page = browser.get(path)
        if page.status in (302, 303):  # e.g. a repeat's summary sends the walk to an item page
            path = page.target()
            continue
        _expect(page, (200,), f"GET {path}")
        parts = bare.strip("/").split("/")
        if len(parts) > 1 and parts[1] == "repeat":  # "add another?": one item is enough
            path = _expect(browser.post(path, "answer", {"addAnother": ["no"]}), (302, 303), path).target()
            continue
        if bare in answered:
            result.asked_again.append(bare)
        page_slug = parts[1]  # /<form>/<page> or, in a repeat, /<form>/<page>/<item>
        fields, files = form.answers(page_slug, plan.number, result.typed)
        offered = read_form(page.body)
        missing = [n for n in [*fields, *files] if n not in offered.names]
        if missing:
            result.missing_fields.extend(f"{bare}:{n}" for n in missing)
            raise JourneyFailed(f"{bare}: the page offers no field {missing}")
        question_pages += 1
        if (
            plan.bad_answers_on is not None
            and question_pages >= plan.bad_answers_on
            and not result.bad_answers_posted
        ):
            bad = form.bad_answers(page_slug)
            if bad is not None:
                result.bad_answers_posted += 1
                shown = browser.post(path, "bad-answer", bad)
                _expect(shown, (200,), f"bad answers on {bare}")
                if ERROR_SUMMARY_RE.search(shown.body):
                    result.error_summaries_shown += 1
                form_again = read_form(shown.body)
                if form_again.csrf_token:
                    browser.csrf = form_again.csrf_token
        if plan.save_on is not None and question_pages == plan.save_on and not result.saved:
            browser, path = _save_and_resume(browser, links, form, path, fields, files, plan.number, result)
            answered.add(bare)
            continue
        posted = browser.post(path, "answer", fields, files)
        if posted.status not in (302, 303):
            raise JourneyFailed(f"POST {bare}: expected a redirect, got {posted.status} ({posted.title()})")
        answered.add(bare)
        path = posted.target()
    raise JourneyFailed(f"never reached check answers (last at {path})")


def _save_and_resume(
    browser: Browser,
    links: LinkFinder,
    form: FormPlan,
    path: str,
    fields: Fields,
    files: Files,
    number: int,
    result: JourneyResult,
) -> tuple[Browser, str]:
    """Press "Save and come back later" with this page's answers, ask for the link, read it from the
    email, and follow it in a new browser; returns that browser and the page the engine sends it to."""
    slug = form.slug
    saving = _expect(
        browser.post(path, "save", {**fields, "action": ["save"]}, files), (303,), f"save on {path}"
    )
    _expect(browser.get(saving.target()), (200,), "the save page")
    address = f"{SAVER_PREFIX}{number}@example.com"
    sent = _expect(browser.post(f"/{slug}/save", "save", {"email": [address]}), (303,), "send the link")
    _expect(browser.get(sent.target()), (200,), "link sent page")
    result.saved = True
    link = links(address)
    if link is None:
        raise JourneyFailed(f"no save-and-return email to {address}")
    later = browser.fresh()
    _expect(later.get(link, "resume"), (200,), "the resume link")
    resumed = _expect(later.post(link, "resume"), (302, 303), "continue from the link")
    result.resumed = True
    return later, resumed.target()


# --------------------------------------------------------------------------------------------------
# Many journeys.


def plan_journeys(
    forms: Sequence[FormPlan], count: int, save_share: float, bad_share: float, seed: int
) -> list[JourneyPlan]:
    plans = []
    for number in range(count):
        chance = random.Random(seed * 1_000_003 + number)
        form = forms[number % len(forms)]
        pages = max(1, len([p for p in form.journey.pages if p.questions]) - 2)
        bad = chance.randint(1, pages) if chance.random() < bad_share else None
        save = chance.randint(2, max(2, pages)) if chance.random() < save_share else None
        plans.append(JourneyPlan(number, form, bad, save))
    return plans


def run_citizens(
    plans: Sequence[JourneyPlan],
    clients: int,
    balancer: Balancer,
    recorder: Recorder,
    links: LinkFinder,
    think: float,
    keep_going: Callable[[], bool],
) -> None:
    """`clients` threads take the journeys in turn until none is left (or keep_going() says stop)."""
    queue = list(reversed(plans))
    lock = threading.Lock()

    def citizen() -> None:
        while keep_going():
            with lock:
                if not queue:
                    return
                plan = queue.pop()
            recorder.journey_done(run_journey(plan, balancer, recorder, links, think))

    threads = [threading.Thread(target=citizen, name=f"citizen-{i}", daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
