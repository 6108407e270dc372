"""The framework catalogues, and THE check: every framework id any nbsec rule or source file cites is real.

Two sources of references, so nothing escapes:

1. every Rule in the one rule catalogue (`nbsec.rule_catalogue.load_catalogue`: the rule
   modules it lists, plus scanner plugins' rules);
2. every `reference("FW", "ID")` / `Reference("FW", "ID")` literal anywhere in the nbsec
   source (an AST scan), so findings built outside a Rule are covered too.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import pytest

import nbsec
from nbsec.compliance import (
    COMPLIANCE_FRAMEWORKS,
    FRAMEWORKS,
    UnknownFrameworkError,
    catalogue,
    check_reference,
    crosswalk,
    framework_key,
)
from nbsec.compliance.atlas_source import AtlasFormatError, atlas_catalogue
from nbsec.rule_catalogue import RULE_MODULES, load_catalogue

PACKAGE = Path(nbsec.__file__).resolve().parent
DATA = PACKAGE / "data" / "frameworks"

CATALOGUE = load_catalogue()
RULES = [{"id": r.id, "references": [[x.framework, x.id] for x in r.references]} for r in CATALOGUE.rules]

# -- the data files and their recorded hashes ---------------------------------------------------


def _sums() -> dict[str, str]:
    lines = (DATA / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines if line.strip())}


def test_every_catalogue_file_matches_its_recorded_sha256() -> None:
    sums = _sums()
    assert set(sums) == {p.name for p in DATA.glob("*.json")}, "every JSON file is listed in SHA256SUMS"
    for name, digest in sums.items():
        actual = hashlib.sha256((DATA / name).read_bytes()).hexdigest()
        assert actual == digest, f"{name} changed without scripts/build_frameworks.py --sums-only (and review)"


def test_source_md_records_the_same_sha256_for_every_file() -> None:
    recorded = dict(re.findall(r"- \*\*SHA-256\*\*: `([^`]+)` `([0-9a-f]{64})`", (DATA / "SOURCE.md").read_text()))
    assert recorded == _sums()


def test_atlas_ships_with_its_license_and_notice() -> None:
    assert "Apache License, Version 2.0" in (DATA / "LICENSE-ATLAS").read_text()
    notice = (DATA / "NOTICE-ATLAS").read_text()
    assert "Copyright 2021-2025 MITRE" in notice and "Modifications" in notice


# -- what each catalogue holds ---------------------------------------------------------------------


def _count(key: str, kind: str) -> int:
    return len(catalogue(key).items(kind))


def test_atlas_is_the_whole_5_6_0_matrix() -> None:
    atlas = catalogue("MITRE ATLAS")
    assert atlas.version == "5.6.0"
    assert atlas.source["sha256"] == "8a5693df51135721796607b8f29cba8ed33d745d5592ed80efbaaab0fba978f2"
    counts = {k: _count("atlas", k) for k in ("tactic", "technique", "sub-technique", "mitigation", "case-study")}
    assert counts == {"tactic": 16, "technique": 101, "sub-technique": 69, "mitigation": 35, "case-study": 57}
    sub = atlas.resolve("AML.T0010.003")
    assert sub is not None and sub.parent == "AML.T0010" and sub.title == "Model"
    # Sub-techniques inherit their parent's tactics; the mitigation relation is kept both ways.
    assert sub.extra["tactics"] == atlas.get("AML.T0010").extra["tactics"] == ["AML.TA0004"]  # type: ignore[union-attr]
    verify = atlas.get("AML.M0014")
    assert verify is not None and verify.title == "Verify AI Artifacts"
    assert "AML.T0011.000" in verify.extra["techniques"]
    assert "AML.M0014" in atlas.get("AML.T0011.000").extra["mitigations"]  # type: ignore[union-attr]
    assert all(isinstance(v, str) for m in atlas.items("mitigation") for v in m.extra["ml_lifecycle"])


def test_nist_ai_rmf_has_the_72_subcategories_of_the_core() -> None:
    nist = catalogue("nist-ai-rmf")
    subs = nist.items("subcategory")
    per_function = {fn: sum(1 for s in subs if s.id.split()[0] == fn) for fn in ("GOVERN", "MAP", "MEASURE", "MANAGE")}
    assert per_function == {"GOVERN": 19, "MAP": 18, "MEASURE": 22, "MANAGE": 13}
    assert _count("nist-ai-rmf", "category") == 19
    for sub in subs:
        category = nist.get(sub.parent or "")
        assert category is not None and category.kind == "category" and sub.text
        assert sub.id.startswith(category.id + ".")
    assert nist.get("MEASURE 2.7").title == "Security and resilience"  # type: ignore[union-attr]
    assert "pre-trained models" in nist.get("MANAGE 3.2").text.lower()  # type: ignore[union-attr]


def test_iso_42001_annex_a_has_38_controls_in_9_objectives() -> None:
    iso = catalogue("ISO/IEC 42001")
    assert _count("iso42001", "control") == 38 and _count("iso42001", "objective") == 9
    assert iso.get("A.7.5").title == "Data provenance"  # type: ignore[union-attr]
    assert [c.id for c in iso.children("A.6.2")][-1] == "A.6.2.8"
    assert all(not item.text for item in iso.items()), "ISO control text is copyrighted: ids and titles only"


def test_owasp_lists_carry_the_edition_year() -> None:
    assert catalogue("owasp-llm").ids() == [f"LLM{n:02d}:2025" for n in range(1, 11)]
    assert catalogue("OWASP ML Top 10").ids() == [f"ML{n:02d}:2023" for n in range(1, 11)]
    assert catalogue("owasp-llm").get("LLM07:2025").title == "System Prompt Leakage"  # type: ignore[union-attr]
    assert catalogue("owasp-ml").resolve("LLM01:2025") is None


def test_eu_ai_act_articles_paragraphs_and_annex_points() -> None:
    eu = catalogue("EU AI Act")
    assert eu.get("Art. 15").title == "Accuracy, robustness and cybersecurity"  # type: ignore[union-attr]
    assert eu.resolve("Art. 15(5)") == eu.get("Art. 15")
    assert eu.resolve("Art. 5(1)(a)") == eu.get("Art. 5")
    assert eu.resolve("Annex III(4)").title.startswith("Employment")  # type: ignore[union-attr]
    assert eu.resolve("Art. 114") is None and eu.resolve("Article 15") is None
    assert {"Art. 9", "Art. 10", "Art. 12", "Art. 13", "Art. 14", "Art. 26", "Art. 50", "Art. 53", "Art. 55"} <= {
        i.id for i in eu.assessable()
    }


def test_cwe_is_an_open_catalogue() -> None:
    cwe = catalogue("CWE")
    assert cwe.resolve("CWE-502").title == "Deserialization of Untrusted Data"  # type: ignore[union-attr]
    unnamed = cwe.resolve("CWE-1321")
    assert unnamed is not None and unnamed.title == ""  # well-formed: accepted, name not bundled
    assert cwe.resolve("CWE-0") is None and cwe.resolve("CWE502") is None and cwe.resolve("cwe-502") is None


@pytest.mark.parametrize(
    ("framework", "ident"),
    [
        ("MITRE ATLAS", "AML.T9999"),
        ("MITRE ATLAS", "AML.T0010.009"),
        ("MITRE ATLAS", "T0010"),
        ("OWASP LLM Top 10", "LLM11:2025"),
        ("OWASP LLM Top 10", "LLM01"),
        ("OWASP LLM Top 10", "LLM01:2023"),
        ("OWASP ML Top 10", "ML06:2025"),
        ("NIST AI RMF", "MEASURE 2.14"),
        ("NIST AI RMF", "GV-1.1"),
        ("ISO/IEC 42001", "A.7.7"),
        ("ISO/IEC 42001", "A.5.1.1"),
        ("EU AI Act", "Art. 200"),
        ("CWE", "CWE-abc"),
        ("CVE", "CVE-24-1"),
        ("OWASP Top 10", "A01:2021"),
        ("mitre atlas", "AML.T0010"),
    ],
)
def test_check_reference_rejects_what_is_not_real(framework: str, ident: str) -> None:
    assert check_reference(framework, ident) is not None


@pytest.mark.parametrize(
    ("framework", "ident"),
    [
        ("MITRE ATLAS", "AML.T0051.001"),
        ("MITRE ATLAS", "AML.M0023"),
        ("NIST AI RMF", "MAP 4.1"),
        ("ISO/IEC 42001", "A.10.3"),
        ("EU AI Act", "Art. 15(5)"),
        ("CVE", "CVE-2025-32434"),
        ("GHSA", "GHSA-53q9-r3pm-6pq6"),
        ("OSV", "PYSEC-2022-43015"),
    ],
)
def test_check_reference_accepts_real_ids(framework: str, ident: str) -> None:
    assert check_reference(framework, ident) is None


def test_frameworks_are_found_by_key_or_name_and_unknown_ones_list_the_choices() -> None:
    assert framework_key("MITRE ATLAS") == framework_key("atlas") == "atlas"
    assert framework_key("iso/iec 42001") == "iso42001"
    assert set(COMPLIANCE_FRAMEWORKS) < set(FRAMEWORKS)
    with pytest.raises(UnknownFrameworkError) as err:
        catalogue("SOC 2")
    assert "nist-ai-rmf" in err.value.hint and "atlas" in err.value.hint


def test_atlas_transform_inherits_tactics_and_filters_the_lifecycle_bug() -> None:
    data = {
        "version": "9.9.9",
        "matrices": [
            {
                "tactics": [{"id": "AML.TA0004", "name": "Initial Access"}],
                "techniques": [
                    {"id": "AML.T0010", "name": "Supply  Chain", "tactics": ["AML.TA0004"], "maturity": "realized"},
                    {"id": "AML.T0010.003", "name": "Model", "subtechnique-of": "AML.T0010"},
                ],
                "mitigations": [
                    {
                        "id": "AML.M0014",
                        "name": "Verify",
                        "techniques": [{"id": "AML.T0010.003", "use": "hash it"}],
                        "ml-lifecycle": ["Deployment", {"id": "AML.T0010", "use": "stray mapping"}],
                        "category": ["Technical - ML"],
                    }
                ],
            }
        ],
        "case-studies": [{"id": "AML.CS0000", "name": "A case"}],
    }
    args = {"source_sha256": "0" * 64, "source_commit": "c", "release": "r", "date": "d"}
    out = atlas_catalogue(data, **args)
    assert out == atlas_catalogue(data, **args)  # pure: same input, same output
    items = {i["id"]: i for i in out["items"]}
    assert items["AML.T0010"]["title"] == "Supply Chain"  # whitespace collapsed
    assert items["AML.T0010.003"]["tactics"] == ["AML.TA0004"] and items["AML.T0010.003"]["parent"] == "AML.T0010"
    assert items["AML.T0010.003"]["mitigations"] == ["AML.M0014"]
    assert items["AML.M0014"]["ml_lifecycle"] == ["Deployment"]
    assert out["version"] == "9.9.9" and items["AML.CS0000"]["kind"] == "case-study"
    with pytest.raises(AtlasFormatError, match="matrices"):
        atlas_catalogue({"version": "1"}, **args)


# -- the crosswalk ---------------------------------------------------------------------------------


def test_every_crosswalk_id_is_real_and_every_entry_says_why() -> None:

    entries = json.loads((DATA / "crosswalk.json").read_text())["entries"]
    assert {(e["framework"], e["id"]) for e in entries} == set(crosswalk())
    assert len(entries) == 20  # OWASP LLM 2025 and ML 2023, every id
    for entry in entries:
        assert check_reference(entry["framework"], entry["id"]) is None
        assert len(entry["why"]) > 40
        for framework, ids in entry["maps"].items():
            for ident in ids:
                assert check_reference(framework, ident) is None, (entry["id"], framework, ident)


# -- THE check, part 1: every rule's references ----------------------------------------------------


def test_the_catalogue_loads_without_failures() -> None:
    assert CATALOGUE.failures == ()
    assert {"nbsec.scanners.artifacts.rules", "nbsec.scanners.notebook.rules"} <= set(RULE_MODULES)


def test_rules_of_every_feature_package_present_are_loaded() -> None:
    namespaces = {rule["id"].split("-")[1] for rule in RULES}
    assert {"ART", "NB", "DEP"} <= namespaces
    features = {"threatmodel": "TM", "adversarial": "ADV", "lineage": "LIN"}
    present = {ns for package, ns in features.items() if (PACKAGE / package / "__init__.py").is_file()}
    assert present <= namespaces, f"a feature package is on disk but registered no rules: {present - namespaces}"


RULE_REFERENCES = sorted({(rule["id"], fw, ident) for rule in RULES for fw, ident in rule["references"]})


@pytest.mark.parametrize(("rule_id", "framework", "ident"), RULE_REFERENCES, ids=lambda v: str(v))
def test_rule_reference_exists_in_its_catalogue(rule_id: str, framework: str, ident: str) -> None:
    problem = check_reference(framework, ident)
    assert problem is None, f"{rule_id}: {problem}"


# -- THE check, part 2: every reference literal in the source --------------------------------------

CONSTRUCTORS = {"reference", "Reference"}


def literal_references(root: Path) -> tuple[list[tuple[str, int, str, str]], int]:
    """(file, line, framework, id) of every literal reference()/Reference() call; and how many were not literal."""
    found: list[tuple[str, int, str, str]] = []
    dynamic = 0
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name not in CONSTRUCTORS:
                continue
            values: list[ast.expr | None] = [*node.args[:2]]
            values += [None] * (2 - len(values))
            for kw in node.keywords:
                if kw.arg == "framework":
                    values[0] = kw.value
                elif kw.arg in ("id", "ident"):
                    values[1] = kw.value
            fw, ident = values
            if isinstance(fw, ast.Constant) and isinstance(ident, ast.Constant):
                if isinstance(fw.value, str) and isinstance(ident.value, str):
                    found.append((str(path.relative_to(root)), node.lineno, fw.value, ident.value))
                    continue
            dynamic += 1
    return found, dynamic


SOURCE_REFERENCES, _DYNAMIC = literal_references(PACKAGE)


def test_the_source_scan_sees_the_known_literals() -> None:
    pairs = {(fw, ident) for _, _, fw, ident in SOURCE_REFERENCES}
    assert {("OWASP ML Top 10", "ML06:2023"), ("EU AI Act", "Art. 10"), ("MITRE ATLAS", "AML.T0010.003")} <= pairs


def test_the_source_scan_finds_a_planted_bad_reference(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "rules.py").write_text(
        "from nbsec.model import Reference, reference\n"
        "A = reference('MITRE ATLAS', 'AML.T9999')\n"
        "B = Reference(framework='CWE', id='CWE-502')\n"
        "C = reference(FW, 'x')\n"
    )
    found, dynamic = literal_references(tmp_path)
    assert [(fw, i) for _, _, fw, i in found] == [("MITRE ATLAS", "AML.T9999"), ("CWE", "CWE-502")]
    assert dynamic == 1
    assert check_reference("MITRE ATLAS", "AML.T9999") is not None


@pytest.mark.parametrize(
    ("where", "line", "framework", "ident"), SOURCE_REFERENCES, ids=lambda v: str(v) if isinstance(v, str) else ""
)
def test_source_reference_exists_in_its_catalogue(where: str, line: int, framework: str, ident: str) -> None:
    problem = check_reference(framework, ident)
    assert problem is None, f"nbsec/{where}:{line}: {problem}"
