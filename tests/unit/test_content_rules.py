"""The content rules' samples (NBSEC-NB-010/011, NBSEC-PRIV-001) fire, and their clean twins do not."""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

import nbsec
from nbsec.model import Rule
from nbsec.rule_catalogue import all_rules
from nbsec.scanners import registry


def _notebook(path: Path, cells: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def _output_cell(data: dict[str, object]) -> dict[str, object]:
    output = {"output_type": "execute_result", "execution_count": 1, "metadata": {}, "data": data}
    return {"cell_type": "code", "execution_count": 1, "id": "o", "metadata": {}, "outputs": [output], "source": "x"}


def output_with_aws_key(directory: Path) -> Path:
    rng = random.Random(7)
    key = "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))
    return _notebook(directory / "aws.ipynb", [_output_cell({"text/plain": f"{{'aws_access_key_id': '{key}'}}"})])


def output_with_uuid(directory: Path) -> Path:
    run = uuid.UUID(int=random.Random(7).getrandbits(128))
    return _notebook(directory / "uuid.ipynb", [_output_cell({"text/plain": f"{{'run_id': '{run}'}}"})])


def _frame(columns: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{c}</th>" for c in columns)
    body = "".join(f"<tr><th>{i}</th>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for i, row in enumerate(rows))
    return f'<table class="dataframe"><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>'


def dataframe_with_emails(directory: Path) -> Path:
    html = _frame(["name", "email"], [["Ada Brightwater", "ada.brightwater@fjordmail.io"]])
    return _notebook(directory / "people.ipynb", [_output_cell({"text/html": html})])


def dataframe_with_metrics(directory: Path) -> Path:
    html = _frame(["epoch", "loss", "run"], [["1", "0.4312", "r-2024-01-31"], ["2", "0.3011", "r-2024-02-01"]])
    return _notebook(directory / "metrics.ipynb", [_output_cell({"text/html": html})])


def _source(sample: str) -> Callable[[Path], Path]:
    def build(directory: Path) -> Path:
        path = directory / "sample.py"
        path.write_text(sample)
        return path

    return build


BUILDERS = {
    "output-with-aws-key": output_with_aws_key,
    "output-with-uuid": output_with_uuid,
    "dataframe-with-emails": dataframe_with_emails,
    "dataframe-with-metrics": dataframe_with_metrics,
}
registry()
CONTENT = [r for r in all_rules() if r.scanner == "notebook-content"]


@pytest.mark.parametrize("rule", CONTENT, ids=lambda r: r.id)
def test_content_rule_samples(rule: Rule, tmp_path: Path) -> None:
    trigger = BUILDERS.get(rule.sample_trigger) or _source(rule.sample_trigger)
    clean = BUILDERS.get(rule.sample_clean) or _source(rule.sample_clean)
    (tmp_path / "t").mkdir()
    (tmp_path / "c").mkdir()
    assert rule.id in {f.rule_id for f in nbsec.scan(trigger(tmp_path / "t")).findings}
    assert rule.id not in {f.rule_id for f in nbsec.scan(clean(tmp_path / "c")).findings}
