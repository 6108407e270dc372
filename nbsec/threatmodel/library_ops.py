"""Threat library, part 2: serving and inference APIs, privacy attacks, trust boundaries, oversight."""

from __future__ import annotations

from nbsec.threatmodel.conditions import FlowWhen, Is, When
from nbsec.threatmodel.threatrule import ThreatRule, sample

SERVING = ("serving_endpoint", "llm")
USER_TO_API = (
    "elements: [{id: u, kind: user}, {id: api, kind: serving_endpoint}, {id: t, kind: training_job}]\n"
    "flows: [{from: t, to: api}, {from: u, to: api}]"
)
INTERNAL_API = (
    "elements: [{id: u, kind: user, attributes: {trusted: true}}, {id: api, kind: serving_endpoint}]\n"
    "flows: [{from: u, to: api}]"
)
ZONES = "zones: [{id: internet, trust: untrusted}, {id: prod, trust: restricted}]\n"

RULES = (
    ThreatRule(
        id="NBSEC-TM-014",
        title="Membership inference against the deployed model",
        stride="I",
        when=When(
            kinds=SERVING,
            exposed=True,
            any_of=(When(upstream=Is(kinds=("training_job",))), When(attrs={"fine_tuned": True})),
        ),
        likelihood=3,
        impact=4,
        description=(
            "Untrusted callers can query a model trained or fine-tuned on the organisation's data and "
            "tell from its answers whether a given record was in the training set."
        ),
        remediation=(
            "Limit memorisation (regularisation, differential privacy), return less detail, and audit "
            "with a membership-inference test."
        ),
        controls=("differential_privacy", "output_minimisation", "rate_limiting"),
        atlas=("AML.T0024.000",),
        atlas_mitigations=("AML.M0002", "AML.M0004"),
        owasp=("ML04:2023", "LLM02:2025"),
        nist=("MEASURE 2.10",),
        iso=("A.5.4",),
        eu=("Art. 15",),
        trigger=sample(USER_TO_API),
        clean=sample(INTERNAL_API),
    ),
    ThreatRule(
        id="NBSEC-TM-015",
        title="Model inversion through returned scores",
        stride="I",
        when=When(kinds=SERVING, attrs={"returns_scores": True}, exposed=True),
        likelihood=3,
        impact=4,
        description=(
            "The API returns confidence scores, logits or log-probabilities. Optimising inputs against "
            "them reconstructs representative training inputs (faces, records)."
        ),
        remediation="Return the label (or rounded, top-1 scores) only, and rate-limit callers.",
        controls=("output_minimisation", "rate_limiting", "differential_privacy"),
        atlas=("AML.T0024.001",),
        atlas_mitigations=("AML.M0002", "AML.M0004"),
        owasp=("ML03:2023",),
        nist=("MEASURE 2.10",),
        iso=("A.5.4",),
        eu=("Art. 15",),
        trigger=sample(
            "elements: [{id: u, kind: user}, {id: api, kind: serving_endpoint, attributes: {returns_scores: true}}]\n"
            "flows: [{from: u, to: api}]"
        ),
        clean=sample("elements: [{id: u, kind: user}, {id: api, kind: serving_endpoint}]\nflows: [{from: u, to: api}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-016",
        title="Model extraction through the inference API",
        stride="I",
        when=When(kinds=SERVING, exposed=True, attrs={"third_party": False}),
        likelihood=3,
        impact=4,
        description=(
            "Enough queries to an exposed model train a functional copy: the intellectual property is "
            "stolen and the copy becomes a white-box proxy for crafting attacks."
        ),
        remediation="Authenticate and rate-limit callers, watch for systematic querying, and return minimal output.",
        controls=("rate_limiting", "authentication", "monitoring", "output_minimisation"),
        atlas=("AML.T0024.002", "AML.T0048.004", "AML.T0005"),
        atlas_mitigations=("AML.M0004", "AML.M0002"),
        owasp=("ML05:2023", "LLM10:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.6",),
        eu=("Art. 15",),
        trigger=sample(USER_TO_API),
        clean=sample(INTERNAL_API),
    ),
    ThreatRule(
        id="NBSEC-TM-017",
        title="Evasion with adversarial examples",
        stride="T",
        when=When(kinds=("serving_endpoint",), exposed=True),
        likelihood=3,
        impact=4,
        description=(
            "Inputs changed imperceptibly make the model decide wrongly (a fraud passes, a filter misses). "
            "Anyone who can send inputs can search for them, even without the weights."
        ),
        remediation=(
            "Measure robust accuracy under attack before release; harden the model and detect adversarial inputs."
        ),
        controls=("adversarial_testing", "model_hardening", "monitoring"),
        atlas=("AML.T0015", "AML.T0043"),
        atlas_mitigations=("AML.M0003", "AML.M0015"),
        owasp=("ML01:2023",),
        nist=("MEASURE 2.7", "MEASURE 2.5"),
        iso=("A.6.2.4",),
        eu=("Art. 15",),
        trigger=sample(USER_TO_API),
        clean=sample(INTERNAL_API),
    ),
    ThreatRule(
        id="NBSEC-TM-018",
        title="Denial of AI service and unbounded consumption",
        stride="D",
        when=When(kinds=("serving_endpoint", "llm", "agent"), exposed=True),
        likelihood=3,
        impact=3,
        description=(
            "Inference is expensive. Floods of queries, very long prompts or runaway agent loops exhaust "
            "GPUs, quotas or budget and take the service down for everyone."
        ),
        remediation="Rate-limit and cap input size, tokens and agent steps per caller; alert on spikes.",
        controls=("rate_limiting", "usage_quotas", "monitoring"),
        atlas=("AML.T0029", "AML.T0034", "AML.T0034.001"),
        atlas_mitigations=("AML.M0004", "AML.M0019"),
        owasp=("LLM10:2025",),
        nist=("MEASURE 2.7", "MANAGE 2.4"),
        iso=("A.6.2.6",),
        eu=("Art. 15",),
        trigger=sample(USER_TO_API),
        clean=sample(INTERNAL_API),
    ),
    ThreatRule(
        id="NBSEC-TM-019",
        title="Data flow across a trust boundary without encryption",
        stride="IT",
        when=FlowWhen(crosses_boundary=True),
        likelihood=3,
        impact=3,
        description=(
            "Data, prompts or model files cross from one trust zone to another. Unencrypted, they can "
            "be read or changed in transit."
        ),
        remediation="Use TLS (or an equivalent authenticated channel) on every flow that leaves a zone.",
        controls=("encryption_in_transit",),
        atlas=("AML.T0025",),
        atlas_mitigations=("AML.M0012",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-319",),
        trigger=sample(
            ZONES + "elements: [{id: u, kind: user, zone: internet}, {id: api, kind: serving_endpoint, zone: prod}]\n"
            "flows: [{from: u, to: api}]"
        ),
        clean=sample(
            ZONES
            + "elements: [{id: j, kind: training_job, zone: prod}, {id: api, kind: serving_endpoint, zone: prod}]\n"
            "flows: [{from: j, to: api}]"
        ),
    ),
    ThreatRule(
        id="NBSEC-TM-020",
        title="Unauthenticated entry into a more trusted zone",
        stride="SE",
        when=FlowWhen(into_higher_trust=True),
        likelihood=3,
        impact=4,
        description=(
            "A flow enters a more trusted zone. Unless the receiving side authenticates the sender, "
            "anyone who reaches the boundary can impersonate a legitimate client."
        ),
        remediation="Authenticate the sender where the flow enters the trusted zone and authorise what it may do.",
        controls=("authentication", "access_control"),
        atlas=("AML.T0049", "AML.T0012"),
        atlas_mitigations=("AML.M0019",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-306",),
        trigger=sample(
            ZONES + "elements: [{id: u, kind: user, zone: internet}, {id: api, kind: serving_endpoint, zone: prod}]\n"
            "flows: [{from: u, to: api}]"
        ),
        clean=sample(
            ZONES + "elements: [{id: api, kind: serving_endpoint, zone: prod}, {id: u, kind: user, zone: internet}]\n"
            "flows: [{from: api, to: u}]"
        ),
    ),
    ThreatRule(
        id="NBSEC-TM-021",
        title="Public inference API",
        stride="S",
        when=When(kinds=("serving_endpoint", "llm", "agent"), attrs={"public": True, "third_party": False}),
        likelihood=4,
        impact=3,
        description=(
            "The model is reachable from the internet. Without authentication every attack on the model "
            "(extraction, evasion, injection, flooding) is open to anyone, anonymously."
        ),
        remediation="Require authentication (API keys, OAuth) and per-client limits on the public API.",
        controls=("authentication", "rate_limiting"),
        atlas=("AML.T0040",),
        atlas_mitigations=("AML.M0019", "AML.M0004"),
        owasp=("LLM10:2025",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-306",),
        trigger=sample("elements: [{id: api, kind: serving_endpoint, attributes: {public: true}}]"),
        clean=sample("elements: [{id: api, kind: serving_endpoint}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-022",
        title="Inference and agent actions are not logged",
        stride="R",
        when=When(kinds=("serving_endpoint", "llm", "agent")),
        likelihood=3,
        impact=3,
        description=(
            "Without a record of requests, responses and tool calls, an extraction campaign, an injected "
            "instruction or a harmful agent action cannot be detected, attributed or investigated."
        ),
        remediation="Log requests, model version, outputs and tool calls (with personal data redacted) and keep them.",
        controls=("logging", "monitoring"),
        atlas=("AML.T0024", "AML.T0051", "AML.T0053"),
        atlas_mitigations=("AML.M0024",),
        nist=("MEASURE 2.4", "MANAGE 4.1"),
        iso=("A.6.2.8",),
        eu=("Art. 12", "Art. 19"),
        trigger=sample("elements: [{id: bot, kind: llm}]"),
        clean=sample("elements: [{id: d, kind: dataset}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-023",
        title="Feedback loop from production into training data",
        stride="T",
        when=When(
            kinds=("dataset", "training_job", "vector_store"),
            upstream=Is(kinds=("serving_endpoint", "llm", "agent")),
        ),
        likelihood=3,
        impact=3,
        description=(
            "Outputs or user interactions in production flow back into training or retrieval data. "
            "Attackers can steer the next model by feeding it, and errors reinforce themselves (skewing)."
        ),
        remediation=(
            "Screen and sample feedback before it is reused, and validate each retrained model against a fixed set."
        ),
        controls=("data_validation", "model_validation", "monitoring"),
        atlas=("AML.T0031", "AML.T0020"),
        atlas_mitigations=("AML.M0008", "AML.M0007"),
        owasp=("ML08:2023",),
        nist=("MEASURE 2.4",),
        iso=("A.6.2.6",),
        eu=("Art. 15",),
        trigger=sample(
            "elements: [{id: api, kind: serving_endpoint}, {id: d, kind: dataset}]\nflows: [{from: api, to: d}]"
        ),
        clean=sample(
            "elements: [{id: d, kind: dataset}, {id: api, kind: serving_endpoint}]\nflows: [{from: d, to: api}]"
        ),
    ),
    ThreatRule(
        id="NBSEC-TM-024",
        title="Personal data at rest without access control",
        stride="I",
        when=When(kinds=("dataset", "feature_store", "data_store"), attrs={"personal_data": True}),
        likelihood=3,
        impact=4,
        description=(
            "A store of training or feature data holds personal data. Data science workflows copy such "
            "stores widely; broad read access exposes the records."
        ),
        remediation="Restrict and log access to the store, encrypt it, and keep only the fields the model needs.",
        controls=("access_control", "encryption_at_rest", "logging"),
        atlas=("AML.T0036", "AML.T0025"),
        atlas_mitigations=("AML.M0005", "AML.M0012"),
        nist=("MEASURE 2.10",),
        iso=("A.4.3", "A.7.2"),
        eu=("Art. 10",),
        cwe=("CWE-284",),
        trigger=sample("elements: [{id: d, kind: dataset, attributes: {personal_data: true}}]"),
        clean=sample("elements: [{id: d, kind: dataset}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-025",
        title="Automated decisions about people without human oversight",
        stride="E",
        when=When(kinds=("serving_endpoint", "agent", "llm"), attrs={"automated_decisions": True}),
        likelihood=3,
        impact=4,
        description=(
            "The system decides about people (credit, hiring, access) without a person reviewing. Errors, "
            "bias or a manipulated model harm individuals before anyone notices."
        ),
        remediation="Let a trained person review, override and stop the decisions, and log each one.",
        controls=("human_oversight", "logging", "monitoring"),
        atlas=("AML.T0048.003", "AML.T0048.002"),
        atlas_mitigations=("AML.M0029",),
        nist=("MAP 3.5", "GOVERN 3.2"),
        iso=("A.9.2", "A.5.4"),
        eu=("Art. 14", "Art. 26", "Art. 27"),
        trigger=sample("elements: [{id: api, kind: serving_endpoint, attributes: {automated_decisions: true}}]"),
        clean=sample("elements: [{id: api, kind: serving_endpoint}]"),
    ),
)
