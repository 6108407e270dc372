"""Rules of the model-artifact scanner (NBSEC-ART-*).

Severity follows what loading the file can do: running arbitrary code is
critical; a parser trick or an unexplained global is high or medium; a
format property worth knowing is low.
"""

from __future__ import annotations

from nbsec.model import Confidence, Rule, Severity, reference

SCANNER = "model-artifacts"
CATEGORY = "model artifacts"

CWE_502 = reference("CWE", "CWE-502")
ATLAS_MALICIOUS_MODEL = reference("MITRE ATLAS", "AML.T0011.000")
ATLAS_SUPPLY_CHAIN_MODEL = reference("MITRE ATLAS", "AML.T0010.003")
OWASP_ML06 = reference("OWASP ML Top 10", "ML06:2023")
OWASP_LLM03 = reference("OWASP LLM Top 10", "LLM03:2025")
SUPPLY_CHAIN = (ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06, OWASP_LLM03)

LOAD_SAFELY = (
    "Do not load this file. Ask the producer for safetensors (or ONNX / GGUF without templates); "
    "if you must load a checkpoint, use torch.load(..., weights_only=True) and verify the file's "
    "manifest (`nbsec manifest verify`) first."
)


def _rule(
    number: int,
    title: str,
    severity: Severity,
    description: str,
    remediation: str,
    references: tuple[object, ...],
    trigger: str,
    clean: str,
    confidence: Confidence = Confidence.HIGH,
) -> Rule:
    return Rule(
        id=f"NBSEC-ART-{number:03d}",
        title=title,
        severity=severity,
        confidence=confidence,
        category=CATEGORY,
        scanner=SCANNER,
        description=description,
        remediation=remediation,
        references=tuple(references),  # type: ignore[arg-type]
        # Samples are names of builders in tests/artifact_samples.py (dangerous bytes are
        # never committed: the tests build them at run time).
        sample_trigger=trigger,
        sample_clean=clean,
    )


DANGEROUS_GLOBAL = _rule(
    1,
    "Pickle imports a callable that runs code on load",
    Severity.CRITICAL,
    "The pickle references a global on nbsec's hard denylist (process execution, eval/exec, import "
    "machinery, indirection such as operator.methodcaller or pkgutil.resolve_name, ctypes, network, file "
    "writes, code objects). Unpickling it runs attacker-chosen code. Configuration cannot allow these.",
    LOAD_SAFELY,
    (CWE_502, ATLAS_MALICIOUS_MODEL, *SUPPLY_CHAIN),
    "pickle_os_system",
    "pickle_state_dict",
)

UNKNOWN_GLOBAL = _rule(
    2,
    "Pickle imports a global outside the allowlist",
    Severity.MEDIUM,
    "The pickle references a class or function that is neither known-dangerous nor on the allowlist "
    "(torch's weights-only set, numpy reconstruction, vetted stdlib data types, your additions). "
    "Loading it imports and may call it; a full pickled nn.Module lands here too.",
    "Check the listed globals. If they are your own trusted classes, add them to `allow_globals` in "
    "[tool.nbsec]; better, save weights only (state_dict) in safetensors.",
    (CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_unknown_class",
    "pickle_state_dict",
    confidence=Confidence.MEDIUM,
)

COMPUTED_GLOBAL = _rule(
    3,
    "Pickle builds the name of the global it imports at load time",
    Severity.HIGH,
    "A STACK_GLOBAL (or INST/GLOBAL through the memo) takes its module or name from something other than "
    "a plain string: the result of a call, an attribute lookup or a non-string object. A static scanner "
    "cannot know what will be imported; benign serializers never do this.",
    LOAD_SAFELY,
    (CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_computed_global",
    "pickle_state_dict",
)

MALFORMED_PICKLE = _rule(
    4,
    "Malformed or ambiguous pickle stream",
    Severity.HIGH,
    "The stream is not a well-formed pickle: a FRAME whose length disagrees with its opcodes, an invalid "
    "opcode, a truncated stream, or data after STOP that is not another pickle. Unpicklers differ on such "
    "streams (a payload can run before the error), so a broken stream is not clean.",
    LOAD_SAFELY,
    (CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_broken_after_payload",
    "pickle_state_dict",
)

OBJECT_ARRAY = _rule(
    5,
    "NumPy file with object arrays needs allow_pickle=True",
    Severity.LOW,
    "An .npy/.npz array of dtype object is stored as a pickle; loading it requires np.load(..., "
    "allow_pickle=True), which runs whatever the pickle says. The pickle itself was analysed (other "
    "findings say if it is dangerous).",
    "Store numeric arrays with a numeric dtype, or strings as fixed-width unicode; never load object "
    "arrays from outside your trust boundary.",
    (CWE_502, OWASP_ML06),
    "npy_object_array",
    "npy_float_array",
)

ARCHIVE_ANOMALY = _rule(
    6,
    "Archive structure differs from what a strict parser accepts",
    Severity.MEDIUM,
    "The zip/tar container has anomalies that loaders ignore but strict tools trip over: a bad CRC-32, "
    "a local header name that differs from the central directory, unusual flag bits, duplicate names, "
    "nested archives. These are the tricks used to hide pickles from scanners.",
    "Re-create the archive from trusted sources; treat the file as untrusted until its manifest verifies.",
    (ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "zip_bad_crc",
    "pickle_state_dict",
    confidence=Confidence.MEDIUM,
)

KERAS_LAMBDA = _rule(
    7,
    "Keras model contains a Lambda layer (Python bytecode)",
    Severity.HIGH,
    "A Lambda layer stores marshalled Python bytecode that runs when the model is loaded with "
    "safe_mode=False (and on Keras < 2.13 always, CVE-2024-3660). Nested sub-models are checked too.",
    "Replace Lambda layers with registered custom layers whose code you ship, and load with "
    "keras.saving.load_model(path, safe_mode=True) on Keras >= 3.9.",
    (reference("CWE", "CWE-94"), ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "keras_lambda",
    "keras_dense",
)

KERAS_ARBITRARY_MODULE = _rule(
    8,
    "Keras config names a module or function outside Keras",
    Severity.HIGH,
    "A layer, initializer, activation or loss in the Keras config names a Python module/function by path "
    "(`module`, `registered_name`, `function`) outside keras/tensorflow. Keras < 3.9 imports it even with "
    "safe_mode=True (CVE-2025-1550).",
    "Upgrade Keras to >= 3.9, load with safe_mode=True, and only load models whose custom objects you ship.",
    (reference("CWE", "CWE-94"), ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "keras_arbitrary_module",
    "keras_dense",
)

SAVEDMODEL_RISKY_OP = _rule(
    9,
    "TensorFlow graph uses operations that touch files, processes or Python",
    Severity.HIGH,
    "The SavedModel graph contains ops such as ReadFile, WriteFile, PyFunc, EagerPyFunc, or ops that "
    "execute system commands; running the graph does what they say.",
    "Only serve graphs from trusted sources; strip or reject models with file/Python ops.",
    (reference("CWE", "CWE-94"), ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "savedmodel_readfile",
    "savedmodel_matmul",
)

ONNX_EXTERNAL_PATH = _rule(
    10,
    "ONNX external data path escapes the model folder",
    Severity.HIGH,
    "An initializer's external-data `location` is absolute or walks up with `..`: loading the model reads "
    "(or, when saving, writes) files outside the model's folder.",
    "Reject the model, or re-export it with external data files beside the model.",
    (reference("CWE", "CWE-22"), ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "onnx_external_traversal",
    "onnx_external_local",
)

SAFETENSORS_HEADER = _rule(
    11,
    "safetensors header is invalid",
    Severity.HIGH,
    "The safetensors header is oversized, not JSON, or describes tensors whose offsets overlap, fall "
    "outside the file, or disagree with dtype x shape. Parsers that trust it can read out of bounds or "
    "disagree with each other about the weights.",
    "Re-export the weights with the safetensors library from a trusted source.",
    (reference("CWE", "CWE-20"), ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "safetensors_overlap",
    "safetensors_valid",
)

GGUF_TEMPLATE = _rule(
    12,
    "GGUF chat template reaches Python internals",
    Severity.CRITICAL,
    "The tokenizer.chat_template in the GGUF metadata uses dunder attributes, computed attribute names or "
    "other Jinja sandbox escapes; rendering it with an unsandboxed Jinja environment runs code "
    "(e.g. CVE-2024-34359).",
    "Do not render the model's template; use a known chat format, or render with "
    "jinja2.sandbox.ImmutableSandboxedEnvironment on a patched runtime.",
    (reference("CWE", "CWE-1336"), ATLAS_MALICIOUS_MODEL, OWASP_LLM03),
    "gguf_ssti_template",
    "gguf_plain_template",
)

MALFORMED_CONTAINER = _rule(
    13,
    "Model file is malformed",
    Severity.MEDIUM,
    "The file claims a model format (GGUF, ONNX, SavedModel, Keras, NumPy) but its structure is broken. "
    "It was not fully scanned; loaders may still read parts of it.",
    "Re-download or re-export the file from a trusted source and verify its manifest.",
    (ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "gguf_truncated",
    "safetensors_valid",
    confidence=Confidence.MEDIUM,
)

SCANNER_TAMPERING = _rule(
    14,
    "Pickle imports a security scanner's module (an attempt to switch it off)",
    Severity.CRITICAL,
    "The pickle imports or calls a module of a pickle/model security scanner or safe loader (fickling, "
    "picklescan, modelscan, modelaudit, nbsec, ...). A model file never needs them; calling one while "
    "loading removes its hooks or allowlists (fickling.hook.remove_hook), so the next load runs unchecked.",
    LOAD_SAFELY,
    (CWE_502, reference("CWE", "CWE-693"), ATLAS_MALICIOUS_MODEL, *SUPPLY_CHAIN),
    "pickle_scanner_hook",
    "pickle_state_dict",
)

NESTED_STREAM = _rule(
    15,
    "Pickle deserializes another stream while loading",
    Severity.HIGH,
    "A REDUCE calls a deserializer (pickle.loads, torch.load, torch.storage._load_from_bytes, dill.loads, "
    "...). When its bytes are inside the pickle they are analysed as a nested stream and its findings are "
    "reported under a location naming the call; when they are not (a path, a computed value), nothing can "
    "say what the load will run. Only torch.storage._load_from_bytes, which `pickle.dumps(tensor)` writes by "
    "itself, is medium once its bytes were analysed; any other second layer is an evasion, high.",
    LOAD_SAFELY,
    (CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_nested_loader_path",
    "pickle_state_dict",
)

RESOURCE_EXHAUSTION = _rule(
    16,
    "Pickle is shaped to exhaust memory or CPU (expansion or self-reference)",
    Severity.HIGH,
    "The stream uses DUP (which Python's pickler never writes), fills containers with themselves, or shares "
    "references so that its result, walked as a tree, grows exponentially (billion laughs). The cost is "
    "estimated from the simulated structure, never by building it.",
    "Do not load the file; if the data is needed, ask for a format with explicit sizes (safetensors, JSON).",
    (reference("CWE", "CWE-400"), reference("CWE", "CWE-776"), ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_dup_bomb",
    "pickle_state_dict",
    confidence=Confidence.MEDIUM,
)

GLOBAL_RUNS_CODE = _rule(
    17,
    "Pickle calls a library function that runs code (found from its source)",
    Severity.HIGH,
    "A global outside the allowlist and the denylist was looked up on disk, without importing it: its "
    "source reaches eval/exec/compile, process creation, file writes or imports (the path is in the "
    "evidence). Loading the pickle calls it with arguments the file chooses.",
    LOAD_SAFELY,
    (CWE_502, reference("CWE", "CWE-94"), ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    "pickle_code_reaching_global",
    "pickle_state_dict",
    confidence=Confidence.MEDIUM,
)

PACKAGE_CODE = _rule(
    18,
    "torch.package archive ships Python code that runs on import",
    Severity.HIGH,
    "A torch.package archive carries the source of its modules; torch.package.PackageImporter imports them "
    "while unpickling, so module-level statements (anything beyond imports, definitions and constants) "
    "run, and calls to eval/exec, processes, files or imports inside them run when the objects are used.",
    "Load only torch.package archives you built; prefer weights in safetensors and code from your own "
    "reviewed repository.",
    (reference("CWE", "CWE-94"), ATLAS_MALICIOUS_MODEL, *SUPPLY_CHAIN),
    "torch_package_code",
    "pickle_state_dict",
)

MANIFEST_MISMATCH = _rule(
    20,
    "File differs from its manifest",
    Severity.HIGH,
    "A file listed in the manifest has a different SHA-256 or size, is missing, or a file not in the "
    "manifest was added to the folder.",
    "Restore the file from the source that produced the manifest, or re-create the manifest after review.",
    (reference("CWE", "CWE-494"), ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "manifest_changed_file",
    "manifest_intact",
)

MANIFEST_SIGNATURE = _rule(
    21,
    "Manifest signature is missing or invalid",
    Severity.CRITICAL,
    "The manifest's Ed25519 signature does not verify with the trusted public key, so its hashes prove nothing.",
    "Obtain the manifest and signature again from the producer; never trust a manifest whose signature fails.",
    (reference("CWE", "CWE-347"), ATLAS_SUPPLY_CHAIN_MODEL, OWASP_ML06),
    "manifest_bad_signature",
    "manifest_intact",
)

RULES = (
    DANGEROUS_GLOBAL,
    UNKNOWN_GLOBAL,
    COMPUTED_GLOBAL,
    MALFORMED_PICKLE,
    OBJECT_ARRAY,
    ARCHIVE_ANOMALY,
    KERAS_LAMBDA,
    KERAS_ARBITRARY_MODULE,
    SAVEDMODEL_RISKY_OP,
    ONNX_EXTERNAL_PATH,
    SAFETENSORS_HEADER,
    GGUF_TEMPLATE,
    MALFORMED_CONTAINER,
    SCANNER_TAMPERING,
    NESTED_STREAM,
    RESOURCE_EXHAUSTION,
    GLOBAL_RUNS_CODE,
    PACKAGE_CODE,
    MANIFEST_MISMATCH,
    MANIFEST_SIGNATURE,
)
