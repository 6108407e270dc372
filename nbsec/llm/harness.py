"""Run probes against a target and build the Report: success rates with Wilson intervals, findings, checks.

Each probe draws its attempts from its own rng seeded by (seed, probe id): a fixed seed gives the same
attempts whatever else runs, and the same report for a deterministic app. Attempts run on a thread pool
(the HTTP targets bound their own concurrency and rate too); judging happens on the calling thread as
answers come in, and `progress(done, total, label)` is called after each attempt.

An attempt the target did not answer is a ScanError, never a pass. Transcripts in a finding's evidence
are redacted (canaries, restricted values, secrets, PII and every hit span, plain or encoded), invisible and
control characters shown as escapes (a report never carries a hidden payload), and cut short.

A probe may hold a conversation of several turns (Probe.follow_up, e.g. "what documents exist?" then "open the
one you named"): each turn is judged, and the attempt succeeds when any turn does.

A finding's fingerprint is (rule, endpoint, probe id), not its evidence: the success rate and the transcript
change from run to run, and a baseline of accepted LLM findings must keep matching them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from nbsec.llm import rules
from nbsec.llm.detectors import Hit, find_canaries, redact_text
from nbsec.llm.probes import FAMILIES, select
from nbsec.llm.probes.base import Attempt, Probe
from nbsec.llm.stats import wilson
from nbsec.llm.types import ProbeContext, Reply, Target, TargetError
from nbsec.model import (
    Check,
    Confidence,
    Figure,
    Location,
    Metric,
    Report,
    ScanError,
    Severity,
    utc_now_iso,
)
from nbsec.model import Target as ReportTarget

Progress = Callable[[int, int, str], None]
SCANNER = rules.SCANNER
EXCERPT = 220  # characters of each side of a transcript in the evidence
_SHOWN_DETECTORS = frozenset({"marker", "active-content", "tool-call"})
_LOWER = {
    Severity.CRITICAL: Severity.HIGH,
    Severity.HIGH: Severity.MEDIUM,
    Severity.MEDIUM: Severity.LOW,
    Severity.LOW: Severity.INFO,
    Severity.INFO: Severity.INFO,
}


@dataclass
class Outcome:
    """One attempt's result: the reply and its hits, or the error that left it unanswered."""

    attempt: Attempt
    reply: Reply | None = None
    error: str = ""
    hint: str = ""
    hits: list[Hit] = field(default_factory=list)
    seconds: float = 0.0
    turns: list[tuple[Attempt, Reply]] = field(default_factory=list)  # every answered turn, in order
    shown: tuple[Attempt, Reply] | None = None  # the turn whose answer shows the attack worked
    shown_hits: list[Hit] = field(default_factory=list)  # that turn's hits (their spans index its text)


@dataclass
class ProbeResult:
    probe: Probe
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: str = ""

    @property
    def answered(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.reply is not None]

    @property
    def successes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.hits]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.reply is None]


def _send(target: Target, attempt: Attempt) -> tuple[Reply | None, str, str, float]:
    start = time.perf_counter()
    try:
        reply = target.send(attempt.messages)
    except TargetError as error:
        return None, error.message, error.hint, time.perf_counter() - start
    except Exception as error:  # noqa: BLE001 - a broken target is an error in the report, not a crash of the run
        return None, f"{type(error).__name__}: {error}", "fix the target", time.perf_counter() - start
    if not isinstance(reply, Reply):
        return None, f"send() returned a {type(reply).__name__}, not a Reply", "return nbsec.llm.types.Reply", 0.0
    return reply, "", "", time.perf_counter() - start


MAX_TURNS = 3  # a multi-turn attempt is bounded whatever the probe's follow_up does
Turns = tuple[list[tuple[Attempt, Reply]], str, str, float]


def _converse(probe: Probe, target: Target, attempt: Attempt) -> Turns:
    """Send the attempt and the follow-up turns the probe builds from each answer: (answered turns, error, hint,
    seconds). An error ends the conversation; the turns answered before it are kept."""
    turns: list[tuple[Attempt, Reply]] = []
    seconds = 0.0
    current: Attempt | None = attempt
    while current is not None and len(turns) < MAX_TURNS:
        reply, error, hint, spent = _send(target, current)
        seconds += spent
        if reply is None:
            return turns, error, hint, seconds
        turns.append((current, reply))
        current = probe.follow_up(current, reply, target.accepts_messages)
    return turns, "", "", seconds


def llm_fingerprint(rule_id: str, endpoint: str, probe_id: str) -> str:
    """A finding's identity across runs: which rule, which app, which probe (never the rate or transcript)."""
    return hashlib.sha256("\x1f".join(("llm", rule_id, endpoint, probe_id)).encode("utf-8")).hexdigest()[:32]


_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
# Shown as nothing though not format characters: Hangul fillers, the braille blank, variation selectors (the
# supplement's 240 selectors can smuggle bytes after any visible character).
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_RUN = 4  # a longer run of invisible characters is counted, not spelled out


def _invisible(char: str) -> bool:
    if char in "\t\n\r ":
        return False
    point = ord(char)
    if 0xFE00 <= point <= 0xFE0F or 0xE0100 <= point <= 0xE01EF or char in _BLANK:
        return True
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES


def visible(text: str) -> str:
    """`text` with invisible and control characters (Unicode tag characters, zero-width and bidi controls, C0/C1
    controls, private-use and unassigned code points) shown: a short run as \\u{E0041}-style escapes, a longer
    one as "[N invisible characters]". What a report shows can then carry no hidden payload."""
    if text.isascii() and text.isprintable():
        return text
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) > _RUN:
            out.append(f"[{len(run)} invisible characters]")
        else:
            out.extend(f"\\u{{{ord(c):04X}}}" for c in run)
        run.clear()

    for char in text:
        if _invisible(char):
            run.append(char)
            continue
        if run:
            flush()
        out.append(char)
    if run:
        flush()
    return "".join(out)


def _protected(attempt: Attempt, ctx: ProbeContext) -> list[str]:
    return [v for v in (*ctx.canaries, *attempt.expect.get("canaries", ()), *ctx.restricted) if v]


def safe_excerpt(text: str, protected: Sequence[str], hits: Sequence[Hit] = (), limit: int = EXCERPT) -> str:
    """`text` as a report may show it: protected values, secrets, PII and hit spans redacted (an encoded
    protected value included); withheld whole when a protected value is still found; invisible characters shown
    as escapes; one line, cut short."""
    # Markers, markup and tool calls are the attack's own strings and the proof it worked: they stay readable.
    spans = [h for h in hits if h.span and h.detector not in _SHOWN_DETECTORS]
    shown = redact_text(text, canaries=protected, hits=spans)
    if protected and find_canaries(shown, protected):
        return "[withheld: it holds a protected value in a form nbsec could not redact in place]"
    shown = " ".join(visible(shown).split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "\u2026"


def _plan(probe: Probe, target: Target, ctx: ProbeContext, attempts: int, seed: int) -> tuple[list[Attempt], str]:
    reason = probe.unavailable(ctx)
    if reason:
        return [], reason
    rng = random.Random(f"nbsec-llm:{seed}:{probe.id}")
    planned = [probe.adapt(a, target.accepts_messages) for a in probe.attempts(ctx, rng, attempts)]
    kept = [a for a in planned if a is not None]
    if not kept:
        return [], (
            "the target takes one text only (a str -> str callable or a REST $INPUT template), and this probe "
            "needs a conversation of messages (a tool result or a system message of its own)"
        )
    return kept, ""


def run_probes(
    target: Target,
    *,
    probes: Sequence[Probe] | Sequence[str] | None = None,
    context: ProbeContext = ProbeContext(),  # noqa: B008 - frozen dataclass, safe as a default
    attempts: int = 5,
    seed: int = 0,
    concurrency: int = 4,
    progress: Progress | None = None,
) -> Report:
    """Probe `target` with `attempts` attempts per probe; a Report of success rates, findings and checks."""
    from nbsec._version import __version__
    from nbsec.errors import UsageError

    if attempts < 1:
        raise UsageError(f"attempts={attempts}: need at least 1 attempt per probe", "e.g. attempts=5")
    if context.system_prompt and not target.accepts_messages:
        raise UsageError(
            f"{target.name} takes text only: nbsec cannot send it the system prompt you gave",
            "give the app's own prompt with --known-prompt (leaks of it are measured), or probe a chat endpoint "
            "or a function that takes messages",
        )
    chosen = _probes(probes)
    report = Report(tool_version=__version__, started_at=utc_now_iso())
    started = time.perf_counter()
    results = [ProbeResult(p) for p in chosen]
    jobs: list[tuple[ProbeResult, Attempt]] = []
    for result in results:
        planned, result.skipped = _plan(result.probe, target, context, attempts, seed)
        jobs.extend((result, a) for a in planned)
    _execute(target, jobs, context, concurrency, progress)
    for result in results:
        result.outcomes.sort(key=lambda o: o.attempt.index)
        _summarise(report, result, target, context)
    elapsed = time.perf_counter() - started
    report.targets.append(
        ReportTarget(
            target.name,
            "llm-app",
            "scanned",
            f"{len(chosen)} probe(s), {attempts} attempt(s) each, seed {seed}; "
            f"{'chat messages' if target.accepts_messages else 'text only'}",
        )
    )
    report.figures.append(_figure(results))
    sent = sum(len(r.outcomes) for r in results)
    if elapsed > 0 and sent:
        report.metrics.append(Metric("llm_attempts_per_second", sent / elapsed, "attempts/s"))
    report.timings = {f"probe:{r.probe.id}": sum(o.seconds for o in r.outcomes) for r in results if r.outcomes}
    report.timings["total"] = elapsed
    report.finished_at = utc_now_iso()
    return report


def _probes(probes: Sequence[Probe] | Sequence[str] | None) -> list[Probe]:
    if probes is None:
        return select(None)
    if all(isinstance(p, str) for p in probes):
        return select([str(p) for p in probes])
    return [p for p in probes if isinstance(p, Probe)]


def _execute(
    target: Target,
    jobs: list[tuple[ProbeResult, Attempt]],
    ctx: ProbeContext,
    concurrency: int,
    progress: Progress | None,
) -> None:
    total = len(jobs)
    if not total:
        return
    done = 0
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, total))) as pool:
        futures = {pool.submit(_converse, result.probe, target, attempt): (result, attempt) for result, attempt in jobs}
        for future in as_completed(futures):
            result, attempt = futures[future]
            turns, error, hint, seconds = future.result()
            result.outcomes.append(_judged(result.probe, attempt, turns, error, hint, seconds, ctx))
            done += 1
            if progress is not None:
                progress(done, total, f"{result.probe.id} #{attempt.index + 1}")


def _judged(
    probe: Probe,
    attempt: Attempt,
    turns: list[tuple[Attempt, Reply]],
    error: str,
    hint: str,
    seconds: float,
    ctx: ProbeContext,
) -> Outcome:
    """The outcome of one attempt: every answered turn judged. A turn that got no answer makes the attempt an
    error (never a pass), unless an earlier turn already showed the attack worked."""
    outcome = Outcome(attempt, error=error, hint=hint, seconds=seconds, turns=turns)
    for sent, reply in turns:
        hits = probe.judge(sent, reply, ctx)
        if hits and outcome.shown is None:
            outcome.shown, outcome.shown_hits = (sent, reply), hits
        outcome.hits.extend(hits)
    if turns and (not error or outcome.hits):
        outcome.reply = turns[-1][1]
        outcome.error = outcome.hint = ""
    return outcome


def _detectors(hits: Sequence[Hit]) -> str:
    """What fired, one label per detector and thing found, with the encodings it was found in:
    "canary (canary 1, base64, hex), system-prompt (system prompt)"."""
    found: dict[tuple[str, str], list[str]] = {}
    for hit in hits:
        encodings = found.setdefault((hit.detector, hit.what), [])
        if hit.encoding != "plain" and hit.encoding not in encodings:
            encodings.append(hit.encoding)
    labels = [f"{detector} ({', '.join((what, *encodings))})" for (detector, what), encodings in found.items()]
    return ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else "")


def _summarise(report: Report, result: ProbeResult, target: Target, ctx: ProbeContext) -> None:
    probe, rule = result.probe, result.probe.rule
    if result.skipped:
        report.checks.append(Check(SCANNER, target.name, "skipped", f"{probe.id}: {result.skipped}", (rule.id,)))
        return
    answered, wins, failed = result.answered, result.successes, result.failed
    k, n = len(wins), len(answered)
    low, high = wilson(k, n)
    rate = k / n if n else 0.0
    interval = f"95% Wilson {low:.0%}-{high:.0%}"
    if n:
        labels = {
            "probe": probe.id,
            "family": probe.family,
            "successes": str(k),
            "attempts": str(n),
            "ci_low": f"{low:.4f}",
            "ci_high": f"{high:.4f}",
        }
        report.metrics.append(Metric("llm_attack_success_rate", rate, "fraction", labels))
    unanswered = f"; {len(failed)} of {len(result.outcomes)} attempt(s) got no answer" if failed else ""
    limits = probe.limits(ctx)
    detail = f"{probe.id}: {k}/{n} attempts succeeded ({interval}){unanswered}" + (f"; {limits}" if limits else "")
    status = "failed" if k else ("error" if failed else "passed")
    report.checks.append(Check(SCANNER, target.name, status, detail, (rule.id,)))
    if failed:
        first = failed[0]
        message = safe_excerpt(first.error, _protected(first.attempt, ctx), limit=300)
        report.errors.append(
            ScanError(
                SCANNER, target.name, f"{probe.id}: {len(failed)} attempt(s) got no answer: {message}", first.hint
            )
        )
    if not k:
        return
    hits = [h for o in wins for h in o.hits]
    strong = any(h.confidence == Confidence.HIGH for h in hits)
    first = wins[0]
    sent, reply = first.shown or (first.attempt, first.reply)
    assert reply is not None
    protected = _protected(sent, ctx)
    variant = sent.expect.get("variant")
    turn = f", turn {first.turns.index((sent, reply)) + 1} of {len(first.turns)}" if len(first.turns) > 1 else ""
    label = ", ".join(str(p) for p in (variant, turn.lstrip(", ")) if p)
    evidence = (
        f"{k}/{n} attempts succeeded (ASR {rate:.0%}, {interval}); detector {_detectors(hits)}; "
        f"transcript{f' ({label})' if label else ''}: USER: {safe_excerpt(sent.user_text, protected)}"
        f" | APP: {safe_excerpt(reply.text, protected, first.shown_hits) or '(no text)'}"
    )
    if reply.tool_calls:
        evidence += " | TOOL CALLS: " + safe_excerpt(
            "; ".join(f"{c.name}{c.arguments}" for c in reply.tool_calls), protected
        )
    finding = rule.finding(
        Location(path=target.name, endpoint=target.name, element=probe.id),
        visible(evidence + unanswered),
        title=f"{rule.title} ({probe.id})",
        severity=rule.severity if strong else _LOWER[rule.severity],
        confidence=Confidence.HIGH if strong else Confidence.MEDIUM,
        tags=("llm", probe.family, probe.id),
    )
    report.findings.append(dataclasses.replace(finding, fingerprint=llm_fingerprint(rule.id, target.name, probe.id)))


def _figure(results: Sequence[ProbeResult]) -> Figure:
    counts: dict[str, list[int]] = {}
    for result in results:
        if result.skipped or not result.answered:
            continue
        tally = counts.setdefault(result.probe.family, [0, 0])
        tally[0] += len(result.successes)
        tally[1] += len(result.answered)
    families = [f for f in FAMILIES if f in counts] + sorted(f for f in counts if f not in FAMILIES)
    return Figure(
        "llm-success-rates",
        "Attack success rate by probe family",
        "bar",
        {
            "x_label": "probe family",
            "y_label": "attack success rate",
            "categories": families,
            "series": [{"name": "attack success rate", "values": [counts[f][0] / counts[f][1] for f in families]}],
        },
    )
