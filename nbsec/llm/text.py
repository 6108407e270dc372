"""Text normalisation for the LLM detectors: invisible characters, look-alikes, leetspeak, encodings (stdlib).

Attackers hide instructions and exfiltrated values from substring checks: Unicode tag characters (invisible
ASCII), zero-width joiners between letters, Cyrillic "а" for Latin "a", "1gn0r3", base64, hex, rot13, reversed or
spaced-out text, percent-encoding, a value split across lines. The detectors first undo these here, then match.

Two kinds of normalisation:

* `fold` / `deleet`: for matching words (injection heuristics); lengths may change.
* `skeleton`: one character in, one character out (lowercase, look-alikes and leet digits to ASCII letters,
  tag characters to the ASCII they carry, invisible characters to a space), so a match in the skeleton is a
  span of the original text that can be redacted.

`decodings` proposes decoded variants of a text, bounded (runs of >= 8 characters, at most `limit`
candidates, each <= 64 KB, nesting two levels deep) so a hostile input cannot make it slow.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from urllib.parse import unquote

__all__ = [
    "MAX_DECODED",
    "decode_tag_chars",
    "decodings",
    "deleet",
    "fold",
    "is_invisible",
    "skeleton",
    "strip_invisible",
]

MAX_DECODED = 64 * 1024
MIN_RUN = 8

_TAG_FIRST, _TAG_LAST = 0xE0000, 0xE007F
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x200B, 0x200F),  # zero-width space/joiners, LRM/RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0xFEFF, 0xFEFF),  # zero-width no-break space / BOM
    (_TAG_FIRST, _TAG_LAST),  # Unicode tag characters
)
_TAG_RUN = re.compile("[\U000e0020-\U000e007e]+")
_TAG_TO_ASCII = {cp: cp - _TAG_FIRST for cp in range(0xE0020, 0xE007F)}
_STRIP_TABLE: dict[int, None] = {cp: None for lo, hi in _INVISIBLE_RANGES for cp in range(lo, hi + 1)}


def is_invisible(char: str) -> bool:
    return ord(char) in _STRIP_TABLE


def strip_invisible(text: str) -> tuple[str, int]:
    """The text without invisible characters (tag chars, zero-width, bidi controls, soft hyphen), and how many."""
    if text.isascii():
        return text, 0
    stripped = text.translate(_STRIP_TABLE)
    return stripped, len(text) - len(stripped)


def decode_tag_chars(text: str) -> str:
    """The ASCII smuggled as Unicode tag characters (U+E0020..U+E007E), "" if there is none."""
    if text.isascii():
        return ""
    return "".join(_TAG_RUN.findall(text)).translate(_TAG_TO_ASCII)


# Look-alikes NFKC leaves alone: Cyrillic and Greek letters that render like Latin ones, typographic quotes.
_HOMOGLYPHS = {
    # Cyrillic lower / upper
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ո": "n", "ս": "u",
    "А": "a", "В": "b", "Е": "e", "Ё": "e", "К": "k", "М": "m", "Н": "h", "О": "o", "Р": "p", "С": "c",
    "Т": "t", "У": "y", "Х": "x", "І": "i", "Ї": "i", "Ј": "j", "Ѕ": "s", "Ԁ": "d", "Һ": "h", "Ӏ": "l",
    "Ԛ": "q", "Ԝ": "w",
    # Greek lower / upper
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "γ": "y", "ω": "w", "η": "n",
    "Α": "a", "Β": "b", "Ε": "e", "Ζ": "z", "Η": "h", "Ι": "i", "Κ": "k", "Μ": "m", "Ν": "n", "Ο": "o",
    "Ρ": "p", "Τ": "t", "Υ": "y", "Χ": "x",
    # punctuation that NFKC keeps
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(_HOMOGLYPHS)
_WS = re.compile(r"\s+")


def fold(text: str) -> str:
    """For matching words: NFKC (fullwidth, ligatures, math letters), look-alikes to ASCII, lowercase,
    whitespace collapsed to one space (invisible characters are left to `strip_invisible`)."""
    if text.isascii():
        return " ".join(text.lower().split())
    folded = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPH_TABLE).lower()
    return " ".join(folded.split())


_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i", "|": "l"}
_LEET_TABLES = {one: str.maketrans({**_LEET, "1": one}) for one in ("i", "l")}
# A leet character touching a letter on either side: "1gn0re", "pr3vious"; not "2024" or "$5".
LEET_WORD = re.compile(r"[a-z][013457@$|]|[013457@$][a-z]", re.IGNORECASE)


def deleet(text: str, *, one: str = "i") -> str:
    """Leetspeak to letters: 0->o, 1->i (or `one`), 3->e, 4->a, 5->s, 7->t, @->a, $->s, !->i, |->l.

    Only characters inside or next to words matter to the callers; digits elsewhere change too, which is
    harmless for matching. "1" is ambiguous (i or l): callers that care try both.
    """
    return text.translate(_LEET_TABLES.get(one, _LEET_TABLES["i"]))


# --------------------------------------------------------------------------- the 1:1 skeleton

_ASCII_SKELETON = str.maketrans(
    {**{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)}, **{k: v for k, v in _LEET.items() if k != "!"}}
)


@lru_cache(maxsize=4096)
def _skeleton_char(char: str) -> str:
    cp = ord(char)
    if 0xE0020 <= cp <= 0xE007E:
        return chr(cp - _TAG_FIRST).lower()
    if cp in _STRIP_TABLE:
        return " "
    mapped = _HOMOGLYPHS.get(char)
    if mapped is None:
        norm = unicodedata.normalize("NFKC", char)
        mapped = norm if len(norm) == 1 else char
        mapped = mapped.lower() if len(mapped.lower()) == 1 else mapped
    return mapped.translate(_ASCII_SKELETON) if mapped.isascii() else mapped


def skeleton(text: str) -> str:
    """Same length as `text`, so spans carry over: lowercase ASCII, look-alikes and leet to letters,
    tag characters to the ASCII they carry, invisible characters to spaces."""
    if text.isascii():
        return text.translate(_ASCII_SKELETON)
    table = {ord(c): _skeleton_char(c) for c in set(text) if not c.isascii()}
    return text.translate(table).translate(_ASCII_SKELETON)


# --------------------------------------------------------------------------- decodings

# base64 (standard or urlsafe, padding optional) and hex runs; bounded so no input backtracks.
_B64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{8,}={0,2}")
_HEX_RUN = re.compile(r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{2}[ :]?){4,}")  # starts a word: not "ce" of "reference"
_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_PERCENT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2}|[\w.~+\-/=&?:])+")
# One character then a separator (space, dot, dash, ...), at least 4 characters: "n b s e c", "n.b.s.e.c".
_SPACED = re.compile(r"(?:[^\W_][ .\-_·•|/\\*]{1,3}){3,}[^\W_]")
_LINEBREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
# rot13 of: ignore, instruct, system, prompt, secret, password, reveal, disregard, forget, guideline, history,
# print, output, rules, previous.
_ROT13_CUES = (
    "vtaber", "vafgehpg", "flfgrz", "cebzcg", "frperg", "cnffjbeq", "erirny", "qvfertneq", "sbetrg", "thvqryvar",
    "uvfgbel", "cevag", "bhgchg", "ehyrf", "cerivbhf",
)  # fmt: skip


def _printable(raw: bytes) -> str | None:
    """The bytes as text when they read like text (>= 90% printable UTF-8), else None."""
    if len(raw) < 4:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    good = sum(1 for c in text if c.isprintable() or c in "\n\r\t")
    return text if good >= 0.9 * len(text) else None


def _b64(run: str) -> str | None:
    core = run.rstrip("=")
    if len(core) < MIN_RUN or len(core) % 4 == 1:
        return None
    # Prose words are valid base64 alphabet too; encoded text almost always has a digit, a "+" or "/", or
    # capitals after its first character ("Thursday" is not base64, "SWdub3Jl" is).
    if core.isalpha() and not any(c.isupper() for c in core[1:]):
        return None
    if sum(1 for c in core if c.isupper()) < 2 and not any(c.isdigit() or c in "+/" for c in core):
        return None  # hyphenated or snake_case words ("health-check", "max_retries")
    padded = core + "=" * (-len(core) % 4)
    alt = "-" in core or "_" in core
    try:
        raw = base64.urlsafe_b64decode(padded) if alt else base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(raw)


def _hex(run: str) -> str | None:
    digits = run.replace(" ", "").replace(":", "")
    if len(digits) < MIN_RUN or len(digits) % 2:
        return None
    try:
        return _printable(bytes.fromhex(digits))
    except ValueError:
        return None


def _spaced(text: str) -> str | None:
    if not _SPACED.search(text):
        return None
    out = _SPACED.sub(lambda m: _joined(m.group()), text)
    return out if out != text else None


def _joined(run: str) -> str:
    words = re.split(r"[ .\-_·•|/\\*]{2,}", run)
    return " ".join(re.sub(r"[ .\-_·•|/\\*]", "", w) for w in words)


_RUN_ENCODINGS = frozenset({"tags", "url", "base64", "hex"})
WHOLE_TEXT_ENCODINGS = frozenset({"rot13", "reversed", "spaced", "lines", "homoglyph", "leet"})
ALL_ENCODINGS = _RUN_ENCODINGS | WHOLE_TEXT_ENCODINGS


def _level_one(text: str, wanted: frozenset[str]) -> Iterator[tuple[str, str, tuple[int, int] | None]]:
    """(encoding, decoded, span of the encoded run or None) for one level of decoding, `wanted` ones only."""
    if "tags" in wanted and not text.isascii():
        tags = decode_tag_chars(text)
        if tags:
            yield "tags", tags, None
    if "url" in wanted and "%" in text and _PERCENT.search(text):
        for m in _PERCENT_RUN.finditer(text):
            if "%" in m.group():
                decoded = unquote(m.group())
                if decoded != m.group():
                    yield "url", decoded, m.span()
    if "base64" in wanted:
        for m in _B64_RUN.finditer(text):
            found = _b64(m.group())
            if found:
                yield "base64", found, m.span()
    if "hex" in wanted:
        for m in _HEX_RUN.finditer(text):
            found = _hex(m.group().strip())
            if found:
                yield "hex", found, m.span()
    if "rot13" in wanted and any(c.isalpha() for c in text[:4096]):
        yield "rot13", codecs.encode(text, "rot13"), None
    if "reversed" in wanted:
        yield "reversed", text[::-1], None
    if "spaced" in wanted:
        spaced = _spaced(text)
        if spaced:
            yield "spaced", spaced, None
    if "lines" in wanted and "\n" in text:
        joined = _LINEBREAK.sub("", text)
        if joined != text:
            yield "lines", joined, None
    if "homoglyph" in wanted and not text.isascii():
        mapped = unicodedata.normalize("NFKC", text).translate(_HOMOGLYPH_TABLE)
        if mapped != text:
            yield "homoglyph", mapped, None
    if "leet" in wanted and LEET_WORD.search(text):
        yield "leet", deleet(text), None


def decoded_runs(
    text: str, *, limit: int = 64, first: frozenset[str] = ALL_ENCODINGS
) -> Iterator[tuple[str, str, tuple[int, int] | None]]:
    """`decodings` with the span in `text` of the encoded run when there is one (base64, hex, url).

    `first` limits the encodings tried on the text itself (callers that search the text's rot13 or reverse
    another way skip those); a decoded value is always tried with every encoding that can apply to it.
    """
    text = text[:MAX_DECODED]
    count = 0
    for encoding, decoded, span in _level_one(text, first):
        if len(decoded) > MAX_DECODED or decoded == text:
            continue
        yield encoding, decoded, span
        count += 1
        if count >= limit:
            return
        # Second level: what a decoded value itself hides. After a whole-text transform (reversed,
        # rot13, ...) only runs can hide more; after base64/hex/url/tags every transform may apply.
        again_wanted = _RUN_ENCODINGS if encoding in WHOLE_TEXT_ENCODINGS else ALL_ENCODINGS
        for inner, again, _ in _level_one(decoded, again_wanted):
            if len(again) > MAX_DECODED or again == decoded:
                continue
            yield f"{encoding}+{inner}", again, span
            count += 1
            if count >= limit:
                return


def decodings(text: str, *, limit: int = 64) -> Iterator[tuple[str, str]]:
    """(encoding, decoded text) for each plausible encoding of the text or of runs in it.

    Encodings: base64 (also urlsafe, missing padding), hex, rot13, reversed, spaced, lines, url, homoglyph,
    leet, tags; "a+b" is a nested one (a decoded first, then b). rot13 and reversed are always offered (any
    text "decodes"): callers search the results, they do not trust them.
    """
    for encoding, decoded, _ in decoded_runs(text, limit=limit):
        yield encoding, decoded


def rot13_cues(lowered: str) -> bool:
    """Cheap test: does lowercased text hold rot13 of an attack word (ignore, instruct, system, prompt, ...)?"""
    return any(cue in lowered for cue in _ROT13_CUES)
