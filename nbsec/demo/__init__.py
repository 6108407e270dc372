"""The demo workspace: a small ML project with the mistakes nbsec exists to catch.

Everything is written from this module (no downloads). Credentials in it are
obviously fake: they are assembled from parts here so that this source file is
not itself a leak, and the notebook carries them whole, as a real leak would.
Feature modules in this package (`models`, `threatmodel`, `lineage`, ...) each add
their assets through a `build(root)` function.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import zipfile
from pathlib import Path
from typing import Any


def _fake(seed: str, alphabet: str, length: int) -> str:
    """Deterministic random-looking characters: shaped like a real credential, valid nowhere.

    Placeholders such as "EXAMPLE" or "xxxx" are (rightly) ignored by the secret rules, so a
    demo that should show a leak needs values that look real; these come from a hash of the seed.
    """
    digest = hashlib.sha512(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


_BASE62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
FAKE_OPENAI_KEY = "sk-" + "proj-" + _fake("nbsec-demo-openai", _BASE62, 48)
FAKE_AWS_KEY_ID = "AKIA" + _fake("nbsec-demo-aws", "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
FAKE_DB_URL = "postgresql://admin:" + _fake("nbsec-demo-db", _BASE62, 14) + "@db.internal.example:5432/prod"


def _code(
    source: str, count: int | None, outputs: list[dict[str, Any]] | None = None, metadata: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": f"code-{count or 0:02d}",
        "metadata": metadata or {},
        "outputs": outputs or [],
        "source": source,
    }


def _markdown(source: str, ident: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": ident, "metadata": {}, "source": source}


def demo_notebook() -> dict[str, Any]:
    """An nbformat 4.5 notebook: a fine-tuning experiment with planted problems."""
    cells = [
        _markdown("# Fine-tuning experiment\n\nA typical research notebook, with typical mistakes.", "intro"),
        _code(
            "import pickle\nimport yaml\nimport torch\nfrom transformers import AutoModelForCausalLM",
            1,
        ),
        _code(
            f'OPENAI_API_KEY = "{FAKE_OPENAI_KEY}"\n'
            f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY_ID}"\n'
            f'DATABASE_URL = "{FAKE_DB_URL}"',
            2,
        ),
        _markdown("## Load the checkpoint and features", "load"),
        _code(
            'base = torch.load("checkpoints/base.pt")\nft = torch.load("checkpoints/finetuned.pt", weights_only=False)',
            3,
        ),
        _code('with open("features.pkl", "rb") as f:\n    features = pickle.load(f)', 4),
        _code('config = yaml.load(open("config.yaml"), Loader=yaml.Loader)', 5),
        _code(
            'llm = AutoModelForCausalLM.from_pretrained("example-org/chat-model", trust_remote_code=True)',
            6,
        ),
        _markdown("## Let the model write the feature transform", "llm"),
        _code("answer = llm.generate_text(prompt)\nfeatures = eval(answer)", 7),
        _markdown("## The safe way, for comparison", "safe"),
        _code(
            '%time weights = torch.load("checkpoints/base.pt", weights_only=True)\n'
            'settings = yaml.safe_load(open("config.yaml"))\n'
            "!pip list | grep torch",
            8,
        ),
        _code(
            'legacy = pickle.load(open("legacy.pkl", "rb"))'
            "  # nbsec: ignore[NBSEC-NB-002] produced by our own pipeline",
            9,
        ),
        _code(
            "customers = pd.read_sql('select * from customers', engine)\ncustomers.head(3)",
            11,
            outputs=[
                {
                    "output_type": "execute_result",
                    "execution_count": 11,
                    "metadata": {},
                    "data": {"text/html": CUSTOMERS_HTML, "text/plain": "<DataFrame: 3 rows x 4 columns>"},
                }
            ],
        ),
        _code(
            "import sqlalchemy\nengine = sqlalchemy.create_engine(DATABASE_URL)\nengine.connect()",
            10,
            outputs=[
                {
                    "output_type": "error",
                    "ename": "OperationalError",
                    "evalue": f"could not connect to server: {FAKE_DB_URL}",
                    "traceback": [f"OperationalError: could not connect to server: {FAKE_DB_URL}"],
                }
            ],
        ),
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# Made-up people: a DataFrame printed in a notebook the way pandas renders it.
_PEOPLE = [
    ("Ada Brightwater", "ada.brightwater@fjordmail.io", "+44 20 7946 0958", 1240.50),
    ("Tomas Quill", "t.quill@northwind-post.net", "+1 415 555 0142", 310.00),
    ("Mina Okafor", "mina.okafor@kestrel-mail.org", "+49 30 901820 77", 88.25),
]
CUSTOMERS_HTML = (
    '<table border="1" class="dataframe">\n<thead><tr style="text-align: right;"><th></th><th>name</th>'
    "<th>email</th><th>phone</th><th>lifetime_value</th></tr></thead>\n<tbody>\n"
    + "".join(
        f"<tr><th>{i}</th><td>{name}</td><td>{email}</td><td>{phone}</td><td>{value:.2f}</td></tr>\n"
        for i, (name, email, phone, value) in enumerate(_PEOPLE)
    )
    + "</tbody>\n</table>"
)

TRAIN_PY = '''"""Training helpers used by the demo notebook."""
import joblib
import numpy as np


def load_features(path):
    return np.load(path, allow_pickle=True)


def load_model(path):
    return joblib.load(path)


def safe_features(path):
    return np.load(path)
'''

README = """# nbsec demo workspace

Built by `nbsec demo`. Scan it with:

    nbsec scan . --format html -o report.html

Every credential in here is fake. `checkpoints/finetuned.pt` is shaped like a
malicious checkpoint: loading it with torch.load(weights_only=False) would call
print(); nbsec finds that without loading it.
"""


DEMO_PAYLOAD_TEXT = "nbsec demo: this checkpoint just ran code on load"


def _unicode(text: str) -> bytes:
    data = text.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(data)]) + data


def _state_dict_pickle(payload: bool) -> bytes:
    """A torch-style state dict pickle, written opcode by opcode (no torch needed, nothing loaded).

    With `payload`, the dict also holds the result of builtins.print(...): harmless if someone
    does load it, and exactly the shape of a real attack (a REDUCE on a callable global).
    """
    body = (
        _unicode("collections") + _unicode("OrderedDict") + pickle.STACK_GLOBAL + pickle.EMPTY_TUPLE
        + pickle.REDUCE + pickle.MARK
        + _unicode("fc.bias") + pickle.BINFLOAT + struct.pack(">d", 0.5)
        + _unicode("fc.scale") + pickle.BINFLOAT + struct.pack(">d", 1.0)
    )  # fmt: skip
    if payload:
        body += (
            _unicode("_metadata") + _unicode("builtins") + _unicode("print") + pickle.STACK_GLOBAL
            + _unicode(DEMO_PAYLOAD_TEXT) + pickle.TUPLE1 + pickle.REDUCE
        )  # fmt: skip
    return pickle.PROTO + b"\x02" + body + pickle.SETITEMS + pickle.STOP


_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def demo_checkpoint(payload: bool) -> bytes:
    """A PyTorch-zip-shaped checkpoint (archive/data.pkl + archive/version)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # A fixed member time: the demo is byte-identical however long the other demo builds take.
        archive.writestr(zipfile.ZipInfo("archive/data.pkl", date_time=_ZIP_TIME), _state_dict_pickle(payload))
        archive.writestr(zipfile.ZipInfo("archive/version", date_time=_ZIP_TIME), "3\n")
    return buffer.getvalue()


def build_demo(directory: str | Path) -> list[Path]:
    """Write the demo workspace into `directory` (created if needed); return the files written."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    files: dict[Path, str | bytes] = {
        root / "demo.ipynb": json.dumps(demo_notebook(), indent=1) + "\n",
        root / "train.py": TRAIN_PY,
        root / "README.md": README,
        root / "checkpoints" / "base.pt": demo_checkpoint(payload=False),
        root / "checkpoints" / "finetuned.pt": demo_checkpoint(payload=True),
    }
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return list(files) + _build_feature_assets(root)


def _build_feature_assets(root: Path) -> list[Path]:
    """Each module in this package with a `build(root) -> list[Path]` adds its assets.

    A feature whose optional dependency is missing (torch for the demo models) says so on
    stderr from its `build` and returns nothing; the rest of the demo is still written.
    """
    import importlib
    import pkgutil

    written: list[Path] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        build = getattr(module, "build", None)
        if callable(build):
            written.extend(build(root))
    return written
