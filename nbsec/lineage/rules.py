"""Rules of lineage verification (NBSEC-LIN-*). Stdlib and nbsec.model only.

Every rule points at the controls lineage exists for: ISO/IEC 42001 A.7.5
(data provenance) and A.6.2.8 (event logs), NIST AI RMF MAP 4.1 / MEASURE 2.7,
EU AI Act Art. 10 (data governance) and Art. 12 (record-keeping), and MITRE
ATLAS AML.M0025 (maintain dataset provenance) against AML.T0020 (poison
training data). Samples describe a lineage store state (the tests build each).
"""

from __future__ import annotations

from nbsec.model import Confidence, Reference, Rule, Severity, reference

SCANNER = "lineage"
CATEGORY = "lineage"

ISO_PROVENANCE = reference("ISO/IEC 42001", "A.7.5")
ISO_EVENT_LOGS = reference("ISO/IEC 42001", "A.6.2.8")
NIST_MAP_COMPONENTS = reference("NIST AI RMF", "MAP 4.1")
NIST_MEASURE_SECURITY = reference("NIST AI RMF", "MEASURE 2.7")
EU_DATA_GOVERNANCE = reference("EU AI Act", "Art. 10")
EU_RECORD_KEEPING = reference("EU AI Act", "Art. 12")
ATLAS_PROVENANCE = reference("MITRE ATLAS", "AML.M0025")
ATLAS_POISONING = reference("MITRE ATLAS", "AML.T0020")

_DATA = (ISO_PROVENANCE, EU_DATA_GOVERNANCE, ATLAS_PROVENANCE)
_LOG = (ISO_EVENT_LOGS, EU_RECORD_KEEPING)


def _rule(
    number: int,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    references: tuple[Reference, ...],
    trigger: str,
    clean: str,
    confidence: Confidence = Confidence.HIGH,
) -> Rule:
    return Rule(
        id=f"NBSEC-LIN-{number:03d}",
        title=title,
        severity=severity,
        category=CATEGORY,
        description=description,
        remediation=remediation,
        references=references,
        confidence=confidence,
        sample_trigger=trigger,
        sample_clean=clean,
        scanner=SCANNER,
    )


ARTIFACT_CHANGED = _rule(
    1,
    "Artifact changed since its lineage was recorded",
    Severity.HIGH,
    "A file or folder recorded as the input or output of a step has a different SHA-256 today: whatever was "
    "trained or reported from it no longer matches the data on disk (silent edit, re-download, or poisoning).",
    "Find out who changed the artifact and why; restore the recorded version, or re-run the steps that use it "
    "so that the new version is recorded.",
    (*_DATA, NIST_MEASURE_SECURITY, ATLAS_POISONING, reference("CWE", "CWE-354")),
    "store where data/train.csv was recorded, then one byte of data/train.csv was changed",
    "store where data/train.csv was recorded and is unchanged",
)

CHAIN_BROKEN = _rule(
    2,
    "Lineage chain is broken (event edited, deleted, reordered or inserted)",
    Severity.CRITICAL,
    "Each lineage event holds the SHA-256 of the one before it. An event whose content no longer matches its "
    "hash, a missing sequence number, or a link to the wrong predecessor means the record was edited after "
    "the fact, so it cannot be used as evidence of where data came from.",
    "Treat the store as tampered: compare it with a backup or an exported copy, find who had write access, "
    "and re-record the pipeline. Sign events (--key) and keep the chain head outside the store.",
    (*_LOG, ISO_PROVENANCE, NIST_MEASURE_SECURITY, reference("CWE", "CWE-353")),
    "store where an event row was edited directly in SQLite",
    "store written only through nbsec.lineage",
)

SIGNATURE_INVALID = _rule(
    3,
    "Lineage event signature is missing or invalid",
    Severity.HIGH,
    "Verification was asked to check Ed25519 signatures, and an event is unsigned, signed by another key, or "
    "its signature does not match its hash: someone other than the key holder wrote or rewrote it.",
    "Record with the signing key (`lineage.step(..., key=...)`, `nbsec lineage record --key`), verify with its "
    "public key, and investigate events that fail.",
    (*_LOG, NIST_MEASURE_SECURITY, reference("CWE", "CWE-347")),
    "store recorded without a key, verified with --public-key",
    "store recorded with the key whose public half is given",
)

ARTIFACT_MISSING = _rule(
    4,
    "Recorded artifact no longer exists, so it cannot be re-verified",
    Severity.LOW,
    "An artifact recorded by an event is gone from disk. Its recorded hash cannot be compared with anything, "
    "so this part of the lineage is unverifiable (which is not the same as intact).",
    "Restore the artifact from its source or archive if it still matters; otherwise note that it was "
    "retired on purpose.",
    (ISO_PROVENANCE, EU_RECORD_KEEPING),
    "store where data/features.csv was recorded, then the file was deleted",
    "store whose recorded files all exist",
    Confidence.MEDIUM,
)

MODEL_WITHOUT_DATA = _rule(
    5,
    "Model without recorded training data",
    Severity.MEDIUM,
    "A model artifact was recorded as an output, but no step that produced it lists any input: nobody can say "
    "which data it was trained on, which is the first question after an incident (EU AI Act Art. 10).",
    "Record the training step with its inputs: `with lineage.step('train', inputs=[train_df], outputs=[model])`.",
    (*_DATA, NIST_MAP_COMPONENTS, ATLAS_POISONING),
    "step 'train' with outputs=[model.pt] and no inputs",
    "step 'train' with inputs=[data/train.csv] and outputs=[model.pt]",
)

PLAIN_HTTP_INPUT = _rule(
    6,
    "Input read over plain HTTP",
    Severity.MEDIUM,
    "A step read an input from an http:// URL. Anyone on the network path can replace the data in transit, "
    "and nothing in the lineage can show it was not (a classic route to poisoned training data).",
    "Fetch over HTTPS, pin the content's SHA-256, and record the downloaded file as the step's input.",
    (*_DATA, ATLAS_POISONING, NIST_MAP_COMPONENTS, reference("CWE", "CWE-319")),
    "step with inputs=['http://example.com/train.csv']",
    "step with inputs=['https://example.com/train.csv']",
)

OUTSIDE_PROJECT_INPUT = _rule(
    7,
    "Input read from outside the project",
    Severity.LOW,
    "A step read a file outside the project folder (a home folder, /tmp, a mounted share). Such files are not "
    "versioned with the project and may change or vanish without trace.",
    "Copy the data into the project (or a versioned data store) and record that copy as the input.",
    (ISO_PROVENANCE, NIST_MAP_COMPONENTS, ATLAS_PROVENANCE),
    "step with inputs=['/tmp/outside.csv']",
    "step with inputs=['data/train.csv'] inside the project",
    Confidence.MEDIUM,
)

WEAK_HASH = _rule(
    8,
    "Lineage relies on a weak (MD5-only) hash",
    Severity.MEDIUM,
    "An imported lineage record (e.g. dvc.lock) identifies an artifact only by MD5. MD5 collisions are cheap, "
    "so the record cannot prove that the artifact was not swapped for a crafted one.",
    "Re-hash the artifacts with SHA-256 (`nbsec lineage record` or `lineage.step`) so that verify can check "
    "them, and keep the MD5 only as DVC's cache key.",
    (*_DATA, reference("CWE", "CWE-328")),
    "dvc.lock whose outs carry only md5",
    "artifacts recorded by nbsec with SHA-256",
)

RULES = (
    ARTIFACT_CHANGED,
    CHAIN_BROKEN,
    SIGNATURE_INVALID,
    ARTIFACT_MISSING,
    MODEL_WITHOUT_DATA,
    PLAIN_HTTP_INPUT,
    OUTSIDE_PROJECT_INPUT,
    WEAK_HASH,
)
