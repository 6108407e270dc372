"""Export lineage events as OpenLineage RunEvents (JSON Lines) that a lineage server such as Marquez can ingest.

Each nbsec event becomes a START and a COMPLETE (or FAIL) RunEvent with the
same runId. Datasets carry their content hash as the standard
`DatasetVersionDatasetFacet.datasetVersion` ("sha256:<hex>"), and the integrity
that OpenLineage has no facet for goes into custom `nbsec_integrity` facets:
on the run, the event's hash, its predecessor's and its sequence number (and
signature, when signed); on each dataset, its hash, size and kind.

Dataset naming follows OpenLineage's conventions: local files in namespace
"file" named by their path, URLs in namespace "scheme://host".
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nbsec._version import __version__
from nbsec.lineage.store import Store, open_store

SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
VERSION_FACET_URL = (
    "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
)
NBSEC_RUN_FACET_URL = "https://nbsec.dev/spec/facets/1-0-0/NbsecIntegrityRunFacet.json"
NBSEC_DATASET_FACET_URL = "https://nbsec.dev/spec/facets/1-0-0/NbsecIntegrityDatasetFacet.json"
NBSEC_CODE_FACET_URL = "https://nbsec.dev/spec/facets/1-0-0/NbsecCodeJobFacet.json"
PRODUCER = f"https://pypi.org/project/nbsec/{__version__}/"
DEFAULT_NAMESPACE = "nbsec"


def _facet(schema_url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": schema_url, **fields}


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _run_id(event_id: str) -> str:
    try:
        return str(uuid.UUID(hex=event_id))
    except ValueError:  # ids from elsewhere: a stable UUID derived from them
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nbsec-lineage:{event_id}"))


def dataset(item: dict[str, Any]) -> dict[str, Any]:
    """One OpenLineage Dataset from a recorded artifact."""
    if item.get("uri"):
        parts = urlsplit(str(item["uri"]))
        namespace, name = f"{parts.scheme}://{parts.netloc}", parts.path or "/"
    elif item.get("path"):
        namespace, name = "file", str(item["path"])
    else:
        namespace, name = "nbsec-memory", str(item.get("name", "object"))
    facets: dict[str, Any] = {}
    integrity = {k: item[k] for k in ("kind", "role", "sha256", "size") if item.get(k) is not None}
    meta = _mapping(item.get("meta"))
    if item.get("sha256"):
        facets["version"] = _facet(VERSION_FACET_URL, datasetVersion=f"sha256:{item['sha256']}")
    elif meta.get("md5"):
        facets["version"] = _facet(VERSION_FACET_URL, datasetVersion=f"md5:{meta['md5']}")
        integrity["weakHash"] = True
    facets["nbsec_integrity"] = _facet(NBSEC_DATASET_FACET_URL, **integrity)
    return {"namespace": namespace, "name": name, "facets": facets}


def run_events(body: dict[str, Any], row_hash: str, signature: str | None, namespace: str) -> list[dict[str, Any]]:
    """START and COMPLETE/FAIL RunEvents for one nbsec event."""
    integrity = {
        "eventHash": f"sha256:{row_hash}",
        "prevHash": f"sha256:{body.get('prev', '')}",
        "seq": body.get("seq"),
    }
    if signature:
        integrity.update(signature=signature, signatureAlgorithm="Ed25519", keyId=body.get("key"))
    run = {
        "runId": _run_id(str(body.get("id", ""))),
        "facets": {"nbsec_integrity": _facet(NBSEC_RUN_FACET_URL, **integrity)},
    }
    code = _mapping(body.get("code"))
    job = {
        "namespace": namespace,
        "name": str(body.get("name", "step")),
        "facets": {"nbsec_code": _facet(NBSEC_CODE_FACET_URL, **code, params=body.get("params", {}))},
    }
    inputs = [dataset(i) for i in body.get("inputs", []) if isinstance(i, dict)]
    outputs = [dataset(o) for o in body.get("outputs", []) if isinstance(o, dict)]
    common = {"run": run, "job": job, "producer": PRODUCER, "schemaURL": SCHEMA_URL}
    start = {"eventType": "START", "eventTime": body.get("started") or body.get("ended"), "inputs": inputs, **common}
    end_type = "FAIL" if body.get("status") == "FAIL" else "COMPLETE"
    end = {"eventType": end_type, "eventTime": body.get("ended"), "inputs": inputs, "outputs": outputs, **common}
    return [start, end]


def iter_run_events(store: Store, namespace: str = DEFAULT_NAMESPACE) -> Iterator[dict[str, Any]]:
    for row in store.rows():
        try:
            body = json.loads(row.body)
        except ValueError:
            continue  # an edited, unreadable event: verify reports it; there is nothing to export
        if isinstance(body, dict):
            yield from run_events(body, row.hash, row.signature, namespace)


def export_openlineage(
    output: str | os.PathLike[str],
    store: str | os.PathLike[str] | Store | None = None,
    *,
    namespace: str = DEFAULT_NAMESPACE,
) -> int:
    """Write every event as OpenLineage RunEvents, one JSON object per line; return how many were written."""
    target = store if isinstance(store, Store) else open_store(store, create=False)
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for event in iter_run_events(target, namespace):
            handle.write(json.dumps(event, sort_keys=True, ensure_ascii=False) + "\n")
            count += 1
    return count
