"""Every `%aisec` subcommand in JupyterLab, then the notebook saved, the kernel shut down and the page reloaded.

What a user (or a reviewer who opens the notebook later) must see after the reload: no output saying
"Error displaying widget", and each interactive view replaced by its static twin showing the last state.
While the kernel is live, the twins stay hidden behind their live widgets. Screenshots of both states go to
tests/integration/artifacts/ (reopen-live.png, reopen-reloaded.png, reopen-twin-KIND.png); the saved notebook's
size is printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser import launch_chromium
from jupyter_lab import open_notebook, run_all_and_wait, running_lab, save, shut_down_kernel, write_notebook

pytestmark = pytest.mark.integration

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
STORE = "nbsec-demo/.nbsec/lineage.db"
CELLS = [
    "%load_ext nbsec",
    "%aisec scan nbsec-demo",
    "%aisec threatmodel nbsec-demo/threatmodel.nbsec.yaml",
    "%aisec compliance",
    "%aisec compliance --eu-ai-act-tier",
    f"%aisec lineage show --store {STORE}",
    f"%aisec lineage verify --store {STORE}",
    "from nbsec.adversarial.demo_models import load_demo_data, load_demo_model\n"
    "model = load_demo_model('nbsec-demo/models/digits_cnn.pt')\n"
    "data = load_demo_data('nbsec-demo/models/digits_data.pt')\n"
    "xy = (data['x_test'][:48], data['y_test'][:48])",
    "%aisec robustness model xy --attacks fgsm pgd --eps 0.05 0.1 --steps 5 --n 48",
    "%aisec report -o last-report.sarif",
    "%aisec fix nbsec-demo --rule NBSEC-NB-001",
    "%aisec help",
]
# The views that are widgets (each must leave a twin): threat model, compliance, EU tier, lineage explorer, fix.
WIDGET_VIEWS = ("threatmodel", "compliance", "eu-ai-act-tier", "lineage", "fix")

VISIBLE_TWINS = "[...document.querySelectorAll('.nbsec-twin')].filter(e => e.offsetParent !== null).length"
VISIBLE_LIVE = "[...document.querySelectorAll('.nbsec-live')].filter(e => e.offsetParent !== null).length"
TWIN_KINDS = "[...document.querySelectorAll('.nbsec-twin')].map(e => e.dataset.nbsecTwin)"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reopen-root")
    subprocess.run(
        [str(Path(sys.executable).with_name("nbsec")), "demo", str(root / "nbsec-demo"), "--no-scan"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    write_notebook(root / "every-view.ipynb", CELLS)
    return root


def test_every_view_survives_save_shutdown_and_reload(workspace: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with running_lab(workspace, tmp_path) as (url, token), sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page(viewport={"width": 1280, "height": 1400})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        open_notebook(page, url, token, "every-view.ipynb")
        run_all_and_wait(page)
        page.wait_for_function(f"{VISIBLE_LIVE} >= {len(WIDGET_VIEWS)}", timeout=60000)
        page.screenshot(path=str(ARTIFACTS / "reopen-live.png"), full_page=True)
        # No cell failed: no error output, nothing on stderr but the progress bar's own line.
        assert page.locator("[data-mime-type='application/vnd.jupyter.error']").count() == 0
        stderr = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        assert not [text for text in stderr if "error" in text.lower()], stderr
        assert (workspace / "last-report.sarif").is_file()
        kinds = page.evaluate(TWIN_KINDS)
        assert set(WIDGET_VIEWS) <= set(kinds), kinds
        assert page.evaluate(VISIBLE_TWINS) == 0, "a twin shows beside its live widget"

        save(page)
        shut_down_kernel(page)
        page.reload()
        open_notebook(page, url, token, "every-view.ipynb")
        # The widget manager has restored (from the new kernel: no models), so every widget output has settled.
        page.wait_for_function(
            "![...document.querySelectorAll('.jp-OutputArea-output')]"
            ".some(e => e.innerText.includes('Loading widget'))",
            timeout=60000,
        )
        page.wait_for_function(f"{VISIBLE_TWINS} >= {len(kinds)}", timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "reopen-reloaded.png"), full_page=True)
        reloaded = page.locator(".jp-Notebook").inner_text()
        assert "Error displaying widget" not in reloaded
        assert "VBox(" not in reloaded and "HBox(" not in reloaded
        assert page.evaluate(VISIBLE_LIVE) == 0
        assert sorted(page.evaluate(TWIN_KINDS)) == sorted(kinds)
        # Each twin shows the last state of its view, not an empty frame.
        for kind, must_show in (
            ("threatmodel", "Threat model"),
            ("compliance", "NIST"),
            ("eu-ai-act-tier", "EU AI Act"),
            ("lineage", "lineage"),
            ("fix", "weights_only=True"),
        ):
            twin = page.locator(f".nbsec-twin[data-nbsec-twin='{kind}']").first
            assert must_show.lower() in twin.inner_text().lower(), (kind, twin.inner_text()[:500])
            twin.screenshot(path=str(ARTIFACTS / f"reopen-twin-{kind}.png"))
        assert errors == []
        browser.close()

    saved = workspace / "every-view.ipynb"
    outputs = [o for c in json.loads(saved.read_text())["cells"] for o in c.get("outputs", [])]
    print(f"saved notebook: {saved.stat().st_size} bytes, {len(outputs)} outputs")
    shutil.copy(saved, ARTIFACTS / "every-view.ipynb")
