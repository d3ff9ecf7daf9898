"""Caseworker passwords: argon2id hashes (argon2-cffi), a length rule and a small deny list.

Passwords are never logged, stored or echoed: only their hashes are kept. The hashing parameters
come from the CASEWORKER_ARGON2_* settings; a hash made with other parameters (or an older algorithm
version) reports `needs_rehash` and is redone at the account's next successful sign-in.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context

MIN_LENGTH = 12
#: Long enough for any passphrase, short enough that hashing a pasted novel costs nothing extra.
MAX_LENGTH = 256

#: Common passwords long enough to pass the length rule (compared in lower case). Shorter common
#: passwords already fail it.
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "password12345",
        "password123456",
        "password123!",
        "passwordpassword",
        "password1234!",
        "p@ssw0rd1234",
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456123456",
        "111111111111",
        "000000000000",
        "qwertyuiopas",
        "qwerty123456",
        "qwertyqwerty",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "abcdefghijkl",
        "abc123abc123",
        "iloveyou1234",
        "letmein12345",
        "welcome12345",
        "welcome123456",
        "changeme1234",
        "changeme123!",
        "administrator",
        "administrator1",
        "admin1234567",
        "adminadminadmin",
        "trustno1trustno1",
        "football1234",
        "baseball1234",
        "sunshine1234",
        "princess1234",
        "dragon123456",
        "monkey123456",
        "superman1234",
        "correcthorsebatterystaple",
        "correct horse battery staple",
        "defraforms123",
        "defraforms1234",
        "caseworker123",
        "caseworker1234",
    }
)

TOO_SHORT = f"Password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = "Password is too easy to guess: choose a password that is not commonly used"
SAME_AS_EMAIL = "Password must not be your email address"


def password_problem(password: str, email: str | None = None) -> str | None:
    """Why `password` cannot be used (a message for the person choosing it), or None if it can."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    folded = password.lower()
    if folded in COMMON_PASSWORDS or len(set(folded)) < 4:
        return TOO_COMMON
    if email is not None and folded.strip() == email.strip().lower():
        return SAME_AS_EMAIL
    return None


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hasher() -> PasswordHasher:
    """The argon2id hasher for the app's settings (argon2-cffi's defaults outside an app)."""
    if not has_app_context():
        return _hasher(3, 65536, 4)
    config = current_app.config
    return _hasher(
        int(config.get("CASEWORKER_ARGON2_TIME_COST", 3)),
        int(config.get("CASEWORKER_ARGON2_MEMORY_KIB", 65536)),
        int(config.get("CASEWORKER_ARGON2_PARALLELISM", 4)),
    )


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (with its own random salt), in PHC string format."""
    return hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash. A malformed hash never matches."""
    try:
        return hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the current ones."""
    try:
        return hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=8)
def _dummy_hash(parameters: tuple[int, int, int]) -> str:
    return _hasher(*parameters).hash("not a password anyone has: only burns the same time")


def spend_verification_time(password: str) -> None:
    """Verify `password` against a throw-away hash with the current parameters, so a sign-in with
    an unknown email address takes as long as one with a wrong password."""
    current = hasher()
    verify_password(_dummy_hash((current.time_cost, current.memory_cost, current.parallelism)), password)
