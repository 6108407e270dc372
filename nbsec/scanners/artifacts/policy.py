"""Three-tier policy for globals named in a pickle, modelled on torch.load(weights_only=True).

1. DENY: known ways to run code, import modules, reach the network or files, or build calls
   indirectly. Matched on the module, every dotted prefix of it, and every dotted component of
   module + name, after Python 2 names are mapped to Python 3 ones. Configuration cannot allow these.
2. ALLOW: torch's weights-only globals, numpy array reconstruction, vetted stdlib data types,
   and the user's `allow_globals`.
3. Everything else is UNKNOWN: reported, at lower severity.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Iterable
from typing import NamedTuple

# Python 2 names that pickle protocol <= 2 writes and Python 3's unpickler maps (_compat_pickle).
PY2_MODULES = {
    "__builtin__": "builtins",
    "copy_reg": "copyreg",
    "Queue": "queue",
    "cPickle": "pickle",
    "commands": "subprocess",
    "urllib2": "urllib.request",
    "httplib": "http.client",
    "SocketServer": "socketserver",
    "thread": "_thread",
    "exceptions": "builtins",
    "UserDict": "collections",
    "cStringIO": "io",
    "StringIO": "io",
}

# Names the unpickler renames for protocol < 3 (_compat_pickle.NAME_MAPPING, the ones that matter here).
PY2_NAMES = {
    ("builtins", "xrange"): ("builtins", "range"),
    ("builtins", "unicode"): ("builtins", "str"),
    ("builtins", "basestring"): ("builtins", "str"),
    ("builtins", "long"): ("builtins", "int"),
    ("builtins", "unichr"): ("builtins", "chr"),
    ("builtins", "reduce"): ("functools", "reduce"),
    ("builtins", "intern"): ("sys", "intern"),
    ("builtins", "raw_input"): ("builtins", "input"),
    ("builtins", "execfile"): ("builtins", "exec"),
    ("itertools", "izip"): ("builtins", "zip"),
    ("itertools", "imap"): ("builtins", "map"),
    ("itertools", "ifilter"): ("builtins", "filter"),
}

# Security scanners and safe loaders: a model file has no reason to import them, except to switch
# them off (fickling.hook.remove_hook, ...). Matched on the top-level package.
SCANNER_MODULES = frozenset(
    {"fickling", "picklescan", "modelscan", "model_unpickler", "saferpickle", "modelaudit", "nbsec"}
)
# Model code that ships inside a scanner's package: `torch.save(model)` of nbsec's demo CNN names its class.
# Such a pickle is judged like any whole pickled module (unknown global, refused by weights_only), not as tampering.
SCANNER_MODEL_MODULES = frozenset({"nbsec.adversarial.demo_models"})

# Deserializers that a REDUCE can call on bytes stored in the pickle itself: (qualified name -> index of
# the argument holding the bytes or the file). The walker analyses those bytes as a nested stream.
NESTED_LOADERS = {
    "pickle.loads": 0,
    "pickle.load": 0,
    "pickle._loads": 0,
    "pickle._load": 0,
    "_pickle.loads": 0,
    "_pickle.load": 0,
    "dill.loads": 0,
    "dill.load": 0,
    "dill._dill.loads": 0,
    "dill._dill.load": 0,
    "cloudpickle.loads": 0,
    "cloudpickle.load": 0,
    "joblib.load": 0,
    "joblib.numpy_pickle.load": 0,
    "torch.load": 0,
    "torch.serialization.load": 0,
    "torch.storage._load_from_bytes": 0,
    "torch.utils._config_module.ConfigModule.load_config": 1,
}

# The one nested deserializer a library writes by itself: `pickle.dumps(tensor)` stores each storage as
# torch.storage._load_from_bytes(bytes). When its bytes are analysed, the call alone is medium; any other
# loader in a stream (pickle.loads of embedded bytes, ...) is a second layer no pickler writes: high.
LIBRARY_WRITTEN_LOADERS = frozenset({"torch.storage._load_from_bytes"})

# Exact globals inside denied modules that are plain values: stdlib enums (calling the class with a
# value looks a member up), torch's stored layouts, an in-memory buffer.
SAFE_IN_DENIED = frozenset(
    {
        "http.HTTPStatus",
        "http.HTTPMethod",
        "signal.Signals",
        "signal.Handlers",
        "signal.Sigmasks",
        "socket.AddressFamily",
        "socket.SocketKind",
        "socket.MsgFlag",
        "socket.AddressInfo",
        "ssl.TLSVersion",
        "ssl.VerifyMode",
        "ssl.VerifyFlags",
        "ssl.Options",
        "ssl.AlertDescription",
        "ssl.SSLErrorNumber",
        "ssl.Purpose",
        "torch.serialization._get_layout",  # torch.sparse_coo and other layouts pickle as _get_layout(name)
        "io.BytesIO",
        "_io.BytesIO",
    }
)

# Whole modules (and their submodules) that have no business in a model file.
# fmt: off
DENY_MODULES = frozenset({
    "os", "posix", "nt", "subprocess", "pty", "sys", "shutil", "signal", "multiprocessing", "_posixsubprocess",
    "_winapi", "msvcrt", "resource", "venv", "ensurepip", "pip", "_osx_support", "_aix_support", "_pyrepl",
    "platform", "sysconfig", "site", "atexit", "faulthandler", "gc", "runpy", "code", "codeop", "compileall",
    "py_compile", "importlib", "imp", "pkgutil", "zipimport", "marshal", "types", "ast", "dis", "inspect",
    "timeit", "cProfile", "profile", "trace", "pdb", "bdb", "doctest", "idlelib", "lib2to3", "pydoc",
    "pydoc_data", "unittest", "test", "tkinter", "turtle", "_interpreters", "_xxsubinterpreters", "concurrent",
    "threading", "_thread", "asyncio", "sched", "ctypes", "_ctypes", "cffi", "builtins", "__main__",
    "__builtin__", "operator", "_operator", "functools", "_functools", "copyreg", "pickle", "_pickle",
    "pickletools", "shelve", "dbm", "dill", "cloudpickle", "jsonpickle", "joblib.externals.cloudpickle",
    "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.utils", "pandas.io.pickle", "socket",
    "_socket", "ssl", "http", "urllib", "urllib3", "requests", "httpx", "aiohttp", "ftplib", "smtplib",
    "imaplib", "poplib", "nntplib", "telnetlib", "socketserver", "xmlrpc", "webbrowser", "mailcap", "io", "_io",
    "fileinput", "tempfile", "glob", "zipfile", "tarfile", "logging", "distutils", "setuptools", "sqlite3",
    "_sqlite3", "torch.hub", "torch._dynamo", "torch._inductor", "torch.jit", "torch.fx",
    "torch.utils.collect_env", "torch.utils.bottleneck", "torch.utils._config_module",
    "torch.utils.data.datapipes", "torch.package", "torch.compile", "torch.serialization", "torch._export",
    "torch.export", "__builtins__", "_frozen_importlib", "_frozen_importlib_external", "_imp", "pexpect", "pipes",
    "_signal", "mmap", "syslog", "compile", "exec", "eval"
})
# fmt: on

# Names that are dangerous wherever they appear as a dotted component (module or attribute path).
# fmt: off
DENY_COMPONENTS = frozenset({
    "eval", "exec", "execfile", "compile", "__import__", "open", "breakpoint", "input", "getattr", "setattr",
    "delattr", "globals", "locals", "vars", "apply", "system", "popen", "spawn", "spawnl", "spawnv", "execv",
    "execve", "execvp", "fork", "forkpty", "run", "call", "check_call", "check_output", "getoutput",
    "getstatusoutput", "Popen", "load", "loads", "resolve_name", "import_module", "methodcaller", "attrgetter",
    "itemgetter", "partial", "partialmethod", "reduce", "__reduce__", "__reduce_ex__", "__builtins__",
    "__globals__", "__subclasses__", "__class__", "__getattribute__", "__getattr__", "__init_subclass__",
    "__dict__", "__code__", "CodeType", "FunctionType", "LambdaType", "MethodType", "runcode", "runsource",
    "interact", "write_file", "FileIO", "FileHandler", "locate", "urlopen", "urlretrieve", "create_connection",
    "load_config", "execWrapper", "compile_file", "basichandlers", "evaluate_guards_expression", "runstring",
    "getlincoef", "_run_pip", "_get_command_stdout", "IMAP4_stream", "findmatch", "script_helper", "write_text",
    "write_bytes", "unlink", "rmtree", "symlink_to", "hardlink_to", "chmod", "chown", "remove", "rmdir",
    "removedirs", "makedirs", "mkdir", "touch", "save", "savez", "savez_compressed", "savetxt", "tofile",
    "fromfile", "loadtxt", "genfromtxt", "fromregex", "memmap", "dump", "dumps"
})
# fmt: on

# Known-safe globals: torch's weights-only allowlist (structure, not every dtype spelled), numpy
# reconstruction and scalars, and stdlib value types. Exact "module.name" strings.
_TORCH_STORAGES = [
    f"torch.{kind}Storage"
    for kind in (
        "Float",
        "Double",
        "Half",
        "BFloat16",
        "Long",
        "Int",
        "Short",
        "Char",
        "Byte",
        "Bool",
        "ComplexFloat",
        "ComplexDouble",
        "QUInt8",
        "QInt8",
        "QInt32",
        "QUInt4x2",
        "QUInt2x4",
    )
]
ALLOW_EXACT = frozenset(
    {
        "collections.OrderedDict",
        "collections.Counter",
        "collections.defaultdict",
        "collections.deque",
        "_codecs.encode",  # protocol 2 writes bytes as _codecs.encode(str, 'latin1'); torch allows it
        "datetime.datetime",
        "datetime.date",
        "datetime.time",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "argparse.Namespace",
        "uuid.UUID",
        "enum.Enum",
        "pathlib.PurePath",
        "pathlib.PurePosixPath",
        "pathlib.PureWindowsPath",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_tensor_v3",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
        "torch._utils._rebuild_sparse_tensor",
        "torch._utils._rebuild_device_tensor_from_numpy",
        "torch._utils._rebuild_qtensor",
        "torch._utils._rebuild_nested_tensor",
        "torch._utils._rebuild_wrapper_subclass",
        "torch._utils._rebuild_meta_tensor_no_storage",
        "torch._tensor._rebuild_from_type_v2",
        "torch.nn.parameter.Parameter",
        "torch.Tensor",
        "torch.Size",
        "torch.device",
        "torch.dtype",
        "torch.storage.TypedStorage",
        "torch.storage.UntypedStorage",
        "torch.float32",
        "torch.float16",
        "torch.bfloat16",
        "torch.float64",
        "torch.int64",
        "torch.int32",
        "torch.int16",
        "torch.int8",
        "torch.uint8",
        "torch.bool",
        "torch.complex64",
        "torch.complex128",
        "torch.per_tensor_affine",
        "torch.per_channel_affine",
        "torch.contiguous_format",
        "torch.channels_last",
        "torch.preserve_format",
        "torch.strided",
        "torch.sparse_coo",
        *_TORCH_STORAGES,
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.ndarray",
        "numpy.dtype",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__generator_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random.mtrand.RandomState",
        "numpy.random._generator.Generator",
        "numpy.random._mt19937.MT19937",
        "numpy.random._pcg64.PCG64",
        "numpy.random._pcg64.PCG64DXSM",
        "numpy.random._philox.Philox",
        "numpy.random._sfc64.SFC64",
        "numpy.random.bit_generator.SeedSequence",
        "numpy.random.bit_generator.__pyx_unpickle_SeedSequence",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle_compat.NDArrayWrapper",
        "sklearn.utils._bunch.Bunch",
    }
)
# numpy scalar and dtype classes (numpy.float32, numpy.dtypes.Float64DType, ...).
ALLOW_PREFIXES = ("numpy.dtypes.",)
NUMPY_TYPES = frozenset(
    {
        "dtype",
        "ndarray",
        "generic",
        "number",
        "bool_",
        "object_",
        "str_",
        "bytes_",
        "void",
        "datetime64",
        "timedelta64",
        "longdouble",
        "clongdouble",
        "half",
        "single",
        "double",
        "intc",
        "uintc",
        "intp",
        "uintp",
        *(f"float{n}" for n in (16, 32, 64, 96, 128)),
        *(f"int{n}" for n in (8, 16, 32, 64)),
        *(f"uint{n}" for n in (8, 16, 32, 64)),
        *(f"complex{n}" for n in (64, 128, 192, 256)),
    }
)
# Value types from builtins: the module is denied as a whole, these names are not.
# fmt: off
SAFE_BUILTINS = frozenset({
    "set", "frozenset", "complex", "bytearray", "slice", "range", "bool", "int", "float", "str", "bytes",
    "list", "dict", "tuple", "object", "NotImplemented", "Ellipsis", "len", "min", "max", "isinstance",
    "issubclass", "abs", "sum", "round", "pow", "divmod", "hash", "sorted", "reversed", "enumerate", "zip",
    "map", "filter", "all", "any", "chr", "ord", "bin", "hex", "oct", "repr", "ascii", "format", "callable",
    "id", "iter", "next", "memoryview", "property", "staticmethod", "classmethod",
    # builtin exception classes: instances are data (joblib and multiprocessing results carry them)
    *(n for n, v in vars(builtins).items() if isinstance(v, type) and issubclass(v, BaseException)),
})
# fmt: on
# Call helpers that protocol 0-2 pickles of ordinary objects use; their arguments are globals that
# are classified on their own, so they are unknown rather than denied.
REDUCERS = frozenset({"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__"})


class Verdict(enum.Enum):
    DENY = "deny"
    ALLOW = "allow"
    UNKNOWN = "unknown"


SCANNER = "scanner"  # Classification.kind of a global from a security scanner's package
NESTED = "nested-loader"  # Classification.kind of a deserializer that may read bytes from the pickle


class Classification(NamedTuple):
    verdict: Verdict
    qualified: str  # module.name after Python 2 mapping
    reason: str
    kind: str = ""


def normalise(module: str, name: str) -> tuple[str, str]:
    """Apply the Python 2 -> 3 mapping the unpickler applies for protocol < 3."""
    head, _, rest = module.partition(".")
    mapped = PY2_MODULES.get(module) or (PY2_MODULES[head] + "." + rest if head in PY2_MODULES and rest else module)
    return PY2_NAMES.get((mapped, name), (mapped, name))


def _prefixes(dotted: str) -> Iterable[str]:
    parts = dotted.split(".")
    return (".".join(parts[: i + 1]) for i in range(len(parts)))


def classify(module: str, name: str, allow: frozenset[str] = frozenset()) -> Classification:
    """Decide what a GLOBAL/STACK_GLOBAL reference is. Deny wins over every allow.

    Modules are matched by their full dotted name and its parents (`os`, `os.path`), never by a
    component elsewhere in the path (`numpy.random._pickle` is not the stdlib `_pickle`). Inside a
    dotted *name* (protocol 4 resolves `pathlib` + `os.system` with getattr), every step is an
    attribute lookup, so a step named like a denied module or a dangerous function is denied.
    """
    module, name = normalise(module, name)
    qualified = f"{module}.{name}"
    if module.partition(".")[0] in SCANNER_MODULES and module not in SCANNER_MODEL_MODULES:
        return Classification(Verdict.DENY, qualified, "imports a security scanner's own module", SCANNER)
    if qualified in NESTED_LOADERS:
        return Classification(Verdict.DENY, qualified, "deserializes another stream", NESTED)
    if (module == "builtins" and name in SAFE_BUILTINS) or qualified in SAFE_IN_DENIED:
        return Classification(Verdict.ALLOW, qualified, "value type or harmless function")
    if qualified in REDUCERS:
        return Classification(Verdict.UNKNOWN, qualified, "object reconstruction helper (protocol 0-2)")
    for prefix in _prefixes(module):
        if prefix in DENY_MODULES:
            return Classification(Verdict.DENY, qualified, f"module {prefix} is on the denylist")
    if "." in name:
        steps = name.split(".")
        for i, step in enumerate(steps):
            reached = f"{module}.{'.'.join(steps[: i + 1])}"
            if reached in DENY_MODULES:
                return Classification(Verdict.DENY, qualified, f"name reaches module {reached}")
            if step in DENY_COMPONENTS:
                return Classification(Verdict.DENY, qualified, f"{step} runs code or resolves names")
            if step in DENY_MODULES:
                return Classification(Verdict.DENY, qualified, f"reaches module {step} through an attribute path")
        # A dotted attribute path is never needed by a benign reducer; treat as unknown at best.
        return Classification(Verdict.UNKNOWN, qualified, "dotted attribute path in the global's name")
    if name in DENY_COMPONENTS:
        return Classification(Verdict.DENY, qualified, f"{name} runs code or resolves names")
    if qualified in ALLOW_EXACT or qualified in allow or module in allow:
        return Classification(Verdict.ALLOW, qualified, "allowlisted")
    if module == "__future__":
        return Classification(Verdict.ALLOW, qualified, "inert __future__ feature flag")
    if (module == "numpy" and name in NUMPY_TYPES) or module.startswith(ALLOW_PREFIXES):
        # numpy.float64, numpy.int32 ... scalar types; numpy functions with side effects are denied above.
        return Classification(Verdict.ALLOW, qualified, "numpy scalar or dtype type")
    if name.startswith("_rebuild") and module.startswith("torch."):
        return Classification(Verdict.ALLOW, qualified, "torch tensor reconstruction")
    return Classification(Verdict.UNKNOWN, qualified, "not on the allowlist")
