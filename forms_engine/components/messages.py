"""Every message a user can see from a component, in one place so it can be translated.

Wording follows the GOV.UK Design System's guidance for each component. `{label}` is the question's
short title with a lower-case first letter ("your date of birth"); `{Label}` the same with a capital.
"""

from __future__ import annotations

from ..i18n import N_, translate

OPTIONAL_SUFFIX = N_("(optional)")
NOT_ANSWERED = N_("Not answered")
YES = N_("Yes")
NO = N_("No")

REQUIRED = N_("Enter {label}")
REQUIRED_CHOICE = N_("Select {label}")
REQUIRED_DECLARATION = N_("Confirm you understand and agree with the declaration")

TOO_SHORT = N_("{Label} must be {count} characters or more")
TOO_LONG = N_("{Label} must be {count} characters or less")
TOO_MANY_WORDS = N_("{Label} must be {count} words or fewer")
BAD_FORMAT = N_("Enter {label} in the correct format")

NUMBER_NOT_NUMBER = N_("{Label} must be a number")
NUMBER_NOT_WHOLE = N_("{Label} must be a whole number")
NUMBER_TOO_MANY_DECIMALS = N_("{Label} must have {count} decimal places or fewer")
NUMBER_MIN = N_("{Label} must be {min} or more")
NUMBER_MAX = N_("{Label} must be {max} or less")
NUMBER_BETWEEN = N_("{Label} must be between {min} and {max}")

EMAIL_FORMAT = N_("Enter an email address in the correct format, like name@example.com")
PHONE_FORMAT = N_("Enter a telephone number, like 01632 960 001, 07700 900 982 or +44 808 157 0192")
NINO_REQUIRED = N_("Enter a National Insurance number")
NINO_FORMAT = N_("Enter a National Insurance number in the correct format, like QQ 12 34 56 C")
POSTCODE_REQUIRED = N_("Enter postcode")
POSTCODE_FORMAT = N_("Enter a full UK postcode, like AA3 1AB")
ADDRESS_LINE_1_REQUIRED = N_("Enter address line 1, typically the building and street")
ADDRESS_TOWN_REQUIRED = N_("Enter town or city")
ADDRESS_LINE_TOO_LONG = N_("{Part} must be {count} characters or less")

DATE_REQUIRED = N_("Enter {label}")
DATE_MISSING_PARTS = N_("{Label} must include a {parts}")
DATE_NOT_REAL = N_("{Label} must be a real date")
DATE_YEAR_DIGITS = N_("Year must include 4 numbers")
DATE_BEFORE_EARLIEST = N_("{Label} must be the same as or after {date}")
DATE_AFTER_LATEST = N_("{Label} must be the same as or before {date}")
DATE_IN_PAST = N_("{Label} must be today or in the past")
DATE_IN_FUTURE = N_("{Label} must be today or in the future")

CHOICE_MIN = N_("Select at least {count} options for {label}")
CHOICE_MAX = N_("Select no more than {count} options for {label}")
CHOICE_INVALID = N_("Select {label} from the list")

DAY, MONTH, YEAR = N_("Day"), N_("Month"), N_("Year")
#: Date parts as named inside a message: "Date of birth must include a day and month".
PART_NAMES = {"day": N_("day"), "month": N_("month"), "year": N_("year")}
AND = N_("{first} and {last}")
#: Address part labels; "(optional)" is added to the parts that are.
ADDRESS_LINE_1 = N_("Address line 1")
ADDRESS_LINE_2 = N_("Address line 2")
ADDRESS_TOWN = N_("Town or city")
ADDRESS_COUNTY = N_("County")
ADDRESS_POSTCODE = N_("Postcode")
WORD_LIMIT_HINT = N_("You can enter up to {count} words")

#: Read out before an error message by screen readers ("Error: Enter your name").
ERROR_HIDDEN_PREFIX = N_("Error")
DECLARATION_CONFIRM = N_("I understand and agree")
WARNING = N_("Warning")

#: GOV.UK Frontend's character count texts, passed to the macro when the page is not in English.
#: `%{count}` is filled in by GOV.UK Frontend's JavaScript.
CHARACTER_COUNT_DESCRIPTION = {
    "characters": N_("You can enter up to %{count} characters"),
    "words": N_("You can enter up to %{count} words"),
}
#: Macro parameter -> text; those ending "LimitText" but not "AtLimitText" take a plural form each.
CHARACTER_COUNT_TEXTS = {
    "charactersUnderLimitText": N_("You have %{count} characters remaining"),
    "charactersAtLimitText": N_("You have 0 characters remaining"),
    "charactersOverLimitText": N_("You have %{count} characters too many"),
    "wordsUnderLimitText": N_("You have %{count} words remaining"),
    "wordsAtLimitText": N_("You have 0 words remaining"),
    "wordsOverLimitText": N_("You have %{count} words too many"),
}


#: File upload (FileUploadField). `{types}` is the accepted types ("PDF, JPG or PNG"), `{size}` the
#: largest size ("10MB"), `{filename}` the file's name when several were chosen at once.
FILE_REQUIRED = N_("Select {label}")
FILE_WRONG_TYPE = N_("The selected file must be a {types}")
FILE_TOO_BIG = N_("The selected file must be smaller than {size}")
FILE_EMPTY = N_("The selected file is empty")
FILE_VIRUS = N_("The selected file contains a virus")
FILE_SCAN_FAILED = N_("The selected file could not be checked for viruses – try again")  # noqa: RUF001 - GOV.UK's en dash
FILE_NOT_STORED = N_("The selected file could not be uploaded – try again")  # noqa: RUF001 - GOV.UK's en dash
FILE_TOO_MANY = N_("You can only upload {count} files")
FILE_TOO_MANY_ONE = N_("You can only upload 1 file")
FILE_TOO_FEW = N_("Select at least {count} files")
FILES_UPLOADED = N_("Files uploaded")
FILE_REMOVE = N_("Remove")
OR = N_("{first} or {last}")
#: The same messages naming the file, for when several files were chosen at once.
FILE_NAMED = {
    FILE_WRONG_TYPE: N_("{filename} must be a {types}"),
    FILE_TOO_BIG: N_("{filename} must be smaller than {size}"),
    FILE_EMPTY: N_("{filename} is empty"),
    FILE_VIRUS: N_("{filename} contains a virus"),
    FILE_SCAN_FAILED: N_("{filename} could not be checked for viruses – try again"),  # noqa: RUF001 - GOV.UK's en dash
    FILE_NOT_STORED: N_("{filename} could not be uploaded – try again"),  # noqa: RUF001 - GOV.UK's en dash
}
#: "an XLSX" rather than "a XLSX": the messages for a list of types that starts with a vowel sound.
FILE_ARTICLE_AN = {
    FILE_WRONG_TYPE: N_("The selected file must be an {types}"),
    FILE_NAMED[FILE_WRONG_TYPE]: N_("{filename} must be an {types}"),
}


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


def join_parts(parts: list[str], language: str = "en") -> str:
    """['day', 'month'] -> 'day and month' ('diwrnod a mis' in Welsh)."""
    names = [translate(PART_NAMES.get(part, part), language) for part in parts]
    if len(names) <= 1:
        return "".join(names)
    return translate(AND, language).format(first=", ".join(names[:-1]), last=names[-1])
