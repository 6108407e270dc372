"""The judging scenario: a model written here, not taken from the library, gets a reviewer's threat list.

A RAG chatbot whose agent calls a CRM tool, fed by a fine-tuning pipeline that
starts from a hub model. A security reviewer would list prompt injection,
system prompt leakage, data poisoning, unsafe model artifacts, supply chain,
membership inference, excessive agency and vector store access control.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nbsec import threatmodel as tm
from nbsec.model import Finding

ATLAS_IDS = {
    line
    for line in (Path(__file__).resolve().parents[1] / "data" / "threatmodel" / "atlas-5.6.0-ids.txt")
    .read_text()
    .splitlines()
    if not line.startswith("#")
}

RAG_CHATBOT = """\
nbsec_threat_model: 1
title: Customer help chatbot
owner: support-engineering
zones:
  - {id: public, trust: untrusted}
  - {id: app, trust: internal}
  - {id: ml, trust: restricted}
elements:
  - {id: visitor, kind: user, zone: public}
  - {id: chat-frontend, kind: serving_endpoint, zone: app}
  - {id: orchestrator, kind: agent, zone: app}
  - {id: chat-llm, kind: llm, zone: app}
  - {id: kb-index, kind: vector_store, zone: app}
  - {id: help-articles, kind: dataset, zone: app}
  - {id: crm-tool, kind: tool, zone: app, attributes: {can_write: true}}
  - {id: transcripts, kind: dataset, zone: ml, attributes: {personal_data: true}}
  - {id: finetune, kind: training_job, zone: ml}
  - {id: base-weights, kind: model_artifact, zone: ml, attributes: {source: hub}}
  - {id: tuned-weights, kind: model_artifact, zone: ml}
flows:
  - {from: visitor, to: chat-frontend, data: question}
  - {from: chat-frontend, to: orchestrator}
  - {from: orchestrator, to: chat-llm, data: prompt with context}
  - {from: chat-llm, to: orchestrator, data: completion}
  - {from: kb-index, to: orchestrator, data: retrieved passages}
  - {from: help-articles, to: kb-index, data: embeddings}
  - {from: orchestrator, to: crm-tool, data: ticket actions}
  - {from: orchestrator, to: chat-frontend, data: answer}
  - {from: chat-frontend, to: visitor, data: answer}
  - {from: transcripts, to: finetune}
  - {from: base-weights, to: finetune}
  - {from: finetune, to: tuned-weights}
  - {from: tuned-weights, to: chat-llm}
"""

# What a reviewer expects -> (references that identify it, where it must be found)
EXPECTED = {
    "prompt injection": ({"LLM01:2025", "AML.T0051.000", "AML.T0051.001"}, {"chat-llm", "orchestrator"}),
    "system prompt leakage": ({"LLM07:2025", "AML.T0056"}, {"chat-llm", "orchestrator"}),
    "data poisoning": ({"ML02:2023", "LLM04:2025", "AML.T0020"}, {"finetune", "transcripts"}),
    "unsafe model artifacts": ({"CWE-502", "AML.T0011.000"}, {"base-weights", "tuned-weights"}),
    "supply chain": ({"LLM03:2025", "ML06:2023", "AML.T0010.003"}, {"base-weights", "finetune"}),
    "membership inference": ({"ML04:2023", "AML.T0024.000"}, {"chat-llm"}),
    "excessive agency": ({"LLM06:2025", "AML.T0053"}, {"orchestrator"}),
    "vector store access control": ({"LLM08:2025", "AML.T0085.000"}, {"kb-index"}),
}


def refs(finding: Finding) -> set[str]:
    return {r.id for r in finding.references}


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return tm.assess(tm.loads(RAG_CHATBOT), "chatbot.yaml").findings


@pytest.mark.parametrize("threat", sorted(EXPECTED))
def test_reviewer_threat_is_found_where_expected(threat: str, findings: list[Finding]) -> None:
    wanted, places = EXPECTED[threat]
    hits = [f for f in findings if refs(f) & wanted and f.location.element in places]
    assert hits, f"{threat}: no finding with {sorted(wanted)} on {sorted(places)}"
    assert all(f.remediation and f.evidence for f in hits)


def test_every_reference_is_well_formed_and_atlas_ids_exist(findings: list[Finding]) -> None:
    patterns = {
        "OWASP LLM Top 10": r"LLM(0[1-9]|10):2025",
        "OWASP ML Top 10": r"ML(0[1-9]|10):2023",
        "NIST AI RMF": r"(GOVERN|MAP|MEASURE|MANAGE) \d\.\d{1,2}",
        "ISO/IEC 42001": r"A\.\d{1,2}\.\d(\.\d)?",
        "EU AI Act": r"Art\. \d{1,3}",
        "CWE": r"CWE-\d+",
    }
    for finding in findings:
        for ref in finding.references:
            if ref.framework == "MITRE ATLAS":
                assert ref.id in ATLAS_IDS
            else:
                assert re.fullmatch(patterns[ref.framework], ref.id), (ref.framework, ref.id)


def test_rerunning_gives_identical_results() -> None:
    runs = [tm.assess(tm.loads(RAG_CHATBOT), "chatbot.yaml").to_dict() for _ in range(3)]
    for run in runs:
        run.pop("started_at"), run.pop("finished_at"), run.pop("timings")
    assert runs[0] == runs[1] == runs[2]
