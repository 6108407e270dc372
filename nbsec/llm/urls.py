"""URLs and markup in answers: exfiltration (markdown/HTML images, data-carrying links to foreign hosts),
active content (script, handlers, frames), and URLs to internal addresses (stdlib).

Every Hit names the host or the kind of construct, never the payload: evidence gives lengths, not values.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

from nbsec.llm.hits import Hit
from nbsec.model import Confidence
from nbsec.redact import snippet

__all__ = [
    "carries_data",
    "find_active_content",
    "find_exfiltration",
    "find_internal_urls",
    "host_allowed",
    "internal_host",
]


_URL = re.compile(r"\b(?:https?|ftp|wss?)://[^\s<>\"'`)\]]{1,2000}", re.IGNORECASE)
_MD_IMAGE = re.compile(
    r"!\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+(?:\"[^\"\n]{0,200}\"|'[^'\n]{0,200}'))?\s*\)"
)
_MD_IMAGE_REF = re.compile(r"!\[([^\]\n]{0,300})\](?:\[([^\]\n]{0,100})\])?(?!\s*\()")
_MD_DEF = re.compile(r"^[ \t]{0,3}\[([^\]\n]{1,100})\]:[ \t]*<?([^\s>]{1,2000})>?", re.MULTILINE)
_IMG_TAG = re.compile(r"<img\b[^>]{0,1000}?\bsrc\s*=\s*[\"']?([^\"'\s>]{1,2000})[^>]{0,1000}>?", re.IGNORECASE)
_MD_LINK = re.compile(
    r"(?<!!)\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{1,2000})>?(?:\s+(?:\"[^\"\n]{0,200}\"|'[^'\n]{0,200}'))?\s*\)"
)
_B64ISH = re.compile(r"[A-Za-z0-9+/=_\-]{16,}")


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.lower().rstrip(".") if host else None


def host_allowed(host: str, allowed_hosts: Sequence[str]) -> bool:
    """`host` is one of `allowed_hosts` or a subdomain of one."""
    host = host.lower().rstrip(".")
    for allowed in allowed_hosts:
        allowed = allowed.lower().strip().rstrip(".")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def carries_data(url: str) -> bool:
    """A URL whose query or path holds a payload: a long value, a sentence, or an encoded blob."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    pieces = [p.partition("=")[2] for p in parts.query.split("&")] + parts.path.split("/")
    for raw in pieces:
        value = unquote(raw)
        if len(value) >= 40 or value.count(" ") >= 3:
            return True
        if (
            len(value) >= 16
            and _B64ISH.fullmatch(value)
            and any(c.isdigit() for c in value)
            and any(c.isalpha() for c in value)
        ):
            return True
    return False


def _url_evidence(what: str, url: str) -> str:
    payload = len(url) - len(url.split("?")[0]) if "?" in url else 0
    return f"{what} ({len(url)}-character URL, {payload} characters of query)"


def find_exfiltration(text: str, allowed_hosts: Sequence[str] = ()) -> list[Hit]:
    """Markdown images (inline and reference style) and <img src> to a host not in `allowed_hosts` (a browser
    fetches them unasked: HIGH when the URL carries data), and links/URLs carrying data to such a host."""
    if "://" not in text:
        return []
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def add(detector: str, kind: str, url: str, span: tuple[int, int], image: bool) -> None:
        host = _host(url)
        if not host or host_allowed(host, allowed_hosts) or any(s < span[1] and span[0] < e for s, e in taken):
            return
        payload = carries_data(url)
        if not image and not payload:
            return
        taken.append(span)
        what = f"{kind} to {host}"
        confidence = Confidence.HIGH if payload else Confidence.MEDIUM
        hits.append(Hit(detector, what, "plain", span, _url_evidence(what, url), confidence))

    if "![" in text:
        for m in _MD_IMAGE.finditer(text):
            add("exfil-image", "markdown image", m.group(2), m.span(), True)
        defs = {label.lower(): url for label, url in _MD_DEF.findall(text)}
        if defs:
            for m in _MD_IMAGE_REF.finditer(text):
                label = (m.group(2) or m.group(1)).lower()
                if label in defs:
                    add("exfil-image", "markdown image", defs[label], m.span(), True)
            for m in _MD_DEF.finditer(text):
                # The definition line itself carries the URL: remove it with the image.
                if any((r.group(2) or r.group(1)).lower() == m.group(1).lower() for r in _MD_IMAGE_REF.finditer(text)):
                    add("exfil-image", "markdown image", m.group(2), m.span(), True)
    if "<img" in text.lower():
        for m in _IMG_TAG.finditer(text):
            add("exfil-image", "HTML image", m.group(1), m.span(), True)
    for m in _MD_LINK.finditer(text):
        add("exfil-link", "link carrying data", m.group(2), m.span(), False)
    for m in _URL.finditer(text):
        add("exfil-link", "link carrying data", m.group(), m.span(), False)
    return sorted(hits, key=lambda h: h.span or (0, 0))


_SCRIPT_OPEN = re.compile(r"<script\b[^>]{0,1000}>?", re.IGNORECASE)
_ACTIVE = (
    ("javascript: URL", re.compile(r"(?<![\w-])(?:java|vb)script\s*:[^\s\"'<>]{1,2000}", re.IGNORECASE)),
    (
        "event handler",
        re.compile(
            r"<[a-z][a-z0-9-]{0,20}\b[^>]{0,1000}?[\s/\"'](on[a-z]{3,25}\s*=\s*(?:\"[^\"]{0,2000}\"|'[^']{0,2000}'|"
            r"[^\s>]{1,2000}))",
            re.IGNORECASE,
        ),
    ),
    ("embedded frame or object", re.compile(r"<(?:iframe|frame|frameset|object|embed|applet)\b[^>]{0,1000}>?", re.I)),
    ("meta refresh", re.compile(r"<meta\b[^>]{0,500}http-equiv\s*=\s*[\"']?refresh[^>]{0,500}>?", re.IGNORECASE)),
    ("srcdoc attribute", re.compile(r"\bsrcdoc\s*=\s*(?:\"[^\"]{0,20000}\"|'[^']{0,20000}'|[^\s>]{1,2000})", re.I)),
    ("data:text/html URL", re.compile(r"data:\s*text/html[^\s\"'<>)]{0,20000}", re.IGNORECASE)),
)
_ACTIVE_CUES = ("<", "script:", "data:", "srcdoc")


def find_active_content(text: str) -> list[Hit]:
    """Script that would run where the answer is rendered as HTML/markdown: <script>, javascript: URLs, on*=
    handlers, <iframe>/<object>/<embed>, srcdoc, data:text/html, meta refresh (detector "active-content")."""
    lowered = text.lower()
    if not any(cue in lowered for cue in _ACTIVE_CUES):
        return []
    spans: list[tuple[str, tuple[int, int]]] = []
    if "<script" in lowered:
        for m in _SCRIPT_OPEN.finditer(text):
            close = lowered.find("</script", m.end())
            end = m.end() if close < 0 else (lowered.find(">", close) + 1 or len(text))
            spans.append(("<script> element", (m.start(), end)))
    for what, pattern in _ACTIVE:
        for m in pattern.finditer(text):
            span = m.span(1) if what == "event handler" else m.span()
            spans.append(
                (what if what != "event handler" else f"event handler {m.group(1).split('=')[0].strip()}", span)
            )
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for what, span in sorted(spans, key=lambda x: (x[1][0], -x[1][1])):
        if any(s <= span[0] and span[1] <= e for s, e in taken):
            continue
        taken.append(span)
        excerpt = " ".join(text[span[0] : span[1]].split())[:60]
        hits.append(Hit("active-content", what.lower(), "plain", span, excerpt))
    return hits


_INTERNAL_SUFFIXES = (".internal", ".local", ".corp", ".lan", ".intranet", ".localdomain", ".home.arpa", ".private")
_METADATA = ("169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "100.100.100.200")
_BARE_METADATA = re.compile(
    r"(?<![\w.])(?:169\.254\.169\.254|metadata\.google\.internal)(?::\d{1,5})?(?:/[^\s<>\"'`)\]]{0,500})?"
)


def internal_host(host: str) -> str | None:
    """What kind of internal address `host` is ("loopback address", "cloud metadata address", ...), or None."""
    h = host.lower().strip("[]").rstrip(".")
    if h in _METADATA:
        return "cloud metadata address"
    if h == "localhost" or h.endswith(".localhost"):
        return "loopback address"
    if h.endswith(_INTERNAL_SUFFIXES):
        return "internal host name"
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    try:
        ip = ipaddress.ip_address(h)
    except ValueError:
        try:  # decimal (2130706433) or hex (0x7f000001) IPv4, which browsers and curl accept
            number = int(h, 16) if h.startswith("0x") else int(h) if h.isdigit() else -1
            ip = ipaddress.IPv4Address(number) if 0 <= number < 2**32 else None
        except ValueError:
            ip = None
    if ip is None:
        return None
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address"
    if ip.is_private or ip.is_unspecified or ip.is_reserved:
        return "private address"
    return None


def find_internal_urls(text: str, allowed_hosts: Sequence[str] = ()) -> list[Hit]:
    """URLs to private, loopback or link-local addresses, cloud metadata endpoints, *.internal/*.local/*.corp/
    *.lan hosts (detector "internal-url"; `what` says which kind, never the address)."""
    hits: list[Hit] = []
    if "://" in text:
        for m in _URL.finditer(text):
            host = _host(m.group())
            kind = internal_host(host) if host and not host_allowed(host, allowed_hosts) else None
            if kind:
                hits.append(Hit("internal-url", f"URL to a {kind}", "plain", m.span(), snippet(text, *m.span())))
    if "169.254.169.254" in text or "metadata.google.internal" in text:
        for m in _BARE_METADATA.finditer(text):
            if not any(h.span and h.span[0] <= m.start() < h.span[1] for h in hits):
                what = "URL to a cloud metadata address"
                hits.append(Hit("internal-url", what, "plain", m.span(), snippet(text, *m.span())))
    return sorted(hits, key=lambda h: h.span or (0, 0))
