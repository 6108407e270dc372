"""Unsafe-code rules for notebook code cells and Python files.

Each rule is a Rule (catalogue entry, with a sample that must trigger and one
that must not) plus a check function over a resolved call. Calls are resolved
through imports (`import torch as t; t.load(...)`, `from pickle import loads`),
so aliasing does not hide them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from nbsec.model import Confidence, Rule, Severity, reference
from nbsec.scanners.notebook import rules_downloads, rules_templates
from nbsec.scanners.notebook.rule_base import (
    CATEGORY,
    NOT_CONSTANT,
    SCANNER,
    CallCheck,
    Check,
    Hit,
    Scope,
    constant,
    keyword,
)

__all__ = ["CATEGORY", "CHECKS", "FACTORIES", "RULES", "SCANNER", "Check", "Hit", "Scope", "checks_for"]

CWE_502 = reference("CWE", "CWE-502")
CWE_95 = reference("CWE", "CWE-95")
ATLAS_MALICIOUS_MODEL = reference("MITRE ATLAS", "AML.T0011.000")
ATLAS_SUPPLY_CHAIN_MODEL = reference("MITRE ATLAS", "AML.T0010.003")
OWASP_ML06 = reference("OWASP ML Top 10", "ML06:2023")


TORCH_LOAD = Rule(
    id="NBSEC-NB-001",
    title="torch.load without weights_only=True",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "torch.load unpickles the checkpoint. With weights_only=False (or on torch < 2.6, "
        "where it is the default) a crafted checkpoint runs arbitrary code when loaded."
    ),
    remediation=(
        "Pass weights_only=True (register extra classes with torch.serialization.add_safe_globals), "
        "or store weights as safetensors and load them with safetensors.torch.load_file."
    ),
    references=(CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    sample_trigger="import torch\nmodel = torch.load('model.pt', weights_only=False)\n",
    sample_clean="import torch\nmodel = torch.load('model.pt', weights_only=True)\n",
)

PICKLE_LOAD = Rule(
    id="NBSEC-NB-002",
    title="Unsafe deserialization (pickle, joblib, dill, numpy allow_pickle, pandas read_pickle)",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "pickle-based loaders execute code chosen by whoever wrote the file. Loading a model or "
        "data file from outside your trust boundary this way is remote code execution."
    ),
    remediation=(
        "Load only files you produced and verified (hash or signature), or switch to a data-only "
        "format: safetensors for tensors, JSON/Parquet for data, skops for scikit-learn models. "
        "Scan the file first with `nbsec scan FILE`."
    ),
    references=(CWE_502, ATLAS_MALICIOUS_MODEL, OWASP_ML06),
    sample_trigger="import pickle\nwith open('model.pkl', 'rb') as f:\n    model = pickle.load(f)\n",
    sample_clean="import json\nwith open('config.json') as f:\n    config = json.load(f)\n",
)

YAML_LOAD = Rule(
    id="NBSEC-NB-003",
    title="yaml.load without a safe loader",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "yaml.load with the default or an unsafe Loader (and yaml.unsafe_load) constructs arbitrary "
        "Python objects named in the document, which can run code."
    ),
    remediation="Use yaml.safe_load(...) or yaml.load(..., Loader=yaml.SafeLoader).",
    references=(reference("CWE", "CWE-502"), OWASP_ML06),
    sample_trigger="import yaml\nconfig = yaml.load(open('config.yaml'), Loader=yaml.Loader)\n",
    sample_clean="import yaml\nconfig = yaml.safe_load(open('config.yaml'))\n",
)

TRUST_REMOTE_CODE = Rule(
    id="NBSEC-NB-004",
    title="trust_remote_code=True runs code downloaded with the model",
    severity=Severity.HIGH,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "With trust_remote_code=True, Hugging Face loaders import and run Python files from the "
        "model repository; whoever controls that repository (or a later revision) controls your process."
    ),
    remediation=(
        "Remove trust_remote_code=True and use a model whose architecture ships with the library, "
        "or pin revision= to a reviewed commit hash and vendor the code you reviewed."
    ),
    references=(reference("CWE", "CWE-494"), ATLAS_SUPPLY_CHAIN_MODEL, reference("OWASP ML Top 10", "ML06:2023")),
    sample_trigger=(
        "from transformers import AutoModel\nmodel = AutoModel.from_pretrained('org/model', trust_remote_code=True)\n"
    ),
    sample_clean="from transformers import AutoModel\nmodel = AutoModel.from_pretrained('org/model')\n",
)

EVAL_EXEC = Rule(
    id="NBSEC-NB-005",
    title="eval/exec of code in a string",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "eval and exec run whatever string they are given. When that string comes from data, a "
        "model's output or a user, it is code injection. A constant string is code the author wrote: "
        "reported at low severity and confidence, as it hides code from review and linters."
    ),
    remediation=(
        "Parse data with ast.literal_eval or json.loads; dispatch on known names with a dict "
        "instead of building code; never pass model (LLM) output to eval/exec."
    ),
    references=(CWE_95, reference("OWASP LLM Top 10", "LLM05:2025")),
    sample_trigger="user_input = input()\nresult = eval(user_input)\n",
    sample_clean="import ast\nuser_input = input()\nresult = ast.literal_eval(user_input)\n",
)

LLM_OUTPUT_EXECUTED = Rule(
    id="NBSEC-NB-006",
    title="LLM output flows into eval/exec or a shell",
    severity=Severity.HIGH,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "Text generated by a language model reaches eval, exec, compile, os.system or subprocess. "
        "Whoever can influence the model's input (a document, a web page, a user) can make it write code "
        "that then runs with your permissions: prompt injection becomes remote code execution."
    ),
    remediation=(
        "Never execute model output. Parse it as data (json.loads with a schema, ast.literal_eval), map it "
        "onto a fixed set of allowed actions, or run generated code only in a sandbox without credentials."
    ),
    references=(
        reference("CWE", "CWE-94"),
        reference("OWASP LLM Top 10", "LLM05:2025"),
        reference("MITRE ATLAS", "AML.T0051"),
    ),
    sample_trigger=(
        "from openai import OpenAI\nclient = OpenAI()\n"
        "reply = client.chat.completions.create(model='m', messages=msgs)\n"
        "code = reply.choices[0].message.content\nexec(code)\n"
    ),
    sample_clean=(
        "import json\nfrom openai import OpenAI\nclient = OpenAI()\n"
        "reply = client.chat.completions.create(model='m', messages=msgs)\n"
        "data = json.loads(reply.choices[0].message.content)\n"
    ),
)

TLS_VERIFY_OFF = Rule(
    id="NBSEC-NB-007",
    title="TLS certificate verification turned off",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "verify=False makes requests/httpx accept any certificate: anyone on the path can read the API keys "
        "and data you send, and swap the model or data you download."
    ),
    remediation="Remove verify=False; for a private CA pass verify='/path/to/ca-bundle.pem'.",
    references=(reference("CWE", "CWE-295"), reference("OWASP ML Top 10", "ML06:2023")),
    sample_trigger="import requests\nr = requests.get('https://models.example/w.bin', verify=False)\n",
    sample_clean="import requests\nr = requests.get('https://models.example/w.bin')\n",
)

PLAIN_HTTP_ENDPOINT = Rule(
    id="NBSEC-NB-008",
    title="Model or API endpoint over plain HTTP",
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "A model, inference or data endpoint is reached with http:// on a non-local host: prompts, "
        "completions, API keys and downloaded weights travel in clear text and can be altered."
    ),
    remediation="Use https:// (or a local socket/loopback address for a local server).",
    references=(reference("CWE", "CWE-319"), reference("OWASP LLM Top 10", "LLM03:2025")),
    sample_trigger="from openai import OpenAI\nclient = OpenAI(base_url='http://10.0.0.5:8000/v1')\n",
    sample_clean="from openai import OpenAI\nclient = OpenAI(base_url='http://localhost:8000/v1')\n",
)

MARSHAL_LOAD = Rule(
    id="NBSEC-NB-016",
    title="marshal.load(s) of data that may not be yours",
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    category=CATEGORY,
    scanner=SCANNER,
    description=(
        "marshal is Python's internal format for compiled code. It is not meant for data from elsewhere: a "
        "crafted input crashes the interpreter, and it rebuilds code objects that the code around it then runs."
    ),
    remediation=(
        "Store data as JSON, numpy .npy (allow_pickle=False) or safetensors; use marshal only on files you wrote."
    ),
    references=(CWE_502, OWASP_ML06),
    sample_trigger="import marshal\nwith open('cache.bin', 'rb') as f:\n    table = marshal.load(f)\n",
    sample_clean="import json\nwith open('cache.json') as f:\n    table = json.load(f)\n",
)

RULES = (
    TORCH_LOAD, PICKLE_LOAD, YAML_LOAD, TRUST_REMOTE_CODE, EVAL_EXEC, LLM_OUTPUT_EXECUTED, TLS_VERIFY_OFF,
    PLAIN_HTTP_ENDPOINT, *rules_downloads.RULES, *rules_templates.RULES, MARSHAL_LOAD,
)  # fmt: skip


# -- checks ----------------------------------------------------------------------


def check_torch_load(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name not in ("torch.load", "torch.serialization.load"):
        return
    kw = keyword(call, "weights_only")
    if kw is None:
        yield Hit(
            TORCH_LOAD,
            call,
            "weights_only not set: safe by default only on torch >= 2.6 and only while "
            "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD is unset",
            severity=Severity.MEDIUM,
            confidence=Confidence.MEDIUM,
        )
        return
    value = constant(kw.value)
    if value is True:
        return
    if value is NOT_CONSTANT:
        yield Hit(
            TORCH_LOAD,
            call,
            "weights_only is computed at run time",
            confidence=Confidence.LOW,
            severity=Severity.MEDIUM,
        )
    else:
        yield Hit(TORCH_LOAD, call, f"weights_only={value!r} unpickles arbitrary objects")


_PICKLE_LOADERS = frozenset(
    {
        f"{module}.{func}"
        for module in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
        for func in ("load", "loads", "Unpickler")
    }
    | {
        "joblib.load",
        "sklearn.externals.joblib.load",
        "shelve.open",
        "jsonpickle.decode",
        "jsonpickle.loads",
        "jsonpickle.unpickler.decode",
        "jsonpickle.Unpickler().restore",  # jsonpickle.Unpickler().restore(obj), bandit's third case
        "jsonpickle.unpickler.Unpickler().restore",
        "pandas.read_pickle",
        "torch.package.PackageImporter",
    }
)


def check_pickle_load(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name in _PICKLE_LOADERS:
        shown = name.replace("().", "(...).")
        yield Hit(PICKLE_LOAD, call, f"{shown} deserializes with pickle" + _JSONPICKLE_NOTE * name.startswith("json"))
        return
    if name in ("marshal.load", "marshal.loads"):
        yield Hit(MARSHAL_LOAD, call, f"{name} rebuilds objects (code objects too) from bytes it trusts")
        return
    if name == "numpy.load":
        kw = keyword(call, "allow_pickle")
        if kw is None:
            return
        value = constant(kw.value)
        if value is NOT_CONSTANT:
            yield Hit(PICKLE_LOAD, call, "numpy.load with a computed allow_pickle", confidence=Confidence.LOW)
        elif value:
            yield Hit(PICKLE_LOAD, call, "numpy.load(allow_pickle=True) unpickles object arrays")


_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")


def check_yaml_load(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name in ("yaml.unsafe_load", "yaml.unsafe_load_all"):
        yield Hit(YAML_LOAD, call, f"{name} constructs arbitrary Python objects")
        return
    if name not in ("yaml.load", "yaml.load_all"):
        return
    loader_kw = keyword(call, "Loader")
    loader = loader_kw.value if loader_kw is not None else (call.args[1] if len(call.args) > 1 else None)
    if loader is None:
        yield Hit(YAML_LOAD, call, f"{name} without Loader= (unsafe default on PyYAML < 5.1, error on >= 6)")
        return
    loader_name = scope.resolve(loader) or ""
    if loader_name.rsplit(".", 1)[-1] in _SAFE_YAML_LOADERS:
        return
    if loader_name.rsplit(".", 1)[-1] in ("FullLoader", "CFullLoader"):
        return  # FullLoader refuses arbitrary object construction since PyYAML 5.4
    if loader_name:
        yield Hit(YAML_LOAD, call, f"{name} with Loader={loader_name}")
    else:
        yield Hit(YAML_LOAD, call, f"{name} with a computed Loader", confidence=Confidence.LOW)


def check_trust_remote_code(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    kw = keyword(call, "trust_remote_code")
    if kw is not None and constant(kw.value) is True:
        yield Hit(TRUST_REMOTE_CODE, call, "imports and runs Python files from the model repository")
        return
    # model_kwargs={"trust_remote_code": True} and **{"trust_remote_code": True}
    for value in [k.value for k in call.keywords]:
        if isinstance(value, ast.Dict):
            for key, item in zip(value.keys, value.values, strict=True):
                if constant(key) == "trust_remote_code" and constant(item) is True:
                    yield Hit(TRUST_REMOTE_CODE, call, "trust_remote_code passed in a kwargs dict")
                    return


_LOCAL_HOSTS = ("localhost", "127.", "0.0.0.0", "[::1]", "host.docker.internal")
_ENDPOINT_KEYWORDS = frozenset(
    {"base_url", "api_base", "openai_api_base", "endpoint", "endpoint_url", "api_url", "url", "server_url",
     "inference_server_url", "host", "uri"}
)  # fmt: skip
_HTTP_CALLS = frozenset(
    f"{lib}.{verb}" for lib in ("requests", "httpx") for verb in ("get", "post", "put", "patch", "request", "stream")
)


def _plain_http(value: object) -> bool:
    if not isinstance(value, str) or not value.lower().startswith("http://"):
        return False
    host = value[7:].split("/", 1)[0].split("@")[-1]
    return not host.lower().startswith(_LOCAL_HOSTS) and not host.lower().endswith((".local", ".internal"))


def check_tls_and_http(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    """Keywords of any call: verify=False, an endpoint keyword with a plain-http URL."""
    verify = keyword(call, "verify")
    if verify is not None and constant(verify.value) is False:
        yield Hit(TLS_VERIFY_OFF, call, "verify=False accepts any certificate")
    for kw in call.keywords:
        if kw.arg in _ENDPOINT_KEYWORDS and _plain_http(constant(kw.value)):
            yield Hit(PLAIN_HTTP_ENDPOINT, call, f"{kw.arg} uses plain http on a non-local host")
            return


def check_http_url(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    """requests.get('http://...'): the URL as first argument (a plain-http endpoint keyword is reported instead)."""
    if name not in _HTTP_CALLS or not call.args or not _plain_http(constant(call.args[0])):
        return
    if not any(kw.arg in _ENDPOINT_KEYWORDS and _plain_http(constant(kw.value)) for kw in call.keywords):
        yield Hit(PLAIN_HTTP_ENDPOINT, call, f"{name} to a plain-http URL on a non-local host")


def check_keras_unsafe(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if not name.endswith(("models.load_model", "saving.load_model")) or "keras" not in name:
        return
    kw = keyword(call, "safe_mode")
    if kw is not None and constant(kw.value) is False:
        yield Hit(PICKLE_LOAD, call, "keras load_model(safe_mode=False) runs Lambda layer bytecode")


def check_eval_exec(name: str, call: ast.Call, scope: Scope) -> Iterator[Hit]:
    if name not in ("eval", "exec", "builtins.eval", "builtins.exec"):
        return
    what = name.rsplit(".", 1)[-1]
    if call.args and isinstance(call.args[0], ast.Constant):
        # Code the author wrote, not injected: still code a reviewer and a linter do not see (bandit reports it).
        yield Hit(
            EVAL_EXEC,
            call,
            f"{what}() of a constant string: write the code itself (or ast.literal_eval for a literal)",
            severity=Severity.LOW,
            confidence=Confidence.LOW,
        )
        return
    yield Hit(EVAL_EXEC, call, f"{what}() on a value computed at run time")


_JSONPICKLE_NOTE = ": jsonpickle rebuilds any class named in the JSON (py/object, py/reduce)"

# Each check with the last name components it handles: the analysis runs only those for a call.
CHECKS: tuple[CallCheck, ...] = (
    CallCheck(check_torch_load, frozenset({"load"})),
    CallCheck(
        check_pickle_load,
        frozenset({"load", "loads", "Unpickler", "open", "decode", "read_pickle", "PackageImporter", "restore"}),
    ),
    CallCheck(check_yaml_load, frozenset({"load", "load_all", "unsafe_load", "unsafe_load_all"})),
    CallCheck(check_trust_remote_code, None),
    CallCheck(check_eval_exec, frozenset({"eval", "exec"})),
    CallCheck(check_tls_and_http, None),
    CallCheck(check_http_url, frozenset(name.rpartition(".")[2] for name in _HTTP_CALLS)),
    CallCheck(check_keras_unsafe, frozenset({"load_model"})),
    *rules_downloads.CHECKS,
    *rules_templates.CHECKS,
)
# Constructors whose instances are followed by name: `tar = tarfile.open(p)`, then `tar.extractall()`.
FACTORIES = rules_downloads.FACTORIES | {"jsonpickle.Unpickler", "jsonpickle.unpickler.Unpickler"}


def _dispatch() -> tuple[dict[str, tuple[Check, ...]], tuple[Check, ...]]:
    by_last: dict[str, list[Check]] = {}
    for spec in CHECKS:
        for last in spec.last_names or ():
            by_last.setdefault(last, []).append(spec.check)
    return {k: tuple(v) for k, v in by_last.items()}, tuple(s.check for s in CHECKS if s.last_names is None)


_BY_LAST, _ON_KEYWORDS = _dispatch()


def checks_for(last: str, has_keywords: bool) -> tuple[Check, ...]:
    """The checks a call whose resolved name ends in `last` can match (keyword checks when it passes any)."""
    named = _BY_LAST.get(last, ())
    return named + _ON_KEYWORDS if has_keywords else named
