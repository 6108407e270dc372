r"""Personal data in notebook text, found by validators instead of an NLP model.

Kinds: email addresses, phone numbers, US SSNs, payment card numbers, IBANs, IPv4 addresses, and
(next to their context word or in their column only) dates of birth and passport numbers.
Each has a cheap pre-filter ("@" for email; 4 digits for IPs; 9 digits for the rest), then a
literal *anchor* searched in a skeleton of the text (ASCII digits turned to "0", capitals to
"A", same offsets): "000-00-0000" for SSNs, "0000" for cards, "AA00" for IBANs. Python's
`re` finds a literal with a fast substring search, where a pattern opening with `\d` enters
the matcher at every digit of a numeric output. At each anchor one full pattern is matched
(linear: no nested quantifiers that could split the same characters two ways), then a
validator decides: checksums (Luhn, mod 97), issuing rules (SSN areas, card IIN ranges,
IBAN lengths per country, NANP area codes) and the look-alikes notebooks are full of
(dates, versions, floats, ids, hashes, loopback and documentation addresses).

Confidence starts from what the value looks like, goes up one step in outputs (printed
records are the classic leak) and to high in a DataFrame column named like personal
data; it drops to low for well-known test values and for code or markdown lines that
read like documentation ("e.g. jane@corp.com"). Nothing here logs or prints a value.

This module is the entry point (gates, overlaps, confidence, column names); the finders and
validators live by kind: `pii_contact` (email, phone, IP), `pii_numbers` (SSN, card, IBAN),
`pii_identity` (date of birth, passport), and `pii_base` holds the record they share.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook import pii_identity
from nbsec.scanners.notebook.content_rules import PII_EXPOSED
from nbsec.scanners.notebook.detectors import Match, TextContext, lowered_text
from nbsec.scanners.notebook.pii_base import HIGH, LOW, MEDIUM, TEST_VALUE, Found
from nbsec.scanners.notebook.pii_contact import EMAIL, IP, PHONE, emails, ips, phones
from nbsec.scanners.notebook.pii_numbers import CARD, IBAN, SSN, cards, iban_ok, ibans, luhn_ok, ssns

# What other modules and the tests import from here (the finders moved; their names did not).
__all__ = [
    "CARD",
    "DOB",
    "EMAIL",
    "IBAN",
    "IP",
    "PASSPORT",
    "PERSON",
    "PHONE",
    "PRIORITY",
    "SSN",
    "column_hints",
    "find_pii",
    "iban_ok",
    "luhn_ok",
]

PERSON = "person"  # a column hint that fits every kind: name, customer, address, ...
DOB = pii_identity.DOB
PASSPORT = pii_identity.PASSPORT

MAX_PER_KIND = 1000  # a column of a million emails is one problem; keep the work bounded
PRIORITY = (IBAN, CARD, SSN, PASSPORT, EMAIL, IP, DOB, PHONE)  # on overlap, the stronger validator wins
LEVELS = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)
OUTPUT_PARTS = frozenset({"kernel-variable"})  # besides every "output-*" part
SOURCE_PARTS = frozenset({"code", "markdown", "raw"})

# Same length and offsets as the text: ASCII digits -> "0", capitals -> "A", non-ASCII -> "?".
SKELETON = bytes.maketrans(b"123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000" + b"A" * 25)
DOCS = re.compile(
    r"(?i)\b(?:e\.g|i\.e|example|examples|for instance|such as|format|formatted|placeholder|sample|dummy|fake|"
    r"mock|lorem|xxx+|your|fictional|synthetic|redacted)\b"
)


# --- column names -------------------------------------------------------------------------------

# Whole words of a column name ("user_email" -> user, email; "phoneNumber" -> phone, number).
COLUMN_WORDS: dict[str, frozenset[str]] = {
    EMAIL: frozenset({"email", "emails", "mail", "mailaddress"}),  # "e-mail" joins to "email"
    PHONE: frozenset({"phone", "phones", "mobile", "tel", "telephone", "cellphone", "fax", "msisdn"}),
    SSN: frozenset({"ssn", "ssns"}),
    CARD: frozenset({"card", "cards", "cc", "ccn", "ccnum", "pan", "creditcard", "cardnumber", "cardno"}),
    IBAN: frozenset({"iban", "account", "acct", "bank", "bankaccount", "accountnumber"}),
    IP: frozenset({"ip", "ips", "ipv4", "ipaddr", "ipaddress", "remoteaddr", "clientip", "srcip", "dstip", "host"}),
    DOB: frozenset({"dob", "birthdate", "birthday", "dateofbirth", "born"}),
    PASSPORT: frozenset({"passport", "passportno", "passportnumber", "passportnum"}),
    PERSON: frozenset(
        (
            "name firstname lastname fullname surname address dob birthdate birthday customer patient person "
            "user username contact employee member client"
        ).split()
    ),
}
# Fragments that mark a column even inside a compound word ("workemail", "homephone").
COLUMN_FRAGMENTS: dict[str, tuple[str, ...]] = {
    EMAIL: ("email",),
    PHONE: ("phone", "mobile"),
    SSN: ("socialsecurity",),
    CARD: ("creditcard", "cardnumber", "cardno"),
    IBAN: ("iban",),
    IP: ("ipaddr",),
}
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
NON_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=4096)
def column_hints(column: str | None) -> frozenset[str]:
    """The PII kinds a column name suggests ("Work Email" -> {email address}); cached: names repeat."""
    if not column:
        return frozenset()
    lowered = CAMEL.sub("_", column[:200]).lower()
    words = [w for w in NON_ALNUM.split(lowered) if w]
    joined = "".join(words)
    hints = {kind for kind, names in COLUMN_WORDS.items() if names.intersection(words) or joined in names}
    hints |= {kind for kind, parts in COLUMN_FRAGMENTS.items() if any(p in joined for p in parts)}
    return frozenset(hints)


# --- putting it together ------------------------------------------------------------------------


def find_pii(text: str, context: TextContext) -> Iterator[Match]:
    """Personal data in `text` as Matches of rule PII_EXPOSED, in text order, never overlapping."""
    hints = column_hints(context.column)
    for item in _dedupe(_candidates(text, context, hints)):
        confidence, severity = _confidence(item, text, context, bool(hints)), item.severity
        if item.kind == EMAIL and context.part in SOURCE_PARTS and _authorship(text, item.start):
            confidence, severity = Confidence.LOW, Severity.LOW  # an author's published contact
        yield Match(
            rule=PII_EXPOSED,
            start=item.start,
            end=item.end,
            value=text[item.start : item.end],
            kind=item.kind,
            confidence=confidence,
            severity=severity,
        )


# Lines where source code names its authors: copyright headers, `__author_email__`, "Author: X <x@y>".
AUTHORSHIP = re.compile(
    r"copyright|\(c\)|author|maintainer|contributor|credits|written by|contact|__email__|\bvon:", re.IGNORECASE
)


def _authorship(text: str, start: int) -> bool:
    """The email's line credits an author, or continues a list the line before began (no `=` of its own)."""
    line_start = text.rfind("\n", 0, start) + 1
    if AUTHORSHIP.search(text, line_start, start) is not None:
        return True
    line_end = text.find("\n", start)
    own_line = text[line_start : line_end if line_end >= 0 else len(text)]
    if line_start == 0 or "=" in own_line:
        return False
    before = text.rfind("\n", 0, line_start - 1) + 1
    return AUTHORSHIP.search(text, before, line_start) is not None


def _candidates(text: str, context: TextContext, hints: frozenset[str]) -> list[Found]:
    found: list[Found] = []
    if "@" in text:
        found += _capped(emails(text, context.part))
    skeleton = text.encode("ascii", "replace").translate(SKELETON).decode("ascii")
    digits = skeleton.count("0")
    # Substring gates (C speed) skip a kind before any regex or generator is set up: most
    # texts a notebook holds are short, and per-call overhead is what they cost.
    if digits >= 4 and "0.0" in skeleton:
        found += _capped(ips(text, skeleton))
    if digits >= 4:
        found += _identity(text, hints)
    if digits < 9:
        return found  # every other kind has at least 9 digits (SSN 9, phone 9, card 13, IBAN 11)
    if "AA00" in skeleton:
        found += _capped(ibans(text, skeleton))
    if "0000" in skeleton:
        found += _capped(cards(text, skeleton, CARD in hints))
    if SSN in hints or "0-00-0" in skeleton:
        found += _capped(ssns(text, skeleton, SSN in hints))
    found += _capped(phones(text, skeleton, PHONE in hints))
    return found


def _identity(text: str, hints: frozenset[str]) -> list[Found]:
    """Dates of birth and passport numbers: only next to their context word or in their column."""
    lowered = lowered_text(text)  # the secret detectors lowercased this same text just before
    dob_column, passport_column = DOB in hints, PASSPORT in hints
    dob = dob_column or pii_identity.mentions_birth(lowered)
    passport = passport_column or pii_identity.mentions_passport(lowered)
    if not (dob or passport):
        return []  # most texts: two cheap tests and out
    found = []
    if dob:
        for start, end in pii_identity.dates_of_birth(text, lowered, dob_column):
            found.append(Found(DOB, start, end, MEDIUM, Severity.MEDIUM))
    if passport:
        for start, end in pii_identity.passport_numbers(text, lowered, passport_column):
            found.append(Found(PASSPORT, start, end, MEDIUM, Severity.HIGH))
    return found[:MAX_PER_KIND]


def _capped(items: Iterator[Found]) -> list[Found]:
    out: list[Found] = []
    for item in items:
        out.append(item)
        if len(out) >= MAX_PER_KIND:
            break
    return out


def _dedupe(found: list[Found]) -> list[Found]:
    """Keep the strongest kind where candidates overlap (an IBAN's digits are not also a phone)."""
    if len(found) < 2:
        return found
    kept: list[Found] = []  # non-overlapping, sorted by start
    starts: list[int] = []
    for item in sorted(found, key=lambda f: (PRIORITY.index(f.kind), f.start)):
        i = bisect.bisect_left(starts, item.start)
        if (i > 0 and kept[i - 1].end > item.start) or (i < len(kept) and kept[i].start < item.end):
            continue
        kept.insert(i, item)
        starts.insert(i, item.start)
    return kept


def _confidence(item: Found, text: str, context: TextContext, hinted: bool) -> Confidence:
    if item.base == TEST_VALUE:
        return Confidence.LOW
    if hinted:
        return Confidence.HIGH
    level = item.base
    if context.part.startswith("output-") or context.part in OUTPUT_PARTS:
        level += 1
    elif context.part in SOURCE_PARTS and _reads_like_docs(text, item.start, item.end):
        level = LOW
    return LEVELS[min(level, HIGH)]


def _reads_like_docs(text: str, start: int, end: int) -> bool:
    """The value's line says it is an example ("e.g.", "format", "placeholder", "your ...")."""
    newline = text.rfind("\n", max(0, start - 160), start)
    lo = newline + 1 if newline >= 0 else max(0, start - 160)
    hi = text.find("\n", end, end + 160)
    return DOCS.search(text, lo, hi if hi >= 0 else min(len(text), end + 160)) is not None
