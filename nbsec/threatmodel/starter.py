"""The commented starter file `nbsec threatmodel new` and `%aisec threatmodel --new` write."""

from __future__ import annotations

STARTER = """\
nbsec_threat_model: 1
title: My AI system
owner: ""
description: >
  Replace this with your system. Kinds: dataset, feature_store, notebook, training_job,
  model_artifact, model_registry, serving_endpoint, llm, vector_store, agent, tool,
  external_service, user (and process, data_store). `nbsec threatmodel check` validates it.

# Trust zones: untrusted < internal < restricted. A flow between zones crosses a trust boundary.
zones:
  - {id: internet, trust: untrusted}
  - {id: app, trust: internal}
  - {id: ml, trust: restricted}

# Controls in place everywhere (each element can list its own too).
controls: [dependency_pinning]

elements:
  - id: customer
    kind: user
    zone: internet
  - id: chat-api
    kind: serving_endpoint
    zone: app
    attributes: {public: true}
    controls: [authentication]
  - id: assistant
    kind: llm
    zone: app
    attributes: {third_party: true}
  - id: docs-index
    kind: vector_store
    zone: app
  - id: base-model
    kind: model_artifact
    zone: ml
    attributes: {source: hub, format: safetensors}

flows:
  - {from: customer, to: chat-api, data: questions}
  - {from: chat-api, to: assistant, data: prompt}
  - {from: docs-index, to: assistant, data: retrieved passages}
  - {from: assistant, to: chat-api, data: answer}
  - {from: chat-api, to: customer, data: answer}

# Review decisions, kept across reviews. status: open | mitigated | accepted | transferred | not-applicable
threats:
  - rule: NBSEC-TM-040
    target: docs-index
    status: open
    owner: platform-team
    due: 2026-12-31
    note: per-tenant filtering planned
"""
