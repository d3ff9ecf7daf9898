"""Words from PDF field names and tooltips: labels ('applicant_first_name' -> 'Applicant first name'),
answer names, page paths, and the hints that suggest a field's type (date, email, telephone ...)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: Array indexes that forms converted from XFA (LiveCycle) add to every name part: `FirstName[0]`.
XFA_INDEX = re.compile(r"\[\d*\]")
#: Name parts that such forms add around the fields and that say nothing: `form1.Page1.#subform`.
NOISE_PART = re.compile(r"^(form\d*|topmostsubform|subform\d*|page\d+|#.*)$", re.IGNORECASE)
#: camelCase, acronyms (DOBDay -> DOB Day), references in capitals (IRA82), numbers; other scripts as
#: whole words.
WORD = re.compile(r"[A-Z]+\d+(?![a-z])|[A-Z]+(?=[A-Z][a-z])|[A-Z][a-z]+|[A-Z]+|[a-z]+|\d+|[^\W\d_A-Za-z]+")
#: Names PDF editors give fields by default, which say nothing about the question.
GENERIC = re.compile(
    r"^(text|text ?field|txt|tf|check ?box|cb|radio( ?button)?|radio ?group|group|button|btn|"
    r"combo ?box|list ?box|drop ?down|choice|field|fill( ?in)?|undefined|untitled|signature|sig)"
    r"[\s_.\-#]*\d*$",
    re.IGNORECASE,
)


def name_parts(name: str) -> list[str]:
    """The meaningful dotted parts of a full field name (at least the last one)."""
    parts = [XFA_INDEX.sub("", part).strip() for part in name.split(".")]
    parts = [part for part in parts if part]
    kept = [part for part in parts if not NOISE_PART.match(part)]
    return kept or parts[-1:]


def words(text: str) -> list[str]:
    """'applicant_first_name' -> ['applicant', 'first', 'name']; 'DOBDay2' -> ['DOB', 'Day', '2']."""
    found: list[str] = []
    for chunk in re.split(r"[\W_]+", text):
        found.extend(WORD.findall(chunk))
    return found


def name_words(name: str) -> list[str]:
    return [word for part in name_parts(name) for word in words(part)]


def is_generic(name: str) -> bool:
    """True for names such as 'Text1', 'Check Box 12', 'undefined_3' or '17'."""
    last = " ".join(name_parts(name)[-1:]) if name else ""
    return not last or bool(GENERIC.match(last)) or last.replace(" ", "").isdigit()


#: Short forms in field names spelt out in labels.
SPELT_OUT = {"dob": ["date", "of", "birth"], "addr": ["address"], "tel": ["telephone"], "qty": ["quantity"]}


def humanise(tokens: Sequence[str]) -> str:
    """A sentence-case label: ['applicant', 'first', 'name'] -> 'Applicant first name'. Acronyms stay
    in capitals, unless every word is (a name written in capitals)."""
    tokens = [spelt for t in tokens for spelt in SPELT_OUT.get(t.lower(), [t])]
    if not tokens:
        return ""
    all_capitals = len(tokens) > 1 and all(t.isupper() for t in tokens if t.isalpha())
    shown = [t if (t.isupper() and len(t) > 1 and not all_capitals) else t.lower() for t in tokens]
    text = " ".join(shown)
    return text[0].upper() + text[1:]


def camel(tokens: Sequence[str], fallback: str = "field") -> str:
    """An answer name: ['applicant', 'first', 'name'] -> 'applicantFirstName' (ASCII, a letter first,
    at most 64 characters)."""
    ascii_words = [re.sub(r"[^A-Za-z0-9]", "", t) for t in tokens]
    ascii_words = [w for w in ascii_words if w]
    if not ascii_words:
        return fallback
    head, *rest = ascii_words
    name = head.lower() + "".join(w[:1].upper() + w[1:].lower() for w in rest)
    if not name[0].isalpha():
        name = fallback + name[:1].upper() + name[1:]
    return name[:64]


def slugify(tokens: Iterable[str], limit: int = 60) -> str:
    """A URL part: ['Applicant', 'first', 'name'] -> 'applicant-first-name' (cut at a hyphen)."""
    ascii_words = [re.sub(r"[^a-z0-9]", "", t.lower()) for t in tokens]
    slug = "-".join(w for w in ascii_words if w)
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug


def lower_words(*texts: str | None) -> list[str]:
    return [w.lower() for text in texts if text for w in words(text)]


def has_phrase(tokens: Sequence[str], phrase: str) -> bool:
    """True when the words of `phrase` appear in a row in `tokens`."""
    wanted = phrase.split()
    return any(list(tokens[i : i + len(wanted)]) == wanted for i in range(len(tokens) - len(wanted) + 1))


def looks_like(tokens: Sequence[str]) -> str | None:
    """The kind of answer words from a name and tooltip suggest: email, nino, phone, postcode,
    month-year, date, number; None when they suggest nothing."""
    found = set(tokens)
    if "email" in found or has_phrase(tokens, "e mail"):
        return "email"
    if "nino" in found or has_phrase(tokens, "national insurance") or has_phrase(tokens, "ni number"):
        return "nino"
    if has_phrase(tokens, "ni no"):
        return "nino"
    if found & {"phone", "telephone", "tel", "mobile", "landline"}:
        return "phone"
    if "postcode" in found or has_phrase(tokens, "post code") or has_phrase(tokens, "postal code"):
        return "postcode"
    if "date" in found or "dob" in found or has_phrase(tokens, "birth"):
        if "day" not in found and (
            has_phrase(tokens, "month and year")
            or has_phrase(tokens, "mm yyyy")
            or has_phrase(tokens, "mm yy")
        ):
            return "month-year"
        return "date"
    if has_phrase(tokens, "number of") or has_phrase(tokens, "how many") or found & {"quantity", "qty"}:
        return "number"
    return None


#: Address parts by the words that name them; `line` is any part of the street address.
ADDRESS_WORDS = {
    "line": {"address", "addr", "street", "building", "house"},
    "town": {"town", "city"},
    "county": {"county"},
}
#: Words that make a field something else: an email or web address, a county parish holding number.
NOT_ADDRESS = {"email", "web", "website", "url", "ip", "parish", "cph"}


def address_part(tokens: Sequence[str]) -> str | None:
    """Which part of a UK address a text field holds (line, town, county, postcode), if any."""
    found = set(tokens)
    if looks_like(tokens) == "postcode":
        return "postcode"
    if found & NOT_ADDRESS or looks_like(tokens) is not None:
        return None
    for part, names in ADDRESS_WORDS.items():
        if found & names:
            return part
    return None


#: Date part by the last word of a field name: `dob_day`, `DateOfBirthMM`.
DATE_PARTS = {
    "day": "day",
    "dd": "day",
    "month": "month",
    "mm": "month",
    "year": "year",
    "yyyy": "year",
    "yy": "year",
}

#: Autocomplete tokens (WCAG 1.3.5) for text questions by the words in their name or tooltip.
AUTOCOMPLETE = (
    ("given-name", ("first name", "forename", "forenames", "given name")),
    ("family-name", ("last name", "surname", "family name")),
    ("name", ("full name",)),
    ("organization", ("organisation name", "organization name", "business name", "company name")),
)


def autocomplete(tokens: Sequence[str]) -> str | None:
    for token, phrases in AUTOCOMPLETE:
        if any(has_phrase(tokens, phrase) for phrase in phrases):
            return token
    return None
