"""After `nbsec fix --apply`, the demo notebook still runs: every cell that ran before still runs (nbclient).

The demo notebook needs data and packages a test machine lacks (transformers, features.pkl, a database), so
some cells fail before any fix; what matters is that no cell that ran fails after. A stand-in `transformers`
module and a config file let more cells run. The malicious demo checkpoint is replaced by the benign one
first, so running the original notebook (torch.load(weights_only=False)) executes no payload; the test checks
the payload's text never appears. The credentials the fix moved to the environment are set for the kernel,
as the fix's note tells the user to.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli import invoke

from nbsec.demo import DEMO_PAYLOAD_TEXT, build_demo

pytestmark = pytest.mark.integration

STUB = """class AutoModelForCausalLM:
    @classmethod
    def from_pretrained(cls, name, trust_remote_code=False):
        return cls()
"""


def _errors(path: Path) -> list[str | None]:
    """Run the notebook; per code cell, the name of the error it raised (None: it ran)."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=180, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    text = nbformat.writes(nb)
    assert DEMO_PAYLOAD_TEXT not in text, "a checkpoint ran code on load"
    return [
        next((str(o.get("ename")) for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)
        for cell in nb.cells
        if cell.cell_type == "code"
    ]


def test_every_cell_that_ran_before_the_fix_still_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    demo = tmp_path / "demo"
    build_demo(demo)
    shutil.copyfile(demo / "checkpoints" / "base.pt", demo / "checkpoints" / "finetuned.pt")  # no payload to run
    # What the notebook imports and reads, so more of its cells run: a stand-in for transformers, a config file.
    (demo / "transformers.py").write_text(STUB, encoding="utf-8")
    (demo / "config.yaml").write_text("learning_rate: 0.001\n", encoding="utf-8")
    for name in ("OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "DATABASE_PASSWORD"):
        monkeypatch.setenv(name, "placeholder-for-the-test")
    work = tmp_path / "before"
    shutil.copytree(demo, work)
    before = _errors(work / "demo.ipynb")
    assert before.count(None) >= 4, f"too few cells run for this test to mean anything: {before}"
    result = invoke("fix", "demo", "--apply", "-q")
    assert "applied" in result.stdout
    after = _errors(demo / "demo.ipynb")
    assert len(after) == len(before)
    broken = [i + 1 for i, (b, a) in enumerate(zip(before, after, strict=True)) if b is None and a is not None]
    assert broken == [], f"code cells {broken} ran before the fix and fail after: {after}"
    assert "SyntaxError" not in after
