"""OpenLineage export (validated against the bundled schema) and dvc.lock import (MD5 flagged as weak)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import jsonschema
import pytest

from nbsec import lineage
from nbsec.lineage.dvc import DvcLockError
from nbsec.lineage.openlineage import SCHEMA_URL
from nbsec.lineage.verifier import verify_store

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "data" / "openlineage"


def test_bundled_schema_is_the_file_its_source_note_describes() -> None:
    data = (SCHEMA_DIR / "OpenLineage.json").read_bytes()
    source = (SCHEMA_DIR / "SOURCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(data).hexdigest() in source
    assert "Apache-2.0" in source and "OpenLineage/OpenLineage" in source


def test_export_is_openlineage_run_events_with_sha256_versions(tmp_path: Path) -> None:
    import pandas as pd

    Path("raw.csv").write_text("a\n1\n", encoding="utf-8")
    lineage.record("download", ["https://example.com/raw.csv"], ["raw.csv"])
    with lineage.step("load", inputs=["raw.csv"], outputs={"frame": pd.DataFrame({"a": [1]})}, params={"n": 1}):
        pass
    with pytest.raises(ValueError), lineage.step("boom", inputs=["raw.csv"]):
        raise ValueError("x")
    count = lineage.export_openlineage("out/lineage.jsonl")
    events = [json.loads(line) for line in Path("out/lineage.jsonl").read_text(encoding="utf-8").splitlines()]
    assert count == len(events) == 6
    schema = json.loads((SCHEMA_DIR / "OpenLineage.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for event in events:
        validator.validate(event)
        assert event["schemaURL"] == SCHEMA_URL  # what the 2-0-x core additionally requires
    assert [e["eventType"] for e in events] == ["START", "COMPLETE", "START", "COMPLETE", "START", "FAIL"]
    assert events[0]["run"]["runId"] == events[1]["run"]["runId"] != events[3]["run"]["runId"]
    [raw] = events[1]["outputs"]
    digest = hashlib.sha256(b"a\n1\n").hexdigest()
    assert (raw["namespace"], raw["name"]) == ("file", "raw.csv")
    assert raw["facets"]["version"]["datasetVersion"] == f"sha256:{digest}"
    assert (events[1]["inputs"][0]["namespace"], events[1]["inputs"][0]["name"]) == ("https://example.com", "/raw.csv")
    integrity = events[3]["run"]["facets"]["nbsec_integrity"]
    assert (
        integrity["seq"] == 2
        and integrity["eventHash"].startswith("sha256:")
        and integrity["prevHash"].startswith("sha256:")
    )
    assert events[3]["outputs"][0]["namespace"] == "nbsec-memory"
    broken = dict(events[0], eventType="DONE")
    with pytest.raises(jsonschema.ValidationError):  # the schema does constrain what we emit
        validator.validate(broken)


DVC_LOCK = """\
schema: '2.0'
stages:
  prep:
    cmd: python prep.py
    deps:
    - path: data
      hash: md5
      md5: 1fecdb033f57c7f3836cde2c93614b30.dir
      size: 6
      nfiles: 2
    outs:
    - path: out.txt
      hash: md5
      md5: {md5}
      size: 4
  train:
    cmd: python train.py
    deps:
    - path: out.txt
      md5: {md5}
    outs:
    - path: model.pkl
      md5: 0123456789abcdef0123456789abcdef
"""


def test_dvc_lock_import_flags_md5_only_hashes_and_rehash_upgrades_matching_files(tmp_path: Path) -> None:
    Path("out.txt").write_bytes(b"abc\n")
    Path("data").mkdir()
    md5 = hashlib.md5(b"abc\n").hexdigest()
    Path("dvc.lock").write_text(DVC_LOCK.format(md5=md5), encoding="utf-8")
    assert len(lineage.import_dvc_lock("dvc.lock")) == 2
    report = verify_store()
    weak = sorted(f.location.path for f in report.findings if f.rule_id == "NBSEC-LIN-008")
    assert weak == ["data", "model.pkl", "out.txt"]
    assert {f.location.path for f in report.findings if f.rule_id == "NBSEC-LIN-004"} == {"model.pkl"}
    assert [c.status for c in report.checks if c.target == "out.txt"] == ["passed"]  # MD5 still re-checked
    assert [c.status for c in report.checks if c.target == "data"] == ["skipped"]  # DVC's .dir hash: not recomputable
    Path("out.txt").write_bytes(b"abd\n")
    assert "out.txt" in {f.location.path for f in verify_store().findings if f.rule_id == "NBSEC-LIN-001"}

    Path("out.txt").write_bytes(b"abc\n")
    lineage.import_dvc_lock("dvc.lock", store="second.db", rehash=True)
    second = verify_store("second.db")
    assert "out.txt" not in {f.location.path for f in second.findings if f.rule_id == "NBSEC-LIN-008"}


@pytest.mark.parametrize(
    ("content", "message"),
    [("stages: [1, 2]", "no `stages:`"), ("a: [", "invalid YAML"), ("!!python/object:os.system {}", "invalid YAML")],
)
def test_bad_dvc_lock_is_an_error_naming_the_file(tmp_path: Path, content: str, message: str) -> None:
    Path("dvc.lock").write_text(content, encoding="utf-8")
    with pytest.raises(DvcLockError, match=message) as caught:
        lineage.import_dvc_lock("dvc.lock")
    assert "dvc.lock" in caught.value.message
