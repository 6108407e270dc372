"""Supply chain: OSV matching (synthetic and bundled advisories), CVSS, requirements, imports, db update, SBOM."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import nbsec
import nbsec.supply_chain.scanner  # noqa: F401  (registers the "dependencies" scanner)
from nbsec.api import scan_environment
from nbsec.errors import UsageError
from nbsec.model import Finding, Report
from nbsec.supply_chain import cvss, update, vulns
from nbsec.supply_chain.osv import Advisory, dedupe, normalize_name
from nbsec.supply_chain.requirements import parse_requirements_file
from nbsec.supply_chain.rules import RULES
from nbsec.supply_chain.store import AdvisoryDatabase, Source, load_database

TORCH_GHSA = "GHSA-53q9-r3pm-6pq6"


@pytest.fixture(autouse=True)
def _user_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The user's advisory store lives in the test's folder, never in ~/.cache."""
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


def osv(ident: str, package: str, *events: dict[str, str], **extra: Any) -> dict[str, Any]:
    affected: dict[str, Any] = {"package": {"ecosystem": "PyPI", "name": package}}
    affected["ranges"] = [{"type": "ECOSYSTEM", "events": list(events)}] if events else []
    if "versions" in extra:
        affected["versions"] = extra.pop("versions")
    return {"id": ident, "modified": "2026-01-01T00:00:00Z", "affected": [affected], **extra}


def fake_site(root: Path, **packages: str) -> Path:
    """A site-packages folder holding only `<name>-<version>.dist-info/METADATA` files."""
    root.mkdir(parents=True, exist_ok=True)
    for name, version in packages.items():
        info = root / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    return root


# -- OSV matching, synthetic advisories -----------------------------------------------------


@pytest.mark.parametrize(
    ("version", "fixed"),
    [("0.9", "1.0.1"), ("1.0.0", "1.0.1"), ("1.0.1", None), ("1.5", "2.0.3"), ("2.0.2", "2.0.3"), ("2.0.3", None)],
)
def test_two_ranges_report_the_fix_of_the_range_the_version_is_in(version: str, fixed: str | None) -> None:
    adv = Advisory.from_osv(
        osv("X-1", "pkg", {"introduced": "0"}, {"fixed": "1.0.1"}, {"introduced": "1.5"}, {"fixed": "2.0.3"})
    )
    match = adv.match("pkg", version)
    assert (match.fixed if match else None) == fixed


def test_pep440_ordering_not_string_ordering() -> None:
    adv = Advisory.from_osv(osv("X-1", "pkg", {"introduced": "1.2"}, {"fixed": "1.10"}))
    assert adv.match("pkg", "1.9") is not None  # "1.9" > "1.10" as strings, but not as versions
    assert adv.match("pkg", "1.10.0") is None and adv.match("pkg", "1.1") is None
    assert adv.match("pkg", "1.10rc1") is not None  # a pre-release of the fix is still affected


def test_local_versions_are_their_public_release() -> None:
    adv = Advisory.from_osv(osv("X-1", "torch", {"introduced": "0"}, {"fixed": "2.6.0"}))
    assert adv.match("torch", "2.5.1+cpu") is not None
    assert adv.match("torch", "2.6.0+cu124") is None


def test_last_affected_limit_versions_and_withdrawn() -> None:
    last = Advisory.from_osv(osv("X-1", "pkg", {"introduced": "1.0"}, {"last_affected": "1.4"}))
    assert last.match("pkg", "1.4") is not None and last.match("pkg", "1.4.1") is None
    assert last.match("pkg", "1.2").last_affected == "1.4"  # type: ignore[union-attr]
    limited = Advisory.from_osv(osv("X-2", "pkg", {"introduced": "0"}, {"limit": "3.0"}))
    assert limited.match("pkg", "2.9") is not None and limited.match("pkg", "3.1") is None
    listed = Advisory.from_osv(osv("X-3", "pkg", {"introduced": "0"}, {"fixed": "1.0"}, versions=["5.0", "v-odd"]))
    assert listed.match("pkg", "5.0.0") is not None  # explicit list, compared as versions
    assert listed.match("pkg", "v-odd") is not None  # not PEP 440: only a literal match
    withdrawn = Advisory.from_osv(osv("X-4", "pkg", {"introduced": "0"}, withdrawn="2026-01-02T00:00:00Z"))
    assert withdrawn.match("pkg", "1.0") is None


def test_names_are_normalized_and_other_ecosystems_dropped() -> None:
    doc = osv("X-1", "Scikit_Learn", {"introduced": "0"}, {"fixed": "1.0"})
    doc["affected"].append({"package": {"ecosystem": "npm", "name": "scikit-learn"}, "ranges": []})
    adv = Advisory.from_osv(doc)
    assert normalize_name("Scikit_Learn") == "scikit-learn" == normalize_name("scikit.learn")
    assert [a.name for a in adv.affected] == ["scikit-learn"]
    assert adv.match("SCIKIT-learn", "0.24") is not None


def test_aliased_advisories_are_one_finding_with_every_id() -> None:
    ghsa = Advisory.from_osv(osv("GHSA-aaaa", "pkg", {"introduced": "0"}, {"fixed": "2.0"}, aliases=["CVE-1"]))
    pysec = Advisory.from_osv(osv("PYSEC-1", "pkg", {"introduced": "0"}, {"fixed": "2.0"}, aliases=["CVE-1"]))
    [match] = dedupe([m for m in (pysec.match("pkg", "1.0"), ghsa.match("pkg", "1.0")) if m])
    assert match.advisory.id == "GHSA-aaaa" and match.all_ids == ("GHSA-aaaa", "CVE-1", "PYSEC-1")


# -- CVSS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vector", "score"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8),
        ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N", 7.2),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:L", 3.7),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ],
)
def test_cvss3_base_scores(vector: str, score: float) -> None:
    assert cvss.cvss3_score(vector) == score


def test_cvss2_and_severity_sources() -> None:
    assert cvss.cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P") == 7.5
    assert cvss.cvss2_score("AV:N/AC:M/Au:N/C:N/I:P/A:N") == 4.3
    scored = Advisory.from_osv(
        osv("X", "p", severity=[{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}])
    )
    assert cvss.advisory_severity(scored)[0].value == "critical"
    labelled = Advisory.from_osv(osv("X", "p", database_specific={"severity": "MODERATE"}))
    assert cvss.advisory_severity(labelled)[0].value == "medium"
    assert cvss.advisory_severity(Advisory.from_osv(osv("X", "p")))[0].value == "high"  # the rule's default


# -- the bundled snapshot and supplement -------------------------------------------------------


def test_bundled_database_loads_with_its_sources() -> None:
    db = load_database(include_user=False)
    assert {s.name for s in db.sources} == {"bundled", "supplement"}
    assert len(db.advisories) > 1000 and db.date == "2024-10-10"
    assert {"torch", "tensorflow", "pillow", "mlflow", "notebook", "transformers"} <= db.packages()


def test_torch_2_5_1_reports_the_weights_only_rce_with_its_fix(tmp_path: Path) -> None:
    report = scan_environment(site_packages=fake_site(tmp_path / "site", torch="2.5.1"))
    [vuln] = [f for f in report.findings if f.rule_id == "NBSEC-DEP-001"]
    assert TORCH_GHSA in vuln.evidence and "CVE-2025-32434" in vuln.evidence and "fixed in 2.6.0" in vuln.evidence
    assert vuln.severity.value == "critical" and "torch>=2.6.0" in vuln.remediation
    assert vuln.location.path == f"environment:{tmp_path / 'site'}"
    assert any(r.framework == "OSV" and r.id == TORCH_GHSA for r in vuln.references)
    assert [t.kind for t in report.targets] == ["environment"] and report.checks[0].status == "failed"


def test_torch_2_6_0_is_not_reported(tmp_path: Path) -> None:
    report = scan_environment(site_packages=fake_site(tmp_path / "site", torch="2.6.0"))
    assert [f.rule_id for f in report.findings] == ["NBSEC-DEP-005"]  # only: the bundled data is old
    assert report.checks[0].status == "passed"


@pytest.mark.parametrize(
    ("package", "version", "advisory", "fixed"),
    [
        ("pillow", "9.0.0", "PYSEC-2022-168", "9.0.1"),  # CVE-2022-24303, in the 2024-10 PyPA snapshot
        ("tensorflow", "2.4.0", "PYSEC-2021-149", "2.4.2"),
        ("mlflow", "2.9.0", "PYSEC-2024-51", "2.10.1"),
        ("torch", "1.13.0", "PYSEC-2022-43015", "1.13.1"),
    ],
)
def test_old_advisories_from_the_pypa_snapshot(package: str, version: str, advisory: str, fixed: str) -> None:
    matches = {m.advisory.id: m for m in load_database(include_user=False).matches(package, version)}
    assert matches[advisory].fixed == fixed
    assert advisory not in {m.advisory.id for m in load_database(include_user=False).matches(package, fixed)}


def test_match_counts_agree_with_the_reference_matcher() -> None:
    db = load_database(include_user=False)  # numbers from lineage-supply-chain.md 6.5
    counts = {
        p: len(db.matches(p, v)) for p, v in [("mlflow", "2.9.0"), ("notebook", "6.0.0"), ("tensorflow", "2.4.0")]
    }
    assert counts == {"mlflow": 4, "notebook": 3, "tensorflow": 198}


def environment_findings(site: Path, db: AdvisoryDatabase) -> list[Finding]:
    report = Report()
    vulns.scan_environment(report, site_packages=site, db=db)
    return report.findings


def test_stale_database_is_an_info_finding_and_fresh_data_is_not(tmp_path: Path) -> None:
    today = dt.date.today().isoformat()
    advisory = Advisory.from_osv(osv("X-1", "pkg", {"introduced": "0"}, {"fixed": "1.0"}))
    site = fake_site(tmp_path / "site", pkg="0.5")
    fresh = AdvisoryDatabase.from_advisories([advisory], [Source("user", "x", today, 1)])
    assert [f.rule_id for f in environment_findings(site, fresh)] == ["NBSEC-DEP-001"]
    old = AdvisoryDatabase.from_advisories([advisory], [Source("user", "x", "2020-01-01", 1)])
    stale = [f for f in environment_findings(site, old) if f.rule_id == "NBSEC-DEP-005"]
    assert stale and stale[0].severity.value == "info" and "nbsec db update --from" in stale[0].evidence


def test_environment_report_is_schema_valid(tmp_path: Path, report_schema: dict[str, Any]) -> None:
    import jsonschema

    report = scan_environment(site_packages=fake_site(tmp_path / "site", torch="2.5.1", pillow="9.0.0"))
    jsonschema.validate(report.to_dict(), report_schema)


# -- requirements files ------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_requirements_parsing_markers_hashes_vcs_and_continuations(tmp_path: Path) -> None:
    req = write(
        tmp_path / "requirements.txt",
        "# pinned and hashed\n"
        "torch==2.6.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        'requests[socks]==2.32.3 ; python_version >= "3.8"  # comment\n'
        "git+https://github.com/o/r@main#egg=r\n"
        "-e .\n--extra-index-url https://mirror.example/simple\n",
    )
    deps = {d.line: d for d in parse_requirements_file(req).dependencies}
    assert (
        deps[2].name == "torch" and deps[2].pinned_version == "2.6.0" and deps[2].hashes == ("sha256:aa", "sha256:bb")
    )
    assert deps[5].name == "requests" and deps[5].marker == 'python_version >= "3.8"' and deps[5].comment == "# comment"
    assert deps[6].vcs == "git" and not deps[6].vcs_commit_pinned and deps[6].name == "r"
    assert deps[7].local and deps[7].editable
    assert len(deps) == 4  # the index option is not a requirement


def test_include_loops_and_depth_are_bounded(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "-r b.txt\nnumpy==2.0.0\n")
    write(tmp_path / "b.txt", "-r a.txt\n--requirement=c.txt\n")
    write(tmp_path / "c.txt", "-rd.txt\n")
    for name, nxt in zip("defgh", "efghi", strict=True):
        write(tmp_path / f"{name}.txt", f"-r {nxt}.txt\n")
    parsed = parse_requirements_file(tmp_path / "a.txt")
    assert [d.name for d in parsed.dependencies] == ["numpy"]
    assert any("include loop" in p for p in parsed.problems)
    assert any("deeper than 5" in p for p in parsed.problems)


def scan_file(tmp_path: Path, name: str, text: str) -> Report:
    return nbsec.scan(write(tmp_path / "proj" / name, text), only="dependencies")


def ids(report: Report) -> list[str]:
    return sorted(f.rule_id for f in report.findings)


@pytest.mark.parametrize("rule", [r for r in RULES if r.id in ("NBSEC-DEP-001", "NBSEC-DEP-002", "NBSEC-DEP-003")])
def test_requirement_rule_samples(rule: Any, tmp_path: Path) -> None:
    assert rule.id in ids(scan_file(tmp_path, "requirements.txt", rule.sample_trigger))
    assert rule.id not in ids(scan_file(tmp_path, "requirements.txt", rule.sample_clean))


def test_requirements_findings(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "constraints.txt", "pandas==2.2.3\n")
    report = scan_file(
        tmp_path,
        "requirements-dev.txt",
        "-c constraints.txt\n"
        "torch==2.5.1 --hash=sha256:" + "1" * 64 + "\n"
        "numpy>=1.26\n"
        "pandas\n"  # pinned by the constraints file
        "git+https://github.com/o/r@v1.0#egg=r\n"
        "git+https://github.com/o/s@" + "a" * 40 + "#egg=s --hash=sha256:" + "2" * 64 + "\n"
        "pillow==9.0.0  # nbsec: ignore[NBSEC-DEP-001]\n",
    )
    found = {(f.rule_id, f.location.line, f.severity.value) for f in report.findings}
    assert ("NBSEC-DEP-001", 2, "critical") in found
    assert ("NBSEC-DEP-002", 3, "medium") in found and ("NBSEC-DEP-002", 5, "high") in found
    assert not any(f.location.line in (4, 6) for f in report.findings if f.rule_id == "NBSEC-DEP-002")
    # Hash-checking mode is on (line 2 has a hash), so every line without one is a finding of its own.
    assert {line for rule, line, _ in found if rule == "NBSEC-DEP-003"} == {3, 4, 5, 7}
    assert {s.reason for s in report.suppressed} == {"inline"}
    assert all(s.finding.rule_id == "NBSEC-DEP-001" for s in report.suppressed)


def test_pyproject_ranges_are_fine_but_vulnerable_pins_and_moving_vcs_are_not(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\ndependencies = [\n  "torch>=2",\n  "transformers==4.30.0",\n'
    text += '  "lib @ git+https://github.com/o/lib@main",\n]\n'
    found = {(f.rule_id, f.location.line) for f in scan_file(tmp_path, "pyproject.toml", text).findings}
    assert found == {("NBSEC-DEP-001", 5), ("NBSEC-DEP-002", 6)}


# -- imports vs declared -----------------------------------------------------------------------


def test_undeclared_import_sample(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    rule = next(r for r in RULES if r.id == "NBSEC-DEP-004")
    write(tmp_path / "requirements.txt", "numpy==2.0.0\n")
    trigger = nbsec.scan(write_notebook("a.ipynb", [rule.sample_trigger]), only="dependencies")
    clean = nbsec.scan(write_notebook("b.ipynb", [rule.sample_clean]), only="dependencies")
    [finding] = [f for f in trigger.findings if f.rule_id == rule.id]
    assert "import pandas" in finding.evidence and (finding.location.cell, finding.location.line) == (0, 2)
    assert rule.id not in ids(clean)


def test_imports_that_are_not_undeclared(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "mylab"\ndependencies = ["scikit-learn>=1.3"]\n')
    write(tmp_path / "helpers.py", "X = 1\n")
    cells = [
        "from __future__ import annotations\nimport os, json\nimport helpers\nimport mylab\nfrom . import x",
        "from sklearn.linear_model import LogisticRegression\nfrom IPython.display import display",
        "try:\n    import xformers\nexcept ImportError:\n    xformers = None",
        "%pip install seaborn==0.13.2\nimport seaborn",
        "import requests  # nbsec: ignore[NBSEC-DEP-004]",
    ]
    report = nbsec.scan(write_notebook("nb.ipynb", cells), only="dependencies")
    assert report.findings == []
    assert [s.finding.evidence.split()[1] for s in report.suppressed] == ["requests"]


def test_a_notebook_without_any_declaration_is_not_checked(tmp_path: Path, write_notebook: Callable[..., Path]) -> None:
    report = nbsec.scan(write_notebook("nb.ipynb", ["import pandas"]))
    assert report.findings == [] and "dependencies" not in {c.scanner for c in report.checks}


# -- nbsec db update -----------------------------------------------------------------------------


def test_update_from_a_zip_keeps_pypi_and_counts_the_rest(tmp_path: Path) -> None:
    export = tmp_path / "all.zip"
    npm = {
        "id": "GHSA-npm",
        "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "npm", "name": "x"}}],
    }
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("GHSA-new.json", json.dumps(osv("GHSA-new", "newpkg", {"introduced": "0"}, {"fixed": "1.1"})))
        archive.writestr("GHSA-npm.json", json.dumps(npm))
        archive.writestr("broken.json", "{not json")
        archive.writestr("README.txt", "ignored")
    result = update.update_from(export)
    assert (result.kept, result.other_ecosystems, result.invalid, result.date) == (1, 1, 1, "2026-01-01")
    db = load_database()
    assert {s.name for s in db.sources} == {"bundled", "supplement", "user"}
    assert [m.fixed for m in db.matches("newpkg", "1.0")] == ["1.1"]
    assert db.date == "2026-01-01"  # the imported data is newer than the bundled snapshot


def test_update_from_a_folder_and_merge(tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    write(folder / "a" / "ONE.json", json.dumps(osv("ONE", "pkg-a", {"introduced": "0"}, {"fixed": "2"})))
    write(folder / "list.json", json.dumps([osv("TWO", "pkg-b", {"introduced": "0"}, {"fixed": "3"})]))
    assert update.update_from(folder).kept == 2
    single = write(tmp_path / "three.json", json.dumps(osv("THREE", "pkg-c", {"introduced": "0"})))
    assert update.update_from(single, merge=True).kept == 3
    assert update.update_from(single).kept == 1  # without --merge the store is replaced


def test_update_refuses_exports_without_pypi_entries_and_oversized_members(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = write(tmp_path / "empty.json", "[]")
    with pytest.raises(UsageError, match="no PyPI advisories"):
        update.update_from(empty)
    monkeypatch.setattr(update, "MAX_MEMBER_BYTES", 64)
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.json", " " * 10_000)
    with pytest.raises(UsageError, match="limit"):
        update.update_from(big)


def test_update_reads_pypa_yaml_files_when_pyyaml_is_installed(tmp_path: Path) -> None:
    # PyYAML is a dev dependency, so this always runs in `make test`; without it the CLI says what to install.
    yaml_doc = (
        "id: PYSEC-0000-test\nmodified: '2026-02-01T00:00:00Z'\naffected:\n- package: {ecosystem: PyPI, name: p}\n"
    )
    yaml_doc += "  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: '0'\n    - fixed: 1.0.1\n"
    write(tmp_path / "vulns" / "p" / "PYSEC-0000-test.yaml", yaml_doc)
    assert update.update_from(tmp_path / "vulns").kept == 1
    assert [m.fixed for m in load_database().matches("p", "1.0")] == ["1.0.1"]


def test_a_damaged_user_store_is_reported_not_a_crash(tmp_path: Path, _user_store: Path) -> None:
    store = _user_store / "nbsec" / "advisories"
    write(store / "osv-user.json", "{truncated")
    report = scan_environment(site_packages=fake_site(tmp_path / "site", torch="2.5.1"))
    assert [f.rule_id for f in report.findings if f.rule_id == "NBSEC-DEP-001"] == ["NBSEC-DEP-001"]  # bundled data
    assert len(report.errors) == 1 and "cannot read the user advisories" in report.errors[0].message


def test_included_files_that_no_scan_visits_are_reported_where_they_are(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "base.in", "numpy\n")
    report = scan_file(tmp_path, "requirements.txt", "-r base.in\ntorch==2.6.0\n")
    locations = {f.location.describe() for f in report.findings if f.rule_id == "NBSEC-DEP-002"}
    assert locations == {"proj/base.in, line 1"}


# -- SBOM ----------------------------------------------------------------------------------------


def test_sbom_validates_and_lists_libraries_and_hashed_models(tmp_path: Path) -> None:
    import pickle

    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    from nbsec.integrity.hashing import sha256_file
    from nbsec.supply_chain.sbom import build_sbom

    workspace = tmp_path / "ws"
    (workspace / "models").mkdir(parents=True)
    (workspace / "models" / "clf.pkl").write_bytes(pickle.dumps({"w": [1, 2]}, protocol=4))
    (workspace / "notes.txt").write_text("not a model")
    with zipfile.ZipFile(workspace / "data.zip", "w") as archive:
        archive.writestr("rows.csv", "1,2\n")  # a container, but not named like a model
    result = build_sbom(workspace)
    assert result.validated and JsonStrictValidator(SchemaVersion.V1_6).validate_str(result.text) is None
    doc = json.loads(result.text)
    assert doc["specVersion"] == "1.6" and doc["bomFormat"] == "CycloneDX"
    libraries = {c["name"].lower(): c for c in doc["components"] if c["type"] == "library"}
    assert libraries["packaging"]["version"] and libraries["packaging"]["purl"].startswith("pkg:pypi/packaging@")
    [model] = [c for c in doc["components"] if c["type"] == "machine-learning-model"]
    assert model["name"] == "models/clf.pkl"
    assert model["hashes"] == [{"alg": "SHA-256", "content": sha256_file(workspace / "models" / "clf.pkl")}]


def test_importing_the_package_stays_light() -> None:
    prefixes = ("cyclonedx", "packaging", "nbsec.supply_chain.")
    code = f"import sys, nbsec, nbsec.supply_chain; print(sorted(m for m in sys.modules if m.startswith({prefixes})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
