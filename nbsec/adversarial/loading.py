"""A saved PyTorch model loaded for the adversarial runners, without ever unpickling code.

Users have models as files: a state dict (`torch.save(model.state_dict(), path)`, what `nbsec demo`
writes), a TorchScript archive (`torch.jit.save`), or a whole pickled module (`torch.save(model)`).

    from nbsec.adversarial.loading import load_model
    model = load_model("models/digits_cnn.pt", arch="nbsec.adversarial.demo_models:DigitsCNN")
    model = load_model("models/scripted.pt")                     # TorchScript: no class needed

nbsec is a security tool, so the file is treated as untrusted:

1. nbsec's own static artifact scan (`static_scan`: the scanners `nbsec.api.scan` runs) reads it first, with
   the built-in settings (a project's exclude_rules or baseline cannot switch this check off). A finding of
   code execution on load (critical or high NBSEC-ART-*: a denylisted callable, a computed import, a
   malformed stream), or a file the scan could not read, refuses the load and names the findings.
2. A state dict is read with `torch.load(path, weights_only=True, map_location="cpu")` only: tensors
   and plain containers, never a Python object. A whole pickled module needs weights_only=False, which
   would run code from the file: it is refused with a hint to save a state dict or TorchScript.
3. The class comes from the caller as "module:Class" (`arch`), is built with `arch_kwargs` (or no
   arguments) and gets the weights with `load_state_dict` (strict: every key must match).

TorchScript goes to `torch.jit.load`, whose C++ unpickler accepts only torch's own builders and the
archive's TorchScript classes; its code is TorchScript (torch operators), not Python.
"""

from __future__ import annotations

import importlib
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbsec.adversarial.inputs import AdversarialInputError
from nbsec.model import Finding, Severity

DEMO_CLASS = "nbsec.adversarial.demo_models:DigitsCNN"
DEMO_FILES = ("digits_cnn.pt", "digits_cnn_backdoor.pt", "digits_cnn_overfit.pt")
DEMO_ONE_LINER = (
    "from nbsec.adversarial.demo_models import load_demo_model; "
    'model = load_demo_model("nbsec-demo/models/digits_cnn.pt")'
)
# What torch.jit.load's C++ unpickler calls to rebuild lists and tensors of a TorchScript archive: the
# scanner's denylist names the whole torch.jit module, but these builders only build values.
TORCHSCRIPT_BUILDERS = ("torch.jit._pickle.build_", "torch.jit._pickle.restore_type_tag")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")


def load_model(
    path: str | Path,
    arch: str | type | None = None,
    arch_kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """An nn.Module (eval mode, on the CPU) from a state dict + its class, or from a TorchScript archive."""
    file = Path(path)
    if not file.is_file():
        raise AdversarialInputError(f"{file}: no such model file", "check the path (relative to the notebook)")
    torchscript = is_torchscript(file)
    refuse_code_on_load(file, torchscript=torchscript)
    import torch

    if torchscript:
        module: Any = torch.jit.load(str(file), map_location="cpu")  # type: ignore[no-untyped-call]
        return module.eval()
    state = _read_weights(file)
    return build_module(state, arch, arch_kwargs, what=str(file))


def build_module(state: Any, arch: str | type | None, arch_kwargs: Mapping[str, Any] | None, *, what: str) -> Any:
    """The class `arch` built with `arch_kwargs`, with the weights in `state` (a state dict) loaded strictly."""
    from torch import nn

    weights = state_dict_of(state)
    if weights is None:
        keys = ", ".join(sorted(str(k) for k in state)[:8]) if isinstance(state, Mapping) else type(state).__name__
        raise AdversarialInputError(
            f"{what} holds no state dict of tensors ({keys})",
            "save the model's weights with torch.save(model.state_dict(), path), or TorchScript with "
            "torch.jit.save(torch.jit.script(model), path)",
        )
    if arch is None:
        raise AdversarialInputError(state_dict_message(what), state_dict_hint())
    cls = resolve_class(arch) if isinstance(arch, str) else arch
    label = arch if isinstance(arch, str) else _name(cls)
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise AdversarialInputError(f"--arch {label}: {cls!r} is not a torch.nn.Module class", state_dict_hint())
    try:
        module = cls(**dict(arch_kwargs or {}))
    except TypeError as exc:
        raise AdversarialInputError(
            f"--arch {label}: cannot build it with {dict(arch_kwargs or {})} ({exc})",
            "pass its constructor arguments as JSON: --arch-kwargs '{\"hidden\": 64}'",
        ) from None
    try:
        module.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        detail = " ".join(str(exc).split())[:400]
        raise AdversarialInputError(
            f"{what}: its weights do not fit {label} ({detail})",
            "give the class the weights were saved from (and its --arch-kwargs)",
        ) from None
    return module.eval()


def state_dict_of(state: Any) -> dict[str, Any] | None:
    """The state dict in `state`: itself when it maps names to tensors, or under a usual checkpoint key."""
    import torch

    if not isinstance(state, Mapping) or not state:
        return None
    if all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        return dict(state)
    for key in CHECKPOINT_KEYS:
        inner = state.get(key)
        if isinstance(inner, Mapping) and inner and all(isinstance(v, torch.Tensor) for v in inner.values()):
            return dict(inner)
    return None


def state_dict_message(what: str) -> str:
    """The error for weights without their class (a file, or a variable holding a state dict)."""
    return (
        f"{what} is a state dict; give its class: --arch module:Class (the demo's models: --arch {DEMO_CLASS} "
        f"for {', '.join(DEMO_FILES)})"
    )


def state_dict_hint() -> str:
    return (
        "the class must be importable (a module on sys.path, e.g. your training code) and built with no arguments "
        f"or --arch-kwargs '{{...}}' (JSON); in Python, for the demo models: {DEMO_ONE_LINER}"
    )


def resolve_class(spec: str) -> type:
    """ "package.module:Class" (or "package.module:Outer.Inner") -> the class, imported."""
    module_name, sep, qualname = spec.partition(":")
    if not sep or not module_name or not qualname:
        raise AdversarialInputError(f"--arch {spec!r}: expected module:Class", f"e.g. --arch {DEMO_CLASS}")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise AdversarialInputError(
            f"--arch {spec}: cannot import {module_name} ({exc})",
            "put the module that defines the class on sys.path (e.g. run the notebook from your project folder)",
        ) from None
    for part in qualname.split("."):
        if not hasattr(found, part):
            raise AdversarialInputError(f"--arch {spec}: {module_name} has no {qualname}", f"e.g. --arch {DEMO_CLASS}")
        found = getattr(found, part)
    if not isinstance(found, type):
        raise AdversarialInputError(f"--arch {spec}: {qualname} is not a class", f"e.g. --arch {DEMO_CLASS}")
    return found


def is_torchscript(path: Path) -> bool:
    """A zip whose top folder holds `code/` (TorchScript's compiled source) and a data.pkl."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    roots = {name.split("/", 1)[0] for name in names}
    return any(f"{r}/data.pkl" in names and any(n.startswith(f"{r}/code/") for n in names) for r in roots)


def code_on_load(findings: list[Finding], *, torchscript: bool = False) -> list[Finding]:
    """The findings that say loading the file runs code (critical or high NBSEC-ART-*)."""
    out = []
    for finding in findings:
        if not finding.rule_id.startswith("NBSEC-ART-") or finding.severity.rank < Severity.HIGH.rank:
            continue
        if torchscript and finding.rule_id == "NBSEC-ART-001" and finding.evidence.startswith(TORCHSCRIPT_BUILDERS):
            continue  # torch.jit.load's own list/tensor builders, not Python's unpickler
        out.append(finding)
    return out


def refuse_code_on_load(path: Path, *, torchscript: bool = False) -> None:
    """Scan `path` with nbsec's artifact scanner (built-in settings); raise if loading it could run code."""
    every, errors, scanned = static_scan(path)
    if errors or not scanned:
        reasons = "; ".join(errors) or "no scanner read it"
        raise AdversarialInputError(
            f"{path}: nbsec could not check this file before loading it ({reasons}); not loaded",
            "save the model as a state dict (torch.save(model.state_dict(), 'model.pt')) or TorchScript",
        )
    found = code_on_load(every, torchscript=torchscript)
    if found:
        named = "; ".join(f"{f.rule_id} {f.title}: {f.evidence[:160]}" for f in found[:3])
        more = f" (and {len(found) - 3} more)" if len(found) > 3 else ""
        raise AdversarialInputError(
            f"{path}: nbsec's artifact scan reports code execution on load, so it was not loaded: {named}{more}",
            f"do not load this file; see `nbsec scan {path}` and ask its producer for a state dict "
            "(torch.save(model.state_dict(), path)) or safetensors",
        )


def static_scan(path: Path) -> tuple[list[Finding], list[str], bool]:
    """Every finding of nbsec's scanners on one file (suppressed ones too), the errors, and whether one read it.

    The built-in settings, always: no project config, policy or baseline can hide a finding from this gate.
    It calls the scanning loop `nbsec.api.scan` uses (`nbsec.scanners.run.scan_files`) without `finish`:
    the api itself reaches this gate (`nbsec fix` converts checkpoints through it), so it cannot call the api.
    """
    from nbsec.config import Config
    from nbsec.model import Report
    from nbsec.scanners.run import scan_files

    report = Report()
    scan_files([path], Config(), report)
    findings = [*report.findings, *(s.finding for s in report.suppressed)]
    scanned = any(t.status != "skipped" for t in report.targets)
    return findings, [e.message for e in report.errors], scanned


def _read_weights(path: Path) -> Any:
    """torch.load with weights_only=True: tensors and plain containers; a pickled object is refused."""
    import pickle

    import torch

    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        needs = re.findall(r"GLOBAL ([\w.]+)", str(exc))
        if not needs:  # no Python object refused: a broken or foreign file
            detail = str(exc).split("WeightsUnpickler error:")[-1].split("Check the documentation")[0]
            raise AdversarialInputError(
                f"{path}: not a PyTorch file torch.load can read ({' '.join(detail.split())[:200]})",
                "pass a state dict saved with torch.save(model.state_dict(), path) or a TorchScript archive",
            ) from None
        what = f" (it imports {needs[0]})"
        raise AdversarialInputError(
            f"{path} holds pickled Python objects{what}, e.g. a whole nn.Module saved with torch.save(model): they "
            "load only with weights_only=False, which runs code from the file, so nbsec does not load it",
            "save the weights instead: torch.save(model.state_dict(), 'model.pt') and pass --arch module:Class; "
            "or TorchScript: torch.jit.save(torch.jit.script(model), 'model.pt')",
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise AdversarialInputError(
            f"{path}: not a PyTorch file torch.load can read ({' '.join(str(exc).split())[:200]})",
            "pass a state dict saved with torch.save(model.state_dict(), path) or a TorchScript archive",
        ) from None


def _name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"
