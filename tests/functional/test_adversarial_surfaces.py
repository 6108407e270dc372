"""The adversarial runners through their surfaces: `nbsec demo` writes the models, `%aisec robustness`
runs in a real IPython shell, the HTML and Markdown reporters draw the figures."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch
from cli import invoke
from IPython.core.interactiveshell import InteractiveShell

from nbsec.model import Report

torch.set_num_threads(1)
DEMO_FILES = ("digits_cnn.pt", "digits_cnn_backdoor.pt", "digits_cnn_overfit.pt", "digits_data.pt")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("adv") / "demo"
    result = invoke("demo", root, "--no-scan")
    assert result.exit_code == 0, result.output
    return root


def test_demo_writes_loadable_models_and_data(workspace: Path) -> None:
    from nbsec.adversarial import load_demo_model
    from nbsec.adversarial.demo_models import load_demo_data

    models = workspace / "models"
    assert {p.name for p in models.iterdir()} >= set(DEMO_FILES)
    data = load_demo_data(models / "digits_data.pt")
    model = load_demo_model(models / "digits_cnn.pt")
    with torch.no_grad():
        accuracy = float((model(data["x_test"]).argmax(1) == data["y_test"]).float().mean())
    assert accuracy > 0.95
    assert 0.03 < len(data["poisoned_indices"]) / len(data["y_train"]) < 0.07
    assert bool((data["y_train_poisoned"][data["poisoned_indices"]] == int(data["backdoor_target"])).all())


def test_demo_scan_does_not_flag_the_demo_models(workspace: Path) -> None:
    import nbsec

    report = nbsec.scan([workspace / "models" / name for name in DEMO_FILES])
    assert report.findings == [] and report.errors == []
    assert len([t for t in report.targets if t.status == "scanned"]) == len(DEMO_FILES)


def test_robustness_magic_returns_and_shows_the_report(
    ip: InteractiveShell, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import plotly.graph_objects as go
    from IPython.utils.capture import capture_output

    from nbsec.adversarial import load_demo_model
    from nbsec.adversarial.demo_models import load_demo_data

    shown: list[str] = []
    monkeypatch.setattr(go.Figure, "show", lambda fig, *a, **k: shown.append(fig.layout.title.text))
    data = load_demo_data(workspace / "models" / "digits_data.pt")
    ip.user_ns["model"] = load_demo_model(workspace / "models" / "digits_cnn.pt")
    ip.user_ns["xy"] = (data["x_test"], data["y_test"])
    line = "%aisec robustness model xy --eps 0.05 0.2 --attacks pgd square --n 40 --steps 5 --queries 30 --no-progress"
    with capture_output() as captured:
        result = ip.run_cell(f"r = {line}")
    assert result.success, result.error_in_exec
    report = ip.user_ns["r"]
    assert isinstance(report, Report) and ip.user_ns["_aisec_report"] is report
    attacks = {m.labels["attack"] for m in report.metrics if m.name == "robust_accuracy"}
    assert attacks == {"pgd", "square", "worst"}
    assert report.targets[0].path == "model"
    assert shown == [] and captured.outputs == []  # nothing heavy by default: the Report draws its figures
    html = report._repr_mimebundle_()["text/html"]
    assert html.count("<svg") == 2 and html.count('<img src="data:image/png;base64,') >= 3  # curve, bars, examples
    assert "<script" not in html and "plotly" not in html
    with capture_output():
        ip.run_cell(f"p = {line} --plotly")
    assert shown == [f.title for f in ip.user_ns["p"].figures] and len(shown) == 3  # curve, per-class, examples


def test_robustness_magic_loads_a_saved_model_with_its_class_and_refuses_what_is_unsafe(
    ip: InteractiveShell, workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    state = workspace / "models" / "digits_cnn.pt"
    options = "--eps 0.1 --attacks fgsm --n 20 --no-progress --no-plots"
    arch = "--arch nbsec.adversarial.demo_models:DigitsCNN"
    assert ip.run_line_magic("aisec", f"robustness {state} digits {options}") is None
    err = capsys.readouterr().err
    assert (
        f"error: {state} is a state dict; give its class: --arch module:Class (the demo's models: --arch "
        "nbsec.adversarial.demo_models:DigitsCNN for digits_cnn.pt, digits_cnn_backdoor.pt, digits_cnn_overfit.pt)"
    ) in err
    assert "hint: " in err and 'load_demo_model("nbsec-demo/models/digits_cnn.pt")' in err
    report = ip.run_line_magic("aisec", f"robustness {state} digits {arch} {options}")
    assert isinstance(report, Report) and report.targets[0].path == str(state)
    assert report.metrics[1].name == "clean_accuracy" and report.metrics[1].value > 0.9  # the digits test split

    class Payload:
        def __reduce__(self) -> tuple[object, ...]:
            return (os.system, (f"touch {tmp_path / 'PWNED'}",))

    evil = tmp_path / "evil.pt"
    torch.save({"w": torch.zeros(1), "p": Payload()}, evil)
    whole = tmp_path / "whole.pt"
    torch.save(torch.nn.Linear(64, 10), whole)
    assert ip.run_line_magic("aisec", f"robustness {evil} digits {arch}") is None
    assert "code execution on load" in capsys.readouterr().err and not (tmp_path / "PWNED").exists()
    assert ip.run_line_magic("aisec", f"robustness {whole} digits {options}") is None
    err = capsys.readouterr().err
    assert "weights_only=False" in err and "torch.save(model.state_dict()" in err


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("robustness nosuch xy", "'nosuch' is not a variable in this notebook, nor a model file"),
        ("robustness model nodata", "DATA 'nodata' is not a variable"),
        ("robustness model xy --eps 0.1 --bounds 0 0.5 --no-plots --no-progress", "outside the declared bounds"),
    ],
)
def test_robustness_magic_errors_are_explained(
    ip: InteractiveShell, workspace: Path, capsys: pytest.CaptureFixture[str], line: str, message: str
) -> None:
    from nbsec.adversarial import load_demo_model
    from nbsec.adversarial.demo_models import load_demo_data

    data = load_demo_data(workspace / "models" / "digits_data.pt")
    ip.user_ns["model"] = load_demo_model(workspace / "models" / "digits_cnn.pt")
    ip.user_ns["xy"] = (data["x_test"][:10], data["y_test"][:10])
    assert ip.run_line_magic("aisec", line) is None
    err = capsys.readouterr().err
    assert message in err and "hint:" in err


def _report_with_figures(workspace: Path) -> Report:
    from nbsec.adversarial import evaluate, load_demo_model
    from nbsec.adversarial.demo_models import load_demo_data

    data = load_demo_data(workspace / "models" / "digits_data.pt")
    model = load_demo_model(workspace / "models" / "digits_cnn.pt")
    report: Report = evaluate(model, data["x_test"][:30], data["y_test"][:30], epsilons=(0.1, 0.2), steps=5,
                              queries=20, progress=False, name="<script>alert(1)</script>.pt")  # fmt: skip
    return report


def test_html_report_draws_figures_inline(workspace: Path) -> None:
    from nbsec import reporters
    from nbsec.reporters.html import CSP

    report = _report_with_figures(workspace)
    page = reporters.render(report, "html")
    figures = page[page.index('<section id="figures">') :]
    assert figures.count("<svg") == 2  # the curve and the bars; the examples are images
    assert "<polyline" in figures and "<rect" in figures
    images = re.findall(r'<img src="([^"]+)"', figures)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)
    assert "img-src data:" in CSP and "http" not in figures.split("xmlns=")[0]
    assert "<script>alert(1)</script>" not in page


@pytest.mark.invalid_reports  # a hostile report the schema refuses: the HTML reporter must be safe anyway
def test_html_report_refuses_remote_images(workspace: Path) -> None:
    from nbsec import reporters
    from nbsec.model import Figure

    src = 'https://evil.example/x.png" onerror="x'
    hostile = Report(figures=[Figure("g", "G", "image-grid", {"rows": [{"images": [{"src": src}]}]})])
    page = reporters.render(hostile, "html")
    assert "evil.example" not in page and "(image left out)" in page


def test_markdown_lists_figures_as_tables(workspace: Path) -> None:
    from nbsec import reporters

    text: Any = reporters.render(_report_with_figures(workspace), "md")
    assert "## Robust accuracy vs epsilon (linf)" in text
    [header] = [row for row in text.splitlines() if row.startswith("| epsilon (linf) |")]
    columns = [name for cell in header.strip("|").split("|")[1:] for name in cell.strip().split(" = ")]
    assert sorted(columns) == sorted(["pgd", "apgd-ce", "apgd-t", "square", "worst"])  # attacks that agree share one
    assert "row(s) of images" in text
