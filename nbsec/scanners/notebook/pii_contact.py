"""Personal data people are reached by: email addresses, phone numbers and IPv4 addresses.

Split from `pii` (the entry point, which gates each finder and sets confidence) so that each
module stays readable. Each finder takes the text and, where it searches literal anchors, the
*skeleton* `pii` builds once per text (ASCII digits -> "0", capitals -> "A", same offsets); it
yields `Found` candidates whose validator already rejected the look-alikes notebooks are full of:
attribute chains and file names that read like addresses, reserved and documentation domains
and networks, versions and dates that read like phone numbers or IPs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator

from nbsec.model import Severity
from nbsec.scanners.notebook.pii_base import LOW, MEDIUM, Found

EMAIL = "email address"
PHONE = "phone number"
IP = "IP address"


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


def emails(text: str, part: str) -> Iterator[Found]:
    """Match once per "@", from the start of the local part before it: the work per "@" is bounded
    (a text of a million "@"s costs a million short steps, not a million window searches)."""
    at = text.find("@")
    while at >= 0:
        start = at
        while start > at - 64 and start > 0 and text[start - 1] in LOCAL_CHARS:
            start -= 1
        match = EMAIL_RE.match(text, start, min(len(text), at + EMAIL_SPAN)) if start < at else None
        if match is not None and _email_ok(text, match, part):
            yield Found(EMAIL, match.start(), match.end(), MEDIUM, Severity.MEDIUM)
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


def ips(text: str, skeleton: str) -> Iterator[Found]:
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
            yield Found(IP, match.start(), match.end(), *found)


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


def phones(text: str, skeleton: str, hinted: bool) -> Iterator[Found]:
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
            yield Found(PHONE, match.start(), match.end(), MEDIUM, Severity.MEDIUM)
    if hinted:
        for match in PHONE_PLAIN_RE.finditer(text):
            yield Found(PHONE, match.start(), match.end(), MEDIUM, Severity.MEDIUM)


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
