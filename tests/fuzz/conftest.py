"""The fuzzing tests' Hypothesis profile, one app per module, and counters that check (not claim)
how many definitions and answer sets each run generates.

The profile "fuzz" is registered here and used by each test as `@settings(FUZZ, max_examples=...)`
rather than loaded globally, so it changes nothing for other tests. Examples are random on every run,
with no deadline (the machine is shared and slow), except in CI (the CI environment variable set):
there the examples are derived from each test's name (derandomize=True), so that whether a commit
lands does not depend on the luck of the draw; `make fuzz` runs the same tests with random
examples, to find new failures. Failing examples are kept in .hypothesis/ (git-ignored) and
replayed first on the next run, except in CI or with HYPOTHESIS_DATABASE=none, where no database is
used.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from forms_engine.config import ROOT
from forms_engine.extensions import db

from ..conftest import make_app


def _database() -> DirectoryBasedExampleDatabase | None:
    if os.environ.get("CI") or os.environ.get("HYPOTHESIS_DATABASE", "").lower() == "none":
        return None
    return DirectoryBasedExampleDatabase(str(ROOT / ".hypothesis" / "examples"))


settings.register_profile(
    "fuzz",
    derandomize=bool(os.environ.get("CI")),
    deadline=None,
    database=_database(),
    # Each example posts to the app or renders pages: slow by Hypothesis' standards, on purpose. The
    # app is module-scoped (see `fuzz_app`), so reusing it between examples is intended.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
    print_blob=True,
    # No shrinking: on this shared machine shrinking a failure of a many-request example took more
    # than five minutes. A failure is reported as generated (with its seed to replay it); set
    # HYPOTHESIS_SHRINK=1 to shrink it to a minimal example.
    phases=list(Phase)
    if os.environ.get("HYPOTHESIS_SHRINK")
    else [Phase.explicit, Phase.reuse, Phase.generate],
)
FUZZ = settings.get_profile("fuzz")

#: What every fuzzing module generated, by kind, for the summary at the end of the run.
GENERATED: Counter[str] = Counter()


class Tally:
    """Counts of what one module generated; `require` sets the least each count must reach by the
    module's end (checked at teardown, so a run that generated fewer fails)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.minimums: dict[str, int] = {}

    def add(self, kind: str, number: int = 1) -> None:
        self.counts[kind] += number
        GENERATED[kind] += number

    def require(self, kind: str, least: int) -> None:
        self.minimums[kind] = least


def _whole_modules(config: pytest.Config) -> bool:
    """Whether whole modules run (not single tests picked by -k, -m or a node id): only then must
    the counts reach their minimums."""
    picked = config.getoption("keyword") or config.getoption("markexpr")
    return not picked and not any("::" in str(arg) for arg in config.args)


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counts = Tally()
    yield counts
    if not _whole_modules(request.config):
        return
    short = {k: (counts.counts[k], least) for k, least in counts.minimums.items() if counts.counts[k] < least}
    assert not short, f"generated fewer than required (count, required): {short}"


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on its own migrated SQLite database, once per module; rate limits off, since the
    fuzzing posts hundreds of times from one address."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite"
    app = make_app(f"sqlite:///{path}", RATELIMIT_ENABLED=False)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if GENERATED:
        terminalreporter.write_sep("-", "fuzzing: generated this run")
        for kind, number in sorted(GENERATED.items()):
            terminalreporter.write_line(f"{kind}: {number}")
