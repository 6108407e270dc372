"""keras_metadata.pb: the Keras layer configs a TensorFlow SavedModel stores beside saved_model.pb.

tf.keras (Keras 2) saves every layer's config as JSON in this protobuf, Lambda layers included (their
marshalled bytecode runs when the SavedModel is loaded back as a Keras model). We read it without
TensorFlow:

    SavedMetadata.nodes(1) -> SavedObject{node_path(3), identifier(4), metadata(5): JSON string}

and hand each JSON config to the Keras config walker (Lambda layers, modules outside Keras).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

from nbsec.scanners.artifacts.base import Context, FormatError, Issue
from nbsec.scanners.artifacts.formats.keras import walk_config
from nbsec.scanners.artifacts.formats.protobuf import Span, Window, iter_stream_fields, read_string
from nbsec.scanners.artifacts.rules import MALFORMED_CONTAINER

NAME = "keras_metadata.pb"
_PATH_BYTES = 256


def sniff(head: bytes, name: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() == NAME and bool(head)


def check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    """Keras issues of every node's JSON metadata (a node path names where each was found)."""
    window = Window(data, size)
    nodes = 0
    for number, _, value, offset in iter_stream_fields(window, 0, size):
        if number != 1 or not isinstance(value, Span):
            continue
        nodes += 1
        if nodes > ctx.limits.max_items:
            raise FormatError(f"more than {ctx.limits.max_items} nodes", offset)
        path, metadata = "", None
        for inner, _, field, _ in iter_stream_fields(window, value.start, value.end):
            if inner == 3 and isinstance(field, Span):
                path = read_string(window, field, _PATH_BYTES)
            elif inner == 5 and isinstance(field, Span):
                if field.length > ctx.limits.max_header_bytes:
                    raise FormatError(f"node metadata of {field.length:,} bytes is over the limit", field.start)
                metadata = window.read(field.start, field.length)
        if not metadata:
            continue
        try:
            config = json.loads(metadata)
        except (ValueError, RecursionError):
            yield Issue(MALFORMED_CONTAINER, f"{NAME} node {path or '?'}: metadata is not JSON", offset)
            continue
        yield from walk_config(config, f"{NAME}:{path or 'root'}", offset=offset)
