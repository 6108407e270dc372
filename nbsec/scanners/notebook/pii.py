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
"""

from __future__ import annotations

import bisect
import ipaddress
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from nbsec.model import Confidence, Severity
from nbsec.scanners.notebook import pii_identity
from nbsec.scanners.notebook.content_rules import PII_EXPOSED
from nbsec.scanners.notebook.detectors import Match, TextContext, lowered_text

EMAIL = "email address"
PHONE = "phone number"
SSN = "US SSN"
CARD = "payment card number"
IBAN = "IBAN"
IP = "IP address"
PERSON = "person"  # a column hint that fits every kind: name, customer, address, ...
DOB = pii_identity.DOB
PASSPORT = pii_identity.PASSPORT

MAX_PER_KIND = 1000  # a column of a million emails is one problem; keep the work bounded
PRIORITY = (IBAN, CARD, SSN, PASSPORT, EMAIL, IP, DOB, PHONE)  # on overlap, the stronger validator wins
LOW, MEDIUM, HIGH = 0, 1, 2
LEVELS = (Confidence.LOW, Confidence.MEDIUM, Confidence.HIGH)
TEST_VALUE = -1  # a documented test value: reported, but at low confidence whatever the context
OUTPUT_PARTS = frozenset({"kernel-variable"})  # besides every "output-*" part
SOURCE_PARTS = frozenset({"code", "markdown", "raw"})

# Same length and offsets as the text: ASCII digits -> "0", capitals -> "A", non-ASCII -> "?".
SKELETON = bytes.maketrans(b"123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000" + b"A" * 25)
DOCS = re.compile(
    r"(?i)\b(?:e\.g|i\.e|example|examples|for instance|such as|format|formatted|placeholder|sample|dummy|fake|"
    r"mock|lorem|xxx+|your|fictional|synthetic|redacted)\b"
)


@dataclass(frozen=True)
class _Found:
    kind: str
    start: int
    end: int
    base: int  # LOW / MEDIUM / HIGH before context, or TEST_VALUE
    severity: Severity


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


# --- email --------------------------------------------------------------------------------------

EMAIL_RE = re.compile(
    r"(?<![\w.%+\-/])"  # not the tail of a longer token or a URL path
    r"[A-Za-z0-9_][A-Za-z0-9._%+\-]{0,63}"
    r"@"
    r"((?:[A-Za-z0-9\-]{1,63}\.){1,8}([A-Za-z]{2,24}))"  # labels cannot hold dots: one way to split
    r"(?![\w\-]|\.[\w\-])"  # "x@self.proj.T" is an attribute chain, not an address
)
EMAIL_SPAN = 64 + 1 + 8 * 64 + 24  # longest candidate: the match never needs to look further
RESERVED_DOMAINS = frozenset({"example.com", "example.org", "example.net", "example.edu"})  # RFC 2606
RESERVED_SUFFIXES = tuple("." + d for d in RESERVED_DOMAINS)
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local", "internal", "lan", "localdomain"})
FILE_EXTENSIONS = frozenset(
    (
        "png jpg jpeg gif svg webp ico bmp tif tiff avif js mjs css map json html htm txt yaml yml ipynb "
        "whl tgz gz csv woff woff2 ttf"
    ).split()
)
NO_REPLY = frozenset(
    {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply", "mailer-daemon", "postmaster"}
)
RETINA = re.compile(r"\d+(?:\.\d+)?x\Z", re.IGNORECASE)  # icon@2x.png, logo@1.5x.webp
# Top-level domains that code uses as attribute names are rare; in code cells an address must
# end in a two-letter country domain or one of these, so `attn = q@k.transpose` stays code.
COMMON_TLDS = frozenset(
    (
        "com org net edu gov mil int info biz name pro app dev xyz online site tech cloud email mail "
        "company health bank museum aero coop jobs mobi asia travel shop store blog news"
    ).split()
)
LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


def _emails(text: str, part: str) -> Iterator[_Found]:
    """Match once per "@", from the start of the local part before it: the work per "@" is bounded
    (a text of a million "@"s costs a million short steps, not a million window searches)."""
    at = text.find("@")
    while at >= 0:
        start = at
        while start > at - 64 and start > 0 and text[start - 1] in LOCAL_CHARS:
            start -= 1
        match = EMAIL_RE.match(text, start, min(len(text), at + EMAIL_SPAN)) if start < at else None
        if match is not None and _email_ok(text, match, part):
            yield _Found(EMAIL, match.start(), match.end(), MEDIUM, Severity.MEDIUM)
        at = text.find("@", match.end() if match is not None else at + 1)


def _email_ok(text: str, match: re.Match[str], part: str) -> bool:
    value = match.group(0)
    local, _, domain = value.rpartition("@")
    domain = domain.lower()
    tld = match.group(2).lower()
    labels = domain.split(".")
    if tld in FILE_EXTENSIONS or tld in RESERVED_TLDS or RETINA.match(labels[0]):
        return False
    if domain in RESERVED_DOMAINS or domain.endswith(RESERVED_SUFFIXES):
        return False
    if domain.startswith("-") or "-." in domain or ".-" in domain:
        return False  # a label starts or ends with a hyphen
    if local.lower() in NO_REPLY or local == "git" or ".." in local or local.endswith("."):
        return False
    if part == "code" and len(tld) > 2 and tld not in COMMON_TLDS:
        return False
    end = match.end()
    after = text[end : end + 2]
    if after.startswith("(") or (after.startswith(":") and after[1:2] not in ("", " ", "\n", "\t")):
        return False  # a method call, or an scp-style remote "user@host:path"
    return not _in_url(text, match.start())


def _in_url(text: str, start: int) -> bool:
    """user@host inside "scheme://user@host/...": credentials or a remote, not a person's address."""
    window = text[max(0, start - 256) : start]
    if "://" not in window:
        return False
    cut = max(window.rfind(c) for c in " \t\n\"'<>(")
    return "://" in window[cut + 1 :]


# --- US social security numbers ---------------------------------------------------------------

SSN_ANCHOR = re.compile(r"000-00-0000")  # in the skeleton
SSN_RE = re.compile(r"(?<![\w\-.])(\d{3})-(\d{2})-(\d{4})(?![\w\-]|\.\d)", re.ASCII)
SSN_PLAIN_RE = re.compile(r"(?<![\w\-.+])(\d{3})(\d{2})(\d{4})(?![\w\-]|\.\d)", re.ASCII)  # in an SSN column
VOIDED_SSNS = frozenset({"078051120", "219099999"})  # printed on wallet inserts and ads, voided by the SSA
PLACEHOLDER_SSNS = frozenset({"123456789", "987654321"})


def _ssns(text: str, skeleton: str, hinted: bool) -> Iterator[_Found]:
    matches: Iterable[re.Match[str] | None] = (SSN_RE.match(text, a.start()) for a in SSN_ANCHOR.finditer(skeleton))
    if hinted:
        matches = itertools.chain(matches, SSN_PLAIN_RE.finditer(text))
    for match in matches:
        if match is not None:
            base = _ssn_base(match.group(1), match.group(2), match.group(3))
            if base is not None:
                yield _Found(SSN, match.start(), match.end(), base, Severity.HIGH)


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


def _cards(text: str, skeleton: str, hinted: bool) -> Iterator[_Found]:
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
            yield _Found(CARD, match.start(), match.end(), base, Severity.HIGH)


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


def _ibans(text: str, skeleton: str) -> Iterator[_Found]:
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
            yield _Found(IBAN, match.start(), end, base, Severity.HIGH)


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


# --- IP addresses -------------------------------------------------------------------------------

IPV4_RE = re.compile(r"(?<![\w.\-])(?:\d{1,3}\.){3}\d{1,3}(?![\w\-]|\.\d)", re.ASCII)
IPV4_ANCHOR = re.compile(r"\.(?=0{1,3}\.0{1,3}\.0)")  # in the skeleton: the first dot
VERSION_BEFORE = re.compile(r"(?i)(?:\bversion|\bver|\bv|\brelease|[=<>~!]=|@)\s*[:=]?\s*\Z")


def _ranges(*networks: str) -> tuple[tuple[int, int], ...]:
    """(first, last) integer bounds of each network: the hot path compares ints, not objects."""
    nets = [ipaddress.IPv4Network(n) for n in networks]
    return tuple((int(n.network_address), int(n.broadcast_address)) for n in nets)


# Never anybody's address: this network, loopback, link-local, RFC 5737 documentation
# nets, multicast, reserved (240/4 holds netmasks like 255.255.255.0 and the broadcast).
NOT_PERSONAL = _ranges(
    "0.0.0.0/8",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "192.0.2.0/24",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
PRIVATE = _ranges("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
PUBLIC_RESOLVERS = frozenset(
    {"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "208.67.222.222", "208.67.220.220"}
)


def _ips(text: str, skeleton: str) -> Iterator[_Found]:
    done = 0
    for anchor in IPV4_ANCHOR.finditer(skeleton):
        dot = anchor.start()
        start = dot
        while start > dot - 3 and start > 0 and skeleton[start - 1] == "0":
            start -= 1  # back to the first octet
        match = IPV4_RE.match(text, start) if done <= start < dot else None
        if match is None:
            continue
        done = match.end()
        found = _ip(text, start, match.group(0))
        if found is not None:
            yield _Found(IP, match.start(), match.end(), *found)


def ipv4_int(value: str) -> int | None:
    """The address as an int, or None: octets over 255 or with leading zeros ("01.02.03.04") are not
    addresses (the rules of `ipaddress.IPv4Address`, without its cost per call)."""
    number = 0
    for octet in value.split("."):
        if (len(octet) > 1 and octet[0] == "0") or int(octet) > 255:
            return None
        number = number << 8 | int(octet)
    return number


def _ip(text: str, start: int, value: str) -> tuple[int, Severity] | None:
    number = ipv4_int(value)
    if number is None or any(lo <= number <= hi for lo, hi in NOT_PERSONAL) or value in PUBLIC_RESOLVERS:
        return None
    if len(value) == 7:
        return None  # four one-digit octets, "1.2.3.4": a version far more often than a host
    if VERSION_BEFORE.search(text, max(0, start - 16), start):
        return None  # "version 1.12.0.40", "pkg==10.2.1.3"
    if any(lo <= number <= hi for lo, hi in PRIVATE):
        return LOW, Severity.LOW  # a private address names a machine on a LAN, rarely a person
    return MEDIUM, Severity.MEDIUM


# --- phone numbers ------------------------------------------------------------------------------

PHONE_RE = re.compile(
    r"(?<![\w+.\-/])(?<!\d )"  # not the tail of a longer run of groups ("DE89 3704 0044 ...")
    r"(?:"
    r"\+\d{1,3}(?:[ .\-]?\(\d{1,4}\))?[ .\-]?\d+(?:[ .\-]\d+)*"  # +CC, E.164 or grouped
    r"|\(\d{2,5}\)[ .\-]?\d+(?:[ .\-]\d+)*"  # (415) 555-2671
    r"|0\d{1,4}[ /\-]\d{5,10}"  # trunk prefix + subscriber: 030 12345678, 030/12345678
    r"|\d{1,5}(?:[ .\-/]\d{2,5}){2,5}"  # three or more groups, validated below
    r")"
    r"(?![\w]|[ .\-/]\d)",  # not cut out of a longer run of numbers
    re.ASCII,
)
# Where a phone number can start: "+<digit>", "(<area>)", a trunk "0" followed by groups (in the
# text), or a North American 3-3-4 shape (in the skeleton). One literal each, searched apart:
# an alternation would fall back from the fast literal search to a per-character one.
PLUS_ANCHOR = re.compile(r"\+(?<![\w+.\-/]\+)(?=\d)", re.ASCII)
PAREN_ANCHOR = re.compile(r"\((?<![\w+.\-/]\()(?=\d{2,5}\))", re.ASCII)
TRUNK_ANCHOR = re.compile(r"0(?<![\w+.\-/]0)(?=\d{1,4}[ .\-/]\d\d)", re.ASCII)
NANP_SHAPES = ("000-000-0000", "000.000.0000", "000 000 0000")
PHONE_PLAIN_RE = re.compile(r"(?<![\w+.\-])\+?\d{9,15}(?![\w]|[.\-]\d)", re.ASCII)  # only in a phone column
GROUPS = re.compile(r"\d+")


def _phones(text: str, skeleton: str, hinted: bool) -> Iterator[_Found]:
    matches: Iterable[re.Match[str] | None]
    if hinted:  # a phone column: every grouped number is a candidate (cells are short)
        matches = PHONE_RE.finditer(text)
    else:
        starts = _phone_starts(skeleton, text)
        if not starts:
            return
        matches = (PHONE_RE.match(text, start) for start in starts)
    done = 0
    for match in matches:
        if match is not None and match.start() >= done and _phone_ok(match.group(0), hinted):
            done = match.end()
            yield _Found(PHONE, match.start(), match.end(), MEDIUM, Severity.MEDIUM)
    if hinted:
        for match in PHONE_PLAIN_RE.finditer(text):
            yield _Found(PHONE, match.start(), match.end(), MEDIUM, Severity.MEDIUM)


def _phone_starts(skeleton: str, text: str) -> list[int]:
    starts = [m.start() for m in TRUNK_ANCHOR.finditer(text)]
    if "+" in text:
        starts += [m.start() for m in PLUS_ANCHOR.finditer(text)]
    if "(" in text:
        starts += [m.start() for m in PAREN_ANCHOR.finditer(text)]
    for shape in NANP_SHAPES:
        at = skeleton.find(shape)
        while at >= 0:
            starts.append(at)
            if at >= 2 and text[at - 2] == "1" and text[at - 1] == shape[3]:
                starts.append(at - 2)  # 1-415-555-2671
            at = skeleton.find(shape, at + 1)
    return sorted(set(starts)) if len(starts) > 1 else starts


def _phone_ok(value: str, hinted: bool) -> bool:
    groups: list[str] = GROUPS.findall(value)
    digits = sum(len(g) for g in groups)
    if not 9 <= digits <= 15:  # E.164 allows 15 digits with the country code
        return False
    if value.startswith("+"):
        return groups[0][0] != "0"
    if value.startswith("("):
        return 10 <= digits <= 11
    separators = {c for c in value if not c.isdigit()}
    if len(separators) != 1:
        return False  # "2024-01-31 12" from a log line, "1.5 2.5 3.5" from an array
    sizes = [len(g) for g in groups]
    if sizes == [3, 2, 4]:
        return False  # SSN-shaped: the SSN validator decides, a rejected SSN is not a phone either
    if sizes in ([3, 3, 4], [1, 3, 3, 4]):
        return _nanp_ok(groups[-3], groups[-2], groups[0]) and (separators != {" "} or hinted)
    if groups[0][0] == "0" and 2 <= sizes[0] <= 5 and all(s >= 2 for s in sizes[1:]):
        return not _date_like(groups)  # national format with trunk prefix: 020 7946 0958, 06 12 34 56 78
    return hinted and all(s >= 2 for s in sizes)


def _nanp_ok(area: str, exchange: str, first: str) -> bool:
    """North American numbers: area and exchange codes start 2-9; a leading group can only be 1."""
    return area[0] not in "01" and exchange[0] not in "01" and (len(first) != 1 or first == "1")


def _date_like(groups: list[str]) -> bool:
    return len(groups) >= 3 and len(groups[2]) == 4 and groups[2][:2] in ("19", "20") and int(groups[1]) <= 12


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


def _candidates(text: str, context: TextContext, hints: frozenset[str]) -> list[_Found]:
    found: list[_Found] = []
    if "@" in text:
        found += _capped(_emails(text, context.part))
    skeleton = text.encode("ascii", "replace").translate(SKELETON).decode("ascii")
    digits = skeleton.count("0")
    # Substring gates (C speed) skip a kind before any regex or generator is set up: most
    # texts a notebook holds are short, and per-call overhead is what they cost.
    if digits >= 4 and "0.0" in skeleton:
        found += _capped(_ips(text, skeleton))
    if digits >= 4:
        found += _identity(text, hints)
    if digits < 9:
        return found  # every other kind has at least 9 digits (SSN 9, phone 9, card 13, IBAN 11)
    if "AA00" in skeleton:
        found += _capped(_ibans(text, skeleton))
    if "0000" in skeleton:
        found += _capped(_cards(text, skeleton, CARD in hints))
    if SSN in hints or "0-00-0" in skeleton:
        found += _capped(_ssns(text, skeleton, SSN in hints))
    found += _capped(_phones(text, skeleton, PHONE in hints))
    return found


def _identity(text: str, hints: frozenset[str]) -> list[_Found]:
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
            found.append(_Found(DOB, start, end, MEDIUM, Severity.MEDIUM))
    if passport:
        for start, end in pii_identity.passport_numbers(text, lowered, passport_column):
            found.append(_Found(PASSPORT, start, end, MEDIUM, Severity.HIGH))
    return found[:MAX_PER_KIND]


def _capped(items: Iterator[_Found]) -> list[_Found]:
    out: list[_Found] = []
    for item in items:
        out.append(item)
        if len(out) >= MAX_PER_KIND:
            break
    return out


def _dedupe(found: list[_Found]) -> list[_Found]:
    """Keep the strongest kind where candidates overlap (an IBAN's digits are not also a phone)."""
    if len(found) < 2:
        return found
    kept: list[_Found] = []  # non-overlapping, sorted by start
    starts: list[int] = []
    for item in sorted(found, key=lambda f: (PRIORITY.index(f.kind), f.start)):
        i = bisect.bisect_left(starts, item.start)
        if (i > 0 and kept[i - 1].end > item.start) or (i < len(kept) and kept[i].start < item.end):
            continue
        kept.insert(i, item)
        starts.insert(i, item.start)
    return kept


def _confidence(item: _Found, text: str, context: TextContext, hinted: bool) -> Confidence:
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
