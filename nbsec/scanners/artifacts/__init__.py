"""Model artifacts: find every checkpoint that runs code on load, without ever loading it.

Formats are recognised by their bytes (targets.artifact_kind); pickles are walked by a
static machine (pickle_vm, its opcode loop in pickle_machine) and judged by a three-tier
policy (policy); containers are opened leniently and with bounds (containers); other formats
have their own checkers (formats/). Nothing is unpickled, imported or executed.
"""

from __future__ import annotations

from collections.abc import Iterator

from nbsec.model import ScanError
from nbsec.scanners.artifacts import rules
from nbsec.scanners.base import Note, Scanner, ScanResult, register
from nbsec.targets import ARTIFACT_KINDS, FileTarget


@register
class ArtifactScanner(Scanner):
    """Pickles (raw, torch, joblib, numpy), archives, Keras, SavedModel, ONNX, safetensors, GGUF."""

    name = rules.SCANNER
    description = "Model files and archives: code that runs on load, parser tricks, malformed headers"
    kinds = ARTIFACT_KINDS
    rules = rules.RULES

    def scan(self, target: FileTarget) -> Iterator[ScanResult]:
        # The walker (and the pickle machine) load on the first artifact, not with the registry.
        from nbsec.scanners.artifacts.base import Limits
        from nbsec.scanners.artifacts.walker import Walk, walk_stream

        walk = Walk(
            display=target.display,
            folder=target.path.parent,
            limits=Limits(),
            allow=frozenset(self.config.allow_globals),
        )
        try:
            with target.path.open("rb") as stream:
                yield from walk_stream(walk, stream, target.kind, None, 0, target.path.name)
        except OSError as exc:
            yield ScanError(self.name, target.display, f"cannot read file ({exc.strerror})", "check permissions")
            return
        stats = walk.stats
        if stats["members"] or stats["pickles"]:
            yield Note(f"{stats['pickles']} pickle stream(s), {stats['members']} archive member(s)")
