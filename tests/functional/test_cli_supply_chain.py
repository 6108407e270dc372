"""`nbsec scan --env`, `nbsec sbom`, `nbsec db update|info`: exit codes and what a user sees."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from cli import invoke

import nbsec.supply_chain.scanner  # noqa: F401  (registers the "dependencies" scanner)
from nbsec.baseline import write_baseline
from nbsec.model import Report


@pytest.fixture(autouse=True)
def _user_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def site(tmp_path: Path, **packages: str) -> Path:
    root = tmp_path / "site-packages"
    for name, version in packages.items():
        info = root / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return root


def test_scan_env_reports_the_vulnerable_torch_and_exits_1(tmp_path: Path) -> None:
    result = invoke("scan", "--env", "--site-packages", site(tmp_path, torch="2.5.1"), "-f", "json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    [vuln] = [f for f in report["findings"] if f["rule_id"] == "NBSEC-DEP-001"]
    assert vuln["evidence"].startswith("torch 2.5.1: GHSA-53q9-r3pm-6pq6 (CVE-2025-32434) fixed in 2.6.0")
    assert vuln["severity"] == "critical"
    assert report["targets"] == [
        {
            "path": f"environment:{tmp_path / 'site-packages'}",
            "kind": "environment",
            "status": "scanned",
            "detail": report["targets"][0]["detail"],
        }
    ]


def test_scan_env_with_the_fixed_torch_exits_0(tmp_path: Path) -> None:
    result = invoke("scan", "--env", "--site-packages", site(tmp_path, torch="2.6.0"))
    assert result.exit_code == 0, result.output
    assert "GHSA-53q9" not in result.output and "NBSEC-DEP-005" in result.output  # the bundled data is old


def test_scan_paths_and_env_together_with_policy(tmp_path: Path, report_schema: dict[str, Any]) -> None:
    import jsonschema

    project = tmp_path / "proj"
    project.mkdir()
    (project / "requirements.txt").write_text("numpy>=1.26\n")
    packages = site(tmp_path, torch="2.5.1")
    result = invoke(
        "scan", project, "--env", "--site-packages", packages, "-f", "json", "--exclude-rule", "NBSEC-DEP-005"
    )
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema)
    assert result.exit_code == 1
    assert {f["rule_id"] for f in report["findings"]} == {"NBSEC-DEP-001", "NBSEC-DEP-002", "NBSEC-DEP-003"}
    assert [s["finding"]["rule_id"] for s in report["suppressed"]] == ["NBSEC-DEP-005"]
    assert {t["kind"] for t in report["targets"]} == {"text", "environment"}


def test_env_findings_can_be_baselined(tmp_path: Path) -> None:
    packages = site(tmp_path, torch="2.5.1")
    first = invoke("scan", "--env", "--site-packages", packages, "-f", "json")
    baseline = tmp_path / "baseline.json"
    assert write_baseline(Report.from_json(first.stdout), baseline) == 2  # the vulnerable torch, the old database
    again = invoke("scan", "--env", "--site-packages", packages, "--baseline", baseline)
    assert again.exit_code == 0, again.output


def test_scan_without_paths_or_env_is_a_usage_error() -> None:
    result = invoke("scan")
    assert result.exit_code == 2 and "--env" in result.stderr


def test_sbom_writes_a_valid_cyclonedx_1_6_file(tmp_path: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "model.npy").write_bytes(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, }")
    out = tmp_path / "sbom.cdx.json"
    result = invoke("sbom", tmp_path / "ws", "-o", out)
    assert result.exit_code == 0, result.output
    assert "1 model files" in result.stderr and "valid CycloneDX 1.6" in result.stderr
    text = out.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    types = {c["type"] for c in json.loads(text)["components"]}
    assert types == {"library", "machine-learning-model"}


def test_sbom_to_stdout_without_models(tmp_path: Path) -> None:
    result = invoke("sbom", "--no-models", "--site-packages", site(tmp_path, torch="2.6.0"))
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [(c["name"], c["version"], c["purl"]) for c in doc["components"]] == [
        ("torch", "2.6.0", "pkg:pypi/torch@2.6.0")
    ]


def test_db_update_then_info_then_scan_uses_the_new_data(tmp_path: Path) -> None:
    export = tmp_path / "all.zip"
    advisory = {
        "id": "GHSA-test-0001",
        "modified": "2099-01-01T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "summary": "a test advisory",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo-pkg"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}],
            }
        ],
    }
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("GHSA-test-0001.json", json.dumps(advisory))
    result = invoke("db", "update", "--from", export)
    assert result.exit_code == 0, result.output
    assert "imported 1 PyPI advisories for 1 packages" in result.stdout
    info = invoke("db", "info")
    assert "user" in info.stdout and "2099-01-01" in info.stdout and "bundled" in info.stdout
    scan = invoke("scan", "--env", "--site-packages", site(tmp_path, **{"demo_pkg": "1.1"}), "-f", "json")
    evidence = [f["evidence"] for f in json.loads(scan.stdout)["findings"]]
    assert evidence == ["demo-pkg 1.1: GHSA-test-0001 (CVE-2099-0001) fixed in 1.2.0: a test advisory"]


def test_db_update_with_a_bad_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"not": "osv"}')
    result = invoke("db", "update", "--from", tmp_path / "x.json")
    assert result.exit_code == 2 and "no PyPI advisories" in result.stderr
    assert invoke("db", "update", "--from", tmp_path / "missing.zip").exit_code == 2
