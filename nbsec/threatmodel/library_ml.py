"""Threat library, part 1: data, training, model artifacts, registries, notebooks and the ML supply chain."""

from __future__ import annotations

from nbsec.threatmodel.conditions import Is, When
from nbsec.threatmodel.threatrule import ThreatRule, sample
from nbsec.threatmodel.vocabulary import EXTERNAL_SOURCES, UNSAFE_FORMATS

DATA_KINDS = ("dataset", "feature_store", "data_store", "external_service", "user")
TRAIN = "{id: t, kind: training_job}"

RULES = (
    ThreatRule(
        id="NBSEC-TM-001",
        title="Training data poisoning",
        stride="T",
        when=When(kinds=("training_job",), upstream=Is(kinds=DATA_KINDS)),
        likelihood=3,
        impact=4,
        description=(
            "The training or fine-tuning job learns from data that someone other than the job controls. "
            "Whoever can change that data can plant a backdoor or skew the model without touching code."
        ),
        remediation="Validate and deduplicate training data, and record its provenance so a poisoned batch is found.",
        controls=("data_validation", "provenance_tracking", "access_control"),
        atlas=("AML.T0020", "AML.T0010.002"),
        atlas_mitigations=("AML.M0007", "AML.M0025"),
        owasp=("ML02:2023", "LLM04:2025"),
        nist=("MEASURE 2.7", "MAP 4.1"),
        iso=("A.7.4", "A.7.5"),
        eu=("Art. 10", "Art. 15"),
        trigger=sample(f"elements: [{{id: d, kind: dataset}}, {TRAIN}]\nflows: [{{from: d, to: t}}]"),
        clean=sample(f"elements: [{{id: d, kind: dataset}}, {TRAIN}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-002",
        title="Data from an untrusted source",
        stride="T",
        when=When(
            kinds=("dataset",),
            any_of=(
                When(attrs={"source": EXTERNAL_SOURCES}),
                When(attrs={"user_generated": True}),
                When(inbound=Is(untrusted=True)),
                When(enters_from_lower_trust=True),
            ),
        ),
        likelihood=4,
        impact=4,
        description=(
            "The dataset is scraped, bought, downloaded from a hub or written by users. Publishing poisoned "
            "data where a victim collects it is a documented, cheap attack."
        ),
        remediation="Pin the dataset by hash, keep its provenance, and screen it before every use.",
        controls=("hash_pinning", "provenance_tracking", "data_validation"),
        atlas=("AML.T0019", "AML.T0010.002", "AML.T0020"),
        atlas_mitigations=("AML.M0025", "AML.M0014"),
        owasp=("ML02:2023", "LLM04:2025"),
        nist=("MAP 4.1", "GOVERN 6.1"),
        iso=("A.7.3", "A.7.5"),
        eu=("Art. 10",),
        trigger=sample("elements: [{id: d, kind: dataset, attributes: {source: web}}]"),
        clean=sample("elements: [{id: d, kind: dataset, attributes: {source: internal}}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-003",
        title="Shared dataset or feature store written by many pipelines",
        stride="T",
        when=When(kinds=("dataset", "feature_store"), attrs={"shared": True}),
        likelihood=3,
        impact=3,
        description=(
            "Several teams or pipelines write to the same data. One compromised or careless writer erodes "
            "the integrity of every model trained on it."
        ),
        remediation="Give each writer its own scoped credentials and pin the versions each training run reads.",
        controls=("access_control", "hash_pinning", "provenance_tracking"),
        atlas=("AML.T0059", "AML.T0020"),
        atlas_mitigations=("AML.M0005", "AML.M0025"),
        owasp=("ML02:2023",),
        nist=("MEASURE 2.7", "GOVERN 1.6"),
        iso=("A.7.4", "A.7.5"),
        eu=("Art. 10",),
        trigger=sample("elements: [{id: f, kind: feature_store, attributes: {shared: true}}]"),
        clean=sample("elements: [{id: f, kind: feature_store}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-004",
        title="Backdoor through fine-tuning on user-submitted data",
        stride="T",
        when=When(
            kinds=("training_job",),
            any_of=(
                When(attrs={"trains_on_user_data": True}),
                When(upstream=Is(kinds=("user",))),
                When(upstream=Is(kinds=("dataset",), attrs={"user_generated": True})),
            ),
        ),
        likelihood=4,
        impact=4,
        description=(
            "The job trains on what users submitted (feedback, uploads, chats). A few crafted samples can "
            "insert a trigger that makes the model misbehave on demand."
        ),
        remediation=(
            "Filter and review user data before training and validate the trained model against backdoor tests."
        ),
        controls=("data_validation", "model_validation", "provenance_tracking"),
        atlas=("AML.T0018.000", "AML.T0020", "AML.T0043.004"),
        atlas_mitigations=("AML.M0007", "AML.M0008"),
        owasp=("ML10:2023", "LLM04:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.7.4", "A.6.2.4"),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: t, kind: training_job, attributes: {trains_on_user_data: true}}]"),
        clean=sample(f"elements: [{TRAIN}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-005",
        title="Pre-trained base model from a third party",
        stride="T",
        when=When(
            kinds=("training_job",),
            any_of=(
                When(attrs={"fine_tuning": True}),
                When(attrs={"uses_pretrained": True}),
                When(upstream=Is(kinds=("model_artifact",), attrs={"source": EXTERNAL_SOURCES})),
                When(upstream=Is(kinds=("model_registry", "external_service"), attrs={"third_party": True})),
            ),
        ),
        likelihood=3,
        impact=4,
        description=(
            "Fine-tuning starts from weights someone else trained. A poisoned or trojaned base model "
            "survives fine-tuning (transfer-learning attack) and its file can run code when loaded."
        ),
        remediation="Take base models only from pinned, verified revisions, scan them, and evaluate them before use.",
        controls=("artifact_scanning", "signature_verification", "model_validation", "sbom"),
        atlas=("AML.T0010.003", "AML.T0058"),
        atlas_mitigations=("AML.M0014", "AML.M0023"),
        owasp=("ML07:2023", "ML06:2023", "LLM03:2025"),
        nist=("MANAGE 3.2", "GOVERN 6.1"),
        iso=("A.10.3",),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: t, kind: training_job, attributes: {fine_tuning: true}}]"),
        clean=sample(f"elements: [{TRAIN}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-006",
        title="Model artifact in a format that runs code when loaded",
        stride="TE",
        when=When(kinds=("model_artifact",), attrs={"format": UNSAFE_FORMATS}),
        likelihood=3,
        impact=5,
        description=(
            "Pickle-based formats (PyTorch .pt, joblib, NumPy object arrays, legacy Keras) execute code on load; "
            "an unknown format has not been checked. Whoever can swap the file runs code where it is loaded."
        ),
        remediation="Convert weights to safetensors/ONNX/GGUF and scan every model file before it is loaded.",
        controls=("safe_serialization", "artifact_scanning"),
        atlas=("AML.T0011.000", "AML.T0010.003", "AML.T0018.002"),
        atlas_mitigations=("AML.M0011", "AML.M0014"),
        owasp=("ML06:2023", "LLM03:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-502",),
        trigger=sample("elements: [{id: m, kind: model_artifact, attributes: {format: pickle}}]"),
        clean=sample("elements: [{id: m, kind: model_artifact, attributes: {format: safetensors}}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-007",
        title="Model artifact from outside the trust boundary",
        stride="TE",
        when=When(
            kinds=("model_artifact",),
            any_of=(
                When(attrs={"source": EXTERNAL_SOURCES}),
                When(enters_from_lower_trust=True),
                When(inbound=Is(kinds=("external_service",))),
                When(inbound=Is(kinds=("model_registry",), attrs={"third_party": True})),
            ),
        ),
        likelihood=4,
        impact=5,
        description=(
            "The model file comes from a hub, a vendor or a less trusted zone. Without a verified signature "
            "or pinned hash, nothing proves it is the file that was reviewed."
        ),
        remediation=(
            "Verify a signed manifest (or pinned SHA-256) and scan the artifact before it crosses into "
            "the trusted zone."
        ),
        controls=("signature_verification", "hash_pinning", "artifact_scanning"),
        atlas=("AML.T0010.003", "AML.T0058", "AML.T0011.000"),
        atlas_mitigations=("AML.M0014", "AML.M0013"),
        owasp=("ML06:2023", "LLM03:2025"),
        nist=("MANAGE 3.2", "GOVERN 6.1", "MAP 4.1"),
        iso=("A.10.3",),
        eu=("Art. 15",),
        cwe=("CWE-494",),
        trigger=sample("elements: [{id: m, kind: model_artifact, attributes: {source: hub, format: safetensors}}]"),
        clean=sample("elements: [{id: m, kind: model_artifact, attributes: {source: internal, format: safetensors}}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-008",
        title="Model registry tampering",
        stride="TR",
        when=When(kinds=("model_registry",)),
        likelihood=3,
        impact=5,
        description=(
            "Whoever can write to the registry decides which model is deployed. An unsigned promotion "
            "path lets a replaced or corrupted model reach production unnoticed."
        ),
        remediation=(
            "Sign models when they are registered and verify the signature at deployment; restrict and log writes."
        ),
        controls=("signature_verification", "access_control", "logging"),
        atlas=("AML.T0018", "AML.T0076"),
        atlas_mitigations=("AML.M0013", "AML.M0005"),
        owasp=("ML10:2023", "LLM03:2025"),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        trigger=sample("elements: [{id: r, kind: model_registry}]"),
        clean=sample("elements: [{id: m, kind: model_artifact, attributes: {format: onnx}}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-009",
        title="Compromised ML software dependency",
        stride="TE",
        when=When(kinds=("training_job", "notebook", "serving_endpoint", "agent")),
        likelihood=3,
        impact=4,
        description=(
            "Training, notebooks, serving and agents install ML packages (torch, transformers, LangChain, ...). "
            "A vulnerable, typo-squatted or hijacked release runs with the data and credentials they hold."
        ),
        remediation="Pin and hash dependencies, match them against advisories, and keep an SBOM.",
        controls=("dependency_pinning", "vulnerability_scanning", "sbom"),
        atlas=("AML.T0010.001", "AML.T0011.001"),
        atlas_mitigations=("AML.M0016", "AML.M0023"),
        owasp=("ML06:2023", "LLM03:2025"),
        nist=("GOVERN 6.1", "MAP 4.1"),
        iso=("A.10.3", "A.4.4"),
        eu=("Art. 15",),
        cwe=("CWE-1395",),
        trigger=sample(f"elements: [{TRAIN}]"),
        clean=sample("elements: [{id: d, kind: dataset}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-010",
        title="Credentials exposed in notebooks",
        stride="I",
        when=When(kinds=("notebook",)),
        likelihood=3,
        impact=4,
        description=(
            "Notebooks hold API keys and connection strings in cells, outputs and tracebacks, and are "
            "shared, committed and exported. A leaked key opens the data and services behind it."
        ),
        remediation=(
            "Load credentials from a secret store or environment at run time and scan notebooks before sharing."
        ),
        controls=("secret_management", "access_control"),
        atlas=("AML.T0055",),
        atlas_mitigations=("AML.M0012",),
        nist=("MEASURE 2.7",),
        iso=("A.4.4",),
        eu=("Art. 15",),
        cwe=("CWE-798",),
        trigger=sample("elements: [{id: nb, kind: notebook}]"),
        clean=sample("elements: [{id: d, kind: dataset}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-011",
        title="Notebook server reachable by untrusted parties",
        stride="SE",
        when=When(kinds=("notebook",), exposed=True),
        likelihood=4,
        impact=5,
        description=(
            "A notebook server is remote code execution by design. Reachable from the internet or from "
            "untrusted users, a missing or weak token gives an attacker a shell next to data and models."
        ),
        remediation="Put the server behind authentication and a private network; never expose it publicly.",
        controls=("authentication", "network_isolation", "access_control"),
        atlas=("AML.T0049", "AML.T0050"),
        atlas_mitigations=("AML.M0019",),
        nist=("MEASURE 2.7",),
        iso=("A.6.2.5",),
        eu=("Art. 15",),
        cwe=("CWE-306",),
        trigger=sample("elements: [{id: nb, kind: notebook, attributes: {public: true}}]"),
        clean=sample("elements: [{id: nb, kind: notebook}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-012",
        title="No provenance record for training data and models",
        stride="R",
        when=When(kinds=("training_job",)),
        likelihood=3,
        impact=3,
        description=(
            "Without a lineage record of which data and code produced which model, a poisoning or "
            "licensing problem cannot be traced, and an auditor cannot be shown what was used."
        ),
        remediation="Record lineage (inputs, code, parameters, outputs with hashes) for every training run.",
        controls=("provenance_tracking", "hash_pinning", "logging"),
        atlas=("AML.T0010", "AML.T0020"),
        atlas_mitigations=("AML.M0025", "AML.M0023"),
        nist=("MEASURE 2.8", "MAP 4.1", "GOVERN 1.6"),
        iso=("A.7.5", "A.6.2.8", "A.6.2.7"),
        eu=("Art. 10", "Art. 11", "Art. 12"),
        trigger=sample(f"elements: [{TRAIN}]"),
        clean=sample("elements: [{id: nb, kind: notebook}]"),
    ),
    ThreatRule(
        id="NBSEC-TM-013",
        title="Personal data in training data",
        stride="I",
        when=When(
            kinds=("dataset", "feature_store", "data_store"),
            attrs={"personal_data": True},
            downstream=Is(kinds=("training_job",)),
        ),
        likelihood=3,
        impact=4,
        description=(
            "Models memorise parts of their training data. Personal data used for training can be "
            "recovered from the model by inversion, membership inference or plain extraction from an LLM."
        ),
        remediation="Minimise and pseudonymise personal data before training, and audit the model for memorisation.",
        controls=("differential_privacy", "access_control", "encryption_at_rest"),
        atlas=("AML.T0024.000", "AML.T0024.001", "AML.T0057"),
        atlas_mitigations=("AML.M0005", "AML.M0012"),
        owasp=("ML03:2023", "ML04:2023", "LLM02:2025"),
        nist=("MEASURE 2.10",),
        iso=("A.7.2", "A.5.4"),
        eu=("Art. 10",),
        trigger=sample(
            f"elements: [{{id: d, kind: dataset, attributes: {{personal_data: true}}}}, {TRAIN}]\n"
            "flows: [{from: d, to: t}]"
        ),
        clean=sample(f"elements: [{{id: d, kind: dataset}}, {TRAIN}]\nflows: [{{from: d, to: t}}]"),
    ),
)
