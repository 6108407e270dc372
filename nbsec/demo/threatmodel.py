"""Demo asset: the threat model of the demo workspace's fine-tuning project (threatmodel.nbsec.yaml).

It describes what the demo notebook does: customer data from a database, a
notebook with credentials, a base checkpoint from a model hub in a pickle
format, a fine-tuning job, and a chat model served to customers with a
retrieval index and a ticketing tool. Two threats carry review decisions so
the demo shows tracked remediation next to open threats.
"""

from __future__ import annotations

from pathlib import Path

FILE_NAME = "threatmodel.nbsec.yaml"

DEMO_MODEL = """\
nbsec_threat_model: 1
title: Support assistant (nbsec demo)
owner: ml-platform
description: >
  The demo workspace's project: a chat model fine-tuned on support tickets in demo.ipynb,
  served to customers with retrieval over the help centre and a ticketing tool.

zones:
  - {id: internet, name: Customers, trust: untrusted}
  - {id: vendor, name: Model hub and LLM vendor, trust: untrusted}
  - {id: lab, name: Data science lab, trust: internal}
  - {id: prod, name: Production, trust: restricted}

controls: [dependency_pinning, vulnerability_scanning]

elements:
  - {id: tickets, kind: dataset, name: Support tickets, zone: lab,
     attributes: {personal_data: true, user_generated: true}}
  - {id: demo-notebook, kind: notebook, name: demo.ipynb, zone: lab, attributes: {has_credentials: true}}
  - {id: hub-model, kind: model_registry, name: example-org/chat-model, zone: vendor, attributes: {third_party: true}}
  - {id: base-checkpoint, kind: model_artifact, name: checkpoints/base.pt, zone: lab,
     attributes: {format: torch, source: hub}}
  - {id: fine-tune, kind: training_job, name: Fine-tuning job, zone: lab, attributes: {fine_tuning: true}}
  - {id: finetuned-checkpoint, kind: model_artifact, name: checkpoints/finetuned.pt, zone: lab,
     attributes: {format: torch}}
  - {id: assistant, kind: llm, name: Support assistant, zone: prod,
     attributes: {fine_tuned: true, output_rendered: true}}
  - {id: help-index, kind: vector_store, name: Help-centre index, zone: prod}
  - {id: ticket-tool, kind: tool, name: Ticketing API, zone: prod,
     attributes: {can_write: true, uses_credentials: true}}
  - {id: chat-api, kind: serving_endpoint, name: Chat API, zone: prod,
     attributes: {public: true}, controls: [authentication]}
  - {id: customer, kind: user, name: Customer, zone: internet}

flows:
  - {from: tickets, to: demo-notebook, data: ticket export}
  - {from: hub-model, to: base-checkpoint, data: pretrained weights}
  - {from: base-checkpoint, to: fine-tune}
  - {from: demo-notebook, to: fine-tune, data: training set}
  - {from: fine-tune, to: finetuned-checkpoint}
  - {from: finetuned-checkpoint, to: assistant, data: deployed weights}
  - {from: customer, to: chat-api, data: questions, controls: [encryption_in_transit]}
  - {from: chat-api, to: assistant, data: prompt}
  - {from: help-index, to: assistant, data: retrieved articles}
  - {from: assistant, to: ticket-tool, data: ticket updates}
  - {from: assistant, to: chat-api, data: answer}
  - {from: chat-api, to: customer, data: answer, controls: [encryption_in_transit]}

threats:
  - rule: NBSEC-TM-006
    target: finetuned-checkpoint
    status: open
    owner: ml-platform
    due: 2026-11-30
    note: convert to safetensors; nbsec scan flags checkpoints/finetuned.pt today
  - rule: NBSEC-TM-045
    target: assistant
    status: accepted
    owner: support-lead
    note: every answer links its help-centre article; agents review escalations
  - rule: NBSEC-TM-018
    target: chat-api
    status: transferred
    owner: api-gateway-team
    note: rate limits enforced by the company API gateway
"""


def build(root: Path) -> list[Path]:
    """Write the demo threat model into `root`."""
    path = root / FILE_NAME
    path.write_text(DEMO_MODEL, encoding="utf-8")
    return [path]
