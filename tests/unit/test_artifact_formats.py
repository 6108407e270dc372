"""Non-pickle model formats: safetensors, GGUF (chat templates), ONNX, SavedModel, Keras, and the protobuf reader.

Every checker gets a benign sample (no issue), each malicious or broken variant (the right rule),
truncated/garbage input (FormatError, never another exception), hostile length fields (no allocation),
and hypothesis fuzzing of random and mutated bytes.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import artifact_format_samples as samples
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nbsec.model import Confidence, Severity
from nbsec.scanners.artifacts import rules
from nbsec.scanners.artifacts.base import Context, FormatError, Issue, Limits
from nbsec.scanners.artifacts.formats import gguf, keras, onnx, protobuf, safetensors, savedmodel
from nbsec.scanners.artifacts.formats.protobuf import FIXED32, FIXED64, LEN, VARINT, Span, Window

Check = Callable[[BinaryIO, int, Context], Iterator[Issue]]
U64_MAX = 2**64 - 1


def run(check: Check, data: bytes, ctx: Context | None = None) -> list[Issue]:
    return list(check(io.BytesIO(data), len(data), ctx or Context(display="sample")))


def rule_ids(issues: list[Issue]) -> set[str]:
    return {issue.rule.id for issue in issues}


def assert_format_error(check: Check, data: bytes, ctx: Context | None = None) -> FormatError:
    with pytest.raises(FormatError) as info:
        run(check, data, ctx)
    return info.value


def build(builder: Callable[[Path], Path], tmp_path: Path) -> bytes:
    return builder(tmp_path).read_bytes()


# --- sample builders (also used by the scanner's end-to-end tests) ---------------------------------------


def _keras_config(path: Path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["config.json", "metadata.json"]
        return archive.read("config.json")


EXPECTED: dict[str, set[str]] = {
    "safetensors_valid": set(),
    "safetensors_overlap": {rules.SAFETENSORS_HEADER.id},
    "gguf_plain_template": set(),
    "gguf_ssti_template": {rules.GGUF_TEMPLATE.id},
    "onnx_external_local": set(),
    "onnx_external_traversal": {rules.ONNX_EXTERNAL_PATH.id},
    "savedmodel_readfile": {rules.SAVEDMODEL_RISKY_OP.id},
    "savedmodel_matmul": set(),
    "keras_dense": set(),
    "keras_lambda": {rules.KERAS_LAMBDA.id},
    "keras_arbitrary_module": {rules.KERAS_ARBITRARY_MODULE.id},
}
CHECKERS: dict[str, Any] = {
    "safetensors": safetensors,
    "gguf": gguf,
    "onnx": onnx,
    "savedmodel": savedmodel,
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_builders_trigger_exactly_their_rule(name: str, tmp_path: Path) -> None:
    path = getattr(samples, name)(tmp_path)
    assert path.is_file() and path.is_relative_to(tmp_path)
    if name.startswith("keras_"):
        assert path.suffix == ".keras"
        issues = list(keras.check_config(_keras_config(path), Context(display=str(path))))
    else:
        module = CHECKERS[name.split("_", 1)[0]]
        head = path.read_bytes()[:4096]
        assert module.sniff(head, path.name)
        ctx = Context(display=str(path), folder=path.parent)
        issues = run(module.check, path.read_bytes(), ctx)
    assert rule_ids(issues) == EXPECTED[name]


def test_sample_layout(tmp_path: Path) -> None:
    assert samples.savedmodel_readfile(tmp_path).relative_to(tmp_path) == Path("savedmodel_readfile/saved_model.pb")
    assert samples.savedmodel_matmul(tmp_path).relative_to(tmp_path) == Path("savedmodel_matmul/saved_model.pb")
    (tmp_path / "local").mkdir()
    local = samples.onnx_external_local(tmp_path / "local")
    assert local.name == "model.onnx" and (local.parent / "model.onnx.data").stat().st_size == 64
    assert samples.gguf_truncated(tmp_path).stat().st_size < len(samples.gguf_bytes(samples.CHATML_TEMPLATE))


def test_rule_samples_name_these_builders() -> None:
    for rule in (
        rules.KERAS_LAMBDA,
        rules.KERAS_ARBITRARY_MODULE,
        rules.SAVEDMODEL_RISKY_OP,
        rules.ONNX_EXTERNAL_PATH,
        rules.SAFETENSORS_HEADER,
        rules.GGUF_TEMPLATE,
    ):
        assert callable(getattr(samples, rule.sample_trigger)), rule.id
        assert callable(getattr(samples, rule.sample_clean)), rule.id
    assert callable(samples.gguf_truncated)


# --- protobuf -----------------------------------------------------------------------------------------


def test_protobuf_iter_fields_decodes_every_wire_type() -> None:
    message = (
        samples.pb_int(1, 300)
        + samples.pb_str(2, "héllo")
        + samples.varint(3 << 3 | FIXED64)
        + struct.pack("<Q", 2**63)
        + samples.pb_float32(4, 1.5)
        + samples.pb_int(5, -1)
    )
    fields = [
        (number, wire, bytes(value) if isinstance(value, memoryview) else value)
        for number, wire, value, _ in protobuf.iter_fields(message)
    ]
    assert fields == [
        (1, VARINT, 300),
        (2, LEN, "héllo".encode()),
        (3, FIXED64, 2**63),
        (4, FIXED32, struct.unpack("<I", struct.pack("<f", 1.5))[0]),
        (5, VARINT, U64_MAX),
    ]
    offsets = [offset for *_, offset in protobuf.iter_fields(message)]
    assert offsets[0] == 0 and offsets[1] == 3


def test_protobuf_stream_matches_buffer_walk() -> None:
    message = samples.onnx_model_bytes("w.bin")
    window = Window(io.BytesIO(message), len(message), chunk=7)  # tiny chunks: every field crosses one
    streamed = list(protobuf.iter_stream_fields(window, 0, len(message)))
    buffered = list(protobuf.iter_fields(message))
    assert [(n, w, o) for n, w, _, o in streamed] == [(n, w, o) for n, w, _, o in buffered]
    graph = next(value for number, _, value, _ in streamed if number == 7)
    assert isinstance(graph, Span) and graph.end <= len(message)


@pytest.mark.parametrize(
    "data",
    [
        b"\x08",  # varint value missing
        b"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # 11-byte varint
        b"\x12\x05abc",  # length past the end
        b"\x12" + samples.varint(U64_MAX),  # 2^64-1 byte string: must not allocate
        b"\x0b\x0c",  # start/end group
        b"\x0e",  # wire type 6
        b"\x00\x00",  # field number 0
        b"\x09\x01\x02",  # truncated fixed64
    ],
)
def test_protobuf_rejects_broken_wire_format(data: bytes) -> None:
    with pytest.raises(FormatError):
        list(protobuf.iter_fields(data))
    with pytest.raises(FormatError):
        list(protobuf.iter_stream_fields(Window(io.BytesIO(data), len(data)), 0, len(data)))


def test_protobuf_depth_bound() -> None:
    protobuf.check_depth(protobuf.MAX_DEPTH, 0)
    with pytest.raises(FormatError):
        protobuf.check_depth(protobuf.MAX_DEPTH + 1, 0)


# --- safetensors --------------------------------------------------------------------------------------


def _st(header: dict[str, Any] | bytes, data: bytes = b"") -> bytes:
    if isinstance(header, bytes):
        return struct.pack("<Q", len(header)) + header + data
    return samples.safetensors_bytes(header, data)


def _tensor(dtype: str, shape: list[Any], begin: int, end: int) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (struct.pack("<Q", U64_MAX) + b"{}", "exceeds"),
        (struct.pack("<Q", 1000) + b"{}", "runs past the end"),
        (_st(b"[1, 2]"), "does not start with '{'"),
        (_st(b" {}"), "does not start with '{'"),
        (_st(b"{\xff}"), "not UTF-8"),
        (_st(b'{"a": '), "not valid JSON"),
        (_st(b'{"a": 1' + b"9" * 5000 + b"}"), "not usable JSON"),
        (_st(b'{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": 1}', b"\0" * 4), "duplicate key"),
        (_st(b'{"__metadata__": {"x": NaN}}'), "non-standard JSON"),
        (_st({"__metadata__": {"epoch": 3}}), "__metadata__ values must be strings"),
        (_st({"__metadata__": ["format", "pt"]}), "__metadata__ is a list"),
        (_st({"w": _tensor("F33", [1], 0, 4)}, b"\0" * 4), "unknown dtype"),
        (_st({"w": _tensor("F32", [-1], 0, 4)}, b"\0" * 4), "shape"),
        (_st({"w": _tensor("F32", [True], 0, 4)}, b"\0" * 4), "shape"),
        (_st({"w": _tensor("F32", [2, 2], 0, 12)}, b"\0" * 12), "needs 16 bytes"),
        (_st({"w": _tensor("F32", [2**40, 2**40], 0, 4)}, b"\0" * 4), "more than the data section"),
        (_st({"w": _tensor("F4", [3], 0, 1)}, b"\0"), "whole number of bytes"),
        (_st({"w": _tensor("F32", [1], 8, 4)}, b"\0" * 8), "0 <= begin <= end"),
        (_st({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}, b"\0" * 4), "[begin, end]"),
        (_st({"w": _tensor("F32", [1], 0, 4)}, b""), "run past the 0-byte data section"),
        (_st({"w": [1, 2]}), "not an object"),
        (_st({"a": _tensor("F32", [2], 0, 8), "b": _tensor("F32", [2], 4, 12)}, b"\0" * 12), "overlap"),
    ],
)
def test_safetensors_header_problems(data: bytes, needle: str) -> None:
    issues = run(safetensors.check, data)
    assert rule_ids(issues) == {rules.SAFETENSORS_HEADER.id}
    assert any(needle in issue.evidence for issue in issues), [issue.evidence for issue in issues]


def test_safetensors_gaps_and_trailing_bytes_are_medium() -> None:
    header = {"a": _tensor("F16", [2], 0, 4), "b": _tensor("BF16", [2], 8, 12)}
    issues = run(safetensors.check, _st(header, b"\0" * 20))
    assert [issue.severity for issue in issues] == [Severity.MEDIUM, Severity.MEDIUM]
    assert "4 bytes in 1 gap(s)" in issues[0].evidence and "8 trailing bytes" in issues[1].evidence


def test_safetensors_accepts_every_dtype_and_empty_tensors() -> None:
    header: dict[str, Any] = {}
    offset = 0
    for dtype, bits in sorted(safetensors.DTYPE_BITS.items()):
        size = 8 * bits // 8  # 8 elements of each
        header[dtype.lower()] = _tensor(dtype, [2, 4], offset, offset + size)
        offset += size
    header["empty"] = _tensor("F32", [0, 7], offset, offset)
    assert run(safetensors.check, _st(header, b"\0" * offset)) == []


def test_safetensors_issue_count_is_capped() -> None:
    header = {f"t{i}": _tensor("F32", [1], 0, 8) for i in range(500)}
    assert len(run(safetensors.check, _st(header, b"\0" * 8))) == 21


def test_safetensors_too_short_is_format_error() -> None:
    assert assert_format_error(safetensors.check, b"\x02\0\0").offset == 0


def test_safetensors_sniff() -> None:
    assert safetensors.sniff(_st({"a": _tensor("U8", [1], 0, 1)}, b"\0")[:4096], "x.bin")
    assert not safetensors.sniff(struct.pack("<Q", U64_MAX) + b"{", "model.safetensors")
    assert not safetensors.sniff(b"PK\x03\x04" + b"\0" * 20, "model.safetensors")


# --- GGUF ----------------------------------------------------------------------------------------------

BENIGN_TEMPLATES = {
    "llama3": samples.LLAMA3_TEMPLATE,
    "chatml": samples.CHATML_TEMPLATE,
    "mistral": (
        "{{ bos_token }}{% for message in messages %}"
        "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
        "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
        "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
        "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}"
    ),
    "qwen_think": (
        "{%- for message in messages %}{%- if message.role == 'assistant' %}"
        "{%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}"
        "{{- '<|im_start|>' + message.role + '\\n' + content }}"
        "{%- for tool_call in message.tool_calls|default([]) %}{{- tool_call.function.arguments | tojson }}"
        "{%- if loop.last %}{% break %}{% endif %}{%- endfor %}"
        "{%- else %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}"
        "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
    ),
    "hf_generation_tag": (
        "{% for message in messages %}{% if message['role'] == 'assistant' %}{% generation %}"
        "{{ message['content'] | trim }}{% endgeneration %}{% else %}{{ message['content'] }}{% endif %}{% endfor %}"
    ),
    "selectattr_plain": (
        "{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join('\\n') }}"
    ),
}

SSTI_TEMPLATES = {
    "cycler_globals": "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "mro_subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "attr_filter_const": "{{ messages|attr('__class__') }}",
    "attr_filter_computed": "{% set n = 'x' %}{{ messages|attr(n) }}",
    "attr_filter_escaped": "{{ messages|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "lipsum_globals": "{{ lipsum.__globals__['os'] }}",
    "self_context": "{{ self._TemplateReference__context }}",
    "request_app": "{{ request.application }}",
    "config_items": "{{ config.items() }}",
    "getitem_dunder": "{{ messages['__class__'] }}",
    "concat_dunder": "{{ messages[('_' ~ '_cla') ~ 'ss__'] }}",
    "add_dunder": "{% set a = '__glo' + 'bals__' %}{{ a }}",
    "map_attribute": "{{ messages|map(attribute='__class__')|list }}",
    "map_attribute_dotted": "{{ messages|map(attribute='content.__class__')|list }}",
    "map_attr_filter": "{{ messages|map('attr', 'x')|list }}",
    "selectattr_dunder": "{{ messages|selectattr('__class__')|list }}",
    "format_attribute": "{{ '{0.__class__}'.format(messages) }}",
    "format_chars": "{{ '%c%cclass%c%c'|format(95, 95, 95, 95) }}",
    "join_dunder": "{{ ['__cl', 'ass__']|join }}",
    "dunder_string": "{% set name = 'x__subclasses__y' %}{{ name }}",
    "in_loop": "{% for m in messages %}{{ m.__init__ }}{% endfor %}",
    "filter_block": "{% filter attr('__class__') %}x{% endfilter %}",
}


@pytest.mark.parametrize("name", sorted(BENIGN_TEMPLATES))
def test_benign_chat_templates_are_clean(name: str) -> None:
    assert gguf.analyze_template(BENIGN_TEMPLATES[name]) == ([], None)


@pytest.mark.parametrize("name", ["llama3", "chatml", "mistral"])
def test_benign_templates_really_render(name: str) -> None:
    # They are real templates: they render in jinja2's immutable sandbox (what safe runtimes use).
    from jinja2.exceptions import TemplateError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    text = env.from_string(BENIGN_TEMPLATES[name]).render(
        messages=messages, bos_token="<s>", eos_token="</s>", add_generation_prompt=True
    )
    assert "hello" in text


@pytest.mark.parametrize("name", sorted(SSTI_TEMPLATES))
def test_ssti_templates_are_flagged(name: str) -> None:
    findings, error = gguf.analyze_template(samples.CHATML_TEMPLATE + SSTI_TEMPLATES[name])
    assert error is None
    assert len(findings) == 1, findings
    expression, reason = findings[0]
    assert expression and reason
    assert "im_start" not in expression  # the evidence is the suspicious expression, not the template


def test_ssti_evidence_is_the_expression(tmp_path: Path) -> None:
    marker = tmp_path / "gguf-template-ran"
    issues = run(gguf.check, samples.gguf_bytes(samples.ssti_template(marker)))
    assert len(issues) == 1
    issue = issues[0]
    assert issue.rule is rules.GGUF_TEMPLATE
    assert issue.evidence.startswith("tokenizer.chat_template: cycler.__init__.__globals__.os.popen(")
    assert len(issue.evidence) < 250 and "__globals__" in issue.evidence
    assert not marker.exists()  # parsing never renders


def test_template_that_does_not_parse_is_malformed_and_pattern_checked() -> None:
    source = "{% for m in messages %}{{ m.__class__.__mro__ }"  # unclosed block and expression
    issues = run(gguf.check, samples.gguf_bytes(source))
    assert [issue.rule for issue in issues] == [rules.MALFORMED_CONTAINER, rules.GGUF_TEMPLATE]
    assert issues[0].rule.severity is Severity.MEDIUM
    assert "__class__" in issues[1].evidence
    assert rule_ids(run(gguf.check, samples.gguf_bytes("{% for m in messages %}{{ m }}"))) == {
        rules.MALFORMED_CONTAINER.id
    }


@pytest.mark.parametrize(
    "source",
    [
        "{{ " + "1" * 5000 + " }}",  # int literal past Python's digit limit
        "{{ " + "(" * 5000 + "x" + ")" * 5000 + " }}",
        "{% if a %}" * 3000 + "{% endif %}" * 3000,
        "{{ " + "not " * 5000 + "x }}",
    ],
)
def test_hostile_templates_are_reported_as_unparseable(source: str) -> None:
    findings, error = gguf.analyze_template(source)
    assert findings == [] and error


def test_long_expressions_are_walked_without_recursion() -> None:
    findings, error = gguf.analyze_template("{{ " + " + ".join(["'_'"] * 20000) + " }}")
    assert error is None and len(findings) == 1 and len(findings[0][0]) < 10_000


def test_named_and_oversized_templates_are_checked() -> None:
    payload = SSTI_TEMPLATES["cycler_globals"]
    named = samples.gguf_kv_string("tokenizer.chat_template.tool_use", payload)
    issues = run(gguf.check, samples.gguf_bytes(samples.CHATML_TEMPLATE, [named]))
    assert [issue.evidence.split(":")[0] for issue in issues] == ["tokenizer.chat_template.tool_use"]
    # A template longer than max_string is still read (up to 16 MiB), other strings are skipped.
    small = Context(display="x", limits=Limits(max_string=64))
    assert rule_ids(run(gguf.check, samples.gguf_bytes(samples.LLAMA3_TEMPLATE + payload), small)) == {
        rules.GGUF_TEMPLATE.id
    }


def test_issue_count_per_template_is_capped() -> None:
    source = "".join(f"{{{{ m{i}.__class__ }}}}" for i in range(30))
    issues = run(gguf.check, samples.gguf_bytes(source))
    assert len(issues) == 11 and "20 more" in issues[-1].evidence


def _gguf_kv_only(version: int, endian: str, key: str, value: bytes) -> bytes:
    count = "I" if version == 1 else "Q"

    def string(raw: bytes) -> bytes:
        return struct.pack(endian + count, len(raw)) + raw

    header = b"GGUF" + struct.pack(endian + "I" + count + count, version, 0, 1)
    return header + string(key.encode()) + struct.pack(endian + "I", gguf.STRING) + string(value)


@pytest.mark.parametrize(("version", "endian"), [(1, "<"), (2, "<"), (3, ">")])
def test_gguf_versions_and_big_endian(version: int, endian: str) -> None:
    data = _gguf_kv_only(version, endian, "tokenizer.chat_template", SSTI_TEMPLATES["lipsum_globals"].encode())
    assert rule_ids(run(gguf.check, data)) == {rules.GGUF_TEMPLATE.id}
    assert run(gguf.check, _gguf_kv_only(version, endian, "general.name", b"x")) == []


def test_gguf_every_truncation_is_a_format_error() -> None:
    full = samples.gguf_bytes(samples.CHATML_TEMPLATE)
    for cut in range(len(full) - 96):  # tensor data (last 96 bytes) is not read, only bounds-checked
        with pytest.raises(FormatError) as info:
            run(gguf.check, full[:cut])
        assert info.value.offset is not None and info.value.offset <= cut, cut


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"GGUF" + struct.pack("<IQQ", 3, 0, U64_MAX), "exceed"),
        (b"GGUF" + struct.pack("<IQQ", 3, U64_MAX, 0), "exceed"),
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, U64_MAX), "truncated"),  # key length
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IIQ", 9, 8, U64_MAX), "exceeds"),
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IIQ", 9, 12, U64_MAX), "truncated"),
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<IQ", 8, U64_MAX), "truncated"),
        (b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1) + b"k" + struct.pack("<I", 13), "unknown GGUF value type"),
        (b"GGUF" + struct.pack("<IQQ", 7, 0, 0), "unsupported GGUF version"),
        (b"GGML" + struct.pack("<IQQ", 3, 0, 0), "magic"),
    ],
)
def test_gguf_hostile_lengths_do_not_allocate(data: bytes, needle: str) -> None:
    tracemalloc.start()
    try:
        error = assert_format_error(gguf.check, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert needle in error.message
    assert peak < 2 * 1024 * 1024


def test_gguf_alignment_and_tensor_bounds() -> None:
    bad_alignment = samples.gguf_bytes(None, [samples.gguf_kv_u32("general.alignment", 48)])
    bad_alignment = bad_alignment.replace(samples.gguf_kv_u32("general.alignment", 32), b"", 1)
    bad_alignment = bad_alignment[:16] + struct.pack("<Q", 8) + bad_alignment[24:]  # one key fewer
    assert "power of two" in assert_format_error(gguf.check, bad_alignment).message
    full = samples.gguf_bytes(None)
    assert "past the end" in assert_format_error(gguf.check, full[:-96]).message


def test_gguf_sniff() -> None:
    assert gguf.sniff(b"GGUF\x03\0\0\0", "x.bin")
    assert not gguf.sniff(b"GGML", "model.gguf")


# --- ONNX ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("model.onnx.data", None),
        ("weights/part-0.bin", None),
        ("sub/../weights.bin", None),
        ("./a/./b", None),
        ("../weights.bin", "walks up"),
        ("a/../../weights.bin", "walks up"),
        ("..\\..\\Windows\\win.ini", "walks up"),
        ("/etc/passwd", "absolute"),
        ("\\Windows\\win.ini", "absolute"),
        ("C:\\Windows\\win.ini", "drive"),
        ("c:weights.bin", "drive"),
        ("\\\\server\\share\\w.bin", "UNC"),
        ("//server/share/w.bin", "UNC"),
        ("w.bin\x00../../x", "NUL"),
    ],
)
def test_onnx_location_problems(location: str, problem: str | None) -> None:
    found = onnx.location_problem(location, None)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_onnx_symlink_escaping_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * 64)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "inside.bin").write_bytes(b"\0" * 64)
    os.symlink(outside, folder / "link.bin")
    os.symlink(folder / "inside.bin", folder / "local-link.bin")
    assert onnx.location_problem("link.bin", folder) is not None
    assert onnx.location_problem("local-link.bin", folder) is None
    assert onnx.location_problem("inside.bin", folder) is None
    assert onnx.location_problem("missing.bin", folder) is None
    ctx = Context(display="model.onnx", folder=folder)
    issues = run(onnx.check, samples.onnx_model_bytes("link.bin"), ctx)
    assert rule_ids(issues) == {rules.ONNX_EXTERNAL_PATH.id} and "symlink" in issues[0].evidence


def _onnx_model(graph: bytes, extra: bytes = b"") -> bytes:
    return samples.pb_int(1, 9) + samples.pb_str(2, "test") + samples.pb_msg(7, graph) + extra


def _onnx_escape(name: str = "w") -> bytes:
    return samples.onnx_external_tensor(name, [2], f"/data/{name}.bin", 8)


def test_onnx_tensors_hidden_in_subgraphs_constants_sparse_and_functions() -> None:
    pb_msg, pb_str = samples.pb_msg, samples.pb_str
    # If node whose then_branch subgraph holds the initializer.
    subgraph = pb_msg(5, _onnx_escape("then_w"))
    if_node = pb_str(4, "If") + pb_msg(5, pb_str(1, "then_branch"), pb_msg(6, subgraph))
    # Constant node whose value attribute tensor is external.
    constant = pb_str(4, "Constant") + pb_msg(5, pb_str(1, "value"), pb_msg(5, _onnx_escape("const_w")))
    # Loop body in `graphs` (repeated) and an external sparse initializer.
    loop = pb_str(4, "Loop") + pb_msg(5, pb_str(1, "bodies"), pb_msg(11, pb_msg(5, _onnx_escape("loop_w"))))
    sparse = pb_msg(15, pb_msg(1, _onnx_escape("sparse_values")), pb_msg(2, samples.pb_int(1, 2)))
    function = pb_msg(25, pb_str(1, "f"), pb_msg(7, pb_str(4, "Constant"), pb_msg(5, pb_msg(5, _onnx_escape("fn_w")))))
    graph = pb_msg(1, if_node) + pb_msg(1, constant) + pb_msg(1, loop) + sparse
    issues = run(onnx.check, _onnx_model(graph, function))
    names = sorted(issue.evidence.split("'")[1] for issue in issues)
    assert names == ["const_w", "fn_w", "loop_w", "sparse_values", "then_w"]


def test_onnx_issues_are_deduplicated_and_capped() -> None:
    graph = b"".join(samples.pb_msg(5, samples.onnx_external_tensor(f"w{i}", [2], f"/x/{i}", 8)) for i in range(150))
    issues = run(onnx.check, _onnx_model(graph))
    assert len(issues) == 101 and "50 more" in issues[-1].evidence
    # Tensors sharing one external file (the usual layout) give one issue for that file.
    same = b"".join(samples.pb_msg(5, samples.onnx_external_tensor(f"w{i}", [2], "/x/all.bin", 8)) for i in range(10))
    assert len(run(onnx.check, _onnx_model(same))) == 1


class CountingIO(io.BytesIO):
    """Counts bytes read, to prove large payloads are skipped, not read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.bytes_read += len(out)
        return out


def test_onnx_skips_raw_data_without_reading_it() -> None:
    big = (
        samples.pb_int(1, 4_000_000)
        + samples.pb_int(2, 1)
        + samples.pb_str(8, "big")
        + samples.pb_bytes(9, b"\0" * 16_000_000)
    )
    model = _onnx_model(samples.pb_msg(5, big) + samples.pb_msg(5, _onnx_escape()))
    stream = CountingIO(model)
    issues = list(onnx.check(stream, len(model), Context(display="big.onnx")))
    assert rule_ids(issues) == {rules.ONNX_EXTERNAL_PATH.id}
    assert stream.bytes_read < 512 * 1024


def test_onnx_nesting_bound() -> None:
    graph = _onnx_escape()
    for _ in range(120):  # graph -> node -> attribute -> graph ... deeper than protobuf allows
        graph = samples.pb_msg(1, samples.pb_msg(5, samples.pb_msg(6, graph)))
    assert "deeper" in assert_format_error(onnx.check, _onnx_model(graph)).message


def test_onnx_field_count_bound() -> None:
    model = samples.pb_int(1, 9) * 50
    assert run(onnx.check, model) == []
    assert "fields" in assert_format_error(onnx.check, model, Context(display="x", limits=Limits(max_items=10))).message


def test_onnx_sniff(tmp_path: Path) -> None:
    model = samples.onnx_model_bytes("w.bin")
    assert onnx.sniff(model[:4096], "model.onnx")
    assert onnx.sniff(model[:4096], "model.bin")  # content alone is enough for a torch.onnx-style model
    assert not onnx.sniff(samples.savedmodel_matmul(tmp_path).read_bytes()[:4096], "saved_model.pb")
    assert not onnx.sniff(b"GGUF", "model.onnx")
    assert not onnx.sniff(b"\x08\x01\x10\x02", "model.bin")


# --- SavedModel ------------------------------------------------------------------------------------------


def _saved_model(graph_ops: list[tuple[str, str]], function_ops: list[tuple[str, str]] | None = None) -> bytes:
    nodes = [samples.tf_node(name, op) for name, op in graph_ops]
    functions = [("__inference_f_1", [samples.tf_node(name, op) for name, op in function_ops])] if function_ops else []
    return samples.saved_model_bytes(nodes, functions)


def test_savedmodel_risky_ops_with_counts_and_nodes() -> None:
    data = _saved_model(
        [(f"read_{i}", "ReadFile") for i in range(7)] + [("py", "EagerPyFunc")],
        [("write", "WriteFile"), ("glob", "MatchingFiles"), ("cmd", "ShellExec"), ("pf", "PyFuncStateless")],
    )
    issues = run(savedmodel.check, data)
    by_op = {issue.evidence.split()[1]: issue for issue in issues}
    assert sorted(by_op) == ["EagerPyFunc", "MatchingFiles", "PyFuncStateless", "ReadFile", "ShellExec", "WriteFile"]
    assert "x7" in by_op["ReadFile"].evidence and "'read_4' and 2 more" in by_op["ReadFile"].evidence
    assert "'read_5'" not in by_op["ReadFile"].evidence
    assert "'__inference_f_1/write'" in by_op["WriteFile"].evidence
    assert all(issue.offset is not None for issue in issues)


@pytest.mark.parametrize("op", ["SaveV2", "RestoreV2", "MergeV2Checkpoints", "TPUExecute", "ReadVariableOp", "PrintV2"])
def test_savedmodel_normal_ops_are_not_flagged(op: str) -> None:
    assert run(savedmodel.check, _saved_model([("n", op)], [("m", op)])) == []


def test_frozen_graphdef_is_checked() -> None:
    graph = samples.pb_msg(1, samples.tf_node("x", "Placeholder")) + samples.pb_msg(1, samples.tf_node("r", "ReadFile"))
    assert rule_ids(run(savedmodel.check, graph)) == {rules.SAVEDMODEL_RISKY_OP.id}
    assert savedmodel.sniff(graph, "frozen_graph.pb")


def test_savedmodel_sniff(tmp_path: Path) -> None:
    data = samples.savedmodel_matmul(tmp_path).read_bytes()
    assert savedmodel.sniff(data[:4096], "saved_model.pb")
    assert savedmodel.sniff(data[:4096], "export/model.pb")
    assert not savedmodel.sniff(data[:4096], "model.bin")
    assert not savedmodel.sniff(samples.pb_int(1, 123) + samples.pb_int(2, 456), "fingerprint.pb")
    assert not savedmodel.sniff(samples.pb_int(1, 123) + samples.pb_int(2, 456), "other.pb")
    assert not savedmodel.sniff(b"\x0a\x03abc", "notes.pb")


def test_savedmodel_broken_inputs() -> None:
    assert "empty" in assert_format_error(savedmodel.check, b"").message
    data = _saved_model([("r", "ReadFile")])
    for cut in range(1, len(data)):
        try:
            run(savedmodel.check, data[:cut])
        except FormatError:
            pass  # a protobuf prefix that ends on a field boundary is itself a valid message


# --- Keras -----------------------------------------------------------------------------------------------


def _config_issues(config: Any) -> list[Issue]:
    return list(keras.check_config(json.dumps(config).encode(), Context(display="config.json")))


def test_keras_lambda_in_nested_submodel_has_layer_path() -> None:
    issues = _config_issues(samples.keras_lambda_config())
    assert len(issues) == 1
    assert "model/functional_1/lambda_2" in issues[0].evidence and "bytecode" in issues[0].evidence


def test_keras_arbitrary_module_evidence() -> None:
    (issue,) = _config_issues(samples.keras_arbitrary_module_config())
    assert issue.rule is rules.KERAS_ARBITRARY_MODULE and issue.confidence is Confidence.HIGH
    assert "module=os" in issue.evidence and "function=system" in issue.evidence
    assert "config.json/config/layers/2/config/activation" in issue.evidence


@pytest.mark.parametrize(
    ("obj", "rule", "needle"),
    [
        # Keras 2 / tf.keras Lambda: [base64 code, defaults, closure]
        (
            {"class_name": "Lambda", "config": {"name": "l", "function": ["4wEAAAAA", None, None]}},
            "KERAS_LAMBDA",
            "bytecode",
        ),
        ({"class_name": "keras.layers.Lambda", "config": {"name": "l"}}, "KERAS_LAMBDA", "Lambda layer"),
        # A lambda used as an activation, outside any Lambda layer (Keras 3 __lambda__).
        ({"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}, "KERAS_LAMBDA", "lambda function"),
        # Keras 2 Lambda naming a module function.
        (
            {
                "class_name": "Lambda",
                "config": {"name": "l", "function": "system", "module": "os", "function_type": "function"},
            },
            "KERAS_ARBITRARY_MODULE",
            "function=system",
        ),
        ({"module": "subprocess", "class_name": "Popen", "config": {}}, "KERAS_ARBITRARY_MODULE", "module=subprocess"),
        ({"module": "__main__", "class_name": "MyLayer", "config": {}}, "KERAS_ARBITRARY_MODULE", "module=__main__"),
        (
            {"module": None, "class_name": "X", "registered_name": "os.system"},
            "KERAS_ARBITRARY_MODULE",
            "registered_name",
        ),
        ({"module": "keras.utils", "class_name": "get_file", "config": {}}, "KERAS_ARBITRARY_MODULE", "CVE-2025-8747"),
        ({"module": "keras.layers", "class_name": "TFSMLayer", "config": {}}, "KERAS_ARBITRARY_MODULE", "SavedModel"),
    ],
)
def test_keras_config_variants(obj: dict[str, Any], rule: str, needle: str) -> None:
    config = samples.keras_sequential([samples.keras_input_layer("in", 4), obj])
    issues = _config_issues(config)
    expected = getattr(rules, rule)
    assert expected.id in rule_ids(issues)
    assert any(needle in issue.evidence for issue in issues if issue.rule is expected), issues


def test_keras_third_party_module_is_medium_confidence_and_keras_family_is_clean() -> None:
    custom = {
        "module": "my_project.layers",
        "class_name": "Residual",
        "config": {},
        "registered_name": "Custom>Residual",
    }
    (issue,) = _config_issues(samples.keras_sequential([custom]))
    assert issue.confidence is Confidence.MEDIUM
    hub = {
        "module": "keras_hub.src.models.gemma",
        "class_name": "GemmaBackbone",
        "registered_name": "keras_hub>GemmaBackbone",
    }
    tf = {"module": "tensorflow.python.ops.nn_ops", "class_name": "function", "config": "relu"}
    assert _config_issues(samples.keras_sequential([hub, tf, {"module": "kerasx", "note": "not an object"}])) == []


def test_keras_depth_bound_and_broken_json() -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"layers": [deep]}
    issues = _config_issues(deep)
    assert [issue.rule for issue in issues] == [rules.MALFORMED_CONTAINER]
    ctx = Context(display="config.json")
    for bad in (b"{", b"\xff\xfe\x00", b"[" * 100_000, b'{"a": 1' + b"1" * 5000 + b"}"):
        with pytest.raises(FormatError):
            list(keras.check_config(bad, ctx))
    with pytest.raises(FormatError):
        list(keras.check_config(b"{}", Context(display="x", limits=Limits(max_header_bytes=1))))


def _h5(tmp_path: Path, attrs: dict[str, str], userblock: int = 0) -> bytes:
    import h5py  # a dev dependency: always installed by `make test`
    import numpy as np

    path = tmp_path / "model.h5"
    with h5py.File(path, "w", userblock_size=userblock or None) as handle:
        for key, value in attrs.items():
            handle.attrs[key] = value
        handle.create_group("model_weights").create_dataset("dense/kernel:0", data=np.ones((4, 16), "f4"))
    return path.read_bytes()


def test_keras_h5_lambda_and_clean(tmp_path: Path) -> None:
    lambda_h5 = _h5(tmp_path, {"keras_version": "2.15.0", "model_config": json.dumps(samples.keras_lambda_config())})
    assert keras.sniff(lambda_h5[:4096], "model.h5")
    issues = run(keras.check, lambda_h5)
    assert rule_ids(issues) == {rules.KERAS_LAMBDA.id} and issues[0].offset is not None
    assert lambda_h5[issues[0].offset : issues[0].offset + 13] == b'{"module": "k'
    dense_h5 = _h5(tmp_path, {"model_config": json.dumps(samples.keras_dense_config())})
    assert run(keras.check, dense_h5) == []
    assert run(keras.check, _h5(tmp_path, {})) == []  # weights only


def test_keras_h5_user_block_and_large_config(tmp_path: Path) -> None:
    # 3000 layers: the config is ~1.3 MB, more than the first decode window and one scan chunk.
    layers = [samples.keras_dense_layer(f"dense_{i}", 4, "relu", 4) for i in range(3000)]
    layers.append({"class_name": "Lambda", "config": {"name": "last", "function": ["4wEA", None, None]}})
    data = _h5(tmp_path, {"model_config": json.dumps(samples.keras_sequential(layers))}, userblock=512)
    assert data[:8] != keras.HDF5_MAGIC and keras.sniff(data[:4096], "x.h5")
    issues = run(keras.check, data)
    assert rule_ids(issues) == {rules.KERAS_LAMBDA.id} and "last" in issues[0].evidence


def test_keras_h5_synthetic_and_not_hdf5() -> None:
    padding = b"\0" * 100
    config = json.dumps({"class_name": "Lambda", "config": {"name": "x"}}).encode()
    data = keras.HDF5_MAGIC + padding + b'{"class_name": broken' + padding + config + padding
    assert rule_ids(run(keras.check, data)) == {rules.KERAS_LAMBDA.id}
    assert "HDF5 signature" in assert_format_error(keras.check, b"\0" * 4096).message
    many = keras.HDF5_MAGIC + b'{"module"x' * 1500
    assert rule_ids(run(keras.check, many)) == {rules.MALFORMED_CONTAINER.id}


# --- fuzzing: only FormatError may escape -----------------------------------------------------------------


def _fuzz_ctx() -> Context:
    return Context(display="fuzz", limits=Limits(max_items=100_000, max_string=4096, max_header_bytes=1 << 20))


ALL_CHECKS: dict[str, Check] = {
    "safetensors": safetensors.check,
    "gguf": gguf.check,
    "onnx": onnx.check,
    "savedmodel": savedmodel.check,
    "keras_h5": keras.check,
}


def _keras_config_check(data: BinaryIO, size: int, ctx: Context) -> Iterator[Issue]:
    return keras.check_config(data.read(size), ctx)


def _seed_samples() -> dict[str, tuple[Check, bytes]]:
    h5_like = keras.HDF5_MAGIC + b"\0" * 64 + json.dumps(samples.keras_lambda_config()).encode() + b"\0" * 64
    return {
        "safetensors": (safetensors.check, samples.safetensors_bytes(samples._linear_header([48, 80]), b"\0" * 80)),
        "gguf": (gguf.check, samples.gguf_bytes(samples.CHATML_TEMPLATE + SSTI_TEMPLATES["concat_dunder"])),
        "onnx": (onnx.check, samples.onnx_model_bytes("../w.bin")),
        "savedmodel": (savedmodel.check, _saved_model([("r", "ReadFile")], [("p", "PyFunc")])),
        "keras_h5": (keras.check, h5_like),
        "keras_config": (_keras_config_check, json.dumps(samples.keras_lambda_config()).encode()),
    }


SEEDS = _seed_samples()


def _only_format_error(check: Check, data: bytes) -> None:
    try:
        for issue in check(io.BytesIO(data), len(data), _fuzz_ctx()):
            assert isinstance(issue, Issue) and isinstance(issue.evidence, str)
    except FormatError as error:
        assert isinstance(error.message, str)


FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(ALL_CHECKS))
@FUZZ
@given(data=st.binary(max_size=2048))
def test_fuzz_random_bytes(name: str, data: bytes) -> None:
    _only_format_error(ALL_CHECKS[name], data)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["safetensors", "gguf", "onnx", "savedmodel"])
@FUZZ
@given(data=st.binary(max_size=2048))
def test_fuzz_random_bytes_with_magic(name: str, data: bytes) -> None:
    prefix = {"safetensors": b"", "gguf": b"GGUF\x03\0\0\0", "onnx": b"\x08\x08", "savedmodel": b"\x08\x01\x12"}[name]
    _only_format_error(ALL_CHECKS[name], prefix + data)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    buf = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "u64", "truncate"]))
        pos = draw(st.integers(0, max(len(buf) - 1, 0)))
        if kind == "flip" and buf:
            buf[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and buf:
            buf[pos] = draw(st.integers(0, 255))
        elif kind == "insert":
            buf[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del buf[pos : pos + draw(st.integers(1, 16))]
        elif kind == "u64":  # a hostile length/count field
            buf[pos : pos + 8] = struct.pack("<Q", draw(st.sampled_from([U64_MAX, 2**63, 2**32, 2**31 - 1])))
        elif kind == "truncate":
            del buf[pos:]
    return bytes(buf)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(SEEDS))
@FUZZ
@given(data=st.data())
def test_fuzz_mutated_samples(name: str, data: st.DataObject) -> None:
    check, seed = SEEDS[name]
    _only_format_error(check, data.draw(mutated(seed)))


@FUZZ
@given(data=st.binary(max_size=512))
def test_fuzz_protobuf_reader(data: bytes) -> None:
    try:
        fields = list(protobuf.iter_fields(data))
    except FormatError:
        return
    streamed = list(protobuf.iter_stream_fields(Window(io.BytesIO(data), len(data), chunk=5), 0, len(data)))
    assert [(n, w, o) for n, w, _, o in fields] == [(n, w, o) for n, w, _, o in streamed]


@FUZZ
@given(source=st.text(alphabet="{}%#()[]|.,:=*'\"_~+ abcxyz019\\\n-", max_size=200))
def test_fuzz_template_analyzer(source: str) -> None:
    findings, error = gguf.analyze_template(source)
    assert isinstance(findings, list) and (error is None or isinstance(error, str))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=24,
)
KERAS_KEYS = st.sampled_from(["class_name", "module", "config", "registered_name", "function", "function_type", "name"])
KERAS_VALUES = st.sampled_from(["Lambda", "__lambda__", "os", "keras.layers", "function", "get_file", "a.b", "x>y"])
KERAS_JSON = st.recursive(
    JSON_VALUES | KERAS_VALUES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(KERAS_KEYS | st.text(max_size=4), children, max_size=5)
    ),
    max_leaves=30,
)
TENSOR_ENTRIES = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from([*safetensors.DTYPE_BITS, "X"]) | JSON_VALUES,
        "shape": st.lists(st.integers(-1, 2**40), max_size=4) | JSON_VALUES,
        "data_offsets": st.lists(st.integers(-1, 80), min_size=2, max_size=2) | JSON_VALUES,
    }
)


@FUZZ
@given(
    header=st.dictionaries(st.sampled_from(["__metadata__", "a", "b", "c"]), TENSOR_ENTRIES | JSON_VALUES, max_size=4),
    data_len=st.integers(0, 80),
)
def test_fuzz_safetensors_headers(header: dict[str, Any], data_len: int) -> None:
    for issue in run(safetensors.check, samples.safetensors_bytes(header, b"\0" * data_len)):
        assert issue.rule is rules.SAFETENSORS_HEADER


@FUZZ
@given(config=KERAS_JSON)
def test_fuzz_keras_config_walker(config: Any) -> None:
    for issue in keras.walk_config(config, "config.json"):
        assert issue.rule in (rules.KERAS_LAMBDA, rules.KERAS_ARBITRARY_MODULE, rules.MALFORMED_CONTAINER)
