"""Every NBSEC-LIN rule: its catalogue entry, and the store its sample describes triggers it (the clean one not)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from nbsec import lineage
from nbsec.lineage import rules
from nbsec.lineage.verifier import verify_store
from nbsec.model import Report
from nbsec.rule_catalogue import get_rule

STORE = Path(".nbsec") / "lineage.db"


def _train_csv() -> Path:
    Path("data").mkdir(exist_ok=True)
    path = Path("data/train.csv")
    path.write_text("x,y\n1,0\n", encoding="utf-8")
    return path


def changed(trigger: bool) -> Report:
    lineage.record("prepare", [_train_csv()])
    if trigger:
        Path("data/train.csv").write_text("x,y\n1,1\n", encoding="utf-8")
    return verify_store()


def edited(trigger: bool) -> Report:
    lineage.record("prepare", [_train_csv()], params={"k": 1})
    lineage.record("train", ["data/train.csv"])
    if trigger:
        with sqlite3.connect(STORE) as db:
            db.execute("UPDATE events SET body = replace(body, '\"k\":1', '\"k\":2') WHERE seq = 1")
    return verify_store()


def unsigned(trigger: bool) -> Report:
    from nbsec.integrity import generate_keypair

    private, public = generate_keypair("k", "k.pub")
    lineage.record("prepare", [_train_csv()], key=None if trigger else private)
    return verify_store(public_key=public)


def missing(trigger: bool) -> Report:
    Path("data").mkdir(exist_ok=True)
    Path("data/features.csv").write_text("f\n1\n", encoding="utf-8")
    lineage.record("features", outputs=["data/features.csv"])
    if trigger:
        Path("data/features.csv").unlink()
    return verify_store()


def model_without_data(trigger: bool) -> Report:
    Path("model.pt").write_bytes(b"w")
    lineage.record("train", [] if trigger else [_train_csv()], ["model.pt"])
    return verify_store()


def http_input(trigger: bool) -> Report:
    lineage.record("download", ["http://example.com/train.csv" if trigger else "https://example.com/train.csv"])
    return verify_store()


def outside_input(trigger: bool, outside: Path) -> Report:
    source = outside if trigger else _train_csv()
    lineage.record("prepare", [source])
    return verify_store()


def weak_hash(trigger: bool) -> Report:
    if trigger:
        Path("dvc.lock").write_text(
            "stages:\n  s:\n    cmd: x\n    outs:\n    - path: o.bin\n      md5: 0123456789abcdef0123456789abcdef\n",
            encoding="utf-8",
        )
        lineage.import_dvc_lock("dvc.lock")
    else:
        Path("o.bin").write_bytes(b"o")
        lineage.record("s", outputs=["o.bin"])
    return verify_store()


SAMPLES: dict[str, Callable[..., Report]] = {
    rules.ARTIFACT_CHANGED.id: changed,
    rules.CHAIN_BROKEN.id: edited,
    rules.SIGNATURE_INVALID.id: unsigned,
    rules.ARTIFACT_MISSING.id: missing,
    rules.MODEL_WITHOUT_DATA.id: model_without_data,
    rules.PLAIN_HTTP_INPUT.id: http_input,
    rules.OUTSIDE_PROJECT_INPUT.id: outside_input,
    rules.WEAK_HASH.id: weak_hash,
}


def test_every_lineage_rule_is_registered_complete_and_has_a_sample() -> None:
    assert set(SAMPLES) == {r.id for r in rules.RULES}
    for rule in rules.RULES:
        assert get_rule(rule.id) is rule and rule.scanner == "lineage" and rule.category == "lineage"
        assert rule.title and rule.description and rule.remediation and rule.sample_trigger and rule.sample_clean
        frameworks = {r.framework for r in rule.references}
        assert frameworks & {"ISO/IEC 42001", "EU AI Act"}, rule.id


def test_the_issue_s_framework_references_are_all_used() -> None:
    used = {(r.framework, r.id) for rule in rules.RULES for r in rule.references}
    assert {
        ("ISO/IEC 42001", "A.7.5"),
        ("ISO/IEC 42001", "A.6.2.8"),
        ("NIST AI RMF", "MAP 4.1"),
        ("NIST AI RMF", "MEASURE 2.7"),
        ("EU AI Act", "Art. 10"),
        ("EU AI Act", "Art. 12"),
        ("MITRE ATLAS", "AML.M0025"),
        ("MITRE ATLAS", "AML.T0020"),
    } <= used


@pytest.mark.parametrize("rule_id", sorted(SAMPLES))
@pytest.mark.parametrize("trigger", [True, False], ids=["trigger", "clean"])
def test_rule_samples(rule_id: str, trigger: bool, tmp_path_factory: pytest.TempPathFactory) -> None:
    build = SAMPLES[rule_id]
    if build is outside_input:
        outside = tmp_path_factory.mktemp("elsewhere") / "outside.csv"
        outside.write_text("x\n", encoding="utf-8")
        report = build(trigger, outside)
    else:
        report = build(trigger)
    fired = {f.rule_id for f in report.findings}
    assert (rule_id in fired) is trigger
    if not trigger:
        assert report.findings == [], [f.rule_id for f in report.findings]
