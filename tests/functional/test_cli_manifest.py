"""`nbsec manifest create|verify|sign|keygen`: output, exit codes 0/1/2, formats, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cli import invoke


@pytest.fixture
def model(tmp_path: Path) -> Path:
    root = tmp_path / "model"
    (root / "sub").mkdir(parents=True)
    (root / "weights.bin").write_bytes(os.urandom(4096))
    (root / "sub" / "config.json").write_text('{"a": 1}\n', encoding="utf-8")
    return root


@pytest.fixture
def manifest(model: Path, tmp_path: Path) -> Path:
    path = tmp_path / "model.manifest.json"
    result = invoke("manifest", "create", model, "-o", path)
    assert result.exit_code == 0, result.output
    return path


def test_create_prints_count_and_merkle_root(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    result = invoke("manifest", "create", model, "-o", out)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert "2 files" in result.stdout
    assert f"merkle root: {data['merkle_root']}" in result.stdout


def test_create_default_output_in_the_folder_is_not_listed(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(model)
    assert invoke("manifest", "create", ".").exit_code == 0
    data = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert [f["path"] for f in data["files"]] == ["sub/config.json", "weights.bin"]
    assert data["root"] == "model"
    assert invoke("manifest", "verify", ".").exit_code == 0


def test_verify_intact_exits_0(model: Path, manifest: Path) -> None:
    result = invoke("manifest", "verify", model, "-m", manifest)
    assert result.exit_code == 0, result.output
    assert "0 findings" in result.stdout


def test_verify_changed_file_exits_1_and_names_it(model: Path, manifest: Path) -> None:
    (model / "sub" / "config.json").write_text('{"a": 2}\n', encoding="utf-8")
    result = invoke("manifest", "verify", "model", "-m", manifest.name)  # the working dir is tmp_path
    assert result.exit_code == 1, result.output
    assert "NBSEC-ART-020" in result.stdout
    assert os.path.join("model", "sub", "config.json") in result.stdout
    assert "weights.bin" not in result.stdout


def test_verify_json_validates_against_the_schema(
    model: Path, manifest: Path, tmp_path: Path, report_schema: dict[str, Any]
) -> None:
    (model / "weights.bin").unlink()
    (model / "extra.pkl").write_bytes(b"\x80\x04N.")
    out = tmp_path / "report.json"
    result = invoke("manifest", "verify", model, "-m", manifest, "-f", "json", "-o", out)
    assert result.exit_code == 1, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(report_schema).validate(data)
    found = sorted((f["rule_id"], Path(f["location"]["path"]).name) for f in data["findings"])
    assert found == [("NBSEC-ART-020", "extra.pkl"), ("NBSEC-ART-020", "weights.bin")]


def test_json_on_stdout(model: Path, manifest: Path, report_schema: dict[str, Any]) -> None:
    result = invoke("manifest", "verify", model, "-m", manifest, "--format", "json")
    assert result.exit_code == 0, result.output
    jsonschema.Draft202012Validator(report_schema).validate(json.loads(result.stdout))


def test_sarif_output(model: Path, manifest: Path, tmp_path: Path) -> None:
    (model / "weights.bin").write_bytes(b"x")
    out = tmp_path / "integrity.sarif"
    assert invoke("manifest", "verify", model, "-m", manifest, "-o", out).exit_code == 1
    sarif = json.loads(out.read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["ruleId"] == "NBSEC-ART-020"


@pytest.mark.parametrize(
    "args",
    [
        ("manifest", "verify", "{model}", "-m", "{tmp}/absent.json"),
        ("manifest", "verify", "{tmp}/no-such-folder", "-m", "{manifest}"),
        ("manifest", "create", "{tmp}/no-such-folder"),
        ("manifest", "verify", "{model}", "-m", "{manifest}", "--public-key", "{tmp}/absent.pub"),
        ("manifest", "verify", "{model}", "-m", "{manifest}", "--signature", "{tmp}/absent.sig"),
        ("manifest", "verify", "{model}", "-m", "{model}/weights.bin"),
        ("manifest", "sign", "{manifest}", "--key", "{tmp}/absent.key"),
        ("manifest", "create", "{model}", "--algorithm", "md5"),
    ],
)
def test_usage_errors_exit_2_with_a_hint(model: Path, manifest: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    argv = [a.format(model=model, manifest=manifest, tmp=tmp_path) for a in args]
    result = invoke(*argv)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.output


def test_blake3_not_installed_exits_2_naming_pip(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "blake3", None)
    result = invoke("manifest", "create", model, "--algorithm", "blake3")
    assert result.exit_code == 2
    assert "pip install blake3" in result.stderr


def test_keygen_sign_verify(model: Path, manifest: Path, tmp_path: Path) -> None:
    key, pub = tmp_path / "signing.key", tmp_path / "signing.pub"
    result = invoke("manifest", "keygen", "--private", key, "--public", pub)
    assert result.exit_code == 0, result.output
    assert invoke("manifest", "keygen", "--private", key, "--public", pub).exit_code == 2  # no overwrite
    result = invoke("manifest", "sign", manifest, "--key", key)
    assert result.exit_code == 0, result.output
    assert Path(f"{manifest}.sig").is_file()
    assert invoke("manifest", "verify", model, "-m", manifest, "--public-key", pub).exit_code == 0

    other = tmp_path / "other.key"
    assert invoke("manifest", "keygen", "--private", other).exit_code == 0  # public defaults to other.key.pub
    result = invoke("manifest", "verify", model, "-m", manifest, "--public-key", f"{other}.pub")
    assert result.exit_code == 1
    assert "NBSEC-ART-021" in result.stdout

    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["exclude"].append("*.bin")  # hide a file from verification: the signature must catch it
    manifest.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("manifest", "verify", model, "-m", manifest, "--public-key", pub)
    assert result.exit_code == 1 and "NBSEC-ART-021" in result.stdout


def test_tampered_manifest_exits_1(model: Path, manifest: Path) -> None:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["files"][0]["size"] += 1
    manifest.write_text(json.dumps(data), encoding="utf-8")
    result = invoke("manifest", "verify", model, "-m", manifest)
    assert result.exit_code == 1
    assert "NBSEC-ART-021" in result.stdout


def test_unreadable_file_exits_1(model: Path, manifest: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbsec.integrity import verify as verify_mod

    def denied(path: Any, *, follow_symlinks: bool = True) -> Any:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(verify_mod, "open_for_hashing", denied)
    result = invoke("manifest", "verify", model, "-m", manifest, "-q")
    assert result.exit_code == 1
    assert "could not be scanned" in result.stderr


@pytest.mark.parametrize("sub", ["create", "verify", "sign", "keygen"])
def test_help_has_examples(sub: str) -> None:
    result = invoke("manifest", sub, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and f"nbsec manifest {sub}" in result.stdout


def test_real_process_exit_codes(model: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "nbsec.cli", "manifest", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("create", "model", "-o", "m.json").returncode == 0
    assert run("verify", "model", "-m", "m.json").returncode == 0
    (model / "weights.bin").write_bytes(b"changed")
    assert run("verify", "model", "-m", "m.json").returncode == 1
    done = run("verify", "model", "-m", "missing.json")
    assert done.returncode == 2 and done.stderr.startswith("error: missing.json")
