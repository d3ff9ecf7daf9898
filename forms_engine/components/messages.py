"""Every message a user can see from a component, in one place so it can be translated.

Wording follows the GOV.UK Design System's guidance for each component. `{label}` is the question's
short title with a lower-case first letter ("your date of birth"); `{Label}` the same with a capital.
"""

from __future__ import annotations

OPTIONAL_SUFFIX = "(optional)"
NOT_ANSWERED = "Not answered"
YES = "Yes"
NO = "No"

REQUIRED = "Enter {label}"
REQUIRED_CHOICE = "Select {label}"
REQUIRED_DECLARATION = "Confirm you understand and agree with the declaration"

TOO_SHORT = "{Label} must be {count} characters or more"
TOO_LONG = "{Label} must be {count} characters or less"
TOO_MANY_WORDS = "{Label} must be {count} words or fewer"
BAD_FORMAT = "Enter {label} in the correct format"

NUMBER_NOT_NUMBER = "{Label} must be a number"
NUMBER_NOT_WHOLE = "{Label} must be a whole number"
NUMBER_TOO_MANY_DECIMALS = "{Label} must have {count} decimal places or fewer"
NUMBER_MIN = "{Label} must be {min} or more"
NUMBER_MAX = "{Label} must be {max} or less"
NUMBER_BETWEEN = "{Label} must be between {min} and {max}"

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.com"
PHONE_FORMAT = "Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192"
NINO_REQUIRED = "Enter a National Insurance number"
NINO_FORMAT = "Enter a National Insurance number in the correct format, like QQ 12 34 56 C"
POSTCODE_REQUIRED = "Enter postcode"
POSTCODE_FORMAT = "Enter a full UK postcode, like AA3 1AB"
ADDRESS_LINE_1_REQUIRED = "Enter address line 1, typically the building and street"
ADDRESS_TOWN_REQUIRED = "Enter town or city"
ADDRESS_LINE_TOO_LONG = "{part} must be {count} characters or less"

DATE_REQUIRED = "Enter {label}"
DATE_MISSING_PARTS = "{Label} must include a {parts}"
DATE_NOT_REAL = "{Label} must be a real date"
DATE_YEAR_DIGITS = "Year must include 4 numbers"
DATE_BEFORE_EARLIEST = "{Label} must be the same as or after {date}"
DATE_AFTER_LATEST = "{Label} must be the same as or before {date}"
DATE_IN_PAST = "{Label} must be today or in the past"
DATE_IN_FUTURE = "{Label} must be today or in the future"

CHOICE_MIN = "Select at least {count} options for {label}"
CHOICE_MAX = "Select no more than {count} options for {label}"
CHOICE_INVALID = "Select {label} from the list"

DAY, MONTH, YEAR = "Day", "Month", "Year"
ADDRESS_LINE_1 = "Address line 1"
ADDRESS_LINE_2 = "Address line 2 (optional)"
ADDRESS_TOWN = "Town or city"
ADDRESS_COUNTY = "County (optional)"
ADDRESS_POSTCODE = "Postcode"
WORD_LIMIT_HINT = "You can enter up to {count} words"


def lower_first(text: str) -> str:
    """'Date of birth' -> 'date of birth', but keep acronyms such as 'CPH number' and names such as
    'National Insurance number' (a capitalised second word) as they are."""
    words = text.split()
    if len(words) > 1 and words[1][:1].isupper():
        return text
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def join_parts(parts: list[str]) -> str:
    """['day', 'month'] -> 'day and month'."""
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
