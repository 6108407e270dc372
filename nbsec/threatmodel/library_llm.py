"""Threat library, part 3: LLM applications, retrieval (RAG) and agents with tools."""

from __future__ import annotations

from nbsec.threatmodel.conditions import Is, When
from nbsec.threatmodel.threatrule import ThreatRule, sample
from nbsec.threatmodel.vocabulary import EXTERNAL_SOURCES

LLMS = ("llm", "agent")
CHAT = "elements: [{id: u, kind: user}, {id: bot, kind: llm}]\nflows: [{from: u, to: bot}]"
TRUSTED_CHAT = (
    "elements: [{id: u, kind: user, attributes: {trusted: true}}, {id: bot, kind: llm}]\nflows: [{from: u, to: bot}]"
)
RAG = "elements: [{id: v, kind: vector_store}, {id: bot, kind: llm}]\nflows: [{from: v, to: bot}]"
NO_RAG = "elements: [{id: v, kind: vector_store}, {id: bot, kind: llm}]"
AGENT_TOOL = "elements: [{id: a, kind: agent}, {id: x, kind: tool}]\nflows: [{from: a, to: x}]"
TOOL = "elements: [{{id: a, kind: agent}}, {{id: x, kind: tool, attributes: {{{attrs}}}}}]\nflows: [{{from: a, to: x}}]"

RULES = (
    ThreatRule(
        id="NBSEC-TM-026",
        title="Direct prompt injection",
        stride="TE",
        when=When(kinds=LLMS, exposed=True),
        likelihood=4,
        impact=4,
        description=(
            "Untrusted users write (part of) the prompt. Instructions in their input override the "
            "system prompt: the model ignores its rules, leaks data or misuses its tools."
        ),
        remediation="Treat prompts as untrusted input: guard inputs, constrain what the model may do, and red-team it.",
        controls=("input_guard", "red_teaming", "output_guard"),
        atlas=("AML.T0051.000", "AML.T0054"),
        atlas_mitigations=("AML.M0020", "AML.M0033"),
        owasp=("LLM01:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        trigger=sample(CHAT),
        clean=sample(TRUSTED_CHAT),
    ),
    ThreatRule(
        id="NBSEC-TM-027",
        title="Indirect prompt injection through retrieved or tool content",
        stride="TE",
        when=When(kinds=LLMS, inbound=Is(kinds=("vector_store", "tool", "external_service", "dataset", "data_store"))),
        likelihood=4,
        impact=4,
        description=(
            "The model reads documents, web pages, e-mails or tool results. Instructions hidden in that "
            "content are followed as if the user had written them."
        ),
        remediation=(
            "Mark retrieved content as data, screen it for instructions, and never let it trigger tools unreviewed."
        ),
        controls=("input_guard", "content_provenance", "least_privilege"),
        atlas=("AML.T0051.001", "AML.T0066"),
        atlas_mitigations=("AML.M0033", "AML.M0030"),
        owasp=("LLM01:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        trigger=sample(RAG),
        clean=sample(NO_RAG),
    ),
    ThreatRule(
        id="NBSEC-TM-028",
        title="System prompt leakage",
        stride="I",
        when=When(kinds=LLMS, attrs={"has_system_prompt": True}, exposed=True),
        likelihood=4,
        impact=3,
        description=(
            "Users can make the model repeat its system prompt. Whatever it contains (business rules, "
            "filters, internal names, sometimes credentials) becomes public and helps craft attacks."
        ),
        remediation="Assume the system prompt will leak: keep secrets and authorisation out of it, and filter echoes.",
        controls=("system_prompt_hygiene", "output_guard"),
        atlas=("AML.T0056", "AML.T0069.002"),
        atlas_mitigations=("AML.M0020", "AML.M0021"),
        owasp=("LLM07:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        trigger=sample(CHAT),
        clean=sample(
            "elements: [{id: u, kind: user}, {id: bot, kind: llm, attributes: {has_system_prompt: false}}]\n"
            "flows: [{from: u, to: bot}]"
        ),
    ),
    ThreatRule(
        id="NBSEC-TM-029",
        title="Secrets or access rules in the system prompt",
        stride="IE",
        when=When(kinds=LLMS, attrs={"system_prompt_secrets": True}),
        likelihood=4,
        impact=5,
        description=(
            "The system prompt holds API keys, passwords or the rules that decide who may see what. "
            "The model cannot keep them: extraction exposes them and injection bypasses the rules."
        ),
        remediation="Move secrets to the tool layer and enforce authorisation in code, outside the model.",
        controls=("system_prompt_hygiene", "secret_management"),
        atlas=("AML.T0056", "AML.T0055"),
        atlas_mitigations=("AML.M0020",),
        owasp=("LLM07:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.3",),
        eu=("Art. 15",),
        cwe=("CWE-798",),
        trigger=sample("elements: [{id: bot, kind: llm, attributes: {system_prompt_secrets: true}}]"),
        clean=sample("elements: [{id: bot, kind: llm}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-030",
        title="Sensitive information disclosure in LLM output",
        stride="I",
        when=When(
            kinds=LLMS,
            exposed=True,
            any_of=(
                When(attrs={"personal_data": True}),
                When(attrs={"fine_tuned": True}),
                When(upstream=Is(attrs={"personal_data": True})),
            ),
        ),
        likelihood=3,
        impact=4,
        description=(
            "The model has seen personal or confidential data (fine-tuning, retrieval, context) and answers "
            "untrusted users, who can get it to repeat that data."
        ),
        remediation="Keep sensitive data out of what the model can see per user, and filter its output.",
        controls=("output_guard", "access_control", "tenant_isolation"),
        atlas=("AML.T0057",),
        atlas_mitigations=("AML.M0020", "AML.M0021"),
        owasp=("LLM02:2025",),
        nist=("MEASURE 2.10",),
        iso=("A.5.4",),
        eu=("Art. 15",),
        trigger=sample(
            "elements: [{id: u, kind: user}, {id: bot, kind: llm, attributes: {personal_data: true}}]\n"
            "flows: [{from: u, to: bot}]"
        ),
        clean=sample(CHAT),
    ),
    ThreatRule(
        id="NBSEC-TM-031",
        title="Improper handling of LLM output",
        stride="TE",
        when=When(
            kinds=LLMS,
            any_of=(
                When(attrs={"output_rendered": True}),
                When(attrs={"output_executed": True}),
                When(outbound=Is(kinds=("tool",), attrs={"executes_code": True})),
            ),
        ),
        likelihood=4,
        impact=4,
        description=(
            "Model output is rendered as HTML/Markdown, run as code, SQL or shell, or passed to a tool "
            "that executes it. An injected instruction turns into XSS, data exfiltration or code execution."
        ),
        remediation="Encode output for where it goes, never eval/exec it, and run generated code only in a sandbox.",
        controls=("output_encoding", "sandboxing"),
        atlas=("AML.T0077", "AML.T0050"),
        atlas_mitigations=("AML.M0033",),
        owasp=("LLM05:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        cwe=("CWE-79", "CWE-94"),
        trigger=sample("elements: [{id: bot, kind: llm, attributes: {output_rendered: true}}]"),
        clean=sample("elements: [{id: bot, kind: llm}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-032",
        title="Excessive agency: the model can call tools",
        stride="E",
        when=When(kinds=LLMS, outbound=Is(kinds=("tool",))),
        likelihood=3,
        impact=4,
        description=(
            "An LLM or agent chooses which tools to call and with which arguments. More functions, "
            "permissions or autonomy than the task needs turn one injected instruction into real actions."
        ),
        remediation=(
            "Give the agent only the tools and scopes it needs, validate arguments, and require approval for impact."
        ),
        controls=("least_privilege", "tool_allowlist", "human_approval"),
        atlas=("AML.T0053", "AML.T0086"),
        atlas_mitigations=("AML.M0026", "AML.M0028", "AML.M0029"),
        owasp=("LLM06:2025",),
        nist=("MEASURE 2.7", "MAP 3.5"),
        iso=("A.9.2",),
        eu=("Art. 14", "Art. 15"),
        trigger=sample(AGENT_TOOL),
        clean=sample("elements: [{id: a, kind: agent}, {id: x, kind: tool}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-033",
        title="Generated code runs outside a sandbox",
        stride="E",
        when=When(kinds=("agent", "tool"), attrs={"executes_code": True}),
        likelihood=4,
        impact=5,
        description=(
            "The agent or a tool runs code or shell commands the model wrote. Without isolation, an "
            "injected instruction runs with the host's files, network and credentials."
        ),
        remediation="Run generated code in a locked-down sandbox without credentials or open network egress.",
        controls=("sandboxing", "network_isolation", "human_approval"),
        atlas=("AML.T0050", "AML.T0105", "AML.T0102"),
        atlas_mitigations=("AML.M0032", "AML.M0029"),
        owasp=("LLM06:2025", "LLM05:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-94",),
        trigger=sample(TOOL.format(attrs="executes_code: true")),
        clean=sample(AGENT_TOOL),
    ),
    ThreatRule(
        id="NBSEC-TM-034",
        title="Destructive or write actions through agent tools",
        stride="TD",
        when=When(
            kinds=("tool",),
            upstream=Is(kinds=LLMS),
            any_of=(When(attrs={"can_write": True}), When(attrs={"destructive": True})),
        ),
        likelihood=3,
        impact=5,
        description=(
            "A tool the model drives can write, send, pay or delete. A wrong or injected call changes "
            "systems irreversibly."
        ),
        remediation="Require human approval for writes, scope the tool's credentials, and log every call.",
        controls=("human_approval", "least_privilege", "logging"),
        atlas=("AML.T0101", "AML.T0053"),
        atlas_mitigations=("AML.M0029", "AML.M0028"),
        owasp=("LLM06:2025",),
        nist=("MANAGE 2.4", "MEASURE 2.6"),
        iso=("A.9.2",),
        eu=("Art. 14",),
        trigger=sample(TOOL.format(attrs="can_write: true")),
        clean=sample(AGENT_TOOL),
    ),
    ThreatRule(
        id="NBSEC-TM-035",
        title="Data exfiltration through agent tools",
        stride="I",
        when=When(kinds=LLMS, outbound=Is(kinds=("tool",), attrs={"network_access": True})),
        likelihood=3,
        impact=4,
        description=(
            "The model can call a tool that reaches arbitrary hosts (web fetch, e-mail, HTTP). Injected "
            "instructions can send the conversation, retrieved documents or secrets out through it."
        ),
        remediation=(
            "Restrict tool egress to allow-listed hosts and do not let untrusted content trigger network tools."
        ),
        controls=("network_isolation", "input_guard", "human_approval"),
        atlas=("AML.T0086", "AML.T0051.001"),
        atlas_mitigations=("AML.M0030", "AML.M0032"),
        owasp=("LLM06:2025", "LLM02:2025"),
        nist=("MEASURE 2.10",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        trigger=sample(TOOL.format(attrs="network_access: true")),
        clean=sample(AGENT_TOOL),
    ),
    ThreatRule(
        id="NBSEC-TM-036",
        title="Third-party tool or plugin poisoning",
        stride="T",
        when=When(kinds=("tool",), attrs={"third_party": True}),
        likelihood=3,
        impact=4,
        description=(
            "The agent loads a tool, plugin or MCP server someone else publishes. Its description and "
            "behaviour can change after review (rug pull) and steer the agent."
        ),
        remediation="Pin reviewed tool versions, list them in the bill of materials, and allow only those.",
        controls=("tool_allowlist", "hash_pinning", "sbom"),
        atlas=("AML.T0110", "AML.T0010.005", "AML.T0109"),
        atlas_mitigations=("AML.M0028", "AML.M0023"),
        owasp=("LLM03:2025",),
        nist=("GOVERN 6.1",),
        iso=("A.10.3",),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: x, kind: tool, attributes: {third_party: true}}]"),
        clean=sample("elements: [{id: x, kind: tool}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-037",
        title="Credentials harvested from the agent or its tools",
        stride="I",
        when=When(kinds=("agent", "tool"), attrs={"uses_credentials": True}),
        likelihood=3,
        impact=5,
        description=(
            "The agent or tool holds credentials to other systems. Prompt injection or a poisoned tool can "
            "make it reveal them or use them beyond the task."
        ),
        remediation="Keep credentials out of the model's context, scope them per tool and per user, and rotate them.",
        controls=("secret_management", "least_privilege"),
        atlas=("AML.T0083", "AML.T0098"),
        atlas_mitigations=("AML.M0026", "AML.M0032"),
        owasp=("LLM06:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-522",),
        trigger=sample("elements: [{id: x, kind: tool, attributes: {uses_credentials: true}}]"),
        clean=sample("elements: [{id: x, kind: tool}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-038",
        title="Agent memory poisoning",
        stride="T",
        when=When(kinds=("agent",), attrs={"memory": True}),
        likelihood=3,
        impact=4,
        description=(
            "The agent remembers across sessions. An instruction written into its memory once keeps "
            "steering it later, for this user or for others."
        ),
        remediation="Scope memory per user, screen what is written to it, and let users see and clear it.",
        controls=("memory_isolation", "input_guard"),
        atlas=("AML.T0080.000", "AML.T0080"),
        atlas_mitigations=("AML.M0031",),
        owasp=("LLM04:2025", "LLM01:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.6",),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: a, kind: agent, attributes: {memory: true}}]"),
        clean=sample("elements: [{id: a, kind: agent}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-039",
        title="Autonomous agent without a person in the loop",
        stride="ED",
        when=When(kinds=("agent",), attrs={"autonomous": True}),
        likelihood=3,
        impact=4,
        description=(
            "The agent plans and acts on its own. Mistakes, loops and injected goals run to completion "
            "and consume resources before anyone can stop them."
        ),
        remediation="Add approval steps for consequential actions, step and spend limits, and a way to stop the agent.",
        controls=("human_approval", "human_oversight", "usage_quotas"),
        atlas=("AML.T0053", "AML.T0034.002"),
        atlas_mitigations=("AML.M0029",),
        owasp=("LLM06:2025", "LLM10:2025"),
        nist=("MAP 3.5", "GOVERN 3.2"),
        iso=("A.9.2",),
        eu=("Art. 14",),
        trigger=sample("elements: [{id: a, kind: agent, attributes: {autonomous: true}}]"),
        clean=sample("elements: [{id: a, kind: agent}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-040",
        title="Vector store without per-user access control",
        stride="I",
        when=When(kinds=("vector_store",), outbound=Is(kinds=LLMS)),
        likelihood=3,
        impact=4,
        description=(
            "Retrieval returns whatever is most similar, not what the asking user may read. Without "
            "permission-aware filtering, one user's question surfaces another user's documents."
        ),
        remediation="Enforce the source documents' permissions at retrieval time and partition indexes per tenant.",
        controls=("access_control", "tenant_isolation"),
        atlas=("AML.T0085.000", "AML.T0064"),
        atlas_mitigations=("AML.M0005", "AML.M0032"),
        owasp=("LLM08:2025",),
        nist=("MEASURE 2.10",),
        iso=("A.4.3",),
        eu=("Art. 15",),
        cwe=("CWE-284",),
        trigger=sample(RAG),
        clean=sample(NO_RAG),
    ),
    ThreatRule(
        id="NBSEC-TM-041",
        title="RAG poisoning through indexed content",
        stride="T",
        when=When(
            kinds=("vector_store",),
            any_of=(
                When(attrs={"ingests_untrusted_content": True}),
                When(attrs={"user_generated": True}),
                When(attrs={"source": EXTERNAL_SOURCES}),
                When(upstream=Is(untrusted=True)),
                When(upstream=Is(kinds=("dataset",), attrs={"source": EXTERNAL_SOURCES})),
            ),
        ),
        likelihood=4,
        impact=4,
        description=(
            "The index is fed from content outsiders can write (web pages, tickets, uploads, shared drives). "
            "A planted document is retrieved for chosen questions and carries false facts or instructions."
        ),
        remediation="Index only vetted sources with provenance, screen new content, and review what is retrieved.",
        controls=("content_provenance", "data_validation", "input_guard"),
        atlas=("AML.T0070", "AML.T0071", "AML.T0066"),
        atlas_mitigations=("AML.M0025", "AML.M0007"),
        owasp=("LLM08:2025", "LLM04:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.7.3", "A.7.5"),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: v, kind: vector_store, attributes: {ingests_untrusted_content: true}}]"),
        clean=sample("elements: [{id: v, kind: vector_store}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-042",
        title="Embedding inversion of sensitive data",
        stride="I",
        when=When(
            kinds=("vector_store",),
            any_of=(When(attrs={"personal_data": True}), When(upstream=Is(attrs={"personal_data": True}))),
        ),
        likelihood=2,
        impact=4,
        description=(
            "Embeddings are not anonymous: text can be largely reconstructed from them. A leaked or "
            "over-shared vector store leaks the personal data it was built from."
        ),
        remediation="Protect embeddings like the source text: encrypt, restrict access, and leave personal data out.",
        controls=("encryption_at_rest", "access_control", "data_minimisation"),
        atlas=("AML.T0024.001", "AML.T0085.000"),
        atlas_mitigations=("AML.M0012", "AML.M0005"),
        owasp=("LLM08:2025",),
        nist=("MEASURE 2.10",),
        iso=("A.5.4",),
        eu=("Art. 10",),
        trigger=sample("elements: [{id: v, kind: vector_store, attributes: {personal_data: true}}]"),
        clean=sample("elements: [{id: v, kind: vector_store}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-043",
        title="Personal data sent to a third-party model provider",
        stride="I",
        when=When(
            kinds=("llm",),
            attrs={"third_party": True},
            any_of=(When(attrs={"personal_data": True}), When(upstream=Is(attrs={"personal_data": True}))),
        ),
        likelihood=3,
        impact=4,
        description=(
            "Prompts with personal or confidential data go to an external LLM provider, which may log, "
            "retain or train on them, under another jurisdiction."
        ),
        remediation="Minimise and pseudonymise what is sent, and contract for no retention or training on your data.",
        controls=("data_minimisation", "encryption_in_transit", "output_guard"),
        atlas=("AML.T0057", "AML.T0025"),
        atlas_mitigations=("AML.M0012",),
        owasp=("LLM02:2025", "LLM03:2025"),
        nist=("GOVERN 6.1", "MEASURE 2.10"),
        iso=("A.10.3",),
        eu=("Art. 10",),
        trigger=sample("elements: [{id: bot, kind: llm, attributes: {third_party: true, personal_data: true}}]"),
        clean=sample("elements: [{id: bot, kind: llm, attributes: {third_party: true}}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-044",
        title="Jailbreak into unsafe or policy-violating output",
        stride="E",
        when=When(kinds=("llm",), exposed=True),
        likelihood=4,
        impact=3,
        description=(
            "Role-play, encoding and many-shot prompts bypass the model's safety training and make it "
            "produce content the operator is accountable for."
        ),
        remediation="Use an aligned model plus input and output moderation, and red-team with jailbreak suites.",
        controls=("output_guard", "red_teaming", "input_guard"),
        atlas=("AML.T0054",),
        atlas_mitigations=("AML.M0022", "AML.M0020"),
        owasp=("LLM01:2025",),
        nist=("MEASURE 2.6",),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        trigger=sample(CHAT),
        clean=sample(TRUSTED_CHAT),
    ),
    ThreatRule(
        id="NBSEC-TM-045",
        title="Misinformation and overreliance on LLM output",
        stride="T",
        when=When(kinds=("llm",), downstream=Is(kinds=("user",))),
        likelihood=3,
        impact=3,
        description=(
            "Users act on fluent but wrong answers (hallucinated facts, packages, citations). Attackers "
            "register hallucinated package names to catch them."
        ),
        remediation=(
            "Ground answers in cited sources, tell users the limits, and keep a person responsible for decisions."
        ),
        controls=("human_oversight", "monitoring"),
        atlas=("AML.T0062", "AML.T0060"),
        atlas_mitigations=("AML.M0021", "AML.M0022"),
        owasp=("LLM09:2025",),
        nist=("MEASURE 2.5", "MAP 3.5"),
        iso=("A.8.2",),
        eu=("Art. 13", "Art. 50"),
        trigger=sample("elements: [{id: bot, kind: llm}, {id: u, kind: user}]\nflows: [{from: bot, to: u}]"),
        clean=sample("elements: [{id: bot, kind: llm}, {id: u, kind: user}]\nflows: [{from: u, to: bot}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-046",
        title="Cost harvesting on a paid model API",
        stride="D",
        when=When(kinds=("llm",), attrs={"third_party": True}, exposed=True),
        likelihood=3,
        impact=3,
        description=(
            "Untrusted users drive calls to a pay-per-token model API. Abuse, scraping or proxying "
            "turns into the operator's bill and exhausts quotas for legitimate users."
        ),
        remediation="Authenticate users and set per-user token and spend budgets with alerts.",
        controls=("usage_quotas", "rate_limiting", "authentication"),
        atlas=("AML.T0034", "AML.T0034.000"),
        atlas_mitigations=("AML.M0004",),
        owasp=("LLM10:2025",),
        nist=("GOVERN 6.2", "MEASURE 2.7"),
        iso=("A.10.3",),
        eu=("Art. 15",),
        trigger=sample(
            "elements: [{id: u, kind: user}, {id: bot, kind: llm, attributes: {third_party: true}}]\n"
            "flows: [{from: u, to: bot}]"
        ),
        clean=sample(
            "elements: [{id: u, kind: user, attributes: {trusted: true}}, "
            "{id: bot, kind: llm, attributes: {third_party: true}}]\nflows: [{from: u, to: bot}]"
        ),
    ),
)
