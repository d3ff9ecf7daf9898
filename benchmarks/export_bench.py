"""Benchmark submission exports: 100,000 generated submissions exported by the real command.

Not a test: it measures. Run with `make bench` (after bench.py) or
`.venv/bin/python benchmarks/export_bench.py` (`--help` for the options). What it does:

1. Makes a fresh SQLite database file in a temporary folder and migrates it (`forms-engine db upgrade`).
2. Generates N submissions (default 100,000) of an example form (default the A24 badger form, the one
   with the most columns and a repeating section): a pool of answer sets made by walking the journey
   with each page's example answers, choices picked at random among the items offered (so conditions
   and the path stay consistent, and every answer passed the components' validation), then for each
   submission text answers varied (names, Welsh and other non-ASCII letters, now and then a cell a
   spreadsheet would run as a formula), 1 to 5 repeat items, and submission times spread over a year.
   Each row stores the definition snapshot as the engine does. Rows go in by executemany in batches,
   not through the ORM.
3. Runs `forms-engine submissions export --form SLUG --format F --output FILE` in a subprocess for each
   format (default csv, xlsx, zip; json on request) and measures its wall time, CPU time and peak RSS
   (`os.wait4`: the rusage of that one child, `ru_maxrss`). CSV runs twice: with `--jobs 1` (one
   process) and with the command's default (a process per core, at most 4).
4. Prints a table and writes the figures under the key "exports" of benchmarks/results.json (the other
   keys, written by bench.py, are kept).

Target (issue 5): CSV export of 100,000 submissions <= 10 s and <= 200 MB RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.json"
DEFAULT_FORM = "badger-sett-development-licence"
#: JSON (a payload with its summary per submission) is slow: ask for it with --formats.
FORMATS = ("csv", "xlsx", "zip")
TARGET_SECONDS = 10.0
TARGET_RSS_MB = 200.0
BATCH = 5000
#: Answer sets made by walking the journey; each submission starts from one of them.
POOL = 64
FIRST_NAMES = (
    "Ada",
    "Siân",
    "Zoë",
    "Rhodri",
    "Gwenllïan",
    "Oluwaseun",
    "Łucja",
    "Björn",
    "Aoife",
    "Mohammed",
)
LAST_NAMES = ("Lovelace", "Evans", "Ó Briain", "Müller", "Jones", "Nguyễn", "Smith-Ellis", "Dvořák", "Patel")
#: Words for longer answers.
SENTENCE = (
    "badger sett near the hedgerow, entrances on the south bank; works planned in autumn after the "
    "breeding season: mitigation by an artificial sett 30 m to the east, monitored by camera"
)
WORDS = tuple(SENTENCE.split(" "))
#: Now and then a text answer a spreadsheet would run: the export must neutralise it.
HOSTILE = ('=HYPERLINK("http://example.invalid","click")', "+44 1234", "@SUM(A1:A2)", "-cmd|' /C calc'!A0")


class BenchError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------------
# Answers


def _walk(definition: Any, rng: random.Random) -> dict[str, Any]:
    """Answers of one applicant: the journey walked page by page with example answers, choices picked
    at random among the items offered (falling back to the example when a choice is refused)."""
    from forms_engine.journey import RepeatSection, journey_for
    from forms_engine.journey.repeats import done_key

    journey = journey_for(definition)

    def answer(page: Any, so_far: dict[str, Any]) -> dict[str, Any]:
        data = dict(page.example())
        for handler in page.questions:
            items = getattr(handler.with_answers(so_far), "items", None)
            if items is None or handler.name not in data or handler.type_name == "DeclarationField":
                continue
            values = [item.value for item in items()]
            if handler.type_name == "CheckboxesField":
                least = max(1, len(data[handler.name]))
                data[handler.name] = rng.sample(values, rng.randint(least, max(least, min(3, len(values)))))
            else:
                data[handler.name] = [rng.choice(values)]
        result = page.validate(data, so_far)
        if not result.is_valid:
            result = page.validate(page.example(), so_far)
        if not result.is_valid:
            raise BenchError(f"{definition.slug}/{page.page.id}: example answer refused: {result.errors}")
        return dict(result.answers)

    answers: dict[str, Any] = {}
    for _ in range(len(journey.pages) + 1):
        step = journey.first_incomplete_page(answers)
        if step is None:
            break
        if step.page.exit:  # a random choice led off the path: start again
            return _walk(definition, rng)
        if isinstance(step, RepeatSection):
            item: dict[str, Any] = {}
            for page in step.pages:
                item.update(answer(page, {**answers, **item}))
            answers[step.repeat.id] = [item]
            answers[done_key(step.repeat.id)] = True
        else:
            answers.update(answer(step, answers))
    return journey.answers_on_path(answers)


def _text_questions(definition: Any) -> set[str]:
    """Free-text questions without a pattern: their answers can be varied freely."""
    return {
        c.name
        for _, c in definition.questions()
        if c.type in ("TextField", "MultilineTextField") and "regex" not in c.options
    }


def _vary(value: Any, rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(HOSTILE)
    if roll < 0.5:
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if isinstance(value, str) and "\n" in value:
        return " ".join(rng.choices(WORDS, k=rng.randint(8, 30))) + "\n" + " ".join(rng.choices(WORDS, k=6))
    return " ".join(rng.choices(WORDS, k=rng.randint(2, 6)))


def answer_sets(definition: Any, count: int, seed: int) -> Iterator[dict[str, Any]]:
    """`count` answer sets, each a pooled walk with its text varied and 1 to 5 repeat items."""
    rng = random.Random(seed)
    pool = [_walk(definition, rng) for _ in range(POOL)]
    texts = _text_questions(definition)
    for _ in range(count):
        answers = dict(rng.choice(pool))
        for name in texts & answers.keys():
            answers[name] = _vary(answers[name], rng)
        for repeat_id in definition.repeats:
            items = answers.get(repeat_id)
            if isinstance(items, list) and items:
                made = []
                for _ in range(rng.randint(1, min(5, definition.repeats[repeat_id].max_items))):
                    item = dict(items[0])
                    for name in texts & item.keys():
                        item[name] = _vary(item[name], rng)
                    made.append(item)
                answers[repeat_id] = made
        yield answers


# --------------------------------------------------------------------------------------------------
# The database


def reference(number: int) -> str:
    """A unique reference in the engine's shape (three groups of four from its alphabet)."""
    from forms_engine.submissions.service import REFERENCE_ALPHABET

    base = len(REFERENCE_ALPHABET)
    chars = []
    for _ in range(12):
        number, digit = divmod(number, base)
        chars.append(REFERENCE_ALPHABET[digit])
    text = "".join(reversed(chars))
    return f"{text[:4]}-{text[4:8]}-{text[8:]}"


def generate(database_url: str, slug: str, count: int, seed: int = 5) -> dict[str, Any]:
    """Fill the (migrated) database with `count` submissions of form `slug`; returns what was made."""
    import sqlalchemy as sa

    from forms_engine.definitions.loader import load_definition

    path = ROOT / "form_definitions" / f"{slug}.json"
    if not path.is_file():
        raise BenchError(f"no form definition {path}")
    definition = load_definition(path)
    snapshot = json.dumps(dict(definition.source), ensure_ascii=False)
    engine = sa.create_engine(database_url)
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    with engine.begin() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("submissions")}
        # Plain text columns: the JSON is serialised here once per row (the snapshot only once).
        journeys = sa.table(
            "journeys",
            *(
                sa.column(n)
                for n in ("id", "form_slug", "form_version", "answers", "created_at", "updated_at")
            ),
            sa.column("submission_reference"),
        )
        names = ["reference", "journey_id", "form_slug", "form_version", "definition", "answers"]
        names += ["submitted_at", "language"] + (["status"] if "status" in columns else [])
        submissions = sa.table("submissions", *(sa.column(n) for n in names))
        journey_rows: list[dict[str, Any]] = []
        rows: list[dict[str, Any]] = []

        def flush() -> None:
            connection.execute(journeys.insert(), journey_rows)
            connection.execute(submissions.insert(), rows)
            journey_rows.clear()
            rows.clear()

        for number, answers in enumerate(answer_sets(definition, count, seed)):
            ref = reference(number)
            when = start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
            journey_rows.append(
                {
                    "id": f"bench-{number}",
                    "form_slug": slug,
                    "form_version": definition.version,
                    "answers": "{}",
                    "created_at": when,
                    "updated_at": when,
                    "submission_reference": ref,
                }
            )
            row = {
                "reference": ref,
                "journey_id": f"bench-{number}",
                "form_slug": slug,
                "form_version": definition.version,
                "definition": snapshot,
                "answers": json.dumps(answers, ensure_ascii=False),
                "submitted_at": when,
                "language": "cy" if rng.random() < 0.1 else "en",
            }
            if "status" in columns:
                row["status"] = rng.choice(("new", "new", "in-progress", "done", "rejected"))
            rows.append(row)
            if len(rows) >= BATCH:
                flush()
        if rows:
            flush()
    engine.dispose()
    return {"form": slug, "submissions": count, "generate_s": round(time.perf_counter() - t0, 1)}


# --------------------------------------------------------------------------------------------------
# Measuring the command


#: Runs a command and prints its wall time and rusage as JSON. The exports are started from this small
#: process rather than from the benchmark's own (large) one: Linux counts the RSS a child had before
#: exec (its copy of the parent) in its ru_maxrss, which would otherwise hide the export's own peak.
MEASURE = r"""
import json, os, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"wall": time.perf_counter() - t0, "code": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}))
"""


def measured(command: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Wall time, CPU time and peak RSS of `command` (os.wait4: the command's own rusage, which also
    covers the processes it forked and waited for: its ru_maxrss is the largest of them, not their
    sum), and the CPU other processes used meanwhile."""
    before = system_cpu()
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    after = system_cpu()
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise BenchError(f"{' '.join(command)}: no measurement: {done.stderr[-800:]}") from exc
    if result["code"] != 0:
        raise BenchError(f"{' '.join(command)} exited with {result['code']}: {done.stderr[-800:]}")
    return {
        "command": " ".join(command),
        "wall_s": round(result["wall"], 2),
        "cpu_s": round(result["cpu"], 2),
        # CPU used meanwhile by other processes on the machine, in cores: a disturbed run shows here.
        "other_cpu_cores": round(max(0.0, (after - before - result["cpu"]) / result["wall"]), 2),
        "peak_rss_mb": round(result["maxrss_kib"] / 1024, 1),  # Linux reports KiB
    }


def run_export(env: dict[str, str], slug: str, fmt: str, output: Path, jobs: int | None) -> dict[str, Any]:
    """`forms-engine submissions export` of one format, measured."""
    command = [str(BIN / "forms-engine"), "submissions", "export", "--form", slug, "--format", fmt]
    command += ["--output", str(output)] + ([] if jobs is None else ["--jobs", str(jobs)])
    return {"format": fmt, "jobs": jobs, **measured(command, env), "bytes": output.stat().st_size}


def system_cpu() -> float:
    """Busy CPU seconds of the whole machine so far (/proc/stat)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Wait (up to max_wait s) until other processes use under `threshold` cores; returns their use."""
    deadline = time.monotonic() + max_wait
    while True:
        before = system_cpu()
        time.sleep(2)
        busy = (system_cpu() - before) / 2
        if busy < threshold or time.monotonic() >= deadline:
            return busy
        print(f"machine busy ({busy:.2f} cores used by other processes); waiting", flush=True)


def startup(env: dict[str, str]) -> dict[str, Any]:
    """The floor: `forms-engine forms` (the app built, definitions loaded, nothing exported)."""
    return measured([str(BIN / "forms-engine"), "forms"], env)


def update_results(path: Path, report: dict[str, Any]) -> None:
    """Put the report under "exports" in the results file, keeping what bench.py wrote there."""
    data: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(path.read_text())
        data = loaded if isinstance(loaded, dict) else {}
    data["exports"] = report
    path.write_text(json.dumps(data, indent=2) + "\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="submissions generated (default 100,000)")
    parser.add_argument("--form", default=DEFAULT_FORM, help=f"form slug (default {DEFAULT_FORM})")
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="comma-separated; csv runs with --jobs 1 and with the command's default "
        f"(default {','.join(FORMATS)})",
    )
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before each export, wait up to SECONDS for other processes to go quiet",
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS, help="results file (key 'exports')")
    parser.add_argument("--keep", type=Path, help="keep the database and the exports in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    with tempfile.TemporaryDirectory(prefix="forms-engine-export-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        database = folder / "export-bench.sqlite"
        database.unlink(missing_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "FORMS_ENGINE_INSTANCE": str(folder),
        }
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "FORMS_ENGINE_INSTANCE")})
        sys.path.insert(0, str(ROOT))
        migrate = [str(BIN / "forms-engine"), "db", "upgrade"]
        subprocess.run(migrate, cwd=ROOT, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL)
        print(f"Generating {args.count:,} submissions of {args.form} into {database}", flush=True)
        made = generate(env["DATABASE_URL"], args.form, args.count, args.seed)
        made["database_mb"] = round(database.stat().st_size / 1024 / 1024, 1)
        print(f"  {made['generate_s']} s, database {made['database_mb']} MB", flush=True)
        floor = startup(env)
        print(
            f"Start-up floor (forms-engine forms): {floor['wall_s']} s, {floor['peak_rss_mb']} MB", flush=True
        )
        rows = []
        runs = [(f, j) for f in formats for j in ((1, None) if f == "csv" else (None,))]
        for fmt, jobs in runs:
            if args.wait_idle:
                wait_for_quiet(args.wait_idle)
            row = run_export(env, args.form, fmt, folder / f"export.{fmt}", jobs)
            rows.append(row)
            print(
                f"  {fmt:<5} jobs {jobs or 'default':<8} {row['wall_s']:>7.2f} s wall "
                f"{row['cpu_s']:>7.2f} s CPU "
                f"{row['peak_rss_mb']:>7.1f} MB peak RSS {row['bytes'] / 1024 / 1024:>8.1f} MB written "
                f"(others used {row['other_cpu_cores']:.2f} cores)",
                flush=True,
            )
        csv_row = next((r for r in rows if r["format"] == "csv" and r["jobs"] is None), None)
        target = {
            "metric": f"CSV export of {args.count:,} submissions: wall time and peak RSS of the command",
            "limit_s": TARGET_SECONDS,
            "limit_rss_mb": TARGET_RSS_MB,
            "met": None
            if csv_row is None
            else csv_row["wall_s"] <= TARGET_SECONDS and csv_row["peak_rss_mb"] <= TARGET_RSS_MB,
        }
        if csv_row is not None:
            verdict = "MET" if target["met"] else "NOT MET"
            print(
                f"Target: {target['metric']} <= {TARGET_SECONDS:g} s and <= {TARGET_RSS_MB:g} MB: {verdict} "
                f"({csv_row['wall_s']} s, {csv_row['peak_rss_mb']} MB)"
            )
        from bench import git_state, machine

        report = {
            "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "machine": machine(),
            "git": git_state(),
            "database": "SQLite (temporary file)",
            "data": made,
            "startup": floor,
            "exports": rows,
            "target": target,
        }
        update_results(args.output, report)
        print(f"wrote the key 'exports' of {args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"export bench: {exc}", file=sys.stderr)
        sys.exit(2)
