"""`%aisec compliance` in a real IPython shell: widget over the last report, rendered tables, the tier widget."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

HIGH_CODE = "import pickle\n\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)\n"


@pytest.fixture
def scanned(ip: InteractiveShell, tmp_path: Path) -> InteractiveShell:
    (tmp_path / "load.py").write_text(HIGH_CODE, encoding="utf-8")
    ip.run_line_magic("aisec", f'scan "{tmp_path}"')
    return ip


def aisec(ip: InteractiveShell, line: str) -> Any:
    return ip.run_line_magic("aisec", line)


def test_without_a_report_it_says_what_to_do(ip: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(ip, "compliance") is None
    assert "run %aisec scan PATH first" in capsys.readouterr().out


def test_widget_over_the_last_report(scanned: InteractiveShell) -> None:
    from nbsec.widgets.compliance import ComplianceWidget

    widget = aisec(scanned, "compliance --framework owasp-ml")
    assert isinstance(widget, ComplianceWidget)
    row = widget.result.row("ML06:2023")
    assert row is not None and row.status == "findings"  # NBSEC-NB-002 cites ML06:2023
    assert "NBSEC-NB-002" in widget.table.value
    widget.status.value = "untested"
    assert "ML06:2023" not in widget.table.value and "ML01:2023" in widget.table.value
    widget.framework.value = "atlas"
    assert widget.result.framework == "MITRE ATLAS" and "AML.T0011.000" not in widget.table.value  # still untested only
    widget.status.value = "findings"
    assert "AML.T0011.000" in widget.table.value and "AML.T0000" not in widget.table.value
    assert scanned.user_ns["_aisec_compliance"].framework == "OWASP ML Top 10"


def test_rendered_and_written_tables(scanned: InteractiveShell, tmp_path: Path) -> None:
    from IPython.display import HTML, Markdown

    shown = aisec(scanned, "compliance --framework eu-ai-act --format md")
    assert isinstance(shown, Markdown) and "| Art. 15 |" in shown.data
    page = aisec(scanned, "compliance --framework iso42001 -f html")
    assert isinstance(page, HTML) and "A.10.3" in page.data
    out = tmp_path / "out" / "nist.json"
    out.parent.mkdir()
    assert aisec(scanned, f'compliance --framework nist-ai-rmf -o "{out}"') is None
    assert '"nist-ai-rmf"' in out.read_text()


def test_bad_framework_prints_usage(scanned: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert aisec(scanned, "compliance --framework soc2") is None
    assert "invalid choice" in capsys.readouterr().err


def test_eu_ai_act_tier_widget_and_answers_file(ip: InteractiveShell, tmp_path: Path) -> None:
    from IPython.display import Markdown

    from nbsec.compliance import questionnaire
    from nbsec.widgets.compliance import TierQuestionnaire

    widget = aisec(ip, "compliance --eu-ai-act-tier")
    assert isinstance(widget, TierQuestionnaire) and widget.result.tier == "minimal"
    assert widget.boxes["a6_profiling"].layout.display == "none"
    widget.controls["a3_employment"].value = "yes"
    assert widget.boxes["a6_profiling"].layout.display == ""  # asked now
    assert widget.result.tier == "high-risk" and "High-risk AI system" in widget.output.value
    widget.controls["a6_derogation"].value = "yes"
    assert widget.result.tier == "minimal"
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f"{k}: {v}\n" for k, v in widget.answers.items()))
    shown = aisec(ip, f'compliance --eu-ai-act-tier --answers "{answers}"')
    assert isinstance(shown, Markdown) and "Minimal risk" in shown.data
    assert ip.user_ns["_aisec_compliance"] == questionnaire.assess(widget.answers)
