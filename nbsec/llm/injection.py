"""Is this text trying to instruct the model? Heuristics after normalisation, no model weights (stdlib).

The text is normalised first (invisible characters stripped, NFKC + look-alikes folded, leetspeak undone,
encoded runs decoded: base64, hex, rot13, reversed, spaced, URL, tag characters), then matched against cues
of instructions aimed at the model: overriding its instructions, reassigning its role, fake role headers and
delimiter escapes, asking for its system prompt, jailbreak personas, exfiltration commands, tool coercion,
messages addressed to "the AI reading this". Each cue is a labelled rule with a weight; weights combine as
a noisy-OR (two independent cues are stronger than either).

Text ABOUT prompt injection (a blog post, a security ticket, training material) uses the same words, so
quotation and discussion cues ("attackers", "for example", "such as", a quoted phrase) discount the weak
cues; structural cues that never occur in honest prose about the topic (a delimiter escape followed by a role
header, Unicode tag smuggling, an exfiltration URL command) are not discounted.

The cue tables are nbsec.llm.injection_rules and injection_actions (English) and nbsec.llm.injection_i18n
(French, German, Spanish, Italian, Portuguese; matched with accents removed). An optional `Embedder`
(nbsec.llm.embedding) adds the similarity to shipped attack exemplars.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from nbsec.llm.embedding import Embedder, exemplar_similarity
from nbsec.llm.injection_actions import ACTION_CUES
from nbsec.llm.injection_i18n import I18N_CUES
from nbsec.llm.injection_rules import CUES, Cue
from nbsec.llm.text import LEET_WORD, decode_tag_chars, decoded_runs, deleet, fold, rot13_cues, strip_invisible

__all__ = ["FAMILIES", "InjectionVerdict", "injection_verdict"]

FAMILIES = (
    "prompt-injection",
    "system-prompt-extraction",
    "jailbreak",
    "encoding",
    "exfiltration",
    "excessive-agency",
)


@dataclass(frozen=True)
class InjectionVerdict:
    """score in 0..1, flagged when score >= threshold, reasons as labels (never text), families of the cues."""

    score: float
    flagged: bool
    reasons: tuple[str, ...] = ()
    families: tuple[str, ...] = ()


# Words a text ABOUT attacks uses: a discussion of prompt injection quotes the attack instead of making it.
_DISCUSSION = re.compile(
    r"prompt injection|injection attacks?|jailbreak(?:s|ing)? (?:attempts?|prompts?|techniques?|attacks?)|"
    r"attackers?|adversar(?:y|ial|ies)|malicious|for example|for instance|such as|e\.g\.|known as|so-called|"
    r"called|phrases? like|strings? like|payloads?|red[- ]team|owasp|llm01|researchers?|this (?:technique|attack|"
    r"vulnerability|trick)|mitigat|defen[cs]e|defend|detect(?:ion|or|s|ing)?|classifier|guardrails? (?:library|"
    r"model|product)|security (?:team|review|researcher|training|awareness)|blog|paper|article|talk|workshop|"
    r"training data|labelled|dataset|example of|examples of|tells? the model|instructs? the model|the model to|"
    r"the llm to|trick(?:s|ed)? (?:the|an?) (?:model|llm|ai|chatbot|assistant)|hijack"
)
_QUOTES = "\"'`\u201c\u201d\u2018\u2019«»"
# Cues that honest prose about the topic does not produce: not discounted.
_STRUCTURAL = {"delimiter-escape", "special-tokens", "hidden-text", "exfiltration", "hide-from-user"}
# Cues that only add to others: hidden markup is everywhere in honest HTML, but hiding an instruction in it is not.
_SUPPORTING = {"hidden-markup"}
DISCOUNT = 0.3


@dataclass
class _Scan:
    hits: dict[str, tuple[str, float, bool]]  # label -> (family, weight, quoted)
    encodings: set[str]


def _quoted(text: str, start: int, end: int) -> bool:
    """The match sits inside quotes or backticks: someone is citing the phrase, not saying it."""
    before = text[max(0, start - 3) : start]
    after = text[end : end + 40]
    return any(q in before for q in _QUOTES) and any(q in after for q in _QUOTES)


def _unaccented(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _match(cues: Sequence[Cue], text: str, scan: _Scan, encoding: str | None, *, quotable: bool) -> None:
    for label, family, weight, needs, pattern in cues:
        old = scan.hits.get(label)
        if old is not None and old[1] >= weight and not old[2]:
            continue  # this cue can add nothing: a stronger unquoted one of its label already matched
        if not all(any(key in text for key in group) for group in needs):
            continue
        m = pattern.search(text)
        if m is None:
            continue
        quoted = quotable and _quoted(text, m.start(), m.end())
        if old is None or weight > old[1] or (weight == old[1] and old[2] and not quoted):
            scan.hits[label] = (family, weight, quoted)
            # A disguise counts only when it revealed something the plain text did not say.
            if encoding is not None and (old is None or weight > old[1]):
                scan.encodings.add(encoding)


def _match_rules(text: str, scan: _Scan, encoding: str | None) -> None:
    # Leetspeak is undone character for character, so a quoted phrase stays quoted; decoded runs are not quotes.
    quotable = encoding is None or encoding == "leet"
    _match(CUES, text, scan, encoding, quotable=quotable)
    _match(ACTION_CUES, text, scan, encoding, quotable=quotable)
    _match(I18N_CUES, _unaccented(text), scan, encoding, quotable=quotable)


_VARIANT_LIMIT = 16
_REVERSED_CUES = ("erongi", "snoitcurtsni", "tpmorp", "metsys", "laever", "dragersid", "tnatsissa")


def _variants(stripped: str, folded: str) -> list[tuple[str, str]]:
    """(encoding, folded text) for each decoded variant worth matching, bounded."""
    out: list[tuple[str, str]] = []
    if LEET_WORD.search(folded):
        for one in ("i", "l"):
            variant = deleet(folded, one=one)
            if variant != folded:
                out.append(("leet", variant))
    lowered = stripped.lower()
    # Look-alikes and line breaks are already undone by `fold` and the patterns; rot13 and reversed text are
    # only worth a pass when an attack word shows in them.
    wanted = {"base64", "hex", "url", "spaced"}
    if rot13_cues(lowered) or "rot13" in lowered or "rot-13" in lowered or "rot 13" in lowered:
        wanted.add("rot13")
    if any(cue in lowered for cue in _REVERSED_CUES):
        wanted.add("reversed")
    for encoding, decoded, _ in decoded_runs(stripped, limit=_VARIANT_LIMIT, first=frozenset(wanted)):
        if len(decoded) >= 8:
            out.append((encoding, fold(decoded)))
    return out[:_VARIANT_LIMIT]


def injection_verdict(text: str, *, threshold: float = 0.5, embedder: Embedder | None = None) -> InjectionVerdict:
    """Score `text` as a prompt-injection / jailbreak / extraction attempt (0..1); flagged when >= threshold.

    Reasons are rule labels ("ignore-instructions", "delimiter-escape", "encoded:base64", ...), never text.
    """
    stripped, invisible = strip_invisible(text)
    scan = _Scan({}, set())
    tags = decode_tag_chars(text) if invisible else ""
    if tags:
        # ASCII smuggled in invisible tag characters: no honest text does this.
        scan.hits["hidden-text"] = ("encoding", 0.7, False)
        scan.encodings.add("tags")
    folded = fold(stripped)
    _match_rules(folded, scan, None)
    for encoding, variant in _variants(stripped, folded):
        _match_rules(variant, scan, encoding)
    if tags:
        _match_rules(fold(tags), scan, "tags")
    if invisible >= 3 and not tags and scan.hits:
        scan.hits["invisible-characters"] = ("encoding", 0.2, False)
    if set(scan.hits) <= _SUPPORTING:
        scan.hits.clear()
        scan.encodings.clear()

    discussion = len({m.group() for m in _DISCUSSION.finditer(folded)}) if scan.hits else 0
    weights: list[float] = []
    discounted = 0.0
    for label, (_, weight, quoted) in scan.hits.items():
        if label not in _STRUCTURAL and (quoted or discussion >= 2):
            # Cited phrases do not add up: a post quoting five attacks is no more an attack than one quoting one.
            discounted = max(discounted, weight * DISCOUNT)
        else:
            weights.append(weight)
    if discounted:
        weights.append(discounted)
    if scan.encodings and scan.hits:
        weights.append(0.3)  # the instruction was disguised: that is intent
    score = 1.0
    for weight in weights:
        score *= 1.0 - weight
    score = 1.0 - score if weights else 0.0

    reasons = sorted(scan.hits)
    families = {family for family, _, _ in scan.hits.values()}
    if scan.encodings:
        families.add("encoding")
        reasons += [f"encoded:{e}" for e in sorted(scan.encodings)]
    if discussion >= 2 and scan.hits:
        reasons.append("discussion-cues")

    if embedder is not None:
        similarity = exemplar_similarity(embedder, stripped)
        semantic = max(0.0, min(1.0, (similarity - 0.55) / 0.3))
        if discussion >= 2:
            semantic *= DISCOUNT
        if semantic >= 0.5:
            reasons.append("embedding-similar")
            families.add("prompt-injection")
        score = 1.0 - (1.0 - score) * (1.0 - 0.9 * semantic)

    score = round(min(1.0, score), 4)
    flagged = score >= threshold
    return InjectionVerdict(score, flagged, tuple(reasons), tuple(f for f in FAMILIES if f in families))


def injection_scores(texts: Sequence[str], *, embedder: Embedder | None = None) -> list[float]:
    """Scores for many texts (for measuring the detector on a labelled set)."""
    return [injection_verdict(t, embedder=embedder).score for t in texts]
