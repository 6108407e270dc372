"""CycloneDX 1.6 SBOM of the environment and the model files in a workspace (ML-BOM).

Libraries: every installed distribution, with its version, a `pkg:pypi` purl
and the dependency edges its metadata declares. Models: every model file nbsec
recognises by its bytes under the workspace, as a `machine-learning-model`
component named by its relative path, with a SHA-256 hash. The document is
validated against the CycloneDX 1.6 schema shipped in cyclonedx-python-lib
(offline) before anyone sees it. cyclonedx is imported here only, on use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbsec._version import __version__
from nbsec.errors import UsageError
from nbsec.integrity.hashing import sha256_file
from nbsec.supply_chain.environment import InstalledPackage, installed_packages
from nbsec.targets import ARTIFACT_KINDS, resolve_targets

if TYPE_CHECKING:
    from nbsec.config import Config

# Generic containers are models only when named like one: a dataset.zip is not a model.
CONTAINER_KINDS = frozenset({"zip", "tar", "gzip", "bz2", "xz", "lzma", "zlib", "7z"})
MODEL_SUFFIXES = (
    ".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".keras", ".onnx",
    ".safetensors", ".gguf", ".npy", ".npz", ".pb", ".tflite", ".model", ".sav", ".mar", ".nemo",
)  # fmt: skip


@dataclass(frozen=True)
class ModelFile:
    path: Path
    name: str  # relative to the workspace, POSIX separators
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SbomResult:
    text: str  # the JSON document
    libraries: int
    models: int
    validated: bool  # False when the validator's optional dependencies are not installed
    note: str = ""


def _is_model(kind: str, path: Path) -> bool:
    if kind not in ARTIFACT_KINDS:
        return False
    name = path.name.lower()
    return kind not in CONTAINER_KINDS or name.endswith(MODEL_SUFFIXES) or ".tar" in name and "model" in name


def find_model_files(root: str | os.PathLike[str], config: Config | None = None) -> list[ModelFile]:
    """Model files under `root` (recognised by content, as `nbsec scan` does), hashed."""
    from nbsec.config import Config as _Config

    base = Path(root)
    found = []
    for target in resolve_targets([base], config or _Config()):
        if not _is_model(target.kind, target.path):
            continue
        rel = target.path.relative_to(base).as_posix() if base.is_dir() else target.path.name
        found.append(ModelFile(target.path, rel, target.kind, target.size, sha256_file(target.path)))
    return found


def _library(package: InstalledPackage) -> Any:
    from cyclonedx.model.component import Component, ComponentType
    from packageurl import PackageURL

    purl = PackageURL("pypi", name=package.key, version=package.version)
    return Component(
        type=ComponentType.LIBRARY, name=package.name, version=package.version, purl=purl, bom_ref=purl.to_string()
    )


def _model(model: ModelFile) -> Any:
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.component import Component, ComponentType

    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL,
        name=model.name,
        bom_ref=f"model:{model.name}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=model.sha256)],
        properties=[
            Property(name="nbsec:format", value=model.kind),
            Property(name="nbsec:size", value=str(model.size)),
        ],
    )


def _requires(package: InstalledPackage) -> list[str]:
    """Normalized names this distribution needs here (markers evaluated, extras left out)."""
    from packaging.requirements import InvalidRequirement, Requirement

    from nbsec.supply_chain.osv import normalize_name

    out = []
    for line in package.requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out.append(normalize_name(req.name))
    return out


def build_sbom(
    workspace: str | os.PathLike[str] | None = ".",
    *,
    site_packages: Path | None = None,
    config: Config | None = None,
) -> SbomResult:
    """The CycloneDX 1.6 JSON of the environment (+ models under `workspace` unless it is None)."""
    try:
        from cyclonedx.model.bom import Bom
        from cyclonedx.model.component import Component, ComponentType
        from cyclonedx.output.json import JsonV1Dot6
    except ImportError:
        raise UsageError(
            "nbsec sbom needs cyclonedx-python-lib, which is not installed",
            "pip install 'cyclonedx-python-lib>=8' (a dependency of nbsec; reinstall nbsec)",
        ) from None
    packages = installed_packages(site_packages)
    models = find_model_files(workspace, config) if workspace is not None else []
    root_name = Path(workspace).resolve().name if workspace is not None else "python-environment"
    root = Component(type=ComponentType.APPLICATION, name=root_name or "workspace", bom_ref="nbsec:workspace")
    bom = Bom()
    bom.metadata.component = root
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="nbsec", version=__version__, bom_ref="nbsec:tool")
    )
    libraries = {p.key: _library(p) for p in packages}
    for component in libraries.values():
        bom.components.add(component)
    model_components = [_model(m) for m in models]
    for component in model_components:
        bom.components.add(component)
    bom.register_dependency(root, [*libraries.values(), *model_components])
    for package in packages:
        needs = [libraries[n] for n in _requires(package) if n in libraries and n != package.key]
        bom.register_dependency(libraries[package.key], needs)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    validated, note = validate_sbom(text)
    return SbomResult(text, len(libraries), len(models), validated, note)


def validate_sbom(text: str) -> tuple[bool, str]:
    """(validated, note): raise UsageError when the document breaks the 1.6 schema."""
    from cyclonedx.exception import MissingOptionalDependencyException
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    except MissingOptionalDependencyException:
        return False, "not validated: install cyclonedx-python-lib[json-validation] to check it against the schema"
    if error is not None:
        detail = getattr(error.data, "message", str(error))[:300]  # jsonschema's full text repeats the schema
        where = getattr(error.data, "json_path", "")
        raise UsageError(
            f"the SBOM does not validate against CycloneDX 1.6: {where}: {detail}",
            "this is a bug in nbsec; please report it with the component that failed",
        )
    return True, "valid CycloneDX 1.6 (strict JSON schema, offline)"


def write_sbom(result: SbomResult, output: str | os.PathLike[str]) -> Path:
    """Write the document atomically (a CI job never picks up half an SBOM)."""
    path = Path(output)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(result.text + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot write the SBOM ({exc.strerror or exc})", "check that the folder exists and is writable"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return path
