"""The lineage store and its hash chain: recording, tamper evidence, signatures, migrations, many writers."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from nbsec import lineage
from nbsec.errors import UsageError
from nbsec.lineage.events import GENESIS, canonical_bytes
from nbsec.lineage.store import MIGRATIONS, SCHEMA_VERSION, LineageStoreError, Store
from nbsec.lineage.verifier import verify_store
from nbsec.model import Report


def pipeline(root: Path) -> Path:
    """Three steps through the API: prepare (file -> file), featurize (file -> DataFrame), train (-> model)."""
    import pandas as pd

    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "train.csv").write_text("x,y\n1,0\n2,1\n3,0\n", encoding="utf-8")
    with lineage.step("prepare", inputs=["data/train.csv"], outputs=["data/clean.csv"], params={"drop": True}):
        (root / "data" / "clean.csv").write_text("x,y\n1,0\n2,1\n", encoding="utf-8")
    frame = pd.read_csv(root / "data" / "clean.csv")
    with lineage.step("featurize", inputs=["data/clean.csv"], outputs={"features": frame}):
        pass
    with lineage.step("train", inputs={"features": frame}, outputs=["models/model.pt"], params={"lr": 0.1}):
        (root / "models").mkdir(exist_ok=True)
        (root / "models" / "model.pt").write_bytes(b"weights")
    return root / ".nbsec" / "lineage.db"


def rules_of(report: Report) -> list[str]:
    return sorted(f.rule_id for f in report.findings)


def test_a_recorded_pipeline_verifies_clean_with_full_context(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    report = verify_store(store)
    assert report.findings == [] and report.errors == []
    assert {c.status for c in report.checks} == {"passed"}
    assert {c.target for c in report.checks} >= {"data/train.csv", "data/clean.csv", "models/model.pt"}
    with Store(store) as opened:
        bodies = [json.loads(row.body) for row in opened.rows()]
    assert [b["name"] for b in bodies] == ["prepare", "featurize", "train"]
    assert [b["seq"] for b in bodies] == [1, 2, 3] and bodies[0]["prev"] == GENESIS
    train = bodies[2]
    assert train["params"] == {"lr": 0.1} and train["status"] == "COMPLETE"
    assert {"user", "host", "python", "packages"} <= set(train["env"]) and "pandas" in train["env"]["packages"]
    assert train["outputs"][0]["role"] == "model" and len(train["outputs"][0]["sha256"]) == 64
    # The DataFrame written by featurize and read by train is the same artifact, linked by its content hash.
    assert bodies[1]["outputs"][0]["sha256"] == train["inputs"][0]["sha256"]


def test_each_tampering_is_a_finding_naming_the_event_or_artifact(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    (tmp_path / "data" / "train.csv").write_text("x,y\n1,0\n2,1\n3,1\n", encoding="utf-8")  # poisoned label
    with sqlite3.connect(store) as db:
        db.execute("UPDATE events SET body = replace(body, '\"lr\":0.1', '\"lr\":0.5') WHERE seq = 3")
    report = verify_store(store)
    changed = [f for f in report.findings if f.rule_id == "NBSEC-LIN-001"]
    assert [f.location.path for f in changed] == ["data/train.csv"]
    assert "event #1 (prepare)" in changed[0].evidence
    [edited] = [f for f in report.findings if f.rule_id == "NBSEC-LIN-002"]
    assert edited.location.element is not None and edited.location.element.startswith("event #3 (train)")
    assert edited.evidence.startswith("first broken link") and "edited" in edited.evidence


def test_deleted_events_in_the_middle_and_at_the_end_are_named(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM events WHERE seq = 2")
    [gap] = verify_store(store).findings
    assert (gap.rule_id, gap.location.element) == ("NBSEC-LIN-002", "event #2")
    assert "deleted" in gap.evidence
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM events WHERE seq = 3")
    [tail] = verify_store(store).findings  # the head in meta still says 3 events
    assert tail.location.element == "event #2..#3" and "at the end of the chain is missing" in tail.evidence


def test_reordered_and_relinked_events_break_the_chain(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    with sqlite3.connect(store) as db:  # swap the positions of events 1 and 2
        db.execute("UPDATE events SET seq = -1 WHERE seq = 1")
        db.execute("UPDATE events SET seq = 1 WHERE seq = 2")
        db.execute("UPDATE events SET seq = 2 WHERE seq = -1")
    findings = verify_store(store).findings
    assert rules_of(Report(findings=findings)).count("NBSEC-LIN-002") >= 2
    assert any("reordered" in f.evidence for f in findings)


def test_a_rewritten_event_with_a_fresh_hash_is_caught_at_the_next_link(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    with sqlite3.connect(store) as db:
        body = json.loads(db.execute("SELECT body FROM events WHERE seq = 1").fetchone()[0])
        body["params"] = {"drop": False}
        data = canonical_bytes(body)
        import hashlib

        db.execute(
            "UPDATE events SET body = ?, hash = ? WHERE seq = 1", (data.decode(), hashlib.sha256(data).hexdigest())
        )
    [finding] = verify_store(store).findings
    assert finding.location.element is not None and finding.location.element.startswith("event #2")
    assert "previous event was rewritten" in finding.evidence


def test_anchored_head_catches_a_consistently_rewritten_tail(tmp_path: Path) -> None:
    store = pipeline(tmp_path)
    with Store(store) as opened:
        _, head = opened.head()
    assert verify_store(store, expect_head=head).findings == []
    with sqlite3.connect(store) as db:  # remove the last event and fix up the head: only the anchor can tell
        db.execute("DELETE FROM events WHERE seq = 3")
        previous = db.execute("SELECT hash FROM events WHERE seq = 2").fetchone()[0]
        db.execute("UPDATE meta SET value = '2' WHERE key = 'head_seq'")
        db.execute("UPDATE meta SET value = ? WHERE key = 'head_hash'", (previous,))
    assert verify_store(store).findings == []
    assert rules_of(verify_store(store, expect_head=head)) == ["NBSEC-LIN-002"]


def test_signed_events_verify_and_unsigned_or_forged_ones_do_not(tmp_path: Path) -> None:
    from nbsec.integrity import generate_keypair

    private, public = generate_keypair(tmp_path / "k", tmp_path / "k.pub")
    other_private, other_public = generate_keypair(tmp_path / "o", tmp_path / "o.pub")
    (tmp_path / "a.csv").write_text("1\n", encoding="utf-8")
    lineage.record("signed", ["a.csv"], key=private)
    assert verify_store(public_key=public).findings == []
    assert rules_of(verify_store(public_key=other_public)) == ["NBSEC-LIN-003"]
    lineage.record("unsigned", ["a.csv"])
    lineage.record("other-key", ["a.csv"], key=other_private)
    flagged = sorted(str(f.location.element).split(",")[0] for f in verify_store(public_key=public).findings)
    assert flagged == ["event #2 (unsigned)", "event #3 (other-key)"]


def test_batch_is_one_transaction_and_nothing_is_written_when_it_raises(tmp_path: Path) -> None:
    with lineage.batch() as store:
        for i in range(50):
            lineage.record("shard", params={"i": i})
        assert store.count() == 0  # queued, not yet written
    assert store.count() == 50
    with pytest.raises(RuntimeError), lineage.batch():
        lineage.record("half", params={})
        raise RuntimeError("boom")
    assert store.count() == 50 and verify_store(store).findings == []


def test_a_failing_step_is_recorded_as_fail_and_the_error_goes_on(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError), lineage.step("broken", outputs=["never.csv"]):
        1 / 0  # noqa: B018
    [row] = Store(".nbsec/lineage.db").rows()
    body = json.loads(row.body)
    assert body["status"] == "FAIL" and body["error"] == "builtins.ZeroDivisionError"
    assert body["outputs"][0]["meta"] == {"missing": True}


def test_decorator_records_each_call_with_the_function_identity(tmp_path: Path) -> None:
    Path("in.txt").write_text("x", encoding="utf-8")

    @lineage.step("double", inputs=["in.txt"], outputs=["out.txt"])
    def double() -> int:
        Path("out.txt").write_text(Path("in.txt").read_text() * 2, encoding="utf-8")
        return 2

    assert double() == 2 and double() == 2
    bodies = [json.loads(r.body) for r in Store(".nbsec/lineage.db").rows()]
    assert len(bodies) == 2
    assert bodies[0]["code"]["function"].endswith("double") and len(bodies[0]["code"]["function_sha256"]) == 64


def test_missing_input_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nope.csv"), lineage.step("x", inputs=["nope.csv"]):
        pass


def test_store_migrates_an_old_schema_and_refuses_a_newer_one(tmp_path: Path) -> None:
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as db:  # a store at schema version 1 (before the name index)
        for statement in MIGRATIONS[0]:
            db.execute(statement)
        db.executemany("INSERT INTO meta VALUES (?, ?)", [("head_seq", "0"), ("head_hash", GENESIS)])
        db.execute("PRAGMA user_version = 1")
    with Store(old) as store:
        assert store.schema_version() == SCHEMA_VERSION and store.journal_mode == "wal"
        indexes = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "events_by_name" in indexes
    with sqlite3.connect(old) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LineageStoreError, match="newer nbsec"):
        Store(old)
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(LineageStoreError, match="not a lineage store"):
        Store(tmp_path / "junk.db")
    with pytest.raises(LineageStoreError, match="no lineage store"):
        verify_store(tmp_path / "absent.db")


def _writer(store: str, worker: int, count: int) -> None:
    from nbsec.lineage.store import Store as WorkerStore

    opened = WorkerStore(store)
    for i in range(count):
        opened.append({"type": "step", "name": f"w{worker}", "params": {"i": i}})
    opened.close()


def test_four_processes_writing_500_events_each_keep_one_valid_chain(tmp_path: Path) -> None:
    store = tmp_path / ".nbsec" / "lineage.db"
    Store(store).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(store), w, 500)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with Store(store) as opened:
        assert opened.count() == 2000
        assert opened.head()[0] == 2000
        names = [row.name for row in opened.rows()]
    assert {name: names.count(name) for name in set(names)} == {f"w{w}": 500 for w in range(4)}
    report = verify_store(store)
    assert report.findings == [] and report.metrics[0].value == 2000
