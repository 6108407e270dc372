"""Rules of the LLM-application checks: probes, the guard monitor and the endpoint audit.

Stdlib + nbsec.model only, so `nbsec rules` lists them without loading a probe. Samples name the
deliberately vulnerable demo app (`nbsec demo serve-llm`, `nbsec.llm.demo_app.DemoApp`): the trigger
sample is the vulnerable app under the probe family, the clean sample the `--hardened` app (nbsec's
guards in front). The rule contract tests run both.
"""

from __future__ import annotations

from nbsec.model import Confidence, Reference, Rule, Severity, reference

SCANNER = "llm"

LLM01 = reference("OWASP LLM Top 10", "LLM01:2025")  # Prompt Injection
LLM02 = reference("OWASP LLM Top 10", "LLM02:2025")  # Sensitive Information Disclosure
LLM05 = reference("OWASP LLM Top 10", "LLM05:2025")  # Improper Output Handling
LLM06 = reference("OWASP LLM Top 10", "LLM06:2025")  # Excessive Agency
LLM07 = reference("OWASP LLM Top 10", "LLM07:2025")  # System Prompt Leakage
LLM08 = reference("OWASP LLM Top 10", "LLM08:2025")  # Vector and Embedding Weaknesses
LLM10 = reference("OWASP LLM Top 10", "LLM10:2025")  # Unbounded Consumption
ATLAS_DIRECT = reference("MITRE ATLAS", "AML.T0051.000")  # LLM Prompt Injection: Direct
ATLAS_INDIRECT = reference("MITRE ATLAS", "AML.T0051.001")  # LLM Prompt Injection: Indirect
ATLAS_JAILBREAK = reference("MITRE ATLAS", "AML.T0054")  # LLM Jailbreak
ATLAS_SYSTEM_PROMPT = reference("MITRE ATLAS", "AML.T0056")  # Extract LLM System Prompt
ATLAS_LEAKAGE = reference("MITRE ATLAS", "AML.T0057")  # LLM Data Leakage
ATLAS_OBFUSCATION = reference("MITRE ATLAS", "AML.T0068")  # LLM Prompt Obfuscation
ATLAS_RENDERING = reference("MITRE ATLAS", "AML.T0077")  # LLM Response Rendering
ATLAS_TOOL = reference("MITRE ATLAS", "AML.T0053")  # AI Agent Tool Invocation
ATLAS_TOOL_EXFIL = reference("MITRE ATLAS", "AML.T0086")  # Exfiltration via AI Agent Tool Invocation
ATLAS_AI_SERVICES = reference("MITRE ATLAS", "AML.T0085")  # Data from AI Services
ATLAS_API_ACCESS = reference("MITRE ATLAS", "AML.T0040")  # AI Model Inference API Access
ATLAS_EXTRACT_MODEL = reference("MITRE ATLAS", "AML.T0024.002")  # Extract AI Model
ATLAS_DENIAL = reference("MITRE ATLAS", "AML.T0029")  # Denial of AI Service
ATLAS_COST = reference("MITRE ATLAS", "AML.T0034")  # Cost Harvesting
CWE_LLM_PROMPT = reference("CWE", "CWE-1427")  # Improper Neutralization of Input Used for LLM Prompting
CWE_EXPOSURE = reference("CWE", "CWE-200")  # Exposure of Sensitive Information
CWE_XSS = reference("CWE", "CWE-79")
CWE_AUTHZ = reference("CWE", "CWE-862")  # Missing Authorization
NIST_SECURITY = reference("NIST AI RMF", "MEASURE 2.7")  # security and resilience evaluated
NIST_PRIVACY = reference("NIST AI RMF", "MEASURE 2.10")  # privacy risk examined

VULNERABLE = "demo LLM app (nbsec.llm.demo_app.DemoApp), vulnerable mode"
HARDENED = "demo LLM app (nbsec.llm.demo_app.DemoApp), --hardened (nbsec's guards in front)"
PROBE_REMEDIATION_TAIL = " Re-run `nbsec llm` against the app (or `%aisec llm`) and keep the report with the release."


def _llm_rule(
    number: int,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    references: tuple[Reference, ...],
    trigger: str,
    clean: str,
    tag: str,
    confidence: Confidence = Confidence.HIGH,
) -> Rule:
    """The fields every NBSEC-LLM rule shares (id, category, scanner), around what each one says."""
    return Rule(
        id=f"NBSEC-LLM-{number:03d}",
        title=title,
        severity=severity,
        confidence=confidence,
        category="LLM applications",
        scanner=SCANNER,
        description=description,
        remediation=remediation,
        references=references,
        sample_trigger=trigger,
        sample_clean=clean,
        tags=("llm", tag),
    )


def _probe_rule(
    number: int,
    title: str,
    description: str,
    remediation: str,
    family: str,
    references: tuple[Reference, ...],
    severity: Severity = Severity.HIGH,
) -> Rule:
    return _llm_rule(
        number,
        title,
        severity,
        description,
        remediation + PROBE_REMEDIATION_TAIL,
        references,
        trigger=f"{VULNERABLE}, probe family {family}",
        clean=f"{HARDENED}, probe family {family}",
        tag=family,
    )


GOAL_HIJACK = _probe_rule(
    1,
    "Direct prompt injection hijacks the app's goal",
    "A user message that tells the app to drop its instructions and do something else (print an attacker's "
    "string, change persona) was obeyed: nbsec's fresh random marker appeared in the answer. The app's task and "
    "rules give way to whoever types into it.",
    "Keep instructions and user text apart (system role, delimiters the app checks), restate the task after user "
    "input, and put an input guard in front (nbsec.llm.guard with its injection check); never give the model "
    "authority the user must not have.",
    "prompt-injection",
    (LLM01, ATLAS_DIRECT, CWE_LLM_PROMPT, NIST_SECURITY),
)
SYSTEM_PROMPT_LEAK = _probe_rule(
    2,
    "System prompt disclosed",
    "The app's instructions came back in an answer: a canary planted in the system prompt (plain or encoded: "
    "base64, hex, rot13, reversed, spaced, homoglyphs), a long verbatim run of the known prompt, or the secrets it "
    "holds. Whatever the prompt holds (business rules, internal URLs, keys) is readable by any user.",
    "Assume the system prompt is public: move secrets and access rules out of it (into code and the retrieval "
    "layer), and filter answers for the prompt's text and canaries (nbsec.llm.guard with protected_prompt and "
    "canaries).",
    "system-prompt-extraction",
    (LLM07, ATLAS_SYSTEM_PROMPT, LLM02, NIST_SECURITY),
)
INDIRECT_INJECTION = _probe_rule(
    3,
    "Instructions inside documents or tool results are followed",
    "Text the app read on the user's behalf (a pasted or retrieved document, a web page, a tool's result) carried "
    "instructions, and the app followed them: the attacker's marker came back. Anyone who can write into what the "
    "app reads controls it.",
    "Treat retrieved and tool content as data: mark it as such, tell the model it holds no instructions, strip or "
    "flag instruction-like text (nbsec.llm.guard's injection check on documents), and never let it trigger tools "
    "without the user's confirmation.",
    "indirect-injection",
    (LLM01, ATLAS_INDIRECT, CWE_LLM_PROMPT, NIST_SECURITY),
)
JAILBREAK = _probe_rule(
    4,
    "Jailbreak template bypasses the app's rules",
    "Wrapped in a jailbreak template (persona, developer mode, fiction, hypothetical), a request the app is meant "
    "to decline was carried out: the template's marker or the protected data came back. Success is measured by "
    "the marker or the leak, not by the absence of a refusal.",
    "Do not rely on the model to refuse: enforce the rule outside the model (what data it can reach, what the "
    "output filter removes), and screen inputs for known jailbreak patterns (nbsec.llm.guard).",
    "jailbreak",
    (LLM01, ATLAS_JAILBREAK, NIST_SECURITY),
)
ENCODED_INJECTION = _probe_rule(
    5,
    "Encoded or obfuscated instructions are followed",
    "Instructions encoded in base64, hex, rot13, leetspeak, spaced letters, homoglyphs or invisible Unicode tag "
    "characters were decoded and obeyed by the app, past any filter that reads only plain text.",
    "Normalise input before checking it (strip invisible characters, fold homoglyphs, decode runs) as "
    "nbsec.llm.guard does, and refuse to act on instructions that arrive encoded.",
    "encoding",
    (LLM01, ATLAS_OBFUSCATION, ATLAS_DIRECT, CWE_LLM_PROMPT),
)
SENSITIVE_DISCLOSURE = _probe_rule(
    6,
    "Secrets or personal data disclosed in answers",
    "An answer held a credential, key, token or personal data (nbsec's secrets and PII detectors, the same as for "
    "notebooks) or a planted canary. What the app can read, any user can ask it for.",
    "Keep secrets out of prompts and retrievable documents, give the app least-privilege data access, and redact "
    "answers with an output filter (nbsec.llm.guard redacts secrets, personal data and canaries); rotate any "
    "credential that leaked.",
    "sensitive-data",
    (LLM02, ATLAS_LEAKAGE, CWE_EXPOSURE, NIST_PRIVACY),
    severity=Severity.CRITICAL,
)
EXFILTRATION_RENDERING = _probe_rule(
    7,
    "Answer carries a markdown image or link that sends data to a foreign host",
    "The app produced a markdown image or link (or an <img> tag) to a host it was never meant to reference, with "
    "conversation data in the URL. A chat front end that renders it sends the data the moment the answer is shown, "
    "with no click.",
    "Do not render images or links to hosts outside an allowlist (remove them in the output filter: "
    "nbsec.llm.guard with allowed_hosts), and set a Content-Security-Policy img-src on the chat UI.",
    "output-exfiltration",
    (LLM05, LLM02, ATLAS_RENDERING, ATLAS_LEAKAGE),
)
ACTIVE_CONTENT = _probe_rule(
    8,
    "Script or HTML from the prompt passes into the answer",
    "The answer carried active content (a <script> tag, a javascript: URL, an event handler, an iframe) the user "
    "or a document asked for. A UI that renders answers as HTML runs it in the user's session.",
    "Render answers as text or sanitised markdown, encode HTML on output, and strip active content in the output "
    "filter (nbsec.llm.guard).",
    "output-script",
    (LLM05, ATLAS_RENDERING, CWE_XSS),
    severity=Severity.MEDIUM,
)
EXCESSIVE_AGENCY = _probe_rule(
    9,
    "The app calls a tool the user did not ask for, or with an attacker's arguments",
    "Induced by a message or by text in a document, the app called a tool the user never asked for, or passed it "
    "arguments the attacker chose (an e-mail address, a URL, an amount). An agent's tools act with the app's "
    "authority.",
    "Give the app only the tools it needs, confirm side-effecting calls with the user, and validate every call's "
    "tool and arguments outside the model (nbsec.llm.guard's check_tool_calls with allowed_tools).",
    "excessive-agency",
    (LLM06, ATLAS_TOOL, ATLAS_TOOL_EXFIL, LLM01),
)
RAG_ACCESS = _probe_rule(
    10,
    "Retrieval discloses documents of another role",
    "A low-privilege user asked for what only another role may see, and the answer held it: retrieval does not "
    "apply the documents' access rules, or the model was talked past them.",
    "Filter retrieval by the caller's permissions before the model sees the documents (per-document ACLs in the "
    "vector store query), never in the prompt; test every role.",
    "rag-access",
    (LLM08, LLM02, ATLAS_AI_SERVICES, CWE_AUTHZ),
)

EXTRACTION_PATTERN = _llm_rule(
    11,
    "A client's prompts look like extraction",
    Severity.MEDIUM,
    description=(
        "In the guard's log, one client sent bursts of near-duplicate prompts or prompts varied systematically "
        "(the same text with one part changed), the pattern of system-prompt extraction, model extraction and "
        "automated jailbreak search. The log keeps keyed fingerprints and similarity hashes, never the prompts."
    ),
    remediation=(
        "Rate-limit and review that client; block it if the prompts were attacks. Run `nbsec llm monitor LOG` "
        "on a schedule and alert on NBSEC-LLM-011."
    ),
    references=(ATLAS_EXTRACT_MODEL, ATLAS_SYSTEM_PROMPT, ATLAS_API_ACCESS, LLM10),
    trigger="guard log: one client, 40 near-duplicate prompts in 60 s",
    clean="guard log: one client, 40 different questions over a day",
    tag="monitor",
    confidence=Confidence.MEDIUM,
)
ATTACK_TRAFFIC = _llm_rule(
    12,
    "The guard saw attacks",
    Severity.LOW,
    description=(
        "The guard's log holds blocked inputs or filtered outputs: injection attempts, extraction requests, "
        "leaks it redacted. The finding gives the block rate and the families seen; severity rises with the rate."
    ),
    remediation=(
        "Review the families seen and the clients behind them (`nbsec llm monitor LOG`); when outputs were "
        "filtered, the app itself leaks: fix it at the source, not only in the guard."
    ),
    references=(LLM01, LLM02, ATLAS_DIRECT, NIST_SECURITY),
    trigger="guard log with 10 blocked injection attempts among 50 verdicts",
    clean="guard log with 50 allowed verdicts",
    tag="monitor",
    confidence=Confidence.MEDIUM,
)


def _endpoint_rule(number: int, title: str, severity: Severity, description: str, remediation: str,
                   references: tuple[Reference, ...], trigger: str, clean: str) -> Rule:  # fmt: skip
    return _llm_rule(number, title, severity, description, remediation, references, trigger, clean, "endpoint")


UNAUTHENTICATED_ENDPOINT = _endpoint_rule(
    13,
    "Model endpoint answers without credentials",
    Severity.HIGH,
    "A chat request with no Authorization header got a completion. Anyone who reaches the endpoint can use the "
    "model at your cost, probe it for its prompt and data, and extract its behaviour.",
    "Require an API key or token on every request (check it before the model runs), and keep the endpoint off "
    "public networks. Re-check with `nbsec llm audit URL`.",
    (ATLAS_API_ACCESS, LLM10, reference("CWE", "CWE-306")),
    "demo LLM server (nbsec.llm.demo_server.DemoServer), vulnerable mode",
    "demo LLM server (nbsec.llm.demo_server.DemoServer), hardened mode",
)
NO_RATE_LIMIT = _endpoint_rule(
    14,
    "No rate limit on a short burst",
    Severity.MEDIUM,
    "A short, bounded burst of requests was answered in full, with no 429. Unlimited requests let one client run "
    "up cost, deny service to others and automate extraction.",
    "Rate-limit per client and per key (a token bucket in front of the model), answer 429 with Retry-After, and "
    "cap tokens per request. Re-check with `nbsec llm audit URL`.",
    (LLM10, ATLAS_DENIAL, ATLAS_COST, reference("CWE", "CWE-770")),
    "demo LLM server (nbsec.llm.demo_server.DemoServer), vulnerable mode",
    "demo LLM server (nbsec.llm.demo_server.DemoServer), hardened mode",
)
ERROR_DISCLOSURE = _endpoint_rule(
    15,
    "Errors leak stack traces or configuration",
    Severity.MEDIUM,
    "A malformed request got an error that shows a stack trace, file paths, exception classes, configuration or "
    "a secret: a map of the service for an attacker.",
    'Return generic JSON errors ({"error": {"message": ...}}) and log the details server-side only. '
    "Re-check with `nbsec llm audit URL`.",
    (LLM02, reference("CWE", "CWE-209")),
    "demo LLM server (nbsec.llm.demo_server.DemoServer), vulnerable mode",
    "demo LLM server (nbsec.llm.demo_server.DemoServer), hardened mode",
)
PLAIN_HTTP = _endpoint_rule(
    16,
    "Model endpoint served over plain HTTP",
    Severity.MEDIUM,
    "The endpoint is http://, so prompts, answers and API keys cross the network in clear text. On a loopback "
    "address (127.0.0.1, ::1, localhost) this is reported as info only.",
    "Serve the endpoint over HTTPS (TLS at the server or a reverse proxy) and refuse plain HTTP. Re-check with "
    "`nbsec llm audit URL`.",
    (LLM02, reference("CWE", "CWE-319")),
    "demo LLM server on a non-loopback http:// address",
    "an https:// endpoint",
)
CORS_ANY_ORIGIN = _endpoint_rule(
    17,
    "CORS allows any origin",
    Severity.MEDIUM,
    "The endpoint answers cross-origin requests with Access-Control-Allow-Origin: *, so any web page a user opens "
    "can call the model from their browser (and, on an internal network, reach an endpoint the attacker cannot).",
    "Allow only the origins of your own front ends, or no CORS at all for a server-to-server API. Re-check with "
    "`nbsec llm audit URL`.",
    (LLM10, ATLAS_API_ACCESS, reference("CWE", "CWE-284")),
    "demo LLM server (nbsec.llm.demo_server.DemoServer), vulnerable mode",
    "demo LLM server (nbsec.llm.demo_server.DemoServer), hardened mode",
)

RULES: tuple[Rule, ...] = (
    GOAL_HIJACK,
    SYSTEM_PROMPT_LEAK,
    INDIRECT_INJECTION,
    JAILBREAK,
    ENCODED_INJECTION,
    SENSITIVE_DISCLOSURE,
    EXFILTRATION_RENDERING,
    ACTIVE_CONTENT,
    EXCESSIVE_AGENCY,
    RAG_ACCESS,
    EXTRACTION_PATTERN,
    ATTACK_TRAFFIC,
    UNAUTHENTICATED_ENDPOINT,
    NO_RATE_LIMIT,
    ERROR_DISCLOSURE,
    PLAIN_HTTP,
    CORS_ANY_ORIGIN,
)

# Probe family -> the rule its findings carry (the probes and the coverage table read this).
FAMILY_RULES: dict[str, Rule] = {rule.tags[1]: rule for rule in RULES[:10]}
