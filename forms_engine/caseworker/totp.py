"""Time-based one-time passwords (RFC 6238, pyotp): 6-digit security codes from an authenticator app.

A code is accepted in its own 30-second step or the one before or after (clocks drift), and only
once: the step of the last code accepted is kept on the account, and a code of that step or an
earlier one is refused, so a code seen over someone's shoulder cannot be used again.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp
import segno

ISSUER = "Defra forms"
DIGITS = 6
#: Steps either side of the current one in which a code is still accepted.
VALID_WINDOW = 1
_SPACES = re.compile(r"[\s-]+")


def new_secret() -> str:
    """A random base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(length=32)


def grouped(secret: str) -> str:
    """The secret in groups of 4 characters, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_data_uri(uri: str) -> str:
    """The URI as a QR code: an SVG image in a data: URI, drawn on the server (no JavaScript)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#0b0c0c", light="#ffffff"))


def clean_code(code: str) -> str:
    """What was typed, without the spaces or dashes people put in codes."""
    return _SPACES.sub("", code)


def is_well_formed(code: str) -> bool:
    return len(code) == DIGITS and code.isascii() and code.isdigit()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step whose code `code` is (within the window), if it is later than `last_step`;
    None when the code is wrong, too old, or already used."""
    code = clean_code(code)
    if not is_well_formed(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS)
    current = totp.timecode(now)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        # Compare every candidate (no early exit), in constant time.
        if hmac.compare_digest(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            found = step
    return found


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator app shows at `moment` (for tests and the CLI)."""
    return pyotp.TOTP(secret, digits=DIGITS).at(moment)
