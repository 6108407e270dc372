"""`nbsec llm`: probe an LLM app offline; `nbsec llm audit URL`; `nbsec llm monitor LOG`; `nbsec llm probes`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from nbsec.commands._group import NbsecGroup
from nbsec.commands._output import (
    OutputOptions,
    PolicyOptions,
    ProgressBar,
    finish,
    output_options,
    policy_options,
    settings,
)
from nbsec.errors import UsageError

LLM_HELP = """\
Probe an LLM app (chatbot, RAG app, agent) for prompt injection, system-prompt
leakage, jailbreaks, encoded instructions, secrets and personal data in answers,
markdown-image exfiltration, script injection, tool misuse and RAG access
control. Offline and deterministic: every prompt ships with nbsec, nothing is
sent anywhere but the target you name, attempts come from a fixed seed, and
leaks are measured (canaries found plain or encoded, n-gram containment of a
known system prompt, nbsec's secrets and PII detectors), not guessed by a judge.
Each probe reports its attack success rate with a 95% Wilson interval; a probe
with one successful attempt is a finding (rules NBSEC-LLM-*) with a redacted
transcript. Exit 1 on findings at or above --fail-on, or when the target did
not answer.

\b
TARGET is one of:
  demo | demo-hardened        nbsec's deliberately vulnerable demo app, in process
  http(s)://HOST[:PORT]/v1    an OpenAI-compatible chat-completions endpoint
                              (with --template: a generic REST endpoint)
  module:callable             a Python function: str -> str, or messages -> str/dict

\b
Examples:
  nbsec llm --target demo                               every probe against the demo app
  nbsec llm --target demo-hardened                      the same app behind nbsec's guards
  nbsec demo serve-llm &                                the demo app over HTTP, then:
  nbsec llm --target http://127.0.0.1:8765/v1 --demo-context
  nbsec llm --target http://10.0.0.5:8000/v1 --canary CANARY --known-prompt prompt.txt
  nbsec llm --target myapp.bot:answer --probes prompt-injection --probes encoding
  nbsec llm --target https://llm.internal/v1 --model gpt-x --api-key-env LLM_KEY -f sarif -o llm.sarif
  nbsec llm --target https://api.example.com/chat --template '{"q": "$INPUT"}' --answer-path data.answer
  nbsec llm probes                                      what each probe tries, and its rule
  nbsec llm audit http://127.0.0.1:8765/v1              auth, rate limit, error leaks, TLS, CORS
  nbsec llm monitor guard.db                            what the guard blocked, and who probes you
"""


def _lines(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(v for v in values if v)


def _read_text(path: str | None, option: str) -> str | None:
    if path is None:
        return None
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"{option} {path}: no such file", f"{option} takes the path of a text file holding the prompt")
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{option} {path}: cannot read it ({exc})", "save the prompt as a UTF-8 text file") from None


@click.group(
    "llm",
    cls=NbsecGroup,
    help=LLM_HELP,
    short_help="Probe an LLM app; audit its endpoint; monitor its guard.",
    invoke_without_command=True,
)
@click.option("--target", "-t", metavar="TARGET", help="What to probe (see above).")
@click.option("--probes", "-p", "probe_names", multiple=True, metavar="NAME",
              help="Probe id or family (repeatable; default: all). `nbsec llm probes` lists them.")  # fmt: skip
@click.option("--attempts", "-n", type=click.IntRange(1, 200), default=5, show_default=True,
              help="Attempts per probe (the success rate's N).")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the attempts (same seed, same prompts).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Requests in flight at once.")  # fmt: skip
@click.option("--canary", "canaries", multiple=True, metavar="TEXT",
              help="A value planted in the app (system prompt, documents) that must never be answered.")  # fmt: skip
@click.option("--restricted", multiple=True, metavar="TEXT",
              help="A value only another role may see (RAG access control).")  # fmt: skip
@click.option("--known-prompt", metavar="FILE", help="The app's system prompt, to measure leaks of it.")
@click.option("--system-prompt", metavar="FILE",
              help="A system prompt nbsec sends itself (chat endpoints and message callables); nbsec plants a "
              "canary in it.")  # fmt: skip
@click.option("--demo-context", is_flag=True,
              help="The target is nbsec's demo app served by `nbsec demo serve-llm`: use what nbsec knows of it "
              "(its canaries, restricted values, prompt and tools).")  # fmt: skip
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="HOST",
              help="A host the app may link to or embed images from.")  # fmt: skip
@click.option("--model", metavar="NAME", help="Model name sent to an OpenAI-compatible endpoint.")
@click.option("--api-key-env", metavar="VAR", help="Environment variable holding the endpoint's API key.")
@click.option("--template", metavar="JSON", help="REST request body with $INPUT where the prompt goes.")
@click.option("--answer-path", metavar="PATH", help="Where the answer is in the REST response (e.g. data.answer).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option("--rate", type=float, metavar="PER_S", help="At most this many requests per second.")
@output_options()
@policy_options
@click.pass_context
def llm_group(
    ctx: click.Context,
    target: str | None,
    probe_names: tuple[str, ...],
    attempts: int,
    seed: int,
    concurrency: int,
    canaries: tuple[str, ...],
    restricted: tuple[str, ...],
    known_prompt: str | None,
    system_prompt: str | None,
    demo_context: bool,
    allowed_hosts: tuple[str, ...],
    model: str | None,
    api_key_env: str | None,
    template: str | None,
    answer_path: str | None,
    timeout: float,
    rate: float | None,
    out: OutputOptions,
    policy: PolicyOptions,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    if not target:
        raise click.UsageError("nothing to probe: give --target (demo, a URL or module:callable)", ctx=ctx)
    if out.verbose and out.quiet:
        raise click.UsageError("--verbose and --quiet cannot be used together", ctx=ctx)
    from nbsec import api
    from nbsec.llm.types import ProbeContext

    plan = out.plan()
    cfg = settings(".", out, policy)
    context = ProbeContext(
        canaries=_lines(canaries),
        restricted=_lines(restricted),
        known_prompt=_read_text(known_prompt, "--known-prompt"),
        system_prompt=_read_text(system_prompt, "--system-prompt"),
        allowed_hosts=_lines(allowed_hosts),
    )
    if demo_context:
        from nbsec.llm.demo_app import demo_context as demo_knowledge
        from nbsec.llm.resolve import merge_context

        context = merge_context(demo_knowledge(), context)
    options: dict[str, Any] = {}
    if target.startswith(("http://", "https://")):
        options = {"timeout": timeout, "concurrency": concurrency}
        for key, value in (("model", model), ("api_key_env", api_key_env), ("template", template),
                           ("answer_path", answer_path), ("rate", rate)):  # fmt: skip
            if value is not None:
                options[key] = value
    elif template or answer_path or model or api_key_env:
        raise click.UsageError("--model, --api-key-env, --template and --answer-path are for URL targets", ctx=ctx)
    bar = ProgressBar("probing") if out.show_progress() else None
    try:
        report = api.probe_llm(
            target,
            probes=list(probe_names) or None,
            context=context,
            attempts=attempts,
            seed=seed,
            concurrency=concurrency,
            progress=bar,
            target_options=options,
            config=cfg,
        )
    finally:
        if bar is not None:
            bar.close()
    finish(ctx, report, out, cfg, plan)


AUDIT_HELP = """\
Audit an HTTP model endpoint you name: does it answer without credentials,
does it rate-limit a short bounded burst (--burst requests, at most 100), do
its errors leak stack traces or configuration, is it plain HTTP, does it allow
any CORS origin. Requests go only to URL's host. Rules NBSEC-LLM-013 to -017.

\b
Examples:
  nbsec llm audit http://127.0.0.1:8765/v1
  nbsec llm audit https://llm.internal/v1 --api-key-env LLM_KEY --model gpt-x -f json -o audit.json
"""


@llm_group.command("audit", help=AUDIT_HELP, short_help="Audit an LLM endpoint: auth, rate limit, errors, TLS, CORS.")
@click.argument("url")
@click.option("--api-key-env", metavar="VAR", help="Environment variable with a valid key (to compare with no key).")
@click.option("--model", metavar="NAME", help="Model name for the test requests.")
@click.option("--burst", type=click.IntRange(1, 100), default=30, show_default=True, help="Requests in the burst.")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@output_options()
@policy_options
@click.pass_context
def audit_command(
    ctx: click.Context,
    url: str,
    api_key_env: str | None,
    model: str | None,
    burst: int,
    timeout: float,
    out: OutputOptions,
    policy: PolicyOptions,
) -> None:
    from nbsec import api

    plan = out.plan()
    cfg = settings(".", out, policy)
    report = api.audit_llm_endpoint(url, api_key_env=api_key_env, model=model, burst=burst, timeout=timeout, config=cfg)
    finish(ctx, report, out, cfg, plan)


MONITOR_HELP = """\
Read the guard's SQLite log (nbsec.llm.guard(..., log="guard.db")): block
rates over time, the attack families seen, and clients whose prompts look like
extraction (bursts of near-duplicate or systematically varied prompts). The
log holds verdicts, keyed fingerprints and similarity hashes, never prompts or
secrets. Rules NBSEC-LLM-011 and NBSEC-LLM-012.

\b
Examples:
  nbsec llm monitor guard.db
  nbsec llm monitor guard.db --bucket 3600 -f html -o monitor.html
"""


@llm_group.command("monitor", help=MONITOR_HELP, short_help="What the guard saw: block rates, families, extraction.")
@click.argument("log", type=click.Path(path_type=str))
@click.option("--bucket", "bucket_seconds", type=float, metavar="SECONDS",
              help="Width of the timeline's buckets [default: from the log's time span].")  # fmt: skip
@output_options()
@policy_options
@click.pass_context
def monitor_command(
    ctx: click.Context, log: str, bucket_seconds: float | None, out: OutputOptions, policy: PolicyOptions
) -> None:
    from nbsec import api

    plan = out.plan()
    cfg = settings(".", out, policy)
    report = api.monitor_llm(log, bucket_seconds=bucket_seconds, config=cfg)
    finish(ctx, report, out, cfg, plan)


@llm_group.command("probes", short_help="List the probes: id, family, rule, goal.")
def probes_command() -> None:
    """List every probe nbsec ships: its id, family, the rule its findings carry, and its goal."""
    from nbsec.llm.probes import all_probes

    for probe in all_probes():
        click.echo(f"{probe.id:<40} {probe.rule.id:<15} {probe.goal}")
    click.echo("\nRun some: nbsec llm --target TARGET --probes FAMILY_OR_ID (repeatable)")
