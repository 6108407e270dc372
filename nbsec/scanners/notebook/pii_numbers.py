"""Personal data that is a checked number: US SSNs, payment card numbers and IBANs.

Split from `pii` (the entry point, which gates each finder and sets confidence) so that each
module stays readable. All three have at least 9 digits and a rule to check them by: SSA area
and group rules, card IIN ranges with the Luhn checksum, IBAN lengths per country with ISO 7064
mod 97. Each finder searches a literal anchor in the *skeleton* `pii` builds once per text
(ASCII digits -> "0", capitals -> "A", same offsets), matches one full pattern there and yields
`Found` candidates; well-known test values come back as TEST_VALUE (reported at low confidence).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from nbsec.model import Severity
from nbsec.scanners.notebook.pii_base import LOW, MEDIUM, TEST_VALUE, Found

SSN = "US SSN"
CARD = "payment card number"
IBAN = "IBAN"


# --- US social security numbers ---------------------------------------------------------------

SSN_ANCHOR = re.compile(r"000-00-0000")  # in the skeleton
SSN_RE = re.compile(r"(?<![\w\-.])(\d{3})-(\d{2})-(\d{4})(?![\w\-]|\.\d)", re.ASCII)
SSN_PLAIN_RE = re.compile(r"(?<![\w\-.+])(\d{3})(\d{2})(\d{4})(?![\w\-]|\.\d)", re.ASCII)  # in an SSN column
VOIDED_SSNS = frozenset({"078051120", "219099999"})  # printed on wallet inserts and ads, voided by the SSA
PLACEHOLDER_SSNS = frozenset({"123456789", "987654321"})


def ssns(text: str, skeleton: str, hinted: bool) -> Iterator[Found]:
    matches: Iterable[re.Match[str] | None] = (SSN_RE.match(text, a.start()) for a in SSN_ANCHOR.finditer(skeleton))
    if hinted:
        matches = itertools.chain(matches, SSN_PLAIN_RE.finditer(text))
    for match in matches:
        if match is not None:
            base = _ssn_base(match.group(1), match.group(2), match.group(3))
            if base is not None:
                yield Found(SSN, match.start(), match.end(), base, Severity.HIGH)


def _ssn_base(area: str, group: str, serial: str) -> int | None:
    """SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000":
        return None
    digits = area + group + serial
    if digits in VOIDED_SSNS:
        return None
    if digits in PLACEHOLDER_SSNS or len(set(digits)) == 1:
        return TEST_VALUE
    return MEDIUM


# --- payment cards ------------------------------------------------------------------------------

# 13-19 digits, single spaces or dashes allowed between digits; not inside a longer number,
# a float ("0.4111111111111111") or an id glued to letters.
CARD_RE = re.compile(r"(?<![\w\-.])\d(?:[ \-]?\d){12,18}(?![\w]|[ \-.]?\d)", re.ASCII)
# In the skeleton: every card layout opens with 4 + 4 digits. Lookbehinds go *after* the literal
# so that `re` keeps its fast literal search (a leading lookbehind turns it off).
CARD_ANCHOR = re.compile(r"0000(?<![\w.\-]0000)(?=[ \-]?0000)")
# (prefixes, lengths, brand) in the order they are tried: IIN ranges per brand.
CARD_BRANDS: tuple[tuple[tuple[str, ...], frozenset[int]], ...] = (
    (("4",), frozenset({13, 16, 19})),  # Visa
    (tuple(str(p) for p in range(51, 56)) + tuple(str(p) for p in range(2221, 2721)), frozenset({16})),  # Mastercard
    (("34", "37"), frozenset({15})),  # American Express
    (("6011", "65") + tuple(str(p) for p in range(644, 650)), frozenset({16, 17, 18, 19})),  # Discover
    (tuple(str(p) for p in range(3528, 3590)), frozenset({16, 17, 18, 19})),  # JCB
    (("62",), frozenset({16, 17, 18, 19})),  # UnionPay
    (("36", "38") + tuple(str(p) for p in range(300, 306)), frozenset({14})),  # Diners Club
)
TEST_CARDS = frozenset(
    {
        "4111111111111111",
        "4242424242424242",
        "4012888888881881",
        "4222222222222",
        "4000056655665556",
        "4000000000000002",
        "4000000000000077",
        "5555555555554444",
        "5105105105105100",
        "5200828282828210",
        "2223003122003222",
        "378282246310005",
        "371449635398431",
        "378734493671000",
        "6011111111111117",
        "6011000990139424",
        "3530111333300000",
        "3566002020360505",
        "6200000000000005",
        "30569309025904",
        "38520000023237",
        "36227206271667",
    }
)


def cards(text: str, skeleton: str, hinted: bool) -> Iterator[Found]:
    done = 0
    for anchor in CARD_ANCHOR.finditer(skeleton):
        if anchor.start() < done:
            continue  # inside the card just found
        match = CARD_RE.match(text, anchor.start())  # the lookbehind rejects anchors inside a longer number
        if match is None:
            continue
        base = _card_base(match.group(0), hinted)
        if base is not None:
            done = match.end()
            yield Found(CARD, match.start(), match.end(), base, Severity.HIGH)


def _card_base(value: str, hinted: bool) -> int | None:
    digits = value.replace(" ", "").replace("-", "")
    separators = set(value) - set(digits)
    if len(separators) > 1 or len(set(digits)) == 1:
        return None
    if separators and not _card_grouping(value.replace("-", " ").split(" ")):
        return None  # "1 2 3 4 ..." from a printed array, not a card
    if not _card_brand(digits) or not luhn_ok(digits):
        return None
    if digits in TEST_CARDS or len(set(digits)) <= 2:
        return TEST_VALUE
    # Without separators a Luhn-valid number may be any long id (1 in 10 pass); with them it reads as a card.
    return MEDIUM if separators or hinted else LOW


def _card_grouping(groups: list[str]) -> bool:
    sizes = [len(g) for g in groups]
    if sizes in ([4, 6, 5], [4, 6, 4]):  # Amex, Diners
        return True
    return all(s == 4 for s in sizes[:-1]) and 1 <= sizes[-1] <= 4


def _card_brand(digits: str) -> bool:
    return any(len(digits) in lengths and digits.startswith(prefixes) for prefixes, lengths in CARD_BRANDS)


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) checksum every payment card number carries."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = ord(char) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# --- IBAN ---------------------------------------------------------------------------------------

IBAN_ANCHOR = re.compile(r"AA00")  # in the skeleton
IBAN_RE = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2})(\d{2})((?: ?[A-Z0-9]{4}){2,8}(?: ?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])")
# Total IBAN length per country (ISO 13616 registry), for the countries an analyst meets most.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24,
    "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21,
    "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21,
    "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30,
    "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip
TEST_IBANS = frozenset(
    {
        "GB82WEST12345698765432",
        "GB29NWBK60161331926819",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "BE68539007547034",
        "ES9121000418450200051332",
        "IT60X0542811101000000123456",
        "CH9300762011623852957",
        "AT611904300234573201",
    }
)


def ibans(text: str, skeleton: str) -> Iterator[Found]:
    for anchor in IBAN_ANCHOR.finditer(skeleton):
        match = IBAN_RE.match(text, anchor.start())
        if match is None:
            continue
        expected = IBAN_LENGTHS.get(match.group(1))
        if expected is None:
            continue
        end = _iban_end(text, match.start(), match.end(), expected)
        if end is None:
            continue
        compact = text[match.start() : end].replace(" ", "")
        if iban_ok(compact):
            base = TEST_VALUE if compact in TEST_IBANS else MEDIUM
            yield Found(IBAN, match.start(), end, base, Severity.HIGH)


def _iban_end(text: str, start: int, end: int, expected: int) -> int | None:
    """Where the IBAN ends: its country's length, cut at a space if the next word was swallowed."""
    count = 0
    for i in range(start, end):
        if text[i] != " ":
            count += 1
            if count == expected:
                return i + 1 if i + 1 == end or text[i + 1] == " " else None
    return None


def iban_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10: move the first four characters to the end, letters to 10..35, remainder 1."""
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in rearranged)
    return int(number) % 97 == 1
