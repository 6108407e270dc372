"""Identity data that only means something in context: dates of birth and passport numbers.

A date alone is everywhere in a notebook (logs, versions, data); a date after "date of birth",
"DOB", "born" or in a `dob` column is personal data. A 6-9 character code alone is an id of
anything; after "passport" (no., number, #) it is a travel document number. Both are found
only where their context word is (a substring test on the lowercased text first), so they cost
nothing on ordinary text and raise no alarm on dates and codes without that context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

DOB = "date of birth"
PASSPORT = "passport number"

DOB_WORDS = ("birth", "dob", "born", "geburt", "naissance", "nacimiento")
_MONTHS = "(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
_DATE = (
    r"(?:(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])"  # 1985-03-12
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d{2}"  # 12/03/1985, 12.03.1985
    r"|(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:19|20)\d{2}"  # 03/12/1985
    r"|(?:0?[1-9]|[12]\d|3[01])[ \t]+(?:" + _MONTHS + r")(?i:[a-z]{0,6})\.?,?[ \t]+(?:19|20)\d{2}"  # 12 March 1985
    r"|(?:"
    + _MONTHS
    + r")(?i:[a-z]{0,6})\.?[ \t]+(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?[ \t]+(?:19|20)\d{2})"  # March 12, 1985
)
# The context word, then at most a few words (a label, a name) before the date.
_DOB_AFTER_WORD = re.compile(
    r"(?i:\b(?:date[ \t_-]?of[ \t_-]?birth|birth[ \t_-]?date|birthday|d\.?o\.?b\.?|born(?:[ \t]+on)?|geburtsdatum"
    r"|date[ \t]+de[ \t]+naissance|fecha[ \t]+de[ \t]+nacimiento))\b[^\n\d]{0,40}?(?P<v>" + _DATE + r")(?!\d)",
)
_DATE_ONLY = re.compile(r"[ \t]*(?P<v>" + _DATE + r")(?![\d:])", re.IGNORECASE)

_PASSPORT = re.compile(
    r"(?i:(?:passport|reisepass|passeport|pasaporte)(?:[ \t_-]*(?:no\.?|number|num\.?|nr\.?|#|id))?(?:[ \t]+is)?)"
    r"[ \t]*[:=#]?[ \t]*[\"']?(?P<v>(?=[A-Z0-9]{6,9}\b)(?=[A-Z]{0,3}\d)[A-Z0-9]{6,9})\b"
)
PASSPORT_WORDS = ("passport", "reisepass", "passeport", "pasaporte")


# `or` chains, not any(genexpr): these run on every text with 4 digits, and a generator per text cost
# more than the substring tests themselves. The words are DOB_WORDS and PASSPORT_WORDS.
def mentions_birth(lowered: str) -> bool:
    return (
        "birth" in lowered
        or "dob" in lowered
        or "born" in lowered
        or "geburt" in lowered
        or "naissance" in lowered
        or "nacimiento" in lowered
    )


def mentions_passport(lowered: str) -> bool:
    return "passport" in lowered or "reisepass" in lowered or "passeport" in lowered or "pasaporte" in lowered


def dates_of_birth(text: str, lowered: str, column_is_dob: bool) -> Iterator[tuple[int, int]]:
    """Spans of dates a DOB context word (or a DOB column) marks as someone's date of birth."""
    if column_is_dob:
        for line in _lines(text):
            m = _DATE_ONLY.match(text, line[0], line[1])
            if m is not None:
                yield m.span("v")
        return
    if not mentions_birth(lowered):
        return
    for m in _DOB_AFTER_WORD.finditer(text):
        yield m.span("v")


def passport_numbers(text: str, lowered: str, column_is_passport: bool) -> Iterator[tuple[int, int]]:
    """Spans of document numbers after "passport (no./number/#)", or in a passport column."""
    if column_is_passport:
        for start, end in _lines(text):
            value = text[start:end].strip()
            if 6 <= len(value) <= 9 and value.isalnum() and value.upper() == value and any(c.isdigit() for c in value):
                offset = text.index(value, start)
                yield offset, offset + len(value)
        return
    if not mentions_passport(lowered):
        return
    for m in _PASSPORT.finditer(text):
        value = m.group("v")
        if not value.isdigit() or len(set(value)) > 2:  # "000000", "111111111": filler
            yield m.span("v")


def _lines(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        yield start, end
        start = end + 1
