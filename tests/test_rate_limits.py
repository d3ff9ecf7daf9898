"""Rate limits on the citizens' POSTs: per client address and per journey, GETs never limited, the GOV.UK
429 page (English and Welsh) with Retry-After, nothing stored lost, the client address behind trusted
proxies, and the counters shared through the database by app instances (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from sqlalchemy import func, select

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.runner import ratelimit_storage
from forms_engine.runner.ratelimit_storage import DatabaseStorage, RateLimitCounter
from forms_engine.submissions.models import JourneyState

from .conftest import _reset_postgres, make_app
from .helpers import BrowserClient, definitions, location
from .test_save_return import example_form

TOO_MANY = "There have been too many attempts"
CITIZEN_BLUEPRINTS = {"runner", "save_return", "feedback"}


def _dispose(app: Flask, database_url: str) -> None:
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def make_limited_app(tmp_path: Path) -> Iterator[Any]:
    """Apps on one fresh SQLite file with the limits given (each test's own limits)."""
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = make_app(f"sqlite:///{tmp_path / 'limits.sqlite'}", **config)
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def start(client: BrowserClient, slug: str, **kwargs: Any) -> str:
    """Start the form; the first page's path."""
    client.get(f"/{slug}/", **kwargs)
    response = client.post(f"/{slug}/start", **kwargs)
    assert response.status == 302, response.status
    return location(response)


def post_blank(client: BrowserClient, path: str, times: int, **kwargs: Any) -> list[int]:
    """Send the page with nothing filled in `times` times (each gets the error summary); statuses."""
    return [client.post(path, data={}, **kwargs).status for _ in range(times)]


def test_posts_from_one_journey_are_limited_and_the_429_page_says_how_long_to_wait(
    make_limited_app: Any,
) -> None:
    app = make_limited_app(
        POST_RATE_LIMIT_PER_JOURNEY="3 per minute", POST_RATE_LIMIT_PER_IP="100 per minute"
    )
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)  # that POST is the journey's first (no journey yet: by address)
    client.get(first)
    assert post_blank(client, first, 3) == [200, 200, 200]
    page = client.post(first, data={})
    assert page.status == 429
    assert page.h1 == TOO_MANY
    assert page.title.startswith(TOO_MANY)
    retry_after = int(page.response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    text = page.soup.select_one("main").get_text(" ", strip=True)
    assert "Wait 1 minute, then try again." in text
    assert page.response.headers["Cache-Control"] == "no-store"
    back = page.soup.select_one("main a.govuk-link")
    assert back is not None and back["href"] == first
    # GETs are not limited: the page can still be read.
    assert client.get(first).status == 200


def test_the_wait_is_given_in_minutes_for_longer_windows(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="1 per hour")
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    client.get(first)
    post_blank(client, first, 1)
    page = client.post(first, data={})
    assert page.status == 429
    seconds = int(page.response.headers["Retry-After"])
    assert 3500 < seconds <= 3600
    minutes = -(-seconds // 60)
    assert f"Wait {minutes} minutes, then try again." in page.soup.select_one("main").get_text(
        " ", strip=True
    )


def test_another_journey_from_the_same_address_has_its_own_count(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="2 per minute")
    definition = example_form(app)
    one, two = BrowserClient(app), BrowserClient(app)
    first = start(one, definition.slug)
    start(two, definition.slug)
    one.get(first)
    two.get(first)
    assert post_blank(one, first, 3) == [200, 200, 429]
    assert post_blank(two, first, 2) == [200, 200]


def test_posts_from_one_address_are_limited_across_journeys_and_pages(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_IP="5 per minute")
    definition = example_form(app)
    browsers = [BrowserClient(app) for _ in range(3)]
    first = start(browsers[0], definition.slug)  # 1
    start(browsers[1], definition.slug)  # 2
    for browser in browsers[:2]:
        browser.get(first)
    assert post_blank(browsers[0], first, 2) == [200, 200]  # 3, 4
    assert browsers[1].post(f"/{definition.slug}/save", data={"email": ""}).status == 200  # 5
    assert browsers[1].post(first, data={}).status == 429
    browsers[2].get(f"/{definition.slug}/")
    assert browsers[2].post(f"/{definition.slug}/start").status == 429
    # Another address is not affected.
    assert (
        browsers[2].post(f"/{definition.slug}/start", environ_base={"REMOTE_ADDR": "127.0.0.2"}).status == 302
    )


def test_the_answers_stored_before_the_limit_are_kept(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="2 per minute")
    definition = example_form(app)
    journey = journey_for(definition)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    client.get(first)
    assert client.post(first, data=journey.first_page.example()).status == 302
    before = stored_answers(app)
    assert before
    client.post(first, data={})
    assert client.post(first, data={}).status == 429
    assert stored_answers(app) == before
    # The page shows them again once it is read.
    page = client.get(first)
    assert page.status == 200
    filled = {i["name"]: i.get("value") for i in page.soup.select("main input[name]") if i.get("value")}
    assert any(value for name, value in filled.items() if name != "csrf_token")


def stored_answers(app: Flask) -> dict[str, Any]:
    with app.app_context():
        state = db.session.scalar(select(JourneyState))
        assert state is not None
        return dict(state.answers)


def test_the_429_page_is_in_welsh_on_a_welsh_form(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="1 per minute")
    definition = next(d for d in definitions(app) if "cy" in d.languages)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/?lang=cy")
    first = location(client.post(f"/{definition.slug}/start"))
    client.get(first)
    post_blank(client, first, 1)
    page = client.post(first, data={})
    assert page.status == 429
    assert page.soup.html["lang"] == "cy"
    assert page.h1 == "Bu gormod o ymdrechion"
    assert "Arhoswch 1 munud" in page.soup.select_one("main").get_text(" ", strip=True)


def test_an_empty_setting_means_no_limit(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="", POST_RATE_LIMIT_PER_IP="")
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    client.get(first)
    assert set(post_blank(client, first, 40)) == {200}


def test_rate_limits_can_be_turned_off(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="1 per minute", RATELIMIT_ENABLED=False)
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    client.get(first)
    assert post_blank(client, first, 3) == [200, 200, 200]


def test_gets_are_never_limited(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="1 per minute", POST_RATE_LIMIT_PER_IP="1 per minute")
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    for _ in range(5):
        assert client.get(first).status == 200
        assert client.get(f"/{definition.slug}/").status == 200


def test_every_citizen_post_route_is_limited(make_limited_app: Any) -> None:
    """Enumerated from the URL map: every POST route of the citizens' blueprints gets the 429 page
    once the address has used its POSTs up (whatever the route would have answered)."""
    app = make_limited_app(POST_RATE_LIMIT_PER_IP="1 per minute")
    definition = example_form(app)
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.endpoint.split(".")[0] in CITIZEN_BLUEPRINTS
    ]
    assert {r.endpoint for r in rules} >= {
        "runner.question",
        "runner.check_answers",
        "runner.repeat_item",
        "save_return.save",
        "save_return.resume",
        "feedback.give_feedback",
    }
    client = BrowserClient(app)
    start(client, definition.slug)  # uses this address's one POST
    values = {"slug": definition.slug, "page_slug": "x", "item": 1, "repeat_id": "x", "token": "x"}
    for rule in rules:
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        page = client.post(path, data={})
        assert page.status == 429, (rule.rule, page.status)
        assert page.h1 == TOO_MANY


def test_caseworker_sign_in_keeps_its_own_429_page(make_limited_app: Any) -> None:
    app = make_limited_app(SIGN_IN_RATE_LIMIT_PER_IP="1 per minute", POST_RATE_LIMIT_PER_IP="1 per minute")
    client = BrowserClient(app)
    client.get("/caseworker/sign-in")
    client.post("/caseworker/sign-in", data={"email": "a@example.gov.uk", "password": "x"})
    page = client.post("/caseworker/sign-in", data={"email": "a@example.gov.uk", "password": "x"})
    assert page.status == 429
    assert page.h1 == "Sorry, you have tried too many times"


# --- The client's address behind proxies --------------------------------------------------------


def test_forwarded_addresses_are_ignored_unless_proxies_are_trusted(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_IP="1 per minute")
    definition = example_form(app)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/")
    assert client.post(f"/{definition.slug}/start", headers={"X-Forwarded-For": "10.0.0.1"}).status == 302
    # A made-up header does not give a new address to count against.
    assert client.post(f"/{definition.slug}/start", headers={"X-Forwarded-For": "10.0.0.2"}).status == 429


def test_behind_a_trusted_proxy_each_client_address_is_counted(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_IP="1 per minute", PROXY_FIX_X_FOR=1)
    definition = example_form(app)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/")
    assert client.post(f"/{definition.slug}/start", headers={"X-Forwarded-For": "10.0.0.1"}).status == 302
    assert client.post(f"/{definition.slug}/start", headers={"X-Forwarded-For": "10.0.0.2"}).status == 302
    # With one proxy trusted, only the address it added counts (not what the client put before it).
    spoofed = {"X-Forwarded-For": "10.9.9.9, 10.0.0.1"}
    assert client.post(f"/{definition.slug}/start", headers=spoofed).status == 429


# --- Counters shared through the database ---------------------------------------------------------


@pytest.fixture
def shared_database(database_url: str) -> Iterator[str]:
    yield database_url


def test_two_app_instances_on_one_database_share_the_count(shared_database: str) -> None:
    """Counts made through one app instance hold in another started afterwards (a new limiter
    storage, as in another process): they are in the database, not in memory."""
    settings: dict[str, Any] = {
        "RATELIMIT_STORAGE_URI": "database://",
        "POST_RATE_LIMIT_PER_IP": "4 per minute",
        "POST_RATE_LIMIT_PER_JOURNEY": "",
    }
    first_app = make_app(shared_database, **settings)
    try:
        definition = example_form(first_app)
        one = BrowserClient(first_app)
        page_path = start(one, definition.slug)  # 1
        one.get(page_path)
        assert post_blank(one, page_path, 2) == [200, 200]  # 2, 3
        second_app = make_app(shared_database, **settings)
        two = BrowserClient(second_app)
        two.get(f"/{definition.slug}/")
        assert two.post(f"/{definition.slug}/start").status == 302  # 4
        assert two.post(f"/{definition.slug}/start").status == 429
        assert one.post(page_path, data={}).status == 429
        with second_app.app_context():
            counts = db.session.scalars(select(RateLimitCounter.count)).all()
        assert max(counts) == 6  # the two refused POSTs were counted too
        with second_app.app_context():
            db.engine.dispose()
    finally:
        _dispose(first_app, shared_database)


def test_memory_counters_are_not_shared_by_a_new_instance(tmp_path: Path) -> None:
    """The control for the test above: with memory:// a new instance starts from nothing."""
    settings: dict[str, Any] = {
        "RATELIMIT_STORAGE_URI": "memory://",
        "POST_RATE_LIMIT_PER_IP": "1 per minute",
    }
    url = f"sqlite:///{tmp_path / 'memory.sqlite'}"
    first_app = make_app(url, **settings)
    definition = example_form(first_app)
    one = BrowserClient(first_app)
    start(one, definition.slug)
    second_app = make_app(url, **settings)
    two = BrowserClient(second_app)
    two.get(f"/{definition.slug}/")
    assert two.post(f"/{definition.slug}/start").status == 302
    for app in (first_app, second_app):
        with app.app_context():
            db.engine.dispose()


def test_postgresql_keeps_counters_in_the_database_by_default(postgres_url: str) -> None:
    app = make_app(postgres_url, RATELIMIT_STORAGE_URI="")
    try:
        assert app.config["RATELIMIT_STORAGE_URI"] == "database://"
    finally:
        _reset_postgres(app)


def test_sqlite_keeps_counters_in_memory_by_default(app: Flask) -> None:
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_database_storage_refuses_an_in_memory_sqlite_database() -> None:
    from forms_engine import create_app
    from forms_engine.config import TestConfig

    settings = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    with pytest.raises(ConfigurationError):
        create_app({**settings, "RATELIMIT_STORAGE_URI": "database://"})


def test_the_database_scheme_is_registered_with_limits() -> None:
    assert isinstance(storage_from_string("database://"), DatabaseStorage)


def test_concurrent_hits_from_two_instances_are_all_counted(shared_database: str) -> None:
    """Many threads through two apps' own engines bump one key: no hit is lost (atomic upsert)."""
    apps = [make_app(shared_database), make_app(shared_database)]
    try:
        storages = [DatabaseStorage("database://"), DatabaseStorage("database://")]
        seen: list[int] = []
        lock = threading.Lock()

        def hit(index: int) -> None:
            with apps[index % 2].app_context():
                for _ in range(25):
                    count = storages[index % 2].incr("shared-key", 60)
                    with lock:
                        seen.append(count)

        threads = [threading.Thread(target=hit, args=(i,)) for i in range(4)]
        started = ratelimit_storage.now_seconds()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        finished = ratelimit_storage.now_seconds()
        assert sorted(seen) == list(range(1, 101))  # each count returned once: none lost or repeated
        with apps[0].app_context():
            assert storages[0].get("shared-key") == 100
            # One window, started by the first hit, however long the hits took on a busy machine.
            assert started + 60 <= storages[0].get_expiry("shared-key") <= finished + 60
    finally:
        with apps[1].app_context():
            db.engine.dispose()
        _dispose(apps[0], shared_database)


def test_a_window_that_has_passed_starts_again(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit_storage, "now_seconds", lambda: now[0])
    storage = DatabaseStorage("database://")
    with app.app_context():
        assert [storage.incr("k", 10) for _ in range(3)] == [1, 2, 3]
        assert storage.get_expiry("k") == 1_000_010.0
        now[0] += 10
        assert storage.get("k") == 0
        assert storage.incr("k", 10) == 1
        assert storage.get_expiry("k") == 1_000_020.0
        storage.clear("k")
        assert storage.get("k") == 0
        assert storage.check() is True


def test_long_keys_are_stored_as_a_digest(app: Flask) -> None:
    storage = DatabaseStorage("database://")
    key = "account:" + "x" * 400 + "@example.gov.uk"
    with app.app_context():
        assert storage.incr(key, 60) == 1
        assert storage.incr(key, 60) == 2
        assert storage.incr(key + "y", 60) == 1
        stored = db.session.scalars(select(RateLimitCounter.key)).all()
    assert all(len(k) <= ratelimit_storage.KEY_LENGTH for k in stored)


def test_the_counters_table_does_not_grow_without_bound(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [2_000_000.0]
    monkeypatch.setattr(ratelimit_storage, "now_seconds", lambda: now[0])
    storage = DatabaseStorage("database://")

    def rows() -> int:
        return int(db.session.scalar(select(func.count()).select_from(RateLimitCounter)) or 0)

    with app.app_context():
        for minute in range(5):
            for client in range(50):
                storage.incr(f"minute-{minute}-client-{client}", 60)
            db.session.rollback()
            # At most this minute's and the last one's windows are left (a clean-up a minute).
            assert rows() <= 100, minute
            now[0] += 61
        storage.incr("last", 60)
        assert rows() == 1
        assert storage.reset() == 1
        assert rows() == 0


def test_the_counters_migration_goes_down_and_up_again(any_db_app: Flask) -> None:
    from sqlalchemy import inspect

    from forms_engine.database import downgrade_database, upgrade_database

    downgrade_database(any_db_app, "0006")
    with any_db_app.app_context():
        assert "rate_limit_counters" not in inspect(db.engine).get_table_names()
    upgrade_database(any_db_app)
    with any_db_app.app_context():
        assert "rate_limit_counters" in inspect(db.engine).get_table_names()
        assert DatabaseStorage("database://").incr("after-upgrade", 60) == 1


def test_the_429_pages_link_goes_back_to_the_page_sent_with_its_query(make_limited_app: Any) -> None:
    app = make_limited_app(POST_RATE_LIMIT_PER_JOURNEY="1 per minute")
    definition = example_form(app)
    client = BrowserClient(app)
    first = start(client, definition.slug)
    client.get(first)
    post_blank(client, first, 1)
    page = client.post(f"{first}?return=check", data={})
    assert page.status == 429
    back = page.soup.select_one("main a.govuk-link")
    assert back is not None and back["href"] == f"{first}?return=check"
    # A POST-only route sends the user to the form's start page instead.
    page = client.post(f"/{definition.slug}/start")
    assert page.status == 429
    back = page.soup.select_one("main a.govuk-link")
    assert back is not None and back["href"] == f"/{definition.slug}/"
