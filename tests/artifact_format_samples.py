"""Builders of non-pickle model files (safetensors, GGUF, ONNX, SavedModel, Keras) for the artifact tests.

Each public builder is `NAME(directory: Path) -> Path`: it writes a realistic file under `directory` and
returns its path. Nothing here needs onnx/tensorflow/keras: protobuf, GGUF and safetensors are encoded by
hand. The malicious samples carry no live payload that reaches outside `directory`: the GGUF template
would only `touch` a file inside it (tests check that the file was NOT created), the Keras Lambda is an
identity function, and ONNX paths are never opened by the scanner.
"""

from __future__ import annotations

import base64
import json
import marshal
import struct
import zipfile
from pathlib import Path
from typing import Any

# --- protobuf wire format ---------------------------------------------------------------------------


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64 values are encoded as 10-byte two's complement
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def pb_int(field: int, value: int) -> bytes:
    return varint(field << 3) + varint(value)


def pb_bytes(field: int, payload: bytes) -> bytes:
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def pb_str(field: int, text: str) -> bytes:
    return pb_bytes(field, text.encode("utf-8"))


def pb_msg(field: int, *parts: bytes) -> bytes:
    return pb_bytes(field, b"".join(parts))


def pb_float32(field: int, value: float) -> bytes:
    return varint(field << 3 | 5) + struct.pack("<f", value)


# --- safetensors ------------------------------------------------------------------------------------


def safetensors_bytes(header: dict[str, Any], data: bytes) -> bytes:
    """Header JSON padded with spaces to 8 bytes, as the reference serializer writes it."""
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def _linear_header(bias_offsets: list[int]) -> dict[str, Any]:
    return {
        "__metadata__": {"format": "pt"},
        "linear.bias": {"dtype": "F32", "shape": [4], "data_offsets": bias_offsets},
        "linear.weight": {"dtype": "F32", "shape": [4, 4], "data_offsets": [0, 64]},
    }


def safetensors_valid(directory: Path) -> Path:
    data = struct.pack("<16f", *[i / 16 for i in range(16)]) + struct.pack("<4f", 0.1, 0.2, 0.3, 0.4)
    path = directory / "model.safetensors"
    path.write_bytes(safetensors_bytes(_linear_header([64, 80]), data))
    return path


def safetensors_overlap(directory: Path) -> Path:
    # The bias aliases the last row of the weight: readers disagree on what the bias is.
    data = struct.pack("<16f", *[i / 16 for i in range(16)])
    path = directory / "overlap.safetensors"
    path.write_bytes(safetensors_bytes(_linear_header([48, 64]), data))
    return path


# --- GGUF -------------------------------------------------------------------------------------------

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 8, 9

LLAMA3_TEMPLATE = (
    "{{- bos_token }}\n"
    "{%- if custom_tools is defined %}{%- set tools = custom_tools %}{%- endif %}\n"
    "{%- if not tools_in_user_message is defined %}{%- set tools_in_user_message = true %}{%- endif %}\n"
    '{%- if not date_string is defined %}{%- set date_string = "26 Jul 2024" %}{%- endif %}\n'
    "{%- if not tools is defined %}{%- set tools = none %}{%- endif %}\n"
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {%- set system_message = messages[0]['content']|trim %}\n"
    "    {%- set messages = messages[1:] %}\n"
    "{%- else %}\n"
    '    {%- set system_message = "" %}\n'
    "{%- endif %}\n"
    '{{- "<|start_header_id|>system<|end_header_id|>\\n\\n" }}\n'
    '{{- "Cutting Knowledge Date: December 2023\\n" }}\n'
    '{{- "Today Date: " + date_string + "\\n\\n" }}\n'
    "{%- if tools is not none and not tools_in_user_message %}\n"
    '    {%- for t in tools %}{{- t | tojson(indent=4) }}{{- "\\n\\n" }}{%- endfor %}\n'
    "{%- endif %}\n"
    '{{- system_message }}{{- "<|eot_id|>" }}\n'
    "{%- set ns = namespace(found_user=false) %}\n"
    "{%- for message in messages %}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) and message['role'] != 'tool' %}\n"
    "        {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}\n"
    "    {%- endif %}\n"
    "    {%- if message['role'] == 'user' %}{%- set ns.found_user = true %}{%- endif %}\n"
    "    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}\n"
    "        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
    " + message['content'] | trim + '<|eot_id|>' }}\n"
    "    {%- elif 'tool_calls' in message %}\n"
    "        {%- set tool_call = message.tool_calls[0].function %}\n"
    "        {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}\n"
    "        {{- '{\"name\": \"' + tool_call.name + '\", ' }}\n"
    '        {{- \'"parameters": \' }}{{- tool_call.arguments | tojson }}{{- "}" }}{{- "<|eot_id|>" }}\n'
    "    {%- else %}\n"
    '        {{- "<|start_header_id|>ipython<|end_header_id|>\\n\\n" }}\n'
    "        {%- if message.content is mapping or message.content is iterable %}\n"
    "            {{- message.content | tojson }}\n"
    "        {%- else %}{{- message.content }}{%- endif %}\n"
    '        {{- "<|eot_id|>" }}\n'
    "    {%- endif %}\n"
    "    {%- if loop.first and not ns.found_user %}{%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n"
    "{%- endif %}\n"
)

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'].strip() + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def gguf_string(text: str | bytes) -> bytes:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def gguf_kv_string(key: str, value: str) -> bytes:
    return gguf_string(key) + struct.pack("<I", GGUF_STRING) + gguf_string(value)


def gguf_kv_u32(key: str, value: int) -> bytes:
    return gguf_string(key) + struct.pack("<II", GGUF_UINT32, value)


def gguf_bytes(template: str | None, extra_kv: list[bytes] | None = None) -> bytes:
    """A small but complete GGUF v3 file: llama metadata, a 6-token vocabulary, one F32 tensor."""
    tokens = ["<unk>", "<s>", "</s>", "hello", "world", "!"]
    kv = [
        gguf_kv_string("general.architecture", "llama"),
        gguf_kv_string("general.name", "tiny-llama-test"),
        gguf_kv_u32("general.alignment", 32),
        gguf_kv_u32("llama.context_length", 2048),
        gguf_kv_string("tokenizer.ggml.model", "llama"),
        gguf_string("tokenizer.ggml.tokens")
        + struct.pack("<IIQ", GGUF_ARRAY, GGUF_STRING, len(tokens))
        + b"".join(gguf_string(token) for token in tokens),
        gguf_string("tokenizer.ggml.scores")
        + struct.pack("<IIQ", GGUF_ARRAY, GGUF_FLOAT32, len(tokens))
        + struct.pack(f"<{len(tokens)}f", *[0.0] * len(tokens)),
        gguf_string("tokenizer.ggml.token_type")
        + struct.pack("<IIQ", GGUF_ARRAY, GGUF_INT32, len(tokens))
        + struct.pack(f"<{len(tokens)}i", *[2, 3, 3, 1, 1, 1]),
    ]
    if template is not None:
        kv.append(gguf_kv_string("tokenizer.chat_template", template))
    kv.extend(extra_kv or [])
    tensors = [gguf_string("token_embd.weight") + struct.pack("<IQQIQ", 2, 4, 6, 0, 0)]  # F32 [4, 6] at 0
    body = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + b"".join(tensors)
    body += b"\0" * (-len(body) % 32)
    return body + struct.pack("<24f", *[0.5] * 24)


def gguf_plain_template(directory: Path) -> Path:
    path = directory / "plain.gguf"
    path.write_bytes(gguf_bytes(LLAMA3_TEMPLATE))
    return path


def ssti_template(marker: Path) -> str:
    """The Llama-3 template with the CVE-2024-34359 payload appended; it would only create `marker`."""
    payload = f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}"
    return LLAMA3_TEMPLATE + payload


def gguf_ssti_template(directory: Path) -> Path:
    path = directory / "ssti.gguf"
    path.write_bytes(gguf_bytes(ssti_template(directory / "gguf-template-ran")))
    return path


def gguf_truncated(directory: Path) -> Path:
    full = gguf_bytes(CHATML_TEMPLATE)
    cut = full.index(b"tokenizer.ggml.tokens") + 40  # inside the vocabulary array
    path = directory / "truncated.gguf"
    path.write_bytes(full[:cut])
    return path


# --- ONNX -------------------------------------------------------------------------------------------

ONNX_FLOAT = 1
ONNX_EXTERNAL = 1


def onnx_value_info(name: str, dims: list[int | str]) -> bytes:
    shape = b"".join(
        pb_msg(1, pb_int(1, dim) if isinstance(dim, int) else pb_str(2, dim)) for dim in dims
    )  # TensorShapeProto.dim -> Dimension{dim_value | dim_param}
    tensor_type = pb_msg(1, pb_int(1, ONNX_FLOAT), pb_msg(2, shape))  # TypeProto.tensor_type
    return pb_str(1, name) + pb_msg(2, tensor_type)


def onnx_external_tensor(name: str, dims: list[int], location: str, length: int) -> bytes:
    return b"".join(
        [
            *(pb_int(1, dim) for dim in dims),
            pb_int(2, ONNX_FLOAT),
            pb_str(8, name),
            pb_msg(13, pb_str(1, "location"), pb_str(2, location)),
            pb_msg(13, pb_str(1, "offset"), pb_str(2, "0")),
            pb_msg(13, pb_str(1, "length"), pb_str(2, str(length))),
            pb_int(14, ONNX_EXTERNAL),
        ]
    )


def onnx_model_bytes(location: str) -> bytes:
    """A torch.onnx-style linear model y = x @ W + b: W external at `location`, b inline (raw_data)."""
    weight = onnx_external_tensor("linear.weight", [4, 4], location, 64)
    bias = pb_int(1, 4) + pb_int(2, ONNX_FLOAT) + pb_str(8, "linear.bias") + pb_bytes(9, struct.pack("<4f", *[0.1] * 4))
    matmul = pb_str(1, "input") + pb_str(1, "linear.weight") + pb_str(2, "/linear/MatMul_output_0")
    matmul += pb_str(3, "/linear/MatMul") + pb_str(4, "MatMul")
    add = pb_str(1, "/linear/MatMul_output_0") + pb_str(1, "linear.bias") + pb_str(2, "output")
    add += pb_str(3, "/linear/Add") + pb_str(4, "Add")
    graph = b"".join(
        [
            pb_msg(1, matmul),
            pb_msg(1, add),
            pb_str(2, "main_graph"),
            pb_msg(5, weight),
            pb_msg(5, bias),
            pb_msg(11, onnx_value_info("input", ["batch", 4])),
            pb_msg(12, onnx_value_info("output", ["batch", 4])),
        ]
    )
    return b"".join(
        [
            pb_int(1, 8),  # ir_version
            pb_str(2, "pytorch"),
            pb_str(3, "2.4.0"),
            pb_msg(7, graph),
            pb_msg(8, pb_str(1, ""), pb_int(2, 17)),  # opset_import: default domain, opset 17
        ]
    )


def onnx_external_local(directory: Path) -> Path:
    path = directory / "model.onnx"
    path.write_bytes(onnx_model_bytes("model.onnx.data"))
    (directory / "model.onnx.data").write_bytes(struct.pack("<16f", *[i / 16 for i in range(16)]))
    return path


def onnx_external_traversal(directory: Path) -> Path:
    path = directory / "model.onnx"
    path.write_bytes(onnx_model_bytes("../../../../../../etc/passwd"))
    return path


# --- TensorFlow SavedModel --------------------------------------------------------------------------

TF_FLOAT, TF_STRING = 1, 7


def tf_attr(key: str, value: bytes) -> bytes:
    return pb_msg(5, pb_str(1, key), pb_bytes(2, value))  # NodeDef.attr map entry -> AttrValue


def tf_node(name: str, op: str, inputs: tuple[str, ...] = (), dtype: int | None = None) -> bytes:
    parts = [pb_str(1, name), pb_str(2, op), *(pb_str(3, item) for item in inputs)]
    if dtype is not None:
        parts.append(tf_attr("dtype" if op in ("Placeholder", "Const") else "T", pb_int(6, dtype)))
    return b"".join(parts)


def tf_const_string(name: str, value: str) -> bytes:
    tensor = pb_int(1, TF_STRING) + pb_msg(2) + pb_str(8, value)  # TensorProto{dtype, tensor_shape, string_val}
    return tf_node(name, "Const", dtype=TF_STRING) + tf_attr("value", pb_bytes(8, tensor))


def saved_model_bytes(graph_nodes: list[bytes], functions: list[tuple[str, list[bytes]]]) -> bytes:
    library = b"".join(
        pb_msg(1, pb_msg(1, pb_str(1, name)), *(pb_msg(3, node) for node in nodes)) for name, nodes in functions
    )
    graph = b"".join(pb_msg(1, node) for node in graph_nodes)
    if library:
        graph += pb_bytes(2, library)
    graph += pb_msg(4, pb_int(1, 1645), pb_int(2, 0))  # VersionDef{producer, min_consumer}
    meta_info = pb_str(4, "serve") + pb_str(5, "2.16.1") + pb_str(6, "v2.16.0-rc0-18-g5bc9d26649c")
    meta_graph = pb_msg(1, meta_info) + pb_msg(2, graph)
    return pb_int(1, 1) + pb_msg(2, meta_graph)


def _checkpoint_nodes() -> list[bytes]:
    # What every tf.saved_model.save graph has: variables restored and saved through SaveV2/RestoreV2.
    return [
        tf_const_string("saver_filename", "variables/variables"),
        tf_node("StatefulPartitionedCall", "StatefulPartitionedCall", ("saver_filename",)),
        tf_node("save/SaveV2", "SaveV2", ("saver_filename",)),
        tf_node("save/RestoreV2", "RestoreV2", ("saver_filename",)),
    ]


def _serving_function(extra: list[bytes]) -> tuple[str, list[bytes]]:
    nodes = [
        tf_node("dense/MatMul/ReadVariableOp", "ReadVariableOp", ("dense_matmul_readvariableop_resource",), TF_FLOAT),
        tf_node("dense/MatMul", "MatMul", ("inputs", "dense/MatMul/ReadVariableOp"), TF_FLOAT),
        tf_node("dense/Relu", "Relu", ("dense/MatMul:product:0",), TF_FLOAT),
        *extra,
        tf_node("Identity", "Identity", ("dense/Relu:activations:0",), TF_FLOAT),
    ]
    return "__inference_serve_1234", nodes


def _write_saved_model(directory: Path, name: str, data: bytes) -> Path:
    folder = directory / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "variables").mkdir(exist_ok=True)
    path = folder / "saved_model.pb"
    path.write_bytes(data)
    return path


def savedmodel_matmul(directory: Path) -> Path:
    graph = [tf_node("serving_default_inputs", "Placeholder", dtype=TF_FLOAT), *_checkpoint_nodes()]
    return _write_saved_model(directory, "savedmodel_matmul", saved_model_bytes(graph, [_serving_function([])]))


def savedmodel_readfile(directory: Path) -> Path:
    # The serving function reads a file named by a constant: running the model reads it.
    extra = [
        tf_const_string("secret_path", "/etc/hostname"),
        tf_node("read_secret", "ReadFile", ("secret_path:output:0",)),
    ]
    graph = [tf_node("serving_default_inputs", "Placeholder", dtype=TF_FLOAT), *_checkpoint_nodes()]
    return _write_saved_model(directory, "savedmodel_readfile", saved_model_bytes(graph, [_serving_function(extra)]))


# --- Keras ------------------------------------------------------------------------------------------


def _dtype_policy() -> dict[str, Any]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def _initializer(class_name: str, config: dict[str, Any]) -> dict[str, Any]:
    return {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}


def keras_dense_layer(name: str, units: int, activation: Any, input_dim: int) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": _dtype_policy(),
            "units": units,
            "activation": activation,
            "use_bias": True,
            "kernel_initializer": _initializer("GlorotUniform", {"seed": None}),
            "bias_initializer": _initializer("Zeros", {}),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, input_dim]},
    }


def keras_input_layer(name: str, dim: int) -> dict[str, Any]:
    return {
        "module": "keras.layers",
        "class_name": "InputLayer",
        "config": {"batch_shape": [None, dim], "dtype": "float32", "sparse": False, "name": name},
        "registered_name": None,
    }


def keras_sequential(layers: list[dict[str, Any]], name: str = "sequential") -> dict[str, Any]:
    return {
        "module": "keras",
        "class_name": "Sequential",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": _dtype_policy(),
            "layers": layers,
            "build_input_shape": [None, 4],
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, 4]},
        "compile_config": {
            "optimizer": {
                "module": "keras.optimizers",
                "class_name": "Adam",
                "config": {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
                "registered_name": None,
            },
            "loss": "sparse_categorical_crossentropy",
            "loss_weights": None,
            "metrics": ["accuracy"],
            "weighted_metrics": None,
            "run_eagerly": False,
            "steps_per_execution": 1,
            "jit_compile": False,
        },
    }


def keras_dense_config() -> dict[str, Any]:
    return keras_sequential(
        [
            keras_input_layer("input_layer", 4),
            keras_dense_layer("dense", 16, "relu", 4),
            keras_dense_layer("dense_1", 3, "softmax", 16),
        ]
    )


def keras_lambda_layer(name: str) -> dict[str, Any]:
    code = base64.b64encode(marshal.dumps(compile("lambda x: x", "<sample>", "eval").co_consts[0])).decode()
    return {
        "module": "keras.layers",
        "class_name": "Lambda",
        "config": {
            "name": name,
            "trainable": True,
            "dtype": _dtype_policy(),
            "function": {"class_name": "__lambda__", "config": {"code": code, "defaults": None, "closure": None}},
            "arguments": {},
        },
        "registered_name": None,
        "build_config": {"input_shape": [None, 16]},
    }


def keras_lambda_config() -> dict[str, Any]:
    # The Lambda sits inside a nested sub-model: scanners that only read config.layers[*] miss it.
    inner = keras_sequential(
        [
            keras_input_layer("inner_input", 16),
            keras_lambda_layer("lambda_2"),
            keras_dense_layer("dense_2", 16, "relu", 16),
        ],
        name="functional_1",
    )
    inner.pop("compile_config")
    return keras_sequential(
        [keras_input_layer("input_layer", 4), keras_dense_layer("dense", 16, "relu", 4), inner],
        name="model",
    )


def keras_arbitrary_module_config() -> dict[str, Any]:
    # CVE-2025-1550 shape: an "activation" that Keras < 3.9 resolves by importing os and taking system.
    activation = {"module": "os", "class_name": "function", "config": "system", "registered_name": "function"}
    return keras_sequential(
        [
            keras_input_layer("input_layer", 4),
            keras_dense_layer("dense", 16, "relu", 4),
            keras_dense_layer("dense_1", 3, activation, 16),
        ]
    )


def write_keras(path: Path, config: dict[str, Any]) -> Path:
    metadata = {"keras_version": "3.8.0", "date_saved": "2025-02-03@10:20:30"}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("metadata.json", json.dumps(metadata))
        archive.writestr("config.json", json.dumps(config))
    return path


def keras_dense(directory: Path) -> Path:
    return write_keras(directory / "dense.keras", keras_dense_config())


def keras_lambda(directory: Path) -> Path:
    return write_keras(directory / "lambda.keras", keras_lambda_config())


def keras_arbitrary_module(directory: Path) -> Path:
    return write_keras(directory / "arbitrary_module.keras", keras_arbitrary_module_config())
