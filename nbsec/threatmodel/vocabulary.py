"""The words a threat model is written in: element kinds, lifecycle stages, attributes, controls.

Stdlib only. The loader validates against these tables, the threat library's
conditions name them, and the widget offers them in its drop-downs, so a typo is
caught with a suggestion instead of silently matching nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

STAGES = ("data", "development", "training", "deployment", "operation")

# kind -> (what it is, default lifecycle stage)
KINDS: dict[str, tuple[str, str]] = {
    "dataset": ("training, evaluation or fine-tuning data", "data"),
    "feature_store": ("feature store or shared feature tables", "data"),
    "notebook": ("notebook or notebook server where models are developed", "development"),
    "training_job": ("training or fine-tuning job / pipeline step", "training"),
    "model_artifact": ("model file or folder (weights, checkpoint)", "training"),
    "model_registry": ("model registry or hub the artifacts are published to or pulled from", "deployment"),
    "serving_endpoint": ("inference API or batch scoring service", "operation"),
    "llm": ("large language model (hosted API or self-hosted)", "operation"),
    "vector_store": ("vector database / retrieval index for RAG", "operation"),
    "agent": ("LLM agent or orchestrator that plans and calls tools", "operation"),
    "tool": ("tool, plugin or MCP server an agent can call", "operation"),
    "external_service": ("service outside the system (SaaS, partner API, web)", "operation"),
    "user": ("person or client using or operating the system", "operation"),
    # Generic DFD kinds, mostly from imported Threat Dragon / TM-BOM models.
    "process": ("generic process", "operation"),
    "data_store": ("generic data store", "operation"),
}

# Kinds whose input is untrusted unless the element says `trusted: true`.
UNTRUSTED_BY_DEFAULT = frozenset({"user", "external_service"})
STORE_KINDS = frozenset({"dataset", "feature_store", "model_registry", "vector_store", "model_artifact", "data_store"})
ACTOR_KINDS = frozenset({"user", "external_service"})

# Zone trust, lowest first: a flow from a lower to a higher level enters a more trusted zone.
TRUST_LEVELS = ("untrusted", "internal", "restricted")
DEFAULT_ZONE = "internal"

STATUSES = ("open", "mitigated", "accepted", "transferred", "not-applicable")
STATUS_ALIASES = {"na": "not-applicable", "n/a": "not-applicable", "not_applicable": "not-applicable"}

ARTIFACT_FORMATS = (
    "pickle",
    "torch",
    "joblib",
    "keras_h5",
    "keras",
    "tensorflow",
    "numpy",
    "onnx",
    "safetensors",
    "gguf",
    "unknown",
)
# Formats whose loaders can run code from the file (or that nobody has checked yet).
UNSAFE_FORMATS = ("pickle", "torch", "joblib", "keras_h5", "numpy", "unknown")
SOURCES = ("internal", "external", "hub", "vendor", "user", "web")
EXTERNAL_SOURCES = ("external", "hub", "vendor", "user", "web")

ALL = frozenset(KINDS)
FLOW = "flow"


@dataclass(frozen=True)
class Attribute:
    """One attribute an element (or flow) may declare, its type, default and meaning."""

    name: str
    default: bool | str | None
    kinds: frozenset[str]
    description: str
    choices: tuple[str, ...] = ()

    @property
    def is_bool(self) -> bool:
        return not self.choices


def _attr(
    name: str, default: bool | str | None, kinds: frozenset[str] | set[str], text: str, choices: tuple[str, ...] = ()
) -> Attribute:
    return Attribute(name, default, frozenset(kinds), text, choices)


ATTRIBUTES: dict[str, Attribute] = {
    a.name: a
    for a in (
        _attr("public", False, ALL, "reachable from the internet"),
        _attr("personal_data", False, ALL | {FLOW}, "holds, processes or carries personal data"),
        _attr("third_party", False, ALL, "operated or supplied by a third party"),
        _attr("trusted", None, ALL, "input from it is trusted (users and external services are not by default)"),
        _attr("source", "internal", {"dataset", "model_artifact", "vector_store"}, "where it comes from", SOURCES),
        _attr("format", "unknown", {"model_artifact"}, "serialization format of the weights", ARTIFACT_FORMATS),
        _attr("user_generated", False, {"dataset", "vector_store"}, "contains content written by users"),
        _attr("shared", False, {"dataset", "feature_store", "notebook"}, "several teams or pipelines write to it"),
        _attr("fine_tuning", False, {"training_job"}, "fine-tunes an existing model"),
        _attr("uses_pretrained", False, {"training_job"}, "starts from a pre-trained model"),
        _attr("trains_on_user_data", False, {"training_job"}, "trains on data users submitted"),
        _attr("returns_scores", False, {"serving_endpoint", "llm"}, "returns confidence scores, logits or logprobs"),
        _attr("automated_decisions", False, {"serving_endpoint", "agent", "llm"}, "decides about people unreviewed"),
        _attr("has_system_prompt", True, {"llm", "agent"}, "is steered by a system prompt"),
        _attr("system_prompt_secrets", False, {"llm", "agent"}, "the system prompt holds secrets or access rules"),
        _attr("output_rendered", False, {"llm", "agent"}, "output is rendered as Markdown/HTML to users"),
        _attr("output_executed", False, {"llm", "agent"}, "output is executed as code, SQL or shell"),
        _attr("fine_tuned", False, {"llm"}, "fine-tuned on the organisation's data"),
        _attr("multi_tenant", False, {"vector_store", "serving_endpoint", "llm", "agent"}, "serves several tenants"),
        _attr("ingests_untrusted_content", False, {"vector_store"}, "indexes web pages, e-mails or user uploads"),
        _attr("executes_code", False, {"agent", "tool"}, "runs code or shell commands"),
        _attr("can_write", False, {"agent", "tool"}, "can change data or systems (write, send, pay, delete)"),
        _attr("destructive", False, {"tool"}, "can delete or irreversibly change things"),
        _attr("network_access", False, {"agent", "tool", "notebook"}, "can reach arbitrary network hosts"),
        _attr("uses_credentials", False, {"agent", "tool"}, "holds credentials to other systems"),
        _attr("memory", False, {"agent"}, "keeps long-term memory across sessions"),
        _attr("autonomous", False, {"agent"}, "acts without a person in the loop"),
        _attr("has_credentials", False, {"notebook"}, "credentials are used inside the notebook"),
        _attr("public_network", False, {FLOW}, "crosses a public network"),
        _attr("crosses_boundary", None, {FLOW}, "crosses a trust boundary (default: the zones differ)"),
        _attr("protocol", "", {FLOW}, "transport protocol"),
        _attr("bidirectional", False, {FLOW}, "data goes both ways"),
    )
}


@dataclass(frozen=True)
class Control:
    """A safeguard a model can declare, and the nbsec check that produces evidence for it."""

    name: str
    description: str
    check: str = ""  # empty: nothing in nbsec tests it; the reviewer records evidence in the note


CONTROLS: dict[str, Control] = {
    c.name: c
    for c in (
        Control("artifact_scanning", "scan every model file before loading it", "`nbsec scan MODEL_DIR` (NBSEC-ART-*)"),
        Control(
            "signature_verification",
            "verify signed manifests of model folders against a pinned public key",
            "`nbsec manifest verify DIR -m MANIFEST --public-key KEY`",
        ),
        Control("hash_pinning", "pin artifacts and datasets by SHA-256", "`nbsec manifest create` / `verify`"),
        Control(
            "safe_serialization",
            "store weights in a format that cannot run code (safetensors, ONNX, GGUF) and load with weights_only",
            "`nbsec scan` (NBSEC-ART-*; NBSEC-NB-001/002 flag unsafe loads in code)",
        ),
        Control(
            "dependency_pinning",
            "pin and hash every dependency",
            "`nbsec scan requirements.txt` (NBSEC-DEP-002, NBSEC-DEP-003)",
        ),
        Control("vulnerability_scanning", "match packages against advisories", "`nbsec scan --env` (NBSEC-DEP-001)"),
        Control("sbom", "keep a bill of materials of packages and model files", "`nbsec sbom`"),
        Control("provenance_tracking", "record where data and models came from", "`nbsec lineage verify`"),
        Control(
            "data_validation",
            "validate, deduplicate and outlier-check data before it is used",
            "data-poisoning checks in nbsec.adversarial",
        ),
        Control("access_control", "least-privilege access control on reads and writes"),
        Control("authentication", "authenticate every caller"),
        Control("encryption_in_transit", "TLS (or equivalent) on the flow"),
        Control("encryption_at_rest", "encrypt stored data and models"),
        Control(
            "rate_limiting",
            "per-client rate limits and query quotas, load-tested before release",
            "`nbsec llm audit` for an LLM endpoint (NBSEC-LLM-014)",
        ),
        Control(
            "input_guard",
            "detect and block prompt injection in inputs and retrieved content; probe it with an LLM red-teaming tool",
            "`nbsec llm` probes (NBSEC-LLM-001, NBSEC-LLM-003, NBSEC-LLM-005); the guard is `nbsec.llm.guard`",
        ),
        Control(
            "output_guard",
            "filter model output for secrets, personal data and unsafe content; probe it for leaks with an LLM "
            "red-teaming tool",
            "`nbsec llm` probes (NBSEC-LLM-002, NBSEC-LLM-006, NBSEC-LLM-007); the guard is `nbsec.llm.guard`",
        ),
        Control(
            "output_encoding",
            "treat LLM output as untrusted: encode before rendering, never eval/exec it",
            "`nbsec scan` (NBSEC-NB-006: eval/exec of LLM output)",
        ),
        Control(
            "system_prompt_hygiene",
            "keep secrets and authorisation rules out of system prompts; try to extract them with an LLM red-teaming "
            "tool",
            "`nbsec llm` system-prompt extraction probes (NBSEC-LLM-002)",
        ),
        Control("least_privilege", "give agents and tools the narrowest permissions and scopes"),
        Control("human_approval", "a person approves consequential agent actions"),
        Control(
            "tool_allowlist",
            "only reviewed tools, with validated arguments",
            "`nbsec llm` excessive-agency probes (NBSEC-LLM-009)",
        ),
        Control("sandboxing", "run generated code and tools in an isolated sandbox"),
        Control(
            "tenant_isolation",
            "partition indexes and filter retrieval by user or tenant",
            "`nbsec llm` RAG access-control probe (NBSEC-LLM-010)",
        ),
        Control("content_provenance", "index only vetted sources and keep their provenance", "`nbsec lineage verify`"),
        Control(
            "differential_privacy",
            "train with differential privacy or other limits on memorisation",
            "membership-inference audit in nbsec.adversarial (NBSEC-PRIV-*)",
        ),
        Control(
            "output_minimisation",
            "return labels or rounded scores, not full probability vectors or logprobs",
            "membership-inference audit in nbsec.adversarial (NBSEC-PRIV-*)",
        ),
        Control(
            "adversarial_testing",
            "measure robustness against evasion attacks before release",
            "`nbsec.adversarial.evaluate` / `%aisec robustness` (NBSEC-ADV-*)",
        ),
        Control("model_hardening", "adversarial training or input transformations", "`%aisec robustness`"),
        Control(
            "model_validation", "validate behaviour on a trusted held-out set before release", "`%aisec robustness`"
        ),
        Control(
            "monitoring",
            "monitor inputs, outputs, drift and abuse in production",
            "`nbsec llm monitor` over the guard's log (NBSEC-LLM-011, NBSEC-LLM-012)",
        ),
        Control("logging", "log inference requests and agent actions for audit"),
        Control(
            "secret_management", "keep credentials in a secret store", "`nbsec scan` (notebook secrets, NBSEC-NB-*)"
        ),
        Control(
            "red_teaming",
            "red-team the LLM application with an LLM probing tool before release",
            "`nbsec llm` / `%aisec llm` probes (NBSEC-LLM-*)",
        ),
        Control("human_oversight", "a person can review, override and stop automated decisions"),
        Control("network_isolation", "restrict network egress of notebooks, agents and tools"),
        Control("usage_quotas", "token and spend budgets per user and per agent run"),
        Control("data_minimisation", "send and keep only the data the task needs; a contract covers retention"),
        Control("memory_isolation", "scope agent memory per user and screen what is written to it"),
    )
}


def default_stage(kind: str) -> str:
    return KINDS.get(kind, ("", "operation"))[1]


def attributes_for(kind: str) -> list[Attribute]:
    """The attributes an element of `kind` (or "flow") may declare, in table order."""
    return [a for a in ATTRIBUTES.values() if kind in a.kinds]
