"""Demo lineage: a five-step pipeline recorded into `<root>/.nbsec/lineage.db`, then one file poisoned.

The files (CSV, a JSON "model", a Markdown report) are generated here,
deterministically, with no downloads and no torch. The pipeline's first step
claims its input came from a plain-HTTP URL (recorded, never fetched), and
after recording one row is appended to data/features.csv, as a poisoning
would. `nbsec lineage verify --store <root>/.nbsec/lineage.db` then reports the
changed file (NBSEC-LIN-001) and the HTTP source (NBSEC-LIN-006), and the
graph in notebooks/lineage_audit.ipynb paints the features node red.

The store is rebuilt on every run. It is not in the returned list: its events
hold times and ids, and the demo's returned files must be byte-for-byte
reproducible.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

SOURCE_URL = "http://data.example.com/exports/sensors.csv"
ROWS = 60
POISONED_ROW = "999,9.99,9.99,1\n"


def _value(seed: str) -> float:
    """A deterministic number in [0, 1) from a seed (no random module state involved)."""
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") / 2**32


def _raw_csv() -> str:
    lines = ["id,temperature,vibration,status"]
    for i in range(ROWS):
        temperature = round(20 + 15 * _value(f"t{i}"), 2)
        vibration = round(_value(f"v{i}"), 3) if i % 17 else ""  # a few gaps for the cleaning step
        lines.append(f"{i},{temperature},{vibration},{'fault' if _value(f's{i}') > 0.8 else 'ok'}")
    return "\n".join(lines) + "\n"


def _clean(raw: str) -> str:
    rows = [line for line in raw.splitlines() if ",," not in line]
    return "\n".join(rows) + "\n"


def _features(clean: str) -> str:
    out = ["id,temp_scaled,vibration,label"]
    for line in clean.splitlines()[1:]:
        ident, temperature, vibration, status = line.split(",")
        out.append(f"{ident},{(float(temperature) - 20) / 15:.4f},{vibration},{int(status == 'fault')}")
    return "\n".join(out) + "\n"


def _model(features: str) -> str:
    rows = [line.split(",") for line in features.splitlines()[1:]]
    positives = [r for r in rows if r[3] == "1"]
    weights = {"bias": round(len(positives) / max(1, len(rows)), 4), "temp_scaled": 0.42, "vibration": 1.3}
    return json.dumps({"format": "demo-logistic-regression", "weights": weights}, indent=2, sort_keys=True) + "\n"


def build(root: Path) -> list[Path]:
    """Write the demo data, record its lineage into root/.nbsec/lineage.db, then poison one file."""
    from nbsec.lineage.recording import batch, record
    from nbsec.lineage.store import Store

    data, models, reports = root / "data", root / "models", root / "evaluation"  # reports/ is the scan's
    for folder in (data, models, reports):
        folder.mkdir(parents=True, exist_ok=True)
    raw = _raw_csv()
    clean = _clean(raw)
    features = _features(clean)
    model = _model(features)
    report = f"# Demo model metrics\n\nrows: {len(features.splitlines()) - 1}\naccuracy: 0.87 (demo figure)\n"
    files = {
        data / "raw.csv": raw,
        data / "clean.csv": clean,
        data / "features.csv": features,
        models / "model.json": model,
        reports / "metrics.md": report,
    }
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")

    db = root / ".nbsec" / "lineage.db"
    for leftover in (db, db.with_name("lineage.db-wal"), db.with_name("lineage.db-shm")):
        leftover.unlink(missing_ok=True)
    from nbsec.lineage.artifacts import artifact

    store = Store(db)
    try:
        with batch(store):
            record("ingest", [SOURCE_URL], [data / "raw.csv"], {"source": "sensor export"}, store=store)
            record("prepare", [data / "raw.csv"], [data / "clean.csv"], {"drop_incomplete": True}, store=store)
            record("features", [data / "clean.csv"], [data / "features.csv"], {"scale": "min-max"}, store=store)
            model_out = artifact(models / "model.json", role="model")
            record("train", [data / "features.csv"], [model_out], {"lr": 0.1, "epochs": 20}, store=store)
            record("evaluate", [model_out, data / "features.csv"], [reports / "metrics.md"], {}, store=store)
    finally:
        store.close()
    # After the fact, someone appends a row to the training features: verify must notice.
    with (data / "features.csv").open("a", encoding="utf-8") as handle:
        handle.write(POISONED_ROW)
    return list(files)
