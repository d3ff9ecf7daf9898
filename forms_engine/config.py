"""Configuration from environment variables. `Config` for running, `TestConfig` for the test suite."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("FORMS_ENGINE_INSTANCE", ROOT / "instance"))


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _sqlalchemy_url(url: str) -> str:
    """Accept plain postgres:// and postgresql:// URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


#: The SECRET_KEY used when none is set: fine on a laptop, refused in production mode.
DEVELOPMENT_SECRET_KEY = "dev-only-secret-change-me"


class Config:
    #: production or development. In production mode the app refuses to start with settings fit only
    #: for development (forms_engine/serve.py); `forms-engine serve` runs in production mode unless
    #: this says otherwise.
    FORMS_ENGINE_ENV = os.environ.get("FORMS_ENGINE_ENV", "development")
    #: Log records as json (one object per line on stderr) or text; empty: json in production mode,
    #: text otherwise. LOG_LEVEL: the least severe level logged.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _sqlalchemy_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'forms-engine.sqlite'}")
    )
    #: hide_parameters: a database error's text (which is logged) never carries the values of the
    #: statement, which may be a citizen's answers.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    FORM_DEFINITIONS_DIR = Path(os.environ.get("FORM_DEFINITIONS_DIR", ROOT / "form_definitions"))
    #: Send Strict-Transport-Security and secure cookies (set when served over HTTPS).
    HTTPS = _bool("HTTPS")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = HTTPS
    SESSION_COOKIE_NAME = "forms_engine_session"
    #: Largest request body in bytes: with file uploads, the files chosen at once must fit in it.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 25 * 1024 * 1024))
    #: Largest form body without files (and largest text field in a multipart one) kept in memory.
    MAX_FORM_MEMORY_SIZE = int(os.environ.get("MAX_FORM_MEMORY_SIZE", 1024 * 1024))
    #: Where uploaded files are kept: local (a folder, FILE_STORE_DIR) or database (for several
    #: app instances sharing one PostgreSQL).
    FILE_STORE = os.environ.get("FILE_STORE", "local")
    FILE_STORE_DIR = Path(os.environ.get("FILE_STORE_DIR", INSTANCE / "uploads"))
    #: Command run on each uploaded file before it is accepted, `{path}` standing for the file, such
    #: as `clamdscan --fdpass --no-summary {path}`. Exit 0: clean; 1: a virus; anything else, or no
    #: answer within VIRUS_SCAN_TIMEOUT seconds: rejected. Empty: files are not scanned.
    VIRUS_SCAN_COMMAND = os.environ.get("VIRUS_SCAN_COMMAND", "")
    VIRUS_SCAN_TIMEOUT = float(os.environ.get("VIRUS_SCAN_TIMEOUT", 30))
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session, so slow form-fillers are not punished
    SERVICE_NAME = os.environ.get("SERVICE_NAME", "Defra forms")
    #: Scheme and host for links in emails, e.g. https://forms.example.gov.uk (else the request's host).
    BASE_URL = os.environ.get("BASE_URL", "")
    #: How email is sent: outbox (.eml files in MAIL_OUTBOX_DIR), smtp, or memory (kept in a list).
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "outbox")
    MAIL_OUTBOX_DIR = Path(os.environ.get("MAIL_OUTBOX_DIR", INSTANCE / "outbox"))
    MAIL_HOST = os.environ.get("MAIL_HOST", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_STARTTLS = _bool("MAIL_USE_STARTTLS")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Defra forms <no-reply@localhost>")
    #: Seconds to wait for the SMTP server or GOV.UK Notify before giving up.
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 10))
    #: GOV.UK Notify (MAIL_BACKEND=notify): the API key, `{key name}-{service id}-{secret}`.
    NOTIFY_API_KEY = os.environ.get("NOTIFY_API_KEY", "")
    #: A JSON object from the engine's message names (save-return-link, submission-confirmation,
    #: submission-to-team) to the ids of the Notify templates that send them.
    NOTIFY_TEMPLATES = os.environ.get("NOTIFY_TEMPLATES", "{}")
    #: The Notify API's address; empty for the client's own (GOV.UK Notify). Set only to use another.
    NOTIFY_BASE_URL = os.environ.get("NOTIFY_BASE_URL", "")
    #: Days a save-and-return link works for.
    SAVE_RETURN_DAYS = int(os.environ.get("SAVE_RETURN_DAYS", 28))
    #: Delivery of submissions (emails, webhooks) by `forms-engine worker`: the wait before retry n is
    #: DELIVERY_BACKOFF_SECONDS * 2**(n-1), at most DELIVERY_BACKOFF_MAX_SECONDS; after
    #: DELIVERY_MAX_ATTEMPTS attempts a job is dead-lettered (kept, listed, and retried by command).
    #: The defaults keep trying for just over 24 hours.
    DELIVERY_BACKOFF_SECONDS = float(os.environ.get("DELIVERY_BACKOFF_SECONDS", 30))
    DELIVERY_BACKOFF_MAX_SECONDS = float(os.environ.get("DELIVERY_BACKOFF_MAX_SECONDS", 3600))
    DELIVERY_MAX_ATTEMPTS = int(os.environ.get("DELIVERY_MAX_ATTEMPTS", 32))
    #: How long a worker has a claimed job to itself. A worker that dies mid-delivery leaves the job
    #: due again after this; it must be longer than any one delivery can take (see WEBHOOK_TIMEOUT).
    DELIVERY_LEASE_SECONDS = float(os.environ.get("DELIVERY_LEASE_SECONDS", 300))
    #: Seconds a webhook receiver has to answer.
    WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", 30))
    #: Seconds an idle worker waits before looking for due jobs again.
    WORKER_POLL_SECONDS = float(os.environ.get("WORKER_POLL_SECONDS", 5))
    #: Caseworker area (/caseworker/): a signed-in session ends after CASEWORKER_IDLE_MINUTES without
    #: a request, and CASEWORKER_ABSOLUTE_HOURS after sign-in whatever is done.
    CASEWORKER_IDLE_MINUTES = float(os.environ.get("CASEWORKER_IDLE_MINUTES", 30))
    CASEWORKER_ABSOLUTE_HOURS = float(os.environ.get("CASEWORKER_ABSOLUTE_HOURS", 12))
    #: Consecutive failed sign-ins (wrong password or security code) that lock an account, and for
    #: how long.
    CASEWORKER_LOCKOUT_ATTEMPTS = int(os.environ.get("CASEWORKER_LOCKOUT_ATTEMPTS", 5))
    CASEWORKER_LOCKOUT_MINUTES = float(os.environ.get("CASEWORKER_LOCKOUT_MINUTES", 15))
    #: Roles that must use a security code (TOTP) from an authenticator app; others may choose to.
    CASEWORKER_TOTP_REQUIRED_ROLES = os.environ.get("CASEWORKER_TOTP_REQUIRED_ROLES", "admin")
    #: argon2id parameters for caseworker passwords (argon2-cffi's defaults, RFC 9106's low-memory
    #: profile). A hash made with other parameters is redone at the account's next sign-in.
    CASEWORKER_ARGON2_TIME_COST = int(os.environ.get("CASEWORKER_ARGON2_TIME_COST", 3))
    CASEWORKER_ARGON2_MEMORY_KIB = int(os.environ.get("CASEWORKER_ARGON2_MEMORY_KIB", 65536))
    CASEWORKER_ARGON2_PARALLELISM = int(os.environ.get("CASEWORKER_ARGON2_PARALLELISM", 4))
    #: Rate limits on sending the sign-in and security code forms (Flask-Limiter notation, several
    #: separated by ';'): per client IP address, and per account (the email address sent).
    SIGN_IN_RATE_LIMIT_PER_IP = os.environ.get("SIGN_IN_RATE_LIMIT_PER_IP", "10 per minute;100 per hour")
    SIGN_IN_RATE_LIMIT_PER_ACCOUNT = os.environ.get(
        "SIGN_IN_RATE_LIMIT_PER_ACCOUNT", "10 per minute;50 per hour"
    )
    #: Where rate-limit counters are kept: database:// (the app's own database, table
    #: rate_limit_counters: shared by every app instance on one PostgreSQL), memory:// (this process
    #: only), or any store the `limits` package supports (such as redis://). Empty: database:// when
    #: DATABASE_URL is PostgreSQL, else memory://.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    #: Off (false) turns every rate limit off, the sign-in ones too.
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    #: Rate limits on every POST of the citizens' pages (Flask-Limiter notation, several separated by
    #: ';'; empty: none): per client IP address (high enough for an office behind one address), and
    #: per journey (this browser's journey for the form; the client address before one is started).
    POST_RATE_LIMIT_PER_IP = os.environ.get("POST_RATE_LIMIT_PER_IP", "120 per minute")
    POST_RATE_LIMIT_PER_JOURNEY = os.environ.get("POST_RATE_LIMIT_PER_JOURNEY", "30 per minute")
    #: How many proxies in front of the app to trust for the client's address (X-Forwarded-For), for
    #: the rate limits and logs. 0: none, the address is the connection's (set it behind a load balancer).
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", 0))
    #: Most fields (and files) one form may send; more is refused (413), url-encoded forms too.
    MAX_FORM_PARTS = int(os.environ.get("MAX_FORM_PARTS", 1000))
    #: A journey with no request for this many hours is closed at its next request ("Your session
    #: has timed out"): its answers are deleted unless a save-and-return link for it still works. 0: never.
    JOURNEY_IDLE_HOURS = float(os.environ.get("JOURNEY_IDLE_HOURS", 24))
    #: Retention, applied by `forms-engine purge` (run it daily). Every setting is a number of days.
    #: A submission is deleted RETENTION_DAYS_AFTER_CLOSED days after it was marked Done or Rejected,
    #: unless its form's definition says otherwise (`"retention": {"daysAfterClosed": n}`).
    RETENTION_DAYS_AFTER_CLOSED = int(os.environ.get("RETENTION_DAYS_AFTER_CLOSED", 90))
    #: Any submission, whatever its status, is deleted this long after it was sent (so nothing is kept
    #: for ever because no one closed it). It overrides a form's longer `daysAfterClosed`. 0: no limit.
    RETENTION_MAX_AGE_DAYS = int(os.environ.get("RETENTION_MAX_AGE_DAYS", 730))
    #: Journeys never sent (drafts, which hold personal data too) are deleted this long after they were
    #: last changed, with their uploaded files, unless a save-and-return link for them still works.
    #: 0: never deleted.
    RETENTION_ABANDONED_JOURNEY_DAYS = int(os.environ.get("RETENTION_ABANDONED_JOURNEY_DAYS", 30))
    #: Audit log entries are deleted this long after they were recorded (default 7 years). 0: kept for ever.
    RETENTION_AUDIT_DAYS = int(os.environ.get("RETENTION_AUDIT_DAYS", 2555))
    #: Conversion report: the share of in-scope paper forms to replace (0.20 = 20%) and the date to
    #: replace it by (YYYY-MM-DD), shown against the share by count and by paper volume.
    REPORT_TARGET_SHARE = float(os.environ.get("REPORT_TARGET_SHARE", 0.20))
    REPORT_TARGET_DATE = os.environ.get("REPORT_TARGET_DATE", "2025-03-31")


class TestConfig(Config):
    TESTING = True
    FORMS_ENGINE_ENV = "development"
    LOG_FORMAT = "text"
    SECRET_KEY = "test-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Uploaded files in the test database, so tests never write into instance/.
    FILE_STORE = "database"
    MAIL_BACKEND = "memory"
    #: Rate limits no test reaches by accident (tests of the limits set their own).
    POST_RATE_LIMIT_PER_IP = "100000 per minute"
    POST_RATE_LIMIT_PER_JOURNEY = "100000 per minute"
    #: Cheap password hashes, so the tests do not spend seconds hashing (still argon2id).
    CASEWORKER_ARGON2_TIME_COST = 1
    CASEWORKER_ARGON2_MEMORY_KIB = 8192
    CASEWORKER_ARGON2_PARALLELISM = 1
